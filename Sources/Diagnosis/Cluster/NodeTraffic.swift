import Artifacts
import Wire

/// What one node's bundle contributes to following packets across nodes (`PacketPaths`): its
/// captures' connection attempts and handshake samples, the addresses it hosts, and what in its
/// bundle can explain a drop. Small, so a cluster's nodes need not keep their facts.
public struct NodeTraffic: Sendable {
    public struct Capture: Sendable {
        public var file: String
        /// The device the collector says it ran on.
        public var device: String?
        /// First and last packet times (the capture's own clock).
        public var first: Int64?
        public var last: Int64?
        /// Attempts not established at their first SYN (`CaptureSummary.notableAttempts`), the first `maxAttempts`.
        public var attempts: [ConnectionAttempt]
        public var handshakes: [HandshakeSample]
        public var packets: Int
        /// Connections with retransmissions, duplicate ACKs, zero windows or resets, reduced to what
        /// following them needs (the first `maxFlows` of the node).
        public var flows: [Flow]
        /// DNS lookups never answered or answered only after resends (`DNSSummary.unanswered`, `.resent`):
        /// the ones followed to where they died.
        public var troubledLookups: [DNSLookup]
        /// Lookups with an endpoint this node hosts (the server first), the first `maxSightings` of the
        /// node: where another node's lookup is looked for.
        public var sightings: [DNSSighting]

        public init(file: String, device: String? = nil, first: Int64?, last: Int64?, attempts: [ConnectionAttempt],
                    handshakes: [HandshakeSample], packets: Int, flows: [Flow] = [], troubledLookups: [DNSLookup] = [],
                    sightings: [DNSSighting] = []) {
            self.file = file
            self.device = device
            self.first = first
            self.last = last
            self.attempts = attempts
            self.handshakes = handshakes
            self.packets = packets
            self.flows = flows
            self.troubledLookups = troubledLookups
            self.sightings = sightings
        }

        /// Whether `time` (this capture's clock) falls in the capture, with `margin` either side.
        func covers(_ time: Int64, margin: Int64) -> Bool {
            guard let first, let last else { return false }
            return first.saturatingSubtract(margin) <= time && time <= last.saturatingAdd(margin)
        }
    }

    /// A connection as one capture saw it: its endpoints, how far it got, and the data segment resent
    /// most often without ever being acknowledged, with the direction it was sent in.
    public struct Flow: Sendable {
        public var client: Endpoint
        public var server: Endpoint
        public var reach: TCPReach
        public var firstTime: Int64
        public var lastTime: Int64
        public var stall: RetransmissionStall?
        public var stallFromClient: Bool

        public init(client: Endpoint, server: Endpoint, reach: TCPReach, firstTime: Int64, lastTime: Int64,
                    stall: RetransmissionStall? = nil, stallFromClient: Bool = true) {
            self.client = client
            self.server = server
            self.reach = reach
            self.firstTime = firstTime
            self.lastTime = lastTime
            self.stall = stall
            self.stallFromClient = stallFromClient
        }

        init(_ f: TCPFlowSummary) {
            client = f.client
            server = f.server
            reach = f.reach
            firstTime = f.firstTime
            lastTime = f.lastTime
            // A segment sent again and again and never acknowledged, the worse direction's.
            let unacked = [(f.clientToServer.worstStall, true), (f.serverToClient.worstStall, false)]
                .compactMap { s, c in s.flatMap { $0.ackFrame == nil && $0.frames.count >= 2 ? ($0, c) : nil } }
                .max { $0.0.retransmissions < $1.0.retransmissions }
            stall = unacked?.0
            stallFromClient = unacked?.1 ?? true
        }

        init(_ h: HandshakeSample) {
            client = h.client
            server = h.server
            reach = h.reach
            firstTime = h.synTime
            lastTime = h.lastTime
            stall = nil
            stallFromClient = true
        }
    }

    /// An address or a network this node delivers to itself: one of its own addresses, or a
    /// directly connected network on a device that is neither its uplink nor a tunnel (its pods' bridge or veths).
    public struct Hosted: Sendable {
        public var network: IPAddress
        public var prefixLength: Int
        public var device: String
        public var own: Bool
        public var file: String
        public var line: SourceLine

        func contains(_ a: IPAddress) -> Bool {
            guard a.isIPv6 == network.isIPv6 else { return false }
            let bits = a.isIPv6 ? 128 : 32
            let n = Swift.max(0, Swift.min(bits, prefixLength))
            if !a.isIPv6 {
                let mask: UInt64 = n == 0 ? 0 : (0xffff_ffff << UInt64(32 - n)) & 0xffff_ffff
                return a.low & mask == network.low & mask
            }
            let highMask: UInt64 = n >= 64 ? ~0 : n == 0 ? 0 : ~0 << UInt64(64 - n)
            let lowMask: UInt64 = n <= 64 ? 0 : n >= 128 ? ~0 : ~0 << UInt64(128 - n)
            return a.high & highMask == network.high & highMask && a.low & lowMask == network.low & lowMask
        }
    }

    public var node: String
    public var captures: [Capture]
    public var hosted: [Hosted]
    public var dropRules: [FilterRule]
    /// `net.ipv4.ip_forward` and `net.ipv4.conf.all.rp_filter` as the bundle's sysctl output gives them.
    public var forwarding: (value: String, file: String, line: SourceLine)?
    public var reversePathFilter: (value: String, file: String, line: SourceLine)?
    /// "nf_conntrack: table full" lines (the first few).
    public var conntrackFull: [TextEvidence<KernelLogEvent>]

    public static let maxAttempts = 20_000
    public static let maxFlows = 5_000
    public static let maxSightings = 10_000
    /// The devices of its default routes (`ip route`): where traffic to other nodes leaves.
    public var uplinks: Set<String> = []
    /// Device MTUs (`ip link`), for what explains a large segment dropped on the node.
    public var mtus: [String: (mtu: Int, file: String, line: SourceLine)] = [:]

    public init(node: String, captures: [Capture], hosted: [Hosted] = [], dropRules: [FilterRule] = []) {
        self.node = node
        self.captures = captures
        self.hosted = hosted
        self.dropRules = dropRules
        conntrackFull = []
    }

    public init(node: String, facts: Facts) {
        self.node = node
        var budget = Self.maxAttempts, flowBudget = Self.maxFlows
        captures = facts.captures.map { c in
            let attempts = Array(c.summary.notableAttempts.prefix(budget))
            budget -= attempts.count
            let flows = c.summary.tcpFlows.lazy.filter { $0.reach.isn != nil }.prefix(flowBudget).map(Flow.init)
            flowBudget -= flows.count
            return Capture(file: c.file, device: c.context?.manifestDevice, first: c.summary.firstTime, last: c.summary.lastTime,
                           attempts: attempts, handshakes: c.summary.handshakes, packets: c.summary.counters.packets, flows: Array(flows),
                           troubledLookups: c.summary.dns.unanswered + c.summary.dns.resent)
        }
        if let links = facts.links {
            for d in links.value.devices { mtus[d.name] = (d.mtu, links.file, d.line) }
        }
        var hosted = facts.addresses.map {
            Hosted(network: $0.address, prefixLength: $0.address.isIPv6 ? 128 : 32, device: $0.device, own: true, file: $0.file, line: $0.line)
        }
        let uplinks = Set(facts.routes.compactMap(\.value.defaultDevice))
        self.uplinks = uplinks
        // Without the collector's word, a capture named after a device of the node (`captures/IF.pcap`,
        // `IF-2.pcap` of a ring buffer, docs/bundle-format.md) ran on that device.
        for i in captures.indices where captures[i].device == nil {
            let name = captures[i].file.split(separator: "/").last.map(String.init) ?? captures[i].file
            var stem = String(name.prefix { $0 != "." })
            if mtus[stem] == nil, let dash = stem.lastIndex(of: "-"), !stem[stem.index(after: dash)...].isEmpty,
               stem[stem.index(after: dash)...].allSatisfy(\.isNumber) {
                stem = String(stem[..<dash])
            }
            if mtus[stem] != nil || stem == "any" { captures[i].device = stem }
        }
        let tunnels = Set(facts.tunnels.map(\.name))
        for table in facts.routes {
            for r in table.value.routes where !r.isDefault {
                guard let device = r.device, !uplinks.contains(device), !tunnels.contains(device), device != "lo",
                      r.line.text.contains("scope link") else { continue }
                let parts = r.destination.split(separator: "/", maxSplits: 1)
                guard let network = parts.first.flatMap({ IPAddress($0) }) else { continue }
                let length = parts.count == 2 ? Int(parts[1]) ?? -1 : (network.isIPv6 ? 128 : 32)
                guard length >= 0 else { continue }
                hosted.append(Hosted(network: network, prefixLength: length, device: device, own: false, file: table.file, line: r.line))
            }
        }
        self.hosted = hosted
        dropRules = facts.kubeProxy.dropRules.map { r in
            var r = r
            if r.file == nil { r.file = facts.kubeProxyFiles.first }
            return r
        }
        func sysctl(_ key: String) -> (value: String, file: String, line: SourceLine)? {
            guard let s = facts.sysctl, let e = s.value[key] else { return nil }
            return (e.value, e.file ?? s.file, e.line)
        }
        forwarding = sysctl("net.ipv4.ip_forward")
        reversePathFilter = sysctl("net.ipv4.conf.all.rp_filter")
        conntrackFull = Array(facts.kernelEvents(.conntrackTableFull).prefix(3))
        // DNS lookups this node served first (their server is one of its addresses or pods), then those its
        // own clients sent; lookups between two other hosts are not kept.
        var served: [(capture: Int, sighting: DNSSighting)] = [], sent: [(capture: Int, sighting: DNSSighting)] = []
        for i in captures.indices {
            for s in facts.captures[i].summary.dns.sightings {
                if hosting(s.server.address) != nil {
                    served.append((i, s))
                } else if hosting(s.client.address) != nil {
                    sent.append((i, s))
                }
            }
        }
        for (i, s) in (served + sent).prefix(Self.maxSightings) { captures[i].sightings.append(s) }
    }

    /// How this node hosts `address`: its own address first, else a connected network.
    public func hosting(_ address: IPAddress) -> Hosted? {
        hosted.first { $0.own && $0.network == address } ?? hosted.first { !$0.own && $0.contains(address) }
    }
}
