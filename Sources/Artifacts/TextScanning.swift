/// Small helpers the line parsers share: whitespace splitting and number parsing that never trap.
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

    /// The leading run of characters satisfying `isPart`.
    func prefix(while isPart: (Character) -> Bool, max: Int) -> Substring {
        var end = startIndex
        var n = 0
        while end < endIndex, n < max, isPart(self[end]) { end = index(after: end); n += 1 }
        return self[startIndex..<end]
    }
}

/// Parses numbers without trapping on overflow or junk.
enum Number {
    static func int(_ s: Substring) -> Int? { Int(s) }
    static func hex(_ s: Substring) -> Int64? { Int64(s, radix: 16) }

    /// The value following `key` in `key value` token lists (`mtu 1450`, `dev eth0`).
    static func value(after key: String, in fields: [Substring]) -> Substring? {
        guard let i = fields.firstIndex(where: { $0 == key }), i + 1 < fields.count else { return nil }
        return fields[i + 1]
    }
}

/// Feeds every line of a whole text to a line parser (1-based line numbers).
public protocol LineParser {
    associatedtype Output
    init()
    mutating func feed(_ line: Substring, number: Int)
    func finish() -> Output
}

extension LineParser {
    /// Parses a whole text at once; the streaming path calls `feed` line by line instead.
    public static func parse(_ text: String) -> Output {
        var p = Self()
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            p.feed(line, number: number)
        }
        return p.finish()
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
