import Artifacts
import Wire

/// One of a node's addresses, from `ip addr`.
public struct NodeAddress: Sendable {
    public var address: IPAddress
    public var prefixLength: Int?
    public var device: String
    public var file: String
    public var line: SourceLine
}

/// What the analysis of one capture file produced.
public struct CaptureFacts: Sendable {
    /// The capture's path within the bundle.
    public var file: String
    public var format: String
    public var summary: CaptureSummary
    /// Why reading stopped early, if it did.
    public var readError: String?
    /// The capture's interfaces: link type, snap length and, for pcapng, the drop counters of its
    /// Interface Statistics Blocks.
    public var interfaces: [CaptureInterface]
    /// The capture joined with the rest of the bundle (`Facts.combine`): kept with the capture
    /// itself, since two entries of an archive can share a path.
    public internal(set) var context: CaptureContext?

    public init(file: String, format: String, summary: CaptureSummary, readError: String?, interfaces: [CaptureInterface] = []) {
        self.file = file
        self.format = format
        self.summary = summary
        self.readError = readError
        self.interfaces = interfaces
    }
}

extension CaptureFacts {
    /// Packets the capturing system dropped by the pcapng Interface Statistics Blocks, summed over
    /// interfaces (saturating: the counters come from the file).
    public var droppedPackets: UInt64 {
        interfaces.compactMap(\.droppedPackets).reduce(0) { $0.saturatingAdd($1) }
    }
}

/// A line of a text artifact that matched a pattern, with where it stands.
public struct TextEvidence<Match: Sendable>: Sendable {
    public var file: String
    /// 1-based line number.
    public var line: Int
    public var text: String
    public var match: Match

    public init(file: String, line: Int, text: String, match: Match) {
        self.file = file
        self.line = line
        self.text = text
        self.match = match
    }
}

/// A parsed artifact and the bundle file it came from.
public struct Sourced<Value: Sendable>: Sendable {
    public var file: String
    public var value: Value

    public init(file: String, value: Value) {
        self.file = file
        self.value = value
    }
}

/// A kernel log event and when the line says it happened.
public struct KernelLogEvent: Sendable {
    public var event: KernelEvent
    public var time: KernelTime?
}

/// The typed facts checks read: never paths to open, C handles or raw archive bytes. An optional
/// or empty member means that source was not in the bundle.
public struct Facts: Sendable {
    public var captures: [CaptureFacts] = []
    public var pathMTULines: [TextEvidence<PathMTUTextMatch>] = []
    public var sysctl: Sourced<SysctlSettings>?
    public var kernelEvents: [TextEvidence<KernelLogEvent>] = []
    /// Events beyond the cap, counted but not kept.
    public var kernelEventsDropped = 0
    /// Kernel events dropped as copies of the same message in another of the node's logs (`FactsBuilder.finish`).
    public var kernelEventsDuplicates = 0
    public var coreDNS = CoreDNSLogFacts()
    public var fio: [Sourced<FioResult>] = []
    public var links: Sourced<LinkTable>?
    public var routes: [Sourced<RouteTable>] = []
    /// The node's and the pods' resolv.conf files.
    public var resolvConfs: [Sourced<ResolvConf>] = []
    /// `/proc/stat` samples in bundle order (the collector's start sample first).
    public var procStats: [Sourced<ProcStat>] = []
    public var conntrack: Sourced<ConntrackStats>?
    public var counters: [Sourced<NetCounters>] = []
    public var softnet: Sourced<SoftnetStat>?
    public var sockets: Sourced<SocketSummary>?
    /// `/proc/net/sockstat`.
    public var sockstat: Sourced<SocketStat>?
    /// tcpdump's own statistics (its stderr as the collector saves it).
    public var tcpdumpStats: [Sourced<TcpdumpStats>] = []
    /// The interface each capture file was taken on, from the collector's manifest (by file path).
    public var captureDevices: [String: String] = [:]
    /// Captures `netautopsy redact` cut after their headers on purpose (its marker file), with the
    /// frames the snap length had cut before: only those are a capture problem.
    public var redactedCaptures: [String: Int] = [:]
    /// When the node booted (ns since the epoch), from the collector's manifest: turns the kernel
    /// log's seconds since boot into wall-clock times.
    public var bootTime: Int64?
    /// What the collector did and when (its manifest): start, end, capture windows.
    public var collectorEvents: [CollectorEvent] = []
    /// When the collector says each capture file ran, by the file's path in the bundle.
    public var captureWindows: [String: CaptureWindow] = [:]
    public var kubeProxy = KubeProxyState()
    /// The node's name (`hostname`, `/etc/hostname`), its name as `uname -a` gave it, and its
    /// kernel release (`uname`): the first file that gives each.
    public var hostname: Sourced<HostFact>?
    public var unameNodeName: Sourced<HostFact>?
    public var kernelRelease: Sourced<HostFact>?
    public var kubeProxyFiles: [String] = []
    /// The node's own addresses (`ip addr`): each once, with its device and where it was read.
    public var addresses: [NodeAddress] = []

    public init(captures: [CaptureFacts] = [], pathMTULines: [TextEvidence<PathMTUTextMatch>] = []) {
        self.captures = captures
        self.pathMTULines = pathMTULines
    }

    /// A kernel counter by nstat name, from whichever counters file has it.
    public func counter(_ name: String) -> (file: String, value: NetCounters.Value)? {
        for c in counters { if let v = c.value[name] { return (c.file, v) } }
        return nil
    }

    /// The kernel events of one kind.
    public func kernelEvents(_ kind: KernelEvent.Kind) -> [TextEvidence<KernelLogEvent>] {
        kernelEvents.filter { $0.match.event.kind == kind }
    }

    /// The rate limiters that hold back network messages: `net_ratelimit()` (shared by the whole
    /// network stack) and netfilter's conntrack. Others (`amdgpu`, `ext4_…`, a driver's function)
    /// suppress messages that have nothing to do with the network.
    public static let networkRateLimiters: Set<String> = ["net_ratelimit", "nf_conntrack", "ip_conntrack", "nf_ct_proto_6", "TCP"]

    /// Lines suppressed by the network's rate limiters (`net_ratelimit: N callbacks suppressed`).
    public var suppressedKernelMessages: Int {
        kernelEvents.reduce(0) { n, e in
            guard case .suppressed(let c, let by) = e.match.event, Self.networkRateLimiters.contains(by) else { return n }
            return n + c
        }
    }

    /// Devices that carry an overlay (VXLAN, Geneve, IPIP, WireGuard…).
    public var tunnels: [LinkDevice] {
        links?.value.devices.filter { $0.encapsulationOverhead != nil } ?? []
    }

    /// A kernel line's time since boot as wall-clock nanoseconds, by the manifest's boot time;
    /// nil without one, and for times after the collection ended (the line is from another boot,
    /// or the boot time is wrong) or absurd ones. Wall-clock stamps (`dmesg -T`, local time) are
    /// not converted: their zone is unknown.
    public func wallClock(_ t: KernelTime?) -> Int64? {
        guard case .sinceBoot(let s)? = t, let boot = bootTime, s.isFinite, s >= 0, s < 3e9 else { return nil }
        let ns = boot.saturatingAdd(Int64(s * 1e9))
        if let end = collectorEvents.map(\.time).max(), ns > end.saturatingAdd(60_000_000_000) { return nil }
        return ns
    }

    /// The device a capture interface is, in the bundle's `ip -d link`: by ifindex (`-i any`), the
    /// pcapng interface name, the collector's manifest, or the file's name (`eth0.pcap`, `eth0.pcap3`).
    public func device(of interface: PacketSizes.Interface, in capture: CaptureFacts) -> LinkDevice? {
        guard let table = links?.value else { return nil }
        if let index = interface.ifindex { return table.devices.first { $0.index == index } }
        let idb = Int(interface.capture) < capture.interfaces.count ? capture.interfaces[Int(interface.capture)].name : nil
        if let name = idb ?? captureDevices[capture.file] { return table.device(named: name) }
        let base = capture.file.split(separator: "/").last.map(String.init) ?? capture.file
        for ext in [".pcapng", ".pcap"] {
            guard let r = base.range(of: ext, options: .backwards) else { continue }
            let rest = base[r.upperBound...]
            if rest.isEmpty || rest.allSatisfy(\.isNumber) { return table.device(named: String(base[..<r.lowerBound])) }
        }
        return nil
    }

    /// The device a tunnel's packets leave through: the one its details name (`dev X`), else the
    /// default route's, else the first device that is neither virtual nor loopback.
    public func underlay(of tunnel: LinkDevice) -> LinkDevice? {
        guard let table = links?.value else { return nil }
        let name = tunnel.lowerDevice ?? routes.lazy.compactMap(\.value.defaultDevice).first
        return name.flatMap(table.device(named:)) ?? table.devices.first { $0.kind == nil && $0.name != "lo" && $0.peer == nil }
    }
}


/// A value read from one line of a file.
public struct HostFact: Sendable, Equatable {
    public var value: String
    public var line: SourceLine
}

/// Something the collector did, from its manifest.
public struct CollectorEvent: Sendable, Equatable {
    public var time: Int64
    public var text: String
    /// The manifest's path.
    public var file: String
    public init(time: Int64, text: String, file: String) {
        self.time = time
        self.text = text
        self.file = file
    }
}

/// When the collector started and stopped a capture (ns since the epoch, by its own clock).
public struct CaptureWindow: Sendable, Equatable {
    public var start: Int64?
    public var end: Int64?
    public init(start: Int64?, end: Int64?) {
        self.start = start
        self.end = end
    }
}
