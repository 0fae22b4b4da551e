/// `sysctl -a` output (also sosreport's `sysctl_-a`, `/etc/sysctl.conf` fragments): key → value
/// with the line each came from. Error lines (`sysctl: permission denied …`) and garbage are skipped.
public struct SysctlSettings: Sendable, LineParser {
    public struct Entry: Sendable, Equatable {
        /// The value with runs of whitespace collapsed (`32768 60999`).
        public var value: String
        public var line: SourceLine
    }

    public private(set) var entries: [String: Entry] = [:]
    /// `sysctl -a` has a few thousand keys; a file with more is not sysctl output, and is not kept whole.
    public static let maxEntries = 100_000

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let line = raw.trimmed
        guard let first = line.first, first != "#", first != ";", !line.hasPrefix("sysctl:") else { return }
        guard let eq = line.firstIndex(of: "=") else { return }
        var key = line[..<eq].trimmed
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "._-/:@".contains($0) }) else { return }
        if key.hasPrefix("-") { key = key.dropFirst() }  // sysctl.conf's "ignore errors" marker
        // `net/ipv4/ip_forward` (proc path form) → `net.ipv4.ip_forward`; in dotted keys a `/` is
        // an interface name's own dot (`net.ipv4.conf.eth0/100.rp_filter`) and stays.
        let name = key.contains(".") ? String(key) : String(key.map { $0 == "/" ? "." : $0 })
        let value = line[line.index(after: eq)...].fields.joined(separator: " ")
        guard entries.count < Self.maxEntries || entries[name] != nil else { return }
        entries[name] = Entry(value: value, line: SourceLine(number: number, text: String(raw)))
    }

    public subscript(key: String) -> Entry? { entries[key] }

    /// The value as one integer (nil when absent or not a number).
    public func int(_ key: String) -> Int? { entries[key].flatMap { Int($0.value) } }

    /// The value as whitespace-separated integers (`ip_local_port_range`, `tcp_rmem`).
    public func ints(_ key: String) -> [Int]? {
        guard let e = entries[key] else { return nil }
        let v = e.value[...].fields.compactMap { Int($0) }
        return v.isEmpty ? nil : v
    }

    public var isEmpty: Bool { entries.isEmpty }
}
