import Foundation

/// Renders the report as JSON: snake_case keys, sorted, stable for diffs and golden tests.
public enum JSONRenderer {
    public static func render(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    public static func decode(_ text: String) throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(text.utf8))
    }
}
