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

    /// Keywords one of which every line `parse` recognises contains (`ByteNeedles`): a query
    /// line has its question in double quotes, an `errors` line names the plugin.
    public static let needles = ["plugin/errors: "]

    static let errorsMarker = Array(needles[0].utf8)

    public static func parse(_ raw: Substring) -> CoreDNSLogLine {
        var copy = String(raw)
        return copy.withUTF8 { parse(bytes: $0) }
    }

    /// Parses one line from its bytes: a query line is split without building a string for
    /// anything but the fields kept.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> CoreDNSLogLine {
        var line = Bytes.trimmed(bytes, 0..<bytes.count)
        var time: String?
        let first = Bytes.token(bytes, from: line.lowerBound, in: line)
        if !first.isEmpty, Bytes.isDigit(bytes[first.lowerBound]), Bytes.contains(bytes, first, UInt8(ascii: "T")),
           Bytes.contains(bytes, first, UInt8(ascii: ":")) {
            time = Bytes.string(bytes, first)
            line = Bytes.trimmed(bytes, first.upperBound..<line.upperBound)
        }
        if let r = Bytes.find(bytes, line, errorsMarker) {
            return errorLine(Bytes.string(bytes, r.upperBound..<line.upperBound)[...])
        }
        if !line.isEmpty, bytes[line.lowerBound] == UInt8(ascii: "[") {
            guard let close = Bytes.index(of: UInt8(ascii: "]"), in: bytes, line) else { return .other }
            line = Bytes.trimmed(bytes, close + 1..<line.upperBound)
        }
        return query(bytes, line, time: time).map(CoreDNSLogLine.query) ?? .other
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

    static func query(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, time: String?) -> CoreDNSQuery? {
        let quote = UInt8(ascii: "\"")
        guard let q1 = Bytes.index(of: quote, in: b, line),
              let q2 = Bytes.index(of: quote, in: b, q1 + 1..<line.upperBound) else { return nil }
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 18) { f in
            let head = UnsafeMutableBufferPointer(rebasing: f[0..<6])
            let question = UnsafeMutableBufferPointer(rebasing: f[6..<12])
            let tail = UnsafeMutableBufferPointer(rebasing: f[12..<18])
            let nHead = Bytes.fields(b, line.lowerBound..<q1, into: head)
            let nQuestion = Bytes.fields(b, q1 + 1..<q2, into: question)
            let nTail = Bytes.fields(b, q2 + 1..<line.upperBound, into: tail)
            guard nHead >= 3, nQuestion >= 4, nTail >= 4 else { return nil }
            var when = time
            let dash = head[1]
            if nHead >= 5, b[head[2].lowerBound] == UInt8(ascii: "[") {  // [11/Jan/2019:19:59:01 +0000]
                when = when ?? Bytes.string(b, head[2].lowerBound + 1..<head[2].upperBound) + " "
                    + Bytes.string(b, head[3].lowerBound..<head[3].upperBound - 1)
            }
            guard dash.count == 1, b[dash.lowerBound] == UInt8(ascii: "-"),
                  let id = Bytes.int(b, Bytes.lastField(b, line.lowerBound..<q1)) else { return nil }
            let (client, port) = splitHostPort(b, head[0])
            guard let rsize = Bytes.int(b, tail[2]), let duration = seconds(b, tail[3]) else { return nil }
            return CoreDNSQuery(time: when, client: client, port: port, id: id, type: Bytes.string(b, question[0]),
                                name: Bytes.string(b, question[2]), proto: Bytes.string(b, question[3]),
                                rcode: Bytes.string(b, tail[0]), flags: Bytes.string(b, tail[1]),
                                responseSize: rsize, duration: duration)
        }
    }

    /// `10.0.0.1:53` or `[::1]:53`.
    static func splitHostPort(_ b: UnsafeBufferPointer<UInt8>, _ s: Range<Int>) -> (String, Int?) {
        if b[s.lowerBound] == UInt8(ascii: "["), let close = Bytes.index(of: UInt8(ascii: "]"), in: b, s) {
            let port = close + 2 <= s.upperBound ? Bytes.int(b, close + 2..<s.upperBound) : nil
            return (Bytes.string(b, s.lowerBound + 1..<close), port)
        }
        guard let colon = Bytes.lastIndex(of: UInt8(ascii: ":"), in: b, s) else { return (Bytes.string(b, s), nil) }
        return (Bytes.string(b, s.lowerBound..<colon), Bytes.int(b, colon + 1..<s.upperBound))
    }

    /// A Go duration as `time.Duration.String` prints it (`0.000205726s`, `1.2ms`, `850µs`,
    /// `300ns`, `1m2.5s`, `2h0m0s`) in seconds; nil for anything else.
    static func seconds(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        var i = r.lowerBound, total = 0.0
        guard !r.isEmpty else { return nil }
        while i < r.upperBound {
            let numberStart = i
            while i < r.upperBound, Bytes.isDigit(b[i]) || b[i] == UInt8(ascii: ".") { i += 1 }
            guard i > numberStart, let value = Bytes.decimal(b, numberStart..<i) else { return nil }
            let unitStart = i
            while i < r.upperBound, !Bytes.isDigit(b[i]) { i += 1 }
            let scale: Double
            switch Bytes.string(b, unitStart..<i) {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs", "μs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return nil
            }
            total += value * scale
        }
        return total
    }
}

/// Byte-range helpers for the line parsers that work on a line's bytes (`ByteNeedles` lines).
enum Bytes {
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

    /// Fills `out` with the first fields (runs of bytes between spaces and tabs); returns how many
    /// fields there are in all.
    static func fields(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: UnsafeMutableBufferPointer<Range<Int>>) -> Int {
        var n = 0, i = r.lowerBound
        while i < r.upperBound {
            while i < r.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            guard i < r.upperBound else { break }
            let start = i
            while i < r.upperBound, b[i] != 0x20, b[i] != 0x09 { i += 1 }
            if n < out.count { out[n] = start..<i }
            n += 1
        }
        return n
    }

    static func lastField(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var hi = r.upperBound
        while hi > r.lowerBound, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
        var lo = hi
        while lo > r.lowerBound, b[lo - 1] != 0x20, b[lo - 1] != 0x09 { lo -= 1 }
        return lo..<hi
    }

    static func index(of c: UInt8, in b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, let base = b.baseAddress, let hit = memchr(base + r.lowerBound, Int32(c), r.count) else { return nil }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
    }

    static func lastIndex(of c: UInt8, in b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var i = r.upperBound
        while i > r.lowerBound { i -= 1; if b[i] == c { return i } }
        return nil
    }

    static func contains(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ c: UInt8) -> Bool { index(of: c, in: b, r) != nil }

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

    /// A decimal integer with an optional sign, as `Int(_: String)` reads it; nil on overflow.
    static func int(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
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
