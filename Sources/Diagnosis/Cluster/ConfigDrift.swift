import Artifacts

/// One node's settings that should agree across a cluster, each with where it was read.
public struct NodeSettings: Sendable {
    public struct Value: Sendable, Equatable {
        public var value: String
        /// The file in that node's bundle, and the line when there is one.
        public var file: String?
        public var line: SourceLine?
        public init(_ value: String, file: String?, line: SourceLine? = nil) {
            self.value = value
            self.file = file
            self.line = line
        }
    }

    /// The node's name (its hostname, else its bundle's name).
    public var node: String
    /// Setting name → value: `sysctl KEY`, `mtu DEVICE`, `kernel`, `kube-proxy mode`, `NodeLocal DNSCache`.
    public var values: [String: Value]
    /// Tunnel devices' MTUs by device name (the subject of `mtu-mismatch-between-nodes`).
    public var tunnelMTUs: [String: Value]

    public init(node: String, values: [String: Value], tunnelMTUs: [String: Value] = [:]) {
        self.node = node
        self.values = values
        self.tunnelMTUs = tunnelMTUs
    }

    /// The sysctls the checks read: drift in any of them changes what a check would say.
    public static let sysctls = [
        "net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog",
        "net.core.netdev_max_backlog", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_mtu_probing", "net.netfilter.nf_conntrack_max", "net.core.rmem_max", "net.core.wmem_max", "net.ipv4.tcp_mem",
        "net.ipv4.tcp_congestion_control", "net.core.default_qdisc", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_orphans",
    ]

    /// What a node's facts say, for the settings compared across nodes.
    public init(node: String, facts: Facts, kernel: (value: String, file: String)?) {
        self.node = node
        var values: [String: Value] = [:]
        if let s = facts.sysctl {
            for key in Self.sysctls {
                guard let e = s.value[key] else { continue }
                // Whitespace inside a value (`32768\t60999`) is not a difference.
                values["sysctl \(key)"] = Value(e.value.split(whereSeparator: \.isWhitespace).joined(separator: " "),
                                                file: e.file ?? s.file, line: e.line)
            }
        }
        var tunnels: [String: Value] = [:]
        if let links = facts.links {
            for t in facts.tunnels { tunnels[t.name] = Value(String(t.mtu), file: links.file, line: t.line) }
            let uplink = facts.routes.lazy.compactMap(\.value.defaultDevice).first.flatMap(links.value.device(named:))
            if let u = uplink { values["mtu of the uplink"] = Value(String(u.mtu), file: links.file, line: u.line) }
        }
        if let kernel { values["kernel"] = Value(kernel.value, file: kernel.file) }
        if let mode = facts.kubeProxy.mode {
            values["kube-proxy mode"] = Value(mode, file: facts.kubeProxyFiles.first, line: facts.kubeProxy.modeLine)
        }
        if let r = facts.resolvConfs.first {
            let local = r.value.nameservers.contains("169.254.20.10")
            values["NodeLocal DNSCache"] = Value(local ? "in use (169.254.20.10)" : "not in use", file: r.file)
        }
        self.values = values
        tunnelMTUs = tunnels
    }
}

/// Settings that differ between the nodes of one cluster (issue 23 §3).
///
/// Definition: a setting drifts when at least two nodes report it and their values differ. The
/// value most nodes hold is the cluster's (none when the largest groups tie), and the finding names
/// the nodes that hold another, with each node's value and where it was read. A setting a node does
/// not report is not compared for that node. `mtu-mismatch-between-nodes`: a tunnel device of the
/// same name on two or more nodes with different MTUs — the nodes exchange overlay traffic through
/// it, and the larger MTU sends packets the smaller side's path may not carry.
public enum ConfigDrift {
    public static let driftID: CheckID = "config-drift"
    public static let mtuID: CheckID = "mtu-mismatch-between-nodes"

    public static let descriptions: [CheckDescription] = [
        CheckDescription(
            id: driftID, title: "Settings differ between nodes",
            rationale: """
                Nodes of one cluster are meant to be alike; a node whose sysctls, kernel, uplink MTU or kube-proxy mode \
                differ from its peers' behaves differently under the same load, and incidents that hit "some pods, \
                sometimes" often trace to the one node that differs.
                """,
            severity: .medium,
            evidence: "Per differing setting: each node's value and the file and line it was read from.",
            fix: "Bring the odd node in line (node image, sysctl DaemonSet or MachineConfig, kube-proxy config), or document why it differs.",
            passingExamples: [], failingExamples: []),
        CheckDescription(
            id: mtuID, title: "Tunnel MTU differs between nodes",
            rationale: """
                Overlay traffic between two nodes goes through their tunnel devices: when one side's MTU is larger, it \
                sends encapsulated packets the other side's underlay may not carry, which are fragmented or dropped \
                (a black hole for large transfers in one direction only).
                """,
            severity: .high,
            evidence: "Each node's MTU for the tunnel device, from its `ip -d link`.",
            fix: "Set the same overlay MTU on every node (the CNI's MTU setting), underlay MTU minus the encapsulation overhead.",
            passingExamples: [], failingExamples: []),
    ]

    public static func findings(_ nodes: [NodeSettings]) -> [Finding] {
        guard nodes.count >= 2 else { return [] }
        var out: [Finding] = []
        let names = Set(nodes.flatMap(\.values.keys)).sorted()
        var parts: [String] = [], evidence: [Evidence] = []
        var onlyKernel = true
        for name in names {
            guard let (text, ev) = compare(name, nodes.compactMap { n in n.values[name].map { (n.node, $0) } }) else { continue }
            parts.append(text)
            evidence += ev
            if name != "kernel" { onlyKernel = false }
        }
        if !parts.isEmpty {
            let d = descriptions[0]
            out.append(Finding(id: d.id, severity: onlyKernel ? .low : .medium, title: d.title,
                               summary: "\(parts.count) setting\(parts.count == 1 ? "" : "s") differ between the \(nodes.count) nodes: "
                                   + parts.joined(separator: "; ") + ".",
                               evidence: evidence, fix: d.fix))
        }
        var mtuParts: [String] = [], mtuEvidence: [Evidence] = []
        for device in Set(nodes.flatMap(\.tunnelMTUs.keys)).sorted() {
            guard let (text, ev) = compare("mtu \(device)", nodes.compactMap { n in n.tunnelMTUs[device].map { (n.node, $0) } }) else { continue }
            mtuParts.append(text)
            mtuEvidence += ev
        }
        if !mtuParts.isEmpty {
            let d = descriptions[1]
            out.append(Finding(id: d.id, severity: .high, title: d.title, summary: mtuParts.joined(separator: "; ") + ".",
                               evidence: mtuEvidence, fix: d.fix))
        }
        return out
    }

    /// "sysctl net.core.somaxconn is 128 on node-b, where 2 of 3 nodes have 4096", with each node's evidence.
    static func compare(_ name: String, _ seen: [(node: String, value: NodeSettings.Value)]) -> (String, [Evidence])? {
        guard seen.count >= 2 else { return nil }
        var groups: [String: [String]] = [:]
        for s in seen { groups[s.value.value, default: []].append(s.node) }
        guard groups.count > 1 else { return nil }
        let ranked = groups.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        let majority = ranked[0].value.count > ranked[1].value.count ? ranked[0] : nil
        let text: String
        if let majority {
            let odd = ranked.dropFirst().map { "\($0.key) on \($0.value.sorted().joined(separator: ", "))" }.joined(separator: " and ")
            text = "\(name) is \(odd), where \(majority.value.count) of \(seen.count) nodes have \(majority.key)"
        } else {
            text = "\(name) has no majority: " + ranked.map { "\($0.key) on \($0.value.sorted().joined(separator: ", "))" }.joined(separator: "; ")
        }
        let evidence = seen.map { s -> Evidence in
            let note = "\(s.node): \(name) = \(s.value.value)" + (majority.map { s.value.value == $0.key ? "" : " (differs)" } ?? "")
            if let file = s.value.file, let line = s.value.line { return .line(note, file: "\(s.node):\(file)", line: line.number, text: line.text) }
            return .value(note, file: s.value.file.map { "\(s.node):\($0)" }, text: s.value.value)
        }
        return (text, evidence)
    }
}
