import Wire

/// `syn-without-synack`: connection attempts the server never answered (Zeek `S0`).
public struct SynWithoutSynAckCheck: Check {
    /// An attempt is judged unanswered only if the capture went on this long after its last SYN
    /// (the first Linux SYN retransmission comes after 1 s) and could have seen the answer
    /// (`CaptureCoverage`); otherwise it is indeterminate.
    public static let minimumSilence: Int64 = 1_000_000_000

    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "syn-without-synack", title: "Connection attempts never answered (SYN without SYN-ACK)",
            rationale: """
                A SYN that gets no SYN-ACK is retransmitted after 1 s, then 3 s, 7 s… (or 1 s steps on \
                kernels ≥ 6.5): the client sees connect latency of seconds or a timeout. Causes: a \
                NetworkPolicy or security group dropping traffic, no ready endpoint behind a Service, stale \
                kube-proxy/conntrack entries, a full SYN backlog, or routing towards a dead node. An attempt counts \
                only where the capture could have seen the answer: not when the client went on to acknowledge \
                (the SYN-ACK was not captured), and, for a SYN sent once, not in the capture's last second, \
                while it dropped packets, or just before a gap in it. A retransmitted SYN is proof by itself.
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
                CheckExample("only one direction captured: the client's ACK shows a SYN-ACK reached it", packets: [
                    .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(0.001, "10.244.1.5", 40000, "10.244.2.9", 8080, "A"),
                    .tcp(5, "10.244.1.5", 40000, "10.244.2.9", 8080, "FA"),
                ]),
                CheckExample("a single SYN just before a gap in a busy capture", packets: PacketSketch.busy(seconds: 1)
                    + [.tcp(1, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"), .tcp(4, "10.244.1.7", 41000, "10.244.3.3", 9000, "A")]),
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
        var evidence: [Evidence] = []
        // Per destination, the attempts the capture can vouch for (`attempts`), how many it cannot, and why the
        // first of those cannot (worded once).
        var judged: [(group: AttemptGroup, blind: Int, firstBlind: String?)] = []
        var indeterminate = 0
        for g in AttemptGroup.grouped(facts, state: .unanswered) {
            let coverage = CaptureCoverage(g.capture, facts: facts)
            var silent: [Int] = []
            var blind = 0
            var firstBlind: String?
            let all = g.capture.summary.notableAttempts
            for position in g.positions {
                if let spot = Self.blindSpot(all[position], coverage) {
                    blind += 1
                    if firstBlind == nil { firstBlind = spot.reason }
                } else {
                    silent.append(position)
                }
            }
            indeterminate += blind
            if !silent.isEmpty { judged.append((AttemptGroup(capture: g.capture, server: g.server, positions: silent), blind, firstBlind)) }
        }
        // Only what the capture can vouch for is reported; the rest is counted as indeterminate.
        guard !judged.isEmpty else { return [] }
        let total = judged.reduce(0) { $0 + $1.group.positions.count }
        var severity = Severity.medium
        for (g, blind, firstBlind) in judged.sorted(by: { $0.group.positions.count > $1.group.positions.count }) {
            let silent = g.attempts
            if silent.count >= 3 || g.server.port == 53 || total >= 3 { severity = .high }
            guard evidence.count < 20 else { continue }
            let example = silent[0]
            let all = g.capture.summary.notableAttempts
            let syns = g.positions.reduce(0) { $0 + all[$1].synCount }
            let clients = g.clients
            var note = "\(Format.plural(silent.count, "attempt")) from \(clients) "
                + "client\(clients == 1 ? "" : "s") to \(g.server) got no answer (\(syns) SYNs). "
                + "Example stream \(example.stream) from \(example.client): SYN at \(AttemptGroup.timing(example))"
            if let last = example.synTimes.last, let after = g.capture.summary.lastTime {
                note += "; the capture went on \(Timestamp.seconds(after - last)) after the last SYN"
            }
            note += "."
            if let firstBlind {
                note += " \(blind) more to it the capture cannot judge; the first because " + firstBlind + "."
            }
            let frames = silent.prefix(40).flatMap(\.synFrames).prefix(40)
            let times = silent.prefix(40).flatMap(\.synTimes).prefix(40)
            evidence.append(.packets(note, file: g.capture.file, frames: Array(frames), times: times.map { $0 },
                                     filter: g.synFilter + " && " + DisplayFilter.streams(silent.prefix(40).map(\.stream))))
        }
        let destinations = Set(judged.map(\.group.server)).count
        var summary = "\(total) TCP connection attempt\(total == 1 ? "" : "s") to "
            + "\(Format.plural(destinations, "destination")) got neither SYN-ACK nor RST"
        summary += indeterminate > 0
            ? " (\(indeterminate) more the capture could not judge: too close to its end, during its drops or gaps, or answered unseen)."
            : "."
        // Beyond the memory cap attempts are counted, not kept: say how many there were in all.
        let notKept = facts.captures.reduce(0) { $0 + $1.summary.notableAttemptsNotKept }
        if notKept > 0 {
            let counted = facts.captures.reduce(0) { $0 + $1.summary.counters.synWithoutSynack }
            summary += " In all \(counted) attempts were never answered (Zeek S0); only the first \(TCPConversations.maxKeptAttempts) "
                + "per capture are itemised."
            severity = .high
        }
        return [finding(severity, summary: summary, evidence: evidence)]
    }

    /// Why the capture cannot say an attempt went unanswered, worded only when cited.
    enum BlindSpot {
        case answeredUnseen(frame: Int)
        case noSYNTimes
        case coverage(CaptureCoverage.BlindSpot)

        var reason: String {
            switch self {
            case .answeredUnseen(let frame):
                "the client acknowledged in frame \(frame), so a SYN-ACK reached it that the capture does not hold "
                    + "(one direction captured, or asymmetric routing)"
            case .noSYNTimes: "no SYN timestamps"
            case .coverage(let c): c.reason
            }
        }
    }

    /// Why the capture cannot vouch that nothing answered `a`, or nil when it can.
    static func blindSpot(_ a: borrowing ConnectionAttempt, _ coverage: CaptureCoverage) -> BlindSpot? {
        if let frame = a.ackWithoutSynAckFrame { return .answeredUnseen(frame: frame) }
        guard let last = a.lastSynTime else { return .noSYNTimes }
        return coverage.blindSpot(lastSend: last, sends: a.synCount, window: minimumSilence).map { .coverage($0) }
    }
}
