/// When a kernel log line says it was written: seconds since boot (`[ 5604.030347]`), or a wall
/// clock as printed (`dmesg -T`, syslog, journal), kept as text because its zone and locale vary.
public enum KernelTime: Sendable, Equatable, Codable {
    case sinceBoot(Double)
    case wallClock(String)
}

/// One kernel log line reduced to its time and message, whatever tool printed it:
/// `dmesg` (`[ 12.3] msg`, with a `[T123]`/`[C1]` caller tag or not), `dmesg -T`
/// (`[Tue Nov 20 22:30:22 2018] msg`, localised names included), `dmesg -x` (`kern  :warn  : …`),
/// syslog/kern.log (`Jan 15 10:50:12 host kernel: [ 12.3] msg`) and `journalctl -k`.
public struct KernelLogLine: Sendable, Equatable {
    public var time: KernelTime?
    public var message: Substring

    public init(_ raw: Substring) {
        var rest = raw.trimmed
        var wall: String?
        // syslog / journal: everything up to "kernel:" is the date and the host.
        if let r = rest.byteRange(of: "kernel: ") ?? (rest.hasSuffix("kernel:") ? rest.byteRange(of: "kernel:") : nil) {
            let prefix = rest[..<r.lowerBound].trimmed
            var words = prefix.fields
            if words.count > 1 { words.removeLast() }  // the host name
            if !words.isEmpty { wall = words.joined(separator: " ") }
            rest = rest[r.upperBound...].trimmed
        }
        // dmesg -x: "kern  :warn  : "
        if let colon = rest.firstIndex(of: ":"), rest[..<colon].trimmed.allSatisfy(\.isLetter),
           ["kern", "user", "daemon", "syslog"].contains(String(rest[..<colon].trimmed)) {
            let afterFacility = rest[rest.index(after: colon)...]
            if let second = afterFacility.firstIndex(of: ":") {
                rest = afterFacility[afterFacility.index(after: second)...].trimmed
            }
        }
        var time = wall.map(KernelTime.wallClock)
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            let inside = rest[rest.index(after: rest.startIndex)..<close].trimmed
            // The kernel prints `seconds.micros`: digits only (Double alone would take "nan", "inf", "1e999").
            if inside.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let seconds = Double(inside), seconds.isFinite {
                time = .sinceBoot(seconds)
                rest = rest[rest.index(after: close)...]
            } else if inside.contains(":"), inside.fields.count >= 4 {
                time = .wallClock(String(inside))
                rest = rest[rest.index(after: close)...]
            }
            // CONFIG_PRINTK_CALLER: "[    C1]" or "[ T1234]" right after the time.
            let t = rest.trimmed
            if t.first == "[", let close = t.firstIndex(of: "]") {
                let tag = t[t.index(after: t.startIndex)..<close].trimmed
                if let f = tag.first, f == "T" || f == "C", tag.dropFirst().allSatisfy(\.isNumber), tag.count > 1 {
                    rest = t[t.index(after: close)...]
                }
            }
        } else if let first = rest.fields.first, first.count >= 19, first.first?.isNumber == true,
                  first.contains("T"), first.contains(":") {
            // dmesg --time-format iso: "2024-01-15T10:50:12,123456+00:00 msg"
            time = .wallClock(String(first))
            rest = rest.dropFirst(first.count)
        }
        self.time = time
        self.message = rest.trimmed
    }
}
