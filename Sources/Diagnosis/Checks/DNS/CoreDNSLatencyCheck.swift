import Artifacts

/// `coredns-latency`: CoreDNS answered slowly (from its `log` plugin's durations).
public struct CoreDNSLatencyCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "coredns-latency", title: "CoreDNS answers slowly",
            rationale: """
                The `log` plugin records how long CoreDNS took to answer each query. Cluster names are answered from \
                memory in well under a millisecond; a high 95th percentile or answers taking seconds mean CoreDNS is \
                overloaded (CPU-throttled, too few replicas, cache too small) or waiting on its upstream resolvers, \
                and every pod's connection setup waits with it. A duration near 5 s with rflags `-` means CoreDNS \
                never got an upstream answer.
                """,
            severity: .medium,
            evidence: "p50/p95/p99/max of all logged queries, and the slowest answers' log lines.",
            fix: """
                Check CoreDNS CPU throttling and replicas (or the autoscaler), enable/enlarge `cache`, look at the \
                `errors` lines for upstream timeouts, and consider NodeLocal DNSCache.
                """,
            parameters: [
                CheckParameter("p95_ms", 100, unit: "ms", "95th percentile of query durations above which the check reports"),
                CheckParameter("slow_seconds", 1, unit: "s", "a single answer at least this slow is reported (1 or more)"),
            ],
            passingExamples: [
                CheckExample("fast cluster answers", "k8s/coredns/coredns-abc.log", [
                    "[INFO] 10.244.1.3:40090 - 51243 \"A IN kubernetes.default.svc.cluster.local. udp 54 false 512\" NOERROR qr,aa,rd 106 0.0000988s",
                    "2021-03-11T07:03:56.565Z [INFO] 172.27.172.128:34346 - 7481 \"A IN rwc.default.svc.cluster.local. tcp 50 false 65535\" NOERROR qr,aa,rd 98 0.0002043s",
                ]),
            ],
            failingExamples: [
                CheckExample("no upstream answer for 5 s (coredns#3941)", "k8s/coredns/coredns-abc.log", [
                    "[INFO] 10.244.2.137:39886 - 31370 \"A IN us.data.logs.insight.rapid7.com. udp 49 false 512\" NOERROR - 0 5.000450902s",
                    "[INFO] 10.244.2.137:39887 - 31371 \"A IN kubernetes.default.svc.cluster.local. udp 54 false 512\" NOERROR qr,aa,rd 106 0.0000988s",
                ], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let dns = facts.coreDNS
        guard dns.queries > 0 else { return [] }
        let p50 = Double(dns.latency.valueAtPercentile(50)) / 1e6
        let p95 = Double(dns.latency.valueAtPercentile(95)) / 1e6
        let p99 = Double(dns.latency.valueAtPercentile(99)) / 1e6
        let maxSeconds = Double(dns.latency.max) / 1e6
        let slowLimit = parameters["slow_seconds"]
        let slow = dns.slow.filter { $0.match.duration >= slowLimit }
        guard p95 * 1000 > parameters["p95_ms"] || !slow.isEmpty else { return [] }
        var summary = "\(dns.queries) logged queries: p50 \(Format.ms(p50)), p95 \(Format.ms(p95)), p99 \(Format.ms(p99)), max \(Format.ms(maxSeconds))"
        // Examples are kept from 1 s up; the full count is known for the default threshold.
        if !slow.isEmpty { summary += "; \(Format.plural(slowLimit == 1 ? dns.slowCount : slow.count, "answer")) took \(Int(slowLimit)) s or more" }
        let noAnswer = slow.filter { $0.match.flags == "-" }.count
        if noAnswer > 0 { summary += " (\(noAnswer) with no response written)" }
        let worst = slow.sorted { $0.match.duration > $1.match.duration }
        return [finding(.medium, summary: summary + ".",
                        evidence: [.value("Latency percentiles of the logged queries (p50 / p95 / p99 / max).", file: dns.files.first,
                                          text: [p50, p95, p99, maxSeconds].map(Format.ms).joined(separator: " / "))]
                            + Evidence.lines("A slow answer.", worst))]
    }
}
