import Artifacts

/// `syn-backlog-low`: the SYN queue is small on a node whose listeners overflowed.
public struct SynBacklogCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "syn-backlog-low", title: "Small SYN backlog on a node with dropped connection requests",
            rationale: """
                `net.ipv4.tcp_max_syn_backlog` sizes the queue of half-open connections. When it overflows the kernel \
                sends SYN cookies or, with cookies off, drops the SYN. Its default depends on memory (128–1024); it \
                only matters when SYNs were actually dropped or cookies sent, so the check reports only then.
                """,
            severity: .medium,
            evidence: "The `tcp_max_syn_backlog` line, the SYN-flooding kernel lines, and the SyncookiesSent counter.",
            fix: "Set `net.ipv4.tcp_max_syn_backlog = 4096` (or more) together with `net.core.somaxconn`; keep `tcp_syncookies = 1`.",
            parameters: [CheckParameter("min", 4096, unit: "requests", "tcp_max_syn_backlog below which the check reports (with symptoms)")],
            passingExamples: [
                CheckExample("small backlog but no symptom", "node/sysctl-a.txt", ["net.ipv4.tcp_max_syn_backlog = 512"]),
            ],
            failingExamples: [
                CheckExample("SYNs dropped", files: [
                    ("node/sysctl-a.txt", "net.ipv4.tcp_max_syn_backlog = 512\nnet.ipv4.tcp_syncookies = 0"),
                    ("node/dmesg.txt", "[ 77.1] TCP: request_sock_TCP: Possible SYN flooding on port 8443. Dropping request.  Check SNMP counters."),
                ], mustCite: ["node/sysctl-a.txt:1", "node/dmesg.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let v = facts.sysctl?.value.int("net.ipv4.tcp_max_syn_backlog"), Double(v) < parameters["min"] else { return [] }
        let floods = facts.kernelEvents(.synFlood)
        let cookies = facts.counter("TcpExtSyncookiesSent")?.value.value ?? 0
        let drops = facts.counter("TcpExtListenDrops")?.value.value ?? 0
        guard !floods.isEmpty || cookies > 0 || drops > 0 else { return [] }
        var evidence = [facts.sysctlEvidence("net.ipv4.tcp_max_syn_backlog", "The SYN queue size.")].compactMap { $0 }
        evidence += Evidence.lines("The SYN queue overflowed.", floods, cap: 3)
        if cookies > 0, let e = facts.counterEvidence("TcpExtSyncookiesSent", "SYN cookies sent since boot.") { evidence.append(e) }
        let seen = [floods.isEmpty ? nil : Format.plural(floods.count, "kernel warning"), cookies > 0 ? "\(cookies) SYN cookies sent" : nil,
                    drops > 0 ? "\(drops) listen drops" : nil].compactMap { $0 }
        return [finding(.medium, summary: "tcp_max_syn_backlog is \(v) and the SYN queue overflowed (\(seen.joined(separator: ", "))).",
                        evidence: evidence)]
    }
}
