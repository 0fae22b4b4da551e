/// A set of keywords found in one pass over a line's bytes, ASCII case folded: the prefilter that
/// lets the text parsers skip, without building a `String`, every line that cannot match.
///
/// The scan looks up each pair of adjacent bytes in a 64 Ki table (one byte per pair: which bucket
/// of needles starts with it, or none) and compares the rest of a needle only where its first two
/// bytes stand. Cost: about one table load per byte, whatever the number of needles (at most 64).
/// A hit is a superset of what the parser matches (folded case), never a subset.
public struct ByteNeedles: Sendable {
    /// The needles as given, lowercased ASCII.
    public let needles: [[UInt8]]
    /// Pair (`b0 << 8 | b1`, any case) → bucket number + 1, 0 for none.
    private let table: [UInt8]
    /// Needle indices per bucket (needles with the same folded first pair).
    private let buckets: [[Int]]

    /// `needles`: each at least two bytes, at most 64 of them.
    public init(_ needles: [String]) {
        precondition(needles.count <= 64 && needles.allSatisfy { $0.utf8.count >= 2 })
        let lowered = needles.map { $0.utf8.map(Self.fold) }
        var table = [UInt8](repeating: 0, count: 1 << 16)
        var bucketOf: [Int: Int] = [:]
        var buckets: [[Int]] = []
        for (i, n) in lowered.enumerated() {
            let key = Int(n[0]) << 8 | Int(n[1])
            let b = bucketOf[key] ?? {
                buckets.append([])
                bucketOf[key] = buckets.count - 1
                return buckets.count - 1
            }()
            buckets[b].append(i)
            for x in Self.cases(n[0]) { for y in Self.cases(n[1]) { table[Int(x) << 8 | Int(y)] = UInt8(b + 1) } }
        }
        precondition(buckets.count < 255)
        self.needles = lowered
        self.table = table
        self.buckets = buckets
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    static func cases(_ b: UInt8) -> [UInt8] { b &- 0x61 < 26 ? [b, b & ~0x20] : [b] }

    /// The needles present in `line`: bit `i` set when `needles[i]` occurs (ASCII case folded).
    public func scan(_ line: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard line.count >= 2, let p = line.baseAddress else { return 0 }
        let n = line.count
        var found: UInt64 = 0
        table.withUnsafeBufferPointer { t in
            var key = Int(p[0])
            var i = 1
            while i < n {
                key = (key << 8 | Int(p[i])) & 0xffff
                let b = t[key]
                if b != 0 { found |= verify(bucket: Int(b) - 1, p: p, at: i - 1, count: n) }
                i += 1
            }
        }
        return found
    }

    private func verify(bucket: Int, p: UnsafePointer<UInt8>, at start: Int, count: Int) -> UInt64 {
        var found: UInt64 = 0
        for i in buckets[bucket] {
            let needle = needles[i]
            guard start + needle.count <= count else { continue }
            var j = 2
            while j < needle.count, Self.fold(p[start + j]) == needle[j] { j += 1 }
            if j == needle.count { found |= 1 << UInt64(i) }
        }
        return found
    }

    /// Whether `line` contains `byte`.
    @inline(__always)
    public static func contains(_ byte: UInt8, in line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = line.baseAddress, line.count > 0 else { return false }
        return memchr(p, Int32(byte), line.count) != nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
