import Artifacts

/// `socket-buffers-small`: socket buffer caps at the kernel defaults.
public struct SocketBufferCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "socket-buffers-small", title: "Socket buffer caps at kernel defaults",
            rationale: """
                `net.core.rmem_max`/`wmem_max` (212992 by default) cap the buffers an application may request with \
                SO_RCVBUF/SO_SNDBUF, and `tcp_rmem`/`tcp_wmem` cap TCP autotuning. Throughput per connection is at \
                most buffer ÷ RTT: 212 KB over a 10 ms cross-zone path is about 170 Mbit/s. It matters for bulk \
                transfers across zones or regions, not for request/response traffic, hence info.
                """,
            severity: .info,
            evidence: "The `rmem_max`/`wmem_max` lines.",
            fix: """
                On nodes that move bulk data over high-RTT paths: `net.core.rmem_max = net.core.wmem_max = 16777216` and \
                the third value of `net.ipv4.tcp_rmem`/`tcp_wmem` to 16777216.
                """,
            parameters: [CheckParameter("min_bytes", 212992, unit: "bytes", "rmem_max/wmem_max at or below which the check reports")],
            passingExamples: [CheckExample("raised", "node/sysctl-a.txt", ["net.core.rmem_max = 16777216", "net.core.wmem_max = 16777216"])],
            failingExamples: [
                CheckExample("the defaults", "node/sysctl-a.txt", ["net.core.rmem_max = 212992", "net.core.wmem_max = 212992"], mustCite: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl?.value else { return [] }
        let small = ["net.core.rmem_max", "net.core.wmem_max"].filter { k in s.int(k).map { Double($0) <= parameters["min_bytes"] } ?? false }
        guard !small.isEmpty else { return [] }
        return [finding(.info, summary: small.map { "\($0) = \(s.int($0)!)" }.joined(separator: ", ") + ": bulk throughput over high-RTT paths is capped.",
                        evidence: small.compactMap { facts.sysctlEvidence($0, "A socket buffer cap.") })]
    }
}
