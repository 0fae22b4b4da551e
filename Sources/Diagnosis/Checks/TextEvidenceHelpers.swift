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

    /// Up to `cap` matched lines, plus a count of the rest.
    static func lines<M>(_ note: String, _ lines: [TextEvidence<M>], cap: Int = 10) -> [Evidence] {
        let (kept, omitted) = lines.capped(cap)
        var out = kept.map { Evidence.line(note, file: $0.file, line: $0.line, text: $0.text) }
        if omitted > 0 { out.append(.value("More lines like these, not listed.", file: lines.first?.file, text: "\(omitted) more")) }
        return out
    }
}

extension Facts {
    /// A sysctl setting as evidence (its line in the sysctl file), when the bundle has it.
    func sysctlEvidence(_ key: String, _ note: String) -> Evidence? {
        guard let s = sysctl, let e = s.value[key] else { return nil }
        return .line(note, file: s.file, e.line)
    }

    /// A kernel counter as evidence.
    func counterEvidence(_ name: String, _ note: String) -> Evidence? {
        guard let (file, v) = counter(name) else { return nil }
        return .line(note, file: file, v.line)
    }
}

/// Number formatting for summaries.
enum Format {
    static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }

    static func ms(_ seconds: Double) -> String {
        let v = seconds * 1000
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
    static func span(_ events: [TextEvidence<KernelLogEvent>]) -> String {
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
}
