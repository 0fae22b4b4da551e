import Artifacts
import Wire

/// What one capture could and could not have seen, for findings built on a missing packet (a
/// SYN-ACK, a DNS response). A capture vouches for an absence only when it was demonstrably
/// running and complete around the time the answer was due.
///
/// The blind spots of a request sent once, in the order they are tested:
/// 1. the capture ended less than the answer window after it;
/// 2. the capture dropped packets (pcapng ISB counters, or tcpdump's statistics on the
///    collector's `<name>.tcpdump-stderr.txt` beside `<name>.pcap*`) and the request was sent
///    once: the answer may be among the dropped;
/// 3. a gap (`CaptureGap`) starts within the answer window after a request sent once.
///
/// A request the client sent again is judged whatever the capture's end, drops or gaps: the resend
/// itself shows the client had no answer to the earlier sends (the evidence says how long the
/// capture went on after the last).
struct CaptureCoverage {
    let capture: CaptureFacts
    /// Packets the capturing system dropped, and where that number comes from.
    let dropped: Int
    let dropSource: String?

    init(_ capture: CaptureFacts, facts: Facts) {
        self.capture = capture
        let context = facts.context(of: capture)
        dropped = context.dropped
        dropSource = context.dropSource
    }

    /// Why the capture cannot vouch that nothing answered a request last sent at `time` after
    /// `sends` sends, with answers due within `window`; nil when it can.
    func blindSpot(lastSend time: Int64, sends: Int, window: Int64) -> BlindSpot? {
        guard sends <= 1 else { return nil }
        guard let end = capture.summary.lastTime else { return .noTimestamps }
        if end - time < window { return .endedAfter(end - time) }
        if dropped > 0 { return .drops(dropped, dropSource) }
        if let g = capture.summary.gaps.first(where: { $0.start >= time && $0.start - time < window }) { return .gap(g) }
        return nil
    }

    /// Why an absence cannot be vouched for, worded only when a finding cites it (a flood has a million).
    enum BlindSpot {
        case noTimestamps
        case endedAfter(Int64)
        case drops(Int, String?)
        case gap(CaptureGap)

        var reason: String {
            switch self {
            case .noTimestamps: "the capture has no timestamps"
            case .endedAfter(let ns): "the capture ended \(Timestamp.seconds(ns)) after it"
            case .drops(let n, let source): "sent once while the capture dropped \(n) packets (\(source ?? "capture statistics"))"
            case .gap(let g): "sent once just before a \(Timestamp.seconds(g.duration)) gap in the capture (frames \(g.frameBefore)–\(g.frameAfter))"
            }
        }
    }
}
