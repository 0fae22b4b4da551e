import Artifacts

/// `bbr-without-fq`: BBR congestion control without the fq qdisc.
public struct BBRWithoutFQCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "bbr-without-fq", title: "BBR congestion control without the fq qdisc",
            rationale: """
                BBR paces packets. Before Linux 4.13 it relied on the `fq` qdisc for pacing; later kernels pace \
                internally, at a higher CPU cost, and `fq` is still what BBR's authors recommend. BBR over \
                `pfifo_fast`/`fq_codel` can burst and lose packets on shallow-buffered paths.
                """,
            severity: .low,
            evidence: "The `default_qdisc` and `tcp_congestion_control` lines.",
            fix: "Set `net.core.default_qdisc = fq` (new qdiscs) and replace the root qdisc on existing interfaces (`tc qdisc replace dev eth0 root fq`).",
            passingExamples: [
                CheckExample("cubic (the default)", "node/sysctl-a.txt", ["net.core.default_qdisc = fq_codel", "net.ipv4.tcp_congestion_control = cubic"]),
                CheckExample("bbr with fq", "node/sysctl-a.txt", ["net.core.default_qdisc = fq", "net.ipv4.tcp_congestion_control = bbr"]),
            ],
            failingExamples: [
                CheckExample("bbr with fq_codel", "node/sysctl-a.txt", ["net.core.default_qdisc = fq_codel", "net.ipv4.tcp_congestion_control = bbr"], mustCite: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl?.value, s["net.ipv4.tcp_congestion_control"]?.value == "bbr",
              let qdisc = s["net.core.default_qdisc"]?.value, qdisc != "fq" else { return [] }
        return [finding(.low, summary: "tcp_congestion_control is bbr but default_qdisc is \(qdisc).", evidence: [
            facts.sysctlEvidence("net.core.default_qdisc", "The default qdisc."),
            facts.sysctlEvidence("net.ipv4.tcp_congestion_control", "The congestion control."),
        ].compactMap { $0 })]
    }
}
