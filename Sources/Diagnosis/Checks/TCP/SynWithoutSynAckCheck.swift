import Wire

/// `syn-without-synack`: connection attempts the server never answered (Zeek `S0`).
public struct SynWithoutSynAckCheck: Check {
    /// An attempt is judged unanswered only if the capture went on this long after its last SYN
    /// (the first Linux SYN retransmission comes after 1 s); otherwise it is indeterminate.
    public static let minimumSilence: Int64 = 1_000_000_000

    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "syn-without-synack", title: "Connection attempts never answered (SYN without SYN-ACK)",
            rationale: """
                A SYN that gets no SYN-ACK is retransmitted after 1 s, then 3 s, 7 s… (or 1 s steps on \
                kernels ≥ 6.5): the client sees connect latency of seconds or a timeout. Causes: a \
                NetworkPolicy or security group dropping traffic, no ready endpoint behind a Service, stale \
                kube-proxy/conntrack entries, a full SYN backlog, or routing towards a dead node.
                """,
            severity: .high,
            evidence: "SYN frames per destination with their retransmission timing, how long the capture went on afterwards, and a display filter.",
            fix: """
                For the destinations listed: check NetworkPolicies and security groups, that the Service has \
                ready endpoints (`kubectl get endpointslices`), kube-proxy rules for the ClusterIP/NodePort, \
                routes to the pod CIDR, and on the server `nstat -az TcpExtListenDrops TcpExtListenOverflows` \
                with `net.core.somaxconn`.
                """,
            passingExamples: [
                CheckExample("a completed handshake", packets: PacketSketch.completedHandshake),
            ],
            failingExamples: [
                CheckExample("a SYN retransmitted at 1 s and 3 s, never answered", packets: [
                    .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(1, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(3, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(6, "10.244.1.5", 41000, "10.244.3.3", 9000, "A"),
                ], mustCiteFrames: [1, 2, 3]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let groups = AttemptGroup.grouped(facts, state: .unanswered)
        guard !groups.isEmpty else { return [] }
        var evidence: [Evidence] = []
        var judged = 0, indeterminate = 0, severity = Severity.info
        for g in groups {
            let silent = g.attempts.filter { a in
                guard let last = a.synTimes.last, let end = g.capture.summary.lastTime else { return false }
                return end - last >= Self.minimumSilence
            }
            judged += silent.count
            indeterminate += g.attempts.count - silent.count
            if !silent.isEmpty {
                let high = g.attempts.count >= 3 || g.server.port == 53 || groups.reduce(0) { $0 + $1.attempts.count } >= 3
                severity = Swift.max(severity, high ? .high : .medium)
            }
            guard evidence.count < 20 else { continue }
            let example = silent.first ?? g.attempts[0]
            let syns = g.attempts.reduce(0) { $0 + $1.synCount }
            var note = "\(g.attempts.count) attempt\(g.attempts.count == 1 ? "" : "s") from \(g.clients) "
                + "client\(g.clients == 1 ? "" : "s") to \(g.server) got no answer (\(syns) SYNs). "
                + "Example stream \(example.stream) from \(example.client): SYN at \(AttemptGroup.timing(example))"
            if let last = example.synTimes.last, let after = g.capture.summary.lastTime {
                note += "; the capture went on \(Timestamp.seconds(after - last)) after the last SYN"
            }
            note += "."
            if silent.count < g.attempts.count {
                note += " \(g.attempts.count - silent.count) attempt(s) came less than 1 s before the capture ended: indeterminate."
            }
            let frames = g.attempts.flatMap(\.synFrames).prefix(40)
            let times = g.attempts.flatMap(\.synTimes).prefix(40)
            evidence.append(.packets(note, file: g.capture.file, frames: Array(frames), times: times.map { $0 },
                                     filter: g.synFilter + " && " + DisplayFilter.streams(g.attempts.prefix(40).map(\.stream))))
        }
        var summary = "\(judged + indeterminate) TCP connection attempt\(judged + indeterminate == 1 ? "" : "s") to "
            + "\(groups.count) destination\(groups.count == 1 ? "" : "s") got neither SYN-ACK nor RST"
        summary += indeterminate > 0
            ? " (\(indeterminate) too close to the end of the capture to judge)." : "."
        return [finding(severity, summary: summary, evidence: evidence)]
    }
}
