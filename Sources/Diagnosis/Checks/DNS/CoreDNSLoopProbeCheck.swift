import Artifacts

/// `coredns-loop-probe`: only the loop plugin's HINFO probes timed out (benign noise).
public struct CoreDNSLoopProbeCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "coredns-loop-probe", title: "CoreDNS loop-detection probes timed out (usually benign)",
            rationale: """
                At start-up the `loop` plugin sends an HINFO query for a random numeric name through its upstreams \
                to detect forwarding loops. Many upstream resolvers ignore HINFO, so these lines (`2 1234.5678. HINFO: \
                … i/o timeout`) appear on healthy clusters. They are reported so that nobody chases them; if real \
                queries also time out, `coredns-upstream-timeout` reports those.
                """,
            severity: .info,
            evidence: "The HINFO probe lines.",
            fix: "Nothing, if real queries are answered. They stop when the upstream answers HINFO or the loop plugin is removed.",
            passingExamples: [
                CheckExample("a real query timing out is not a probe", "k8s/coredns/coredns.log", [
                    "[ERROR] plugin/errors: 2 identity-3.eu-de-1.cloud.sap. A: read udp 10.244.1.6:36797->168.63.129.16:53: i/o timeout",
                ]),
            ],
            failingExamples: [
                CheckExample("start-up probes (sealos#4251)", "k8s/coredns/coredns.log", [
                    ".:53",
                    "CoreDNS-1.10.1",
                    "[ERROR] plugin/errors: 2 2192187751527556336.8114813596618842181. HINFO: read udp 10.244.58.198:56111->183.60.82.98:53: i/o timeout",
                    "[ERROR] plugin/errors: 2 2192187751527556336.8114813596618842181. HINFO: read udp 10.244.58.198:51653->183.60.83.19:53: i/o timeout",
                ], mustCite: [3, 4]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let probes = facts.coreDNS.errors.filter { $0.match.isLoopProbe }
        guard !probes.isEmpty else { return [] }
        return [finding(.info, summary: "\(Format.plural(probes.count, "loop-plugin HINFO probe")) timed out; these are not client queries.",
                        evidence: Evidence.lines("A loop-detection probe.", probes, cap: 4))]
    }
}
