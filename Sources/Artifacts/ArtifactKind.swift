/// What a file in a bundle is: which parser reads it. Recognised by `PathRules` (path rules per
/// layout, then names confirmed by content, then content alone).
public enum ArtifactKind: String, Codable, Sendable, CaseIterable {
    case capture, manifest, sysctl, dmesg
    /// A whole system log (`/var/log/messages`, `journalctl` without `-k`): only its kernel lines are read.
    case syslog
    /// Troubleshoot's `host-collectors/system/sysctl.json`: one JSON object of key → value.
    case sysctlJSON = "sysctl-json"
    /// Troubleshoot's `host-collectors/system/ipv4Interfaces.json`: Go `net.Interface` objects (name, MTU).
    case interfacesJSON = "interfaces-json"
    /// Troubleshoot's `dns/debug.json`: its `podResolvConf` is a pod's resolv.conf.
    case dnsDebugJSON = "dns-debug-json"
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
    /// `/proc/net/sockstat` (TCP sockets and the memory pages they hold).
    case sockstat
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
    /// `hostname` output or `/etc/hostname`: the node's name (cluster reports name nodes by it).
    case hostname
    /// `uname -a` / `uname -r`: the kernel release.
    case uname
    /// Text of no known kind: still scanned for path-MTU evidence.
    case text
    /// Bytes that are neither text nor a capture.
    case binary
    /// The marker `netautopsy redact` leaves in a bundle it rewrote (which captures it cut on purpose).
    case redaction

    /// Recognises a text file by its path and its first bytes (`PathRules`).
    public static func classifyText(path: String, head: String) -> ArtifactKind {
        PathRules.classify(path: path, head: head).kind
    }

    /// Kinds read whole (JSON documents), not line by line.
    public var isWholeDocument: Bool { self == .sysctlJSON || self == .interfacesJSON || self == .dnsDebugJSON }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
