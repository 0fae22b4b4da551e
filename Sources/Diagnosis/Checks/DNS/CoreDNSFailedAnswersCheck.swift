import Artifacts

/// `coredns-servfail-refused`: CoreDNS answered SERVFAIL or REFUSED.
public struct CoreDNSFailedAnswersCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "coredns-servfail-refused", title: "CoreDNS answered SERVFAIL or REFUSED",
            rationale: """
                SERVFAIL means CoreDNS could not get an answer (upstream timeout or error, DNSSEC failure, a plugin \
                error); REFUSED means a zone or policy refused the query. Clients treat both as failures and retry or \
                give up, unlike NXDOMAIN, which is a normal answer. Cached SERVFAILs (flag `aa` on a repeated name) \
                keep failing for the cache's denial TTL.
                """,
            severity: .low,
            evidence: "The failed answers' log lines, the counts and share, and the names most affected.",
            fix: """
                Read CoreDNS's `errors` lines for the cause (often `i/o timeout` to an upstream), check the `forward` \
                upstreams and egress to them, and the names involved (a malformed name in an app's config is common).
                """,
            parameters: [CheckParameter("medium_share", 0.05, unit: "ratio", "share of answers at which the finding is medium")],
            passingExamples: [
                CheckExample("NXDOMAIN is a normal answer", "k8s/coredns/coredns.log", [
                    "[INFO] 10.42.192.21:49959 - 43955 \"A IN example.com.ns.svc.cluster.local. udp 60 false 512\" NXDOMAIN qr,aa,rd 153 0.000205631s",
                    "[INFO] 10.42.192.21:49960 - 43956 \"A IN example.com. udp 29 false 512\" NOERROR qr,rd,ra 74 0.010564637s",
                ]),
            ],
            failingExamples: [
                CheckExample("SERVFAIL for an external name (coredns#3775)", "k8s/coredns/coredns.log", [
                    "2020-03-25T16:36:53.162Z [INFO] 10.42.192.21:33768 - 19438 \"A IN EXTERNALURL.cluster.local. udp 46 false 512\" NXDOMAIN qr,rd 139 0.000143259s",
                    "2020-03-25T16:36:53.164Z [INFO] 10.42.192.21:51916 - 60408 \"A IN EXTERNALURL. udp 32 false 512\" SERVFAIL qr,rd 32 0.001564637s",
                ], mustCite: [2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let dns = facts.coreDNS
        let servfail = dns.rcodes["SERVFAIL"] ?? 0, refused = dns.rcodes["REFUSED"] ?? 0
        guard servfail + refused > 0, dns.queries > 0 else { return [] }
        let share = Double(servfail + refused) / Double(dns.queries)
        var names: [String: Int] = [:]
        for f in dns.failed { names[f.match.name, default: 0] += 1 }
        let top = names.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { "\($0.key) (\($0.value))" }
        return [finding(share >= parameters["medium_share"] ? .medium : .low,
                        summary: "\(servfail) SERVFAIL and \(refused) REFUSED of \(dns.queries) logged answers (\(Format.percent(share))); names: \(top.joined(separator: ", ")).",
                        evidence: Evidence.lines("A failed answer.", dns.failed))]
    }
}
