import Artifacts
import ArgumentParser
import Autopsy
import Diagnosis
import Foundation
import Reports

/// `netautopsy diff BEFORE AFTER`: two bundles, or two JSON reports, of one node compared.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two bundles or two JSON reports of one node: findings fixed, still present and new, counters side by side.",
        discussion: """
            Each side is a JSON report (`analyze --format json`) or anything `analyze` reads, which is analyzed first. \
            Findings are matched by check id, root causes by rule id (docs/report-format.md, "Diff").
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json }

    @Argument(help: "The earlier bundle or JSON report.")
    var before: String

    @Argument(help: "The later bundle or JSON report.")
    var after: String

    @Option(name: .shortAndLong, help: "Output format: markdown or json (schema netautopsy.diff/1).")
    var format: Format = .markdown

    @Option(name: .shortAndLong, help: "Write the comparison to this file instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Exit with status 3 when a new finding (or a still-present one that got worse) is at or above this severity.")
    var failOnNew: Severity?

    @Option(name: .long, help: "A YAML file that disables checks or overrides their thresholds, for the sides that are analyzed.")
    var config: String?

    @OptionGroup var limits: LimitOptions

    func run() throws {
        let settings = try checkSettings(config)
        let sides = (try Self.read(before), try Self.read(after))
        switch sides {
        case (.cluster(let a), .cluster(let b)):
            let diff = ClusterDiff(before: a, after: b)
            try emit(format == .json ? try DiffRenderer.json(diff) : DiffRenderer.markdown(diff), to: output)
            try fail(on: failOnNew, worst: diff.worstNew)
        case (.cluster, _), (_, .cluster):
            throw ValidationError("a cluster report is compared with another cluster report (netautopsy.cluster/1), not with one node")
        default:
            let a = try Self.report(sides.0, before, settings: settings, limits: limits)
            let b = try Self.report(sides.1, after, settings: settings, limits: limits)
            let diff = ReportDiff(before: a, after: b)
            try emit(format == .json ? try DiffRenderer.json(diff) : DiffRenderer.markdown(diff), to: output)
            try fail(on: failOnNew, worst: diff.worstNewOrWorse)
        }
    }

    /// What one side's path holds, read once: a cluster report, a node's report, or a bundle to analyze.
    enum Side {
        case cluster(ClusterReport)
        case node(Report)
        case bundle
    }

    /// A JSON document is a cluster report (`netautopsy.cluster/1`) or a node's report; anything
    /// else is a bundle. A JSON file that is neither report is refused, naming the file.
    static func read(_ path: String) throws -> Side {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .bundle }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        guard head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") else { return .bundle }
        // A report is at most a few MB; a JSON file far larger is not one of ours.
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size <= 256 << 20 else {
            throw refuse(path, "a JSON file larger than 256 MiB is not a netautopsy report")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw refuse(path, "cannot be read") }
        if let cluster = try? SnakeCaseJSON.decoder().decode(ClusterReport.self, from: data), cluster.schema == ClusterReport.schema {
            return .cluster(cluster)
        }
        do {
            let report = try JSONRenderer.decode(String(decoding: data, as: UTF8.self))
            guard report.schema == Report.schema else { throw refuse(path, "schema \(report.schema), expected \(Report.schema)") }
            return .node(report)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw refuse(path, "JSON, but not a netautopsy report (\(error))")
        }
    }

    /// Says why `path` is refused on standard error; the exit status for an unreadable input.
    static func refuse(_ path: String, _ why: String) -> ExitCode {
        FileHandle.standardError.write(Data("netautopsy: \(path): \(why)\n".utf8))
        return ExitCode(ExitStatus.unreadableInput)
    }

    /// The side's report as it was written, or the report of analyzing its bundle.
    static func report(_ side: Side, _ path: String, settings: CheckSettings, limits: LimitOptions) throws -> Report {
        if case .node(let r) = side { return r }
        do {
            var autopsy = Autopsy(settings: settings)
            autopsy.walker.limits = limits.limits
            return try autopsy.analyze(path)
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
    }
}
