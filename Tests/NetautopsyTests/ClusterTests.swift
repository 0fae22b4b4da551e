import Artifacts
import Autopsy
import Diagnosis
import Foundation
import Reports
import Testing

/// Several nodes' bundles in, one cluster report out: each node's report, and the settings that
/// differ between the nodes (`ConfigDrift`), on copies of the real sample bundle with one node
/// changed the way a drifted node is.
@Suite struct ClusterTests {
    /// Three unpacked copies of the sample bundle in `node-a`…; `change` edits node-b's files.
    static func nodes(_ dir: URL, change: (URL) throws -> Void) throws -> [String] {
        var paths: [String] = []
        for name in ["node-a", "node-b", "node-c"] {
            let node = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: node, withIntermediateDirectories: true)
            let untar = try Shell.run(["tar", "-xzf", Paths.fixture("sample-bundle.tar.gz"), "-C", node.path])
            #expect(untar.status == 0, "\(untar.stderr)")
            if name == "node-b" { try change(node.appendingPathComponent("netautopsy-sample")) }
            paths.append(node.path)
        }
        return paths
    }

    static func edit(_ file: URL, _ from: String, _ to: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(from), "\(file.lastPathComponent) has \(from)")
        try text.replacingOccurrences(of: from, with: to).write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func aDriftedNodeIsNamedWithItsValues() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = try Self.nodes(dir) { node in
            try Self.edit(node.appendingPathComponent("node/sysctl-a.txt"), "net.core.somaxconn = 4096", "net.core.somaxconn = 128")
            try Self.edit(node.appendingPathComponent("net/ip-d-link.txt"), "na-vx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
                          "na-vx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450")
        }
        let report = try ClusterAutopsy().analyze(paths)
        // The sample's manifest predates the collector's format (no hostname read): nodes are named by their bundles.
        #expect(report.nodes.map(\.name) == ["node-a", "node-b", "node-c"])
        #expect(report.reports.count == 3)
        let drift = try #require(report.findings.first { $0.id == ConfigDrift.driftID })
        #expect(drift.summary.contains("sysctl net.core.somaxconn is 128 on node-b, where 2 of 3 nodes have 4096"), "\(drift.summary)")
        #expect(!drift.summary.contains("kernel"), "the kernels are alike")
        let cited = drift.evidence.filter { $0.note.hasPrefix("node-b: sysctl net.core.somaxconn") }
        #expect(cited.count == 1 && cited[0].file == "node-b:netautopsy-sample/node/sysctl-a.txt" && cited[0].line == 204
                && cited[0].text == "net.core.somaxconn = 128")
        let mtu = try #require(report.findings.first { $0.id == ConfigDrift.mtuID })
        #expect(mtu.severity == .high && mtu.summary.contains("mtu na-vx0 is 1450 on node-b, where 2 of 3 nodes have 1500"), "\(mtu.summary)")
        // The JSON form names every node and its bundle.
        let json = try JSONSerialization.jsonObject(with: Data(ClusterRenderer.json(report).utf8)) as? [String: Any]
        #expect(json?["schema"] as? String == ClusterReport.schema)
        #expect((json?["nodes"] as? [[String: Any]])?.map { $0["input"] as? String } == paths)
        let md = ClusterRenderer.markdown(report)
        #expect(md.contains("## Node node-b") && md.contains("Settings differ between nodes"))
    }

    /// Nodes are named by their collector manifests' hostnames, told apart by bundle when two share one.
    @Test func nodesAreNamedByHostname() throws {
        let paths = [Paths.fixture("incident-bundle.tar.gz"), Paths.fixture("conntrack-full-bundle.tar.gz")]
        let report = try ClusterAutopsy().analyze(paths)
        #expect(report.nodes.map(\.name) == ["vm", "vm (\(paths[1]))"])
        #expect(report.nodes.allSatisfy { $0.kernel == "6.18.44-fc-v657" })
        #expect(report.findings.allSatisfy { !$0.summary.contains("kernel") })
    }

    @Test func alikeNodesGiveNoClusterFinding() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try ClusterAutopsy().analyze(try Self.nodes(dir) { _ in })
        #expect(report.findings.isEmpty, "\(report.findings.map(\.summary))")
        #expect(ClusterRenderer.markdown(report).contains("No setting compared differs between the nodes, and no packet was lost between them."))
    }

    /// The comparison itself: a tie has no majority, a setting one node lacks is not compared for it.
    @Test func driftDefinition() {
        func node(_ name: String, _ values: [String: String]) -> NodeSettings {
            NodeSettings(node: name, values: values.mapValues { NodeSettings.Value($0, file: "f") })
        }
        let tie = ConfigDrift.findings([node("a", ["kube-proxy mode": "ipvs"]), node("b", ["kube-proxy mode": "iptables"])])
        #expect(tie.first?.summary.contains("kube-proxy mode has no majority: iptables on b; ipvs on a") == true, "\(tie.map(\.summary))")
        let missing = ConfigDrift.findings([node("a", ["kernel": "6.1"]), node("b", [:]), node("c", ["kernel": "6.1"])])
        #expect(missing.isEmpty)
        let kernelOnly = ConfigDrift.findings([node("a", ["kernel": "6.1"]), node("b", ["kernel": "6.6"]), node("c", ["kernel": "6.1"])])
        #expect(kernelOnly.first?.severity == .low)
        #expect(ConfigDrift.findings([node("a", ["kernel": "6.1"])]).isEmpty, "one node has nothing to differ from")
    }

    @Test func theCommandWritesOneClusterReport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = try Self.nodes(dir) { node in
            try Self.edit(node.appendingPathComponent("node/sysctl-a.txt"), "net.core.somaxconn = 4096", "net.core.somaxconn = 128")
        }
        let out = try Shell.run([Paths.executable, "analyze"] + paths + ["--format", "json", "--no-progress"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect((json?["findings"] as? [[String: Any]])?.first?["id"] as? String == "config-drift")
        // One self-contained page: the nodes, what is between them, each node's report with ids of its own.
        let html = try Shell.run([Paths.executable, "analyze"] + paths + ["--format", "html", "--no-progress"])
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains(HTMLRenderer.contentSecurityPolicy))
        #expect(html.stdout.contains("<h2>Node node-b</h2>") && html.stdout.contains("id=\"node-2-findings\"")
                && html.stdout.contains("id=\"cluster-finding-config-drift\""))
        #expect(!html.stdout.contains("<script"))
        let explain = try Shell.run([Paths.executable, "explain", "mtu-mismatch-between-nodes"])
        #expect(explain.status == 0 && explain.stdout.contains("Tunnel MTU differs between nodes"))
    }

    /// Two cluster reports compared: the cluster findings, and each node paired by name.
    @Test func clusterReportsAreCompared() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let alike = try ClusterAutopsy().analyze(try Self.nodes(dir.appendingPathComponent("before")) { _ in })
        let drifted = try ClusterAutopsy().analyze(try Self.nodes(dir.appendingPathComponent("after")) { node in
            try Self.edit(node.appendingPathComponent("node/sysctl-a.txt"), "net.core.somaxconn = 4096", "net.core.somaxconn = 128")
        })
        let d = ClusterDiff(before: alike, after: drifted)
        #expect(d.fixed.isEmpty && d.new.map(\.id) == ["config-drift"])
        #expect(d.nodes.map(\.name) == ["node-a", "node-b", "node-c"] && d.nodes.allSatisfy { $0.presence == "both" })
        // Each node is paired with the node of its name: node-b's diff is of node-b's two reports.
        let b = try #require(d.nodes.first { $0.name == "node-b" }?.diff)
        #expect(try DiffRenderer.json(b) == DiffRenderer.json(ReportDiff(before: alike.reports[1], after: drifted.reports[1])))
        #expect(d.nodes.filter { $0.name != "node-b" }.allSatisfy { $0.diff?.new.isEmpty == true && $0.diff?.fixed.isEmpty == true })
        // Through the command, from the two JSON files.
        let x = dir.appendingPathComponent("before.json").path, y = dir.appendingPathComponent("after.json").path
        try ClusterRenderer.json(alike).write(toFile: x, atomically: true, encoding: .utf8)
        try ClusterRenderer.json(drifted).write(toFile: y, atomically: true, encoding: .utf8)
        let out = try Shell.run([Paths.executable, "diff", x, y, "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(json?["schema"] as? String == ClusterDiff.schema)
        let gate = try Shell.run([Paths.executable, "diff", x, y, "--fail-on-new", "medium"])
        #expect(gate.status == 3)
        let mixed = try Shell.run([Paths.executable, "diff", x, Paths.fixture("sample-bundle.tar.gz")])
        #expect(mixed.status != 0 && mixed.stderr.contains("cluster report"))
    }

    /// A directory of node bundles: each archive or folder in it is a node.
    @Test func aDirectoryOfNodeBundles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let nodes = dir.appendingPathComponent("nodes")
        _ = try Self.nodes(nodes) { node in
            try Self.edit(node.appendingPathComponent("node/sysctl-a.txt"), "net.core.somaxconn = 4096", "net.core.somaxconn = 128")
        }
        try "notes".write(to: nodes.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        #expect(try ClusterAutopsy.nodeBundles(in: nodes.path).map { URL(fileURLWithPath: $0).lastPathComponent } == ["node-a", "node-b", "node-c"])
        let out = try Shell.run([Paths.executable, "analyze", "--cluster", nodes.path, "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect((json?["nodes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["node-a", "node-b", "node-c"])
        let one = try Shell.run([Paths.executable, "analyze", "--cluster", nodes.appendingPathComponent("node-a").path])
        #expect(one.status == 2 && one.stderr.contains("a cluster needs two or more"))
    }

    /// Nodes given as sosreports are named by their `hostname` and compared by `uname`'s release.
    @Test func sosreportsAreNamedByHostnameAndCompareKernels() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Paths.fixture("layouts/sosreport/sosreport-juju-110cc2-k8stest-4-2022-02-11-fixture")
        let a = dir.appendingPathComponent("sos-a"), b = dir.appendingPathComponent("sos-b")
        for copy in [a, b] { #expect(try Shell.run(["cp", "-a", source, copy.path]).status == 0) }
        for file in ["hostname", "sos_commands/host/hostname", "etc/hostname"] {
            let url = b.appendingPathComponent(file)
            guard (try? url.checkResourceIsReachable()) == true else { continue }
            try Self.edit(url, "juju-110cc2-k8stest-4", "juju-110cc2-k8stest-5")
        }
        try Self.edit(b.appendingPathComponent("sos_commands/kernel/uname_-a"), "juju-110cc2-k8stest-4 5.4.0-99-generic",
                      "juju-110cc2-k8stest-5 5.15.0-60-generic")
        let report = try ClusterAutopsy().analyze([a.path, b.path])
        #expect(report.nodes.map(\.name) == ["juju-110cc2-k8stest-4", "juju-110cc2-k8stest-5"])
        #expect(report.nodes.map(\.kernel) == ["5.4.0-99-generic", "5.15.0-60-generic"])
        let drift = try #require(report.findings.first { $0.id == ConfigDrift.driftID })
        #expect(drift.summary.contains("kernel has no majority"), "\(drift.summary)")
    }

    @Test func hostnameAndUnameParse() {
        #expect(HostnameFile.parse("node-1.example.internal\n").name == "node-1.example.internal")
        #expect(HostnameFile.parse("not a host name\n").name == nil)
        let u = UnameOutput.parse("Linux juju-4 5.4.0-99-generic #112-Ubuntu SMP Thu Feb 3 13:50:55 UTC 2022 x86_64 GNU/Linux\n")
        #expect(u.kernelRelease == "5.4.0-99-generic" && u.nodeName == "juju-4")
        #expect(UnameOutput.parse("4.18.0-372.9.1.el8.x86_64\n").kernelRelease == "4.18.0-372.9.1.el8.x86_64")
        #expect(UnameOutput.parse("Darwin mac 23.1.0\n").kernelRelease == nil && UnameOutput.parse("hello\n").kernelRelease == nil)
    }

    /// Real captures on both ends of a path (fixtures/make-cluster-fixtures.sh): SYNs to 8081 are
    /// dropped by the router between the nodes, SYNs to 8082 by node-b's INPUT chain. What each node
    /// sees on its own, which following packets across nodes (ClusterPathTests) joins: node-a's
    /// unanswered attempts go to both ports, node-b saw only those to 8082 arrive, and its iptables
    /// counters hold the DROP.
    @Test func bothEndsOfAPathWithDropsInTheMiddle() throws {
        let report = try ClusterAutopsy().analyze([Paths.fixture("cluster/node-a"), Paths.fixture("cluster/node-b")])
        #expect(report.nodes.map(\.name) == ["node-a", "node-b"])
        func unanswered(_ r: Report) -> [String: Int] {
            Dictionary(r.traffic.connectionAttempts.filter { $0.state == "unanswered" }.map { ($0.server, 1) }, uniquingKeysWith: +)
        }
        #expect(unanswered(report.reports[0]) == ["10.40.2.2:8081": 2, "10.40.2.2:8082": 2])
        #expect(unanswered(report.reports[1]) == ["10.40.2.2:8082": 2])
        #expect(report.reports[0].findings.contains { $0.id == "syn-without-synack" })
        let rules = try String(contentsOfFile: Paths.fixture("cluster/node-b/net/iptables-save.txt"), encoding: .utf8)
        #expect(rules.contains("-A INPUT -p tcp -m tcp --dport 8082 -j DROP") && rules.contains("[8:480] -A INPUT"))
    }
}
