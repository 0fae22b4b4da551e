import Artifacts

/// `conntrack-near-max`: the connection-tracking table is nearly full.
public struct ConntrackNearMaxCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "conntrack-near-max", title: "Connection-tracking table nearly full",
            rationale: """
                `nf_conntrack_count` close to `nf_conntrack_max` means the next burst of connections (a deployment \
                rollout, a DNS storm, a SYN flood) fills the table and new flows are dropped. The count is a snapshot: \
                it was higher at the worst moment, not lower.
                """,
            severity: .high,
            evidence: "The `nf_conntrack_count` and `nf_conntrack_max` lines (or the `conntrack -C` count) and the ratio.",
            fix: """
                Raise `net.netfilter.nf_conntrack_max` (kube-proxy: `conntrack.maxPerCore`, `conntrack.min`), and find \
                what holds so many entries (`conntrack -L | awk '{print $3}' | sort | uniq -c`): short-lived \
                connections without keep-alive, UDP DNS without NodeLocal DNSCache, long `established` timeouts.
                """,
            parameters: [
                CheckParameter("warn_ratio", 0.8, unit: "ratio", "count/max at or above which the check reports (high)"),
                CheckParameter("critical_ratio", 0.95, unit: "ratio", "count/max at or above which it is critical"),
            ],
            passingExamples: [
                CheckExample("half full", "node/sysctl-a.txt", [
                    "net.netfilter.nf_conntrack_buckets = 65536",
                    "net.netfilter.nf_conntrack_count = 65000",
                    "net.netfilter.nf_conntrack_max = 131072",
                ]),
                CheckExample("conntrack not loaded", "node/sysctl-a.txt", ["net.core.somaxconn = 4096"]),
            ],
            failingExamples: [
                CheckExample("99 % full", "node/sysctl-a.txt", [
                    "net.netfilter.nf_conntrack_count = 130900",
                    "net.netfilter.nf_conntrack_max = 131072",
                ], mustCite: [1, 2]),
                CheckExample("count from conntrack -C", files: [
                    ("net/conntrack-C.txt", "118000"),
                    ("node/sysctl-a.txt", "net.netfilter.nf_conntrack_max = 131072"),
                ], mustCite: ["node/sysctl-a.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let max = facts.sysctl?.value.int("net.netfilter.nf_conntrack_max"), max > 0 else { return [] }
        let sysctlCount = facts.sysctl?.value.int("net.netfilter.nf_conntrack_count")
        let statsCount = facts.conntrack?.value.entries.map(Int.init)
        guard let count = [sysctlCount, statsCount].compactMap({ $0 }).max() else { return [] }
        let ratio = Double(count) / Double(max)
        guard ratio >= parameters["warn_ratio"] else { return [] }
        let severity: Severity = ratio >= parameters["critical_ratio"] ? .critical : .high
        var evidence = [
            facts.sysctlEvidence("net.netfilter.nf_conntrack_count", "Entries in use."),
            facts.sysctlEvidence("net.netfilter.nf_conntrack_max", "The table's size."),
        ].compactMap { $0 }
        if let c = facts.conntrack, statsCount == count, sysctlCount != count {
            evidence.insert(.value("Entries in use (conntrack statistics).", file: c.file, text: "\(count)"), at: 0)
        }
        return [finding(severity, summary: "\(count) of \(max) conntrack entries in use (\(Format.percent(ratio))).", evidence: evidence)]
    }
}
