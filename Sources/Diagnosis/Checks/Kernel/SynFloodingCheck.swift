import Artifacts

/// `syn-flooding`: listen queues overflowed (the kernel's "Possible SYN flooding" and ListenOverflows).
public struct SynFloodingCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "syn-flooding", title: "Listen queues overflowing (\"Possible SYN flooding\")",
            rationale: """
                `Possible SYN flooding on port P` means a listener's SYN queue or accept queue was full. In a cluster \
                this is rarely an attack: it is a server (an ingress controller, the API server, CoreDNS over TCP) \
                accepting too slowly or listening with a small backlog. With `Sending cookies` connections still \
                complete but lose TCP options; with `Dropping request` clients retransmit their SYN and see 1 s, 3 s, 7 s \
                connect delays. `TcpExtListenOverflows`/`ListenDrops` count the same overflows.
                """,
            severity: .medium,
            evidence: "The kernel's SYN-flooding lines (port, cookies or dropping), ListenOverflows, and the somaxconn / SYN backlog / syncookies lines.",
            fix: """
                Raise `net.core.somaxconn` and `net.ipv4.tcp_max_syn_backlog` (≥ 4096) and the server's own \
                `listen()` backlog (nginx `backlog=`, Go's is somaxconn); scale the service or make it accept faster.
                """,
            passingExamples: [
                CheckExample("no listen overflows", "net/nstat-az.txt", [
                    "#kernel",
                    "TcpExtListenOverflows           0                  0.0",
                    "TcpExtListenDrops               0                  0.0",
                ]),
            ],
            failingExamples: [
                CheckExample("cookies sent on port 443", "node/dmesg.txt", [
                    "[ 8812.001234] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.",
                ], mustCite: [1]),
                CheckExample("requests dropped (6.x format) with the counters", files: [
                    ("node/dmesg.txt", "[91021.51] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:7070. Dropping request.  Check SNMP counters."),
                    ("net/proc-net-netstat.txt", "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 1822 1822"),
                    ("node/sysctl-a.txt", "net.core.somaxconn = 128\nnet.ipv4.tcp_max_syn_backlog = 256"),
                ], mustCite: ["node/dmesg.txt:1", "net/proc-net-netstat.txt:2", "node/sysctl-a.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.synFlood)
        let overflows = facts.counter("TcpExtListenOverflows")?.value.value ?? 0
        let drops = facts.counter("TcpExtListenDrops")?.value.value ?? 0
        guard !lines.isEmpty || overflows > 0 || drops > 0 else { return [] }
        var ports: [String] = []
        var dropping = false
        for l in lines {
            if case .synFlood(let port, let d) = l.match.event {
                if !ports.contains(port) { ports.append(port) }
                dropping = dropping || d
            }
        }
        var parts: [String] = []
        if !lines.isEmpty {
            parts.append("The kernel logged \(Format.plural(lines.count, "SYN-flooding warning")) for port \(ports.joined(separator: ", "))"
                + (dropping ? " and dropped connection requests" : " (SYN cookies sent)") + Format.span(lines, facts))
        }
        if overflows > 0 || drops > 0 { parts.append("\(overflows) listen-queue overflows and \(drops) listen drops since boot") }
        var evidence = Evidence.lines("A listen queue was full.", lines)
        evidence += [
            facts.counterEvidence("TcpExtListenOverflows", "Accept-queue overflows since boot (TcpExt ListenOverflows)."),
            facts.sysctlEvidence("net.core.somaxconn", "The cap on every listen() backlog."),
            facts.sysctlEvidence("net.ipv4.tcp_max_syn_backlog", "The SYN queue size."),
            facts.sysctlEvidence("net.ipv4.tcp_syncookies", "SYN cookies (1: sent when the SYN queue overflows)."),
        ].compactMap { $0 }
        return [finding(dropping ? .high : .medium, summary: parts.joined(separator: "; ") + ".", evidence: evidence)]
    }
}
