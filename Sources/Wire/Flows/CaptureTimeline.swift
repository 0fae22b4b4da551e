/// Follows a capture's timestamps for what they say about the capture itself: gaps (silences the
/// traffic just before them makes implausible) and steps back in time.
///
/// A gap is a silence of at least `gapMinimum` after the latest time seen, in which the frame rate
/// of the `rateWindow` seconds before it predicts at least `gapExpectedFrames` frames. The local
/// rate, not the capture's average, so that a burst followed by quiet, or a filtered capture's
/// idle seconds, are not gaps. A frame more than `reversalMinimum` earlier than the latest time is a
/// step back; smaller steps are normal where several interfaces or CPUs are interleaved (`-i any`,
/// multi-interface pcapng). Frames back in time neither open nor close a silence.
struct CaptureTimeline {
    static let gapMinimum: Int64 = 1_000_000_000
    static let gapExpectedFrames = 100.0
    static let rateWindow = 10
    static let reversalMinimum: Int64 = 1_000_000_000
    /// The longest gaps kept.
    static let maxGaps = 1_024

    private var latest: Int64?
    private var latestFrame = 0
    private var firstSecond: Int64 = 0
    private var bucketSecond: Int64 = 0
    /// Frames per second of the last `rateWindow` seconds, indexed by second modulo the window; the current
    /// second's frames are counted in `current` until the next second begins.
    private var buckets = [Int](repeating: 0, count: rateWindow)
    private var current = 0
    /// The times that fall in `bucketSecond` (`t / 1e9`), when it is positive: a frame there is only counted.
    private var currentRange: Range<Int64> = 0..<0
    private(set) var gaps: [CaptureGap] = []
    private(set) var reversals = 0
    private(set) var firstReversalFrame: Int?

    mutating func add(_ t: Int64, frame: Int) {
        guard let last = latest else {
            latest = t
            latestFrame = frame
            firstSecond = t / 1_000_000_000
            bucketSecond = firstSecond
            count(t)
            return
        }
        if t < last {
            let (back, overflow) = last.subtractingReportingOverflow(t)
            if overflow || back >= Self.reversalMinimum {
                reversals += 1
                if firstReversalFrame == nil { firstReversalFrame = frame }
            }
            return
        }
        let (silence, overflow) = t.subtractingReportingOverflow(last)
        if !overflow, silence >= Self.gapMinimum {
            let expected = localRate * Double(silence) / 1e9
            if expected >= Self.gapExpectedFrames {
                gaps.append(CaptureGap(frameBefore: latestFrame, frameAfter: frame, start: last, end: t, expectedFrames: expected))
                if gaps.count >= 2 * Self.maxGaps { trim() }
            }
        }
        latest = t
        latestFrame = frame
        count(t)
    }

    /// Frames per second over the window before the latest frame (or since the first, if shorter).
    private var localRate: Double {
        let covered = Swift.min(Int64(Self.rateWindow), Swift.max(1, bucketSecond - firstSecond + 1))
        return Double(buckets.reduce(0, +) + current) / Double(covered)
    }

    @inline(__always)
    private mutating func count(_ t: Int64) {
        if currentRange.contains(t) {
            current += 1
        } else {
            countInAnotherSecond(t)
        }
    }

    /// `count` for a frame outside `currentRange`: the second's frames go to its bucket, and the buckets of the
    /// seconds since (or all, after a whole window) are emptied.
    private mutating func countInAnotherSecond(_ t: Int64) {
        buckets[Self.slot(bucketSecond)] += current
        current = 0
        let second = t / 1_000_000_000
        if second != bucketSecond {
            let steps = second - bucketSecond
            if steps <= 0 || steps >= Int64(Self.rateWindow) {
                for i in buckets.indices { buckets[i] = 0 }
            } else {
                for s in (bucketSecond + 1)...second { buckets[Self.slot(s)] = 0 }
            }
            bucketSecond = second
        }
        // Division truncates towards zero: second 0 holds the times of both signs, so only positive seconds get a range.
        let (start, overflow) = second.multipliedReportingOverflow(by: 1_000_000_000)
        currentRange = second > 0 && !overflow && start <= Int64.max - 1_000_000_000 ? start..<(start + 1_000_000_000) : 0..<0
        current += 1
    }

    private static func slot(_ second: Int64) -> Int {
        let m = Int(second % Int64(rateWindow))
        return m < 0 ? m + rateWindow : m
    }

    private mutating func trim() {
        gaps.sort { $0.duration > $1.duration }
        gaps.removeLast(gaps.count - Self.maxGaps)
    }

    /// The kept gaps, longest first.
    func finished() -> [CaptureGap] {
        gaps.sorted { $0.duration > $1.duration }.prefix(Self.maxGaps).map { $0 }
    }
}
