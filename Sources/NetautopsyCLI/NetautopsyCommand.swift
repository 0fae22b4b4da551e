import ArgumentParser
import Autopsy
import Diagnosis
import Foundation
import Input
import Reports

/// `netautopsy`: the root command; subcommands do the work.
public struct NetautopsyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "netautopsy",
        abstract: "Offline autopsy of Kubernetes network incidents: captures, node state and logs in, root causes out.",
        version: Autopsy.version,
        subcommands: [Analyze.self, Diff.self, BatchCommand.self, MergeCommand.self, RedactCommand.self, Extract.self, Collector.self, Checks.self, Explain.self],
        defaultSubcommand: Analyze.self)

    public init() {}
}

extension Severity: ExpressibleByArgument {}

/// What one bundle may cost to read (`UnpackLimits`, docs/security.md).
struct LimitOptions: ParsableArguments {
    @Option(name: .long, help: "Most bytes decompressed from one bundle, all nesting levels counted (e.g. 64G, 500M; default 64G).")
    var maxUnpacked: String?

    @Option(name: .long, help: "Most decompressed bytes per byte read from disk, once 256 MiB have come out (default 250).")
    var maxRatio: Double?

    @Option(name: .long, help: "Seconds one bundle may be read for; what was read by then is reported (default: no limit).")
    var timeBudget: Double?

    func validate() throws {
        if let maxUnpacked, UnpackMeter.parseBytes(maxUnpacked) == nil {
            throw ValidationError("--max-unpacked must be a size such as 500M, 64G or 1048576")
        }
        if let maxRatio, !(maxRatio >= 1 && maxRatio.isFinite) { throw ValidationError("--max-ratio must be at least 1") }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) { throw ValidationError("--time-budget must be a positive number of seconds") }
    }

    var limits: UnpackLimits {
        var l = UnpackLimits()
        if let v = maxUnpacked.flatMap(UnpackMeter.parseBytes) { l.maxUnpackedBytes = v }
        if let maxRatio { l.maxRatio = maxRatio }
        l.timeBudget = timeBudget
        return l
    }

    /// The same options, to hand to a child `netautopsy analyze`.
    var arguments: [String] {
        var a: [String] = []
        if let maxUnpacked { a += ["--max-unpacked", maxUnpacked] }
        if let maxRatio { a += ["--max-ratio", String(maxRatio)] }
        if let timeBudget { a += ["--time-budget", String(timeBudget)] }
        return a
    }
}

/// Exit codes beyond ArgumentParser's: PATH unreadable (2), findings at `--fail-on` (3), and a
/// batch that completed with bundles not analyzed or analyzed in part (4).
enum ExitStatus {
    static let unreadableInput: Int32 = 2
    static let findingsAtThreshold: Int32 = 3
    static let batchFailures: Int32 = 4
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyze a bundle (.tar.gz, .tgz, .tar, .tar.xz, .zip…), a bundle directory, or one capture (.pcap, .pcapng, .pcap.gz).",
        discussion: """
            With several bundles, one per node of the same cluster, the output is one cluster report: each node's \
            report, and the settings that differ between the nodes (docs/cluster.md).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json, html }

    @Argument(help: "The bundle, bundle directory or capture to analyze; several: one per node, for a cluster report.")
    var paths: [String]

    @Option(name: .shortAndLong, help: "Report format: markdown (for tickets), json (docs/report-format.md) or html (one self-contained file).")
    var format: Format = .markdown

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Exit with status 3 when a finding is at or above this severity (info, low, medium, high, critical).")
    var failOn: Severity?

    @Option(name: .long, help: "A YAML file that disables checks or overrides their thresholds (docs/checks.md).")
    var config: String?

    @Flag(inversion: .prefixedNo, help: "Show progress (bytes and packets per second) on standard error; by default only when it is a terminal.")
    var progress: Bool?

    @Option(name: .long, help: "Threads to use: captures analyzed at once, archive decompression beside analysis, a capture's TCP and DNS tracking beside its decoding (default: all cores).")
    var jobs: Int?

    @Flag(help: "The one path is a directory or an archive holding one bundle per node (archives or folders): a cluster report of them.")
    var cluster = false

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if cluster, paths.count != 1 { throw ValidationError("--cluster takes one directory or archive of node bundles") }
        if paths.isEmpty { throw ValidationError("give a bundle, bundle directory or capture to analyze") }
    }

    func run() throws {
        let settings = try checkSettings(config)
        var autopsy = Autopsy(settings: settings)
        autopsy.walker.limits = limits.limits
        if let jobs { autopsy.jobs = jobs }
        if progress ?? TerminalProgress.standardErrorIsTerminal { autopsy.progress = TerminalProgress() }
        if cluster {
            var isDirectory: ObjCBool = false
            let nodes: [String]
            var archive: ClusterArchive?
            do {
                if FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDirectory), !isDirectory.boolValue {
                    // An archive of node bundles: unpacked into a scratch folder, removed when done.
                    let a = try ClusterArchive(paths[0], limits: limits.limits)
                    for p in a.problems { FileHandle.standardError.write(Data("netautopsy: \(paths[0]): \(p.path): \(p.message)\n".utf8)) }
                    archive = a
                    nodes = try a.nodeBundles()
                } else {
                    nodes = try ClusterAutopsy.nodeBundles(in: paths[0])
                }
            } catch {
                FileHandle.standardError.write(Data("netautopsy: \(paths[0]): \(error)\n".utf8))
                throw ExitCode(ExitStatus.unreadableInput)
            }
            defer { archive?.remove() }
            return try runCluster(autopsy, nodes, labels: archive.map { a in nodes.map(a.label) })
        }
        if paths.count > 1 { return try runCluster(autopsy, paths) }
        let report: Report
        do {
            report = try autopsy.analyze(paths[0])
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
        for p in report.problems {
            FileHandle.standardError.write(Data("netautopsy: \(p.path): \(p.message)\n".utf8))
        }
        let text: String
        switch format {
        case .json: text = try JSONRenderer.render(report)
        case .html: text = HTMLRenderer.render(report)
        case .markdown: text = MarkdownRenderer.render(report)
        }
        try emit(text, to: output)
        try fail(on: failOn, worst: report.worstSeverity)
    }

    /// Several nodes' bundles: one cluster report.
    func runCluster(_ autopsy: Autopsy, _ paths: [String], labels: [String]? = nil) throws {
        let report: ClusterReport
        do {
            report = try ClusterAutopsy(autopsy).analyze(paths, labels: labels)
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
        for (node, r) in zip(report.nodes, report.reports) {
            for p in r.problems { FileHandle.standardError.write(Data("netautopsy: \(node.name): \(p.path): \(p.message)\n".utf8)) }
        }
        let text = switch format {
        case .json: try ClusterRenderer.json(report)
        case .html: ClusterRenderer.html(report)
        case .markdown: ClusterRenderer.markdown(report)
        }
        try emit(text, to: output)
        try fail(on: failOn, worst: report.worstSeverity)
    }
}

struct Checks: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every check with its id, severity and title.")

    @Flag(help: "Print the full catalog as Markdown (docs/checks.md is generated this way).")
    var markdown = false

    func run() {
        if markdown {
            print(CheckDocumentation.markdown(CheckCatalog.documented), terminator: "")
            return
        }
        print(Self.listing(), terminator: "")
    }

    /// One line per check: id, severity, title, in columns.
    static func listing() -> String {
        let width = CheckCatalog.documented.map(\.id.rawValue.count).max() ?? 20
        return CheckCatalog.documented.map { d in
            return "\(d.id.rawValue.padding(toLength: width + 1, withPad: " ", startingAt: 0)) \(d.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(d.title)\n"
        }.joined()
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Explain what a check detects, why it matters and how to fix it.")

    @Argument(help: "A check id, as `netautopsy checks` lists them.")
    var id: String

    /// A node check of the catalog, or one of the checks across nodes (`ConfigDrift`).
    var checkDescription: CheckDescription? {
        CheckCatalog.check(id: CheckID(id))?.description ?? (ConfigDrift.descriptions + PacketPaths.descriptions).first { $0.id == CheckID(id) }
    }

    func validate() throws {
        guard checkDescription != nil else {
            throw ValidationError("unknown check '\(id)'; `netautopsy checks` lists them")
        }
    }

    func run() {
        print(CheckDocumentation.explain(checkDescription!), terminator: "")
    }
}

struct Collector: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the node-side collector script (POSIX sh) that gathers an incident bundle.",
        discussion: """
            Copy it to a node and run it as root; it writes netautopsy-HOST-UTCSTAMP.tar.gz for `netautopsy analyze`:
              netautopsy collector > netautopsy-collect.sh
              netautopsy collector | ssh NODE sudo sh -s -- --duration 60
            Its options: `netautopsy collector | sh -s -- --help`. Bundle layout: docs/bundle-format.md.
            """)

    func run() {
        FileHandle.standardOutput.write(Data(CollectorScript.text.utf8))
    }
}

/// `netautopsy extract BUNDLE --finding ID -o evidence.pcap`.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the packets behind a finding to a pcap file, to open exactly those in Wireshark.")

    @Argument(help: "The bundle, bundle directory or capture that was analyzed.")
    var path: String

    @Option(name: .long, help: "The finding's check id (as in the report, e.g. pmtu-black-hole).")
    var finding: String

    @Option(name: .shortAndLong, help: "The pcap file to write (with several captures: one file each, named after them).")
    var output: String

    @Option(name: .long, help: "The YAML --config the report was made with (thresholds decide which packets are cited).")
    var config: String?

    @OptionGroup var limits: LimitOptions

    func run() throws {
        let settings = try checkSettings(config)
        do {
            var autopsy = Autopsy(settings: settings)
            autopsy.walker.limits = limits.limits
            let written = try EvidenceExtractor(autopsy: autopsy).extract(path, finding: finding, output: output)
            for w in written {
                var line = "\(w.output): \(w.frames) frame\(w.frames == 1 ? "" : "s") from \(w.capture)"
                if w.skipped > 0 { line += " (\(w.skipped) cited frame\(w.skipped == 1 ? "" : "s") not written: another link type, or not in the file)" }
                print(line)
            }
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
    }
}

/// The check settings of `--config FILE`, or the defaults; a bad file is a usage error naming it.
/// Writes a command's text to its `--output` file, or to standard output.
func emit(_ text: String, to output: String?) throws {
    guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
    do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
        throw ValidationError("cannot write \(output): \(error.localizedDescription)")
    }
}

/// Exit status 3 when `worst` is at or above the `--fail-on` threshold.
func fail(on threshold: Severity?, worst: Severity?) throws {
    if let threshold, let worst, worst >= threshold { throw ExitCode(ExitStatus.findingsAtThreshold) }
}

func checkSettings(_ config: String?) throws -> CheckSettings {
    guard let config else { return CheckSettings() }
    do { return try AnalysisConfig.load(config) } catch { throw ValidationError(error.description) }
}
