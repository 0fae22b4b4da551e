/// Formats capture timestamps without Foundation (deterministic, UTC).
public enum Timestamp {
    /// `2024-05-01T12:00:03.123456Z` (microseconds) from nanoseconds since the epoch.
    public static func rfc3339(_ nanos0: Int64) -> String {
        // Years 1677–2262 hold any Int64; clamped so the arithmetic below cannot overflow.
        let nanos = Swift.min(Swift.max(nanos0, Int64.min / 2), Int64.max / 2)
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let micros = (nanos - seconds * 1_000_000_000) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secOfDay = seconds - days * 86400
        let (y, m, d) = civil(fromDays: days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay / 60 % 60, 2)):"
            + "\(pad(secOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    /// Nanoseconds since the epoch from RFC 3339 text (`2024-05-01T12:00:03Z`,
    /// `2024-05-01T12:00:03.123456789+02:00`, a space instead of `T`) in the years 1900–2200 (a
    /// plausible time in a log), or in `years`; nil for anything else. Every time `rfc3339` writes
    /// is read back with `years: representable`.
    public static func parse(_ text: some StringProtocol, years: ClosedRange<Int64> = 1900...2200) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int64? {
            guard at + n <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[at..<at + n] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 20, let y = digits(0, 4), b[4] == 45, let mo = digits(5, 2), b[7] == 45, let d = digits(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = digits(11, 2), b[13] == 58, let mi = digits(14, 2),
              b[16] == 58, let s = digits(17, 2), years.contains(y), (1...12).contains(mo), d >= 1,
              d <= [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(mo) - 1],
              h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19, nanos: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            guard i < b.count, b[i] >= 48 && b[i] <= 57 else { return nil }
            var scale: Int64 = 100_000_000
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                nanos += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        switch b[i] {
        case 90, 122: i += 1
        case 43, 45:
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == 43 ? 1 : -1)
            i += 6
        default: return nil
        }
        guard i == b.count else { return nil }
        let seconds = days(fromCivil: y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
        // Near the ends of `representable` the nanoseconds leave Int64: not a time, not a trap.
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = scaled.addingReportingOverflow(nanos)
        return o1 || o2 ? nil : total
    }

    /// The years read when reading back a report: about what an Int64 of nanoseconds reaches
    /// (1677–2262; the extremes overflow and are not read). `rfc3339` and `WallTime` clamp to
    /// ±Int64.max / 2 (1823–2116), so a time read outside that is held at the clamp.
    public static let representable: ClosedRange<Int64> = 1677...2262

    /// Howard Hinnant's days-from-civil.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Seconds as `1.234 s`.
    public static func seconds(_ nanos0: Int64) -> String {
        let nanos = Swift.min(Swift.max(nanos0, Int64.min / 2), Int64.max / 2)
        let ms = (nanos + (nanos >= 0 ? 500_000 : -500_000)) / 1_000_000
        let sign = ms < 0 ? "-" : ""
        let a = abs(ms)
        return "\(sign)\(a / 1000).\(pad(a % 1000, 3)) s"
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Howard Hinnant's days-from-civil inverse.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
