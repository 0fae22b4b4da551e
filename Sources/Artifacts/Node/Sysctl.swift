import Foundation

/// `sysctl -a` output (also sosreport's `sysctl_-a`, `/etc/sysctl.conf` fragments): key → value
/// with the line each came from. Error lines (`sysctl: permission denied …`) and garbage are skipped.
public struct SysctlSettings: Sendable, LineParser {
    public struct Entry: Sendable, Equatable {
        /// The value with runs of whitespace collapsed (`32768 60999`).
        public var value: String
        public var line: SourceLine
        /// The file it came from when it is not the file of the settings as a whole (merged sources).
        public var file: String?
    }

    public private(set) var entries: [String: Entry] = [:]
    /// `sysctl -a` has a few thousand keys; a file with more is not sysctl output, and is not kept whole.
    public static let maxEntries = 100_000

    /// The key a copied `/proc/sys` file holds (its only line is the value), from its path.
    public var pathKey: String?

    public init() {}

    public init(pathKey: String?) {
        self.pathKey = pathKey
    }

    /// `…/proc/sys/net/ipv4/conf/eth0.100/rp_filter` → `net.ipv4.conf.eth0/100.rp_filter` (sysctl's
    /// own spelling: a dot inside a component becomes `/`), or nil when the path is not under proc/sys.
    public static func key(fromPath path: String) -> String? {
        let parts = path.split(separator: "/")
        guard let i = parts.indices.first(where: { $0 + 1 < parts.count && parts[$0] == "proc" && parts[$0 + 1] == "sys" }),
              i + 2 < parts.count else { return nil }
        return parts[(i + 2)...].map { String($0.map { $0 == "." ? "/" : $0 }) }.joined(separator: ".")
    }

    public mutating func feed(_ raw: Substring, number: Int) {
        let line = raw.trimmed
        // A copied /proc/sys file: its first line is the value of the key its path names (even
        // `#1 SMP …`, kernel.version).
        if let k = pathKey, number == 1, !line.isEmpty {
            entries[k] = Entry(value: line.fields.joined(separator: " "), line: SourceLine(number: number, text: String(raw)))
            return
        }
        guard pathKey == nil else { return }
        guard let first = line.first, first != "#", first != ";", !line.hasPrefix("sysctl:") else { return }
        guard let eq = line.firstIndex(of: "=") else { return }
        var key = line[..<eq].trimmed
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "._-/:@".contains($0) }) else { return }
        if key.hasPrefix("-") { key = key.dropFirst() }  // sysctl.conf's "ignore errors" marker
        let name: String
        if key.hasPrefix("/proc/sys/") {
            // Troubleshoot's sysctl collector: `/proc/sys/net/ipv4/ip_forward = 0`.
            guard let k = Self.key(fromPath: String(key)) else { return }
            name = k
        } else {
            // `net/ipv4/ip_forward` (proc path form) → `net.ipv4.ip_forward`; in dotted keys a `/` is
            // an interface name's own dot (`net.ipv4.conf.eth0/100.rp_filter`) and stays.
            name = key.contains(".") ? String(key) : String(key.map { $0 == "/" ? "." : $0 })
        }
        let value = line[line.index(after: eq)...].fields.joined(separator: " ")
        guard entries.count < Self.maxEntries || entries[name] != nil else { return }
        entries[name] = Entry(value: value, line: SourceLine(number: number, text: String(raw)))
    }

    public subscript(key: String) -> Entry? { entries[key] }

    /// Adds the keys of `other` (read from `file`) that these settings do not have.
    public mutating func merge(_ other: SysctlSettings, file: String) {
        for (k, e) in other.entries where entries[k] == nil && entries.count < Self.maxEntries {
            var e = e
            if e.file == nil { e.file = file }
            entries[k] = e
        }
    }

    /// Troubleshoot's `host-collectors/system/sysctl.json`: one JSON object of key → string value.
    /// Each key's evidence is its `"key":"value"` pair, on the line of the file where it is.
    public static func parseJSONObject(_ bytes: [UInt8]) throws(SysctlJSONError) -> SysctlSettings {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes)) } catch { throw .notJSON }
        guard let map = object as? [String: Any] else { throw .notAnObject }
        var lineOf: [String: Int] = [:]
        var line = 1
        // Line numbers of each key (the Go collector writes one line; pretty-printed copies have many).
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\n") { line += 1 } else if bytes[i] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if j < bytes.count {
                    let k = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
                    if lineOf[k] == nil { lineOf[k] = line }
                }
                i = j
            }
            i += 1
        }
        var s = SysctlSettings()
        for (key, raw) in map.sorted(by: { $0.key < $1.key }) where s.entries.count < maxEntries {
            let value: String = switch raw {
            case let v as String: v
            case let v as NSNumber: v.stringValue
            default: "\(raw)"
            }
            let k = key.hasPrefix("/proc/sys/") ? (Self.key(fromPath: key) ?? key) : key
            s.entries[k] = Entry(value: value[...].fields.joined(separator: " "),
                                 line: SourceLine(number: lineOf[key] ?? 1, text: "\"\(key)\": \"\(value)\""))
        }
        return s
    }

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

public enum SysctlJSONError: Error, CustomStringConvertible {
    case notJSON, notAnObject
    public var description: String {
        switch self {
        case .notJSON: "not JSON: not used"
        case .notAnObject: "JSON, but not an object of sysctl keys: not used"
        }
    }
}
