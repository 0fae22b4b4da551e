import Artifacts

/// A root cause: findings joined into one explanation. A cause finding says why, mechanism findings
/// say how it shows on the wire, symptom findings say what users felt. Every link names a finding
/// in the same report, whose evidence a person can check.
public struct RootCause: Codable, Sendable, Equatable {
    /// How sure the chain makes it.
    public enum Confidence: String, Codable, Sendable, Comparable, CaseIterable {
        /// Only symptoms point here; the artifacts that could show the cause were not in the bundle.
        case low
        /// The cause is in the bundle, but nothing else in it shows its effect.
        case medium
        /// The cause and its effect were both seen, in different findings.
        case high

        public static func < (a: Confidence, b: Confidence) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public struct Link: Codable, Sendable, Equatable {
        public enum Role: String, Codable, Sendable {
            /// Shows the cause itself (a full table, a wrong MTU, a slow disk).
            case cause
            /// Shows how the cause acts on packets (fragments, ICMP, black-holed segments).
            case mechanism
            /// What the workload felt (timeouts, unanswered SYNs and queries).
            case symptom
            /// A setting that makes the cause likelier or worse.
            case context
        }
        public var role: Role
        /// The id of a finding in the same report.
        public var finding: CheckID
        public var severity: Severity
        public var summary: String
    }

    /// The rule's id (`CauseCatalog`), e.g. `conntrack-exhaustion`.
    public var id: String
    public var title: String
    /// The kind of incident this cause produces, as users describe it.
    public var symptom: String
    public var confidence: Confidence
    /// The worst severity among the chain's findings.
    public var severity: Severity
    /// One paragraph: the chain in words.
    public var explanation: String
    public var chain: [Link]
    public var fix: String
    /// What would confirm or refute the cause: artifacts the bundle lacks that would show it.
    public var toConfirm: [String]
    /// The first and last wall-clock moments (RFC 3339) of the chain's cause, mechanism and symptom
    /// findings on the timeline (`Correlator.dated`); nil when none of them is dated.
    public var since: WallTime? = nil
    public var until: WallTime? = nil
}

/// A correlation rule: which findings show a cause, how it acts, and what it explains.
public struct CauseRule: Sendable {
    public var id: String
    public var title: String
    public var symptom: String
    /// Findings that establish the cause; the rule applies when one of them is present at
    /// `causeSeverity` or above.
    public var causes: [CheckID]
    public var causeSeverity: Severity = .info
    public var mechanisms: [CheckID] = []
    public var symptoms: [CheckID] = []
    public var context: [CheckID] = []
    public var fix: String
    /// Artifacts that would show the cause, with the advice given when the bundle has none of them.
    public var evidence: [(kinds: Set<ArtifactKind>, advice: String)] = []
}

/// The correlation rules, from the symptom → cause → fix table of the domain reference.
public enum CauseCatalog {
    public static let rules: [CauseRule] = [
        CauseRule(
            id: "conntrack-exhaustion", title: "Connection-tracking table exhausted",
            symptom: "random timeouts and failed new connections",
            causes: ["conntrack-table-full", "conntrack-near-max"],
            symptoms: ["syn-without-synack", "dns-unanswered", "dns-resend-timeout", "tcp-slow-connect", "coredns-upstream-timeout"],
            context: ["kube-proxy-iptables-scale", "local-port-range"],
            fix: """
                Raise `net.netfilter.nf_conntrack_max` (kube-proxy `--conntrack-max-per-core`/`--conntrack-min`), shorten \
                `nf_conntrack_tcp_timeout_*` for short-lived flows, and find what churns connections.
                """,
            evidence: [([.dmesg], "collect the kernel log (`dmesg`, whose seconds since boot the timeline can date): \"nf_conntrack: table full\" lines confirm it"),
                       ([.sysctl, .conntrackStats], "collect `sysctl -a` and `conntrack -S`: count near max, or insert_failed/drop, confirm it")]),
        CauseRule(
            id: "mtu-mismatch", title: "MTU mismatch with the overlay",
            symptom: "inter-node lag, hangs on large transfers, timeouts",
            causes: ["overlay-mtu-mismatch", "overlay-packets-too-big", "overlay-fragmentation"],
            mechanisms: ["pmtu-black-hole", "icmp-frag-needed", "message-too-long", "ip-fragmentation"],
            symptoms: ["tcp-retransmissions"],
            context: ["tcp-mtu-probing-off"],
            fix: """
                Set the CNI's MTU to the underlay MTU minus the encapsulation overhead (VXLAN/Geneve 50, IPv6 70, \
                WireGuard 60/80, IPIP 20), restart the pods so their interfaces pick it up, and set \
                `net.ipv4.tcp_mtu_probing=1` as a safety net.
                """,
            evidence: [([.ipLink], "collect `ip -d link`: the tunnel and underlay MTUs confirm or refute it"),
                       ([.capture], "capture on the underlay (`--duration 60`): fragments or ICMP \"fragmentation needed\" confirm it")]),
        CauseRule(
            id: "path-mtu-black-hole", title: "Path MTU black hole",
            symptom: "connections that open but hang on large responses",
            causes: ["pmtu-black-hole"],
            mechanisms: ["icmp-frag-needed", "message-too-long"],
            symptoms: ["tcp-retransmissions"],
            context: ["tcp-mtu-probing-off"],
            fix: """
                Let ICMP "fragmentation needed"/"packet too big" through on the path, clamp the MSS \
                (`iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`), or set \
                `net.ipv4.tcp_mtu_probing=1`.
                """,
            evidence: [([.capture], "capture the slow transfers (`--duration 60`): large segments resent without an ACK confirm it"),
                       ([.ipLink], "collect `ip -d link` to see whether an overlay MTU is the cause")]),
        CauseRule(
            id: "coredns-upstream", title: "CoreDNS upstream resolvers failing",
            symptom: "slow or failing DNS for external names",
            causes: ["coredns-upstream-timeout", "coredns-servfail-refused"],
            symptoms: ["dns-unanswered", "dns-latency-wire", "coredns-latency", "dns-resend-timeout"],
            fix: """
                Check that the nodes reach the upstream resolvers (security groups, VPC resolver limits per ENI), \
                spread the load over more upstreams, and cache more (`cache 300`).
                """,
            evidence: [([.corednsLog], "collect CoreDNS logs with the `log` and `errors` plugins on")]),
        CauseRule(
            id: "dns-search-amplification", title: "ndots:5 search-path amplification",
            symptom: "slow DNS, CoreDNS overloaded by NXDOMAIN",
            causes: ["dns-search-amplification", "resolv-ndots-search"],
            symptoms: ["coredns-latency", "dns-latency-wire", "coredns-upstream-timeout"],
            fix: """
                Use fully qualified names with a trailing dot, set `dnsConfig.options: ndots: 2` on the pods, or enable \
                CoreDNS `autopath` / NodeLocal DNSCache.
                """,
            evidence: [([.resolvConf], "collect a pod's /etc/resolv.conf"),
                       ([.corednsLog, .capture], "collect CoreDNS query logs or a DNS capture to count the expansions")]),
        CauseRule(
            id: "conntrack-dns-race", title: "Conntrack insert race on parallel DNS queries",
            symptom: "DNS lookups that take exactly 5 s",
            causes: ["conntrack-insert-failed"],
            symptoms: ["dns-resend-timeout", "dns-unanswered"],
            fix: """
                Add `options single-request-reopen` (glibc) to the pods' resolv.conf, or run NodeLocal DNSCache; \
                kernels from 5.0 fix most of the race.
                """,
            evidence: [([.conntrackStats], "collect `conntrack -S`: a rising insert_failed confirms it")]),
        CauseRule(
            id: "network-component-killed", title: "Network component killed by the OOM killer",
            symptom: "DNS or Service outages while it restarts",
            causes: ["oom-kill-network"], causeSeverity: .high,
            symptoms: ["dns-unanswered", "dns-resend-timeout", "coredns-latency", "dns-latency-wire", "syn-without-synack"],
            fix: "Raise the memory limit of the killed component, or find what filled the node's memory.",
            evidence: [([.dmesg], "collect the kernel log: \"Killed process\" lines name the victim")]),
        CauseRule(
            id: "syn-backlog-overflow", title: "Listen queues overflowing",
            symptom: "connections that take 1 s or 3 s to open, or fail",
            causes: ["syn-flooding"],
            symptoms: ["tcp-slow-connect", "syn-without-synack"],
            context: ["somaxconn-low", "syn-backlog-low"],
            fix: """
                Raise `net.core.somaxconn` and `net.ipv4.tcp_max_syn_backlog` (4096 or more) and the application's \
                listen backlog; scale the service.
                """,
            evidence: [([.dmesg], "collect the kernel log: \"Possible SYN flooding\" lines confirm it"),
                       ([.nstat, .snmp], "collect `nstat -az` or /proc/net/netstat: ListenOverflows/ListenDrops confirm it")]),
        CauseRule(
            id: "forwarding-disabled", title: "Forwarding or bridge netfilter disabled",
            symptom: "pods unreachable from other nodes or Services",
            causes: ["forwarding-disabled"],
            symptoms: ["syn-without-synack", "dns-unanswered"],
            fix: "Set `net.ipv4.ip_forward=1` and `net.bridge.bridge-nf-call-iptables=1` (persist them in /etc/sysctl.d).",
            evidence: [([.sysctl], "collect `sysctl -a`")]),
        CauseRule(
            id: "nic-trouble", title: "NIC or link trouble",
            symptom: "packet loss, retransmissions and stalls",
            causes: ["nic-transmit-timeout", "link-flap", "netdev-backlog-drops"],
            symptoms: ["tcp-retransmissions", "syn-without-synack", "dns-unanswered"],
            fix: "Check the NIC's driver and firmware and the link; raise `net.core.netdev_max_backlog` for backlog drops.",
            evidence: [([.dmesg], "collect the kernel log: NETDEV WATCHDOG and link down lines confirm it"),
                       ([.softnetStat], "collect /proc/net/softnet_stat")]),
        CauseRule(
            id: "neighbour-table-overflow", title: "Neighbour table overflow",
            symptom: "intermittent unreachability of pods and nodes",
            causes: ["neighbour-table-overflow"],
            symptoms: ["syn-without-synack", "dns-unanswered"],
            fix: "Raise `net.ipv4.neigh.default.gc_thresh1/2/3` (e.g. 4096/8192/16384).",
            evidence: [([.dmesg], "collect the kernel log")]),
        CauseRule(
            id: "tcp-memory-pressure", title: "TCP out of memory",
            symptom: "connections reset or stalled",
            causes: ["tcp-memory-pressure"],
            symptoms: ["tcp-reset-storm", "tcp-retransmissions", "tcp-zero-window"],
            fix: "Raise `net.ipv4.tcp_mem`, find socket leaks, lower per-socket buffers.",
            evidence: [([.dmesg], "collect the kernel log")]),
        CauseRule(
            id: "cpu-steal", title: "CPU steal by the hypervisor",
            symptom: "latency everywhere, slow DNS",
            causes: ["cpu-steal"],
            symptoms: ["coredns-latency", "dns-latency-wire", "tcp-retransmissions"],
            fix: "Move to instances without CPU credits or noisy neighbours (dedicated or larger instance types).",
            evidence: [([.procStat], "collect /proc/stat twice, a few seconds apart")]),
        CauseRule(
            id: "kube-proxy-iptables-scale", title: "kube-proxy iptables mode at scale",
            symptom: "high packet latency and slow Service updates",
            causes: ["kube-proxy-iptables-scale"],
            symptoms: ["tcp-slow-connect"],
            context: ["conntrack-near-max"],
            fix: "Switch kube-proxy to IPVS or nftables mode (or an eBPF data path) when Services number in the thousands.",
            evidence: [([.iptables, .iptablesCounts, .kubeProxy], "collect `iptables-save` and kube-proxy's mode")]),
        CauseRule(
            id: "etcd-slow-disk", title: "Disk too slow for etcd",
            symptom: "etcd and API server flakiness, leader elections",
            causes: ["etcd-fdatasync-slow"],
            fix: "Give etcd a dedicated SSD/NVMe disk (or provisioned IOPS) and keep its WAL there.",
            evidence: [([.fio], "run fio in the etcd data directory (`--ioengine=sync --fdatasync=1 --bs=2300 --size=22m`)")]),
    ]
}
