import Artifacts
import Wire

/// The capture points one connection attempt passed, across the captures of its sending and receiving
/// nodes (a pod's veth, the node's uplink, the other node's uplink, the other pod's veth), and the ones it
/// did not reach: the path the issue of following packets asks for, "left node 1's pod veth → left its
/// uplink → reached node 2's uplink → never reached the pod".
extension PacketPaths {
    /// One capture that holds the packets: its first frame of them and when (that node's clock).
    struct Point {
        var node: Int
        var capture: Int
        var frame: Int
        var time: Int64
    }

    /// Every capture that holds the packets, in the order the first of them reached each (reference
    /// clock), and the captures of the nodes looked at that ran at the time and hold none of them.
    struct Route {
        var seen: [Point]
        var missed: [(node: Int, capture: Int)]
    }

    /// The route of packets sent at `times` (the origin node's clock) and held by `seen`.
    static func route(_ seen: [Point], originNode: Int, times: [Int64], nodes: [NodeTraffic], among: [Int], offsets: [Int64?],
                      uncertainty: [Int64]) -> Route {
        func reference(_ p: Point) -> Int64 { p.time.saturatingSubtract(offsets[p.node] ?? 0) }
        var missed: [(node: Int, capture: Int)] = []
        for node in among {
            let offset = (offsets[node] ?? 0).saturatingSubtract(offsets[originNode] ?? 0)
            let margin = coverMargin.saturatingAdd(uncertainty[node]).saturatingAdd(uncertainty[originNode])
            for (ci, c) in nodes[node].captures.enumerated() where !seen.contains(where: { $0.node == node && $0.capture == ci }) {
                if times.allSatisfy({ c.covers($0.saturatingAdd(offset), margin: margin) }) { missed.append((node, ci)) }
            }
        }
        // One point per capture: the first time the packets reached it.
        var first: [Int: Point] = [:]
        for p in seen where first[p.node << 32 | p.capture].map({ reference(p) < reference($0) }) ?? true { first[p.node << 32 | p.capture] = p }
        return Route(seen: first.values.sorted { (reference($0), $0.node, $0.capture) < (reference($1), $1.node, $1.capture) }, missed: missed)
    }

    static func route(_ seen: [Sighting], origin: Sighting, nodes: [NodeTraffic], among: [Int], offsets: [Int64?], uncertainty: [Int64]) -> Route {
        route(seen.map { Point(node: $0.node, capture: $0.capture, frame: $0.synFrames.first ?? 0, time: $0.firstTime) },
              originNode: origin.node, times: origin.synTimes, nodes: nodes, among: among, offsets: offsets, uncertainty: uncertainty)
    }

    /// A capture of the sending node that ran while the SYNs were sent, holds none of them, and lies after the
    /// capture that does on the way out: a connection from the same client to another node reached it later
    /// than that capture (same ISN, the node's one clock). The attempt died on the sending node, between the two.
    static func diedOnSender(_ origin: Sighting, seen: [Sighting], nodes: [NodeTraffic],
                             cache: inout [LeavingKey: [UInt32: Sighting]]) -> (capture: Int, sample: Sighting)? {
        let n = nodes[origin.node]
        guard let last = seen.filter({ $0.node == origin.node }).max(by: { $0.firstTime < $1.firstTime }) else { return nil }
        /// Connections from the client to another node, as one capture holds them (ISN → sighting); worked out
        /// once per capture and client (a node may hold thousands of attempts of one client).
        func leaving(_ ci: Int) -> [UInt32: Sighting] {
            let key = LeavingKey(node: origin.node, capture: ci, client: origin.client.address)
            if let known = cache[key] { return known }
            var out: [UInt32: Sighting] = [:]
            let c = n.captures[ci]
            for h in c.handshakes where h.client.address == origin.client.address && n.hosting(h.server.address) == nil {
                out[h.isn] = out[h.isn] ?? Sighting(node: origin.node, capture: ci, h)
            }
            for a in c.attempts where a.client.address == origin.client.address && n.hosting(a.server.address) == nil {
                out[a.isn] = out[a.isn] ?? Sighting(node: origin.node, capture: ci, a)
            }
            cache[key] = out
            return out
        }
        let upstream = leaving(last.capture)
        for (ci, c) in n.captures.enumerated() where !seen.contains(where: { $0.node == origin.node && $0.capture == ci }) {
            guard origin.synTimes.allSatisfy({ c.covers($0, margin: coverMargin) }) else { continue }
            let here = leaving(ci)
            // The earliest other connection (not this attempt) that reached this capture after the one holding the attempt.
            var sample: Sighting?
            for s in here.values where s.isn != origin.isn {
                guard let up = upstream[s.isn], up.firstTime < s.firstTime else { continue }
                if sample.map({ (s.firstTime, s.isn) < ($0.firstTime, $0.isn) }) ?? true { sample = s }  // the same whatever the table's order
            }
            if let sample { return (ci, sample) }
        }
        return nil
    }

    struct LeavingKey: Hashable {
        var node: Int
        var capture: Int
        var client: IPAddress
    }

    /// The route as one line of evidence: `node-a captures/cl-ap0.pcap (frame 31) → node-a captures/cl-a0.pcap
    /// (frame 31) → node-b captures/cl-b0.pcap (frame 31); ran at the time and hold none: node-b captures/cl-bp0.pcap`.
    static func routeEvidence(_ r: Route, nodes: [NodeTraffic], what: String, file: String) -> Evidence {
        var text = r.seen.map { s in "\(nodes[s.node].node) \(nodes[s.node].captures[s.capture].file) (frame \(s.frame))" }
            .joined(separator: " → ")
        if !r.missed.isEmpty {
            text += "; ran at the time and hold none: " + r.missed.map { "\(nodes[$0.node].node) \(nodes[$0.node].captures[$0.capture].file)" }
                .joined(separator: ", ")
        }
        return .value("Where the \(what) were seen, in the order they reached each capture (clock offsets applied)", file: file, text: text)
    }
}
