/// What a file in a bundle is, recognised by name and content rather than by one layout: our
/// collector's, a sosreport tree (`sos_commands/kernel/sysctl_-a`), or a hand-made tarball.
public enum ArtifactKind: String, Codable, Sendable, CaseIterable {
    case capture, manifest, sysctl, dmesg
    case corednsLog = "coredns-log"
    case fio
    case ipLink = "ip-link"
    case ipAddress = "ip-addr"
    case ipRoute = "ip-route"
    case resolvConf = "resolv-conf"
    case tracepath, ping
    /// `/proc/stat` samples (CPU steal between two of them).
    case procStat = "proc-stat"
    case softnetStat = "softnet-stat"
    /// `ss -s`, `ss -tin`.
    case ss
    case nstat
    /// `/proc/net/snmp`, `/proc/net/netstat`, `/proc/net/snmp6`.
    case snmp
    /// `/proc/net/stat/nf_conntrack`, `conntrack -S`, `conntrack -C`.
    case conntrackStats = "conntrack-stats"
    /// `iptables-save` output (legacy or nft).
    case iptables
    /// The collector's rule and chain counts per saved ruleset.
    case iptablesCounts = "iptables-counts"
    /// `ipvsadm -Ln`.
    case ipvs
    /// kube-proxy's command line, `/proxyMode` answer or configmap.
    case kubeProxy = "kube-proxy"
    case kubeletConfig = "kubelet-config"
    /// tcpdump's stderr: the "N packets dropped by kernel" lines.
    case tcpdumpStats = "tcpdump-stats"
    /// Text of no known kind: still scanned for path-MTU evidence.
    case text
    /// Bytes that are neither text nor a capture.
    case binary

    /// Recognises a text file by its path and its first bytes.
    public static func classifyText(path: String, head: String) -> ArtifactKind {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? path.lowercased()
        let lowerPath = path.lowercased()
        if name == "manifest.json" { return .manifest }
        if name.contains("sysctl") { return .sysctl }
        if name.contains("dmesg") || name.contains("journalctl") || name.hasPrefix("kern.log") { return .dmesg }
        if lowerPath.contains("coredns") || name.contains("kube-dns") { return .corednsLog }
        if name.contains("fio") { return .fio }
        if name.contains("resolv") { return .resolvConf }
        if name.contains("tracepath") { return .tracepath }
        if name.hasPrefix("ping") { return .ping }
        if let kind = classifyNodeState(name) { return kind }
        let words = name.replacingAll("_", with: "-")
        if words.contains("ip-") || words.hasPrefix("ip") {
            if words.contains("link") { return .ipLink }
            if words.contains("addr") { return .ipAddress }
            if words.contains("route") { return .ipRoute }
        }
        return classifyByContent(head)
    }

    /// The collector's names for network and node state (docs/bundle-format.md), and sosreport's.
    static func classifyNodeState(_ name: String) -> ArtifactKind? {
        if name.contains("conntrack") { return .conntrackStats }
        if name.contains("iptables") { return name.contains("count") ? .iptablesCounts : .iptables }
        if name.hasPrefix("ipvsadm") { return .ipvs }
        if name.contains("kube-proxy") || name.contains("kube_proxy") { return .kubeProxy }
        if name.contains("kubelet") && name.contains("config") { return .kubeletConfig }
        if name.contains("softnet") { return .softnetStat }
        if name.hasPrefix("proc-stat") || name.hasPrefix("proc_stat") { return .procStat }
        if name.contains("snmp") || name.contains("netstat") { return .snmp }
        if name.hasPrefix("nstat") { return .nstat }
        if name.hasPrefix("ss-") || name.hasPrefix("ss_") || name == "ss.txt" { return .ss }
        if name.contains("tcpdump") { return .tcpdumpStats }
        return nil
    }

    static func classifyByContent(_ head: String) -> ArtifactKind {
        if head.contains("\"fio version\"") { return .fio }
        let lines = head.split(separator: "\n", maxSplits: 20).prefix(20)
        if lines.filter({ $0.hasPrefix("net.") || $0.hasPrefix("kernel.") || $0.hasPrefix("vm.") }).count >= 3 {
            return .sysctl
        }
        if lines.filter({ $0.hasPrefix("[") && $0.contains("]") && $0.dropFirst().first.map { $0 == " " || $0.isNumber } == true }).count >= 3 {
            return .dmesg
        }
        if lines.contains(where: { $0.contains("[INFO] plugin/") || $0.contains("[ERROR] plugin/errors") }) { return .corednsLog }
        if lines.contains(where: { $0.hasPrefix("traceroute") || $0.contains("pmtu ") && $0.contains("LOCALHOST") }) { return .tracepath }
        return .text
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
