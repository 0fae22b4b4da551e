/// A query logged by CoreDNS's `log` plugin (Common Log Format):
/// `[INFO] 10.244.1.3:40090 - 51243 "A IN name. udp 54 false 512" NOERROR qr,aa,rd 106 0.0000988s`,
/// also with a leading RFC 3339 time (older CoreDNS, `kubectl logs --timestamps`) and the 1.2-era
/// `[11/Jan/2019:19:59:01 +0000]` inside the line.
public struct CoreDNSQuery: Sendable, Equatable {
    public var time: String?
    public var client: String
    public var port: Int?
    public var id: Int
    public var type: String
    /// The query name as logged (absolute, with the trailing dot).
    public var name: String
    public var proto: String
    public var rcode: String
    /// `qr,aa,rd,ra`; `-` when no response was written.
    public var flags: String
    public var responseSize: Int
    /// Seconds.
    public var duration: Double

    /// The server answered from upstream (recursion available) rather than authoritatively.
    public var recursed: Bool { flags.split(separator: ",").contains("ra") && !flags.split(separator: ",").contains("aa") }
}

/// A query line's fields as byte ranges of the line (`CoreDNSLogLine.scan`), with the numbers
/// already read: what is kept of every query costs no allocation, the rest is built on demand.
public struct CoreDNSQueryFields: Sendable {
    public var time: Range<Int>?
    /// `[11/Jan/2019:19:59:01 +0000]`: the date and the zone, without the brackets.
    public var bracketTime: (Range<Int>, Range<Int>)?
    /// `client:port` (or `[v6]:port`).
    public var client: Range<Int>
    public var id: Int
    public var type: Range<Int>
    public var name: Range<Int>
    public var proto: Range<Int>
    public var rcode: Range<Int>
    public var flags: Range<Int>
    public var responseSize: Int
    /// The query's duration in nanoseconds (Go's unit, exact).
    public var nanoseconds: Int64
    /// Seconds: the nearest double to `nanoseconds` × 10⁻⁹, as `Double("0.000205726")` reads it.
    public var duration: Double { Double(nanoseconds) / 1e9 }

    public init() {
        client = 0..<0; id = 0; type = 0..<0; name = 0..<0; proto = 0..<0; rcode = 0..<0; flags = 0..<0
        responseSize = 0; nanoseconds = 0
    }

    /// The client address without its port.
    public func clientAddress(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        CoreDNSLogLine.splitHostPortRanges(b, client).host
    }

    public func query(_ b: UnsafeBufferPointer<UInt8>) -> CoreDNSQuery {
        var when = time.map { Bytes.string(b, $0) }
        if when == nil, let (date, zone) = bracketTime { when = Bytes.string(b, date) + " " + Bytes.string(b, zone) }
        let (host, port) = CoreDNSLogLine.splitHostPortRanges(b, client)
        return CoreDNSQuery(time: when, client: Bytes.string(b, host), port: port.flatMap { Bytes.int(b, $0) }, id: id,
                            type: Bytes.string(b, type), name: Bytes.string(b, name), proto: Bytes.string(b, proto),
                            rcode: Bytes.string(b, rcode), flags: Bytes.string(b, flags),
                            responseSize: responseSize, duration: duration)
    }
}

/// A line of CoreDNS's `errors` plugin: `[ERROR] plugin/errors: 2 name. A: read udp A->U:53: i/o timeout`.
public struct CoreDNSError: Sendable, Equatable {
    public var rcode: Int
    public var name: String
    public var type: String
    public var message: String
    /// The upstream address (`U:53`) when the error is a forwarding read/dial failure.
    public var upstream: String?

    /// `i/o timeout` waiting for an upstream.
    public var isTimeout: Bool { message.hasSuffix("i/o timeout") || message.has("i/o timeout") }
    /// Probes of the `loop` plugin: HINFO for a random numeric name, at start-up.
    public var isLoopProbe: Bool {
        type == "HINFO" && name.split(separator: ".").allSatisfy { $0.allSatisfy(\.isNumber) }
    }
}

/// One line of a CoreDNS log.
public enum CoreDNSLogLine: Sendable, Equatable {
    case query(CoreDNSQuery)
    case error(CoreDNSError)
    /// `N errors like '…' occurred in last D` (the errors plugin's `consolidate`).
    case consolidated(count: Int, pattern: String)
    case other

    /// What every `errors` plugin line holds (a query line has its question in double quotes).
    /// Every line of a CoreDNS log goes to `scan`, so no prefilter keyword is needed.
    static let errorsMarker = Array("plugin/errors: ".utf8)

    public static func parse(_ raw: Substring) -> CoreDNSLogLine {
        var copy = String(raw)
        return copy.withUTF8 { parse(bytes: $0) }
    }

    /// Parses one line from its bytes: a query line is split without building a string for
    /// anything but the fields kept.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> CoreDNSLogLine {
        var fields = CoreDNSQueryFields()
        return switch scan(bytes: bytes, into: &fields) {
        case .query: .query(fields.query(bytes))
        case .error(let line): errorLine(Bytes.string(bytes, line)[...])
        case .other: .other
        }
    }

    /// What `scan` found in a line.
    public enum Scanned: Sendable {
        /// A query line: its fields were written to the `CoreDNSQueryFields` passed in.
        case query
        /// An `errors` plugin line: the range after `plugin/errors: `.
        case error(Range<Int>)
        case other
    }

    /// Splits one line into byte ranges without allocating: the fast path of `parse`, for callers
    /// that keep only some queries (`CoreDNSQueryFields.query` builds the value when wanted).
    public static func scan(bytes: UnsafeBufferPointer<UInt8>, into fields: inout CoreDNSQueryFields) -> Scanned {
        var line = Bytes.trimmed(bytes, 0..<bytes.count)
        var time: Range<Int>?
        let first = Bytes.token(bytes, from: line.lowerBound, in: line)
        if !first.isEmpty, Bytes.isDigit(bytes[first.lowerBound]), Bytes.contains(bytes, first, UInt8(ascii: "T")),
           Bytes.contains(bytes, first, UInt8(ascii: ":")) {
            time = first
            line = Bytes.trimmed(bytes, first.upperBound..<line.upperBound)
        }
        // The errors plugin's marker comes before anything quoted in its line: a query line is
        // searched only up to its question.
        let quote = Bytes.index(of: UInt8(ascii: "\""), in: bytes, line)
        if let r = Bytes.find(bytes, line.lowerBound..<(quote ?? line.upperBound), errorsMarker) { return .error(r.upperBound..<line.upperBound) }
        guard let q1 = quote else { return .other }
        if bytes[line.lowerBound] == UInt8(ascii: "[") {
            guard let close = Bytes.index(of: UInt8(ascii: "]"), in: bytes, line.lowerBound..<q1) else { return .other }
            line = Bytes.trimmed(bytes, close + 1..<line.upperBound)
        }
        return Self.fields(bytes, line, time: time, firstQuote: q1, into: &fields) ? .query : .other
    }

    /// Reads the `errors` plugin line whose text after the marker is `rest` (from `scan`).
    public static func errorLine(bytes: UnsafeBufferPointer<UInt8>, _ rest: Range<Int>) -> CoreDNSLogLine {
        errorLine(Bytes.string(bytes, rest)[...])
    }

    static func errorLine(_ rest: Substring) -> CoreDNSLogLine {
        let f = rest.fields
        if f.count >= 3, let n = Int(f[0]), f[1] == "errors", f[2] == "like" {
            return .consolidated(count: n, pattern: String(rest.after("like ")?.prefix { $0 != " " } ?? ""))
        }
        guard f.count >= 4, let rcode = Int(f[0]), f[2].hasSuffix(":") else { return .other }
        let message = rest.after(String(f[2]))?.trimmed ?? ""
        var upstream: String?
        if let arrow = message.after("->") {
            let addr = arrow.prefix { $0 != " " }
            upstream = String(addr.hasSuffix(":") ? addr.dropLast() : addr)
        }
        return .error(CoreDNSError(rcode: rcode, name: String(f[1]), type: String(f[2].dropLast()),
                                   message: String(message), upstream: upstream))
    }

    static func fields(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, time: Range<Int>?, firstQuote q1: Int,
                       into out: inout CoreDNSQueryFields) -> Bool {
        guard line.contains(q1) else { return false }
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 16) { f in
            let head = UnsafeMutableBufferPointer(rebasing: f[0..<6])
            let question = UnsafeMutableBufferPointer(rebasing: f[6..<10])  // type, class, name, protocol
            let tail = UnsafeMutableBufferPointer(rebasing: f[10..<14])  // rcode, flags, size, duration
            guard let q2 = Bytes.index(of: UInt8(ascii: "\""), in: b, q1 + 1..<line.upperBound) else { return false }
            let nHead = Bytes.fields(b, line.lowerBound..<q1, into: head)
            let nQuestion = Bytes.fields(b, q1 + 1..<q2, into: question)
            let nTail = Bytes.fields(b, q2 + 1..<line.upperBound, into: tail)
            // the head's last field is the id (read back from the quote when the head was cut short)
            let id = nHead > 0 && nHead < head.count ? Bytes.int(b, head[nHead - 1]) : Bytes.int(b, Bytes.lastField(b, line.lowerBound..<q1))
            guard nHead >= 3, nQuestion >= 4, nTail >= 4 else { return false }
            var bracketTime: (Range<Int>, Range<Int>)?
            let dash = head[1]
            if nHead >= 5, b[head[2].lowerBound] == UInt8(ascii: "[") {  // [11/Jan/2019:19:59:01 +0000]
                bracketTime = (head[2].lowerBound + 1..<head[2].upperBound, head[3].lowerBound..<head[3].upperBound - 1)
            }
            guard dash.count == 1, b[dash.lowerBound] == UInt8(ascii: "-"), let id else { return false }
            guard let rsize = Bytes.int(b, tail[2]), let nanoseconds = nanoseconds(b, tail[3]) else { return false }
            out.time = time
            out.bracketTime = bracketTime
            out.client = head[0]
            out.id = id
            out.type = question[0]
            out.name = question[2]
            out.proto = question[3]
            out.rcode = tail[0]
            out.flags = tail[1]
            out.responseSize = rsize
            out.nanoseconds = nanoseconds
            return true
        }
    }

    /// `10.0.0.1:53` or `[::1]:53`: the host's and the port's ranges.
    static func splitHostPortRanges(_ b: UnsafeBufferPointer<UInt8>, _ s: Range<Int>) -> (host: Range<Int>, port: Range<Int>?) {
        if b[s.lowerBound] == UInt8(ascii: "["), let close = Bytes.index(of: UInt8(ascii: "]"), in: b, s) {
            return (s.lowerBound + 1..<close, close + 2 <= s.upperBound ? close + 2..<s.upperBound : nil)
        }
        guard let colon = Bytes.lastIndex(of: UInt8(ascii: ":"), in: b, s) else { return (s, nil) }
        return (s.lowerBound..<colon, colon + 1..<s.upperBound)
    }

    /// A Go duration as CoreDNS logs it (`0.000205726s`, `time.Duration.String`'s `1.2ms`, `850µs`,
    /// `300ns`, `1m2.5s`, `2h0m0s`) in whole nanoseconds, Go's unit. Nine fraction digits are read
    /// (Go prints at most nine, on the seconds); further ones and any part of a nanosecond are
    /// dropped. Nil for anything else, or past Int64.
    /// The form CoreDNS's log plugin writes, `0.000205726s` (up to 9 whole and 9 fraction digits),
    /// without the general loop's overflow checks; nil for any other form.
    @inline(__always) static func plainSeconds(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        guard r.count >= 2, r.count <= 20, b[r.upperBound - 1] == UInt8(ascii: "s") else { return nil }
        var i = r.lowerBound, whole: Int64 = 0
        let end = r.upperBound - 1
        while i < end, b[i] &- 0x30 < 10 { whole = whole &* 10 &+ Int64(b[i] &- 0x30); i += 1 }
        let wholeDigits = i - r.lowerBound
        guard wholeDigits <= 9 else { return nil }
        var fraction: Int64 = 0, fractionDigits = 0
        if i < end, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, b[i] &- 0x30 < 10, fractionDigits < 9 { fraction = fraction &* 10 &+ Int64(b[i] &- 0x30); fractionDigits += 1; i += 1 }
        }
        guard i == end, wholeDigits + fractionDigits > 0 else { return nil }
        return whole &* 1_000_000_000 &+ fraction &* powersOfTen64[9 - fractionDigits]
    }

    static let powersOfTen64: [Int64] = (0...9).map { (0..<$0).reduce(1) { a, _ in a * 10 } }

    static func nanoseconds(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        if let fast = plainSeconds(b, r) { return fast }
        var i = r.lowerBound, total: Int64 = 0
        guard !r.isEmpty else { return nil }
        while i < r.upperBound {
            // the number: whole part, then up to 9 fraction digits kept (a nanosecond of a second)
            var whole: Int64 = 0, fraction: Int64 = 0, fractionDigits = 0, digits = 0
            while i < r.upperBound, Bytes.isDigit(b[i]) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(b[i] &- 0x30))
                guard !o1, !o2 else { return nil }
                whole = s; digits += 1; i += 1
            }
            if i < r.upperBound, b[i] == UInt8(ascii: ".") {
                i += 1
                while i < r.upperBound, Bytes.isDigit(b[i]) {
                    if fractionDigits < 9 { fraction = fraction &* 10 &+ Int64(b[i] &- 0x30); fractionDigits += 1 }
                    digits += 1; i += 1
                }
            }
            guard digits > 0 else { return nil }
            let unitStart = i
            while i < r.upperBound, !Bytes.isDigit(b[i]), b[i] != UInt8(ascii: ".") { i += 1 }
            let unit = i - unitStart
            guard unit > 0 else { return nil }
            let c0 = b[unitStart], c1 = unit > 1 ? b[unitStart + 1] : 0
            let scale: Int64  // nanoseconds per unit
            switch (unit, c0, c1) {
            case (1, UInt8(ascii: "s"), _): scale = 1_000_000_000
            case (1, UInt8(ascii: "m"), _): scale = 60_000_000_000
            case (1, UInt8(ascii: "h"), _): scale = 3_600_000_000_000
            case (2, UInt8(ascii: "m"), UInt8(ascii: "s")): scale = 1_000_000
            case (2, UInt8(ascii: "u"), UInt8(ascii: "s")): scale = 1_000
            case (2, UInt8(ascii: "n"), UInt8(ascii: "s")): scale = 1
            default:
                // µs and μs (two UTF-8 bytes before the s)
                guard Bytes.string(b, unitStart..<i) == "µs" || Bytes.string(b, unitStart..<i) == "μs" else { return nil }
                scale = 1_000
            }
            // fraction / 10^fractionDigits of a unit, in nanoseconds: for seconds a multiplication,
            // else one 128-bit division (the quotient is below `scale`)
            let part: Int64
            if scale == 1_000_000_000 {
                part = fraction &* Self.powersOfTen64[9 - fractionDigits]
            } else {
                let wide = scale.multipliedFullWidth(by: fraction)
                part = Self.powersOfTen64[fractionDigits].dividingFullWidth(wide).quotient
            }
            let (w, o1) = whole.multipliedReportingOverflow(by: scale)
            let (t1, o2) = total.addingReportingOverflow(w)
            let (t2, o3) = t1.addingReportingOverflow(part)
            guard !o1, !o2, !o3 else { return nil }
            total = t2
        }
        return total
    }
}

/// Byte-range helpers for the line parsers that work on a line's bytes (`ByteNeedles` lines).
public enum Bytes {
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0d }

    static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, isBlank(b[lo]) { lo += 1 }
        while hi > lo, isBlank(b[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    /// The run of non-blank bytes starting at `from` (empty when `from` is blank or at the end).
    static func token(_ b: UnsafeBufferPointer<UInt8>, from: Int, in r: Range<Int>) -> Range<Int> {
        var i = from
        while i < r.upperBound, b[i] != 0x20, b[i] != 0x09 { i += 1 }
        return from..<i
    }

    /// Fills `out` with the first fields (runs of bytes between spaces and tabs) and returns how
    /// many it filled: it stops once `out` is full.
    static func fields(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: UnsafeMutableBufferPointer<Range<Int>>) -> Int {
        var n = 0, i = r.lowerBound
        let end = r.upperBound
        while i < end, n < out.count {
            while i < end, isFieldSeparator(b[i]) { i += 1 }
            guard i < end else { break }
            let start = i
            i = nextSeparator(b, from: i, end: end)
            out[n] = Range(uncheckedBounds: (start, i))
            n += 1
        }
        return n
    }

    @inline(__always) static func isFieldSeparator(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// The first space or tab at or after `from` (or `end`), eight bytes at a time: a byte of
    /// `x ^ 0x20…` or `x ^ 0x09…` is zero where `x` has a separator, and the lowest byte flagged by
    /// `(v − 0x01…) & ~v & 0x80…` is the first zero byte of `v` (little-endian loads).
    @inline(__always) static func nextSeparator(_ b: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        #if _endian(little)
        if let base = b.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= end {
                let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let s = x ^ 0x2020_2020_2020_2020, t = x ^ 0x0909_0909_0909_0909
                let z = ((s &- ones) & ~s | (t &- ones) & ~t) & highs
                if z != 0 { return i + z.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        #endif
        while i < end, !isFieldSeparator(b[i]) { i += 1 }
        return i
    }

    static func lastField(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var hi = r.upperBound
        while hi > r.lowerBound, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
        var lo = hi
        while lo > r.lowerBound, b[lo - 1] != 0x20, b[lo - 1] != 0x09 { lo -= 1 }
        return lo..<hi
    }

    /// The first `c` in `r`: its first 96 bytes eight at a time inline (a field of a line is found
    /// before a call to memchr would have started), then memchr.
    @inline(__always) static func index(of c: UInt8, in b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, let base = b.baseAddress else { return nil }
        var i = r.lowerBound
        #if _endian(little)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let pattern = UInt64(c) &* ones
        let inline = min(r.upperBound, r.lowerBound &+ 96)
        while i &+ 8 <= inline {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) ^ pattern
            let z = (x &- ones) & ~x & highs  // the lowest flag is the first zero byte
            if z != 0 { return i &+ z.trailingZeroBitCount / 8 }
            i &+= 8
        }
        if i &+ 8 <= r.upperBound {
            guard let hit = memchr(base + i, Int32(c), r.upperBound - i) else { return nil }
            return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
        }
        #endif
        while i < r.upperBound { if base[i] == c { return i }; i &+= 1 }
        return nil
    }

    static func lastIndex(of c: UInt8, in b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var i = r.upperBound
        while i > r.lowerBound { i -= 1; if b[i] == c { return i } }
        return nil
    }

    static func contains(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ c: UInt8) -> Bool { index(of: c, in: b, r) != nil }

    /// Whether two byte runs are equal (memcmp).
    @inline(__always) public static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    static func find(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ n: [UInt8]) -> Range<Int>? {
        guard let first = n.first, n.count <= r.count else { return nil }
        var from = r.lowerBound
        while let i = index(of: first, in: b, from..<(r.upperBound - n.count + 1)) {
            var j = 1
            while j < n.count, b[i + j] == n[j] { j += 1 }
            if j == n.count { return i..<i + n.count }
            from = i + 1
        }
        return nil
    }

    static func string(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
    }

    static let powersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { a, _ in a * 10 } }

    /// A plain decimal number (`0.000205726`, `12`, `1.5`) as `Double(_: String)` reads it: exactly
    /// when the digits fit in 2^53 and there are at most 22 after the point (one correctly rounded
    /// division of two exact doubles), by `Double(_: String)` otherwise.
    static func decimal(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        var mantissa: UInt64 = 0, digits = 0, fraction = -1, i = r.lowerBound
        while i < r.upperBound {
            let c = b[i]
            if isDigit(c) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(c &- 0x30) }
                digits += 1
                if fraction >= 0 { fraction += 1 }
            } else if c == UInt8(ascii: "."), fraction < 0 {
                fraction = 0
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        let scale = max(fraction, 0)
        if digits < 16, scale < powersOfTen.count { return Double(mantissa) / powersOfTen[scale] }
        return Double(string(b, r))
    }

    /// Up to 8 bytes of `r` as a little-endian word, zero above them: short byte strings compared
    /// as one integer.
    @inline(__always) public static func word(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        let n = min(r.count, 8)
        guard n > 0 else { return 0 }
        #if _endian(little)
        if r.lowerBound + 8 <= b.count, let base = b.baseAddress {
            let w = UnsafeRawPointer(base + r.lowerBound).loadUnaligned(as: UInt64.self)
            return n == 8 ? w : w & ((1 << UInt64(8 * n)) &- 1)
        }
        #endif
        var w: UInt64 = 0
        for k in 0..<n { w |= UInt64(b[r.lowerBound + k]) << UInt64(8 * k) }
        return w
    }

    /// A decimal integer with an optional sign, as `Int(_: String)` reads it; nil on overflow.
    static func int(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        // up to 18 plain digits cannot overflow: no checks per digit
        if r.count > 0, r.count <= 18 {
            var v = 0, i = r.lowerBound
            while i < r.upperBound {
                let d = b[i] &- 0x30
                guard d < 10 else { break }
                v = v &* 10 &+ Int(d)
                i += 1
            }
            if i == r.upperBound { return v }
        }
        var i = r.lowerBound
        var negative = false
        if i < r.upperBound, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        guard i < r.upperBound else { return nil }
        var v = 0
        while i < r.upperBound {
            guard isDigit(b[i]) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int(b[i] &- 0x30)) : m.addingReportingOverflow(Int(b[i] &- 0x30))
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        return v
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
