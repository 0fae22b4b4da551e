import Artifacts

/// `tcp-tw-reuse`: TIME-WAIT handling that breaks NAT or exhausts ports.
public struct TimeWaitReuseCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-tw-reuse", title: "TIME-WAIT: tcp_tw_recycle set, or many TIME-WAIT sockets without reuse",
            rationale: """
                `tcp_tw_recycle` (removed in Linux 4.12) dropped SYNs from clients behind NAT whose timestamps went \
                backwards: in a cluster every pod is behind NAT, so connections fail at random. Separately, a node \
                that opens many short outbound connections piles up TIME-WAIT sockets, each holding a source port for \
                60 s; without `tcp_tw_reuse = 1` new connections to the same destination run out of ports.
                """,
            severity: .low,
            evidence: "The `tcp_tw_recycle` or `tcp_tw_reuse` line, and `ss -s`'s TCP line with the TIME-WAIT count.",
            fix: """
                Remove `tcp_tw_recycle` from sysctl.d; set `net.ipv4.tcp_tw_reuse = 1` on nodes with heavy outbound \
                connection churn, and prefer connection reuse (keep-alive, pooling) in the clients.
                """,
            parameters: [CheckParameter("time_wait", 20000, unit: "sockets", "TIME-WAIT sockets (ss -s) at which reuse matters")],
            passingExamples: [
                CheckExample("few TIME-WAIT sockets (real ss -s)", files: [
                    ("net/ss-s.txt", "Total: 10\nTCP:   1 (estab 0, closed 0, orphaned 0, timewait 0)"),
                    ("node/sysctl-a.txt", "net.ipv4.tcp_tw_reuse = 2"),
                ]),
            ],
            failingExamples: [
                CheckExample("tcp_tw_recycle on an old kernel", "node/sysctl-a.txt", ["net.ipv4.tcp_tw_recycle = 1", "net.ipv4.tcp_tw_reuse = 0"], mustCite: [1]),
                CheckExample("30 000 TIME-WAIT sockets, reuse loopback-only", files: [
                    ("net/ss-s.txt", "Total: 31200\nTCP:   30410 (estab 380, closed 30011, orphaned 2, timewait 30005)"),
                    ("node/sysctl-a.txt", "net.ipv4.tcp_tw_reuse = 2"),
                ], mustCite: ["net/ss-s.txt:2", "node/sysctl-a.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl?.value else { return [] }
        if s.int("net.ipv4.tcp_tw_recycle") == 1 {
            return [finding(.high, summary: "net.ipv4.tcp_tw_recycle is 1: SYNs from clients behind NAT are dropped at random.",
                            evidence: [facts.sysctlEvidence("net.ipv4.tcp_tw_recycle", "Removed in 4.12; breaks NAT.")].compactMap { $0 })]
        }
        guard let reuse = s.int("net.ipv4.tcp_tw_reuse"), reuse != 1, let ss = facts.sockets, let line = ss.value.line,
              let tw = ss.value.timeWait, Double(tw) >= parameters["time_wait"] else { return [] }
        return [finding(.low, summary: "\(tw) sockets in TIME-WAIT while tcp_tw_reuse is \(reuse)\(reuse == 2 ? " (loopback only)" : "").",
                        evidence: [Evidence.line("Socket summary.", file: ss.file, line)]
                            + [facts.sysctlEvidence("net.ipv4.tcp_tw_reuse", "TIME-WAIT reuse for outgoing connections.")].compactMap { $0 })]
    }
}
