import Wire

/// `syn-rst`: connection attempts refused with a RST (Zeek `REJ`).
public struct SynRstCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "syn-rst", title: "Connection attempts refused (SYN answered by RST)",
            rationale: """
                A RST in answer to a SYN means nothing listens on that port, a Service's targetPort does not \
                match the container port, or a firewall rule REJECTs with tcp-reset. Clients fail fast with \
                "connection refused"; retries can still add latency.
                """,
            severity: .medium,
            evidence: "SYN and RST frames per destination with a display filter, and the RST's TTL.",
            fix: """
                Check that the process listens on the port (`ss -ltnp`), that the Service's targetPort matches \
                the container port, that the pod is ready, and for REJECT rules (`iptables-save | grep REJECT`). \
                A RST whose TTL differs from the server's usual TTL was likely sent by a middlebox.
                """,
            passingExamples: [
                CheckExample("a completed handshake", packets: PacketSketch.completedHandshake),
            ],
            failingExamples: [
                CheckExample("no listener: SYN answered by RST", packets: [
                    .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 9090, "S"),
                    .tcp(0.0004, "10.244.2.9", 9090, "10.244.1.5", 40000, "RA", seq: 0, ack: 1001),
                ], mustCiteFrames: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let groups = AttemptGroup.grouped(facts, state: .refused)
        guard !groups.isEmpty else { return [] }
        var evidence: [Evidence] = []
        var total = 0
        for g in groups {
            total += g.attempts.count
            guard evidence.count < 20 else { continue }
            let example = g.attempts[0]
            let clients = g.clients
            var note = "\(Format.plural(g.attempts.count, "attempt")) from \(clients) "
                + "client\(clients == 1 ? "" : "s") to \(g.server) refused with RST"
            if let f = example.rstFrame, let ttl = example.rstTTL {
                note += "; example stream \(example.stream): SYN frame \(example.synFrames.first ?? 0), RST frame \(f) (TTL \(ttl))"
            }
            note += "."
            var frames: [Int] = [], times: [Int64] = []
            for a in g.attempts.prefix(20) {
                if let f = a.synFrames.first, let t = a.synTimes.first { frames.append(f); times.append(t) }
                if let f = a.rstFrame, let t = a.rstTime { frames.append(f); times.append(t) }
            }
            evidence.append(.packets(note, file: g.capture.file, frames: frames, times: times,
                                     filter: DisplayFilter.streams(g.attempts.prefix(40).map(\.stream))))
        }
        let summary = "\(total) TCP connection attempt\(total == 1 ? "" : "s") to \(groups.count) "
            + "destination\(groups.count == 1 ? "" : "s") were refused with RST."
        return [finding(.medium, summary: summary, evidence: evidence)]
    }
}
