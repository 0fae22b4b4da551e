import Artifacts

/// `conntrack-insert-failed`: conntrack insertions lost a race (the UDP DNS 5-second timeout cause).
public struct ConntrackInsertFailedCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "conntrack-insert-failed", title: "Conntrack insert races (insert_failed)",
            rationale: """
                `insert_failed` counts packets dropped because two packets of a new flow raced to create the same \
                conntrack entry, typically after SNAT/DNAT. glibc sends the A and AAAA DNS queries from one socket at \
                the same moment, so one of them is dropped and the client waits the resolver timeout (5 s) before \
                retrying: the classic Kubernetes "DNS takes 5 seconds" symptom.
                """,
            severity: .medium,
            evidence: "The per-CPU conntrack statistics lines and the summed insert_failed.",
            fix: """
                Use NodeLocal DNSCache (TCP to CoreDNS, no conntrack race) or add `options single-request-reopen` \
                (glibc) to the pod `dnsConfig`; kernels from 5.0 resolve most clashes (the `clash_resolve` counter).
                """,
            passingExamples: [
                CheckExample("no failed insertions", "net/conntrack-S.txt", [
                    "cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0",
                ]),
            ],
            failingExamples: [
                CheckExample("conntrack -S with insert_failed", "net/conntrack-S.txt", [
                    "cpu=0   \tfound=175 invalid=2 ignore=3407 insert=0 insert_failed=1318 drop=1318 early_drop=0 error=0 search_restart=0",
                    "cpu=1   \tfound=168 invalid=0 ignore=3311 insert=0 insert_failed=1062 drop=1062 early_drop=0 error=0 search_restart=0",
                ], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let c = facts.conntrack, let failed = c.value.counters["insert_failed"], failed > 0 else { return [] }
        var evidence = Evidence.lines("Per-CPU conntrack statistics.", file: c.file, c.value.lines, cap: 4)
        evidence.append(.value("insert_failed summed over CPUs.", file: c.file, text: "\(failed)"))
        return [finding(.medium, summary: "\(failed) conntrack insertions failed since boot (summed over CPUs).", evidence: evidence)]
    }
}
