import Autopsy
import Diagnosis
import Foundation
import Reports

/// The batch's summary files (docs/batch.md): `summary.md` for people, `summary.csv` with one row
/// per bundle, and `findings.jsonl` with one line per finding, from the per-bundle JSON reports;
/// and `run.json`, the bundles they cover.
public enum BatchSummary {
    public static func write(_ result: BatchResult, to out: String) throws {
        var reports: [String: Report] = [:]
        for r in result.records {
            guard let name = r.report, reports[name] == nil,
                  let text = try? String(contentsOfFile: out + "/" + name + ".json", encoding: .utf8),
                  let report = try? JSONRenderer.decode(text) else { continue }
            reports[name] = report
        }
        try markdown(result, reports: reports).write(toFile: out + "/summary.md", atomically: true, encoding: .utf8)
        try csv(result.records).write(toFile: out + "/summary.csv", atomically: true, encoding: .utf8)
        try jsonl(result.records, reports: reports).write(toFile: out + "/findings.jsonl", atomically: true, encoding: .utf8)
        // The bundles of this run, for `merge` (an index also remembers earlier runs' bundles).
        try BatchRecord.encoder.encode(result.records.map(\.bundle)).write(to: URL(fileURLWithPath: out + "/run.json"), options: .atomic)
    }

    // MARK: findings.jsonl

    /// One line of findings.jsonl.
    public struct FindingLine: Codable, Sendable, Equatable {
        public var bundle: String
        public var bundleId: String
        public var host: String?
        public var bundleTime: String?
        /// When the finding was first seen, else the bundle's time.
        public var time: String?
        public var check: String
        public var severity: String
        public var title: String
        public var summary: String
        public var firstSeen: String?
        public var lastSeen: String?
        /// The bundle's reports, relative to the output directory, without extension.
        public var report: String
    }

    static func jsonl(_ records: [BatchRecord], reports: [String: Report]) -> String {
        var out = ""
        for r in records {
            guard let name = r.report, let report = reports[name] else { continue }
            for f in report.findings {
                let line = FindingLine(bundle: r.bundle, bundleId: r.id, host: r.host, bundleTime: r.bundleTime,
                                       time: f.firstSeen?.rfc3339 ?? r.bundleTime, check: f.id.rawValue, severity: f.severity.rawValue, title: f.title,
                                       summary: f.summary, firstSeen: f.firstSeen?.rfc3339, lastSeen: f.lastSeen?.rfc3339, report: name)
                if let data = try? BatchRecord.encoder.encode(line) { out += String(decoding: data, as: UTF8.self) + "\n" }
            }
        }
        return out
    }

    // MARK: summary.csv

    static let severities = ["critical", "high", "medium", "low", "info"]

    static func csv(_ records: [BatchRecord]) -> String {
        var out = (["bundle", "id", "status", "error", "host", "collected_at", "bundle_time", "top_cause", "top_confidence", "causes"]
            + severities + ["problems", "seconds", "report"]).joined(separator: ",") + "\n"
        for r in records {
            let cells = [r.bundle, r.id, r.status.rawValue, r.error ?? "", r.host ?? "", r.collectedAt ?? "", r.bundleTime ?? "",
                         r.topCause ?? "", r.topConfidence ?? "", r.causes.joined(separator: "; ")]
                + severities.map { String(r.findings[$0] ?? 0) } + [String(r.problems), String(r.seconds), r.report ?? ""]
            out += cells.map(csvCell).joined(separator: ",") + "\n"
        }
        return out
    }

    /// RFC 4180 quoting; a cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) gets a
    /// leading `'`, as bundle text is untrusted.
    static func csvCell(_ s: String) -> String {
        var s = s
        if let first = s.first, "=+-@\t\r".contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: summary.md

    static func markdown(_ result: BatchResult, reports: [String: Report]) -> String {
        let records = result.records
        let count = { (s: BatchRecord.Status) in records.filter { $0.status == s }.count }
        var out = "# netautopsy batch summary\n\n"
        out += "\(records.count) bundles: \(count(.ok)) analyzed, \(count(.partial)) analyzed in part (some files unreadable), "
            + "\(count(.failed)) failed. \(result.analyzed) analyzed in this run, \(result.skipped) found already analyzed "
            + "(same content, same version). netautopsy \(Autopsy.version).\n\n"

        out += "## Bundles\n\n| bundle | host | date | top cause | other causes | findings | status |\n|---|---|---|---|---|---|---|\n"
        for r in records {
            let link = r.report.map { "[\(Markdown.cell(r.relative))](\($0.replacingOccurrences(of: " ", with: "%20")).md)" } ?? Markdown.cell(r.relative)
            let top = r.topCause.map { "\($0) (\(r.topConfidence ?? "?"))" } ?? (r.status == .failed ? "" : "none")
            let found = severities.compactMap { s in r.findings[s].map { "\($0) \(s)" } }.joined(separator: ", ")
            out += "| \(link) | \(Markdown.cell(r.host ?? "")) | \(Markdown.cell(day(r.bundleTime) ?? "")) | \(top) | "
                + "\(others(r.causes.dropFirst())) | \(found) | \(r.status.rawValue) |\n"
        }
        out += "\n"

        let failed = records.filter { $0.status != .ok }
        if !failed.isEmpty || !result.inputProblems.isEmpty {
            out += "## Failures\n\n| bundle | status | error |\n|---|---|---|\n"
            for p in result.inputProblems { out += "| \(Markdown.cell(p.path)) | input | \(Markdown.cell(p.message)) |\n" }
            for r in failed { out += "| \(Markdown.cell(r.relative)) | \(r.status.rawValue) | \(Markdown.cell(r.error ?? "")) |\n" }
            out += "\n"
        }

        // Root causes: in how many bundles each appears, by confidence.
        var causes: [String: [String: Int]] = [:]
        for r in records {
            for c in r.causes {
                let parts = c.split(separator: " ", maxSplits: 1)
                let id = String(parts[0]), confidence = parts.count > 1 ? String(parts[1].dropFirst().dropLast()) : "?"
                causes[id, default: [:]][confidence, default: 0] += 1
            }
        }
        if !causes.isEmpty {
            out += "## Root causes\n\nBundles in which each cause appears, by confidence.\n\n| cause | high | medium | low | bundles |\n|---|--:|--:|--:|--:|\n"
            for (id, by) in causes.sorted(by: { ($0.value.values.reduce(0, +), $1.key) > ($1.value.values.reduce(0, +), $0.key) }) {
                out += "| \(id) | \(by["high"] ?? 0) | \(by["medium"] ?? 0) | \(by["low"] ?? 0) | \(by.values.reduce(0, +)) |\n"
            }
            out += "\n"
        }

        // Checks: bundles with a finding of each check.
        var checks: [CheckID: (bundles: Int, findings: Int, worst: Severity)] = [:]
        for r in records {
            guard let name = r.report, let report = reports[name] else { continue }
            for (id, fs) in Dictionary(grouping: report.findings, by: \.id) {
                let worst = fs.map(\.severity).max() ?? .info
                let old = checks[id] ?? (0, 0, worst)
                checks[id] = (old.bundles + 1, old.findings + fs.count, max(old.worst, worst))
            }
        }
        if !checks.isEmpty {
            out += "## Checks\n\n| check | bundles | findings | worst severity |\n|---|--:|--:|---|\n"
            for (id, c) in checks.sorted(by: { ($0.value.bundles, $1.key) > ($1.value.bundles, $0.key) }) {
                out += "| \(id) | \(c.bundles) | \(c.findings) | \(c.worst.rawValue) |\n"
            }
            out += "\n"
        }

        // Trends: bundles per month, and in how many of them the most frequent causes appear.
        let months = Dictionary(grouping: records.filter { $0.status != .failed }) { month($0.bundleTime) ?? "undated" }
        if !months.isEmpty {
            let top = causes.sorted { ($0.value.values.reduce(0, +), $1.key) > ($1.value.values.reduce(0, +), $0.key) }.prefix(6).map(\.key)
            out += "## By month\n\nBundles by the month they were collected (else of their first captured frame), and how many show each of "
                + "the most frequent causes.\n\n| month | bundles |" + top.map { " \($0) |" }.joined() + "\n|---|--:|"
                + top.map { _ in "--:|" }.joined() + "\n"
            for (m, rs) in months.sorted(by: { $0.key < $1.key }) {
                out += "| \(m) | \(rs.count) |" + top.map { id in " \(rs.filter { $0.causes.contains { $0.hasPrefix(id + " ") } }.count) |" }.joined() + "\n"
            }
            out += "\n"
        }
        return out
    }

    /// The high and medium causes, then a count of the low ones (only symptoms point there).
    static func others(_ causes: ArraySlice<String>) -> String {
        let low = causes.filter { $0.hasSuffix(" (low)") }
        return (causes.filter { !$0.hasSuffix(" (low)") } + (low.isEmpty ? [] : ["\(low.count) low-confidence"])).joined(separator: "; ")
    }

    static func day(_ time: String?) -> String? { time.flatMap { Timestamp.parse($0) }.map { String(Timestamp.rfc3339($0).prefix(10)) } }
    static func month(_ time: String?) -> String? { day(time).map { String($0.prefix(7)) } }
}
