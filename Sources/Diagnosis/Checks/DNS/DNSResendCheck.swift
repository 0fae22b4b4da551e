import Wire

/// `dns-resend-timeout`: answers that arrived only after the client's resolver timed out and resent.
public struct DNSResendCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "dns-resend-timeout", title: "DNS answered only after a resolver timeout (the 5-second delay)",
            rationale: """
                When a query or its answer is lost, glibc waits `timeout` (5 s by default) and resends the same \
                query from the same socket: the lookup succeeds, but the application waited 5 s (10 s when the \
                resend is lost too). On Kubernetes the classic cause is the conntrack race of kubernetes#56903: \
                glibc sends the A and AAAA queries in parallel from one socket, both race through DNAT to the DNS \
                Service, one loses the conntrack insertion and is dropped (`insert_failed` grows). A pair counts as \
                parallel when the A and AAAA queries for one name left the same socket within 10 ms and exactly \
                one of them had to be resent or was never answered.
                """,
            severity: .high,
            evidence: "Lookups answered after a resend with the wait, their query and answer frames; parallel A/AAAA pairs where one was lost.",
            fix: """
                Add `options single-request-reopen` (glibc) to the pods' dnsConfig so A and AAAA use different \
                sockets, or run NodeLocal DNSCache (no DNAT for pod DNS); lower ndots so fewer queries race; \
                check `conntrack -S` for `insert_failed` and update the kernel if it lacks the conntrack clash \
                resolution fixes. Musl-based images (Alpine) ignore these options: prefer NodeLocal DNSCache.
                """,
            parameters: [
                CheckParameter("min_wait", 1, unit: "s", "wait between the first query and its resend to report"),
            ],
            passingExamples: [
                CheckExample("A and AAAA both answered at once", packets: [
                    .dns(0, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x1111, "api.example.com", type: 1),
                    .dns(0.0001, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x2222, "api.example.com", type: 28),
                    .dns(0.002, "10.96.0.10", 53, "10.244.1.5", 41000, id: 0x1111, "api.example.com", type: 1, rcode: 0),
                    .dns(0.002, "10.96.0.10", 53, "10.244.1.5", 41000, id: 0x2222, "api.example.com", type: 28, rcode: 0),
                ]),
            ],
            failingExamples: [
                CheckExample("the AAAA of a parallel pair lost, resent 5 s later", packets: [
                    .dns(0, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x1111, "api.example.com", type: 1),
                    .dns(0.0001, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x2222, "api.example.com", type: 28),
                    .dns(0.002, "10.96.0.10", 53, "10.244.1.5", 41000, id: 0x1111, "api.example.com", type: 1, rcode: 0),
                    .dns(5.0001, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x2222, "api.example.com", type: 28),
                    .dns(5.002, "10.96.0.10", 53, "10.244.1.5", 41000, id: 0x2222, "api.example.com", type: 28, rcode: 0),
                ], mustCiteFrames: [2, 4, 5]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let minWait = Int64(parameters["min_wait"] * 1e9)
        var evidence: [Evidence] = []
        var slow = 0, pairs = 0
        var waits: [Int64] = []
        for capture in facts.captures {
            let dns = capture.summary.dns
            let resent = dns.resent.filter { $0.queryTimes.count > 1 && $0.queryTimes[1] - $0.queryTimes[0] >= minWait }
            slow += resent.count
            waits += resent.compactMap(\.latency)
            pairs += dns.parallelPairCount
            for p in dns.parallelPairs where evidence.count < 10 {
                let lost = p.first.sends > 1 || p.first.rcode == nil ? p.first : p.second
                let other = lost.qtype == p.first.qtype ? p.second : p.first
                var note = "\(lost.client) sent \(p.first.typeName) and \(p.second.typeName) for \(lost.name) from one socket "
                    + "\(Timestamp.seconds(p.gap)) apart; \(other.typeName) was answered"
                if let l = other.latency { note += " in \(Timestamp.seconds(l))" }
                note += ", \(lost.typeName) "
                note += lost.latency.map { "only after \(lost.sends) sends, \(Timestamp.seconds($0)) after the first query." }
                    ?? "never (\(lost.sends) sends)."
                let frames = (other.frames + lost.frames).sorted()
                let times = (other.times + lost.times).sorted()
                evidence.append(.packets(note, file: capture.file, frames: frames, times: times,
                                         filter: "udp.port==\(lost.client.port) && dns.qry.name==\"\(lost.name)\""))
            }
            for l in resent.prefix(5) where evidence.count < 20 && !dns.parallelPairs.contains(where: { $0.first.queryFrames[0] == l.queryFrames[0] || $0.second.queryFrames[0] == l.queryFrames[0] }) {
                let gaps = zip(l.queryTimes.dropFirst(), l.queryTimes).map { Timestamp.seconds($0 - $1) }.joined(separator: ", ")
                evidence.append(l.evidence("\(l.question) from \(l.client) to \(l.server): resent after \(gaps), answered "
                    + "\(l.rcodeName ?? "") \(Timestamp.seconds(l.latency ?? 0)) after the first query.", file: capture.file))
            }
        }
        guard slow > 0 || pairs > 0 else { return [] }
        var summary = "\(slow) DNS lookup\(slow == 1 ? "" : "s") succeeded only after the resolver timed out and resent the query"
        if let worst = waits.max() { summary += " (waits up to \(Timestamp.seconds(worst)))" }
        summary += "."
        if pairs > 0 {
            summary += " \(pairs) parallel A/AAAA pair\(pairs == 1 ? "" : "s") from one socket lost one query: the conntrack race "
                + "signature (kubernetes#56903)."
        }
        return [finding(.high, summary: summary, evidence: evidence)]
    }
}
