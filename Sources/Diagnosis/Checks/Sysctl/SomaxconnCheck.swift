import Artifacts

/// `somaxconn-low`: listen backlogs are capped low.
public struct SomaxconnCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "somaxconn-low", title: "net.core.somaxconn caps listen backlogs low",
            rationale: """
                `somaxconn` caps the accept queue of every listening socket, whatever backlog the server asks for. At \
                128 (kernels before 5.4) a burst of connections to an ingress controller or API server overflows the \
                queue: SYNs are dropped and clients wait 1 s, 3 s, 7 s for retransmissions. It matters most when \
                listen overflows or SYN-flooding warnings are also seen, which raises the severity.
                """,
            severity: .medium,
            evidence: "The `net.core.somaxconn` line of sysctl -a, and ListenOverflows when counted.",
            fix: "Set `net.core.somaxconn = 4096` (or more) and make the server pass a large backlog to listen().",
            parameters: [CheckParameter("min", 1024, unit: "connections", "somaxconn below which the check reports")],
            passingExamples: [CheckExample("the ≥ 5.4 default", "node/sysctl-a.txt", ["net.core.somaxconn = 4096"])],
            failingExamples: [
                CheckExample("the old default with listen overflows", files: [
                    ("node/sysctl-a.txt", "net.core.netdev_max_backlog = 1000\nnet.core.somaxconn = 128"),
                    ("net/nstat-az.txt", "#kernel\nTcpExtListenOverflows           3120                0.0"),
                ], mustCite: ["node/sysctl-a.txt:2", "net/nstat-az.txt:2"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let v = facts.sysctl?.value.int("net.core.somaxconn"), Double(v) < parameters["min"] else { return [] }
        let overflows = facts.counter("TcpExtListenOverflows")?.value.value ?? 0
        let floods = facts.kernelEvents(.synFlood).count
        let symptoms = overflows > 0 || floods > 0
        let evidence = [
            facts.sysctlEvidence("net.core.somaxconn", "The cap on listen() backlogs."),
            overflows > 0 ? facts.counterEvidence("TcpExtListenOverflows", "Accept-queue overflows since boot.") : nil,
        ].compactMap { $0 }
        var summary = "net.core.somaxconn is \(v) (below \(Int(parameters["min"])))"
        if symptoms {
            let seen = [overflows > 0 ? "\(overflows) accept-queue overflows" : nil, floods > 0 ? Format.plural(floods, "SYN-flooding line") : nil]
            summary += ", and listen queues overflowed (\(seen.compactMap { $0 }.joined(separator: ", ")))"
        }
        return [finding(symptoms ? .high : .medium, summary: summary + ".", evidence: evidence)]
    }
}
