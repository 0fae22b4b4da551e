import Diagnosis
import Foundation
import Input
import Reports

/// Analyzes several nodes' bundles of one incident and compares them (`ClusterReport`): each
/// bundle is analyzed as `analyze` would, then the nodes' settings are compared (`ConfigDrift`).
/// and connection attempts are followed across the nodes' captures (`PacketPaths`).
public struct ClusterAutopsy: Sendable {
    public var autopsy: Autopsy

    public init(_ autopsy: Autopsy = Autopsy()) { self.autopsy = autopsy }

    /// Throws when one of the bundles itself cannot be read, naming it.
    /// `labels` name the bundles in the report (`input`) when their paths are not what the user gave
    /// (bundles unpacked from an archive of them into a scratch folder).
    public func analyze(_ paths: [String], labels: [String]? = nil) throws(InputError) -> ClusterReport {
        var nodes: [ClusterReport.Node] = [], reports: [Report] = [], settings: [NodeSettings] = [], traffic: [NodeTraffic] = []
        var taken: Set<String> = []
        for (i, path) in paths.enumerated() {
            var (report, facts) = try autopsy.analyzeNode(path)
            let label = labels.flatMap { i < $0.count ? $0[i] : nil } ?? path
            report.input = label
            let collection = report.collection.first
            var name = collection?.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? (facts.hostname ?? facts.unameNodeName)?.value.value
                ?? Self.bundleName(path)
            if taken.contains(name) { name += " (\(label))" }
            taken.insert(name)
            let kernel = collection.flatMap { c in c.kernel.map { (value: $0, file: c.manifest) } }
                ?? facts.kernelRelease.map { (value: $0.value.value, file: $0.file) }
            nodes.append(ClusterReport.Node(name: name, input: label, verdict: report.verdict, findings: report.findings.count,
                                            worstSeverity: report.worstSeverity, kernel: kernel?.value))
            reports.append(report)
            settings.append(NodeSettings(node: name, facts: facts, kernel: kernel))
            // Only what following packets needs is kept from the node's facts.
            traffic.append(NodeTraffic(node: name, facts: facts))
        }
        let paths = PacketPaths.analyze(traffic)
        return ClusterReport(tool: "netautopsy \(Autopsy.version)", nodes: nodes, findings: paths.findings + ConfigDrift.findings(settings),
                             reports: reports, clocks: paths.clocks, clockPairs: paths.pairs,
                             paths: ClusterReport.Paths(followed: paths.followed, notFollowed: paths.notFollowed))
    }

    /// The node bundles of a directory (`analyze --cluster DIR`): each archive or capture file and
    /// each folder directly in it, by name; hidden entries are skipped. Fewer than two is an error.
    public static func nodeBundles(in directory: String) throws -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ClusterInputError("not a directory")
        }
        let names = try fm.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        let bundles = names.map { (directory as NSString).appendingPathComponent($0) }.filter { path in
            var folder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &folder) else { return false }
            let lower = path.lowercased()
            return folder.boolValue || [".tar.gz", ".tgz", ".tar.xz", ".tar", ".zip", ".pcap", ".pcapng", ".gz"].contains(where: lower.hasSuffix)
        }
        guard bundles.count >= 2 else {
            throw ClusterInputError("holds \(bundles.count) node bundle\(bundles.count == 1 ? "" : "s") (archives or folders); a cluster needs two or more")
        }
        return bundles
    }

    public struct ClusterInputError: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
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
