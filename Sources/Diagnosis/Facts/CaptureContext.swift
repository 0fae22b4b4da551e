import Artifacts
import Wire

/// One capture joined with everything else in the bundle that is about it: tcpdump's statistics,
/// the collector's manifest (the device it ran on, when it ran), the drop counters, and for each
/// interface of the capture the device it is in `ip -d link`, the underlay a tunnel's packets leave
/// through, and the largest inner packet that fits. Made once, after every file is read
/// (`Facts.combine`), and read by checks and reports alike, so each join is written once.
public struct CaptureContext: Sendable {
    /// One capture interface (as `PacketSizes` keys it) in the bundle's `ip -d link`.
    public struct Interface: Sendable {
        public var device: LinkDevice?
        /// For a tunnel device: the device its packets leave through (`Facts.underlay`).
        public var underlay: LinkDevice?
        /// The tunnel's encapsulation overhead (VXLAN 50, WireGuard 60/80…).
        public var overhead: Int?
        /// For a tunnel: the largest inner packet its underlay carries (underlay MTU − overhead).
        public var encapsulatedLimit: Int?
    }

    public var file: String
    /// tcpdump's statistics (its stderr as the collector saves it, `<name>.tcpdump-stderr.txt`
    /// beside `<name>.pcap*`), or the only statistics of a bundle with a single capture.
    public var tcpdumpStats: Sourced<TcpdumpStats>?
    /// Packets the capturing system dropped (pcapng Interface Statistics Blocks, else tcpdump's
    /// statistics), and where that number comes from; 0 and nil when neither counts any.
    public var dropped: Int
    public var dropSource: String?
    /// The device the collector's manifest says the capture ran on.
    public var manifestDevice: String?
    /// When the collector says the capture ran.
    public var window: CaptureWindow?
    /// Every interface the capture's packets were seen on.
    public var interfaces: [PacketSizes.Interface: Interface]

    /// The join itself (`Facts.context(of:)` hands out the one `combine` made).
    init(_ capture: CaptureFacts, facts: Facts) {
        file = capture.file
        tcpdumpStats = Self.tcpdumpStats(for: capture.file, in: facts)
        let isb = capture.droppedPackets
        if isb > 0 {
            dropped = Int(clamping: isb)
            dropSource = "the capture's Interface Statistics Blocks"
        } else if let stats = tcpdumpStats, stats.value.dropped > 0 {
            dropped = stats.value.dropped
            dropSource = stats.file
        } else {
            dropped = 0
            dropSource = nil
        }
        manifestDevice = facts.captureDevices[capture.file]
        window = facts.captureWindows[capture.file]
        var interfaces: [PacketSizes.Interface: Interface] = [:]
        for key in capture.summary.packetSizes.byInterface.keys {
            let device = facts.device(of: key, in: capture)
            let overhead = device?.encapsulationOverhead
            let underlay = overhead == nil ? nil : device.flatMap(facts.underlay(of:))
            interfaces[key] = Interface(device: device, underlay: underlay, overhead: overhead,
                                        encapsulatedLimit: underlay.flatMap { u in overhead.map { u.mtu - $0 } })
        }
        self.interfaces = interfaces
    }

    /// The tcpdump statistics that belong to a capture: `captures/eth0.tcpdump-stderr.txt` for
    /// `captures/eth0.pcap`, `eth0.pcap0`, `eth0.pcapng`…; the only statistics file when the
    /// bundle has a single capture.
    static func tcpdumpStats(for file: String, in facts: Facts) -> Sourced<TcpdumpStats>? {
        let suffix = ".tcpdump-stderr.txt"
        for s in facts.tcpdumpStats where s.file.hasSuffix(suffix) {
            let stem = String(s.file.dropLast(suffix.count))
            if file.hasPrefix(stem + ".pcap") { return s }
        }
        return facts.captures.count == 1 && facts.tcpdumpStats.count == 1 ? facts.tcpdumpStats[0] : nil
    }
}

extension Facts {
    /// The combining stage, once every file is read: each capture joined with what the rest of
    /// the bundle says about it (`CaptureContext`).
    public mutating func combine() {
        let contexts = captures.map { CaptureContext($0, facts: self) }
        for i in captures.indices { captures[i].context = contexts[i] }
    }

    /// The joined record of a capture: the one `combine` made, or made now for facts that were
    /// never combined (hand-built facts of a check's examples).
    public func context(of capture: CaptureFacts) -> CaptureContext {
        capture.context ?? CaptureContext(capture, facts: self)
    }
}
