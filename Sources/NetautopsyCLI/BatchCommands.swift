import ArgumentParser
import Autopsy
import Batch
import Foundation

/// `netautopsy batch`: many bundles, one report each, and a summary (docs/batch.md).
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Analyze every bundle under directories or globs: one report each, plus summary.md, summary.csv and findings.jsonl.",
        discussion: """
            Bundles are archives, captures, and directories with a collector manifest.json, found recursively. Each is \
            analyzed in its own process, --jobs at a time. Bundles already analyzed into OUTDIR (same content, same \
            netautopsy version) are skipped, so an interrupted batch resumes where it stopped. Exit status 4: the batch \
            completed, but some bundles could not be analyzed, or only in part.
            """)

    @Argument(help: "Directories, archives, captures or glob patterns (quoted) to look for bundles in.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output directory: reports/, index.jsonl, summary.md, summary.csv, findings.jsonl.")
    var output: String

    @Option(name: .long, help: "Bundles analyzed at once (default: all cores).")
    var jobs: Int?

    @Flag(help: "Analyze again the bundles OUTDIR already has reports for.")
    var force = false

    @Flag(help: "Analyze again the bundles that failed before (a crash or a timeout).")
    var retryFailed = false

    @Flag(help: "Each directory or archive directly inside an input is one incident's node bundles: one cluster report each (docs/cluster.md).")
    var clusters = false

    @Option(name: .long, help: "Only the bundles of shard K of N (0 ≤ K < N), chosen by path: for job arrays (docs/batch.md).")
    var shard: String?

    @Option(name: .long, help: "Seconds one bundle may take before it is stopped and recorded as failed (default 1800).")
    var timeout: Double = 1800

    @Option(name: .long, help: "A YAML file that disables checks or overrides their thresholds (docs/checks.md).")
    var config: String?

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on standard error; by default only when it is a terminal (else one line per bundle).")
    var progress: Bool?

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds") }
        if let shard { _ = try BatchOptions.parseShard(shard) }
    }

    func run() throws {
        var options = BatchOptions(inputs: inputs, output: output, executable: Self.executable)
        if let jobs { options.jobs = jobs }
        options.force = force
        options.retryFailed = retryFailed
        options.clusters = clusters
        options.shard = try shard.map(BatchOptions.parseShard)
        options.timeout = timeout
        options.config = config.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        options.analyzeArguments = limits.arguments
        // Without a time budget of its own, a bundle stops reading at 90 % of --timeout, so that a
        // slow bundle gets a partial report rather than being killed with none.
        if limits.timeBudget == nil { options.analyzeArguments += ["--time-budget", String(timeout * 0.9)] }
        let display = BatchTerminalProgress(bar: progress ?? TerminalProgress.standardErrorIsTerminal)
        let result: BatchResult
        do {
            result = try BatchRunner(options: options, progress: display).run()
        } catch {
            display.end()
            FileHandle.standardError.write(Data("netautopsy: batch: \(error)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
        display.end()
        for p in result.inputProblems { FileHandle.standardError.write(Data("netautopsy: \(p.path): \(p.message)\n".utf8)) }
        let failed = result.records.filter { $0.status == .failed }.count, partial = result.records.filter { $0.status == .partial }.count
        let line = "netautopsy: batch of \(result.records.count) bundles: \(result.analyzed) analyzed, \(result.skipped) already analyzed; "
            + "summary in \(output)/summary.md"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        if result.failures > 0 {
            FileHandle.standardError.write(Data(("netautopsy: batch completed with \(result.failures) failures (\(failed) not analyzed, "
                + "\(partial) analyzed in part, \(result.inputProblems.count) inputs not read)\n").utf8))
            throw ExitCode(ExitStatus.batchFailures)
        }
    }

    /// This executable: the bundles are analyzed by its `analyze`. /proc/self/exe itself, which
    /// still runs this binary if the file is replaced during the batch.
    static var executable: String {
        FileManager.default.isExecutableFile(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
    }
}

/// `netautopsy merge`: one summary from the outputs of several shards.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the output directories of batch shards into one: reports, index.jsonl and the summary.")

    @Argument(help: "The output directories of `netautopsy batch --shard K/N` runs.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "The merged output directory.")
    var output: String

    func run() throws {
        let result: BatchResult
        do { result = try BatchMerge.merge(shards, into: output) } catch {
            FileHandle.standardError.write(Data("netautopsy: merge: \(error)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
        FileHandle.standardError.write(Data("netautopsy: merged \(result.records.count) bundles from \(shards.count) outputs into \(output)/summary.md\n".utf8))
        if result.failures > 0 { throw ExitCode(ExitStatus.batchFailures) }
    }
}

/// A progress bar on a terminal (bundles done, rate, time left), else a plain line per bundle.
final class BatchTerminalProgress: BatchProgress, @unchecked Sendable {
    private let bar: Bool
    private let lock = NSLock()
    private var total = 0, done = 0, analyzedDone = 0, toAnalyze = 0
    private let start = Date()
    private let output: @Sendable (String) -> Void

    init(bar: Bool, output: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.bar = bar
        self.output = output
    }

    func started(bundles: Int, toAnalyze: Int) {
        lock.lock(); defer { lock.unlock() }
        total = bundles
        self.toAnalyze = toAnalyze
        if !bar { write("netautopsy: \(bundles) bundles, \(toAnalyze) to analyze\n") }
    }

    func finished(_ record: BatchRecord, skipped: Bool) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if !skipped { analyzedDone += 1 }
        if bar {
            let width = 30, filled = total == 0 ? width : width * done / total
            let elapsed = Date().timeIntervalSince(start)
            let rate = elapsed > 0 ? Double(analyzedDone) / elapsed * 60 : 0
            let left = analyzedDone > 0 ? elapsed / Double(analyzedDone) * Double(toAnalyze - analyzedDone) : nil
            let eta = left.map { " · ETA \(Self.duration($0))" } ?? ""
            write("\r\u{1B}[K[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                + "] \(done)/\(total) bundles · \(Int(rate.rounded()))/min\(eta)")
        } else {
            let what = skipped ? "already analyzed" : record.status.rawValue + (record.seconds > 0 ? " in \(record.seconds) s" : "")
            // Paths and errors come from the bundles: no control characters reach the terminal.
            let line = "[\(done)/\(total)] \(record.relative): \(what)" + (record.error.map { " (\($0))" } ?? "")
            write("netautopsy: " + String(line.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) }) + "\n")
        }
    }

    func end() {
        lock.lock(); defer { lock.unlock() }
        if bar && done > 0 { write("\r\u{1B}[K") }
    }

    private func write(_ s: String) { output(s) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s / 60 % 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
