import Artifacts
import Wire

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
        parser = kind == .sysctl ? SysctlSettings(pathKey: SysctlSettings.key(fromPath: path)) : Self.parser(for: kind)
        switch kind {
        case .dmesg, .syslog: special = .dmesg
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
        case .sockstat: SocketStat()
        case .tcpdumpStats: TcpdumpStats()
        case .hostname: HostnameFile()
        case .uname: UnameOutput()
        case .iptables, .iptablesCounts, .ipvs, .kubeProxy: KubeProxyState()
        default: nil
        }
    }

    /// One scan per line finds the keywords of every consumer at once (`ByteNeedles`).
    static let needles = ByteNeedles(PathMTUTextMatch.needles + KernelEvent.needles)
    static let pathMTUHits: UInt64 = (1 << UInt64(PathMTUTextMatch.needles.count)) - 1
    static let kernelHits: UInt64 = ((1 << UInt64(KernelEvent.needles.count)) - 1) << UInt64(PathMTUTextMatch.needles.count)

    /// Feeds one line as text (tests, `add`); the same as feeding its UTF-8 bytes.
    public mutating func feed(_ line: Substring, number: Int) {
        var copy = String(line)
        copy.withUTF8 { feed(bytes: $0, number: number) }
    }

    /// Feeds one line's bytes: a line none of the current consumers can use is counted and
    /// dropped without becoming a string; the text is built once for those that can.
    public mutating func feed(bytes line: UnsafeBufferPointer<UInt8>, number: Int) {
        if !line.isEmpty { nonEmptyLines += 1 }
        if case .coredns = special, coreDNSLine(line, number: number) { return }
        let hits = Self.needles.scan(line)
        var wanted = parser != nil || (hits & Self.pathMTUHits != 0 && facts.pathMTULines.count < Self.maxPathMTULines)
        switch special {
        case .none: break
        case .dmesg: wanted = wanted || hits & Self.kernelHits != 0
        case .fio: wanted = true
        case .coredns: break  // an errors-plugin line was read above
        }
        guard wanted else { return }
        let text = String(decoding: line, as: UTF8.self)
        let substring = text[...]
        if hits & Self.pathMTUHits != 0, facts.pathMTULines.count < Self.maxPathMTULines, let m = PathMTUTextMatch.scan(substring) {
            facts.pathMTULines.append(TextEvidence(file: path, line: number, text: text, match: m))
        }
        parser?.feed(substring, number: number)
        switch special {
        case .none, .coredns: break
        case .dmesg: if hits & Self.kernelHits != 0 { kernelLine(substring, number: number) }
        case .fio(var fio, let truncated):
            special = .none  // keep `fio` uniquely referenced while it grows
            let over = fio.utf8.count + line.count >= Self.maxFioBytes
            if !over { fio += text; fio += "\n" }
            special = .fio(fio, truncated: truncated || over)
        }
    }

    mutating func kernelLine(_ line: Substring, number: Int) {
        // A whole system log: only the kernel's lines (`host kernel: …`).
        if kind == .syslog, line.byteRange(of: "kernel:") == nil { return }
        let normalized = KernelLogLine(line)
        guard let event = KernelEvent.match(normalized.message) else { return }
        guard facts.kernelEvents.count < Self.maxKernelEvents else { facts.kernelEventsDropped += 1; return }
        facts.kernelEvents.append(TextEvidence(file: path, line: number, text: String(line),
                                               match: KernelLogEvent(event: event, time: normalized.time)))
    }

    /// Reads a CoreDNS log line: a query is counted, an `errors` line kept. Whether it was a query
    /// (a record of one query: nothing else to look for in it).
    mutating func coreDNSLine(_ line: UnsafeBufferPointer<UInt8>, number: Int) -> Bool {
        // A local, not a stored property: passing a property of `self` to a mutation of `self`
        // would copy it for every line.
        var fields = CoreDNSQueryFields()
        switch CoreDNSLogLine.scan(bytes: line, into: &fields) {
        case .query:
            facts.coreDNS.add(&fields, bytes: line, file: path, line: number)
            return true
        case .error(let rest):
            if case .error(let e) = CoreDNSLogLine.errorLine(bytes: line, rest) {
                facts.coreDNS.add(e, file: path, line: number, text: String(decoding: line, as: UTF8.self))
            }
            return false
        case .other:
            return false
        }
    }

    /// Several sources of sysctl values (sysctl -a, copied /proc/sys files, Troubleshoot's JSON)
    /// make one set: the largest source is the main one, and the others add the keys it lacks,
    /// each keeping its own file as evidence.
    mutating func addSysctl(_ p: SysctlSettings) {
        guard var current = facts.sysctl else {
            facts.sysctl = Sourced(file: path, value: p)
            return
        }
        if current.value.entries.count < p.entries.count {
            var bigger = p
            bigger.merge(current.value, file: current.file)
            facts.sysctl = Sourced(file: path, value: bigger)
        } else {
            current.value.merge(p, file: path)
            facts.sysctl = current
        }
    }

    /// A whole JSON document (`ArtifactKind.isWholeDocument`); returns a problem with it, if any.
    public mutating func addDocument(path: String, kind: ArtifactKind, bytes: [UInt8]) -> String? {
        self.path = path
        self.kind = kind
        switch kind {
        case .sysctlJSON:
            do {
                let s = try SysctlSettings.parseJSONObject(bytes)
                guard !s.isEmpty else { return "no sysctl keys in the JSON object: not used" }
                addSysctl(s)
            } catch { return error.description }
        case .interfacesJSON:
            guard let t = LinkTable.parseGoInterfaces(bytes) else { return "not a JSON array of interfaces with Name and MTU: not used" }
            // `ip -d link` knows more (kinds, lower devices): the JSON is used only without it.
            if facts.links == nil || linksScore < (0, 0) {
                facts.links = Sourced(file: path, value: t)
                linksScore = (-1, 0)
            }
        case .dnsDebugJSON:
            let resolv: ResolvConf
            switch ResolvConf.parseTroubleshootDNSDebug(bytes) {
            case .success(let r): resolv = r
            case .failure(let problem): return problem.description
            }
            // `finish` drops it when dns/debug.txt beside it holds the same settings.
            facts.resolvConfs.append(Sourced(file: path, value: resolv))
        default:
            return nil
        }
        return nil
    }

    /// What is done once every file is in. The same kernel message in several logs of the node
    /// (dmesg, kern.log, a journal dump, /var/log/messages) is one event, not one per copy: per
    /// message text, the events of the file holding the most copies are kept and the other files'
    /// copies of it dropped (a log covering less time never adds to one covering more). Then the
    /// combining stage (`Facts.combine`) joins each capture with the rest, so captures go in first.
    public mutating func finish() {
        defer { facts.combine() }
        // Troubleshoot's dns/debug.json repeats dns/debug.txt's resolv.conf: the text copy is cited.
        let resolvConfs = facts.resolvConfs
        facts.resolvConfs.removeAll { j in
            j.file.hasSuffix(".json") && resolvConfs.contains { !$0.file.hasSuffix(".json") && $0.value.sameSettings(as: j.value) }
        }
        guard Set(facts.kernelEvents.map(\.file)).count > 1 else { return }
        var perFile: [String: [String: Int]] = [:]
        for e in facts.kernelEvents { perFile[String(KernelLogLine(e.text[...]).message), default: [:]][e.file, default: 0] += 1 }
        var keep: [String: String] = [:]
        for (message, files) in perFile {
            keep[message] = files.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
        }
        let before = facts.kernelEvents.count
        facts.kernelEvents.removeAll { keep[String(KernelLogLine($0.text[...]).message)] != $0.file }
        facts.kernelEventsDuplicates += before - facts.kernelEvents.count
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
            addSysctl(p)
        case let p as LinkTable:
            guard !p.devices.isEmpty else { return unrecognised }
            for d in p.devices {
                for a in d.addresses {
                    guard let ip = IPAddress(a.address), !facts.addresses.contains(where: { $0.address == ip }) else { continue }
                    facts.addresses.append(NodeAddress(address: ip, prefixLength: a.prefixLength, device: d.name, file: path, line: a.line))
                }
            }
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
        case let p as SocketStat:
            guard p.line != nil else { return unrecognised }
            if facts.sockstat == nil { facts.sockstat = Sourced(file: path, value: p) }
        case let p as KubeProxyState:
            facts.kubeProxy.merge(p, file: path)
        case let p as TcpdumpStats:
            if !p.lines.isEmpty { facts.tcpdumpStats.append(Sourced(file: path, value: p)) }
        case let p as HostnameFile:
            guard let name = p.name, let line = p.line else { return unrecognised }
            if facts.hostname == nil { facts.hostname = Sourced(file: path, value: HostFact(value: name, line: line)) }
        case let p as UnameOutput:
            guard let release = p.kernelRelease, let line = p.line else { return unrecognised }
            if facts.kernelRelease == nil { facts.kernelRelease = Sourced(file: path, value: HostFact(value: release, line: line)) }
            if facts.unameNodeName == nil, let name = p.nodeName { facts.unameNodeName = Sourced(file: path, value: HostFact(value: name, line: line)) }
        default:
            break
        }
        return nil
    }
}
