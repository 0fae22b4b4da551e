import Artifacts
import Foundation

/// Renders the report as JSON: snake_case keys, sorted, stable for diffs and golden tests.
public enum JSONRenderer {
    public static func render(_ report: Report) throws -> String { try text(report) }

    /// Any of the tool's documents (reports, diffs, cluster reports) as this JSON: one line feed at the end.
    public static func text(_ document: some Encodable) throws -> String {
        String(decoding: try SnakeCaseJSON.encoder().encode(document), as: UTF8.self) + "\n"
    }

    public static func decode(_ text: String) throws -> Report {
        try SnakeCaseJSON.decoder().decode(Report.self, from: Data(text.utf8))
    }
}
