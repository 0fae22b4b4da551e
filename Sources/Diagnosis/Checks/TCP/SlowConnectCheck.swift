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
        let groups = AttemptGroup.grouped(facts) { $0.state == .established && $0.synCount > 1 }
        guard !groups.isEmpty else { return [] }
        var evidence: [Evidence] = []
        var total = 0, worst: Int64 = 0
        for g in groups {
            total += g.attempts.count
            let latencies = g.attempts.compactMap(Self.connectLatency)
            worst = Swift.max(worst, latencies.max() ?? 0)
            guard evidence.count < 20, let example = g.attempts.max(by: { (Self.connectLatency($0) ?? 0) < (Self.connectLatency($1) ?? 0) })
            else { continue }
            let note = "\(Format.plural(g.attempts.count, "connection")) to \(g.server) needed a SYN "
                + "retransmission (connect latencies \(latencies.sorted().map(Timestamp.seconds).joined(separator: ", "))). "
                + "Slowest: stream \(example.stream) from \(example.client), SYN at \(AttemptGroup.timing(example)), "
                + "SYN-ACK after \(Timestamp.seconds(Self.connectLatency(example) ?? 0))."
            let shown = g.attempts.prefix(10)
            let frames = shown.flatMap { $0.synFrames + ($0.synAckFrame.map { [$0] } ?? []) }.prefix(40)
            let times = shown.flatMap { $0.synTimes + ($0.synAckTime.map { [$0] } ?? []) }.prefix(40)
            evidence.append(.packets(note, file: g.capture.file, frames: Array(frames), times: Array(times),
                                     filter: "tcp.flags.syn==1 && " + DisplayFilter.streams(g.attempts.prefix(40).map(\.stream))))
        }
        let summary = "\(total) TCP connection\(total == 1 ? "" : "s") succeeded only after retransmitting the SYN; "
            + "the slowest took \(Timestamp.seconds(worst)) to connect."
        return [finding(total >= 3 ? .high : .medium, summary: summary, evidence: evidence)]
    }

    /// First SYN to SYN-ACK.
    static func connectLatency(_ a: borrowing ConnectionAttempt) -> Int64? {
        guard let ack = a.synAckTime, let first = a.firstSynTime else { return nil }
        return ack - first
    }
}
