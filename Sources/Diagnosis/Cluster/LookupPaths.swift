import Artifacts
import Wire

/// DNS lookups over UDP followed across the nodes' captures, as `PacketPaths` follows TCP openings
/// (docs/cluster.md, "DNS lookups").
///
/// **Matching.** A lookup is a client's query and its resends (same socket, DNS id, name and type;
/// `DNSLookup`). Another node's capture holds the same lookup when it has a lookup with the same id, type
/// and name (`dns.id`, `dns.qry.type`, `dns.qry.name` without case: NAT rewrites none of them) and the same
/// client or the same server endpoint (DNAT of a Service address to a CoreDNS pod rewrites the server,
/// SNAT the client), within `matchWindow` once the clock offset is applied.
///
/// **Where it died**, for a lookup the sending node (the one hosting the client) saw go unanswered:
/// - the destination node's capture holds it and its answer: the answer was lost on the way back;
/// - it holds the queries and no answer: dropped on that node (with what in its bundle explains it);
/// - it holds none of them, though one of its captures ran at the time and saw other traffic from the
///   same client address: lost on the path between;
/// - otherwise nothing is claimed (counted as not followed, with why).
/// A lookup answered only after resends whose destination saw fewer queries than were sent lost the
/// others on the way (medium: the client waited a resolver timeout for each).
extension PacketPaths {
    struct LookupCase {
        var capture: Int
        var lookup: DNSLookup
        /// The destination's own record of the lookup, or the capture that ran at the time and saw the client.
        var atDest: (capture: Int, sighting: DNSSighting)?
        var coverage: (capture: Int, frames: [Int], filter: String)?
        /// Queries that never reached the destination.
        var lost: Int
        /// The capture points the queries passed and missed.
        var route: Route?
    }

    static func followLookups(_ nodes: [NodeTraffic], offsets: [Int64?], uncertainty: [Int64], result: inout Result) -> [Item] {
        func question(_ l: DNSLookup) -> UInt64 { DNSSighting.question(id: l.id, qtype: l.qtype, name: l.name) }
        var wanted: Set<UInt64> = []
        for n in nodes { for c in n.captures { for l in c.troubledLookups { wanted.insert(question(l)) } } }
        guard !wanted.isEmpty else { return [] }
        var byQuestion: [UInt64: [(node: Int, capture: Int, sighting: DNSSighting)]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                for s in c.sightings where wanted.contains(s.question) { byQuestion[s.question, default: []].append((ni, ci, s)) }
            }
        }
        func reference(_ t: Int64, _ node: Int) -> Int64 { t.saturatingSubtract(offsets[node] ?? 0) }

        struct Seen: Hashable { var question: UInt64; var client: Endpoint }
        var done: Set<Seen> = []
        var groups: [GroupKey: [LookupCase]] = [:]
        for (ni, n) in nodes.enumerated() {
            for (ci, c) in n.captures.enumerated() {
                for l in c.troubledLookups {
                    let q = question(l), unanswered = l.rcode == nil
                    // Followed once, from the node hosting the client when a bundle does.
                    if let host = nodes.indices.first(where: { nodes[$0].hosting(l.client.address) != nil }), host != ni { continue }
                    guard n.hosting(l.server.address) == nil, done.insert(Seen(question: q, client: l.client)).inserted else { continue }
                    let t = reference(l.firstTime, ni)
                    let matching = (byQuestion[q] ?? []).filter { s in
                        !(s.node == ni && s.capture == ci) && (s.sighting.client == l.client || s.sighting.server == l.server)
                            && distance(reference(s.sighting.firstTime, s.node), t) <= matchWindow
                    }
                    let elsewhere = matching.filter { $0.node != ni }
                    let servers = Set([l.server.address] + elsewhere.map(\.sighting.server.address))
                    guard let dest = destination(of: servers, nodes: nodes, excluding: ni) else {
                        if unanswered { result.notFollowed["a DNS lookup whose server address is hosted by no node of the cluster", default: 0] += 1 }
                        continue
                    }
                    // The destination's record with the most queries (an answered one first).
                    let seen = elsewhere.filter { $0.node == dest }
                        .max { ($0.sighting.responseFrame == nil ? 0 : 1, $0.sighting.sends) < ($1.sighting.responseFrame == nil ? 0 : 1, $1.sighting.sends) }
                    var kase = LookupCase(capture: ci, lookup: l, atDest: seen.map { ($0.capture, $0.sighting) }, coverage: nil, lost: 0)
                    let kind: Kind
                    if let s = seen?.sighting {
                        if unanswered {
                            kind = s.responseFrame != nil ? .answerLost : .droppedOnNode
                        } else if s.sends < l.sends {
                            kind = .lostOnTheWay
                            kase.lost = l.sends - s.sends
                        } else {
                            continue  // every query arrived: the wait was the server's, which the node's own checks judge
                        }
                    } else {
                        let offset = offsets[dest].map { $0.saturatingSubtract(offsets[ni] ?? 0) } ?? 0
                        guard unanswered, let cov = coverage(l, dest: nodes[dest], offset: offset,
                                                            margin: coverMargin.saturatingAdd(uncertainty[dest].saturatingAdd(uncertainty[ni]))) else {
                            if unanswered {
                                result.notFollowed["a DNS lookup: no capture of the destination node ran at the time and saw other traffic from the client", default: 0] += 1
                            }
                            continue
                        }
                        kind = .lostOnTheWay
                        kase.coverage = cov
                        kase.lost = l.sends
                    }
                    if unanswered { result.followed += 1 }
                    let points = [Point(node: ni, capture: ci, frame: l.queryFrames[0], time: l.firstTime)]
                        + matching.map { Point(node: $0.node, capture: $0.capture, frame: $0.sighting.firstFrame, time: $0.sighting.firstTime) }
                    kase.route = route(points, originNode: ni, times: l.queryTimes, nodes: nodes, among: [ni, dest], offsets: offsets,
                                       uncertainty: uncertainty)
                    let server = seen?.sighting.server ?? l.server
                    groups[GroupKey(kind: kind, origin: ni, dest: dest, server: server, retransmittedOnly: !unanswered), default: []].append(kase)
                }
            }
        }
        return groups.sorted { $0.key < $1.key }.map { lookupItem($0.key, $0.value, nodes: nodes, offsets: offsets) }
    }

    /// A capture of `dest` that ran while the lookup's queries were sent (its clock `offset` from the
    /// sender's) and saw other traffic from the same client address: its frames and a filter on them.
    static func coverage(_ l: DNSLookup, dest: NodeTraffic, offset: Int64, margin: Int64) -> (capture: Int, frames: [Int], filter: String)? {
        for (ci, c) in dest.captures.enumerated() {
            guard l.queryTimes.allSatisfy({ c.covers($0.saturatingAdd(offset), margin: margin) }) else { continue }
            if let s = c.sightings.first(where: { $0.client.address == l.client.address }) {
                return (ci, [s.firstFrame] + [s.responseFrame].compactMap { $0 },
                        DisplayFilter.ip("addr", s.client.address) + " && udp.port==\(s.client.port)")
            }
            if let h = c.handshakes.first(where: { $0.client.address == l.client.address }) {
                return (ci, [h.synFrame, h.synAckFrame], DisplayFilter.ip("addr", h.client.address) + " && tcp.port==\(h.client.port)")
            }
        }
        return nil
    }

    static func lookupItem(_ key: GroupKey, _ cases: [LookupCase], nodes: [NodeTraffic], offsets: [Int64?]) -> Item {
        let o = nodes[key.origin], d = nodes[key.dest]
        let examples = Array(cases.prefix(maxExamples))
        let oc = o.captures[examples[0].capture]
        let client = examples[0].lookup.client.address
        let names = Array(Set(cases.map(\.lookup.name))).sorted()
        let named = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
        let lookups = "\(cases.count) DNS lookup\(cases.count == 1 ? "" : "s") from \(o.node) (\(client)) to \(key.server) (\(named))"
        let ids = Set(examples.map(\.lookup.id)).sorted().map(String.init).joined(separator: ", ")
        let queryFilter = "dns.flags.response==0 && dns.id in {\(ids)}"
        var evidence: [Evidence] = [
            .packets("\(o.node) sent the queries (\(oc.file)\(oc.device.map { ", \($0)" } ?? ""))", file: "\(o.node):\(oc.file)",
                     frames: examples.flatMap(\.lookup.queryFrames), times: examples.flatMap(\.lookup.queryTimes).map { Optional($0) },
                     filter: queryFilter),
        ]
        if let route = examples[0].route, route.seen.count + route.missed.count > 1 {
            evidence.append(routeEvidence(route, nodes: nodes, what: cases.count == 1 ? "queries" : "first lookup's queries", file: "\(o.node):\(oc.file)"))
        }
        let sent = cases.map(\.lookup.sends).reduce(0, +)
        let seen = examples.compactMap(\.atDest)
        let dc = d.captures[seen.first?.capture ?? examples.first { $0.coverage != nil }?.coverage?.capture ?? 0]
        func destFrames(_ withAnswers: Bool) -> [Int] {
            seen.flatMap { [$0.sighting.firstFrame] + (withAnswers ? [$0.sighting.responseFrame].compactMap { $0 } : []) }
        }
        func destTimes(_ withAnswers: Bool) -> [Int64?] {
            seen.flatMap { [$0.sighting.firstTime] + (withAnswers ? [$0.sighting.responseTime].compactMap { $0 } : []) }
        }
        let text: String
        switch key.kind {
        case .lostOnTheWay where key.retransmittedOnly:
            let lost = cases.map(\.lost).reduce(0, +)
            evidence.append(.packets("\(d.node) received fewer queries (\(dc.file)): the first of each lookup it received", file: "\(d.node):\(dc.file)",
                                     frames: destFrames(false), times: destTimes(false), filter: queryFilter))
            text = "\(lost) of the \(sent) queries of \(lookups) left \(o.node) and never reached \(d.node), which received and answered a resend; each lost query cost the client its resolver timeout"
        case .lostOnTheWay:
            evidence.append(.value("\(d.node)'s capture \(dc.file) holds none of these queries: the same filter matches nothing there",
                                   file: "\(d.node):\(dc.file)", text: queryFilter))
            if let cov = examples.first(where: { $0.coverage != nil })?.coverage {
                evidence.append(.packets("\(d.node)'s capture did see other traffic from \(client) at the time", file: "\(d.node):\(d.captures[cov.capture].file)",
                                         frames: cov.frames, times: [], filter: cov.filter))
            }
            text = "\(sent) queries of \(lookups) left \(o.node) and never reached \(d.node), whose capture \(dc.file) ran at the time and saw other traffic from \(client)"
                + uplinkCaveat(examples[0].route, origin: key.origin, nodes: nodes)
        case .answerLost:
            evidence.append(.packets("\(d.node) received the queries and answered (\(dc.file)): the first query and the answer of each lookup",
                                     file: "\(d.node):\(dc.file)", frames: destFrames(true), times: destTimes(true), filter: "dns.id in {\(ids)}"))
            evidence.append(.value("\(o.node)'s capture holds no answer to them", file: "\(o.node):\(oc.file)",
                                   text: "dns.flags.response==1 && dns.id in {\(ids)}"))
            text = "\(lookups) reached \(d.node), which answered, but no answer reached \(o.node): the answers were lost between the nodes"
        case .droppedOnNode:
            let received = seen.map(\.sighting.sends).reduce(0, +)
            evidence.append(.packets("\(d.node) received the queries (\(dc.file)\(dc.device.map { ", \($0)" } ?? "")) and sent no answer: the first query of each lookup",
                                     file: "\(d.node):\(dc.file)", frames: destFrames(false), times: destTimes(false), filter: queryFilter))
            let (why, whyEvidence) = explanation(d, server: key.server, transport: "udp")
            evidence += whyEvidence
            let route = examples[0].route
            let last = route?.seen.last { $0.node == key.dest }.map { d.captures[$0.capture].file } ?? dc.file
            let notReached = route?.missed.filter { $0.node == key.dest }.map { d.captures[$0.capture].file } ?? []
            text = "\(received) queries of \(lookups) reached \(d.node) and went no further: the last point they were seen is \(d.node)'s capture \(last)"
                + (notReached.isEmpty ? "" : " (not \(notReached.joined(separator: ", ")), which ran at the time)") + "; " + why
        }
        func reference(_ t: Int64) -> Int64 { t.saturatingSubtract(offsets[key.origin] ?? 0) }
        return Item(dropped: key.kind == .droppedOnNode, text: text, evidence: evidence, high: !key.retransmittedOnly,
                    first: cases.map { reference($0.lookup.firstTime) }.min()!, last: cases.map { reference($0.lookup.lastSendTime) }.max()!)
    }
}
