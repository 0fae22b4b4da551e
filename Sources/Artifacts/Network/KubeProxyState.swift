/// What a node says about kube-proxy: its mode (from its command line, its `/proxyMode`
/// answer or its configmap) and how many Services its rules implement.
public struct KubeProxyState: Sendable, Equatable, LineParser {
    /// `iptables`, `ipvs`, `nftables`, or `iptables` for an empty `mode:` (the Linux default).
    public private(set) var mode: String?
    public private(set) var modeLine: SourceLine?
    /// How sure the mode is: the running process's `/proxyMode` answer (3) beats its command
    /// line (2), which beats a configmap (1).
    var modeRank = 0
    /// `KUBE-SVC-*` chains declared in an `iptables-save` (one per Service port with endpoints).
    public private(set) var serviceChains = 0
    /// Virtual services in `ipvsadm -Ln`.
    public private(set) var ipvsServices = 0
    /// From the collector's counts file: `FILE all kube-svc-chains N`.
    public private(set) var countedServiceChains: Int?
    public private(set) var countedLine: SourceLine?
    /// The files `modeLine` and `countedLine` are in, set when states of several files are merged.
    public private(set) var modeFile: String?
    public private(set) var countedFile: String?

    /// Rules that discarded packets (`DROP`/`REJECT` with non-zero counters), the first `maxDropRules`.
    public private(set) var dropRules: [FilterRule] = []
    public static let maxDropRules = 64
    /// The chain an `iptables -nvL` listing is in.
    var listChain = ""

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        if raw.hasPrefix(":KUBE-SVC-") { serviceChains += 1; return }
        // `iptables -t nat -nvL` (sosreport's iptables_-t_nat_-nvL): `Chain KUBE-SVC-… (1 references)`.
        if raw.hasPrefix("Chain KUBE-SVC-") { serviceChains += 1; listChain = ""; return }
        if raw.hasPrefix("Chain ") {
            listChain = raw.fields.dropFirst().first.map(String.init) ?? ""
            return
        }
        if dropRules.count < Self.maxDropRules, raw.has("DROP") || raw.has("REJECT") {
            let rule = raw.first == "[" ? FilterRule.saveLine(raw, number: number)
                : listChain.isEmpty ? nil : FilterRule.listLine(raw, chain: listChain, number: number)
            if let rule {
                dropRules.append(rule)
                return
            }
        }
        // kube-proxy's own log says which proxier it runs: that beats any configuration.
        if let said = Self.modeFromLog(raw) {
            setMode(said, SourceLine(number: number, text: String(raw)), rank: 3)
            return
        }
        if raw.hasPrefix("-A ") { return }
        let f = raw.fields
        guard let first = f.first else { return }
        if ["TCP", "UDP", "SCTP", "FWM"].contains(first), f.count >= 3 { ipvsServices += 1; return }
        let line = SourceLine(number: number, text: String(raw))
        if f.count == 4, f[1] == "all", f[2] == "kube-svc-chains", let n = Int(f[3]) {
            if n > (countedServiceChains ?? -1) { countedServiceChains = n; countedLine = line }
            return
        }
        if f.count == 1, ["iptables", "ipvs", "nftables", "kernelspace", "userspace"].contains(first) {
            setMode(String(first), line, rank: 3)  // the /proxyMode answer
            return
        }
        for field in f where field.hasPrefix("--proxy-mode") {
            let value = field.split(separator: "=").dropFirst().first ?? ""
            setMode(value.isEmpty ? "iptables" : String(value), line, rank: 2)
        }
        if first == "mode:" {
            let value = f.count > 1 ? f[1].filter { $0 != "\"" && $0 != "'" } : ""
            setMode(value.isEmpty ? "iptables" : value, line, rank: 1)
        }
    }

    /// The proxier kube-proxy's log says it uses: "Unknown proxy mode, assuming iptables proxy"
    /// (an empty or unknown mode), "Using iptables Proxier", "Using ipvs Proxier",
    /// "Using iptables proxy" / "Using nftables proxy" (klog structured, newer releases).
    static func modeFromLog(_ line: Substring) -> String? {
        if line.has("Unknown proxy mode") && line.has("assuming iptables proxy") { return "iptables" }
        guard let r = line.byteRange(of: "Using ") else { return nil }
        let words = line[r.upperBound...].fields
        guard words.count >= 2, words[1].hasPrefix("Proxier") || words[1].hasPrefix("proxy") else { return nil }
        let mode = words[0].lowercased()
        return ["iptables", "ipvs", "nftables", "kernelspace", "userspace"].contains(mode) ? mode : nil
    }

    mutating func setMode(_ value: String, _ line: SourceLine?, rank: Int) {
        guard rank >= modeRank else { return }
        mode = value
        modeLine = line
        modeRank = rank
    }

    public mutating func merge(_ other: KubeProxyState, file: String) {
        if let m = other.mode, other.modeRank >= modeRank {
            setMode(m, other.modeLine, rank: other.modeRank)
            modeFile = file
        }
        for var r in other.dropRules.prefix(Self.maxDropRules - dropRules.count) {
            r.file = file
            dropRules.append(r)
        }
        serviceChains = max(serviceChains, other.serviceChains)
        ipvsServices = max(ipvsServices, other.ipvsServices)
        if let n = other.countedServiceChains, n > (countedServiceChains ?? -1) {
            countedServiceChains = n
            countedLine = other.countedLine
            countedFile = file
        }
    }
}
