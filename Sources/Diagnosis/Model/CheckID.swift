/// A check's id (`conntrack-table-full`): what its findings are called, what cause rules,
/// config files (`[checks.ID]`) and `netautopsy explain ID` name it by. A type of its own, not a
/// `String`, so that a place that wants an id cannot be handed a title or a path, and so the ids
/// cause rules and settings name can be checked against the catalog (`CheckCatalog.unknown`).
/// Encoded as the bare string: reports and config files read the same as before.
public struct CheckID: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    public static func < (a: CheckID, b: CheckID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
