import Artifacts
import Foundation

/// Renders the report as JSON: snake_case keys, sorted, stable for diffs and golden tests.
public enum JSONRenderer {
    public static func render(_ report: Report) throws -> String {
        String(decoding: try SnakeCaseJSON.encoder().encode(report), as: UTF8.self) + "\n"
    }

    public static func decode(_ text: String) throws -> Report {
        try SnakeCaseJSON.decoder().decode(Report.self, from: Data(text.utf8))
    }
}
