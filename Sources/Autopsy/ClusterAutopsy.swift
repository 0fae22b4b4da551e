import Diagnosis
import Foundation
import Input
import Reports

/// Analyzes several nodes' bundles of one incident and compares them (`ClusterReport`): each
/// bundle is analyzed as `analyze` would, then the nodes' settings are compared (`ConfigDrift`).
/// Following packets across the nodes' captures is not done yet (docs/cluster.md).
public struct ClusterAutopsy: Sendable {
    public var autopsy: Autopsy

    public init(_ autopsy: Autopsy = Autopsy()) { self.autopsy = autopsy }

    /// Throws when one of the bundles itself cannot be read, naming it.
    public func analyze(_ paths: [String]) throws(InputError) -> ClusterReport {
        var nodes: [ClusterReport.Node] = [], reports: [Report] = [], settings: [NodeSettings] = []
        var taken: Set<String> = []
        for path in paths {
            let (report, facts) = try autopsy.analyzeNode(path)
            let collection = report.collection.first
            var name = collection?.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? Self.bundleName(path)
            if taken.contains(name) { name += " (\(path))" }
            taken.insert(name)
            let kernel = collection.flatMap { c in c.kernel.map { (value: $0, file: c.manifest) } }
            nodes.append(ClusterReport.Node(name: name, input: path, verdict: report.verdict, findings: report.findings.count,
                                            worstSeverity: report.worstSeverity, kernel: kernel?.value))
            reports.append(report)
            settings.append(NodeSettings(node: name, facts: facts, kernel: kernel))
        }
        return ClusterReport(tool: "netautopsy \(Autopsy.version)", nodes: nodes, findings: ConfigDrift.findings(settings), reports: reports)
    }

    /// `node-a` for `…/node-a.tar.gz`, `…/node-a/`.
    static func bundleName(_ path: String) -> String {
        var base = URL(fileURLWithPath: path).lastPathComponent
        for ext in [".tar.gz", ".tgz", ".tar.xz", ".tar", ".zip", ".gz"] where base.hasSuffix(ext) {
            base = String(base.dropLast(ext.count))
            break
        }
        return base
    }
}
