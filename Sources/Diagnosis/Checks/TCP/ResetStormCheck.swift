import Wire

/// `tcp-reset-storm`: many established connections to one destination ended by RST.
public struct ResetStormCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-reset-storm", title: "Established connections reset (RST storm)",
            rationale: """
                A reset aborts a connection that was working: the client sees "connection reset by peer" and \
                in-flight requests fail. Many at once to one destination point to a server process that crashed \
                or restarted, a load balancer, NAT or conntrack entry that expired or was flushed (kube-proxy \
                resync, a conntrack table full), or an idle timeout shorter than the client's keep-alive. \
                Counted here: streams whose handshake completed in the capture and that then carried an RST, \
                grouped by destination address and port; refused connection attempts are `syn-rst`.
                """,
            severity: .medium,
            evidence: "Per destination: how many established streams were reset, by which side, over what time, with the RST frames and a filter.",
            fix: """
                If the server side resets: its logs and restarts (`kubectl get pods` restarts, OOM kills), its \
                accept/idle timeouts. If the client side resets: its connection pool and keep-alive settings \
                against the server's or load balancer's idle timeout. On the node: `conntrack -S` drops and \
                dmesg `nf_conntrack: table full`, and kube-proxy restarts around the time of the resets.
                """,
            parameters: [
                CheckParameter("min_streams", 5, unit: "streams", "reset established streams to one destination reported"),
            ],
            passingExamples: [
                CheckExample("a connection closed with FIN", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.244.1.5", 40000, "10.96.0.10", 443, "FA", seq: 1001, ack: 5001),
                    .tcp(0.011, "10.96.0.10", 443, "10.244.1.5", 40000, "FA", seq: 5001, ack: 1002),
                ]),
            ],
            failingExamples: [
                CheckExample("an established connection reset by the server", packets: PacketSketch.completedHandshake + [
                    .tcp(0.010, "10.96.0.10", 443, "10.244.1.5", 40000, "RA", seq: 5001, ack: 1001),
                ], mustCiteFrames: [4], parameters: ["min_streams": 1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let minimum = Int(parameters["min_streams"])
        var evidence: [Evidence] = []
        var total = 0, destinations = 0
        for capture in facts.captures {
            var byServer: [Endpoint: [TCPFlowSummary]] = [:]
            for f in capture.summary.tcpFlows where f.established && f.clientToServer.resets + f.serverToClient.resets > 0 {
                byServer[f.server, default: []].append(f)
            }
            for (server, flows) in byServer.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) where flows.count >= minimum {
                total += flows.count
                destinations += 1
                guard evidence.count < 10 else { continue }
                let bySever = flows.filter { $0.serverToClient.resets > 0 }.count
                let span = (flows.map(\.lastTime).max() ?? 0) - (flows.map(\.firstTime).min() ?? 0)
                let note = "\(flows.count) established stream\(flows.count == 1 ? "" : "s") to \(server) ended by RST within "
                    + "\(Timestamp.seconds(span)): \(bySever) reset by the server, \(flows.count - bySever) by the client."
                let resets = flows.prefix(40).compactMap(\.firstReset)
                evidence.append(.packets(note, file: capture.file, frames: resets.map(\.frame), times: resets.map(\.time),
                                         filter: "tcp.flags.reset==1 && " + DisplayFilter.streams(flows.prefix(40).map(\.stream))))
            }
        }
        guard total > 0 else { return [] }
        return [finding(total >= 20 ? .high : .medium, summary: "\(total) established TCP connection\(total == 1 ? " was" : "s were") "
            + "reset, to \(Format.plural(destinations, "destination")).", evidence: evidence)]
    }
}
