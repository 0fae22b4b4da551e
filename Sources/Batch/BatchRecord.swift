import Artifacts
import Diagnosis
import Foundation
import Reports
#if canImport(Glibc)
import Glibc
#endif

/// What a batch knows of one bundle: one line of `index.jsonl` in the output directory (snake_case
/// keys, docs/batch.md). The index is appended to as bundles finish, so a batch that is killed
/// resumes from it; the summary is made from it.
public struct BatchRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Analyzed, every file read.
        case ok
        /// Analyzed, but some files could not be read (the report's `problems`): corrupt, truncated,
        /// hostile entries.
        case partial
        /// No report: the analysis failed, crashed or ran out of time.
        case failed
    }

    /// The bundle's path as found, and relative to the input it was found under.
    public var bundle: String
    public var relative: String
    /// The first 12 hex digits of `hash`.
    public var id: String
    /// SHA-256 of the content (`ContentHash`); empty when the bundle could not be read.
    public var hash: String
    /// The netautopsy version that analyzed it.
    public var version: String
    /// SHA-256 of the `--config` file it was analyzed with; nil without one.
    public var settings: String?
    public var status: Status
    /// Why it failed, or its first unreadable file (`partial`).
    public var error: String?
    /// Files of the bundle that could not be read.
    public var problems: Int
    /// The reports, relative to the output directory, without extension (`.json`, `.md`, `.html`).
    public var report: String?
    public var host: String?
    public var collectedAt: String?
    /// The collection's start, else the first captured frame's time (RFC 3339).
    public var bundleTime: String?
    public var topCause: String?
    public var topConfidence: String?
    /// Every root cause as `id (confidence)`, most likely first.
    public var causes: [String]
    /// Findings by severity name.
    public var findings: [String: Int]
    /// Seconds the analysis took (0 when skipped).
    public var seconds: Double
    public var analyzedAt: String

    public init(bundle: String, relative: String, hash: String, version: String, status: Status, error: String? = nil,
                problems: Int = 0, report: String? = nil, seconds: Double = 0, analyzedAt: String) {
        self.bundle = bundle
        self.relative = relative
        self.id = String(hash.prefix(12))
        self.hash = hash
        self.version = version
        self.status = status
        self.error = error
        self.problems = problems
        self.report = report
        self.causes = []
        self.findings = [:]
        self.seconds = seconds
        self.analyzedAt = analyzedAt
    }

    /// Fills what the report says: host, times, causes, findings, problems.
    mutating func describe(_ r: Report) {
        host = r.collection.first?.hostname
        collectedAt = r.collection.first?.startedAt
        bundleTime = collectedAt ?? r.captures.files.compactMap(\.firstPacket).min()?.rfc3339
        topCause = r.causes.first?.id
        topConfidence = r.causes.first?.confidence.rawValue
        causes = r.causes.map { "\($0.id) (\($0.confidence.rawValue))" }
        findings = Dictionary(grouping: r.findings, by: \.severity.rawValue).mapValues(\.count)
        problems = r.problems.count
        if let p = r.problems.first {
            status = .partial
            error = "\(p.path): \(p.message)" + (r.problems.count > 1 ? " (and \(r.problems.count - 1) more)" : "")
        }
    }

    /// Fills what a cluster report says: its nodes (as `host`), the earliest collection, the findings
    /// between the nodes first as causes, then each node's causes prefixed by the node, and the
    /// findings of the cluster and every node by severity.
    mutating func describe(_ c: ClusterReport) {
        host = c.nodes.map(\.name).joined(separator: ", ")
        collectedAt = c.reports.compactMap { $0.collection.first?.startedAt }.min()
        bundleTime = collectedAt ?? c.reports.flatMap { $0.captures.files.compactMap(\.firstPacket) }.min()?.rfc3339
        let between = c.findings.sorted { $0.severity > $1.severity }
        let nodeCauses = zip(c.nodes, c.reports).flatMap { n, r in r.causes.map { (node: n.name, cause: $0) } }
        topCause = between.first?.id.rawValue ?? nodeCauses.first?.cause.id
        topConfidence = between.isEmpty ? nodeCauses.first?.cause.confidence.rawValue : nil
        causes = between.map { "\($0.id) (between nodes)" } + nodeCauses.map { "\($0.node): \($0.cause.id) (\($0.cause.confidence.rawValue))" }
        findings = Dictionary(grouping: c.findings + c.reports.flatMap(\.findings), by: \.severity.rawValue).mapValues(\.count)
        let problems = zip(c.nodes, c.reports).flatMap { n, r in r.problems.map { (node: n.name, problem: $0) } }
        self.problems = problems.count
        if let p = problems.first {
            status = .partial
            error = "\(p.node): \(p.problem.path): \(p.problem.message)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : "")
        }
    }

    /// The analysis could not be started (the executable is missing): nothing to remember.
    var notStarted: Bool { status == .failed && (error ?? "").hasPrefix("could not start ") }

    static let encoder = SnakeCaseJSON.encoder([.sortedKeys, .withoutEscapingSlashes])
    static let decoder = SnakeCaseJSON.decoder()

    public func line() -> String {
        (try? String(decoding: Self.encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

/// `index.jsonl`: the records of every bundle a batch (or earlier batches into the same output)
/// finished, one JSON object per line, appended one write at a time.
public final class BatchIndex: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    /// Opened with O_APPEND: every record lands whole at the end, also with two batches on one output.
    private var fd: Int32 = -1
    /// The latest record of each content hash, for skipping.
    public private(set) var byHash: [String: BatchRecord] = [:]
    /// The latest record of each bundle path.
    public private(set) var byBundle: [String: BatchRecord] = [:]

    /// Reads the index; unless `readOnly`, opens it for appending (created when missing).
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        if readOnly {
            guard let data = FileManager.default.contents(atPath: path) else { throw BatchError.cannotRead(path) }
            load(data)
            return
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0, let data = FileManager.default.contents(atPath: path) else { throw BatchError.cannotWrite(path) }
        load(data)
        // The next record starts on a line of its own, after a line cut short.
        if let last = data.last, last != UInt8(ascii: "\n") { try write(Data("\n".utf8)) }
    }

    deinit { if fd >= 0 { close(fd) } }

    private func load(_ data: Data) {
        for line in data.split(separator: UInt8(ascii: "\n")) {
            // A line cut short by a kill is not JSON, and is ignored.
            guard let r = try? BatchRecord.decoder.decode(BatchRecord.self, from: Data(line)) else { continue }
            remember(r)
        }
    }

    private func write(_ data: Data) throws {
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw BatchError.cannotWrite(path) }
    }

    private func remember(_ r: BatchRecord) {
        if !r.hash.isEmpty { byHash[r.hash] = r }
        byBundle[r.bundle] = r
    }

    /// Appends a record, in one write, and flushes it to disk.
    public func append(_ r: BatchRecord) throws {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw BatchError.cannotWrite(path) }
        try write(Data((r.line() + "\n").utf8))
        fsync(fd)
        remember(r)
    }

    public func record(hash: String) -> BatchRecord? {
        lock.lock()
        defer { lock.unlock() }
        return byHash[hash]
    }
}

public enum BatchError: Error, CustomStringConvertible {
    case cannotWrite(String)
    case cannotRead(String)
    case badShard(String)

    public var description: String {
        switch self {
        case .cannotWrite(let p): "cannot write \(p)"
        case .cannotRead(let p): "cannot read \(p)"
        case .badShard(let s): "--shard \(s): expected K/N with 0 ≤ K < N"
        }
    }
}
