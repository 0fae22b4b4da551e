import Artifacts

/// `resolv-ndots-search`: a resolv.conf whose ndots and search list multiply external lookups.
public struct NdotsSearchListCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "resolv-ndots-search", title: "resolv.conf: high ndots with a long search list",
            rationale: """
                glibc and musl try a name with fewer than `ndots` dots against every `search` suffix before the name \
                itself. With Kubernetes' `ndots:5` and a search list of N suffixes, resolving an external name like \
                `api.example.com` costs up to 2 × (N + 1) queries (A and AAAA), N + 1 round trips of latency, and \
                load on CoreDNS and its upstreams.
                """,
            severity: .low,
            evidence: "The resolv.conf `search` and `options` lines, and the worst-case query count.",
            fix: """
                Lower ndots for workloads that call external names (`dnsConfig.options: [{name: ndots, value: "2"}]`), \
                use trailing-dot FQDNs, trim the node's search domains (they are appended to the pods' list).
                """,
            parameters: [
                CheckParameter("min_ndots", 5, unit: "dots", "ndots at or above which the check looks at the search list"),
                CheckParameter("min_search", 3, unit: "suffixes", "search list length that makes the check report"),
            ],
            passingExamples: [
                CheckExample("a node's resolv.conf", "net/resolv.conf", ["nameserver 10.0.0.2", "search ec2.internal"]),
                CheckExample("a pod with ndots lowered", "k8s/pod-resolv.conf", [
                    "search default.svc.cluster.local svc.cluster.local cluster.local",
                    "nameserver 10.96.0.10",
                    "options ndots:2",
                ]),
            ],
            failingExamples: [
                CheckExample("the ClusterFirst default (coredns#2340)", "k8s/pod-resolv.conf", [
                    "nameserver 100.64.0.10",
                    "search default.svc.cluster.local svc.cluster.local cluster.local ec2.internal",
                    "options ndots:5",
                ], mustCite: [2, 3]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        facts.resolvConfs.compactMap { r in
            let conf = r.value
            guard Double(conf.ndots) >= parameters["min_ndots"], Double(conf.search.count) >= parameters["min_search"] else { return nil }
            let queries = 2 * (conf.search.count + 1)
            let evidence = [conf.searchLine, conf.ndotsLine].compactMap { $0 }.map { Evidence.line("Search list and ndots.", file: r.file, $0) }
            return finding(.low, summary: "\(r.file): ndots \(conf.ndots) with \(conf.search.count) search \(conf.search.count == 1 ? "suffix" : "suffixes")"
                           + ": a name with fewer than \(conf.ndots) dots costs up to \(queries) queries (A and AAAA) before it resolves.",
                           evidence: evidence)
        }
    }
}
