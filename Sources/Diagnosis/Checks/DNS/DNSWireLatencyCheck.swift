import Wire

/// `dns-latency-wire`: DNS servers slow to answer, measured on the wire.
public struct DNSWireLatencyCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "dns-latency-wire", title: "Slow DNS answers (capture)",
            rationale: """
                Every connection to a Service name starts with a lookup, several with ndots:5: slow answers add \
                directly to request latency. Latency is the time from a lookup's first query to its answer as the \
                capture saw them (so resends after a timeout count in full), per server address the client queried. \
                Percentiles come from an HdrHistogram (3 significant digits).
                """,
            severity: .medium,
            evidence: "Per server: lookups, p50/p95/p99 and maximum latency, answer codes, and the slowest lookups with frames.",
            fix: """
                Scale CoreDNS (replicas, or the autoscaler), enable or enlarge its cache, check its CPU throttling, \
                and for external names the upstream resolvers' latency; NodeLocal DNSCache takes most queries off \
                the network.
                """,
            parameters: [
                CheckParameter("p95_ms", 100, unit: "ms", "95th percentile latency reported"),
                CheckParameter("min_lookups", 5, unit: "lookups", "answered lookups a server needs before it is judged"),
            ],
            passingExamples: [
                CheckExample("answers in 1 ms", packets: Self.lookups("web.default.svc.cluster.local", answeredAfter: 0.001)),
            ],
            failingExamples: [
                CheckExample("answers after 300 ms", packets: Self.lookups("api.example.com", answeredAfter: 0.3), mustCiteFrames: [1, 2]),
            ])
    }

    /// Five lookups of `name`, one a second, each answered after `delay` seconds.
    static func lookups(_ name: String, answeredAfter delay: Double) -> [PacketSketch] {
        var packets: [PacketSketch] = []
        for i in 0..<5 {
            let port = UInt16(41000 + i), id = UInt16(i + 1), t = Double(i)
            packets.append(.dns(t, "10.244.1.5", port, "10.96.0.10", 53, id: id, name))
            packets.append(.dns(t + delay, "10.96.0.10", 53, "10.244.1.5", port, id: id, name, rcode: 0))
        }
        return packets
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let limit = Int64(parameters["p95_ms"] * 1e6), minLookups = Int(parameters["min_lookups"])
        var evidence: [Evidence] = []
        var slowServers: [String] = []
        for capture in facts.captures {
            for s in capture.summary.dns.servers where s.answered >= minLookups {
                guard let p95 = s.percentile(95), p95 > limit, let p50 = s.percentile(50), let p99 = s.percentile(99),
                      let max = s.percentile(100) else { continue }
                slowServers.append("\(s.server) p95 \(Timestamp.seconds(p95))")
                let codes = s.rcodes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\(DNSMessage.rcodeName($0.key)) \($0.value)" }.joined(separator: ", ")
                evidence.append(.value("\(s.server): \(s.answered) answered lookups, latency p50 \(Timestamp.seconds(p50)), "
                    + "p95 \(Timestamp.seconds(p95)), p99 \(Timestamp.seconds(p99)), max \(Timestamp.seconds(max)); answers: \(codes).",
                    file: capture.file, text: "p95 \(Timestamp.seconds(p95)) > \(Timestamp.seconds(limit))"))
                for l in s.slowest.prefix(3) where (l.latency ?? 0) > limit {
                    evidence.append(l.evidence("\(l.question) from \(l.client): \(l.rcodeName ?? "") after \(Timestamp.seconds(l.latency ?? 0)).",
                                               file: capture.file))
                }
            }
        }
        guard !slowServers.isEmpty else { return [] }
        return [finding(.medium, summary: "DNS answers are slow: \(slowServers.joined(separator: "; ")) (limit \(Timestamp.seconds(limit))).",
                        evidence: evidence)]
    }
}
