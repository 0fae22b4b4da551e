import Artifacts

/// Turns the text artifacts of a bundle into typed facts (the combiner between parsers and
/// checks). Files stream through line by line; each kind goes to its parser, and every line is
/// also scanned for path-MTU evidence. A source that was not in the bundle leaves its member of
/// `Facts` nil or empty.
public struct FactsBuilder: Sendable {
    public static let maxKernelEvents = 50_000
    public static let maxPathMTULines = 10_000
    /// fio output is parsed whole; a larger file is not (fio JSON for a few jobs is kilobytes).
    public static let maxFioBytes = 16 << 20

    public var facts = Facts()
    var path = ""
    var kind = ArtifactKind.text
    /// The current file's line parser, when its kind has one.
    var parser: (any LineParser)?
    /// Kinds that are not parsed into one value: accumulated into `facts` line by line, or (fio) read whole.
    var special = Special.none
    var nonEmptyLines = 0
    var linksScore = (0, 0)

    enum Special: Sendable {
        case none, dmesg, coredns
        case fio(String, truncated: Bool)
    }

    public init() {}

    /// Parses a whole text at once (examples, tests); returns a problem with it, if any.
    @discardableResult
    public mutating func add(path: String, kind: ArtifactKind, text: String) -> String? {
        begin(path: path, kind: kind)
        var n = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            feed(line, number: n)
        }
        return end()
    }

    public mutating func begin(path: String, kind: ArtifactKind) {
        self.path = path
        self.kind = kind
        nonEmptyLines = 0
        special = .none
        parser = Self.parser(for: kind)
        switch kind {
        case .dmesg: special = .dmesg
        case .corednsLog:
            special = .coredns
            facts.coreDNS.files.append(path)
        case .fio: special = .fio("", truncated: false)
        case .iptables, .iptablesCounts, .ipvs, .kubeProxy: facts.kubeProxyFiles.append(path)
        default: break
        }
    }

    static func parser(for kind: ArtifactKind) -> (any LineParser)? {
        switch kind {
        case .sysctl: SysctlSettings()
        case .ipLink, .ipAddress: LinkTable()
        case .ipRoute: RouteTable()
        case .resolvConf: ResolvConf()
        case .procStat: ProcStat()
        case .conntrackStats: ConntrackStats()
        case .snmp, .nstat: NetCounters()
        case .softnetStat: SoftnetStat()
        case .ss: SocketSummary()
        case .tcpdumpStats: TcpdumpStats()
        case .iptables, .iptablesCounts, .ipvs, .kubeProxy: KubeProxyState()
        default: nil
        }
    }

    public mutating func feed(_ line: Substring, number: Int) {
        if !line.isEmpty { nonEmptyLines += 1 }
        if facts.pathMTULines.count < Self.maxPathMTULines, let m = PathMTUTextMatch.scan(line) {
            facts.pathMTULines.append(TextEvidence(file: path, line: number, text: String(line), match: m))
        }
        parser?.feed(line, number: number)
        switch special {
        case .none: break
        case .dmesg: kernelLine(line, number: number)
        case .coredns: coreDNSLine(line, number: number)
        case .fio(var text, let truncated):
            special = .none  // keep `text` uniquely referenced while it grows
            let over = text.utf8.count + line.utf8.count >= Self.maxFioBytes
            if !over { text += line; text += "\n" }
            special = .fio(text, truncated: truncated || over)
        }
    }

    mutating func kernelLine(_ line: Substring, number: Int) {
        let normalized = KernelLogLine(line)
        guard let event = KernelEvent.match(normalized.message) else { return }
        guard facts.kernelEvents.count < Self.maxKernelEvents else { facts.kernelEventsDropped += 1; return }
        facts.kernelEvents.append(TextEvidence(file: path, line: number, text: String(line),
                                               match: KernelLogEvent(event: event, time: normalized.time)))
    }

    mutating func coreDNSLine(_ line: Substring, number: Int) {
        switch CoreDNSLogLine.parse(line) {
        case .query(let q): facts.coreDNS.add(q, file: path, line: number, text: String(line))
        case .error(let e): facts.coreDNS.add(e, file: path, line: number, text: String(line))
        case .consolidated, .other: break
        }
    }

    /// Finishes the current file; returns a problem to report, if its content was unusable.
    public mutating func end() -> String? {
        defer { parser = nil; special = .none }
        let unrecognised = nonEmptyLines > 0 ? "no \(kind.rawValue) content recognised in \(nonEmptyLines) lines: not used" : nil
        if case .fio(let text, let truncated) = special {
            if truncated { return "fio output larger than \(Self.maxFioBytes >> 20) MiB: not read" }
            guard nonEmptyLines > 0 else { return nil }
            do { facts.fio.append(Sourced(file: path, value: try FioResult.parse(text))) } catch {
                return error.description
            }
            return nil
        }
        switch parser {
        case let p as SysctlSettings:
            guard !p.isEmpty else { return unrecognised }
            if (facts.sysctl?.value.entries.count ?? 0) < p.entries.count { facts.sysctl = Sourced(file: path, value: p) }
        case let p as LinkTable:
            guard !p.devices.isEmpty else { return unrecognised }
            // `ip -d link` beats `ip addr`; among equals the one that knows more device kinds.
            let score = (kind == .ipLink ? 1 : 0, p.devices.filter { $0.kind != nil }.count)
            if facts.links == nil || score > linksScore {
                facts.links = Sourced(file: path, value: p)
                linksScore = score
            }
        case let p as RouteTable:
            if !p.routes.isEmpty { facts.routes.append(Sourced(file: path, value: p)) }
        case let p as ResolvConf:
            guard !p.isEmpty else { return unrecognised }
            facts.resolvConfs.append(Sourced(file: path, value: p))
        case let p as ProcStat:
            guard p.cpu != nil else { return unrecognised }
            facts.procStats.append(Sourced(file: path, value: p))
            facts.procStats.sort { ($0.value.cpu?.total ?? 0) < ($1.value.cpu?.total ?? 0) }
        case let p as ConntrackStats:
            guard !p.isEmpty else { return nonEmptyLines > 1 ? unrecognised : nil }
            facts.conntrack = facts.conntrack.map { Sourced(file: $0.file, value: $0.value.merged(with: p)) } ?? Sourced(file: path, value: p)
        case let p as NetCounters:
            if !p.values.isEmpty { facts.counters.append(Sourced(file: path, value: p)) }
        case let p as SoftnetStat:
            if p.cpus > 0 { facts.softnet = Sourced(file: path, value: p) }
        case let p as SocketSummary:
            if p.line != nil { facts.sockets = Sourced(file: path, value: p) }
        case let p as KubeProxyState:
            facts.kubeProxy.merge(p, file: path)
        case let p as TcpdumpStats:
            if !p.lines.isEmpty { facts.tcpdumpStats.append(Sourced(file: path, value: p)) }
        default:
            break
        }
        return nil
    }
}
