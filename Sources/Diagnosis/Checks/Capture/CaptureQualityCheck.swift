import Artifacts
import Wire

/// `capture-quality`: what the captures could not see — packets the capturing kernel dropped and
/// packets cut short by the snap length — so absence-based findings are read with care.
public struct CaptureQualityCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "capture-quality", title: "Capture lost or truncated packets",
            rationale: """
                Findings built on what is missing from a capture (a SYN without SYN-ACK, an unanswered DNS \
                query, a retransmission) assume the capture saw everything on its interface. Packets the capturing \
                kernel dropped (pcapng Interface Statistics `isb_ifdrop`/`isb_osdrop`, or tcpdump's "N packets \
                dropped by kernel") break that assumption. Packets cut to the snap length keep their headers, so \
                TCP analysis still holds (lengths come from the IP header), but DNS names and other payload \
                are only partly visible. Truncated means `frame.cap_len < frame.len`. A gap is a silence of at \
                least 1 s in which the capture's average rate predicts at least 100 frames (a paused capture, a \
                missing ring-buffer file, a link down, or traffic that truly stopped); absence-based findings \
                next to a gap are indeterminate. Frames whose timestamps go backwards mean files were \
                concatenated rather than merged, or the clock stepped: time-based analysis is unreliable there. \
                To bound memory, a TCP conversation's state is flushed 5 s after FINs from both sides or a RST, \
                and after 5 min without a packet (as Zeek does); a conversation that sends again after that gets \
                a new tcp.stream number where Wireshark keeps the old one, which is reported here.
                """,
            severity: .low,
            evidence: """
                The drop counters (ISB or the tcpdump statistics lines), the share of truncated frames and the snap \
                length, the longest gaps with the frames around them, and the first frame whose time goes backwards.
                """,
            fix: """
                Re-capture with a larger buffer (`tcpdump -B 16384`), a capture filter that keeps only the \
                traffic of interest, and `-s 0` (or at least 512 bytes to keep DNS payloads); write to a fast local \
                disk. Merge capture files with `mergecap` (it orders by time) rather than concatenating them. \
                Treat absence-based findings from these captures as indicative until confirmed.
                """,
            parameters: [
                CheckParameter("truncated_share", 0.01, unit: "ratio", "share of truncated frames reported"),
            ],
            passingExamples: [
                CheckExample("tcpdump dropped nothing", "captures/any.tcpdump-stderr.txt", [
                    "tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes",
                    "2231 packets captured",
                    "2231 packets received by filter",
                    "0 packets dropped by kernel",
                ]),
                CheckExample("a quiet capture: a second without frames is not a gap", packets: [
                    .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(1, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                    .tcp(3, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
                ]),
            ],
            failingExamples: [
                CheckExample("the kernel dropped packets during the capture", "captures/any.tcpdump-stderr.txt", [
                    "tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes",
                    "81934 packets captured",
                    "120411 packets received by filter",
                    "38477 packets dropped by kernel",
                ], mustCite: [4]),
                CheckExample("a busy capture goes silent for 3 s", packets: PacketSketch.busy(seconds: 1)
                    + [.udp(4, "10.244.1.20", 5000, "10.244.1.21", 5001, payload: 100)], mustCiteFrames: [200, 201]),
                CheckExample("a closed connection sends again after its state was flushed", packets: PacketSketch.completedHandshake + [
                    .tcp(0.01, "10.244.1.5", 40000, "10.96.0.10", 443, "FA", seq: 1001, ack: 5001),
                    .tcp(0.011, "10.96.0.10", 443, "10.244.1.5", 40000, "FA", seq: 5001, ack: 1002),
                    .tcp(0.012, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 1002, ack: 5002),
                    .tcp(9, "10.244.1.5", 40001, "10.96.0.10", 443, "S"),
                    .tcp(9.001, "10.96.0.10", 443, "10.244.1.5", 40000, "R", seq: 5002),
                ], mustCiteFrames: [8]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var dropped = 0, truncated = 0, frames = 0, gaps = 0, reversals = 0, resumed = 0
        var severity = Severity.info
        for s in facts.tcpdumpStats where s.value.dropped > 0 {
            dropped += s.value.dropped
            severity = .medium
            for line in s.value.lines where line.text.contains("dropped") {
                evidence.append(.line("tcpdump reports packets it never saw.", file: s.file, line))
            }
        }
        for c in facts.captures {
            let isb = Int(clamping: c.droppedPackets)
            if isb > 0 {
                dropped = dropped.saturatingAdd(isb)
                severity = .medium
                evidence.append(.value("The capture's Interface Statistics Blocks count packets dropped while capturing.",
                                       file: c.file, text: "\(isb) packets dropped (isb_ifdrop + isb_osdrop)"))
            }
            for g in c.summary.gaps.prefix(5) {
                evidence.append(.packets("No frame for \(Timestamp.seconds(g.duration)), where the capture's average rate "
                    + "predicts about \(Int(g.expectedFrames.rounded())).", file: c.file, frames: [g.frameBefore, g.frameAfter],
                    times: [g.start, g.end], filter: "frame.number == \(g.frameBefore) || frame.number == \(g.frameAfter)"))
            }
            gaps += c.summary.gaps.count
            if !c.summary.gaps.isEmpty { severity = Swift.max(severity, .low) }
            if let first = c.summary.firstTimeReversalFrame {
                reversals += c.summary.timeReversals
                severity = Swift.max(severity, .low)
                evidence.append(.packets("\(c.summary.timeReversals) frame(s) are timestamped earlier than the frame before "
                    + "them; the first is frame \(first).", file: c.file, frames: [first - 1, first], times: [],
                    filter: "frame.number == \(first - 1) || frame.number == \(first)"))
            }
            if c.summary.tcpConversationsResumed > 0, let first = c.summary.firstTCPResumedFrame {
                resumed += c.summary.tcpConversationsResumed
                evidence.append(.packets("\(Format.plural(c.summary.tcpConversationsResumed, "TCP conversation")) sent again after "
                    + "netautopsy had flushed \(c.summary.tcpConversationsResumed == 1 ? "its" : "their") state (5 s after closing or 5 min "
                    + "without a packet); the first is frame \(first). From there on, tcp.stream numbers in this report may be "
                    + "higher than Wireshark's by up to that many; frame numbers are exact.", file: c.file, frames: [first], times: [],
                    filter: "frame.number == \(first)"))
            }
            let k = c.summary.counters
            let cut = facts.redactedCaptures[c.file] ?? k.truncatedPackets
            guard k.packets > 0, Double(cut) / Double(k.packets) > parameters["truncated_share"] else { continue }
            truncated += cut
            frames += k.packets
            severity = Swift.max(severity, .low)
            let snap = c.interfaces.map(\.snapLength).filter { $0 > 0 }.min()
            evidence.append(.value("Frames cut to the snap length\(snap.map { " (\($0) bytes)" } ?? ""): payload analysis (DNS names) "
                + "sees only part of them; TCP analysis is unaffected.", file: c.file,
                text: "\(cut) of \(k.packets) frames truncated (frame.cap_len < frame.len)"
                    + (facts.redactedCaptures[c.file] != nil ? " before the bundle was redacted" : "")))
        }
        guard dropped > 0 || truncated > 0 || gaps > 0 || reversals > 0 || resumed > 0 else { return [] }
        var parts: [String] = []
        if dropped > 0 {
            parts.append("\(dropped) packet\(dropped == 1 ? " was" : "s were") dropped by the capturing system: findings about "
                + "missing packets (unanswered SYNs or DNS queries, retransmissions) may be capture artefacts")
        }
        if truncated > 0 { parts.append("\(truncated) of \(frames) frames were cut to the snap length") }
        if gaps > 0 {
            parts.append("\(Format.plural(gaps, "gap")) where a busy capture went silent for a second or more: "
                + "absence-based findings next to them are indeterminate")
        }
        if resumed > 0 {
            parts.append("\(Format.plural(resumed, "TCP conversation")) resumed after \(resumed == 1 ? "its" : "their") state was flushed: "
                + "later tcp.stream numbers may differ from Wireshark's")
        }
        if reversals > 0 { parts.append("\(Format.plural(reversals, "frame")) go back in time (files concatenated, not merged?)") }
        return [finding(severity, summary: parts.joined(separator: "; ") + ".", evidence: evidence)]
    }
}
