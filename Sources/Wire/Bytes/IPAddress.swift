/// An IPv4 or IPv6 address stored inline (no allocation), hashable for flow tables.
///
/// IPv4 addresses keep their 32 bits in the low word of `low`, with `high` zero.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64
    public let isIPv6: Bool

    public init(ipv4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isIPv6 = false
    }

    public init(ipv6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isIPv6 = true
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseIPv6(String(text)) else { return nil }
            self.init(ipv6High: h, low: l)
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard !part.isEmpty, part.count <= 3, let octet = UInt8(part) else { return nil }
                value = value << 8 | UInt32(octet)
            }
            self.init(ipv4: value)
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.isIPv6 ? 1 : 0, a.high, a.low) < (b.isIPv6 ? 1 : 0, b.high, b.low)
    }

    public var description: String {
        isIPv6 ? ipv6Text : ipv4Text
    }

    private var ipv4Text: String {
        let v = UInt32(truncatingIfNeeded: low)
        return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
    }

    /// RFC 5952 text: lower case, the longest run (≥ 2) of zero groups compressed to `::`.
    private var ipv6Text: String {
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += i == 0 ? "::" : ":"
                i += bestLength
                continue
            }
            text += String(groups[i], radix: 16)
            if i < 7 { text += ":" }
            i += 1
        }
        return text
    }

    private static func parseIPv6(_ text: String) -> (UInt64, UInt64)? {
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]); l = l << 16 | UInt64(all[i + 4]) }
        return (h, l)
    }
}

extension String {
    /// Splits at every `::` (IPv6 zero compression); a valid address has at most one.
    fileprivate func components(separatedByDoubleColon _: ()) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<i])
                i = index(after: next)
                start = i
            } else {
                i = next
            }
        }
        parts.append(self[start...])
        return parts
    }
}
