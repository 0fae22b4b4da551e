import Artifacts

/// `coredns-upstream-timeout`: CoreDNS's upstream resolvers did not answer.
public struct CoreDNSUpstreamTimeoutCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "coredns-upstream-timeout", title: "CoreDNS upstream resolvers time out",
            rationale: """
                `[ERROR] plugin/errors: 2 NAME TYPE: read udp A->U:53: i/o timeout` means CoreDNS forwarded the query \
                to upstream U and got no answer in time: the query never reached U, U ignored it, or the answer never \
                came back. It is an egress or upstream problem (security groups, VPC resolver limits, a dead resolver \
                in /etc/resolv.conf of the node), not a client-to-CoreDNS one, and clients see SERVFAIL or 5 s stalls. \
                The loop plugin's HINFO probes are excluded (`coredns-loop-probe`).
                """,
            severity: .medium,
            evidence: "The `errors` plugin lines, and the timeout count per upstream address.",
            fix: """
                Check reachability of each upstream from the CoreDNS pods (`dig @U`), the `forward` plugin's list \
                (drop dead resolvers, set `policy sequential`/`health_check`), cloud resolver rate limits (e.g. \
                1024 packets/s per ENI on AWS), and conntrack/egress NAT on the path.
                """,
            parameters: [CheckParameter("high_count", 10, unit: "lines", "timeouts at which the finding is high (sustained)")],
            passingExamples: [
                CheckExample("only loop-plugin probes", "k8s/coredns/coredns.log", [
                    "[ERROR] plugin/errors: 2 3797952284163317497.7063757873447144811. HINFO: read udp 192.168.209.17:36807->20.128.8.8:53: i/o timeout",
                ]),
            ],
            failingExamples: [
                CheckExample("an upstream that does not answer (kubernetes#86762)", "k8s/coredns/coredns.log", [
                    "[ERROR] plugin/errors: 2 lcr.acjus.jus.br. A: read udp 169.254.25.10:16773->169.254.25.10:53: i/o timeout",
                    "[ERROR] plugin/errors: 2 lcr.acjus.jus.br. AAAA: read udp 172.25.2.124:8902->172.31.136.23:53: i/o timeout",
                ], mustCite: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let timeouts = facts.coreDNS.errors.filter { $0.match.isTimeout && !$0.match.isLoopProbe }
        guard !timeouts.isEmpty else { return [] }
        var upstreams: [String: Int] = [:]
        for t in timeouts { upstreams[t.match.upstream ?? "unknown", default: 0] += 1 }
        let list = upstreams.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) (\($0.value))" }
        let names = Set(timeouts.map(\.match.name)).count
        return [finding(Double(timeouts.count) >= parameters["high_count"] ? .high : .medium,
                        summary: "\(Format.plural(timeouts.count, "upstream timeout")) for \(Format.plural(names, "name")); upstreams: \(list.joined(separator: ", ")).",
                        evidence: Evidence.lines("CoreDNS got no answer from its upstream.", timeouts))]
    }
}
