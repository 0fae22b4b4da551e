import Artifacts

/// `tcp-memory-pressure`: TCP ran out of its memory budget or orphan allowance.
public struct TCPMemoryPressureCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-memory-pressure", title: "TCP out of memory or orphaned sockets",
            rationale: """
                `TCP: out of memory -- consider tuning tcp_mem` means TCP hit its global memory limit and started \
                dropping packets and shrinking windows; `too many orphaned sockets` means closed-but-unfinished \
                sockets exceeded `tcp_max_orphans` and are being reset. Both show up as stalls and resets on every \
                connection on the node.
                """,
            severity: .high,
            evidence: "The kernel's TCP memory lines or sockstat's TCP line, and the `tcp_mem` / `tcp_max_orphans` lines.",
            fix: """
                Raise `net.ipv4.tcp_mem` (pages) to fit the node's memory and connection count, find socket leaks \
                (`ss -s`, `ss -tanp state close-wait`), and shrink per-socket buffers if they were raised.
                """,
            passingExamples: [
                CheckExample("no pressure", "node/dmesg.txt", ["[ 1.0] TCP: Hash tables configured (established 262144 bind 65536)"]),
                CheckExample("sockstat well below tcp_mem", files: [
                    ("proc/net/sockstat", "sockets: used 412\nTCP: inuse 37 orphan 0 tw 12 alloc 44 mem 9"),
                    ("node/sysctl-a.txt", "net.ipv4.tcp_mem = 93123\t124165\t186246"),
                ]),
            ],
            failingExamples: [
                CheckExample("tcp_mem exhausted", files: [
                    ("node/dmesg.txt", "[ 88123.1] TCP: out of memory -- consider tuning tcp_mem"),
                    ("node/sysctl-a.txt", "net.ipv4.tcp_mem = 93123\t124165\t186246"),
                ], mustCite: ["node/dmesg.txt:1", "node/sysctl-a.txt:1"]),
                CheckExample("sockstat at tcp_mem's maximum", files: [
                    ("proc/net/sockstat", "sockets: used 90211\nTCP: inuse 88012 orphan 2 tw 1031 alloc 88020 mem 186246"),
                    ("node/sysctl-a.txt", "net.ipv4.tcp_mem = 93123\t124165\t186246"),
                ], mustCite: ["proc/net/sockstat:2", "node/sysctl-a.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.tcpMemory)
        guard !lines.isEmpty else { return fromSockstat(facts) }
        let evidence = Evidence.lines("TCP memory pressure.", lines) + [
            facts.sysctlEvidence("net.ipv4.tcp_mem", "TCP's memory limits in pages (min, pressure, max)."),
            facts.sysctlEvidence("net.ipv4.tcp_max_orphans", "The orphaned-socket allowance."),
        ].compactMap { $0 }
        return [finding(.high, summary: "The kernel logged \(Format.plural(lines.count, "TCP memory warning"))\(Format.span(lines, facts)).", evidence: evidence)]
    }

    /// sockstat's TCP pages against `tcp_mem`'s pressure and maximum.
    func fromSockstat(_ facts: Facts) -> [Finding] {
        guard let st = facts.sockstat, let pages = st.value.tcpMemoryPages, let line = st.value.line,
              let mem = facts.sysctl?.value.ints("net.ipv4.tcp_mem"), mem.count == 3, mem[1] > 0 else { return [] }
        let atMax = pages >= mem[2]
        guard atMax || pages > mem[1] else { return [] }
        let evidence = [Evidence.line("TCP sockets hold \(pages) pages now.", file: st.file, line)]
            + [facts.sysctlEvidence("net.ipv4.tcp_mem", "TCP's memory limits in pages (min, pressure, max).")].compactMap { $0 }
        let summary = atMax
            ? "TCP sockets hold \(pages) pages, tcp_mem's maximum (\(mem[2])): new segments are dropped and windows shrunk."
            : "TCP sockets hold \(pages) pages, above tcp_mem's pressure threshold (\(mem[1]); maximum \(mem[2])): the kernel is shrinking socket buffers."
        return [finding(atMax ? .high : .medium, summary: summary, evidence: evidence)]
    }
}
