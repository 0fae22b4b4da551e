import Artifacts

/// `conntrack-table-full`: the kernel dropped packets because the connection-tracking table was full.
public struct ConntrackTableFullCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "conntrack-table-full", title: "Connection-tracking table full: new connections dropped",
            rationale: """
                Every connection through kube-proxy's NAT, and every UDP DNS query, needs a conntrack entry. \
                When the table is full the kernel drops the first packet of new flows (`nf_conntrack: table full, \
                dropping packet`): clients see SYN timeouts and 5-second DNS delays while established flows carry on. \
                The `drop` and `early_drop` counters of `/proc/net/stat/nf_conntrack` (or `conntrack -S`) count the same drops.
                """,
            severity: .critical,
            evidence: "The kernel's table-full lines with their times, rate-limited message counts, drop counters, and the `nf_conntrack_max`/`count` lines.",
            fix: """
                Raise `net.netfilter.nf_conntrack_max` (and `nf_conntrack_buckets`), through kube-proxy's \
                `conntrack.maxPerCore`/`conntrack.min` where kube-proxy manages it; shorten \
                `nf_conntrack_tcp_timeout_established`/`_close_wait`; reduce connection churn (keep-alive, NodeLocal DNSCache).
                """,
            passingExamples: [
                CheckExample("a quiet kernel log", "node/dmesg.txt", [
                    "[    5.120301] nf_conntrack: default automatic helper assignment has been turned off for security reasons",
                    "[   12.030102] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
                ]),
                CheckExample("conntrack counters without drops", "net/conntrack-S.txt", [
                    "cpu=0   \tfound=12 invalid=3 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0",
                    "cpu=1   \tfound=9 invalid=1 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0",
                ]),
            ],
            failingExamples: [
                CheckExample("dmesg with the doubled module prefix", "node/dmesg.txt", [
                    "[2833841.216211] nf_conntrack: nf_conntrack: table full, dropping packet",
                    "[2833841.216900] net_ratelimit: 38 callbacks suppressed",
                    "[2833874.822698] nf_conntrack: nf_conntrack: table full, dropping packet",
                ], mustCite: [1, 3]),
                CheckExample("a recent kernel naming the namespace (6.x, from fixtures/conntrack-full-bundle.tar.gz)", "node/dmesg.txt", [
                    "[21641.381297] net_ratelimit: 13 callbacks suppressed",
                    "[21641.381304] nf_conntrack: nf_conntrack: table full in netns 4026532246, dropping packet",
                ], mustCite: [2]),
                CheckExample("kern.log through syslog, and the sysctls", files: [
                    ("var/log/kern.log", "Jun  8 10:48:13 compute4 kernel: [1694413.621694] nf_conntrack: table full, dropping packet"),
                    ("node/sysctl-a.txt", "net.netfilter.nf_conntrack_count = 262100\nnet.netfilter.nf_conntrack_max = 262144"),
                ], mustCite: ["var/log/kern.log:1", "node/sysctl-a.txt:2"]),
                CheckExample("drops counted in /proc/net/stat/nf_conntrack", "net/proc-net-stat-nf_conntrack.txt", [
                    "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
                    "0001fff0  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000310 00000002 00000000  00000000 00000000 00000000 00000000",
                    "0001fff0  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000022 00000000 00000000  00000000 00000000 00000000 00000000",
                ], mustCite: [2, 3]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.conntrackTableFull)
        let drops = (facts.conntrack?.value.counters["drop"] ?? 0) + (facts.conntrack?.value.counters["early_drop"] ?? 0)
        guard !lines.isEmpty || drops > 0 else { return [] }
        var parts: [String] = []
        if !lines.isEmpty {
            var s = "The kernel logged \(Format.plural(lines.count, "\"table full, dropping packet\" line"))\(Format.span(lines, facts))"
            let suppressed = facts.suppressedKernelMessages
            if suppressed > 0 { s += " (and rate-limited \(suppressed) more kernel messages)" }
            parts.append(s)
        }
        if drops > 0 { parts.append("conntrack statistics count \(drops) packets dropped (drop + early_drop) since boot") }
        var evidence = Evidence.lines("The kernel dropped a packet: the conntrack table was full.", lines)
        if drops > 0, let c = facts.conntrack {
            evidence += Evidence.lines("Per-CPU conntrack statistics.", file: c.file, c.value.lines, cap: 4)
            evidence.append(.value("Conntrack drop + early_drop counters, summed over CPUs.", file: c.file, text: "\(drops)"))
        }
        evidence += [
            facts.sysctlEvidence("net.netfilter.nf_conntrack_max", "The table's size."),
            facts.sysctlEvidence("net.netfilter.nf_conntrack_count", "Entries in use when the bundle was collected."),
        ].compactMap { $0 }
        return [finding(.critical, summary: parts.joined(separator: "; ") + ".", evidence: evidence)]
    }
}
