import Artifacts
import Wire

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
                CheckExample("on the wire: one expansion before a Service name", packets: [
                    .dns(0, "10.244.1.3", 40090, "10.96.0.10", 53, id: 1, "kubernetes.default.default.svc.cluster.local"),
                    .dns(0.001, "10.96.0.10", 53, "10.244.1.3", 40090, id: 1, "kubernetes.default.default.svc.cluster.local", rcode: 3),
                    .dns(0.002, "10.244.1.3", 40090, "10.96.0.10", 53, id: 2, "kubernetes.default.svc.cluster.local"),
                    .dns(0.003, "10.96.0.10", 53, "10.244.1.3", 40090, id: 2, "kubernetes.default.svc.cluster.local", rcode: 0),
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
                CheckExample("on the wire: an external name tried under three cluster suffixes first", packets: Self.wireChain,
                             mustCiteFrames: [1, 2, 3, 4, 5, 6, 7, 8]),
            ])
    }

    static let wireChain: [PacketSketch] = {
        var packets: [PacketSketch] = []
        for (i, name) in ["api.example.com.default.svc.cluster.local", "api.example.com.svc.cluster.local",
                          "api.example.com.cluster.local", "api.example.com"].enumerated() {
            let t = Double(i) * 0.002, id = UInt16(i + 1)
            packets.append(.dns(t, "10.244.1.3", 40090, "10.96.0.10", 53, id: id, name))
            packets.append(.dns(t + 0.001, "10.96.0.10", 53, "10.244.1.3", 40090, id: id, name, rcode: i == 3 ? 0 : 3))
        }
        return packets
    }()

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let parts = [fromLogs(facts, parameters), fromCaptures(facts, parameters)].compactMap { $0 }
        guard !parts.isEmpty else { return [] }
        return [finding(parts.map(\.2).max()!, summary: parts.map(\.0).joined(separator: " "), evidence: parts.flatMap(\.1))]
    }

    /// Chains seen on the wire: the same definition applied to lookups (DNSLookups), also when the
    /// answered name is the same base under another search domain (`kubernetes.default.svc…`).
    func fromCaptures(_ facts: Facts, _ parameters: CheckParameters) -> (String, [Evidence], Severity)? {
        let minSiblings = Int(parameters["min_siblings"])
        var chains = 0, chained = 0, long = 0
        var evidence: [Evidence] = []
        var clients: [IPAddress: Int] = [:]
        for capture in facts.captures {
            let dns = capture.summary.dns
            chains += dns.chainCount
            chained += dns.chainedLookups
            for (c, n) in dns.chainsPerClient { clients[c, default: 0] += n }
            let worthy = dns.chains.filter { $0.siblings.count >= minSiblings }
            long += worthy.count
            if let worst = worthy.max(by: { $0.factor < $1.factor }), evidence.count < 10 {
                let all = worst.siblings + [worst.answer]
                let names = worst.siblings.map { $0.name + " NXDOMAIN" } + [worst.answer.name + " " + (worst.answer.rcodeName ?? "")]
                evidence.append(.packets("\(worst.client) asked for \(worst.answer.question) after \(worst.siblings.count) futile expansions "
                    + "(factor \(worst.factor)): \(names.joined(separator: " → ")).", file: capture.file,
                    frames: all.flatMap(\.frames).sorted(), times: all.flatMap(\.times).sorted(),
                    filter: "ip.src==\(worst.client) && dns.flags.rcode==3 || " + worst.answer.displayFilter))
            }
        }
        guard long > 0 else { return nil }
        let factor = Double(chained) / Double(chains)
        let top = clients.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { "\($0.key) (\($0.value))" }
        let summary = "In the captures \(Format.plural(chains, "lookup")) resolved only after search-list expansions "
            + "(\(Int((factor * 10).rounded()) / 10).\(Int((factor * 10).rounded()) % 10) queries per name on average, "
            + "\(Format.plural(long, "chain")) with \(minSiblings)+ NXDOMAIN siblings). Top clients: \(top.joined(separator: ", "))."
        return (summary, evidence, .low)
    }

    func fromLogs(_ facts: Facts, _ parameters: CheckParameters) -> (String, [Evidence], Severity)? {
        let dns = facts.coreDNS
        guard dns.queries > 0 else { return nil }
        let chains = dns.chains
        let minSiblings = Int(parameters["min_siblings"])
        let long = chains.examples.filter { $0.siblings.count >= minSiblings }
        let nx = dns.rcodes["NXDOMAIN"] ?? 0
        let nxShare = Double(nx) / Double(dns.queries)
        guard !long.isEmpty || (nxShare > parameters["nxdomain_share"] && chains.chainsWithSiblings > 0) else { return nil }
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
        return (summary, evidence, upstream > 0 ? .medium : .low)
    }
}
