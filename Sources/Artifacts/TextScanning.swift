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
        guard let r = byteRange(of: marker) else { return nil }
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

/// Substring search on UTF-8 bytes (memchr for the first byte, then a compare): the standard
/// library's `firstRange(of:)` builds a searcher with a dictionary on every call, and Foundation's
/// `contains` bridges, which costs microseconds per line. Byte equality is what the parsers mean:
/// their markers are ASCII.
extension StringProtocol {
    /// The first occurrence of `needle`, or nil.
    public func byteRange(of needle: String) -> Range<Index>? {
        let found: Range<Int>?? = utf8.withContiguousStorageIfAvailable { hay in
            var needle = needle
            return needle.withUTF8 { n in Self.search(hay, n) }
        }
        guard let offsets = found ?? Self.search(Array(utf8), Array(needle.utf8)) else { return nil }
        let lo = utf8.index(utf8.startIndex, offsetBy: offsets.lowerBound)
        return lo..<utf8.index(lo, offsetBy: offsets.count)
    }

    /// Whether `needle` occurs.
    public func has(_ needle: String) -> Bool { byteRange(of: needle) != nil }

    static func search(_ hay: UnsafeBufferPointer<UInt8>, _ n: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard let h = hay.baseAddress, let first = n.first else { return n.isEmpty ? 0..<0 : nil }
        guard n.count <= hay.count else { return nil }
        var from = 0
        let last = hay.count - n.count
        while from <= last, let hit = memchr(h + from, Int32(first), last - from + 1) {
            let i = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - h
            if n.count == 1 || memcmp(h + i + 1, n.baseAddress! + 1, n.count - 1) == 0 { return i..<i + n.count }
            from = i + 1
        }
        return nil
    }

    static func search(_ hay: [UInt8], _ n: [UInt8]) -> Range<Int>? {
        hay.withUnsafeBufferPointer { h in n.withUnsafeBufferPointer { search(h, $0) } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
