import Wire

/// `tcp-slow-connect`: connections that succeeded only after the SYN was retransmitted.
public struct SlowConnectCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-slow-connect", title: "Connections established only after SYN retransmission",
            rationale: """
                A lost SYN or SYN-ACK is only resent after the initial RTO of 1 s (then 1 s steps on kernels \
                ≥ 6.5, doubling before): the connection works, but connect() takes 1 s, 2 s, 3 s… This is the \
                classic signature of a full SYN or accept queue on the server, of packet loss on the path, or of \
                conntrack dropping the first packet of a flow (table full, insertion races).
                """,
            severity: .medium,
            evidence: "Per server: the attempts, their SYN timing and connect latency (first SYN to SYN-ACK), with frames and a filter.",
            fix: """
                On the server: `nstat -az TcpExtListenOverflows TcpExtListenDrops`, `ss -ltn` (Recv-Q against the \
                backlog), `net.core.somaxconn` and the application's listen backlog. On the node: `conntrack -S` \
                (`drop`, `insert_failed`) and dmesg for `nf_conntrack: table full`. Along the path: interface drops.
                """,
            passingExamples: [
                CheckExample("a handshake on the first SYN", packets: PacketSketch.completedHandshake),
            ],
            failingExamples: [
                CheckExample("SYN answered only the third time, 2 s later", packets: [
                    .tcp(0, "10.244.1.5", 40000, "10.96.0.10", 443, "S"),
                    .tcp(1.0, "10.244.1.5", 40000, "10.96.0.10", 443, "S"),
                    .tcp(2.0, "10.244.1.5", 40000, "10.96.0.10", 443, "S"),
                    .tcp(2.001, "10.96.0.10", 443, "10.244.1.5", 40000, "SA", seq: 5000, ack: 1001),
                    .tcp(2.002, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 1001, ack: 5001),
                ], mustCiteFrames: [1, 2, 3, 4]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var total = 0, worst: Int64 = 0
        for capture in facts.captures {
            var byServer: [Endpoint: [ConnectionAttempt]] = [:]
            var order: [Endpoint] = []
            for a in capture.summary.notableAttempts where a.state == .established && a.synCount > 1 {
                if byServer[a.server] == nil { order.append(a.server) }
                byServer[a.server, default: []].append(a)
            }
            for server in order.sorted(by: { byServer[$0]!.count > byServer[$1]!.count }) {
                let attempts = byServer[server]!
                total += attempts.count
                let latencies = attempts.compactMap { a in a.synAckTime.flatMap { t in a.synTimes.first.map { t - $0 } } }
                worst = Swift.max(worst, latencies.max() ?? 0)
                guard evidence.count < 20 else { continue }
                let example = attempts.max { ($0.synAckTime ?? 0) - ($0.synTimes.first ?? 0) < ($1.synAckTime ?? 0) - ($1.synTimes.first ?? 0) }!
                let latency = (example.synAckTime ?? 0) - (example.synTimes.first ?? 0)
                let note = "\(attempts.count) connection\(attempts.count == 1 ? "" : "s") to \(server) needed a SYN "
                    + "retransmission (connect latencies \(latencies.sorted().map(Timestamp.seconds).joined(separator: ", "))). "
                    + "Slowest: stream \(example.stream) from \(example.client), SYN at \(AttemptGroup.timing(example)), "
                    + "SYN-ACK after \(Timestamp.seconds(latency))."
                var frames = attempts.prefix(10).flatMap { $0.synFrames + ($0.synAckFrame.map { [$0] } ?? []) }
                var times = attempts.prefix(10).flatMap { $0.synTimes + ($0.synAckTime.map { [$0] } ?? []) }
                frames = Array(frames.prefix(40)); times = Array(times.prefix(40))
                evidence.append(.packets(note, file: capture.file, frames: frames, times: times,
                                         filter: "tcp.flags.syn==1 && " + DisplayFilter.streams(attempts.prefix(40).map(\.stream))))
            }
        }
        guard total > 0 else { return [] }
        let summary = "\(total) TCP connection\(total == 1 ? "" : "s") succeeded only after retransmitting the SYN; "
            + "the slowest took \(Timestamp.seconds(worst)) to connect."
        return [finding(total >= 3 ? .high : .medium, summary: summary, evidence: evidence)]
    }
}
