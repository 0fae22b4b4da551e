import Wire

/// `tcp-zero-window`: a receiver that advertised a zero window for a long stretch.
public struct ZeroWindowCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-zero-window", title: "TCP receiver stalled (zero window)",
            rationale: """
                A receiver advertises a zero window when its socket buffer is full because the application \
                is not reading: the sender must stop and probe until the window opens. The network is fine; \
                the latency comes from the receiving process (CPU throttling, GC pauses, a blocked event loop) \
                or from receive buffers too small for the traffic. An episode starts at the first segment \
                Wireshark flags `tcp.analysis.zero_window` in one direction and ends at that direction's next \
                segment with a non-zero window (or the flow's last packet).
                """,
            severity: .medium,
            evidence: "Per episode: the flow, which side's buffer was full, how long the window stayed closed, and the frames that closed and reopened it.",
            fix: """
                Look at the receiving side named in the evidence: its CPU limits and throttling \
                (`container_cpu_cfs_throttled_periods_total`), pauses, and whether it reads its sockets promptly; \
                raise `net.ipv4.tcp_rmem` / `net.core.rmem_max` if the buffers are small for the bandwidth-delay product.
                """,
            parameters: [
                CheckParameter("min_seconds", 1, unit: "s", "episodes at least this long are reported"),
            ],
            passingExamples: [
                CheckExample("a window that reopens after 50 ms", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 1001, window: 0),
                    .tcp(0.060, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 1001, window: 8192),
                ]),
            ],
            failingExamples: [
                CheckExample("a server that stops reading for 2.5 s", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", seq: 1001, ack: 5001, payload: 1000),
                    .tcp(0.011, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 2001, window: 0),
                    .tcp(0.500, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 2001, ack: 5001, payload: 1),
                    .tcp(0.501, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 2001, window: 0),
                    .tcp(2.511, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 2001, window: 65535),
                ], mustCiteFrames: [5, 8]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let minimum = Int64(parameters["min_seconds"] * 1e9)
        var evidence: [Evidence] = []
        var episodes = 0, flows = 0
        var longest: Int64 = 0
        for capture in facts.captures {
            for f in capture.summary.tcpFlows {
                var counted = false
                for (receiver, sender, health) in [(f.server, f.client, f.serverToClient), (f.client, f.server, f.clientToServer)] {
                    for e in health.zeroWindowEpisodes where e.duration(flowEnd: f.lastTime) >= minimum {
                        episodes += 1
                        if !counted { flows += 1; counted = true }
                        let d = e.duration(flowEnd: f.lastTime)
                        longest = Swift.max(longest, d)
                        guard evidence.count < 20 else { continue }
                        var note = "Stream \(f.stream): \(receiver) advertised a zero window to \(sender) for "
                            + "\(Timestamp.seconds(d)) (\(e.frames) zero-window segment\(e.frames == 1 ? "" : "s")"
                        note += e.endFrame == nil ? "; still closed when the flow's capture ended)." : ", reopened at frame \(e.endFrame!))."
                        let frames = [e.startFrame] + (e.endFrame.map { [$0] } ?? [])
                        let times = [e.startTime] + (e.endTime.map { [$0] } ?? [])
                        evidence.append(.packets(note, file: capture.file, frames: frames, times: times,
                                                 filter: "tcp.stream==\(f.stream) && (tcp.analysis.zero_window || tcp.analysis.window_update)"))
                    }
                }
            }
        }
        guard episodes > 0 else { return [] }
        let summary = "\(episodes) zero-window episode\(episodes == 1 ? "" : "s") of at least "
            + "\(Timestamp.seconds(minimum)) in \(Format.plural(flows, "flow")); the longest lasted \(Timestamp.seconds(longest))."
        return [finding(longest >= 5_000_000_000 ? .high : .medium, summary: summary, evidence: evidence)]
    }
}
