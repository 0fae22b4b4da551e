import Artifacts
import Wire

/// The offset between two nodes' capture clocks, estimated from handshakes both captured.
public struct ClockPair: Sendable, Equatable, Codable {
    /// `b`'s clock minus `a`'s, in milliseconds (positive: `b`'s captures are stamped later).
    public var a: String
    public var b: String
    public var offsetMs: Double
    /// Half the smallest round trip between the two capture points: the offset is right within this.
    public var uncertaintyMs: Double
    /// Handshakes and single-query DNS exchanges seen in both nodes' captures.
    public var samples: Int
    /// The smallest and the median round trip between the capture points (SYN → SYN-ACK on the client's
    /// side minus the same on the server's side): the path between the two nodes, without the server's own delay.
    public var minRoundTripMs: Double
    public var medianRoundTripMs: Double
    /// Median one-way latency from `a`'s capture point to `b`'s, and back, with the offset applied.
    public var oneWayMsAToB: Double?
    public var oneWayMsBToA: Double?
}

/// One node's clock against the cluster's reference node (the first node that shares a handshake with another).
public struct NodeClock: Sendable, Equatable, Codable {
    public var node: String
    /// This node's clock minus the reference's, in ms; nil when no chain of shared handshakes reaches it.
    public var offsetMs: Double?
    public var uncertaintyMs: Double?
    public var reference: String
}

/// Follows TCP connection attempts across the nodes' captures (issue 23 §1, §2; docs/cluster.md).
///
/// **Matching.** An attempt is the originator's SYN (with its retransmissions). The same attempt in another
/// node's capture has the same initial sequence number (`tcp.seq_raw`: 32 random bits that NAT does
/// not rewrite) and the same client or the same server endpoint (DNAT rewrites the server, SNAT the client).
/// Inside VXLAN/Geneve/GRE the inner packet is the attempt, so the match holds through overlays.
/// A completed handshake is matched on both ISNs (64 bits).
///
/// **Clocks.** For each handshake two nodes captured, with t1/t4 the SYN and SYN-ACK on one node and
/// t2/t3 on the other, the offset is ((t2 − t1) + (t3 − t4)) / 2 and the round trip between the capture
/// points |(t4 − t1) − (t3 − t2)| (NTP's on-wire formulas, RFC 5905 §8). The sample with the smallest
/// round trip gives the offset (NTP's clock filter), right within half that round trip under the
/// assumption that the path is symmetric. Nodes are put on the reference node's clock through chains of pairs.
///
/// **Where an attempt died.** For an attempt that went unanswered on the node that sent it, the destination
/// node is the one hosting its server address (`NodeTraffic.hosting`: an own address, or a connected
/// network on a device other than its uplink or a tunnel — its pods):
/// - the destination's captures hold the attempt and answered it (SYN-ACK or RST): the answer was lost on
///   the way back, `packets-lost-between-nodes`;
/// - they hold it unanswered: it reached the node and went no further, `packets-dropped-on-node`, with what
///   in that node's bundle explains it (DROP/REJECT rules that counted packets, forwarding off, strict
///   rp_filter, conntrack table full);
/// - they do not hold it, though a capture of that node ran at the time (clock offset applied) and saw other
///   traffic from the same client address: it was lost on the path between, `packets-lost-between-nodes`;
/// - otherwise nothing is claimed, and the attempt is counted as not followed, with why.
/// An attempt whose first SYNs were lost and a later one answered is followed the same way, by how many
/// SYNs each node's capture holds.
public enum PacketPaths {
    public static let lostID: CheckID = "packets-lost-between-nodes"
    public static let droppedID: CheckID = "packets-dropped-on-node"
    /// How far an attempt's SYNs may fall outside a capture's first and last packet and still count as
    /// covered by it, beyond the clock uncertainty.
    static let coverMargin: Int64 = 1_000_000_000
    /// How far apart two sightings of one attempt may be (after the offset is applied).
    static let matchWindow: Int64 = 120_000_000_000
    static let maxExamples = 8

    public static let descriptions: [CheckDescription] = [
        CheckDescription(
            id: lostID, title: "Packets lost between nodes",
            rationale: """
                A connection's SYNs, its resent data segments or a DNS lookup's queries (or their answers) left one \
                node's capture and never appeared in the capture of the node they were addressed to, which was capturing \
                at the time and saw other traffic from the same client: they were lost on the path between the two nodes \
                (underlay routers, security groups, an MTU or firewall in between), not on either node.
                """,
            severity: .high,
            evidence: """
                The packets in the sending node's capture (frames, with a filter on their sequence numbers or DNS ids), the \
                receiving node's capture with the same filter matching nothing, and the other traffic from the same \
                client it did capture at the time.
                """,
            fix: """
                Look between the nodes: cloud security groups or network ACLs for the port, firewalls and routers on \
                the underlay (`traceroute -T -p PORT`, `-U` for UDP), the overlay's UDP port (VXLAN 8472/4789, Geneve 6081) between the node addresses.
                """,
            passingExamples: [], failingExamples: []),
        CheckDescription(
            id: droppedID, title: "Packets dropped on a node",
            rationale: """
                A connection's SYNs or data, or a DNS lookup's queries, reached the destination node's capture (its uplink) and no answer left it, while the \
                sending node saw none either: the node itself discarded them (a filter rule, forwarding off, strict \
                reverse-path filtering, a full conntrack table, or no listener that answers).
                """,
            severity: .high,
            evidence: """
                The SYNs in both nodes' captures (frames, each with a filter), and what in the receiving node's bundle \
                explains the drop: DROP/REJECT rules with packet counters (the one naming the port first), \
                `net.ipv4.ip_forward`, `rp_filter`, conntrack-full kernel messages.
                """,
            fix: """
                On the named node: the DROP/REJECT rule that counted the packets (`iptables-save -c`, NetworkPolicies \
                that compile to it), `sysctl net.ipv4.ip_forward=1` for forwarded pod traffic, `rp_filter` 2 (loose) \
                with asymmetric routes, `nf_conntrack_max` when the table is full.
                """,
            passingExamples: [], failingExamples: []),
    ]

    public struct Result: Sendable {
        public var findings: [Finding] = []
        public var clocks: [NodeClock] = []
        public var pairs: [ClockPair] = []
        /// Unanswered attempts and DNS lookups followed to where they died, and those not followed (by reason).
        public var followed = 0
        public var notFollowed: [String: Int] = [:]
    }

    // MARK: - Sightings

    struct Sighting {
        var node: Int
        var capture: Int
        var isn: UInt32
        var client: Endpoint
        var server: Endpoint
        var synFrames: [Int]
        var synTimes: [Int64]
        var synCount: Int
        var answerFrame: Int?
        var answerTime: Int64?
        var answerIsRST: Bool
        var state: ConnectionAttempt.State

        init(node: Int, capture: Int, _ a: ConnectionAttempt) {
            self.node = node
            self.capture = capture
            isn = a.isn
            client = a.client
            server = a.server
            synFrames = a.synFrames
            synTimes = a.synTimes
            synCount = a.synCount
            answerFrame = a.synAckFrame ?? a.rstFrame
            answerTime = a.synAckTime ?? a.rstTime
            answerIsRST = a.synAckFrame == nil && a.rstFrame != nil
            state = a.state
        }

        init(node: Int, capture: Int, _ h: HandshakeSample) {
            self.node = node
            self.capture = capture
            isn = h.isn
            client = h.client
            server = h.server
            synFrames = [h.synFrame]
            synTimes = [h.synTime]
            synCount = 1
            answerFrame = h.synAckFrame
            answerTime = h.synAckTime
            answerIsRST = false
            state = .established
        }

        var answered: Bool { answerFrame != nil }
        var firstTime: Int64 { synTimes.first ?? answerTime ?? 0 }
    }

    public static func analyze(_ nodes: [NodeTraffic]) -> Result {
        var result = Result()
        guard nodes.count >= 2 else { return result }
        let (clocks, pairs) = estimateClocks(nodes)
        result.clocks = clocks
        result.pairs = pairs
        let offsets = clocks.map { $0.offsetMs.map { Int64(($0 * 1_000_000).rounded()) } }
        let uncertainty = clocks.map { $0.uncertaintyMs.map { Int64(($0 * 1_000_000).rounded()) } ?? 0 }

        // Every attempt and handshake, by ISN, for the attempts worth following.
        var wanted: Set<UInt32> = []
        for n in nodes { for c in n.captures { for a in c.attempts where a.state == .unanswered || a.synCount > 1 { wanted.insert(a.isn) } } }
        var byISN: [UInt32: [Sighting]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                var seen: Set<UInt32> = []
                for a in c.attempts where wanted.contains(a.isn) {
                    seen.insert(a.isn)
                    byISN[a.isn, default: []].append(Sighting(node: ni, capture: ci, a))
                }
                for h in c.handshakes where wanted.contains(h.isn) && !seen.contains(h.isn) {
                    byISN[h.isn, default: []].append(Sighting(node: ni, capture: ci, h))
                }
            }
        }

        /// A node's time on the reference clock (unchanged when its offset is unknown).
        func reference(_ t: Int64, _ node: Int) -> Int64 { t.saturatingSubtract(offsets[node] ?? 0) }

        var groups: [GroupKey: Group] = [:]
        var done: Set<AttemptKey> = []
        var leavingCache: [LeavingKey: [UInt32: Sighting]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                for a in c.attempts where a.state == .unanswered || (a.state == .established && a.synCount > 1) {
                    guard !done.contains(AttemptKey(isn: a.isn, client: a.client)) else { continue }
                    let here = Sighting(node: ni, capture: ci, a)
                    let t = reference(here.firstTime, ni)
                    // The same attempt elsewhere: same ISN, one endpoint in common, close in time.
                    let seen = [here] + (byISN[a.isn] ?? []).filter { s in
                        !(s.node == ni && s.capture == ci) && (s.client == a.client || s.server == a.server)
                            && distance(reference(s.firstTime, s.node), t) <= matchWindow
                    }
                    for s in seen { done.insert(AttemptKey(isn: s.isn, client: s.client)) }
                    // Followed from the node hosting the client when a bundle does and saw it, else from here.
                    // (its capture the attempt reached first: the one nearest the client).
                    let origin = seen.filter { nodes[$0.node].hosting($0.client.address) != nil }.min { $0.firstTime < $1.firstTime } ?? here
                    guard origin.state == .unanswered || (origin.state == .established && origin.synCount > 1) else { continue }
                    let servers = Set(seen.map(\.server.address))
                    if servers.contains(where: { nodes[origin.node].hosting($0) != nil }) { continue }  // to the sending node itself
                    let t0 = reference(origin.firstTime, origin.node), t1 = reference(origin.synTimes.last ?? origin.firstTime, origin.node)
                    // Seen on the sending node only, and missing from a capture after it on the way out: it died there.
                    if origin.state == .unanswered, !seen.contains(where: { $0.node != origin.node }),
                       let died = diedOnSender(origin, seen: seen, nodes: nodes, cache: &leavingCache) {
                        result.followed += 1
                        let gk = GroupKey(kind: .droppedOnNode, origin: origin.node, dest: origin.node, server: origin.server, retransmittedOnly: false)
                        let r = route(seen, origin: origin, nodes: nodes, among: [origin.node], offsets: offsets, uncertainty: uncertainty)
                        groups[gk, default: Group(key: gk)].add(origin, Verdict(kind: .droppedOnNode, coverage: died, lostSYNs: 0, route: r), t0: t0, t1: t1)
                        continue
                    }
                    guard let dest = destination(of: servers, nodes: nodes, excluding: origin.node) else {
                        if origin.state == .unanswered { result.notFollowed["its server address is hosted by no node of the cluster", default: 0] += 1 }
                        continue
                    }
                    let offset = offsets[dest].map { $0.saturatingSubtract(offsets[origin.node] ?? 0) }
                    guard var verdict = follow(origin, seen.filter { $0.node == dest }, dest: dest, nodes: nodes, offset: offset,
                                               uncertainty: uncertainty[dest].saturatingAdd(uncertainty[origin.node])) else {
                        if origin.state == .unanswered {
                            result.notFollowed["no capture of the destination node ran at the time and saw other traffic from the client", default: 0] += 1
                        }
                        continue
                    }
                    if origin.state == .unanswered { result.followed += 1 }
                    verdict.route = route(seen, origin: origin, nodes: nodes, among: [origin.node, dest], offsets: offsets, uncertainty: uncertainty)
                    let gk = GroupKey(kind: verdict.kind, origin: origin.node, dest: dest, server: origin.server,
                                      retransmittedOnly: origin.state != .unanswered)
                    groups[gk, default: Group(key: gk)].add(origin, verdict, t0: t0, t1: t1)
                }
            }
        }
        var items = Self.items(groups.values.sorted { $0.key < $1.key }, nodes: nodes)
        items += followStalls(nodes, offsets: offsets, result: &result)
        items += followLookups(nodes, offsets: offsets, uncertainty: uncertainty, result: &result)
        result.findings = assemble(items)
        return result
    }

    struct AttemptKey: Hashable {
        var isn: UInt32
        var client: Endpoint
    }

    enum Kind: Int, Comparable {
        case lostOnTheWay, answerLost, droppedOnNode
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    struct Verdict {
        var kind: Kind
        /// Where the destination node saw it, or the capture that shows it could have and did not.
        var dest: Sighting?
        var coverage: (capture: Int, sample: Sighting)?
        /// SYNs lost on the way (sent minus received), for attempts answered at last.
        var lostSYNs: Int
        /// The capture points it passed and missed.
        var route: Route?
    }

    /// Where one attempt sent from `origin` died on its way to node `dest`, or nil when the captures cannot tell.
    static func follow(_ origin: Sighting, _ atDest: [Sighting], dest: Int, nodes: [NodeTraffic], offset: Int64?,
                       uncertainty: Int64) -> Verdict? {
        let unanswered = origin.state == .unanswered
        if let seen = atDest.max(by: { ($0.answered ? 1 : 0, $0.synCount) < ($1.answered ? 1 : 0, $1.synCount) }) {
            if unanswered {
                return seen.answered ? Verdict(kind: .answerLost, dest: seen, lostSYNs: 0)
                    : Verdict(kind: .droppedOnNode, dest: seen, lostSYNs: 0)
            }
            // Answered at last: SYNs the destination never saw were lost on the way; SYNs it saw and did not
            // answer (all but its last) were dropped there.
            if seen.synCount < origin.synCount { return Verdict(kind: .lostOnTheWay, dest: seen, lostSYNs: origin.synCount - seen.synCount) }
            guard seen.synCount > 1 else { return nil }
            // It answered before the last SYN arrived: the earlier answer was lost on the way back.
            if let answered = seen.answerTime, let lastSYN = seen.synTimes.last, answered < lastSYN {
                return Verdict(kind: .answerLost, dest: seen, lostSYNs: 0)
            }
            return Verdict(kind: .droppedOnNode, dest: seen, lostSYNs: seen.synCount - 1)
        }
        // Not seen there: only a claim when a capture of that node covers the time and saw the client.
        guard unanswered else { return nil }
        let o = offset ?? 0
        let margin = coverMargin.saturatingAdd(uncertainty)
        for (ci, c) in nodes[dest].captures.enumerated() {
            guard origin.synTimes.allSatisfy({ c.covers($0.saturatingAdd(o), margin: margin) }) else { continue }
            let sample = c.handshakes.first { $0.client.address == origin.client.address }.map { Sighting(node: dest, capture: ci, $0) }
                ?? c.attempts.first { $0.client.address == origin.client.address }.map { Sighting(node: dest, capture: ci, $0) }
            guard let sample else { continue }
            return Verdict(kind: .lostOnTheWay, dest: nil, coverage: (ci, sample), lostSYNs: origin.synCount)
        }
        return nil
    }

    struct GroupKey: Hashable, Comparable {
        var kind: Kind
        var origin: Int
        var dest: Int
        var server: Endpoint
        var retransmittedOnly: Bool
        static func < (a: GroupKey, b: GroupKey) -> Bool {
            (a.kind, a.origin, a.dest, a.server, a.retransmittedOnly ? 1 : 0) < (b.kind, b.origin, b.dest, b.server, b.retransmittedOnly ? 1 : 0)
        }
    }

    struct Group {
        var key: GroupKey
        var attempts = 0
        var packets = 0
        var examples: [(origin: Sighting, verdict: Verdict)] = []
        var first = Int64.max
        var last = Int64.min

        mutating func add(_ origin: Sighting, _ v: Verdict, t0: Int64, t1: Int64) {
            attempts += 1
            packets += v.kind == .answerLost ? 1 : (v.lostSYNs > 0 ? v.lostSYNs : origin.synCount)
            if examples.count < PacketPaths.maxExamples { examples.append((origin, v)) }
            first = Swift.min(first, t0)
            last = Swift.max(last, t1)
        }
    }

    // MARK: - Findings

    /// One sentence of a finding between nodes, with its evidence, whether it is high (not only the
    /// first SYNs of attempts answered at last), and when (the reference clock).
    struct Item {
        var dropped: Bool
        var text: String
        var evidence: [Evidence]
        var high: Bool
        var first: Int64
        var last: Int64
    }

    static func assemble(_ items: [Item]) -> [Finding] {
        var out: [Finding] = []
        for (d, list) in [(descriptions[0], items.filter { !$0.dropped }), (descriptions[1], items.filter(\.dropped))] where !list.isEmpty {
            var f = Finding(id: d.id, severity: list.contains(where: \.high) ? .high : .medium, title: d.title,
                            summary: list.map(\.text).joined(separator: ". ") + ".", evidence: list.flatMap(\.evidence), fix: d.fix)
            f.firstSeen = WallTime(nanoseconds: list.map(\.first).min()!)
            f.lastSeen = WallTime(nanoseconds: list.map(\.last).max()!)
            out.append(f)
        }
        return out
    }

    static func items(_ groups: [Group], nodes: [NodeTraffic]) -> [Item] {
        var items: [Item] = []
        for g in groups {
            let o = nodes[g.key.origin], d = nodes[g.key.dest]
            let oc = o.captures[g.examples[0].origin.capture]
            let client = g.examples[0].origin.client.address
            let what = g.key.retransmittedOnly ? "SYN retransmission" : "connection attempt"
            let attempts = "\(g.attempts) \(what)\(g.attempts == 1 ? "" : "s") from \(o.node) (\(client)) to \(g.key.server)"
            var evidence: [Evidence] = []
            let seqFilter = "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.seq_raw in {" + g.examples.map { String($0.origin.isn) }
                .joined(separator: ", ") + "}"
            evidence.append(.packets("\(o.node) sent the SYNs (\(oc.file)\(oc.device.map { ", \($0)" } ?? ""))",
                                     file: "\(o.node):\(oc.file)", frames: g.examples.flatMap(\.origin.synFrames),
                                     times: g.examples.flatMap(\.origin.synTimes).map { Optional($0) }, filter: seqFilter))
            let route = g.examples[0].verdict.route
            if let route, route.seen.count + route.missed.count > 1 {
                evidence.append(routeEvidence(route, nodes: nodes, what: g.attempts == 1 ? "SYNs" : "first attempt's SYNs", file: "\(o.node):\(oc.file)"))
            }
            let text: String
            switch g.key.kind {
            case .droppedOnNode where g.key.origin == g.key.dest:
                // Died on the sending node: seen at one of its captures, missing from a later one on the way out.
                let cov = g.examples.compactMap(\.verdict.coverage).first!
                let mc = o.captures[cov.capture]
                evidence.append(.value("\(o.node)'s capture \(mc.file) holds none of these SYNs: the same filter matches nothing there",
                                       file: "\(o.node):\(mc.file)", text: seqFilter))
                evidence.append(.packets("\(o.node)'s capture \(mc.file) did see \(client)'s other connections to other nodes leave, each after \(oc.file) had seen it",
                                         file: "\(o.node):\(mc.file)", frames: cov.sample.synFrames, times: cov.sample.synTimes.map { Optional($0) },
                                         filter: "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.seq_raw==\(cov.sample.isn)"))
                let (why, whyEvidence) = explanation(o, server: g.key.server, forwardedFor: client)
                evidence += whyEvidence
                text = "\(g.packets) SYNs of \(attempts) never left \(o.node): its capture \(oc.file) holds them and its capture \(mc.file), "
                    + "which ran at the time and saw \(client)'s other connections leave, does not; " + why
            case .lostOnTheWay:
                if let cov = g.examples.first(where: { $0.verdict.coverage != nil })?.verdict.coverage {
                    let dc = d.captures[cov.capture]
                    evidence.append(.value("\(d.node)'s capture \(dc.file) holds none of these SYNs: the same filter matches nothing there",
                                           file: "\(d.node):\(dc.file)", text: seqFilter))
                    evidence.append(.packets("\(d.node)'s capture did see other traffic from \(client) at the time",
                                             file: "\(d.node):\(dc.file)", frames: cov.sample.synFrames + [cov.sample.answerFrame].compactMap { $0 },
                                             times: (cov.sample.synTimes + [cov.sample.answerTime].compactMap { $0 }).map { Optional($0) },
                                             filter: DisplayFilter.ip("addr", cov.sample.client.address) + " && tcp.port==\(cov.sample.client.port)"))
                    text = (g.key.retransmittedOnly
                        ? "\(g.packets) SYNs of \(attempts) left \(o.node) and never reached \(d.node), whose capture \(dc.file) saw the later SYN that was answered; each lost SYN cost the client its retransmission timeout"
                        : "\(g.packets) SYNs of \(attempts) left \(o.node) and never reached \(d.node), whose capture \(dc.file) ran at the time and saw other traffic from \(client)")
                        + uplinkCaveat(route, origin: g.key.origin, nodes: nodes)
                } else {
                    let seen = g.examples.compactMap(\.verdict.dest)
                    let dc = d.captures[seen.first?.capture ?? 0]
                    evidence.append(.packets("\(d.node) received fewer SYNs (\(dc.file))", file: "\(d.node):\(dc.file)",
                                             frames: seen.flatMap(\.synFrames), times: seen.flatMap(\.synTimes).map { Optional($0) }, filter: seqFilter))
                    text = "\(g.packets) SYNs of \(attempts) left \(o.node) and never reached \(d.node), which received and answered a later SYN; each lost SYN cost the client its retransmission timeout"
                }
            case .answerLost:
                let seen = g.examples.compactMap(\.verdict.dest)
                let dc = d.captures[seen.first?.capture ?? 0]
                let rst = seen.contains { $0.answerIsRST }
                evidence.append(.packets("\(d.node) received the SYNs and answered (\(rst ? "RST" : "SYN-ACK")) (\(dc.file))",
                                         file: "\(d.node):\(dc.file)", frames: seen.flatMap { $0.synFrames + [$0.answerFrame].compactMap { $0 } },
                                         times: seen.flatMap { ($0.synTimes + [$0.answerTime].compactMap { $0 }).map { Optional($0) } },
                                         filter: "tcp.port==\(g.key.server.port) && (tcp.seq_raw in {\(g.examples.map { String($0.origin.isn) }.joined(separator: ", "))} || tcp.ack_raw in {\(g.examples.map { String($0.origin.isn &+ 1) }.joined(separator: ", "))})"))
                evidence.append(.value("\(o.node)'s capture holds no answer to them", file: "\(o.node):\(oc.file)",
                                       text: DisplayFilter.ip("src", g.key.server.address) + " && tcp.srcport==\(g.key.server.port) && tcp.dstport in {\(Set(g.examples.map(\.origin.client.port)).sorted().map(String.init).joined(separator: ", "))}"))
                text = "\(attempts) reached \(d.node), which answered, but no answer reached \(o.node): the answers were lost between the nodes"
            case .droppedOnNode:
                let seen = g.examples.compactMap(\.verdict.dest)
                let dc = d.captures[seen.first?.capture ?? 0]
                evidence.append(.packets("\(d.node) received the SYNs (\(dc.file)\(dc.device.map { ", \($0)" } ?? "")) and sent no answer",
                                         file: "\(d.node):\(dc.file)", frames: seen.flatMap(\.synFrames),
                                         times: seen.flatMap(\.synTimes).map { Optional($0) }, filter: seqFilter))
                let (why, whyEvidence) = explanation(d, server: g.key.server)
                evidence += whyEvidence
                let lastCapture = route?.seen.last(where: { $0.node == g.key.dest })?.capture ?? seen.first?.capture
                let notReached = route?.missed.filter { $0.node == g.key.dest }.map { d.captures[$0.capture].file } ?? []
                let last = (lastCapture.map { "the last point they were seen is \(d.node)'s capture \(d.captures[$0].file)" } ?? "")
                    + (notReached.isEmpty ? "" : " (not \(notReached.joined(separator: ", ")), which ran at the time)")
                text = (g.key.retransmittedOnly
                    ? "\(g.packets) SYNs of \(attempts) reached \(d.node) and went unanswered until a later one; "
                    : "\(g.packets) SYNs of \(attempts) reached \(d.node) and went no further: \(last); ") + why
            }
            items.append(Item(dropped: g.key.kind == .droppedOnNode, text: text, evidence: evidence, high: !g.key.retransmittedOnly,
                              first: g.first, last: g.last))
        }
        return items
    }

    /// When the sending node's last capture that holds the packets is not known to be on its uplink (the
    /// default route's device, or `any`), they may have died on that node after it rather than between the nodes.
    static func uplinkCaveat(_ route: Route?, origin: Int, nodes: [NodeTraffic]) -> String {
        guard let last = route?.seen.last(where: { $0.node == origin }) else { return "" }
        let n = nodes[origin], c = n.captures[last.capture]
        guard let device = c.device else {
            return " (\(n.node)'s last capture that holds them, \(c.file), is not known to be on its uplink: they may also have died on \(n.node) after it)"
        }
        guard device != "any", !n.uplinks.contains(device) else { return "" }
        let uplink = n.uplinks.sorted().first.map { " (\($0))" } ?? ""
        return " (\(n.node)'s last capture that holds them, \(c.file), is on \(device), not on its uplink\(uplink): they may also have died on \(n.node) after it)"
    }

    /// What in a node's bundle explains packets to `server` (over `transport`, "tcp" or "udp") it received and never answered.
    /// Forwarding matters when `forwardedFor` (the server on the receiving node, the client on the sending one;
    /// the server when nil) is a pod behind the node rather than one of its own addresses.
    static func explanation(_ n: NodeTraffic, server: Endpoint, transport: String = "tcp", forwardedFor: IPAddress? = nil) -> (String, [Evidence]) {
        var parts: [String] = [], evidence: [Evidence] = []
        let naming = n.dropRules.filter { $0.names(port: server.port) && ($0.protocolName == nil || $0.protocolName == transport || $0.protocolName == "all") }
        let others = n.dropRules.filter { r in !naming.contains(r) && ["INPUT", "FORWARD", "PREROUTING"].contains(r.chain) }
        for r in naming.prefix(3) {
            parts.append("its \(r.chain) chain has a \(r.target) rule for port \(r.destinationPorts ?? "") that matched \(r.packets) packets")
            evidence.append(.line("\(n.node): \(r.target) rule for port \(server.port), \(r.packets) packets", file: "\(n.node):\(r.file ?? "")",
                                  line: r.line.number, text: r.line.text))
        }
        if naming.isEmpty {
            for r in others.prefix(3) {
                parts.append("its \(r.chain) chain has a \(r.target) rule that matched \(r.packets) packets")
                evidence.append(.line("\(n.node): \(r.target) rule with counters", file: "\(n.node):\(r.file ?? "")", line: r.line.number, text: r.line.text))
            }
        }
        let behind = forwardedFor ?? server.address
        let forwarded = n.hosting(behind).map { !$0.own } ?? false
        if forwarded, let f = n.forwarding, f.value == "0" {
            parts.append("it does not forward (net.ipv4.ip_forward = 0) and \(behind) is a pod behind it")
            evidence.append(.line("\(n.node): forwarding off", file: "\(n.node):\(f.file)", line: f.line.number, text: f.line.text))
        }
        if let r = n.reversePathFilter, r.value == "1" {
            parts.append("strict reverse-path filtering (rp_filter = 1) drops packets arriving on an interface it would not route them back through")
            evidence.append(.line("\(n.node): strict rp_filter", file: "\(n.node):\(r.file)", line: r.line.number, text: r.line.text))
        }
        for e in n.conntrackFull.prefix(1) {
            parts.append("its conntrack table was full")
            evidence.append(.line("\(n.node): conntrack table full", file: "\(n.node):\(e.file)", line: e.line, text: e.text, kernelTime: e.match.time))
        }
        if parts.isEmpty {
            return ("nothing in \(n.node)'s bundle explains it (no DROP or REJECT rule that counted packets, forwarding on, no conntrack-full messages): check that something listens on \(server) and that the node's filter rules were collected", evidence)
        }
        return (parts.joined(separator: "; "), evidence)
    }

    /// The node other than `excluding` that hosts one of `addresses` most specifically: its own
    /// address first, else the longest prefix (ties: the first node).
    static func destination(of addresses: Set<IPAddress>, nodes: [NodeTraffic], excluding: Int) -> Int? {
        nodes.indices.filter { $0 != excluding }.compactMap { d -> (node: Int, rank: Int)? in
            addresses.compactMap { nodes[d].hosting($0).map { $0.own ? 1000 : $0.prefixLength } }.max().map { (d, $0) }
        }.max { ($0.rank, -$0.node) < ($1.rank, -$1.node) }?.node
    }

    // MARK: - Data segments

    /// Data segments a node sent again and again and never saw acknowledged (`NodeTraffic.Flow.stall`),
    /// followed into the capture of the node they were for: the same connection there (same initial
    /// sequence number, one endpoint in common) shows whether the data reached it (`TCPReach`: one past
    /// the highest byte it received from the sender) and whether it acknowledged it.
    static func followStalls(_ nodes: [NodeTraffic], offsets: [Int64?], result: inout Result) -> [Item] {
        var wanted: Set<UInt32> = []
        for n in nodes { for c in n.captures { for f in c.flows where f.stall != nil { if let i = f.reach.isn { wanted.insert(i) } } } }
        guard !wanted.isEmpty else { return [] }
        var byISN: [UInt32: [(node: Int, capture: Int, flow: NodeTraffic.Flow)]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                for f in c.flows { if let i = f.reach.isn, wanted.contains(i) { byISN[i, default: []].append((ni, ci, f)) } }
                for h in c.handshakes where wanted.contains(h.isn) { byISN[h.isn, default: []].append((ni, ci, NodeTraffic.Flow(h))) }
            }
        }
        func reference(_ t: Int64, _ node: Int) -> Int64 { t.saturatingSubtract(offsets[node] ?? 0) }
        struct Key: Hashable, Comparable {
            var kind: Kind
            var origin: Int
            var dest: Int
            var receiver: Endpoint
            static func < (a: Key, b: Key) -> Bool { (a.kind, a.origin, a.dest, a.receiver) < (b.kind, b.origin, b.dest, b.receiver) }
        }
        struct Case {
            var capture: Int
            var flow: NodeTraffic.Flow
            var stall: RetransmissionStall
            var view: (capture: Int, flow: NodeTraffic.Flow)
            var stallFromClient: Bool { flow.stallFromClient }
        }
        var groups: [Key: [Case]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                for f in c.flows {
                    guard let stall = f.stall, let isn = f.reach.isn else { continue }
                    let sender = f.stallFromClient ? f.client : f.server, receiver = f.stallFromClient ? f.server : f.client
                    // Followed from the sending node only: the receiving node's capture may hold the same resends arriving.
                    guard n.hosting(sender.address) != nil, n.hosting(receiver.address) == nil,
                          let dest = destination(of: [receiver.address], nodes: nodes, excluding: ni) else { continue }
                    let views = (byISN[isn] ?? []).filter { v in
                        v.node == dest && (v.flow.client == f.client || v.flow.server == f.server)
                            && (v.flow.reach.responderISN == nil || f.reach.responderISN == nil || v.flow.reach.responderISN == f.reach.responderISN)
                            && distance(reference(v.flow.firstTime, dest), reference(f.firstTime, ni)) <= matchWindow
                    }
                    // The capture closest to the receiver that saw the segment, else any that holds the connection.
                    let view = views.last { $0.flow.stall?.sequence == stall.sequence } ?? views.first
                    guard let view else {
                        result.notFollowed["a resent data segment whose connection the destination node's captures do not hold (they keep connections with anomalies and a sample of the others)", default: 0] += 1
                        continue
                    }
                    // It reached that capture when the capture saw the same segment resent there too; acknowledged,
                    // when the receiver's acknowledgment went past it.
                    let arrived = view.flow.stall?.sequence == stall.sequence && view.flow.stallFromClient == f.stallFromClient
                    let acked = view.flow.reach.acknowledged(past: stall.sequence, fromClient: f.stallFromClient) == true
                    let kind: Kind = acked ? .answerLost : arrived ? .droppedOnNode : .lostOnTheWay
                    groups[Key(kind: kind, origin: ni, dest: dest, receiver: receiver), default: []]
                        .append(Case(capture: ci, flow: f, stall: stall, view: (view.capture, view.flow)))
                }
            }
        }
        var items: [Item] = []
        for (key, cases) in groups.sorted(by: { $0.key < $1.key }) {
            let o = nodes[key.origin], d = nodes[key.dest]
            let examples = Array(cases.prefix(maxExamples))
            let dc = d.captures[examples[0].view.capture]
            let sends = cases.map(\.stall.frames.count).reduce(0, +)
            let sizes = Set(cases.map(\.stall.ipLength)).sorted()
            let size = sizes.count == 1 ? "\(sizes[0])-byte" : "\(sizes.first!)–\(sizes.last!)-byte"
            let what = "\(cases.count) data segment\(cases.count == 1 ? "" : "s") (\(size) IP packets) from \(o.node) to \(key.receiver)"
            let were = cases.count == 1 ? "was" : "were"
            func senderFilter(_ c: Case) -> String {
                let s = c.stallFromClient ? c.flow.client : c.flow.server
                return DisplayFilter.ip("src", s.address) + " && tcp.srcport==\(s.port) && tcp.seq_raw==\(c.stall.sequence) && tcp.len>0"
            }
            var evidence: [Evidence] = examples.map { c in
                .packets("\(o.node) sent the segment at seq \(c.stall.sequence) \(c.stall.frames.count) times, never acknowledged",
                         file: "\(o.node):\(o.captures[c.capture].file)", frames: c.stall.frames, times: c.stall.times.map { Optional($0) },
                         filter: senderFilter(c))
            }
            let text: String
            switch key.kind {
            case .lostOnTheWay:
                evidence += examples.map { c in
                    .value("\(d.node)'s capture of the same connection holds nothing at or past that sequence: the filter matches nothing there",
                           file: "\(d.node):\(d.captures[c.view.capture].file)", text: senderFilter(c))
                }
                text = "\(what) left \(o.node) (\(sends) sends) and never reached \(d.node), whose capture \(dc.file) holds the same connection but none of the resent segments: packets this large are lost between the nodes (a path MTU below \(sizes.first!) bytes whose ICMP never arrives, or a filter on the way)"
            case .droppedOnNode:
                evidence += examples.map { c in
                    .packets("\(d.node)'s capture received the segment \(c.view.flow.stall?.frames.count ?? 0) times and \(d.node) never acknowledged it",
                             file: "\(d.node):\(d.captures[c.view.capture].file)", frames: c.view.flow.stall?.frames ?? [],
                             times: (c.view.flow.stall?.times ?? []).map { Optional($0) }, filter: senderFilter(c))
                }
                var why: [String] = []
                let device = d.hosting(key.receiver.address)?.device
                if let device, let m = d.mtus[device], m.mtu < sizes.last! {
                    why.append("\(device), the device \(key.receiver.address) is behind on \(d.node), has MTU \(m.mtu), below the \(sizes.last!) bytes of the packets")
                    evidence.append(.line("\(d.node): MTU of \(device)", file: "\(d.node):\(m.file)", line: m.line.number, text: m.line.text))
                }
                let (rules, ruleEvidence) = explanation(d, server: key.receiver)
                evidence += ruleEvidence
                text = "\(what) reached \(d.node) (its capture \(dc.file)) and \(were) never acknowledged: dropped on \(d.node) after its capture point; "
                    + (why.isEmpty ? rules : (why + (ruleEvidence.isEmpty ? [] : [rules])).joined(separator: "; "))
            case .answerLost:
                text = "\(what) reached \(d.node), which acknowledged \(cases.count == 1 ? "it" : "them") (its capture \(dc.file)), but \(o.node) never received the acknowledgments: they were lost between the nodes on the way back"
            }
            let first = cases.map { reference($0.stall.times.first ?? $0.flow.firstTime, key.origin) }.min()!
            let last = cases.map { reference($0.stall.times.last ?? $0.flow.lastTime, key.origin) }.max()!
            items.append(Item(dropped: key.kind == .droppedOnNode, text: text, evidence: evidence, high: true, first: first, last: last))
        }
        return items
    }

    // MARK: - Clocks

    /// A request and its answer as one node's capture saw them: a handshake's SYN and SYN-ACK, or a DNS
    /// query sent once and its answer (a resent one is left out: which query each node saw first is unknown).
    struct Exchange {
        enum Key: Hashable {
            case handshake(isn: UInt32, responderISN: UInt32)
            case lookup(question: UInt64)
        }
        var node: Int
        var client: Endpoint
        var server: Endpoint
        var request: Int64
        var answer: Int64
    }

    static func estimateClocks(_ nodes: [NodeTraffic]) -> ([NodeClock], [ClockPair]) {
        // Each exchange by what identifies it on every node, once per node.
        var seenBy: [Exchange.Key: [Exchange]] = [:]
        func note(_ k: Exchange.Key, _ e: Exchange) {
            if seenBy[k]?.contains(where: { $0.node == e.node }) == true { return }
            seenBy[k, default: []].append(e)
        }
        for (ni, n) in nodes.enumerated() {
            for c in n.captures {
                for h in c.handshakes {
                    note(.handshake(isn: h.isn, responderISN: h.responderISN),
                         Exchange(node: ni, client: h.client, server: h.server, request: h.synTime, answer: h.synAckTime))
                }
                for s in c.sightings where s.sends == 1 {
                    guard let answer = s.responseTime else { continue }
                    note(.lookup(question: s.question), Exchange(node: ni, client: s.client, server: s.server, request: s.firstTime, answer: answer))
                }
            }
        }
        struct PairKey: Hashable { var a: Int; var b: Int }
        var samples: [PairKey: [(offset: Int64, delay: Int64, aToB: Int64, bToA: Int64)]] = [:]
        for (_, seen) in seenBy where seen.count >= 2 {
            for i in 0..<seen.count {
                for j in (i + 1)..<seen.count {
                    // t1, t4 on the lower node's clock, t2, t3 on the other's.
                    let (a, b) = seen[i].node < seen[j].node ? (seen[i], seen[j]) : (seen[j], seen[i])
                    guard a.client == b.client || a.server == b.server else { continue }
                    let t1 = a.request, t4 = a.answer, t2 = b.request, t3 = b.answer
                    let offset = (t2.saturatingSubtract(t1) / 2).saturatingAdd(t3.saturatingSubtract(t4) / 2)
                    let delay = distance(t4.saturatingSubtract(t1), t3.saturatingSubtract(t2))
                    let k = PairKey(a: a.node, b: b.node)
                    if samples[k, default: []].count < 4096 { samples[k, default: []].append((offset, delay, 0, 0)) }
                }
            }
        }
        var pairs: [ClockPair] = []
        var edges: [Int: [(to: Int, offset: Int64, uncertainty: Int64)]] = [:]
        for (k, list) in samples.sorted(by: { ($0.key.a, $0.key.b) < ($1.key.a, $1.key.b) }) {
            let best = list.min { ($0.delay, $0.offset) < ($1.delay, $1.offset) }!
            let delays = list.map(\.delay).sorted()
            // One-way latencies with the best offset: b's SYN time minus a's, corrected, and back.
            var aToB: [Int64] = [], bToA: [Int64] = []
            for s in list {
                // offset_s − offset_best = (one-way a→b − one-way b→a)/2 for that sample; with delay_s = sum of both ways.
                let diff = s.offset.saturatingSubtract(best.offset)
                aToB.append((s.delay / 2).saturatingAdd(diff))
                bToA.append((s.delay / 2).saturatingSubtract(diff))
            }
            aToB.sort()
            bToA.sort()
            pairs.append(ClockPair(a: nodes[k.a].node, b: nodes[k.b].node, offsetMs: ms(best.offset), uncertaintyMs: ms(best.delay / 2),
                                   samples: list.count, minRoundTripMs: ms(delays[0]), medianRoundTripMs: ms(delays[delays.count / 2]),
                                   oneWayMsAToB: ms(aToB[aToB.count / 2]), oneWayMsBToA: ms(bToA[bToA.count / 2])))
            edges[k.a, default: []].append((k.b, best.offset, best.delay / 2))
            edges[k.b, default: []].append((k.a, -best.offset, best.delay / 2))
        }
        // The reference: the first node with a pair; every node it reaches gets an offset (sums along the chain).
        let reference = (0..<nodes.count).first { edges[$0] != nil } ?? 0
        var offset: [Int: (Int64, Int64)] = [reference: (0, 0)]
        var queue = [reference]
        while !queue.isEmpty {
            let n = queue.removeFirst()
            for e in edges[n] ?? [] where offset[e.to] == nil {
                offset[e.to] = (offset[n]!.0.saturatingAdd(e.offset), offset[n]!.1.saturatingAdd(e.uncertainty))
                queue.append(e.to)
            }
        }
        let clocks = nodes.indices.map { i in
            NodeClock(node: nodes[i].node, offsetMs: offset[i].map { ms($0.0) }, uncertaintyMs: offset[i].map { ms($0.1) },
                      reference: nodes[reference].node)
        }
        return (clocks, pairs)
    }

    /// |a − b| without trapping (times come from untrusted captures).
    static func distance(_ a: Int64, _ b: Int64) -> Int64 {
        let (d, overflow) = a.subtractingReportingOverflow(b)
        return overflow || d == .min ? .max : Swift.abs(d)
    }

    static func ms(_ ns: Int64) -> Double { (Double(ns) / 1000).rounded() / 1000 }
}
