import Artifacts
import Autopsy
import Diagnosis
import Foundation
import Reports
import Testing

/// Other tools' bundle layouts (docs/layouts.md): files recognised by path rules per layout and a
/// content sniff, links inside a bundle, sysctl values from every source, one kernel event per
/// message however many logs hold it, and a verdict that says what was checked.
struct LayoutTests {
    static let sosreport = "layouts/sosreport/sosreport-juju-110cc2-k8stest-4-2022-02-11-fixture"

    /// (path, first bytes, kind): the mis-readings found on real bundles, and the layouts' own paths.
    static let cases: [(String, String, ArtifactKind)] = [
        ("sosreport-x/sos_commands/kernel/sysctl_-a", "abi.vsyscall32 = 1\nnet.ipv4.ip_forward = 1\n", .sysctl),
        ("sosreport-x/proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n", .procStat),
        ("sosreport-x/proc/1234/net/softnet_stat", "0000a1b2 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000000\n", .softnetStat),
        ("sosreport-x/proc/sys/net/ipv4/ip_forward", "0\n", .sysctl),
        ("sosreport-x/var/log/messages", "Feb 11 19:03:32 node kernel: [  325.9] IPVS: registered\nFeb 11 19:03:33 node systemd[1]: Started x.\n", .syslog),
        ("sosreport-x/sos_commands/firewall_tables/iptables_-t_nat_-nvL", "Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)\n", .iptables),
        // Not what their names contain:
        ("sosreport-x/sos_commands/devices/ls_-laZ_.dev.vfio", "total 0\ndrwxr-xr-x. 2 root root system_u:object_r:device_t:s0 60 Jan 1 vfio\n", .text),
        ("sosreport-x/sos_commands/networking/ethtool_-S_ens3", "NIC statistics:\n     rx_queue_0_packets: 3345722\n", .text),
        ("usr/lib/python3/dist-packages/sysctl.py", "import os\nself.value = 1\nnet = None\n", .text),
        ("etc/init.d/kmod", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: kmod\n[ -x /bin/kmod ] || exit 0\n", .text),
        ("etc/sysctl.conf", "net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 1\nvm.swappiness = 1\n", .text),
        // Troubleshoot, must-gather, Cilium:
        ("support-bundle-2024/host-collectors/system/sysctl.json", "{\"net.ipv4.ip_forward\":\"0\"}", .sysctlJSON),
        ("support-bundle-2024/host-collectors/system/ipv4Interfaces.json", "[{\"Index\":1,\"MTU\":65536,\"Name\":\"lo\"}]", .interfacesJSON),
        ("support-bundle-2024/sysctl/node-1", "/proc/sys/net/ipv4/ip_forward = 0\n/proc/sys/net/ipv4/ip_local_port_range = 32768\t60999\n", .sysctl),
        ("support-bundle-2024/sysctl/node-1", "garbage that is not sysctl output\nat all\n", .text),
        ("must-gather.local/quay-io-x/namespaces/openshift-dns/pods/dns-default-abcde/dns/dns/logs/current.log",
         "2024-01-01T00:00:00.000000000Z [INFO] 10.128.0.5:50000 - 1 \"A IN x.svc. udp 40 false 512\" NOERROR qr,aa,rd 90 0.0001s\n", .corednsLog),
        ("support-bundle-2024/dns/debug.json", "{\"kubernetesClusterIP\":\"10.43.0.1\",\"podResolvConf\":\"search x\\nnameserver 10.43.0.10\\n\"}", .dnsDebugJSON),
        ("must-gather.local/quay-io-x/namespaces/openshift-dns/pods/dns-default-abcde/dns/dns/logs/previous.log", "", .text),
        // Cilium bugtool names (bugtool/cmd/root.go: `/` → space → `-`, plus .md):
        ("cilium-sysdump-20240101/cilium-bugtool-cilium-abcde-20240101/cmd/sysctl--a.md", "net.ipv4.ip_forward = 1\n", .sysctl),
        ("cilium-bugtool-cilium-abcde-20240101/cmd/ip--d--s-l.md", "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n", .ipLink),
        ("cilium-bugtool-cilium-abcde-20240101/cmd/ip--4-r.md", "default via 10.0.0.1 dev eth0 proto dhcp\n", .ipRoute),
        ("cilium-bugtool-cilium-abcde-20240101/cmd/ip--4-route-show-table-2004.md", "local 10.0.0.5 dev cilium_host proto kernel scope host\n", .ipRoute),
        ("cilium-bugtool-cilium-abcde-20240101/cmd/iptables-save--c.md", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", .iptables),
        ("cilium-bugtool-x/cmd/kubectl-exec-cilium-abcde--n-kube-system----sysctl--a.md", "net.core.somaxconn = 4096\n", .sysctl),
        // This project's collector, by name and content:
        ("netautopsy-host/node/sysctl-a.txt", "net.core.somaxconn = 4096\n", .sysctl),
        ("netautopsy-host/k8s/pod-resolv.conf", "nameserver 10.96.0.10\nsearch a.svc.cluster.local\noptions ndots:5\n", .resolvConf),
        ("netautopsy-host/net/iptables-nft-save.txt", "", .iptables),
    ]

    @Test func pathRulesAndContentDecideTheKind() {
        for (path, head, kind) in Self.cases {
            let c = PathRules.classify(path: path, head: head)
            #expect(c.kind == kind, "\(path): \(c.kind.rawValue) by \(c.rule), wanted \(kind.rawValue)")
        }
    }

    @Test func sysctlFromEverySourceIsOneSetCitingItsOwnFile() throws {
        var b = FactsBuilder()
        // Troubleshoot's sysctl collector (find /proc/sys … | echo "$f = $v"), a copied /proc/sys
        // file, and Troubleshoot's host collector JSON.
        b.add(path: "sysctl/node-1", kind: .sysctl,
              text: "/proc/sys/net/ipv4/ip_forward = 0\n/proc/sys/net/ipv4/conf/eth0.100/rp_filter = 2\n/proc/sys/net/ipv4/tcp_rmem = 4096\t131072\t6291456")
        b.add(path: "sos/proc/sys/net/core/somaxconn", kind: .sysctl, text: "4096\n")
        #expect(b.addDocument(path: "host-collectors/system/sysctl.json", kind: .sysctlJSON,
                              bytes: Array("{\"net.ipv4.ip_forward\":\"1\",\"net.core.rmem_max\":\"212992\"}".utf8)) == nil)
        let s = try #require(b.facts.sysctl)
        #expect(s.file == "sysctl/node-1")
        #expect(s.value["net.ipv4.ip_forward"]?.value == "0", "the larger source wins a conflict")
        #expect(s.value["net.ipv4.conf.eth0/100.rp_filter"]?.value == "2")
        #expect(s.value.ints("net.ipv4.tcp_rmem") == [4096, 131072, 6291456])
        #expect(s.value["net.core.somaxconn"]?.value == "4096")
        #expect(s.value["net.core.somaxconn"]?.file == "sos/proc/sys/net/core/somaxconn")
        #expect(s.value["net.core.rmem_max"]?.file == "host-collectors/system/sysctl.json")
        #expect(b.addDocument(path: "x.json", kind: .sysctlJSON, bytes: Array("[1,2]".utf8)) != nil)
        #expect(b.addDocument(path: "y.json", kind: .sysctlJSON, bytes: Array("{not json".utf8)) != nil)
    }

    /// Forwarding off in Troubleshoot's layouts is found (it gave "no problems found").
    @Test(arguments: [
        ("support-bundle/sysctl/node-1", "/proc/sys/net/ipv4/ip_forward = 0\n/proc/sys/net/bridge/bridge-nf-call-iptables = 1\n"),
        ("support-bundle/host-collectors/system/sysctl.json", "{\"net.bridge.bridge-nf-call-iptables\":\"1\",\"net.ipv4.ip_forward\":\"0\"}"),
    ])
    func troubleshootForwardingOffIsFound(_ file: (String, String)) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write([(file.0, Data(file.1.utf8))], under: dir)
        let report = try Autopsy().analyze(dir.path)
        let finding = try #require(report.findings.first { $0.id == "forwarding-disabled" }, "\(report.findings.map(\.id))")
        #expect(finding.evidence.contains { $0.file == file.0 })
        #expect(report.verdict.contains("Checked: sysctl settings (1 file)"))
    }

    @Test func theSameKernelLineInSeveralLogsIsOneEvent() {
        var b = FactsBuilder()
        let message = "nf_conntrack: table full, dropping packet"
        b.add(path: "sos_commands/kernel/dmesg", kind: .dmesg, text: (1...3).map { "[ 10\($0).000000] \(message)" }.joined(separator: "\n"))
        b.add(path: "var/log/kern.log", kind: .dmesg,
              text: (1...3).map { "Feb 11 19:0\($0):00 node kernel: [ 10\($0).000000] \(message)" }.joined(separator: "\n"))
        b.add(path: "var/log/messages", kind: .syslog,
              text: (1...2).map { "Feb 11 19:0\($0):00 node kernel: \(message)\nFeb 11 19:0\($0):01 node app[1]: \(message)" }.joined(separator: "\n"))
        b.finish()
        #expect(b.facts.kernelEvents(.conntrackTableFull).count == 3)
        #expect(Set(b.facts.kernelEvents.map(\.file)) == ["sos_commands/kernel/dmesg"])
        #expect(b.facts.kernelEventsDuplicates == 5)
    }

    @Test func aSystemLogGivesOnlyItsKernelLines() {
        var b = FactsBuilder()
        b.add(path: "var/log/messages", kind: .syslog, text: "Feb 11 19:00:00 node app[1]: nf_conntrack: table full, dropping packet")
        b.finish()
        #expect(b.facts.kernelEvents.isEmpty)
    }

    /// A real sosreport (hotsos's kubernetes node, fixtures/README.md): its files are read by their
    /// layout's paths, its links inside the bundle are no problems, and the healthy node gives no
    /// finding of medium or worse.
    @Test func aRealSosreportIsReadByItsPaths() throws {
        let report = try Autopsy().analyze(Paths.fixture(Self.sosreport))
        let kinds = Self.kinds(report)
        #expect(kinds["sos_commands/kernel/sysctl_-a"] == "sysctl")
        #expect(kinds["proc/stat"] == "proc-stat")
        #expect(kinds["proc/96008/net/softnet_stat"] == "softnet-stat")
        #expect(kinds["sos_commands/networking/ip_-s_-d_link"] == "ip-link")
        #expect(kinds["sos_commands/networking/ethtool_-S_ens3"] == "text")
        #expect(kinds["var/lib/juju/agents/unit-containerd-2/charm/debug-scripts/sysctl"] == "text")
        #expect(kinds["etc/init.d/kmod"] == "text")
        #expect(report.artifacts.first { $0.path == "proc/stat" }?.rule == "sosreport: proc/stat")
        // Its symbolic links (dmesg, proc/net → self/net, etc/resolv.conf…) resolve inside it.
        #expect(report.links.contains { $0.path == "proc/net" && $0.target == "proc/96008/net" })
        #expect(!report.problems.contains { $0.message.contains("link") }, "\(report.problems)")
        #expect(!report.findings.contains { $0.severity >= .medium }, "\(report.findings.map { "\($0.id) \($0.severity)" })")
        // The kernel log is in three files (dmesg, var/log/dmesg, kern.log): each message counts once.
        let b = report.verdict
        #expect(b.contains("CPU counters (1 file)") && b.contains("kernel log (3 files)"), "\(b)")
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("**Read by a parser**"))
        #expect(markdown.components(separatedBy: "\n").count < 400)
    }

    /// Links are followed only to what is inside the bundle.
    @Test func linksLeadingOutOfADirectoryBundleAreNotFollowed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("bundle")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sos_commands/kernel"), withIntermediateDirectories: true)
        try Data("net.ipv4.ip_forward = 1\nnet.core.somaxconn = 4096\nvm.swappiness = 1\n".utf8)
            .write(to: root.appendingPathComponent("sos_commands/kernel/sysctl_-a"))
        try Data("secret\n".utf8).write(to: dir.appendingPathComponent("outside.txt"))
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("sysctl").path, withDestinationPath: "sos_commands/kernel/sysctl_-a")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: "../outside.txt")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("absolute").path, withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "nowhere")
        let report = try Autopsy().analyze(root.path)
        #expect(report.links == [LinkRecord(path: "sysctl", target: "sos_commands/kernel/sysctl_-a")])
        #expect(report.artifacts.map(\.path) == ["sos_commands/kernel/sysctl_-a"])
        for name in ["escape", "absolute"] {
            #expect(report.problems.contains { $0.path == name && $0.message.contains("leads outside the bundle") }, "\(name)")
        }
        #expect(report.problems.contains { $0.path == "dangling" && $0.message.contains("dangling") })
    }
}

extension LayoutTests {
    /// kube-proxy's mode from its own log line, and its Services from `iptables -t nat -nvL`.
    @Test func kubeProxyFromItsLogAndTheNatTableListing() throws {
        var b = FactsBuilder()
        for name in ["sos_commands/kubernetes/journalctl_--no-pager_--unit_snap.kube-proxy.daemon",
                     "sos_commands/firewall_tables/iptables_-t_nat_-nvL"] {
            let text = try String(contentsOfFile: Paths.fixture(Self.sosreport + "/" + name), encoding: .utf8)
            let kind = PathRules.classify(path: name, head: String(text.prefix(4096))).kind
            #expect(kind == (name.contains("kube-proxy") ? .kubeProxy : .iptables), "\(name)")
            b.add(path: name, kind: kind, text: text)
        }
        let k = b.facts.kubeProxy
        #expect(k.mode == "iptables")
        #expect(k.modeLine?.text.contains("Unknown proxy mode, assuming iptables proxy") == true
                || k.modeLine?.text.contains("Using iptables Proxier") == true)
        let chains = try String(contentsOfFile: Paths.fixture(Self.sosreport + "/sos_commands/firewall_tables/iptables_-t_nat_-nvL"), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("Chain KUBE-SVC-") }.count
        #expect(chains > 0 && k.serviceChains == chains)
    }
}

extension LayoutTests {
    /// Only the network's rate limiters add to a check's "rate-limited" count.
    @Test func unrelatedSuppressedCallbacksAreNotNetworkMessages() {
        var b = FactsBuilder()
        b.add(path: "node/dmesg.txt", kind: .dmesg, text: """
            [  100.000001] nf_conntrack: nf_conntrack: table full, dropping packet
            [  100.000002] net_ratelimit: 38 callbacks suppressed
            [  100.000003] amdgpu_dm_irq_handler: 1000 callbacks suppressed
            [  100.000004] ext4_end_bio: 7 callbacks suppressed
            """)
        b.finish()
        #expect(b.facts.suppressedKernelMessages == 38)
    }

    /// "dropped over-mtu packet" is a packet too big for its device: path-MTU evidence with the MTU.
    @Test func overMTUDropsArePathMTUEvidence() {
        let m = PathMTUTextMatch.scan("[ 5604.030347] openvswitch: vxlan_sys_4789: dropped over-mtu packet: 8950 > 1450")
        #expect(m == PathMTUTextMatch(kind: .overMTU, mtu: 1450))
    }

    // Real bundles of the other layouts (fixtures/layouts/make-layout-fixtures.sh, origins in
    // fixtures/README.md): each healthy one gives no medium-or-worse finding, and says what it read.

    static let troubleshootBaseline = "layouts/troubleshoot/baseline.tar.gz"

    /// Each analyzed file's kind, by path.
    static func kinds(_ r: Report) -> [String: String] { Dictionary(r.artifacts.map { ($0.path, $0.kind.rawValue) }, uniquingKeysWith: { a, _ in a }) }

    /// Writes files under `dir` at their relative paths.
    static func write(_ files: [(String, Data)], under dir: URL) throws {
        for (path, data) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
    }

    static func mediumOrWorse(_ r: Report) -> [String] { r.findings.filter { $0.severity >= .medium }.map { "\($0.id) \($0.severity)" } }

    @Test func aRealTroubleshootBundleIsReadByItsPaths() throws {
        let report = try Autopsy().analyze(Paths.fixture(Self.troubleshootBaseline))
        let kinds = Self.kinds(report)
        #expect(kinds["supportbundle/sysctl/primary-node"] == "sysctl")
        #expect(kinds["supportbundle/dns/debug.txt"] == "resolv-conf")
        #expect(kinds["supportbundle/dns/debug.json"] == "dns-debug-json")
        #expect(Self.mediumOrWorse(report).isEmpty, "\(Self.mediumOrWorse(report))")
        // ndots:5 is every pod's default: a note, cited once (debug.json repeats debug.txt), not an incident.
        let ndots = report.findings.filter { $0.id == "resolv-ndots-search" }
        #expect(ndots.count == 1 && ndots.first?.evidence.first?.file == "supportbundle/dns/debug.txt")
        #expect(report.verdict.hasPrefix("No problem of medium or higher severity found"), "\(report.verdict)")
        #expect(report.verdict.contains("sysctl settings (1 file)"))
        // Its two empty tar archives (collectd, copy-from-host) are empty, not damage.
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.artifacts.first { $0.path.hasSuffix("collectd/rrd/primary-node/archive.tar") }?.rule?.hasPrefix("empty tar") == true)
    }

    /// The real bundle with one line changed: forwarding off on the node.
    @Test func troubleshootSysctlWithForwardingOffIsFound() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let untar = try Shell.run(["tar", "-xzf", Paths.fixture(Self.troubleshootBaseline), "-C", dir.path])
        try #require(untar.status == 0, "\(untar.stderr)")
        let sysctl = dir.appendingPathComponent("supportbundle/sysctl/primary-node")
        let text = try String(contentsOf: sysctl, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let line = try #require(lines.firstIndex(of: "/proc/sys/net/ipv4/ip_forward = 1"))
        try text.replacingOccurrences(of: "/proc/sys/net/ipv4/ip_forward = 1", with: "/proc/sys/net/ipv4/ip_forward = 0")
            .write(to: sysctl, atomically: true, encoding: .utf8)
        let report = try Autopsy().analyze(dir.path)
        let f = try #require(report.findings.first { $0.id == "forwarding-disabled" }, "\(report.findings.map(\.id))")
        #expect(f.severity >= .high)
        #expect(f.evidence.contains { $0.file == "supportbundle/sysctl/primary-node" && $0.line == line + 1 }, "\(f.evidence)")
        #expect(!report.verdict.hasPrefix("No problem"))
    }

    @Test func aRealTroubleshootBundleWithCoreDNSLogsSaysQueryLoggingWasOff() throws {
        let report = try Autopsy().analyze(Paths.fixture("layouts/troubleshoot/k3d-support-bundle.tar.gz"))
        let dns = report.artifacts.filter { $0.kind.rawValue == "coredns-log" }.map(\.path)
        #expect(dns.count == 2 && dns.allSatisfy { $0.contains("cluster-resources/pods/logs/kube-system/coredns-") }, "\(dns)")
        #expect(Self.mediumOrWorse(report).isEmpty, "\(Self.mediumOrWorse(report))")
        #expect(report.verdict.contains("CoreDNS logs (2 files; no query lines"), "\(report.verdict)")
    }

    @Test func aRealMustGatherIsReadByItsPaths() throws {
        let report = try Autopsy().analyze(Paths.fixture("layouts/must-gather/must-gather-aws-network.tar.xz"))
        let dns = report.artifacts.filter { $0.kind.rawValue == "coredns-log" }.map(\.path)
        #expect(dns.count == 6 && dns.allSatisfy { $0.hasSuffix("/dns/dns/logs/current.log") }, "\(dns)")
        let sdn = report.artifacts.filter { $0.kind.rawValue == "kube-proxy" }.map(\.path)
        #expect(!sdn.isEmpty && sdn.allSatisfy { $0.contains("/namespaces/openshift-sdn/pods/") }, "\(sdn)")
        // The empty previous.log of containers that never restarted are empty, not "not understood".
        let empty = report.artifacts.filter { $0.bytes == 0 }
        #expect(!empty.isEmpty && empty.allSatisfy { $0.kind.rawValue == "text" && $0.rule == "empty" }, "\(empty.map { "\($0.path) \($0.rule ?? "")" })")
        #expect(!MarkdownRenderer.render(report).contains("previous.log`"))
        #expect(Self.mediumOrWorse(report).isEmpty, "\(Self.mediumOrWorse(report))")
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    /// A Cilium sysdump laid out as cilium-cli and bugtool write it (file names from their source:
    /// no real sysdump is published), holding real outputs of the same commands from other bundles.
    @Test func aCiliumSysdumpIsReadByBugtoolsNames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bugtool = "cilium-sysdump-20240520-101500/cilium-bugtool-cilium-7xk2p-20240520-101512"
        let files: [(String, String)] = [
            ("\(bugtool)/cmd/sysctl--a.md", "public-text/sysctl-a__hotsos__kubernetes-node_sysctl_-a.txt"),
            ("\(bugtool)/cmd/ip--d--s-l.md", "public-text/ip-d-link__hotsos__kubernetes-node_ip_-s_-d_link.txt"),
            ("\(bugtool)/cmd/ip--4-r.md", "\(Self.sosreport)/sos_commands/networking/ip_route_show_table_all"),
            ("cilium-sysdump-20240520-101500/logs-coredns-5d78c9869d-x7wq2-coredns-20240520-101500.log",
             "public-text/coredns-log__coredns-3399__hosts-noerror.txt"),
        ]
        try Self.write(try files.map { ($0.0, try Data(contentsOf: URL(fileURLWithPath: Paths.fixture($0.1)))) }, under: dir)
        let report = try Autopsy().analyze(dir.path)
        let kinds = Self.kinds(report)
        #expect(kinds["\(bugtool)/cmd/sysctl--a.md"] == "sysctl")
        #expect(kinds["\(bugtool)/cmd/ip--d--s-l.md"] == "ip-link")
        #expect(kinds["\(bugtool)/cmd/ip--4-r.md"] == "ip-route")
        #expect(kinds.first { $0.key.hasPrefix("cilium-sysdump-20240520-101500/logs-coredns-") }?.value == "coredns-log")
        #expect(report.artifacts.allSatisfy { $0.rule?.hasPrefix("cilium-sysdump") == true }, "\(report.artifacts.map { "\($0.path) \($0.rule ?? "")" })")
        #expect(Self.mediumOrWorse(report).isEmpty, "\(Self.mediumOrWorse(report))")
    }

    /// A real .tar.xz cut short: what came before the cut is analyzed, and the verdict says the
    /// rest is missing.
    @Test(arguments: [20_000, 60_000, 100_000])
    func aTruncatedTarXZIsAnalyzedAsFarAsItGoes(_ length: Int) throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("layouts/must-gather/must-gather-aws-network.tar.xz")))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("must-gather.tar.xz")
        try whole.prefix(length).write(to: cut)
        let report = try Autopsy().analyze(cut.path)
        #expect(report.problems.contains { $0.path == "must-gather.tar.xz" && $0.message.hasPrefix("archive damaged or cut short") },
                "\(report.problems)")
        #expect(report.verdict.hasSuffix("The input archive is damaged or cut short: files after that point were not read, so their evidence is missing."))
        #expect(!report.artifacts.isEmpty)
        // A problem about an entry is filed under the entry, without repeating its path.
        for p in report.problems where p.path != "must-gather.tar.xz" { #expect(!p.message.contains(p.path), "\(p)") }
    }

    /// Binary files are evidence of nothing unless text was expected at their path.
    @Test func binaryWhereTextWasExpectedIsAProblemElsewhereNot() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try Self.write([("sys/firmware/acpi/tables/DSDT", binary), ("var/log/kern.log", binary)], under: dir)
        let report = try Autopsy().analyze(dir.path)
        #expect(report.problems.map(\.path) == ["var/log/kern.log"], "\(report.problems)")
        #expect(report.problems.first?.message.hasPrefix("binary data where dmesg text was expected") == true)
        let acpi = report.artifacts.first { $0.path == "sys/firmware/acpi/tables/DSDT" }
        #expect(acpi?.kind == .binary && acpi?.bytes == 2048)
        #expect(report.verdict.hasSuffix("1 file could not be read (listed in the report)."), "\(report.verdict)")
    }

    /// A log copied through Windows (CRLF) with bytes that are not UTF-8 is read line by line
    /// like any other: the evidence cites the lines without their CR, the bad bytes replaced.
    @Test func crlfLogsWithInvalidUTF8AreReadAsText() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, [UInt8])] = [
            ("var/log/messages", Array("Jan  1 00:00:01 node1 kernel: [    5.123456] nf_conntrack: nf_conntrack: table full, dropping packet ".utf8)
                + [0xff, 0xfe] + Array("\r\nJan  1 00:00:02 node1 kernel: [    6.123456] nf_conntrack: nf_conntrack: table full, dropping packet\r\n".utf8)),
            ("sos_commands/kernel/sysctl_-a", Array("net.ipv4.ip_forward = 0\r\nnet.core.somaxconn = 4096\r\n".utf8)),
        ]
        try Self.write(files.map { ($0.0, Data($0.1)) }, under: dir)
        let report = try Autopsy().analyze(dir.path)
        let full = try #require(report.findings.first { $0.id == "conntrack-table-full" }, "\(report.findings.map(\.id))")
        let texts = full.evidence.compactMap(\.text)
        #expect(texts.count >= 2 && texts.allSatisfy { !$0.contains("\r") }, "\(texts)")
        #expect(texts.contains { $0.hasSuffix("dropping packet \u{FFFD}\u{FFFD}") }, "\(texts)")
        let forwarding = try #require(report.findings.first { $0.id == "forwarding-disabled" })
        #expect(forwarding.evidence.contains { $0.text == "net.ipv4.ip_forward = 0" }, "\(forwarding.evidence)")
    }
}
