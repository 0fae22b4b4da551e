import Foundation

/// `netautopsy-redaction.json`, which `netautopsy redact` puts at the top of the bundles it writes:
/// the captures whose payloads it cut on purpose, so that this truncation is not reported as a
/// capture problem (the frames the snap length had cut before still are). It holds no mapping and nothing of the original.
public struct RedactionMarker: Codable, Equatable, Sendable {
    public static let fileName = "netautopsy-redaction.json"
    public static let formatName = "netautopsy.redaction/1"
    public var format: String
    public var tool: String
    /// A capture the redaction cut, by its path in the redacted bundle, with how many of its frames
    /// were already cut by the snap length before (what a capture-quality check should count).
    public struct Capture: Codable, Equatable, Sendable {
        public var path: String
        public var truncatedBefore: Int
        public init(path: String, truncatedBefore: Int) {
            self.path = path
            self.truncatedBefore = truncatedBefore
        }
    }
    public var captures: [Capture]
    public var keepSubnets: Bool

    public init(tool: String, captures: [Capture], keepSubnets: Bool) {
        format = Self.formatName
        self.tool = tool
        self.captures = captures
        self.keepSubnets = keepSubnets
    }

    public static func parse(_ bytes: [UInt8]) -> RedactionMarker? {
        guard let m = try? SnakeCaseJSON.decoder().decode(RedactionMarker.self, from: Data(bytes)), m.format == formatName else { return nil }
        return m
    }

    public func encoded() -> Data {
        (try? SnakeCaseJSON.encoder([.prettyPrinted, .sortedKeys]).encode(self)) ?? Data()
    }
}
