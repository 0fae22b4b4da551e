import Artifacts
import Wire

/// One moment on the incident's timeline.
public struct TimelineEvent: Codable, Sendable, Equatable {
    public enum Source: String, Codable, Sendable {
        /// A frame of a capture (the capturing host's clock).
        case capture
        /// A kernel log line (seconds since boot, turned into wall-clock time with the boot time).
        case kernel
        /// A log line with its own RFC 3339 time (CoreDNS with timestamps, `kubectl logs --timestamps`).
        case log
        /// The collector's manifest (the collecting host's clock).
        case collector
    }

    /// RFC 3339 UTC, when the time is known on the wall clock.
    public var time: WallTime?
    /// Seconds since boot, for kernel lines when the boot time is unknown (then `time` is nil).
    public var sinceBoot: Double?
    public var source: Source
    /// The finding this moment belongs to, if any.
    public var finding: CheckID?
    public var severity: Severity?
    public var text: String
    public var file: String?
    public var line: Int?
    public var frame: Int?
}

/// Every source's moments on one time axis: the first and last evidence of each finding, the
/// captures' first and last frames, the node's boot, and what the collector did. Kernel times are
/// seconds since boot; with the manifest's boot time they become wall-clock times, without it they
/// are listed apart (after the others) and a note says so. Notes also give what shows that two
/// sources' clocks differ.
public struct Timeline: Codable, Sendable, Equatable {
    public var events: [TimelineEvent] = []
    public var notes: [String] = []
    /// The first and last wall-clock moment (ns) of each finding, by its index in the findings
    /// given to `build`: from all its dated evidence, also when `events` is cut at `maxEvents`.
    /// Not part of the JSON (the findings carry them as `first_seen`/`last_seen`).
    public var spans: [Int: ClosedRange<Int64>] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey { case events, notes }

    /// Timelines are equal by what the report shows: events and notes.
    public static func == (a: Timeline, b: Timeline) -> Bool { a.events == b.events && a.notes == b.notes }

    /// The findings with `firstSeen` and `lastSeen` set from `spans` (same order as given to `build`).
    public func dating(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().map { i, f in
            var f = f
            if let span = spans[i] {
                f.firstSeen = WallTime(span.lowerBound)
                f.lastSeen = WallTime(span.upperBound)
            }
            return f
        }
    }

    /// At most this many events; the rest are counted in a note.
    public static let maxEvents = 400

    /// A point before it becomes an event: a wall-clock time (ns) or seconds since boot.
    private struct Point {
        var ns: Int64?
        var sinceBoot: Double?
        var source: TimelineEvent.Source
        var text: String
        var file: String?
        var line: Int?
        var frame: Int?
    }

    public static func build(findings: [Finding], facts: Facts) -> Timeline {
        var timeline = Timeline()
        var points: [(point: Point, finding: Finding?)] = []
        var localClockLines = 0
        var relative = false
        var late: Int64?, lateLines = 0
        for (index, f) in findings.enumerated() {
            var mine: [Point] = []
            for e in f.evidence {
                switch e.kind {
                case .packets:
                    // The earliest of the evidence's frames, with its own frame number.
                    let timed = zip(e.frames ?? [], e.times ?? []).compactMap { f, t in t.map { (f, $0.nanoseconds) } }
                    if let (frame, time) = timed.min(by: { $0.1 < $1.1 }) {
                        mine.append(Point(ns: time, source: .capture, text: e.note, file: e.file, frame: frame))
                    }
                case .line:
                    guard let file = e.file, let line = e.line else { continue }
                    let text = String((e.text ?? "").prefix(240))
                    switch e.kernelTime {
                    case .sinceBoot(let s)?:
                        // Times from an untrusted file: nothing negative, infinite or beyond a century.
                        guard s.isFinite, s >= 0, s < 3e9 else { continue }
                        if let ns = facts.wallClock(.sinceBoot(s)) {
                            mine.append(Point(ns: ns, source: .kernel, text: text, file: file, line: line))
                        } else {
                            // No boot time, or one that dates the line after the collection ended.
                            if let boot = facts.bootTime {
                                late = max(late ?? 0, boot.saturatingAdd(Int64(s * 1e9)))
                                lateLines += 1
                            } else {
                                relative = true
                            }
                            mine.append(Point(sinceBoot: s, source: .kernel, text: text, file: file, line: line))
                        }
                    case .wallClock?:
                        localClockLines += 1
                    case nil:
                        if let t = leadingTime(text) { mine.append(Point(ns: t, source: .log, text: text, file: file, line: line)) }
                    }
                case .value:
                    continue
                }
            }
            // The first and the last moment of the finding.
            let ordered = mine.sorted { ($0.ns ?? 0, $0.sinceBoot ?? 0) < ($1.ns ?? 0, $1.sinceBoot ?? 0) }
            let absolute = ordered.filter { $0.ns != nil }, relativeOnes = ordered.filter { $0.ns == nil }
            if let a = absolute.first?.ns, let b = absolute.last?.ns { timeline.spans[index] = a...b }
            for group in [absolute, relativeOnes] where !group.isEmpty {
                var first = group.first!
                if group.count > 1 { first.text = "first of \(group.count): " + first.text }
                points.append((first, f))
                if group.count > 1, var last = group.last {
                    last.text = "last of \(group.count): " + last.text
                    points.append((last, f))
                }
            }
        }
        if let boot = facts.bootTime { points.append((Point(ns: boot, source: .kernel, text: "node booted"), nil)) }
        for c in facts.collectorEvents {
            points.append((Point(ns: c.time, source: .collector, text: c.text, file: c.file), nil))
        }
        for c in facts.captures {
            if let t = c.summary.firstTime {
                points.append((Point(ns: t, source: .capture, text: "capture starts", file: c.file, frame: 1), nil))
            }
            if let t = c.summary.lastTime {
                // The latest time, which is not always the last frame's (timestamps can go back).
                points.append((Point(ns: t, source: .capture, text: "capture ends", file: c.file), nil))
            }
            timeline.notes += clockNotes(c, window: facts.context(of: c).window)
        }
        // Wall-clock moments in time order, then those known only since boot.
        let sorted = points.enumerated().sorted { a, b in
            switch (a.element.point.ns, b.element.point.ns) {
            case let (x?, y?): return (x, a.offset) < (y, b.offset)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return (a.element.point.sinceBoot ?? 0, a.offset) < (b.element.point.sinceBoot ?? 0, b.offset)
            }
        }.map(\.element)
        for (p, f) in sorted.prefix(maxEvents) {
            timeline.events.append(TimelineEvent(
                time: p.ns.map { WallTime(nanoseconds: $0) }, sinceBoot: p.sinceBoot, source: p.source, finding: f?.id, severity: f?.severity,
                text: f.map { "\($0.title): \(p.text)" } ?? p.text, file: p.file, line: p.line, frame: p.frame))
        }
        if sorted.count > maxEvents { timeline.notes.append("\(sorted.count - maxEvents) later moments are not listed.") }
        // Kernel lines the boot time would date after the collection ended cannot be from this boot.
        if let latest = late, let end = facts.collectorEvents.map(\.time).max() {
            timeline.notes.append("\(lateLines) kernel line time(s) would fall after the collection ended, by up to "
                + "\(Timestamp.seconds(latest.saturatingSubtract(end))), if dated by the manifest's boot time: lines from an earlier "
                + "boot or another node, or a wrong boot time. They are listed by seconds since boot, after the dated moments.")
        }
        if relative {
            timeline.notes.append("Kernel log times are seconds since boot and the bundle gives no boot time (the collector's "
                + "manifest has `boot_time_epoch`): those lines are listed after the others, in their own order.")
        }
        if localClockLines > 0 {
            timeline.notes.append("\(localClockLines) kernel line(s) carry `dmesg -T` local times, which have no time zone and drift "
                + "after suspend: they are not placed on the timeline.")
        }
        return timeline
    }

    /// A leading RFC 3339 time on a log line (`kubectl logs --timestamps`, CoreDNS 1.2-era logs).
    static func leadingTime(_ text: String) -> Int64? {
        let token = text.drop { $0 == " " || $0 == "[" }.prefix { $0 != " " && $0 != "]" }
        return Timestamp.parse(token)
    }

    /// Frames stamped outside the window in which the collector says it captured prove that the
    /// capture's clock and the collector's differ (by at least that much).
    static func clockNotes(_ c: CaptureFacts, window: CaptureWindow?) -> [String] {
        guard let window else { return [] }
        var notes: [String] = []
        let slack: Int64 = 1_000_000_000
        if let start = window.start, let first = c.summary.firstTime, start.saturatingSubtract(first) > slack {
            notes.append("\(c.file): the first frame is \(Timestamp.seconds(start.saturatingSubtract(first))) before the collector says the capture "
                + "started: the capture's clock and the collector's differ by at least that much.")
        }
        if let end = window.end, let last = c.summary.lastTime, last.saturatingSubtract(end) > slack {
            notes.append("\(c.file): the last frame is \(Timestamp.seconds(last.saturatingSubtract(end))) after the collector says the capture "
                + "ended: the capture's clock and the collector's differ by at least that much.")
        }
        return notes
    }
}
