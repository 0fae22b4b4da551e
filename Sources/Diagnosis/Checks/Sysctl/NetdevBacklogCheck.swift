import Artifacts

/// `netdev-backlog-drops`: packets dropped because the per-CPU input backlog was full.
public struct NetdevBacklogCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "netdev-backlog-drops", title: "Packets dropped at the per-CPU backlog (softnet)",
            rationale: """
                Received packets wait in a per-CPU backlog of `net.core.netdev_max_backlog` packets (1000 by default) \
                before the stack processes them. The second column of `/proc/net/softnet_stat` counts packets dropped \
                because it was full: loss inside the node, invisible to the switch, typical of busy nodes with many \
                veths (each pod's packets are queued through the backlog). The third column counts budget exhaustion \
                (`netdev_budget`).
                """,
            severity: .medium,
            evidence: "Dropped packets and time squeezes summed from softnet_stat, and the `netdev_max_backlog` line.",
            fix: """
                Raise `net.core.netdev_max_backlog` (e.g. 5000–30000) and, if time squeezes are high, \
                `net.core.netdev_budget`/`netdev_budget_usecs`; spread interrupts (RPS/RSS, irqbalance).
                """,
            passingExamples: [
                CheckExample("this machine's softnet_stat (real)", "node/softnet_stat.txt", [
                    "000007b6 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000",
                    "000c83c0 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000000",
                ]),
            ],
            failingExamples: [
                CheckExample("drops on CPU 1", files: [
                    ("node/softnet_stat.txt", "2b8e4c1a 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n31f02e77 0000a3c1 00000f20 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"),
                    ("node/sysctl-a.txt", "net.core.netdev_max_backlog = 1000"),
                ], mustCite: ["node/sysctl-a.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.softnet, s.value.dropped > 0 else { return [] }
        var evidence = [facts.sysctlEvidence("net.core.netdev_max_backlog", "The per-CPU backlog size.")].compactMap { $0 }
        evidence.append(.value("Packets dropped / time squeezes since boot, summed over \(Format.plural(s.value.cpus, "CPU")).",
                               file: s.file, text: "\(s.value.dropped) / \(s.value.timeSqueezed)"))
        let share = s.value.processed > 0 ? Double(s.value.dropped) / Double(s.value.processed + s.value.dropped) : 0
        return [finding(.medium, summary: "\(s.value.dropped) packets were dropped at the input backlog since boot (\(Format.percent(share)) of received); \(s.value.timeSqueezed) budget squeezes.",
                        evidence: evidence)]
    }
}
