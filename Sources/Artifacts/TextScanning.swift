/// Small helpers the line parsers share: whitespace splitting, trimming and token lookup.
extension Substring {
    /// Fields separated by runs of spaces or tabs.
    var fields: [Substring] { split(whereSeparator: { $0 == " " || $0 == "\t" }) }

    var trimmed: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return s
    }

    /// The text after the first occurrence of `marker`, or nil.
    func after(_ marker: String) -> Substring? {
        guard let r = firstRange(of: marker) else { return nil }
        return self[r.upperBound...]
    }
}

/// Token lookup for `key value` lists.
enum Tokens {
    /// The value following `key` in `key value` token lists (`mtu 1450`, `dev eth0`).
    static func value(after key: String, in fields: [Substring]) -> Substring? {
        guard let i = fields.firstIndex(where: { $0 == key }), i + 1 < fields.count else { return nil }
        return fields[i + 1]
    }
}

/// A parser that is its own result: fed one line at a time (1-based line numbers), so a large
/// file streams through it; what it has read so far is always a valid value.
public protocol LineParser: Sendable {
    init()
    mutating func feed(_ line: Substring, number: Int)
}

extension LineParser {
    /// Parses a whole text at once; the streaming path calls `feed` line by line instead.
    public static func parse(_ text: String) -> Self {
        var p = Self()
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            p.feed(line, number: number)
        }
        return p
    }
}

/// A line of a file kept as evidence: its number (from 1) and its text.
public struct SourceLine: Sendable, Equatable, Codable {
    public var number: Int
    public var text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }
}
