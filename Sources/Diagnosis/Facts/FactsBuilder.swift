import Artifacts

/// Turns the text artifacts of a bundle into typed facts (the combiner between parsers and
/// checks). Files stream through line by line; each kind goes to its parser, and every line is
/// also scanned for path-MTU evidence. Which sources were present is recorded in `facts.sources`.
public struct FactsBuilder: Sendable {
    public static let maxKernelEvents = 50_000
    public static let maxPathMTULines = 10_000
    /// fio output is parsed whole; a larger file is not (fio JSON for a few jobs is kilobytes).
    public static let maxFioBytes = 16 << 20

    public var facts = Facts()
    var path = ""
    var kind = ArtifactKind.text
    var parse = FileParse.none
    var nonEmptyLines = 0
    var linksScore = (0, 0)

    enum FileParse: Sendable {
        case none, dmesg, coredns
        case sysctl(SysctlSettings)
        case fio(String, truncated: Bool)
        case links(LinkTable)
        case routes(RouteTable)
        case resolv(ResolvConf)
        case procStat(ProcStat)
        case conntrack(ConntrackStats)
        case counters(NetCounters)
        case softnet(SoftnetStat)
        case sockets(SocketSummary)
        case kubeProxy(KubeProxyState)
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
        facts.sources.insert(kind)
        switch kind {
        case .sysctl: parse = .sysctl(SysctlSettings())
        case .dmesg: parse = .dmesg
        case .corednsLog:
            parse = .coredns
            facts.coreDNS.files.append(path)
        case .fio: parse = .fio("", truncated: false)
        case .ipLink, .ipAddress: parse = .links(LinkTable())
        case .ipRoute: parse = .routes(RouteTable())
        case .resolvConf: parse = .resolv(ResolvConf())
        case .procStat: parse = .procStat(ProcStat())
        case .conntrackStats: parse = .conntrack(ConntrackStats())
        case .snmp, .nstat: parse = .counters(NetCounters())
        case .softnetStat: parse = .softnet(SoftnetStat())
        case .ss: parse = .sockets(SocketSummary())
        case .iptables, .iptablesCounts, .ipvs, .kubeProxy:
            parse = .kubeProxy(KubeProxyState())
            facts.kubeProxyFiles.append(path)
        default: parse = .none
        }
    }

    public mutating func feed(_ line: Substring, number: Int) {
        if !line.isEmpty { nonEmptyLines += 1 }
        if facts.pathMTULines.count < Self.maxPathMTULines, let m = PathMTUTextMatch.scan(line) {
            facts.pathMTULines.append(TextEvidence(file: path, line: number, text: String(line), match: m))
        }
        switch parse {
        case .none: break
        case .dmesg: kernelLine(line, number: number)
        case .coredns: coreDNSLine(line, number: number)
        case .sysctl(var p): parse = .none; p.feed(line, number: number); parse = .sysctl(p)
        case .fio(var text, let truncated):
            parse = .none
            let over = text.utf8.count + line.utf8.count >= Self.maxFioBytes
            if !over { text += line; text += "\n" }
            parse = .fio(text, truncated: truncated || over)
        case .links(var p): parse = .none; p.feed(line, number: number); parse = .links(p)
        case .routes(var p): parse = .none; p.feed(line, number: number); parse = .routes(p)
        case .resolv(var p): parse = .none; p.feed(line, number: number); parse = .resolv(p)
        case .procStat(var p): parse = .none; p.feed(line, number: number); parse = .procStat(p)
        case .conntrack(var p): parse = .none; p.feed(line, number: number); parse = .conntrack(p)
        case .counters(var p): parse = .none; p.feed(line, number: number); parse = .counters(p)
        case .softnet(var p): parse = .none; p.feed(line, number: number); parse = .softnet(p)
        case .sockets(var p): parse = .none; p.feed(line, number: number); parse = .sockets(p)
        case .kubeProxy(var p): parse = .none; p.feed(line, number: number); parse = .kubeProxy(p)
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
        case .consolidated(let n, _): facts.coreDNS.errorCount += n
        case .other: break
        }
    }

    /// Finishes the current file; returns a problem to report, if its content was unusable.
    public mutating func end() -> String? {
        defer { parse = .none }
        let unrecognised = nonEmptyLines > 0 ? "no \(kind.rawValue) content recognised in \(nonEmptyLines) lines: not used" : nil
        switch parse {
        case .none, .dmesg, .coredns: return nil
        case .sysctl(let p):
            guard !p.isEmpty else { return unrecognised }
            if (facts.sysctl?.value.entries.count ?? 0) < p.entries.count { facts.sysctl = Sourced(file: path, value: p) }
        case .fio(let text, let truncated):
            if truncated { return "fio output larger than \(Self.maxFioBytes >> 20) MiB: not read" }
            guard nonEmptyLines > 0 else { return nil }
            do { facts.fio.append(Sourced(file: path, value: try FioResult.parse(text))) } catch {
                return error.description
            }
        case .links(let p):
            guard !p.devices.isEmpty else { return unrecognised }
            // `ip -d link` beats `ip addr`; among equals the one that knows more device kinds.
            let score = (kind == .ipLink ? 1 : 0, p.devices.filter { $0.kind != nil }.count)
            if facts.links == nil || score > linksScore {
                facts.links = Sourced(file: path, value: p)
                linksScore = score
            }
        case .routes(let p):
            if !p.routes.isEmpty { facts.routes.append(Sourced(file: path, value: p)) }
        case .resolv(let p):
            guard !p.isEmpty else { return unrecognised }
            facts.resolvConfs.append(Sourced(file: path, value: p))
        case .procStat(let p):
            guard p.cpu != nil else { return unrecognised }
            facts.procStats.append(Sourced(file: path, value: p))
            facts.procStats.sort { ($0.value.cpu?.total ?? 0) < ($1.value.cpu?.total ?? 0) }
        case .conntrack(let p):
            guard !p.isEmpty else { return nonEmptyLines > 1 ? unrecognised : nil }
            facts.conntrack = facts.conntrack.map { Sourced(file: $0.file, value: $0.value.merged(with: p)) } ?? Sourced(file: path, value: p)
        case .counters(let p):
            if !p.values.isEmpty { facts.counters.append(Sourced(file: path, value: p)) }
        case .softnet(let p):
            if p.cpus > 0 { facts.softnet = Sourced(file: path, value: p) }
        case .sockets(let p):
            if p.line != nil { facts.sockets = Sourced(file: path, value: p) }
        case .kubeProxy(let p):
            facts.kubeProxy.merge(p, file: path)
        }
        return nil
    }
}
