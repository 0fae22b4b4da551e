import Artifacts

/// `dns-search-amplification`: ndots search-path expansion multiplies DNS queries.
public struct SearchPathAmplificationCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "dns-search-amplification", title: "DNS search-path amplification (ndots)",
            rationale: """
                With the Kubernetes default `ndots:5`, a name with fewer than five dots is first tried with every \
                search suffix (`NAME.ns.svc.cluster.local`, `NAME.svc.cluster.local`, `NAME.cluster.local`, the node's \
                domain) before the name itself: each futile try is an NXDOMAIN round trip, doubled for A and AAAA. \
                Definition used here: per client address the last 32 logged queries are remembered; when a query for \
                name N is answered (NOERROR), each remembered NXDOMAIN query of the same type whose name is N followed \
                by further labels is a sibling (a search-list expansion tried first). A chain is the siblings plus the \
                answer; its factor is its length. Siblings answered with `ra` and without `aa`, or slower than 1 ms, \
                were forwarded upstream (the node's own search domain) and add upstream latency and load.
                """,
            severity: .low,
            evidence: "The longest chain's log lines (NXDOMAIN siblings, then the answer), the average factor, the NXDOMAIN share, queries that went upstream, and the top clients.",
            fix: """
                Use fully qualified names with a trailing dot (`api.example.com.`) in clients, lower ndots for the \
                workload (`dnsConfig.options: [{name: ndots, value: "2"}]`), enable CoreDNS `autopath`, or NodeLocal \
                DNSCache to absorb the extra queries.
                """,
            parameters: [
                CheckParameter("min_siblings", 3, unit: "queries", "NXDOMAIN siblings before an answer that make a chain count"),
                CheckParameter("nxdomain_share", 0.5, unit: "ratio", "NXDOMAIN share of all answers that is reported by itself"),
            ],
            passingExamples: [
                CheckExample("a fully qualified name", "k8s/coredns/coredns.log", [
                    "[INFO] 10.244.1.3:40090 - 1 \"A IN api.example.com. udp 33 false 512\" NOERROR qr,rd,ra 49 0.0151s",
                ]),
            ],
            failingExamples: [
                CheckExample("a 4-dot name walks every suffix (kubernetes#80243)", "k8s/coredns/coredns.log", [
                    "2019-07-19T08:24:57.570Z [INFO] 10.244.1.3:40090 - 11 \"A IN kubernetes.default.svc.cluster.local.default.svc.cluster.local. udp 80 false 512\" NXDOMAIN qr,aa,rd 173 0.0002208s",
                    "2019-07-19T08:24:57.571Z [INFO] 10.244.1.3:40090 - 12 \"A IN kubernetes.default.svc.cluster.local.svc.cluster.local. udp 72 false 512\" NXDOMAIN qr,aa,rd 165 0.0001448s",
                    "2019-07-19T08:24:57.572Z [INFO] 10.244.1.3:40090 - 13 \"A IN kubernetes.default.svc.cluster.local.cluster.local. udp 68 false 512\" NXDOMAIN qr,aa,rd 161 0.0001778s",
                    "2019-07-19T08:24:57.575Z [INFO] 10.244.1.3:40090 - 14 \"A IN kubernetes.default.svc.cluster.local.intermax.local. udp 69 false 512\" NXDOMAIN qr,aa,rd,ra 158 0.0069123s",
                    "2019-07-19T08:24:57.576Z [INFO] 10.244.1.3:40090 - 15 \"A IN kubernetes.default.svc.cluster.local. udp 54 false 512\" NOERROR qr,aa,rd 106 0.0000988s",
                ], mustCite: [1, 2, 3, 4, 5]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let dns = facts.coreDNS
        guard dns.queries > 0 else { return [] }
        let chains = dns.chains
        let minSiblings = Int(parameters["min_siblings"])
        let long = chains.examples.filter { $0.siblings.count >= minSiblings }
        let nx = dns.rcodes["NXDOMAIN"] ?? 0
        let nxShare = Double(nx) / Double(dns.queries)
        guard !long.isEmpty || (nxShare > parameters["nxdomain_share"] && chains.chainsWithSiblings > 0) else { return [] }
        let factor = chains.chainsWithSiblings > 0 ? Double(chains.chainedQueries) / Double(chains.chainsWithSiblings) : 1
        let upstream = long.reduce(0) { $0 + $1.upstreamSiblings }
        let clients = chains.clientsWithChains.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { "\($0.key) (\($0.value))" }
        var summary = "\(Format.plural(chains.chainsWithSiblings, "resolved name")) needed search-list expansions first: "
            + "\(Int((factor * 10).rounded()) / 10).\(Int((factor * 10).rounded()) % 10) queries per name on average, "
            + "\(Format.plural(long.count, "chain")) with \(minSiblings)+ NXDOMAIN siblings; NXDOMAIN is \(Format.percent(nxShare)) of \(dns.queries) answers"
        if upstream > 0 { summary += "; \(Format.plural(upstream, "expansion")) went upstream" }
        summary += ". Top clients: \(clients.joined(separator: ", "))."
        var evidence: [Evidence] = []
        if let worst = (long.isEmpty ? chains.examples : long).max(by: { $0.factor < $1.factor }) {
            evidence = (worst.siblings + [worst.answer]).map {
                .line($0.match.rcode == "NXDOMAIN" ? "A futile search-list expansion." : "The name that was answered (factor \(worst.factor)).",
                      file: $0.file, line: $0.line, text: $0.text)
            }
        }
        return [finding(upstream > 0 ? .medium : .low, summary: summary, evidence: evidence)]
    }
}
