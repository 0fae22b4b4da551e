import Artifacts
import Autopsy
import Diagnosis
import Foundation
import Reports

/// How a batch runs (`netautopsy batch`, docs/batch.md).
public struct BatchOptions: Sendable {
    public var inputs: [String]
    public var output: String
    /// Bundles analyzed at once, each in its own process.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Analyze again what the index says was analyzed with this version.
    public var force = false
    /// Analyze again the bundles that failed before (a crash or a timeout may not recur).
    public var retryFailed = false
    /// This run's share of the bundles: shard `index` of `count` (0-based).
    public var shard: (index: Int, count: Int)?
    /// Seconds one bundle may take before its analysis is stopped and recorded as failed.
    public var timeout: Double = 1800
    /// The YAML `--config` to analyze with.
    public var config: String?
    /// The netautopsy executable each bundle is analyzed with.
    public var executable: String
    /// More options for each child `netautopsy analyze` (the unpack limits and time budget).
    public var analyzeArguments: [String] = []
    /// Each input's entries are cluster groups (one incident's node bundles each), analyzed into one cluster report each.
    public var clusters = false

    public init(inputs: [String], output: String, executable: String) {
        self.inputs = inputs
        self.output = output
        self.executable = executable
    }

    /// `K/N` → (K, N).
    public static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw BatchError.badShard(text)
        }
        return (k, n)
    }
}

/// What a batch tells its progress display.
public protocol BatchProgress: Sendable {
    /// Bundles found (after sharding) and how many of them need analyzing.
    func started(bundles: Int, toAnalyze: Int)
    /// One bundle done: analyzed now (`skipped` false) or found in the index.
    func finished(_ record: BatchRecord, skipped: Bool)
}

public struct BatchResult: Sendable {
    /// Every bundle of this run, in discovery order.
    public var records: [BatchRecord]
    public var analyzed = 0
    public var skipped = 0
    /// Inputs that could not be read at all.
    public var inputProblems: [ProblemRecord] = []

    /// Bundles without a full analysis, plus unreadable inputs.
    public var failures: Int { records.filter { $0.status != .ok }.count + inputProblems.count }
}

/// Runs a batch: finds the bundles, skips those the index already has (same content, same
/// version), analyzes the rest `jobs` at a time, each in a child `netautopsy analyze` process (a
/// crash, a hang or a memory blow-up then costs one bundle, not the batch), writes each report in
/// JSON, Markdown and HTML, appends each record to the index as it finishes, and writes the summary.
public struct BatchRunner: Sendable {
    public var options: BatchOptions
    public var progress: (any BatchProgress)?

    public init(options: BatchOptions, progress: (any BatchProgress)? = nil) {
        self.options = options
        self.progress = progress
    }

    public func run() throws -> BatchResult {
        let out = options.output
        try FileManager.default.createDirectory(atPath: out + "/reports", withIntermediateDirectories: true)
        // What a killed batch left half written.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out + "/reports")) ?? [] where name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(atPath: out + "/reports/" + name)
        }
        let index = try BatchIndex(path: out + "/index.jsonl")
        let settings = try options.config.map(ContentHash.ofFile)
        var (found, problems) = options.clusters ? Discovery.findClusters(options.inputs, excluding: out)
            : Discovery.find(options.inputs, excluding: out)
        if let shard = options.shard {
            found = found.filter { ContentHash.shard(of: $0.relative, count: shard.count) == shard.index }
        }
        // Hashes first, all cores: they decide what to skip.
        let hashes = Self.parallelMap(found, jobs: options.jobs) { c -> Result<String, Error> in Result { try ContentHash.of(c) } }
        var records = [BatchRecord?](repeating: nil, count: found.count)
        var work: [Int] = []                    // the first bundle of each content to analyze
        var copies: [String: [Int]] = [:]       // later bundles with the same content
        var result = BatchResult(records: [])
        result.inputProblems = problems.map { ProblemRecord(path: $0.path, message: $0.message) }
        let version = Autopsy.version
        for (i, c) in found.enumerated() {
            switch hashes[i] {
            case .failure(let error):
                records[i] = BatchRecord(bundle: c.path, relative: c.relative, hash: "", version: version, status: .failed,
                                         error: "cannot read: \(error.localizedDescription)", analyzedAt: Self.now())
                records[i]!.settings = settings
            case .success(let hash):
                if let old = index.record(hash: hash), old.version == version, old.settings == settings, !options.force,
                   !(options.retryFailed && old.status == .failed), old.report.map({ Self.reportsExist(out + "/" + $0) }) ?? (old.status == .failed) {
                    records[i] = Self.copy(old, for: c)
                } else if copies[hash] != nil {
                    copies[hash]!.append(i)
                } else {
                    copies[hash] = []
                    work.append(i)
                }
            }
        }
        progress?.started(bundles: found.count, toAnalyze: work.count)
        // Unreadable bundles, and those the index already has.
        for case let r? in records {
            let skipped = !r.hash.isEmpty
            if !skipped { try index.append(r) }
            if skipped { result.skipped += 1 }
            progress?.finished(r, skipped: skipped)
        }
        let bundles = found
        let appendErrors = ResultSlots<Error?>(count: work.count)
        let analyzed = Self.parallelMap(Array(work.enumerated()), jobs: options.jobs) { k, i -> BatchRecord in
            guard case .success(let hash) = hashes[i] else { fatalError("work holds hashed bundles only") }
            var record = analyze(bundles[i], hash: hash)
            record.settings = settings
            // A bundle that could not even be started says nothing about the bundle: not remembered.
            do { if !record.notStarted { try index.append(record) } ; appendErrors.set(k, nil) } catch { appendErrors.set(k, error) }
            progress?.finished(record, skipped: false)
            return record
        }
        for (k, i) in work.enumerated() {
            records[i] = analyzed[k]
            guard case .success(let hash) = hashes[i] else { continue }
            for j in copies[hash] ?? [] {
                let copy = Self.copy(analyzed[k], for: found[j])
                try index.append(copy)
                progress?.finished(copy, skipped: true)
                result.skipped += 1
                records[j] = copy
            }
        }
        result.analyzed = work.count
        result.records = records.compactMap { $0 }
        try BatchSummary.write(result, to: out)
        if let error = appendErrors.values().compactMap({ $0 }).first { throw error }
        return result
    }

    /// One bundle in a child process: `netautopsy analyze BUNDLE -f json`, then the Markdown and
    /// HTML reports from its JSON.
    func analyze(_ c: BundleCandidate, hash: String) -> BatchRecord {
        let out = options.output
        let name = "reports/" + Self.safeName(c.relative) + "-" + hash.prefix(12)
        var record = BatchRecord(bundle: c.path, relative: c.relative, hash: hash, version: Autopsy.version, status: .failed,
                                 analyzedAt: Self.now())
        // Named for this process: a killed batch's orphaned child may still be writing its own.
        let partial = out + "/" + name + ".\(getpid())"
        let json = partial + ".json.partial", stderr = partial + ".stderr.partial"
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: stderr)
        }
        var argv = ["analyze", "--format", "json", "--output", json, "--jobs", "1", "--no-progress"]
        if let config = options.config { argv += ["--config", config] }
        argv += options.analyzeArguments
        if c.kind == .cluster { argv.append("--cluster") }
        argv += ["--", c.path]  // a path starting with "-" is not an option
        let start = Date()
        let outcome = ChildProcess.run(options.executable, argv, stderr: stderr, timeout: options.timeout)
        record.seconds = (Date().timeIntervalSince(start) * 1000).rounded() / 1000
        let message = Self.lastLine(Self.tail(stderr))
        switch outcome {
        case .exited(let status) where status == 0:
            do {
                let text = try String(contentsOfFile: json, encoding: .utf8)
                // `describe` lowers it to partial when the report lists problems.
                record.status = .ok
                let rendered: (md: String, html: String)
                if c.kind == .cluster {
                    let cluster = try SnakeCaseJSON.decoder().decode(ClusterReport.self, from: Data(text.utf8))
                    rendered = (ClusterRenderer.markdown(cluster), ClusterRenderer.html(cluster))
                    record.describe(cluster)
                } else {
                    let report = try JSONRenderer.decode(text)
                    rendered = (MarkdownRenderer.render(report), HTMLRenderer.render(report))
                    record.describe(report)
                }
                try text.write(toFile: out + "/" + name + ".json", atomically: true, encoding: .utf8)
                try rendered.md.write(toFile: out + "/" + name + ".md", atomically: true, encoding: .utf8)
                try rendered.html.write(toFile: out + "/" + name + ".html", atomically: true, encoding: .utf8)
                record.report = name
            } catch {
                record.status = .failed
                record.error = "the analysis wrote no readable report: \(error)"
            }
        case .exited(let status):
            record.error = message.isEmpty ? "the analysis exited with status \(status)" : message
        case .signalled(let signal):
            record.error = "the analysis crashed (signal \(signal))" + (message.isEmpty ? "" : ": \(message)")
        case .timedOut:
            let limit = options.timeout == options.timeout.rounded() ? String(Int(options.timeout)) : String(options.timeout)
            record.error = "the analysis took more than \(limit) s and was stopped"
        case .couldNotStart(let why):
            record.error = "could not start \(options.executable): \(why)"
        }
        return record
    }

    static func copy(_ r: BatchRecord, for c: BundleCandidate) -> BatchRecord {
        var r = r
        r.bundle = c.path
        r.relative = c.relative
        r.seconds = 0
        return r
    }

    static func reportsExist(_ base: String) -> Bool {
        [".json", ".md", ".html"].allSatisfy { FileManager.default.fileExists(atPath: base + $0) }
    }

    /// A file name from a bundle's relative path: letters, digits, `.`, `_` and `-`, at most 80.
    static func safeName(_ relative: String) -> String {
        let mapped = relative.unicodeScalars.map { c -> Character in
            (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-" ? Character(c) : "_"
        }
        let name = String(String(mapped.suffix(80)).drop { $0 == "." })
        return name.isEmpty ? "bundle" : name
    }

    /// The last 64 KiB of a file, as text: a child's stderr may be long.
    static func tail(_ path: String) -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        try? h.seek(toOffset: size > 65536 ? size - 65536 : 0)
        return String(decoding: (try? h.readToEnd()) ?? Data(), as: UTF8.self)
    }

    static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.prefix(500) ?? "")
    }

    static func now() -> String { Timestamp.rfc3339(Int64(Date().timeIntervalSince1970 * 1e9)) }

    /// `transform` over `items`, `jobs` at a time, results in order.
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ transform: @Sendable @escaping (T) -> R) -> [R] {
        let results = ResultSlots<R>(count: items.count)
        let next = Counter()
        let group = DispatchGroup()
        // Threads of their own, not the dispatch pool: workers mostly wait for a child process, so
        // `jobs` may usefully exceed the cores.
        for _ in 0..<max(1, min(jobs, items.count)) {
            group.enter()
            let thread = Thread {
                while let i = next.take(below: items.count) { results.set(i, transform(items[i])) }
                group.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        group.wait()
        return results.values()
    }
}

/// Slots filled from several threads, each once.
final class ResultSlots<R: Sendable>: @unchecked Sendable {
    private var slots: [R?]
    private let lock = NSLock()
    init(count: Int) { slots = [R?](repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) { lock.lock(); slots[i] = value; lock.unlock() }
    func values() -> [R] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}

/// The next index to work on, shared by the workers.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
