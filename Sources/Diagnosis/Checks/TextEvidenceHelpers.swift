import Artifacts

extension Evidence {
    /// A line of a bundle file.
    static func line(_ note: String, file: String, _ line: SourceLine) -> Evidence {
        .line(note, file: file, line: line.number, text: line.text)
    }

    /// Up to `cap` lines of one file, plus a count of the rest.
    static func lines(_ note: String, file: String, _ lines: [SourceLine], cap: Int = 10) -> [Evidence] {
        Evidence.lines(note, lines.map { TextEvidence(file: file, line: $0.number, text: $0.text, match: ()) }, cap: cap)
    }

    /// Up to `cap` matched lines: the first `cap − 1` and the last, so the evidence shows when it
    /// began and when it was last seen, plus a count of the lines between.
    static func lines<M>(_ note: String, _ lines: [TextEvidence<M>], cap: Int = 10) -> [Evidence] {
        capped(note, lines, cap: cap) { .line(note, file: $0.file, line: $0.line, text: $0.text) }
    }

    /// Kernel log lines, each with its time as the line gave it (the timeline dates them from it).
    static func lines(_ note: String, _ lines: [TextEvidence<KernelLogEvent>], cap: Int = 10) -> [Evidence] {
        capped(note, lines, cap: cap) { .line(note, file: $0.file, line: $0.line, text: $0.text, kernelTime: $0.match.time) }
    }

    private static func capped<M>(_ note: String, _ lines: [TextEvidence<M>], cap: Int, _ line: (TextEvidence<M>) -> Evidence) -> [Evidence] {
        guard lines.count > cap, cap >= 2 else { return lines.prefix(max(cap, 0)).map(line) }
        return lines.prefix(cap - 1).map(line)
            + [.value("More lines like these, not listed.", file: lines.first?.file, text: "\(lines.count - cap) more"), line(lines[lines.count - 1])]
    }
}

extension Facts {
    /// A sysctl setting as evidence (its line in the sysctl file), when the bundle has it.
    func sysctlEvidence(_ key: String, _ note: String) -> Evidence? {
        guard let s = sysctl, let e = s.value[key] else { return nil }
        return .line(note, file: e.file ?? s.file, e.line)
    }

    /// A kernel counter as evidence.
    func counterEvidence(_ name: String, _ note: String) -> Evidence? {
        guard let (file, v) = counter(name) else { return nil }
        return .line(note, file: file, v.line)
    }
}

/// Number formatting for summaries (and the reports, which show the same numbers).
public enum Format {
    static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }

    /// "0.05 ms", "12.30 ms", "124 ms"; "?" for what is not a number of milliseconds (NaN,
    /// infinite, beyond 10¹² ms), which untrusted files can produce.
    public static func ms(_ seconds: Double) -> String {
        let v = seconds * 1000
        guard v.isFinite, abs(v) < 1e12 else { return "?" }
        if v >= 100 { return "\(Int(v.rounded())) ms" }
        let hundredths = Int((v * 100).rounded())
        return "\(hundredths / 100).\(pad2(hundredths % 100)) ms"
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " and " + last
    }

    /// First and last time of kernel events, as the lines print them.
    /// " at T" or " from T1 to T2" for kernel lines, earliest to latest: wall-clock UTC when `facts`
    /// can date them all (`Facts.wallClock`), else seconds after boot; `dmesg -T` stamps as written,
    /// first and last.
    static func span(_ events: [TextEvidence<KernelLogEvent>], _ facts: Facts) -> String {
        let since = events.compactMap { e -> Double? in if case .sinceBoot(let s)? = e.match.time { s } else { nil } }
        if since.count == events.count, let a = since.min(), let b = since.max() {
            if let x = facts.wallClock(.sinceBoot(a)), let y = facts.wallClock(.sinceBoot(b)) { return span(x, y) }
            return Int(a) == Int(b) ? " at \(Int(a)) s after boot" : " from \(Int(a)) s after boot to \(Int(b)) s after boot"
        }
        func text(_ t: KernelTime?) -> String? {
            switch t {
            case .sinceBoot(let s): "\(Int(s)) s after boot"
            case .wallClock(let w): w
            case nil: nil
            }
        }
        guard let a = text(events.first?.match.time), let b = text(events.last?.match.time) else { return "" }
        return a == b ? " at \(a)" : " from \(a) to \(b)"
    }

    /// " at 05:06:51 UTC (2026-11-22)", " from 05:06:51 to 05:06:58 UTC (2026-11-22)", or with
    /// full dates when the day changes.
    static func span(_ a: Int64, _ b: Int64) -> String {
        let x = clock(a), y = clock(b)
        if x == y { return " at \(time(x)) UTC (\(day(x)))" }
        return day(x) == day(y) ? " from \(time(x)) to \(time(y)) UTC (\(day(x)))" : " from \(x) to \(y)"
    }

    /// RFC 3339 to the second.
    static func clock(_ ns: Int64) -> String {
        let s = Timestamp.rfc3339(ns)
        return String(s.prefix(19)) + "Z"
    }

    private static func day(_ clock: String) -> Substring { clock.prefix(10) }
    private static func time(_ clock: String) -> Substring { clock.dropFirst(11).prefix(8) }
}
