/// A moment on the wall clock, UTC: nanoseconds since the Unix epoch. How times travel from the
/// captures and logs through findings, causes and the timeline to the report; they become text only
/// when a report is encoded or rendered, as RFC 3339 with microseconds (`Timestamp.rfc3339`:
/// `2024-05-01T12:00:03.123456Z`), and any RFC 3339 text decodes back (`Timestamp.parse`).
///
/// A value is held as the report writes it, to the microsecond (rounded down) and within the years
/// `rfc3339` can write (an absurd clock is clamped, not trapped): a report read back from its JSON
/// is the report that was written.
public struct WallTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) {
        let clamped = Swift.min(Swift.max(nanoseconds, Int64.min / 2), Int64.max / 2)
        let micros = clamped >= 0 ? clamped / 1000 : (clamped - 999) / 1000
        self.nanoseconds = micros * 1000
    }

    public init(_ nanoseconds: Int64) { self.init(nanoseconds: nanoseconds) }

    /// From RFC 3339 text; nil when it is not (`Timestamp.parse`'s rules).
    public init?(rfc3339 text: some StringProtocol) {
        guard let ns = Timestamp.parse(text) else { return nil }
        self.init(nanoseconds: ns)
    }

    public var rfc3339: String { Timestamp.rfc3339(nanoseconds) }
    public var description: String { rfc3339 }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// A time as a report wrote it (any RFC 3339 text in `Timestamp.representable`'s years).
    public init?(reading text: some StringProtocol) {
        guard let ns = Timestamp.parse(text, years: Timestamp.representable) else { return nil }
        self.init(nanoseconds: ns)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = WallTime(reading: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(text)")
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rfc3339)
    }
}
