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
    public var isTimeout: Bool { message.hasSuffix("i/o timeout") || message.contains("i/o timeout") }
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

    public static func parse(_ raw: Substring) -> CoreDNSLogLine {
        var line = raw.trimmed
        var time: String?
        let first = line.prefix { $0 != " " && $0 != "\t" }
        if first.first?.isNumber == true, first.contains("T"), first.contains(":") {
            time = String(first)
            line = line.dropFirst(first.count).trimmed
        }
        if let rest = line.after("plugin/errors: ") { return errorLine(rest) }
        if line.hasPrefix("[") {
            guard let close = line.firstIndex(of: "]") else { return .other }
            line = line[line.index(after: close)...].trimmed
        }
        return query(line, time: time).map(CoreDNSLogLine.query) ?? .other
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

    static func query(_ line: Substring, time: String?) -> CoreDNSQuery? {
        guard let q1 = line.firstIndex(of: "\"") else { return nil }
        let afterQuote = line[line.index(after: q1)...]
        guard let q2 = afterQuote.firstIndex(of: "\"") else { return nil }
        var head = line[..<q1].fields
        let question = afterQuote[..<q2].fields
        let tail = afterQuote[afterQuote.index(after: q2)...].fields
        guard head.count >= 3, question.count >= 4, tail.count >= 4 else { return nil }
        var when = time
        if head.count >= 5, head[2].hasPrefix("[") {  // [11/Jan/2019:19:59:01 +0000]
            when = when ?? String(head[2].dropFirst()) + " " + String(head[3].dropLast())
            head.removeSubrange(2...3)
        }
        guard head[1] == "-", let id = Int(head[head.count - 1]) else { return nil }
        let (client, port) = splitHostPort(head[0])
        guard let rsize = Int(tail[2]), let duration = seconds(tail[3]) else { return nil }
        return CoreDNSQuery(time: when, client: client, port: port, id: id, type: String(question[0]),
                            name: String(question[2]), proto: String(question[3]), rcode: String(tail[0]),
                            flags: String(tail[1]), responseSize: rsize, duration: duration)
    }

    /// `10.0.0.1:53` or `[::1]:53`.
    static func splitHostPort(_ s: Substring) -> (String, Int?) {
        if s.first == "[", let close = s.firstIndex(of: "]") {
            let host = s[s.index(after: s.startIndex)..<close]
            return (String(host), Int(s[close...].dropFirst(2)))
        }
        guard let colon = s.lastIndex(of: ":") else { return (String(s), nil) }
        return (String(s[..<colon]), Int(s[s.index(after: colon)...]))
    }

    /// Go duration text (`0.000205726s`, `1.2ms`, `850µs`, `300ns`) in seconds.
    static func seconds(_ s: Substring) -> Double? {
        let units: [(String, Double)] = [("ns", 1e-9), ("µs", 1e-6), ("us", 1e-6), ("ms", 1e-3), ("s", 1)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            return Double(s.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }
}
