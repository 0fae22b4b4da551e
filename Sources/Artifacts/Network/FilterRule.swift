/// A packet-filter rule that discards packets (target `DROP` or `REJECT`) with the packets it matched,
/// from `iptables-save -c` (`[8:480] -A INPUT -p tcp -m tcp --dport 8082 -j DROP`) or
/// `iptables -nvL` (`    8   480 DROP  tcp  --  *  *  0.0.0.0/0  0.0.0.0/0  tcp dpt:8082`).
/// Rules whose counters are zero, and rules without counters, are not kept: they dropped nothing.
public struct FilterRule: Sendable, Equatable {
    public var chain: String
    public var target: String
    public var packets: UInt64
    public var bytes: UInt64
    /// The destination port(s) the rule names (`--dport 8082`, `dpt:8082`, `--dports 80,443`, `dpts:1000:2000`), as written.
    public var destinationPorts: String?
    public var protocolName: String?
    public var line: SourceLine
    /// The file, set when rules of several files are merged.
    public var file: String?

    /// Whether the rule names `port` among its destination ports (a list or a range); false when it names none.
    public func names(port: UInt16) -> Bool {
        guard let d = destinationPorts else { return false }
        for part in d.split(separator: ",") {
            let range = part.split(separator: ":", maxSplits: 1)
            if range.count == 2, let lo = UInt16(range[0]), let hi = UInt16(range[1]), lo <= port, port <= hi { return true }
            if range.count == 1, UInt16(part) == port { return true }
        }
        return false
    }

    static let targets: Set<Substring> = ["DROP", "REJECT"]

    /// `[8:480] -A INPUT … -j DROP`.
    static func saveLine(_ raw: Substring, number: Int) -> FilterRule? {
        guard raw.first == "[", let close = raw.firstIndex(of: "]") else { return nil }
        let counts = raw[raw.index(after: raw.startIndex)..<close].split(separator: ":")
        guard counts.count == 2, let packets = UInt64(counts[0]), let bytes = UInt64(counts[1]), packets > 0 else { return nil }
        let f = raw[raw.index(after: close)...].fields
        guard let chain = Tokens.value(after: "-A", in: f), let target = Tokens.value(after: "-j", in: f), targets.contains(target) else { return nil }
        let ports = Tokens.value(after: "--dport", in: f) ?? Tokens.value(after: "--dports", in: f)
        return FilterRule(chain: String(chain), target: String(target), packets: packets, bytes: bytes,
                          destinationPorts: ports.map(String.init), protocolName: Tokens.value(after: "-p", in: f).map(String.init),
                          line: SourceLine(number: number, text: String(raw)))
    }

    /// `pkts bytes target prot opt in out source destination [match…]` under `Chain NAME (…)`.
    /// Counters may carry a K/M/G suffix (`iptables -nvL` without `-x`).
    static func listLine(_ raw: Substring, chain: String, number: Int) -> FilterRule? {
        let f = raw.fields
        guard f.count >= 9, targets.contains(f[2]), let packets = count(f[0]), let bytes = count(f[1]), packets > 0 else { return nil }
        var ports: Substring?
        for field in f.dropFirst(9) {
            if field.hasPrefix("dpt:") { ports = field.dropFirst(4) } else if field.hasPrefix("dpts:") { ports = field.dropFirst(5) }
        }
        if ports == nil, let i = f.firstIndex(of: "dports") , i + 1 < f.count { ports = f[i + 1] }
        return FilterRule(chain: chain, target: String(f[2]), packets: packets, bytes: bytes, destinationPorts: ports.map(String.init),
                          protocolName: String(f[3]), line: SourceLine(number: number, text: String(raw)))
    }

    static func count(_ s: Substring) -> UInt64? {
        if let n = UInt64(s) { return n }
        guard let last = s.last, let n = UInt64(s.dropLast()) else { return nil }
        let scale: UInt64 = switch last {
        case "K": 1_000
        case "M": 1_000_000
        case "G": 1_000_000_000
        case "T": 1_000_000_000_000
        default: 0
        }
        guard scale > 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : v
    }
}
