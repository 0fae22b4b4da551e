import Wire

/// `tcp-retransmissions`: data resent on a path, as Wireshark's sequence analysis classifies it.
public struct TCPRetransmissionCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-retransmissions", title: "TCP retransmissions on a path",
            rationale: """
                Every retransmitted segment costs the application at least one round trip, and a timeout-driven \
                one 200 ms or more: loss shows up as request latency long before anything fails. Segments are \
                classified as Wireshark does (`tcp.analysis.retransmission`, `.fast_retransmission`, \
                `.spurious_retransmission`: same rules, same 20 ms and initial-RTT thresholds, counts tested \
                against tshark). The rate is retransmitted data segments over data segments, per destination \
                (address and port) and over all flows to it.
                """,
            severity: .medium,
            evidence: "Per destination: data segments, retransmissions by kind (plain, fast, spurious), the worst flows with their retransmission frames, display filters, and the top host pairs by retransmissions across all captures.",
            fix: """
                Find where the loss is: compare the capture points, then look at the node's NIC and softirq drops \
                (`ip -s link`, `/proc/net/softnet_stat`, `nstat TcpExtTCPLostRetransmit`), conntrack drops \
                (`conntrack -S`), NETDEV WATCHDOG or link flaps in dmesg, and the overlay MTU. Mostly spurious \
                retransmissions point to delayed ACKs or a capture point before a lossy hop, not loss itself.
                """,
            parameters: [
                CheckParameter("warn_rate", 0.01, unit: "ratio", "retransmitted share of data segments reported as medium"),
                CheckParameter("high_rate", 0.05, unit: "ratio", "retransmitted share reported as high"),
                CheckParameter("min_segments", 20, unit: "segments", "data segments a destination needs before its rate is judged"),
            ],
            passingExamples: [
                CheckExample("data acknowledged in order", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", seq: 1001, ack: 5001, payload: 100),
                    .tcp(0.011, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 1101),
                ]),
            ],
            failingExamples: [
                CheckExample("a segment resent after a 200 ms timeout", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", seq: 1001, ack: 5001, payload: 100),
                    .tcp(0.220, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", seq: 1001, ack: 5001, payload: 100),
                    .tcp(0.221, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 1101),
                ], mustCiteFrames: [5], parameters: ["min_segments": 1]),
            ])
    }

    struct Destination {
        var server: Endpoint
        var flows: [TCPFlowSummary] = []
        var dataSegments = 0
        var retransmissions = 0
        var fast = 0
        var spurious = 0
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let warn = parameters["warn_rate"], high = parameters["high_rate"], minSegments = Int(parameters["min_segments"])
        var evidence: [Evidence] = []
        var severity = Severity.info
        var judged: [(CaptureFacts, Destination, Double)] = []
        for capture in facts.captures {
            var byServer: [Endpoint: Destination] = [:]
            for f in capture.summary.tcpFlows {
                var d = byServer[f.server] ?? Destination(server: f.server)
                d.flows.append(f)
                d.dataSegments += f.dataSegments
                d.retransmissions += f.retransmissions
                d.fast += f.clientToServer.fastRetransmissions + f.serverToClient.fastRetransmissions
                d.spurious += f.clientToServer.spuriousRetransmissions + f.serverToClient.spuriousRetransmissions
                byServer[f.server] = d
            }
            for d in byServer.values where d.retransmissions > 0 && d.dataSegments >= minSegments {
                let rate = Double(d.retransmissions) / Double(d.dataSegments)
                guard rate > warn else { continue }
                severity = Swift.max(severity, rate > high ? .high : .medium)
                judged.append((capture, d, rate))
            }
        }
        guard !judged.isEmpty else { return [] }
        judged.sort { ($0.2, $1.1.server) > ($1.2, $0.1.server) }
        for (capture, d, rate) in judged.prefix(10) {
            let worst = d.flows.sorted { ($0.retransmissions, $1.stream) > ($1.retransmissions, $0.stream) }.prefix(3)
            let plain = d.retransmissions - d.fast - d.spurious
            var note = "\(d.server): \(d.retransmissions) of \(d.dataSegments) data segments retransmitted "
                + "(\(Format.percent(rate))) in \(Format.plural(d.flows.count, "flow")) with trouble: "
                + "\(plain) after a timeout or gap, \(d.fast) fast, \(d.spurious) spurious."
            for f in worst {
                note += " Stream \(f.stream) \(f.client) → \(f.server): \(f.clientToServer.retransmissions) sent by the client, "
                    + "\(f.serverToClient.retransmissions) by the server"
                if f.clientToServer.duplicateAcks + f.serverToClient.duplicateAcks > 0 {
                    note += ", \(f.clientToServer.duplicateAcks + f.serverToClient.duplicateAcks) duplicate ACKs"
                }
                note += "."
            }
            let frames = worst.flatMap { Array(zip($0.clientToServer.retransmissionFrames, $0.clientToServer.retransmissionTimes))
                + Array(zip($0.serverToClient.retransmissionFrames, $0.serverToClient.retransmissionTimes)) }
                .sorted { $0.0 < $1.0 }.prefix(40)
            evidence.append(.packets(note, file: capture.file, frames: frames.map(\.0), times: frames.map(\.1),
                                     filter: "tcp.analysis.retransmission && " + DisplayFilter.streams(worst.map(\.stream))))
        }
        if let pairs = Self.topHostPairs(facts) { evidence.append(pairs) }
        let total = judged.reduce(0) { $0 + $1.1.retransmissions }
        let summary = "\(total) retransmitted TCP segment\(total == 1 ? "" : "s") to \(judged.count) destination"
            + "\(judged.count == 1 ? "" : "s") above \(Format.percent(warn)) of their data segments (worst: "
            + "\(judged[0].1.server) at \(Format.percent(judged[0].2)))."
        return [finding(severity, summary: summary, evidence: evidence)]
    }

    /// The host pairs (client address → server address, ports ignored) with the most
    /// retransmissions across all captures: which nodes or pods the trouble is between. A flow
    /// seen in several captures (the same 4-tuple on two interfaces) counts once, as its worst.
    static func topHostPairs(_ facts: Facts) -> Evidence? {
        struct Pair: Hashable { var client: IPAddress; var server: IPAddress }
        struct Flow: Hashable { var client: Endpoint; var server: Endpoint }
        var worst: [Flow: TCPFlowSummary] = [:]
        for capture in facts.captures {
            for f in capture.summary.tcpFlows where f.retransmissions > 0 {
                let key = Flow(client: f.client, server: f.server)
                if (worst[key]?.retransmissions ?? 0) < f.retransmissions { worst[key] = f }
            }
        }
        var totals: [Pair: (retransmissions: Int, segments: Int, flows: Int)] = [:]
        for f in worst.values {
            let key = Pair(client: f.client.address, server: f.server.address)
            let t = totals[key] ?? (0, 0, 0)
            totals[key] = (t.retransmissions + f.retransmissions, t.segments + f.dataSegments, t.flows + 1)
        }
        guard totals.count > 1 else { return nil }
        let top = totals.sorted {
            ($0.value.retransmissions, $1.key.client, $1.key.server) > ($1.value.retransmissions, $0.key.client, $0.key.server)
        }.prefix(5)
        let text = top.map { p in
            "\(p.key.client) → \(p.key.server): \(p.value.retransmissions) of \(p.value.segments) "
                + "(\(Format.percent(Double(p.value.retransmissions) / Double(Swift.max(1, p.value.segments)))), \(Format.plural(p.value.flows, "flow")))"
        }.joined(separator: "; ")
        return .value("Top host pairs by retransmitted segments, all captures together (\(totals.count) pairs had some).",
                      file: facts.captures.count == 1 ? facts.captures[0].file : nil, text: text)
    }
}
