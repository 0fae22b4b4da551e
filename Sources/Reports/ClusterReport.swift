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
    /// Each node's capture clock against the reference node's, and each pair of nodes whose captures
    /// share handshakes (nil in reports written before they were estimated).
    public var clocks: [NodeClock]?
    public var clockPairs: [ClockPair]?
    /// How many unanswered connection attempts and DNS lookups were followed to where they died, and why the others were not.
    public var paths: Paths?
    /// Each node's own report, in the order of `nodes`.
    public var reports: [Report]

    public struct Paths: Codable, Sendable, Equatable {
        public var followed: Int
        public var notFollowed: [String: Int]
        public init(followed: Int, notFollowed: [String: Int]) {
            self.followed = followed
            self.notFollowed = notFollowed
        }
    }

    public init(tool: String, nodes: [Node], findings: [Finding], reports: [Report], clocks: [NodeClock]? = nil,
                clockPairs: [ClockPair]? = nil, paths: Paths? = nil) {
        self.tool = tool
        self.nodes = nodes
        self.findings = findings
        self.reports = reports
        self.clocks = clocks
        self.clockPairs = clockPairs
        self.paths = paths
    }

    /// The worst severity anywhere: the cluster's findings and every node's.
    public var worstSeverity: Severity? {
        (findings.map(\.severity) + reports.flatMap { $0.findings.map(\.severity) }).max()
    }
}

/// `ClusterReport` as JSON, Markdown and one self-contained HTML page.
public enum ClusterRenderer {
    public static func html(_ r: ClusterReport) -> String {
        typealias H = HTMLRenderer
        var body = ""
        let rows = r.nodes.enumerated().map { i, n in
            ["<a href=\"#node-\(i)\">\(H.escape(n.name))</a>", "<code>\(H.escape(n.input))</code>", "\(n.findings)",
             n.worstSeverity.map(H.badge) ?? "–", H.escape(n.verdict)]
        }
        body += H.section("Nodes", id: "nodes", H.table(["node", "bundle", "findings", "worst", "verdict"], rows))
        let between = r.findings.isEmpty ? "<p>No setting compared differs between the nodes, and no packet was lost between them.</p>"
            : r.findings.map { H.finding($0, prefix: "cluster-") }.joined()
        body += H.section("Between the nodes", id: "between", between)
        var clocks = ""
        let pairs = r.clockPairs ?? []
        if pairs.isEmpty {
            clocks += "<p>No TCP handshake or DNS exchange was captured on two nodes: the captures' clocks cannot be compared, and times are each node's own.</p>"
        } else {
            clocks += "<p>From TCP handshakes and DNS exchanges captured on both nodes (offset: the second node's clock minus the first's).</p>"
            clocks += H.table(["nodes", "exchanges", "offset", "±", "round trip min / median", "one way → / ←"], pairs.map { p in
                ["\(H.escape(p.a)) → \(H.escape(p.b))", "\(p.samples)", ms(p.offsetMs), ms(p.uncertaintyMs),
                 "\(ms(p.minRoundTripMs)) / \(ms(p.medianRoundTripMs))", "\(p.oneWayMsAToB.map(ms) ?? "–") / \(p.oneWayMsBToA.map(ms) ?? "–")"]
            })
        }
        if let p = r.paths {
            clocks += "<p>Unanswered connection attempts and DNS lookups followed to where they died: \(p.followed)."
                + p.notFollowed.sorted { $0.key < $1.key }.map { " Not followed, \(H.escape($0.key)): \($0.value)." }.joined() + "</p>"
        }
        body += H.section("Capture clocks", id: "clocks", clocks)
        for (i, (n, report)) in zip(r.nodes, r.reports).enumerated() {
            body += "<section id=\"node-\(i)\" class=\"node\"><h2>Node \(H.escape(n.name))</h2>\n"
                + H.sections(report, prefix: "node-\(i)-", level: 3) + "</section>\n"
        }
        return H.page(title: "netautopsy cluster report", heading: "netautopsy cluster report: \(r.nodes.count) nodes", body: body,
                      schema: ClusterReport.schema, tool: r.tool)
    }

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
        if r.findings.isEmpty { out += "No setting compared differs between the nodes, and no packet was lost between them.\n" }
        for f in r.findings {
            out += "### \(f.title)\n\nSeverity **\(f.severity.rawValue)** · check `\(f.id)`"
            if let first = f.firstSeen { out += " · first seen \(first.rfc3339)" + (f.clockNote(r) ?? "") }
            out += "\n\n\(Markdown.inline(f.summary))\n\n"
            for e in f.evidence { out += "- " + MarkdownRenderer.evidence(e) + "\n" }
            out += "\n**Fix:** \(f.fix)\n\n"
        }
        out += pathsSection(r)
        for (n, report) in zip(r.nodes, r.reports) {
            out += Markdown.nodeSection(n.name, MarkdownRenderer.render(report))
        }
        return out
    }

    /// The capture clocks and how many attempts were followed.
    static func pathsSection(_ r: ClusterReport) -> String {
        var out = "## Capture clocks\n\n"
        let pairs = r.clockPairs ?? []
        if pairs.isEmpty {
            out += "No TCP handshake or DNS exchange was captured on two nodes: the captures' clocks cannot be compared, and times are each node's own.\n\n"
        } else {
            out += "From TCP handshakes and DNS exchanges captured on both nodes (offset: the second node's clock minus the first's; one-way latencies with that offset applied).\n\n"
            out += "| nodes | exchanges | offset | ± | round trip min / median | one way → / ← |\n|---|--:|--:|--:|--:|--:|\n"
            for p in pairs {
                out += "| \(Markdown.cell(p.a)) → \(Markdown.cell(p.b)) | \(p.samples) | \(ms(p.offsetMs)) | \(ms(p.uncertaintyMs)) | "
                    + "\(ms(p.minRoundTripMs)) / \(ms(p.medianRoundTripMs)) | \(p.oneWayMsAToB.map(ms) ?? "–") / \(p.oneWayMsBToA.map(ms) ?? "–") |\n"
            }
            let unknown = (r.clocks ?? []).filter { $0.offsetMs == nil }.map(\.node)
            out += "\n" + (unknown.isEmpty ? "" : "No shared handshake reaches \(unknown.joined(separator: ", ")): their times are their own clocks'. ")
                + "Times of findings between the nodes are on \((r.clocks ?? []).first?.reference ?? "the first node")'s clock.\n\n"
        }
        if let p = r.paths {
            out += "Unanswered connection attempts and DNS lookups followed to where they died: \(p.followed)."
            for (why, n) in p.notFollowed.sorted(by: { $0.key < $1.key }) { out += " Not followed, \(why): \(n)." }
            out += "\n\n"
        }
        return out
    }

    static func ms(_ v: Double) -> String {
        abs(v) >= 100 ? String(format: "%.0f ms", v) : abs(v) >= 1 ? String(format: "%.2f ms", v) : String(format: "%.3f ms", v)
    }
}

extension Finding {
    /// "(on node-a's clock)" for a finding between nodes when the report has a reference clock.
    func clockNote(_ r: ClusterReport) -> String? {
        guard [PacketPaths.lostID, PacketPaths.droppedID].contains(id), let reference = r.clocks?.first?.reference,
              r.clockPairs?.isEmpty == false else { return nil }
        return " (\(reference)'s clock)"
    }
}
