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
        let clusters = (Self.clusterReport(before), Self.clusterReport(after))
        if clusters.0 != nil || clusters.1 != nil {
            guard let a = clusters.0, let b = clusters.1 else {
                throw ValidationError("a cluster report is compared with another cluster report (netautopsy.cluster/1), not with one node")
            }
            let diff = ClusterDiff(before: a, after: b)
            try write(format == .json ? try DiffRenderer.json(diff) : DiffRenderer.markdown(diff))
            if let failOnNew, (diff.new + diff.nodes.flatMap { $0.diff?.new ?? [] }).contains(where: { ($0.severityAfter ?? .info) >= failOnNew }) {
                throw ExitCode(ExitStatus.findingsAtThreshold)
            }
            return
        }
        let a = try Self.report(before, settings: settings, limits: limits)
        let b = try Self.report(after, settings: settings, limits: limits)
        let diff = ReportDiff(before: a, after: b)
        try write(format == .json ? try DiffRenderer.json(diff) : DiffRenderer.markdown(diff))
        if let failOnNew {
            var worse = diff.new.compactMap(\.severityAfter)
            for c in diff.stillPresent {
                if let now = c.severityAfter, let then = c.severityBefore, now > then { worse.append(now) }
            }
            if worse.contains(where: { $0 >= failOnNew }) { throw ExitCode(ExitStatus.findingsAtThreshold) }
        }
    }

    func write(_ text: String) throws {
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// A cluster report's JSON (`netautopsy.cluster/1`), or nil for anything else.
    static func clusterReport(_ path: String) -> ClusterReport? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        guard head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{"),
              let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size <= 256 << 20,
              let data = FileManager.default.contents(atPath: path),
              let report = try? SnakeCaseJSON.decoder().decode(ClusterReport.self, from: data),
              report.schema == ClusterReport.schema else { return nil }
        return report
    }

    /// A JSON report as it was written, or the report of analyzing `path`.
    static func report(_ path: String, settings: CheckSettings, limits: LimitOptions) throws -> Report {
        if let json = Self.jsonReport(path) {
            switch json {
            case .success(let r): return r
            case .failure(let why):
                FileHandle.standardError.write(Data("netautopsy: \(path): \(why)\n".utf8))
                throw ExitCode(ExitStatus.unreadableInput)
            }
        }
        do {
            var autopsy = Autopsy(settings: settings)
            autopsy.walker.limits = limits.limits
            return try autopsy.analyze(path)
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
    }

    /// nil when `path` is not a JSON document (then it is analyzed); the report, or why it is not one.
    static func jsonReport(_ path: String) -> Result<Report, JSONReportError>? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        guard head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") else { return nil }
        // A report is at most a few MB; a JSON file far larger is not one of ours.
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size <= 256 << 20 else {
            return .failure(JSONReportError(message: "a JSON file larger than 256 MiB is not a netautopsy report"))
        }
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(JSONReportError(message: "cannot be read")) }
        do {
            let report = try JSONRenderer.decode(String(decoding: data, as: UTF8.self))
            guard report.schema == Report.schema else {
                return .failure(JSONReportError(message: "schema \(report.schema), expected \(Report.schema)"))
            }
            return .success(report)
        } catch {
            return .failure(JSONReportError(message: "JSON, but not a netautopsy report (\(error))"))
        }
    }

    struct JSONReportError: Error { var message: String }
}

extension Diff.JSONReportError: CustomStringConvertible {
    var description: String { message }
}
