import Artifacts
import Diagnosis
import Foundation
import Wire

/// Two reports of one node compared (`netautopsy diff BEFORE AFTER`): which findings and root
/// causes were fixed, which are still present and which are new, and the capture counters side by
/// side. Its JSON form is `netautopsy.diff/1` (docs/report-format.md).
///
/// Definitions. Findings are matched by check id (`CheckID`): a check present before and not
/// after is **fixed**, present in both **still present** (with each side's worst severity and its
/// number of findings), present only after **new**. Root causes are matched by their rule's id the
/// same way. A counter is listed when either side is not zero. Nothing is matched by wording or
/// by evidence: a finding whose summary changed but whose check still fires is still present.
public struct ReportDiff: Codable, Sendable {
    public static let schema = "netautopsy.diff/1"

    public struct Side: Codable, Sendable {
        public var input: String
        public var verdict: String
        public var findings: Int
    }

    /// One check (or one cause rule) on either side.
    public struct Change: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        /// The worst severity and the number of findings on each side (nil where absent).
        public var severityBefore: Severity?
        public var severityAfter: Severity?
        public var countBefore: Int
        public var countAfter: Int
        /// The first finding's summary on each side (for a cause: its explanation).
        public var summaryBefore: String?
        public var summaryAfter: String?
    }

    public struct Counter: Codable, Sendable, Equatable {
        public var name: String
        public var before: Int
        public var after: Int
        /// `after − before`, written out for readers of the JSON.
        public var change: Int

        public init(name: String, before: Int, after: Int) {
            self.name = name
            self.before = before
            self.after = after
            change = after - before
        }
    }

    public var schema = ReportDiff.schema
    public var before: Side
    public var after: Side
    public var fixed: [Change]
    public var stillPresent: [Change]
    public var new: [Change]
    public var causesFixed: [Change]
    public var causesStillPresent: [Change]
    public var causesNew: [Change]
    /// Capture counters (`CaptureCounters`, summed over the captures) that are not zero on either side.
    public var counters: [Counter]

    /// The worst severity among the new checks and the still-present ones that got worse (`--fail-on-new`).
    public var worstNewOrWorse: Severity? {
        (new.compactMap(\.severityAfter) + stillPresent.compactMap { c in
            guard let now = c.severityAfter, let then = c.severityBefore, now > then else { return nil }
            return now
        }).max()
    }

    public init(before a: Report, after b: Report) {
        before = Side(input: a.input, verdict: a.verdict, findings: a.findings.count)
        after = Side(input: b.input, verdict: b.verdict, findings: b.findings.count)
        (fixed, stillPresent, new) = Self.compare(Self.byCheck(a.findings), Self.byCheck(b.findings))
        (causesFixed, causesStillPresent, causesNew) = Self.compare(Self.byCause(a.causes), Self.byCause(b.causes))
        let x = Self.numbers(a.captures.totals), y = Self.numbers(b.captures.totals)
        counters = Set(x.keys).union(y.keys).sorted().compactMap { name in
            let c = Counter(name: name, before: x[name] ?? 0, after: y[name] ?? 0)
            return c.before == 0 && c.after == 0 ? nil : c
        }
    }

    /// One side's entries by id, in report order: title, worst severity, count, first summary.
    typealias Entry = (id: String, title: String, severity: Severity, count: Int, summary: String)

    static func byCheck(_ findings: [Finding]) -> [Entry] {
        var out: [Entry] = []
        for f in findings {
            if let i = out.firstIndex(where: { $0.id == f.id.rawValue }) {
                out[i].count += 1
                out[i].severity = max(out[i].severity, f.severity)
            } else {
                out.append((f.id.rawValue, f.title, f.severity, 1, f.summary))
            }
        }
        return out
    }

    static func byCause(_ causes: [RootCause]) -> [Entry] {
        var out: [Entry] = []
        for c in causes where !out.contains(where: { $0.id == c.id }) { out.append((c.id, c.title, c.severity, 1, c.explanation)) }
        return out
    }

    /// Fixed (before only, in the before report's order), still present and new (in the after
    /// report's order).
    static func compare(_ a: [Entry], _ b: [Entry]) -> ([Change], [Change], [Change]) {
        let ids = (a: Set(a.map(\.id)), b: Set(b.map(\.id)))
        let fixed = a.filter { !ids.b.contains($0.id) }.map {
            Change(id: $0.id, title: $0.title, severityBefore: $0.severity, severityAfter: nil, countBefore: $0.count, countAfter: 0,
                   summaryBefore: $0.summary, summaryAfter: nil)
        }
        var still: [Change] = [], new: [Change] = []
        for e in b {
            if let old = a.first(where: { $0.id == e.id }) {
                still.append(Change(id: e.id, title: e.title, severityBefore: old.severity, severityAfter: e.severity,
                                    countBefore: old.count, countAfter: e.count, summaryBefore: old.summary, summaryAfter: e.summary))
            } else {
                new.append(Change(id: e.id, title: e.title, severityBefore: nil, severityAfter: e.severity, countBefore: 0,
                                  countAfter: e.count, summaryBefore: nil, summaryAfter: e.summary))
            }
        }
        return (fixed, still, new)
    }

    /// The counters' integer fields by their JSON names (snake_case, as in the report).
    static func numbers(_ c: CaptureCounters) -> [String: Int] {
        guard let data = try? SnakeCaseJSON.encoder().encode(c),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: Int] = [:]
        for (k, v) in object { if let n = v as? Int { out[k] = n } }
        return out
    }
}

/// `ReportDiff` as JSON and Markdown.
public enum DiffRenderer {
    public static func json(_ d: ReportDiff) throws -> String {
        try JSONRenderer.text(d)
    }

    public static func markdown(_ d: ReportDiff) -> String {
        var out = "# netautopsy diff\n\n"
        out += "**Before:** \(Markdown.code(d.before.input)): \(d.before.findings) finding\(d.before.findings == 1 ? "" : "s").  \n"
        out += "**After:** \(Markdown.code(d.after.input)): \(d.after.findings) finding\(d.after.findings == 1 ? "" : "s").\n\n"
        out += "\(d.fixed.count) fixed, \(d.stillPresent.count) still present, \(d.new.count) new "
            + "(by check; root causes: \(d.causesFixed.count) gone, \(d.causesStillPresent.count) still present, \(d.causesNew.count) new).\n"
        func section(_ title: String, _ changes: [ReportDiff.Change], _ what: String = "check") {
            guard !changes.isEmpty else { return }
            out += "\n## \(title) (\(changes.count))\n\n| \(what) | before | after | summary (the later one) |\n|---|---|---|---|\n"
            for c in changes {
                let before = c.severityBefore.map { "\($0.rawValue) ×\(c.countBefore)" } ?? "–"
                let after = c.severityAfter.map { "\($0.rawValue) ×\(c.countAfter)" } ?? "–"
                out += "| \(Markdown.cellCode(c.id)) \(Markdown.cell(c.title)) | \(before) | \(after) | "
                    + Markdown.cell(c.summaryAfter ?? c.summaryBefore ?? "") + " |\n"
            }
        }
        section("Fixed", d.fixed)
        section("New", d.new)
        section("Still present", d.stillPresent)
        section("Root causes gone", d.causesFixed, "cause")
        section("Root causes new", d.causesNew, "cause")
        section("Root causes still present", d.causesStillPresent, "cause")
        if !d.counters.isEmpty {
            out += "\n## Capture counters\n\n| counter | before | after | change |\n|---|--:|--:|--:|\n"
            for c in d.counters { out += "| \(c.name) | \(c.before) | \(c.after) | \(c.change > 0 ? "+" : "")\(c.change) |\n" }
        }
        return out
    }
}

/// Two cluster reports compared (`netautopsy diff` of two `netautopsy.cluster/1` JSON reports):
/// the cluster findings as `ReportDiff` compares findings, and each node, paired by name, with
/// its own `ReportDiff`. Schema `netautopsy.cluster-diff/1`.
public struct ClusterDiff: Codable, Sendable {
    public static let schema = "netautopsy.cluster-diff/1"

    public struct Node: Codable, Sendable {
        public var name: String
        /// `both`, `before only` (the node is gone) or `after only` (a new node).
        public var presence: String
        public var diff: ReportDiff?
    }

    public var schema = ClusterDiff.schema
    public var fixed: [ReportDiff.Change]
    public var stillPresent: [ReportDiff.Change]
    public var new: [ReportDiff.Change]
    public var nodes: [Node]

    /// The worst severity among the new checks, the cluster's and every node's (`--fail-on-new`).
    public var worstNew: Severity? {
        (new + nodes.flatMap { $0.diff?.new ?? [] }).map { $0.severityAfter ?? .info }.max()
    }

    public init(before a: ClusterReport, after b: ClusterReport) {
        (fixed, stillPresent, new) = ReportDiff.compare(ReportDiff.byCheck(a.findings), ReportDiff.byCheck(b.findings))
        let earlier = Dictionary(zip(a.nodes.map(\.name), a.reports), uniquingKeysWith: { x, _ in x })
        let later = Dictionary(zip(b.nodes.map(\.name), b.reports), uniquingKeysWith: { x, _ in x })
        var nodes: [Node] = []
        for name in a.nodes.map(\.name) + b.nodes.map(\.name) where !nodes.contains(where: { $0.name == name }) {
            switch (earlier[name], later[name]) {
            case let (x?, y?): nodes.append(Node(name: name, presence: "both", diff: ReportDiff(before: x, after: y)))
            case (_?, nil): nodes.append(Node(name: name, presence: "before only", diff: nil))
            default: nodes.append(Node(name: name, presence: "after only", diff: nil))
            }
        }
        self.nodes = nodes
    }
}

extension DiffRenderer {
    public static func json(_ d: ClusterDiff) throws -> String {
        try JSONRenderer.text(d)
    }

    public static func markdown(_ d: ClusterDiff) -> String {
        var out = "# netautopsy cluster diff\n\nBetween the nodes: \(d.fixed.count) fixed, \(d.stillPresent.count) still present, \(d.new.count) new.\n"
        for (title, changes) in [("Fixed between the nodes", d.fixed), ("New between the nodes", d.new), ("Still between the nodes", d.stillPresent)]
        where !changes.isEmpty {
            out += "\n## \(title) (\(changes.count))\n\n"
            for c in changes { out += "- \(Markdown.code(c.id)) \(Markdown.inline(c.summaryAfter ?? c.summaryBefore ?? c.title))\n" }
        }
        out += "\n| node | presence | fixed | still present | new |\n|---|---|--:|--:|--:|\n"
        for n in d.nodes {
            out += "| \(Markdown.cell(n.name)) | \(n.presence) | \(n.diff.map { "\($0.fixed.count)" } ?? "–") | "
                + "\(n.diff.map { "\($0.stillPresent.count)" } ?? "–") | \(n.diff.map { "\($0.new.count)" } ?? "–") |\n"
        }
        for n in d.nodes {
            guard let diff = n.diff, !(diff.fixed.isEmpty && diff.new.isEmpty) else { continue }
            out += Markdown.nodeSection(n.name, markdown(diff))
        }
        return out
    }
}
