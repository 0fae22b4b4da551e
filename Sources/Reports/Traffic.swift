import Artifacts
import Diagnosis
import Wire

/// What the captures' traffic looked like, as data for charts and tables: DNS latency by server,
/// large packet sizes by interface against the interface's MTU, and the TCP flows and connection
/// attempts that went wrong. Definitions: docs/report-format.md, "traffic".
public struct TrafficSection: Codable, Sendable, Equatable {
    public var dnsLatency: [DNSLatency] = []
    public var packetSizes: [PacketSizeProfile] = []
    /// TCP flows with retransmissions, duplicate ACKs, zero windows or resets: the worst
    /// `maxRows` over all captures, worst first.
    public var tcpFlows: [FlowRow] = []
    /// Flows of that kind left out of `tcpFlows` (beyond `maxRows` or beyond what the analysis kept).
    public var tcpFlowsNotShown = 0
    /// Connection attempts not established at the first SYN, the first `maxRows` in capture order.
    public var connectionAttempts: [AttemptRow] = []
    public var connectionAttemptsNotShown = 0

    public static let maxRows = 100

    public init() {}

    public var isEmpty: Bool { dnsLatency.isEmpty && packetSizes.isEmpty && tcpFlows.isEmpty && connectionAttempts.isEmpty }

    /// One DNS server's lookups in one capture, latency from the first query to the response.
    public struct DNSLatency: Codable, Sendable, Equatable {
        public var file: String
        public var server: String
        public var lookups: Int
        public var answered: Int
        public var p50Ms: Double?
        public var p95Ms: Double?
        public var p99Ms: Double?
        public var maxMs: Double?
        /// Answered lookups by latency, in `DNSLatency.bucketEdgesMs` ranges: bucket i holds
        /// latencies ≥ edge i−1 (0 for the first) and < edge i; the last holds the rest.
        public var buckets: [Int]
    }

    /// Upper bounds (ms, exclusive) of the DNS latency buckets; a final bucket holds what is above.
    public static let bucketEdgesMs: [Double] = DNSServerStats.latencyEdges.map { Double($0) / 1e6 }

    /// The IP packets of `PacketSizes.floor` bytes and more seen on one capture interface.
    public struct PacketSizeProfile: Codable, Sendable, Equatable {
        public var file: String
        /// pcapng interface number (0 for classic pcap) and, for Linux cooked v2, the kernel ifindex.
        public var captureInterface: Int
        public var ifindex: Int?
        /// The device in the bundle's `ip -d link`, when the interface could be matched to one.
        public var device: String?
        public var mtu: Int?
        /// For a tunnel device: the largest inner packet its underlay carries (underlay MTU − overhead).
        public var encapsulatedLimit: Int?
        public var packets: Int
        public var largest: Int
        /// Packets above `mtu` (nil without an MTU), and above `encapsulatedLimit`.
        public var aboveMTU: Int?
        public var aboveEncapsulatedLimit: Int?
        /// Sizes grouped in bins `binWidth` bytes wide starting at multiples of it (1: exact sizes).
        public var binWidth: Int
        public var bins: [SizeBin]
    }

    public struct SizeBin: Codable, Sendable, Equatable {
        /// The smallest size the bin holds (IP total length).
        public var size: Int
        public var count: Int
        public var firstFrame: Int
    }

    public struct FlowRow: Codable, Sendable, Equatable {
        public var file: String
        public var stream: Int
        public var client: String
        public var server: String
        public var start: WallTime?
        public var durationSeconds: Double
        public var established: Bool
        public var dataSegments: Int
        public var retransmissions: Int
        public var duplicateAcks: Int
        public var zeroWindows: Int
        public var resets: Int
        public var firstFrame: Int
    }

    public struct AttemptRow: Codable, Sendable, Equatable {
        public var file: String
        public var stream: Int
        public var client: String
        public var server: String
        /// `unanswered`, `refused`, `synack-only`, `other`, or `established` (after resent SYNs).
        public var state: String
        public var syns: Int
        public var firstFrame: Int
        public var time: WallTime?
    }

    /// Bins at most this many per interface: the bin width doubles from 1 until the sizes fit.
    public static let maxBins = 128

    public static func build(_ facts: Facts) -> TrafficSection {
        var t = TrafficSection()
        var flows: [FlowRow] = []
        var flowsAll = 0
        for capture in facts.captures {
            let s = capture.summary
            for server in s.dns.servers where server.lookups > 0 {
                t.dnsLatency.append(dnsLatency(server, file: capture.file))
            }
            let interfaces = s.packetSizes.byInterface.keys.sorted { ($0.capture, $0.ifindex ?? 0) < ($1.capture, $1.ifindex ?? 0) }
            for interface in interfaces {
                guard let sizes = s.packetSizes.byInterface[interface], !sizes.isEmpty else { continue }
                t.packetSizes.append(profile(sizes, interface: interface, capture: capture, facts: facts))
            }
            flowsAll += s.tcpFlows.count + s.tcpFlowsNotKept
            flows += s.tcpFlows.map { flowRow($0, file: capture.file) }
            // Those beyond the rows shown are only counted (a flood keeps 100,000).
            let room = Swift.max(0, maxRows - t.connectionAttempts.count)
            for a in s.notableAttempts.prefix(room) {
                t.connectionAttempts.append(AttemptRow(
                    file: capture.file, stream: a.stream, client: a.client.description, server: a.server.description,
                    state: a.state.rawValue, syns: a.synCount, firstFrame: a.firstSynFrame ?? 0,
                    time: a.firstSynTime.map { WallTime(nanoseconds: $0) }))
            }
            t.connectionAttemptsNotShown += Swift.max(0, s.notableAttempts.count - room) + s.notableAttemptsNotKept
        }
        // Worst first: retransmissions, then resets, zero windows and duplicate ACKs; ties in capture order.
        let ranked = flows.enumerated().sorted { a, b in
            let x = a.element, y = b.element
            let kx = (x.retransmissions, x.resets, x.zeroWindows, x.duplicateAcks)
            let ky = (y.retransmissions, y.resets, y.zeroWindows, y.duplicateAcks)
            return kx != ky ? kx > ky : a.offset < b.offset
        }.map(\.element)
        t.tcpFlows = Array(ranked.prefix(maxRows))
        t.tcpFlowsNotShown = flowsAll - t.tcpFlows.count
        return t
    }

    static func dnsLatency(_ server: DNSServerStats, file: String) -> DNSLatency {
        let ms = { (ns: Int64?) in ns.map { Double($0) / 1e6 } }
        return DNSLatency(file: file, server: server.server.description, lookups: server.lookups, answered: server.answered,
                          p50Ms: ms(server.percentile(50)), p95Ms: ms(server.percentile(95)), p99Ms: ms(server.percentile(99)),
                          maxMs: ms(server.maxLatency),
                          buckets: server.latencyBuckets)
    }

    static func profile(_ sizes: [Int: PacketSizes.Size], interface: PacketSizes.Interface, capture: CaptureFacts,
                        facts: Facts) -> PacketSizeProfile {
        let joined = facts.context(of: capture).interfaces[interface]
        let device = joined?.device
        let limit = joined?.encapsulatedLimit
        let sorted = sizes.sorted { $0.key < $1.key }
        var width = 1
        while sorted.count > maxBins, sorted.last!.key / width - sorted.first!.key / width + 1 > maxBins { width *= 2 }
        var bins: [SizeBin] = []
        for (size, s) in sorted {
            let lower = size / width * width
            if let last = bins.last, last.size == lower {
                bins[bins.count - 1].count += s.count
                bins[bins.count - 1].firstFrame = min(last.firstFrame, s.firstFrame)
            } else {
                bins.append(SizeBin(size: lower, count: s.count, firstFrame: s.firstFrame))
            }
        }
        func above(_ n: Int?) -> Int? { n.map { n in sorted.filter { $0.key > n }.reduce(0) { $0 + $1.value.count } } }
        return PacketSizeProfile(
            file: capture.file, captureInterface: Int(interface.capture), ifindex: interface.ifindex, device: device?.name,
            mtu: device?.mtu, encapsulatedLimit: limit, packets: sorted.reduce(0) { $0 + $1.value.count },
            largest: sorted.last?.key ?? 0, aboveMTU: above(device?.mtu), aboveEncapsulatedLimit: above(limit),
            binWidth: width, bins: bins)
    }

    static func flowRow(_ f: TCPFlowSummary, file: String) -> FlowRow {
        FlowRow(file: file, stream: f.stream, client: f.client.description, server: f.server.description,
                // The last packet's time, which out-of-order timestamps can put before the first.
                start: WallTime(nanoseconds: f.firstTime), durationSeconds: Double(max(0, f.lastTime.saturatingSubtract(f.firstTime))) / 1e9,
                established: f.established, dataSegments: f.dataSegments, retransmissions: f.retransmissions,
                duplicateAcks: f.clientToServer.duplicateAcks + f.serverToClient.duplicateAcks,
                zeroWindows: f.clientToServer.zeroWindows + f.serverToClient.zeroWindows,
                resets: f.clientToServer.resets + f.serverToClient.resets, firstFrame: f.firstFrame)
    }
}
