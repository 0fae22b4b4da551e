import Diagnosis
import Wire

/// The autopsy report: the model every renderer (Markdown, JSON) draws from.
/// Its JSON form is documented and versioned in docs/report-format.md.
public struct Report: Codable, Sendable {
    public static let schema = "netautopsy.report/1"

    public var schema = Report.schema
    public var tool: String
    /// The path given to `analyze` (as given).
    public var input: String
    public var findings: [Finding]
    public var captures: CapturesSection
    public var artifacts: [ArtifactRecord]
    /// What could not be read or was skipped, and why.
    public var problems: [ProblemRecord]

    public init(tool: String, input: String, findings: [Finding], captures: CapturesSection,
                artifacts: [ArtifactRecord], problems: [ProblemRecord]) {
        self.tool = tool
        self.input = input
        self.findings = findings
        self.captures = captures
        self.artifacts = artifacts
        self.problems = problems
    }

    /// The highest severity among the findings, or nil with none.
    public var worstSeverity: Severity? { findings.map(\.severity).max() }
}

/// Counters summed over all captures (the fields of `CaptureCounters` at this level), plus one
/// entry per capture file.
public struct CapturesSection: Codable, Sendable {
    public var totals: CaptureCounters
    public var files: [CaptureFileRecord]

    public init(totals: CaptureCounters, files: [CaptureFileRecord]) {
        self.totals = totals
        self.files = files
    }

    enum Keys: String, CodingKey { case files }

    public func encode(to encoder: Encoder) throws {
        try totals.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(files, forKey: .files)
    }

    public init(from decoder: Decoder) throws {
        totals = try CaptureCounters(from: decoder)
        files = try decoder.container(keyedBy: Keys.self).decode([CaptureFileRecord].self, forKey: .files)
    }
}

public struct CaptureFileRecord: Codable, Sendable {
    public var file: String
    public var format: String
    /// Link types by tshark's name, with frame counts.
    public var linkTypes: [String: Int]
    public var firstPacket: String?
    public var lastPacket: String?
    public var counters: CaptureCounters
    /// Why reading stopped early; the counters cover the frames before it.
    public var error: String?

    public init(file: String, format: String, linkTypes: [String: Int], firstPacket: String?, lastPacket: String?,
                counters: CaptureCounters, error: String?) {
        self.file = file
        self.format = format
        self.linkTypes = linkTypes
        self.firstPacket = firstPacket
        self.lastPacket = lastPacket
        self.counters = counters
        self.error = error
    }
}

public struct ArtifactRecord: Codable, Sendable {
    public var path: String
    /// `capture`, `sysctl`, `dmesg`, `text`… (see `ArtifactKind`).
    public var kind: String
    public var bytes: Int

    public init(path: String, kind: String, bytes: Int) {
        self.path = path
        self.kind = kind
        self.bytes = bytes
    }
}

public struct ProblemRecord: Codable, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}
