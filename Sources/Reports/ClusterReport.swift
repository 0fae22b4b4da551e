import Artifacts
import Diagnosis
import Foundation

/// Several nodes' bundles of one incident (`netautopsy analyze B1 B2 …`): each node's report, and
/// what only comparing them shows. Schema `netautopsy.cluster/1` (docs/cluster.md). In cluster
/// findings an evidence `file` is `NODE:PATH`, the path inside that node's bundle.
public struct ClusterReport: Codable, Sendable {
    public static let schema = "netautopsy.cluster/1"

    public struct Node: Codable, Sendable {
        /// The node's hostname (its collector manifest), else its bundle's file name.
        public var name: String
        public var input: String
        public var verdict: String
        public var findings: Int
        public var worstSeverity: Severity?
        public var kernel: String?

        public init(name: String, input: String, verdict: String, findings: Int, worstSeverity: Severity?, kernel: String?) {
            self.name = name
            self.input = input
            self.verdict = verdict
            self.findings = findings
            self.worstSeverity = worstSeverity
            self.kernel = kernel
        }
    }

    public var schema = ClusterReport.schema
    public var tool: String
    public var nodes: [Node]
    /// Findings about the cluster as a whole (`config-drift`, `mtu-mismatch-between-nodes`).
    public var findings: [Finding]
    /// Each node's own report, in the order of `nodes`.
    public var reports: [Report]

    public init(tool: String, nodes: [Node], findings: [Finding], reports: [Report]) {
        self.tool = tool
        self.nodes = nodes
        self.findings = findings
        self.reports = reports
    }

    /// The worst severity anywhere: the cluster's findings and every node's.
    public var worstSeverity: Severity? {
        (findings.map(\.severity) + reports.flatMap { $0.findings.map(\.severity) }).max()
    }
}

/// `ClusterReport` as JSON and Markdown.
public enum ClusterRenderer {
    public static func json(_ r: ClusterReport) throws -> String {
        try JSONRenderer.text(r)
    }

    public static func markdown(_ r: ClusterReport) -> String {
        var out = "# netautopsy cluster report\n\n\(r.nodes.count) nodes.\n\n"
        out += "| node | bundle | findings | worst | verdict |\n|---|---|--:|---|---|\n"
        for n in r.nodes {
            out += "| \(Markdown.cell(n.name)) | \(Markdown.cellCode(n.input)) | \(n.findings) | \(n.worstSeverity?.rawValue ?? "–") | "
                + Markdown.cell(n.verdict) + " |\n"
        }
        out += "\n## Between the nodes\n\n"
        if r.findings.isEmpty { out += "No setting compared differs between the nodes.\n" }
        for f in r.findings {
            out += "### \(f.title)\n\nSeverity **\(f.severity.rawValue)** · check `\(f.id)`\n\n\(Markdown.inline(f.summary))\n\n"
            for e in f.evidence { out += "- " + Markdown.inline(e.note) + (e.file.map { " (\(Markdown.code($0 + (e.line.map { ":\($0)" } ?? ""))))" } ?? "") + "\n" }
            out += "\n**Fix:** \(Markdown.inline(f.fix))\n\n"
        }
        for (n, report) in zip(r.nodes, r.reports) {
            out += Markdown.nodeSection(n.name, MarkdownRenderer.render(report))
        }
        return out
    }
}
