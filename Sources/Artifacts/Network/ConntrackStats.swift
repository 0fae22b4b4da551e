/// Connection-tracking statistics summed over CPUs, from `/proc/net/stat/nf_conntrack` (a header
/// naming hex columns, one row per CPU; the columns vary by kernel) or `conntrack -S`
/// (`cpu=0 found=0 … insert_failed=0 drop=0 early_drop=0 …`), and the entry count from
/// `conntrack -C` or the `entries` column.
public struct ConntrackStats: Sendable, Equatable, LineParser {
    /// Counter name → sum over CPUs (`insert_failed`, `drop`, `early_drop`, `clash_resolve`…).
    public private(set) var counters: [String: Int64] = [:]
    /// Entries in the table, when the file says.
    public private(set) var entries: Int64?
    /// The per-CPU lines the sums come from (the first 64).
    public private(set) var lines: [SourceLine] = []
    var header: [Substring]?
    var rows = 0

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard !f.isEmpty else { return }
        if f.count == 1, let n = Int64(f[0]) {  // conntrack -C
            entries = n
            keep(raw, number)
            return
        }
        if f[0] == "entries", f.count > 1, Int64(f[1], radix: 16) == nil || f.count > 3 {
            header = f
            return
        }
        if let header, f.count == header.count, f.allSatisfy({ Int64($0, radix: 16) != nil }) {
            rows += 1
            keep(raw, number)
            for (name, value) in zip(header, f) {
                let v = Int64(value, radix: 16) ?? 0
                if name == "entries" { if rows == 1 { entries = v } } else { counters[String(name), default: 0] += v }
            }
            return
        }
        if f[0].hasPrefix("cpu=") {
            keep(raw, number)
            for kv in f.dropFirst() {
                let pair = kv.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let v = Int64(pair[1]) else { continue }
                counters[String(pair[0]), default: 0] += v
            }
        }
    }

    mutating func keep(_ raw: Substring, _ number: Int) {
        if lines.count < 64 { lines.append(SourceLine(number: number, text: String(raw))) }
    }

    public var isEmpty: Bool { counters.isEmpty && entries == nil }

    public func merged(with other: ConntrackStats) -> ConntrackStats {
        var out = self
        for (k, v) in other.counters where out.counters[k] == nil { out.counters[k] = v }
        out.entries = out.entries ?? other.entries
        return out
    }
}
