import Wire

/// `dns-unanswered`: DNS queries seen on the wire that never got an answer.
public struct DNSUnansweredCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "dns-unanswered", title: "DNS queries never answered (capture)",
            rationale: """
                A query without an answer costs the client its full resolver timeout (glibc: 5 s per try, \
                `attempts:2`) before it tries again or fails: this is the "DNS takes 5 or 10 seconds" symptom. \
                Lookups are matched on the client side (client address and port, DNS id, name and type), so an \
                answer from another address than the one queried, as after Service NAT, still counts; resends of \
                the same question belong to the same lookup. A lookup is judged unanswered only if the capture \
                went on at least `min_silence` after it, did not drop packets and has no gap right after it; a \
                lookup the client resent is judged anyway (the resend shows the first went unanswered).
                """,
            severity: .high,
            evidence: "Per server: the unanswered questions with their query frames and resends, and a display filter.",
            fix: """
                Check the DNS path for the servers named: CoreDNS pod health and its errors log, conntrack drops \
                and `insert_failed` on the node (`conntrack -S`), NetworkPolicies allowing UDP and TCP 53 to \
                kube-dns, and the upstream resolvers' reachability.
                """,
            parameters: [
                CheckParameter("min_silence", 5, unit: "s", "capture time after the last query needed to call it unanswered"),
            ],
            passingExamples: [
                CheckExample("a query answered in 1 ms", packets: [
                    .dns(0, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x1234, "web.default.svc.cluster.local"),
                    .dns(0.001, "10.96.0.10", 53, "10.244.1.5", 41000, id: 0x1234, "web.default.svc.cluster.local", rcode: 0),
                ]),
            ],
            failingExamples: [
                CheckExample("a query resent after 5 s, never answered", packets: [
                    .dns(0, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x1234, "api.example.com"),
                    .dns(5, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x1234, "api.example.com"),
                    .dns(11, "10.244.1.5", 41002, "10.96.0.10", 53, id: 0x4321, "web.default.svc.cluster.local"),
                    .dns(11.001, "10.96.0.10", 53, "10.244.1.5", 41002, id: 0x4321, "web.default.svc.cluster.local", rcode: 0),
                ], mustCiteFrames: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let silence = Int64(parameters["min_silence"] * 1e9)
        var evidence: [Evidence] = []
        var judged = 0, indeterminate = 0
        for capture in facts.captures {
            let dns = capture.summary.dns
            guard dns.unansweredCount > 0, let end = capture.summary.lastTime else { continue }
            let coverage = CaptureCoverage(capture, facts: facts)
            var sure: [DNSLookup] = []
            var blind: [CaptureCoverage.BlindSpot] = []
            for l in dns.unanswered {
                if let why = coverage.blindSpot(lastSend: l.lastSendTime, sends: l.sends, window: silence) {
                    blind.append(why)
                } else {
                    sure.append(l)
                }
            }
            judged += sure.count
            indeterminate += blind.count
            if let why = blind.first {
                evidence.append(.value("Lookups without an answer that the capture cannot vouch for.", file: capture.file,
                                       text: "\(blind.count) indeterminate; the first because \(why.reason)"))
            }
            var byServer: [IPAddress: [DNSLookup]] = [:]
            for l in sure { byServer[l.server.address, default: []].append(l) }
            for (server, lookups) in byServer.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) where evidence.count < 20 {
                let names = Set(lookups.map(\.question)).sorted().prefix(5).joined(separator: ", ")
                for l in lookups.prefix(3) {
                    evidence.append(l.evidence("\(Format.plural(lookups.count, "lookup")) to \(server) got no answer "
                        + "(\(names)). This one: \(l.question) from \(l.client), sent \(Format.plural(l.sends, "time")); "
                        + "the capture went on \(Timestamp.seconds(end - l.lastSendTime)) after the last.", file: capture.file))
                }
            }
            if dns.unansweredCount > dns.unanswered.count {
                evidence.append(.value("More unanswered lookups were counted than itemised (memory cap).", file: capture.file,
                                       text: "\(dns.unansweredCount) lookups"))
                judged += dns.unansweredCount - dns.unanswered.count
            }
            if dns.evicted > 0 {
                evidence.append(.value("More lookups were open at once than the tracker keeps (\(DNSSummary.maxOpenLookups)): the oldest "
                    + "were closed early, and those still without an answer count as unanswered.", file: capture.file,
                    text: "\(dns.evicted) lookups closed early"))
            }
        }
        guard judged > 0 else { return [] }
        var summary = "\(judged) DNS lookup\(judged == 1 ? "" : "s") got no answer: resent without one, or the capture "
            + "went on \(Timestamp.seconds(silence)) or more after a single query"
        summary += indeterminate > 0 ? " (\(indeterminate) more the capture could not judge)." : "."
        return [finding(.high, summary: summary, evidence: evidence)]
    }
}
