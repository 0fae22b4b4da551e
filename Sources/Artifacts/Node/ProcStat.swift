/// The aggregate `cpu` line of `/proc/stat`: jiffies per state since boot.
public struct CPUTimes: Sendable, Equatable {
    /// user, nice, system, idle, iowait, irq, softirq, steal (guest time is already inside user).
    public var values: [Int64]
    public var line: SourceLine

    public var steal: Int64 { values.count > 7 ? values[7] : 0 }
    /// All time, guest excluded (it is counted in user already).
    public var total: Int64 { values.prefix(8).reduce(0, +) }

    /// Share of time stolen by the hypervisor between `earlier` and this sample (0…1), or since
    /// boot when `earlier` is nil. Nil when no time passed or the kernel does not report steal.
    public func stealShare(since earlier: CPUTimes?) -> Double? {
        guard values.count > 7 else { return nil }
        let dTotal = total - (earlier?.total ?? 0)
        let dSteal = steal - (earlier?.steal ?? 0)
        guard dTotal > 0, dSteal >= 0 else { return nil }
        return Double(dSteal) / Double(dTotal)
    }
}

/// Parses `/proc/stat`: the aggregate `cpu` line and the number of CPUs.
public struct ProcStat: Sendable, LineParser {
    public private(set) var cpu: CPUTimes?
    public private(set) var cpuCount = 0
    /// `btime`: boot time, seconds since the epoch.
    public private(set) var bootTime: Int64?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard let key = f.first else { return }
        if key == "cpu" {
            let values = f.dropFirst().compactMap { Int64($0) }
            if values.count >= 4, values.count == f.count - 1 {
                cpu = CPUTimes(values: values, line: SourceLine(number: number, text: String(raw)))
            }
        } else if key.hasPrefix("cpu"), key.dropFirst(3).allSatisfy(\.isNumber) {
            cpuCount += 1
        } else if key == "btime", f.count > 1 {
            bootTime = Int64(f[1])
        }
    }
}
