import Artifacts
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
    /// The executive summary: the verdict in one paragraph (`Correlator.verdict`).
    public var verdict: String
    /// Root causes, most likely first: findings joined into explanations (`Correlator`).
    public var causes: [RootCause]
    /// Every source's moments on one time axis (`Timeline`).
    public var timeline: Timeline
    public var findings: [Finding]
    public var captures: CapturesSection
    /// The captures' traffic as chart and table data: DNS latency, packet sizes against MTUs, flows.
    public var traffic: TrafficSection
    public var artifacts: [ArtifactRecord]
    /// What could not be read or was skipped, and why.
    public var problems: [ProblemRecord]
    /// One entry per collector manifest in the input: how the bundle was collected and what
    /// the collector could not gather.
    public var collection: [CollectionRecord]
    /// Symbolic and hard links inside the bundle that resolve inside it: their targets are read
    /// under their own paths, so a link adds nothing (sosreport's top-level `dmesg`, `proc/net`…).
    public var links: [LinkRecord] = []
    /// Which kinds of evidence were present and used, and which were absent (`EvidenceCoverage`).
    public var coverage: EvidenceCoverage?

    public init(tool: String, input: String, verdict: String = "", causes: [RootCause] = [], timeline: Timeline = Timeline(),
                findings: [Finding],
                captures: CapturesSection, traffic: TrafficSection = TrafficSection(), artifacts: [ArtifactRecord], problems: [ProblemRecord], collection: [CollectionRecord] = []) {
        self.tool = tool
        self.input = input
        self.verdict = verdict
        self.causes = causes
        self.timeline = timeline
        self.findings = findings
        self.captures = captures
        self.traffic = traffic
        self.artifacts = artifacts
        self.problems = problems
        self.collection = collection
    }

    enum CodingKeys: String, CodingKey {
        case schema, tool, input, verdict, causes, timeline, findings, captures, traffic, artifacts, problems, collection, links, coverage
    }

    /// Decodes reports of any `/1` version: fields added later (`collection`, `verdict`, `causes`, `timeline`, `traffic`) may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        tool = try c.decode(String.self, forKey: .tool)
        input = try c.decode(String.self, forKey: .input)
        verdict = try c.decodeIfPresent(String.self, forKey: .verdict) ?? ""
        causes = try c.decodeIfPresent([RootCause].self, forKey: .causes) ?? []
        timeline = try c.decodeIfPresent(Timeline.self, forKey: .timeline) ?? Timeline()
        findings = try c.decode([Finding].self, forKey: .findings)
        captures = try c.decode(CapturesSection.self, forKey: .captures)
        traffic = try c.decodeIfPresent(TrafficSection.self, forKey: .traffic) ?? TrafficSection()
        artifacts = try c.decode([ArtifactRecord].self, forKey: .artifacts)
        problems = try c.decode([ProblemRecord].self, forKey: .problems)
        collection = try c.decodeIfPresent([CollectionRecord].self, forKey: .collection) ?? []
        links = try c.decodeIfPresent([LinkRecord].self, forKey: .links) ?? []
        coverage = try c.decodeIfPresent(EvidenceCoverage.self, forKey: .coverage)
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
    public var firstPacket: WallTime?
    public var lastPacket: WallTime?
    public var counters: CaptureCounters
    /// Why reading stopped early; the counters cover the frames before it.
    public var error: String?
    /// What the analysis dropped to stay within its memory caps (`CaptureSummary.limitsReached`);
    /// absent when nothing was.
    public var limitsReached: [String]?

    public init(file: String, format: String, linkTypes: [String: Int], firstPacket: WallTime?, lastPacket: WallTime?,
                counters: CaptureCounters, error: String?, limitsReached: [String]? = nil) {
        self.limitsReached = limitsReached
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
    /// `capture`, `sysctl`, `dmesg`, `text`… (encoded as `ArtifactKind`'s raw value).
    public var kind: ArtifactKind
    public var bytes: Int
    /// Why it was given that kind (`PathRules`): "sosreport: sos_commands/kernel/sysctl_-a", "content"…
    public var rule: String?

    public init(path: String, kind: ArtifactKind, bytes: Int, rule: String? = nil) {
        self.path = path
        self.kind = kind
        self.bytes = bytes
        self.rule = rule
    }
}

/// A link inside the bundle, and what it points at (a path in the bundle).
public struct LinkRecord: Codable, Sendable, Equatable {
    public var path: String
    public var target: String

    public init(path: String, target: String) {
        self.path = path
        self.target = target
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

/// How a bundle was collected, from the collector's manifest.json (docs/bundle-format.md).
public struct CollectionRecord: Codable, Sendable, Equatable {
    /// Path of the manifest in the input.
    public var manifest: String
    public var format: String
    public var collector: String?
    public var hostname: String?
    public var kernel: String?
    public var startedAt: String?
    public var endedAt: String?
    /// The user stopped the collection early (Ctrl-C or SIGTERM).
    public var interrupted: Bool
    /// Addresses and names in text files were replaced by tokens.
    public var redacted: Bool
    /// Commands the manifest lists, and how many of them produced output.
    public var commands: Int
    public var collected: Int
    /// Commands that produced nothing: skipped, failed, timed out or interrupted, with the reason.
    public var notCollected: [CollectorCommandRecord]
    /// Commands that produced output but did not finish cleanly (the output may be partial).
    public var collectedWithErrors: [CollectorCommandRecord]

    public init(manifest: String, format: String, collector: String?, hostname: String?, kernel: String?,
                startedAt: String?, endedAt: String?, interrupted: Bool, redacted: Bool, commands: Int,
                collected: Int, notCollected: [CollectorCommandRecord], collectedWithErrors: [CollectorCommandRecord]) {
        self.manifest = manifest
        self.format = format
        self.collector = collector
        self.hostname = hostname
        self.kernel = kernel
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.interrupted = interrupted
        self.redacted = redacted
        self.commands = commands
        self.collected = collected
        self.notCollected = notCollected
        self.collectedWithErrors = collectedWithErrors
    }
}

/// One collector command that did not end well.
public struct CollectorCommandRecord: Codable, Sendable, Equatable {
    public var id: String
    public var kind: String?
    /// `skipped`, `failed`, `timed-out` or `interrupted`.
    public var status: String
    public var command: String?
    public var reason: String?

    public init(id: String, kind: String?, status: String, command: String?, reason: String?) {
        self.id = id
        self.kind = kind
        self.status = status
        self.command = command
        self.reason = reason
    }
}
