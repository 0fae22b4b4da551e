import Artifacts
import Wire

/// What the analysis of one capture file produced.
public struct CaptureFacts: Sendable {
    /// The capture's path within the bundle.
    public var file: String
    public var format: String
    public var summary: CaptureSummary
    /// Why reading stopped early, if it did.
    public var readError: String?

    public init(file: String, format: String, summary: CaptureSummary, readError: String?) {
        self.file = file
        self.format = format
        self.summary = summary
        self.readError = readError
    }
}

/// A line of a text artifact that matched a pattern, with where it stands.
public struct TextEvidence<Match: Sendable>: Sendable {
    public var file: String
    /// 1-based line number.
    public var line: Int
    public var text: String
    public var match: Match

    public init(file: String, line: Int, text: String, match: Match) {
        self.file = file
        self.line = line
        self.text = text
        self.match = match
    }
}

/// The typed facts checks read: never paths to open, C handles or raw archive bytes.
public struct Facts: Sendable {
    public var captures: [CaptureFacts] = []
    public var pathMTULines: [TextEvidence<PathMTUTextMatch>] = []

    public init(captures: [CaptureFacts] = [], pathMTULines: [TextEvidence<PathMTUTextMatch>] = []) {
        self.captures = captures
        self.pathMTULines = pathMTULines
    }
}
