/// How a text file of a bundle was recognised: the kind (which parser reads it) and the rule that
/// said so, shown in the report's inventory.
public struct Classification: Sendable, Equatable {
    public var kind: ArtifactKind
    /// "sosreport: sos_commands/kernel/sysctl_-a", "name sysctl, content", "content", "unrecognised".
    public var rule: String
    /// The layout whose path rule matched (`BundleLayout`), nil for name and content rules.
    public var layout: BundleLayout?
    /// The rule of a file with no content.
    public static let empty = "empty"

    public init(kind: ArtifactKind, rule: String, layout: BundleLayout? = nil) {
        self.kind = kind
        self.rule = rule
        self.layout = layout
    }
}

/// The bundle layouts whose paths are known (docs/layouts.md).
public enum BundleLayout: String, Sendable, Codable, CaseIterable {
    /// This project's collector (docs/bundle-format.md).
    case netautopsy
    /// `sos report` / sosreport: `sos_commands/<plugin>/<command>`, copies of `/proc`, `/etc`, `/var/log`.
    case sosreport
    /// Replicated Troubleshoot support bundle: `host-collectors/`, `cluster-resources/`, `sysctl/<node>`.
    case troubleshoot
    /// OpenShift must-gather: `namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log`.
    case mustGather = "must-gather"
    /// Cilium sysdump and the cilium-bugtool archives inside it.
    case ciliumSysdump = "cilium-sysdump"
}

/// Path rules per layout, then names confirmed by content, then content alone. A path rule is
/// matched against the end of a file's path, component by component, so the rule holds wherever
/// the layout's root sits (`sosreport-host-2024-01-01-abc/sos_commands/…`, a tarball's top folder,
/// a bundle nested in another). Rules that name one exact command output are trusted; the rest
/// (generic names, and layout rules that only name a folder) must also pass the kind's content
/// sniff, so that a parser never sees a file it cannot understand: `ls_-laZ_.dev.vfio` is not fio
/// output, `ethtool_-S_eth0` is not a route table, a Python file named sysctl.py is not sysctl.
public enum PathRules {
    struct Rule: Sendable {
        var layout: BundleLayout
        /// Components; `*` is any one component, `**` any number (at least zero), `name*` a prefix.
        var pattern: [Substring]
        var kind: ArtifactKind
        /// When false, the content must also look like `kind`.
        var trusted: Bool
    }

    static func rule(_ layout: BundleLayout, _ pattern: String, _ kind: ArtifactKind, trusted: Bool = true) -> Rule {
        Rule(layout: layout, pattern: pattern.split(separator: "/"), kind: kind, trusted: trusted)
    }

    /// Most specific first: the first match wins.
    static let rules: [Rule] = [
        // sos report: sos_commands/<plugin>/<command line with spaces as _ and / as .>
        rule(.sosreport, "sos_commands/kernel/sysctl_-a", .sysctl),
        rule(.sosreport, "sos_commands/kernel/uname_-a", .uname, trusted: false),
        rule(.sosreport, "sos_commands/general/uname_-a", .uname, trusted: false),
        rule(.sosreport, "uname", .uname, trusted: false),
        rule(.sosreport, "sos_commands/host/hostname", .hostname, trusted: false),
        rule(.sosreport, "sos_commands/general/hostname", .hostname, trusted: false),
        rule(.sosreport, "hostname", .hostname, trusted: false),
        rule(.sosreport, "sos_commands/kernel/dmesg*", .dmesg),
        rule(.sosreport, "sos_commands/logs/journalctl_*", .syslog, trusted: false),
        rule(.sosreport, "sos_commands/networking/ip_-d_link", .ipLink),
        rule(.sosreport, "sos_commands/networking/ip_-s_-d_link", .ipLink),
        rule(.sosreport, "sos_commands/networking/ip_link", .ipLink),
        rule(.sosreport, "sos_commands/networking/ip_-d_address", .ipAddress),
        rule(.sosreport, "sos_commands/networking/ip_address", .ipAddress),
        rule(.sosreport, "sos_commands/networking/ip_addr", .ipAddress),
        rule(.sosreport, "sos_commands/networking/ip_route_show_table_all", .ipRoute),
        rule(.sosreport, "sos_commands/networking/ip_-6_route_show_table_all", .ipRoute),
        rule(.sosreport, "sos_commands/networking/nstat_-*", .nstat),
        rule(.sosreport, "sos_commands/networking/ss_*", .ss, trusted: false),
        rule(.sosreport, "sos_commands/networking/netstat_-s", .snmp, trusted: false),
        rule(.sosreport, "sos_commands/conntrack/conntrack_-S", .conntrackStats),
        rule(.sosreport, "sos_commands/conntrack/conntrack_-C", .conntrackStats),
        rule(.sosreport, "sos_commands/conntrack/conntrack_-L*", .text),
        rule(.sosreport, "sos_commands/firewall_tables/iptables-save", .iptables),
        rule(.sosreport, "sos_commands/firewall_tables/ip6tables-save", .iptables),
        rule(.sosreport, "sos_commands/firewall_tables/iptables_-t_*_-nvL", .iptables),
        rule(.sosreport, "sos_commands/firewall_tables/iptables_-vnxL", .iptables),
        rule(.sosreport, "sos_commands/ipvs/ipvsadm_-Ln*", .ipvs),
        rule(.sosreport, "sos_commands/**/*logs_coredns-*", .corednsLog, trusted: false),
        rule(.sosreport, "sos_commands/**/*logs_kube-proxy*", .kubeProxy, trusted: false),
        rule(.sosreport, "sos_commands/kubernetes/journalctl_--no-pager_--unit_kube-proxy*", .kubeProxy, trusted: false),
        rule(.sosreport, "sos_commands/kubernetes/journalctl_--no-pager_--unit_snap.kube-proxy*", .kubeProxy, trusted: false),
        // Copies of /proc, /etc and /var/log (sos report, hotsos, and any tree copied from /):
        rule(.sosreport, "proc/stat", .procStat),
        rule(.sosreport, "proc/net/softnet_stat", .softnetStat),
        rule(.sosreport, "proc/*/net/softnet_stat", .softnetStat),
        rule(.sosreport, "proc/net/snmp", .snmp),
        rule(.sosreport, "proc/net/netstat", .snmp),
        rule(.sosreport, "proc/net/snmp6", .snmp),
        rule(.sosreport, "proc/*/net/snmp", .snmp),
        rule(.sosreport, "proc/*/net/netstat", .snmp),
        rule(.sosreport, "proc/*/net/snmp6", .snmp),
        rule(.sosreport, "proc/net/sockstat", .sockstat),
        rule(.sosreport, "proc/*/net/sockstat", .sockstat),
        rule(.sosreport, "proc/net/stat/nf_conntrack", .conntrackStats),
        rule(.sosreport, "proc/*/net/stat/nf_conntrack", .conntrackStats),
        rule(.sosreport, "proc/sys/**", .sysctl),
        rule(.sosreport, "etc/resolv.conf", .resolvConf),
        rule(.sosreport, "run/systemd/resolve/resolv.conf", .resolvConf),
        rule(.sosreport, "run/systemd/resolve/stub-resolv.conf", .resolvConf),
        rule(.sosreport, "var/log/kern.log*", .dmesg, trusted: false),
        rule(.sosreport, "var/log/messages*", .syslog, trusted: false),
        rule(.sosreport, "var/log/syslog*", .syslog, trusted: false),
        rule(.sosreport, "var/log/pods/kube-system_coredns-*/**", .corednsLog, trusted: false),
        rule(.sosreport, "var/log/containers/coredns-*", .corednsLog, trusted: false),
        // Configured, not effective, values: shown in the inventory, never mixed with the running ones.
        rule(.sosreport, "etc/sysctl.conf", .text),
        rule(.sosreport, "etc/sysctl.d/*", .text),
        rule(.sosreport, "usr/lib/sysctl.d/*", .text),
        // Replicated Troubleshoot
        rule(.troubleshoot, "host-collectors/system/sysctl.json", .sysctlJSON),
        rule(.troubleshoot, "host-collectors/system/ipv4Interfaces.json", .interfacesJSON),
        rule(.troubleshoot, "host-collectors/filesystemPerformance/*.json", .fio, trusted: false),
        rule(.troubleshoot, "sysctl/*", .sysctl, trusted: false),
        rule(.troubleshoot, "cluster-resources/pods/logs/kube-system/coredns-*/*.log", .corednsLog, trusted: false),
        rule(.troubleshoot, "cluster-resources/pods/logs/kube-system/kube-proxy-*/*.log", .kubeProxy, trusted: false),
        rule(.troubleshoot, "dns/debug.txt", .resolvConf, trusted: false),
        rule(.troubleshoot, "dns/debug.json", .dnsDebugJSON, trusted: false),
        // OpenShift must-gather
        rule(.mustGather, "namespaces/openshift-dns/pods/*/dns/dns/logs/*.log", .corednsLog, trusted: false),
        rule(.mustGather, "namespaces/kube-system/pods/coredns-*/coredns/coredns/logs/*.log", .corednsLog, trusted: false),
        rule(.mustGather, "namespaces/openshift-sdn/pods/*/sdn/sdn/logs/*.log", .kubeProxy, trusted: false),
        // Cilium sysdump / cilium-bugtool: bugtool/cmd/root.go writeCmdToFile names each command's
        // output after the command, `/` → space, then space → `-`, plus `.md` (`sysctl -a` →
        // cmd/sysctl--a.md); commands from bugtool/cmd/configuration.go. Older bugtools ran them
        // through `kubectl exec POD -n kube-system -- …`, which the name then begins with.
        rule(.ciliumSysdump, "cmd/sysctl--a.md", .sysctl, trusted: false),
        rule(.ciliumSysdump, "cmd/kubectl-exec-*----sysctl--a.md", .sysctl, trusted: false),
        rule(.ciliumSysdump, "cmd/ip--d--s-l.md", .ipLink, trusted: false),
        rule(.ciliumSysdump, "cmd/kubectl-exec-*----ip--d--s-l.md", .ipLink, trusted: false),
        rule(.ciliumSysdump, "cmd/ip-a.md", .ipAddress, trusted: false),
        rule(.ciliumSysdump, "cmd/ip--4-r.md", .ipRoute, trusted: false),
        rule(.ciliumSysdump, "cmd/ip--6-r.md", .ipRoute, trusted: false),
        rule(.ciliumSysdump, "cmd/ip--4-route-show-table-*.md", .ipRoute, trusted: false),
        rule(.ciliumSysdump, "cmd/ip--6-route-show-table-*.md", .ipRoute, trusted: false),
        rule(.ciliumSysdump, "cmd/iptables-save*.md", .iptables, trusted: false),
        rule(.ciliumSysdump, "cmd/iptables-nft-save*.md", .iptables, trusted: false),
        rule(.ciliumSysdump, "cmd/iptables-legacy-save*.md", .iptables, trusted: false),
        rule(.ciliumSysdump, "cmd/ip6tables-save*.md", .iptables, trusted: false),
        rule(.ciliumSysdump, "cmd/dmesg*.md", .dmesg, trusted: false),
        rule(.ciliumSysdump, "logs-coredns-*.log", .corednsLog, trusted: false),
    ]

    /// The components of `path`, with `.` and empty ones dropped.
    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }

    /// Whether `pattern` matches the last components of `parts`.
    static func matchesEnd(_ pattern: ArraySlice<Substring>, _ parts: ArraySlice<Substring>) -> Bool {
        guard let last = pattern.last else { return true }
        if last == "**" {
            let rest = pattern.dropLast()
            // `**` takes zero or more of the last components.
            var k = parts.endIndex
            while k >= parts.startIndex {
                if matchesEnd(rest, parts[parts.startIndex..<k]) { return true }
                k -= 1
            }
            return false
        }
        guard let part = parts.last, component(last, part) else { return false }
        return matchesEnd(pattern.dropLast(), parts.dropLast())
    }

    /// One component against one pattern component, on UTF-8 bytes (paths are compared as bytes).
    static func component(_ p: Substring, _ s: Substring) -> Bool {
        let pu = p.utf8, su = s.utf8
        guard let star = pu.firstIndex(of: UInt8(ascii: "*")) else { return pu.elementsEqual(su) }
        let prefix = pu[..<star], suffix = pu[pu.index(after: star)...]
        return su.count >= prefix.count + suffix.count && su.starts(with: prefix) && su.reversed().starts(with: suffix.reversed())
    }

    /// The first layout rule whose pattern ends the path.
    static func layoutRule(_ parts: [Substring]) -> Rule? {
        rules.first { matchesEnd($0.pattern[...], parts[...]) }
    }

    /// Recognises a text file by its path and its first bytes (`head`, up to 4 KiB).
    /// The kind a file's path or name promises, before its content is looked at (nil: none).
    public static func claimedKind(path: String) -> ArtifactKind? {
        let parts = components(path)
        guard let name = parts.last.map({ $0.lowercased() }) else { return nil }
        return layoutRule(parts)?.kind ?? nameCandidate(name, path: path.lowercased())
    }

    public static func classify(path: String, head: String) -> Classification {
        let parts = components(path)
        guard let name = parts.last.map({ $0.lowercased() }) else { return Classification(kind: .text, rule: "unrecognised") }
        if name == "manifest.json" { return Classification(kind: .manifest, rule: "name manifest.json") }
        // An empty log is nothing (a must-gather's previous.log of a container that never
        // restarted); an empty rule listing is a result (no rules), read as its kind.
        if head.isEmpty {
            if let kind = claimedKind(path: path), [.iptables, .iptablesCounts, .ipvs].contains(kind) { return Classification(kind: kind, rule: "empty output") }
            return Classification(kind: .text, rule: Classification.empty)
        }
        let sniff = ContentSniff(head)
        if let r = layoutRule(parts) {
            let shown = r.pattern.joined(separator: "/")
            if r.trusted || r.kind == .text || sniff.looks(like: r.kind) {
                return Classification(kind: r.kind, rule: "\(r.layout.rawValue): \(shown)", layout: r.layout)
            }
            // A layout path whose content is something else: what the content says, if anything.
            if let k = sniff.kind { return Classification(kind: k, rule: "content (\(r.layout.rawValue) path \(shown) did not match it)") }
            return Classification(kind: .text, rule: "\(r.layout.rawValue) path \(shown), but not \(r.kind.rawValue) content")
        }
        if let k = nameCandidate(name, path: path.lowercased()) {
            // An empty output (or one of comments only) has nothing to contradict its name.
            if k == .kubeProxy || k == .iptablesCounts || sniff.lines.isEmpty || sniff.looks(like: k) {
                return Classification(kind: k, rule: "name and content")
            }
            if let c = sniff.kind { return Classification(kind: c, rule: "content (named like \(k.rawValue))") }
            return Classification(kind: .text, rule: "named like \(k.rawValue), but not its content")
        }
        if let k = sniff.kind { return Classification(kind: k, rule: "content") }
        return Classification(kind: .text, rule: "unrecognised")
    }

    static let codeSuffixes = [".service", ".socket", ".timer", ".mount", ".path", ".target", ".py", ".pyc", ".sh", ".go", ".rb",
                               ".pl", ".tmpl", ".j2", ".md", ".html", ".c", ".h", ".so", ".rules", ".gpg", ".bash"]

    /// What a file name suggests: the collector's names (docs/bundle-format.md) and the usual
    /// names of hand-made bundles. Only a candidate: the content must agree.
    static func nameCandidate(_ name: String, path lowerPath: String) -> ArtifactKind? {
        // Program sources, unit files and templates are never command output, whatever their names.
        if Self.codeSuffixes.contains(where: { name.hasSuffix($0) }) { return nil }
        let stem = name.hasSuffix(".txt") || name.hasSuffix(".log") ? String(name.dropLast(4)) : name
        if stem.hasPrefix("sysctl") { return name.hasSuffix(".json") ? .sysctlJSON : .sysctl }
        if stem.hasPrefix("dmesg") || stem.hasPrefix("journalctl-k") || stem.hasPrefix("journalctl_-k")
            || stem.hasPrefix("kern.log") || stem.hasPrefix("kern") && name.hasSuffix(".log") { return .dmesg }
        if stem.hasPrefix("journalctl") || stem == "journal" || stem.hasPrefix("syslog") || stem.hasPrefix("messages") { return .syslog }
        if lowerPath.has("coredns") || name.has("kube-dns") || lowerPath.has("node-local-dns") { return .corednsLog }
        if stem.hasPrefix("fio") { return .fio }
        if stem.has("resolv") { return .resolvConf }
        if stem.hasPrefix("tracepath") || stem.hasPrefix("traceroute") { return .tracepath }
        if stem.hasPrefix("ping") { return .ping }
        if stem.hasPrefix("proc-stat") || stem.hasPrefix("proc_stat") { return .procStat }
        if stem.has("softnet") { return .softnetStat }
        if stem.hasPrefix("proc-net-stat-nf_conntrack") || stem.hasPrefix("conntrack-s") || stem.hasPrefix("conntrack-c")
            || stem.hasPrefix("conntrack_-s") || stem.hasPrefix("conntrack_-c") || stem == "nf_conntrack" { return .conntrackStats }
        if stem.hasPrefix("iptables") || stem.hasPrefix("ip6tables") { return stem.has("count") ? .iptablesCounts : .iptables }
        if stem.hasPrefix("ipvsadm") { return .ipvs }
        if stem.hasPrefix("kube-proxy") || stem.hasPrefix("kube_proxy") { return .kubeProxy }
        if stem.hasPrefix("kubelet") && stem.has("config") { return .kubeletConfig }
        if stem.hasPrefix("proc-net-snmp") || stem.hasPrefix("proc-net-netstat") || stem == "snmp" || stem == "netstat" || stem == "snmp6" { return .snmp }
        if stem.hasPrefix("nstat") { return .nstat }
        if stem.hasPrefix("sockstat") || stem.hasPrefix("proc-net-sockstat") { return .sockstat }
        if stem.hasPrefix("ss-") || stem.hasPrefix("ss_") || stem == "ss" { return .ss }
        if stem.hasPrefix("tcpdump") || stem.has(".tcpdump-stderr") { return .tcpdumpStats }
        if stem == "hostname" { return .hostname }
        if stem == "uname" || stem.hasPrefix("uname-a") || stem.hasPrefix("uname_-a") || stem.hasPrefix("uname-r") { return .uname }
        let words = stem.replacingAll("_", with: "-")
        if words.hasPrefix("ip-") || words.hasPrefix("ip.") {
            if words.has("link") { return .ipLink }
            if words.has("addr") { return .ipAddress }
            if words.has("route") || words.hasSuffix("-r") { return .ipRoute }
        }
        return nil
    }
}

/// What the first lines of a text look like, kind by kind: cheap tests on at most 20 lines of the
/// first 4 KiB (docs/layouts.md lists them).
struct ContentSniff {
    let head: String
    /// Up to 20 non-empty lines that are not comments, trimmed (split on bytes: this runs for every file).
    var lines: [Substring] {
        if let cached = cache.lines { return cached }
        var out: [Substring] = []
        for raw in head.utf8.split(separator: UInt8(ascii: "\n"), maxSplits: 40) {
            let line = Substring(raw).trimmed
            guard let first = line.utf8.first, first != UInt8(ascii: "#") else { continue }
            out.append(line)
            if out.count == 20 { break }
        }
        cache.lines = out
        return out
    }

    final class Cache: @unchecked Sendable { var lines: [Substring]? }
    private let cache = Cache()

    init(_ head: String) {
        self.head = head
    }

    static let sysctlRoots: Set<Substring> = ["net", "kernel", "vm", "fs", "dev", "user", "abi", "debug", "crypto", "sunrpc"]

    /// `net.ipv4.ip_forward = 1`, `/proc/sys/net/ipv4/ip_forward = 1`, or a lone value (a copied
    /// `/proc/sys` file, which only its path names).
    static func sysctlLine(_ l: Substring) -> Bool {
        guard let eq = l.firstIndex(of: "=") else { return false }
        var key = l[..<eq].trimmed
        if key.hasPrefix("/proc/sys/") { key = key.dropFirst(10) }
        let root = key.split(whereSeparator: { $0 == "." || $0 == "/" }).first ?? ""
        return Self.sysctlRoots.contains(root) && (key.contains(".") || key.contains("/")) && !key.contains(" ")
    }

    static func dmesgLine(_ l: Substring) -> Bool {
        if l.first == "[", let close = l.firstIndex(of: "]") {
            let inside = l[l.index(after: l.startIndex)..<close].trimmed
            if !inside.isEmpty, inside.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { return true }  // [ 12.345678]
            if inside.fields.count >= 4, inside.contains(":") { return true }  // dmesg -T
        }
        if l.has(" kernel: ") { return true }  // syslog, journal
        if l.hasPrefix("kern  :") || l.hasPrefix("kern :") { return true }  // dmesg -x
        return false
    }

    /// How many of the sampled lines pass `test`.
    func count(_ test: (Substring) -> Bool) -> Int { lines.reduce(0) { $0 + (test($1) ? 1 : 0) } }

    /// At least half the sampled lines (and one) pass.
    func mostly(_ test: (Substring) -> Bool) -> Bool {
        let n = count(test)
        return n >= 1 && n * 2 >= lines.count
    }

    func looks(like kind: ArtifactKind) -> Bool {
        switch kind {
        case .sysctl:
            // A copied /proc/sys file holds only the value.
            if lines.count == 1, !lines[0].contains("=") { return true }
            return mostly(Self.sysctlLine)
        case .sysctlJSON: return head.first(where: { !$0.isWhitespace }) == "{" && head.has("\"net.")
        case .interfacesJSON: return head.first(where: { !$0.isWhitespace }) == "[" && head.has("\"MTU\"")
        case .dnsDebugJSON: return head.first(where: { !$0.isWhitespace }) == "{" && head.has("\"podResolvConf\"")
        case .dmesg: return count(Self.dmesgLine) >= 1 || lines.contains { $0.hasPrefix("-- Logs begin") || $0.hasPrefix("-- Journal begins") }
        case .syslog:
            // A system log: `Mon DD HH:MM:SS host prog[pid]: …`, ISO stamps, or the journal's header.
            return lines.contains { $0.hasPrefix("-- Logs begin") || $0.hasPrefix("-- Journal begins") || $0.hasPrefix("-- No entries") }
                || mostly { l in
                    let f = l.fields
                    guard f.count >= 4 else { return false }
                    if f[0].count == 3, f[0].first?.isLetter == true, f[1].allSatisfy(\.isNumber), f[2].filter({ $0 == ":" }).count == 2 { return true }
                    return f[0].count >= 19 && f[0].first?.isNumber == true && f[0].contains("T") && f[0].contains(":")
                }
        case .corednsLog:
            return head.has("plugin/") || head.has("CoreDNS-") || head.has("[INFO] ") && (head.has(" NOERROR ") || head.has(" NXDOMAIN ")
                || head.has(" SERVFAIL ") || head.has(" REFUSED ")) || head.has("[ERROR] ")
        case .fio:
            return head.has("\"fio version\"") || head.has("fio-") && (head.has("(groupid=") || head.has("sync percentiles") || head.has("clat"))
                || head.has("fsync/fdatasync") || head.has("\"fsyncPercentiles\"") || head.has("\"p99\"")
        case .ipLink, .ipAddress:
            return count { l in
                guard let colon = l.firstIndex(of: ":"), l[..<colon].allSatisfy(\.isNumber), !l[..<colon].isEmpty else { return false }
                return l.has(" mtu ") || l.has("<")
            } >= 1
        case .ipRoute:
            return mostly { l in
                let first = l.fields.first ?? ""
                let routeStart = first == "default" || first == "local" || first == "broadcast" || first == "unreachable" || first == "blackhole"
                    || first == "prohibit" || first == "multicast" || first == "anycast" || first == "throw"
                    || first.first.map { $0.isHexDigit || $0 == ":" } == true && (first.contains(".") || first.contains(":"))
                return routeStart && (l.has(" dev ") || l.has(" via ") || l.has(" proto ") || first == "unreachable" || first == "blackhole")
            }
        case .resolvConf:
            return count { l in
                let w = l.fields.first ?? ""
                return w == "nameserver" || w == "search" || w == "options" || w == "domain"
            } >= 1
        case .procStat: return lines.contains { $0.hasPrefix("cpu ") && $0.fields.count >= 8 }
        case .softnetStat: return mostly { l in l.fields.count >= 9 && l.fields.allSatisfy { $0.count == 8 && $0.allSatisfy(\.isHexDigit) } }
        case .snmp:
            return lines.contains { $0.hasPrefix("Ip: ") || $0.hasPrefix("Tcp: ") || $0.hasPrefix("TcpExt: ") || $0.hasPrefix("Ip6") || $0 == "Ip:" || $0 == "Tcp:" }
        case .nstat:
            return lines.contains { $0.hasPrefix("#kernel") } || head.has("#kernel") || mostly { l in
                let f = l.fields
                return f.count >= 2 && f[0].first?.isLetter == true && f[0].first?.isUppercase == true && f[1].allSatisfy(\.isNumber)
            }
        case .sockstat: return lines.contains { $0.hasPrefix("sockets: used") || $0.hasPrefix("TCP: inuse") }
        case .ss: return lines.contains { $0.hasPrefix("Total:") || $0.hasPrefix("State") || $0.hasPrefix("Netid") || $0.hasPrefix("ESTAB") || $0.hasPrefix("TCP:") }
        case .conntrackStats:
            return lines.contains { $0.hasPrefix("entries") || $0.hasPrefix("cpu=") } || lines.count == 1 && lines[0].allSatisfy(\.isNumber)
                || mostly { l in l.fields.count >= 10 && l.fields.allSatisfy { $0.allSatisfy(\.isHexDigit) } }
        case .iptables:
            return lines.contains { $0.hasPrefix("*filter") || $0.hasPrefix("*nat") || $0.hasPrefix("*mangle") || $0.hasPrefix("*raw")
                || $0.hasPrefix(":") || $0.hasPrefix("-A ") || $0.hasPrefix("Chain ") || $0.hasPrefix("# Generated by iptables") }
                || head.has("# Generated by ip") || head.has("Chain ")
        case .ipvs: return head.has("IP Virtual Server")
        case .kubeProxy: return head.has("kube-proxy") || head.has("proxy mode") || head.has("proxier") || head.has("Proxier") || head.has("mode:")
        case .kubeletConfig: return head.has("KubeletConfiguration") || head.has("clusterDNS")
        case .hostname: return lines.count == 1 && HostnameFile.isHostName(lines[0].trimmed)
        case .uname:
            guard lines.count == 1 else { return false }
            var u = UnameOutput()
            u.feed(lines[0], number: 1)
            return u.kernelRelease != nil
        case .tcpdumpStats: return head.has("packets captured") || head.has("listening on") || head.has("dropped by kernel")
        case .tracepath: return lines.contains { $0.hasPrefix("traceroute") || $0.has("pmtu ") || $0.hasPrefix("1?:") || $0.has("Resume: pmtu") }
        case .ping: return lines.contains { $0.hasPrefix("PING ") || $0.has(" bytes from ") || $0.has("Message too long") || $0.has("Frag needed") }
        case .iptablesCounts: return true  // the collector's own summary: its name is enough
        case .capture, .manifest, .text, .binary, .redaction: return false
        }
    }

    /// The kind the content alone shows, for the kinds whose first lines say so unambiguously.
    var kind: ArtifactKind? {
        if head.has("\"fio version\"") { return .fio }
        if lines.count >= 3, mostly(Self.sysctlLine) { return .sysctl }
        if lines.count >= 3, count(Self.dmesgLine) >= 3 { return .dmesg }
        if lines.contains(where: { $0.has("[INFO] plugin/") || $0.has("[ERROR] plugin/errors") }) { return .corednsLog }
        if lines.contains(where: { $0.hasPrefix("traceroute") || $0.has("pmtu ") && $0.has("LOCALHOST") }) { return .tracepath }
        if head.has("IP Virtual Server version") { return .ipvs }
        return nil
    }
}
