/// Kernel network counters by nstat's names (`TcpExtListenOverflows`, `IpReasmFails`, `Ip6InReceives`),
/// from `/proc/net/netstat` and `/proc/net/snmp` (header/value line pairs), `/proc/net/snmp6`
/// (name value) or `nstat -az` (name value rate).
public struct NetCounters: Sendable, LineParser {
    public struct Value: Sendable, Equatable {
        public var value: Int64
        public var line: SourceLine
    }

    public private(set) var values: [String: Value] = [:]
    var pendingHeader: (prefix: Substring, names: [Substring])?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard let first = f.first, first.first != "#" else { return }
        if first.hasSuffix(":") {
            let prefix = first.dropLast()
            if let h = pendingHeader, h.prefix == prefix, f.count - 1 == h.names.count,
               f.dropFirst().allSatisfy({ Int64($0) != nil }) {
                for (name, v) in zip(h.names, f.dropFirst()) {
                    values[String(prefix) + String(name)] = Value(value: Int64(v) ?? 0, line: SourceLine(number: number, text: String(raw)))
                }
                pendingHeader = nil
            } else {
                pendingHeader = (prefix, Array(f.dropFirst()))
            }
            return
        }
        if f.count >= 2, let v = Int64(f[1]), first.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            values[String(first)] = Value(value: v, line: SourceLine(number: number, text: String(raw)))
        }
    }

    public subscript(name: String) -> Value? { values[name] }
}

/// `/proc/net/softnet_stat`: per-CPU packets processed, dropped (backlog full:
/// `netdev_max_backlog`) and time squeezes (`netdev_budget` exhausted), hex columns.
public struct SoftnetStat: Sendable, Equatable, LineParser {
    public private(set) var processed: Int64 = 0
    public private(set) var dropped: Int64 = 0
    public private(set) var timeSqueezed: Int64 = 0
    public private(set) var cpus = 0

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard f.count >= 3, let p = Int64(f[0], radix: 16), let d = Int64(f[1], radix: 16), let t = Int64(f[2], radix: 16)
        else { return }
        processed += p; dropped += d; timeSqueezed += t; cpus += 1
    }
}

/// The TCP line of `ss -s`: `TCP:   1 (estab 0, closed 0, orphaned 0, timewait 0)`.
public struct SocketSummary: Sendable, Equatable, LineParser {
    public private(set) var timeWait: Int?
    public private(set) var line: SourceLine?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        guard raw.hasPrefix("TCP:"), let open = raw.firstIndex(of: "(") else { return }
        for part in raw[raw.index(after: open)...].split(separator: ",") {
            let f = part.fields
            guard f.count >= 2, let v = Int(f[1].prefix { $0.isNumber }) else { continue }
            if f[0] == "timewait" { timeWait = v }
        }
        line = SourceLine(number: number, text: String(raw))
    }
}

/// `/proc/net/sockstat`: `TCP: inuse 20 orphan 0 tw 5 alloc 25 mem 3`, where `mem` is the pages
/// TCP sockets hold now, the number `net.ipv4.tcp_mem` (min, pressure, max, in pages) limits.
public struct SocketStat: Sendable, Equatable, LineParser {
    public private(set) var tcpInUse: Int?
    public private(set) var tcpOrphans: Int?
    public private(set) var tcpTimeWait: Int?
    /// Pages of memory TCP holds (`mem`).
    public private(set) var tcpMemoryPages: Int?
    public private(set) var line: SourceLine?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        guard raw.hasPrefix("TCP: inuse") else { return }
        let f = raw.fields
        func value(_ key: Substring) -> Int? {
            guard let i = f.firstIndex(of: key), i + 1 < f.count else { return nil }
            return Int(f[i + 1])
        }
        tcpInUse = value("inuse")
        tcpOrphans = value("orphan")
        tcpTimeWait = value("tw")
        tcpMemoryPages = value("mem")
        line = SourceLine(number: number, text: String(raw))
    }
}
