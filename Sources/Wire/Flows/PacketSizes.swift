/// The large IP packets a capture saw on each of its interfaces, by size: what the wire shows of
/// an MTU (the largest packets that really crossed an interface) and, on a tunnel device, of inner
/// packets too large for the underlay once encapsulated.
///
/// Only packets of `floor` to `ceiling` bytes (IP total length: the MTUs that matter, jumbo frames
/// included) are profiled; each distinct size keeps its count and first frame, so memory is bounded
/// by `ceiling − floor` sizes per interface and `maxInterfaces` interfaces.
public struct PacketSizes: Sendable {
    public static let floor = 1200
    public static let ceiling = 9216
    public static let maxInterfaces = 64

    /// A capture interface: the pcapng interface (0 for classic pcap) and, on Linux cooked v2
    /// (`-i any`), the kernel's ifindex.
    public struct Interface: Hashable, Sendable {
        public var capture: UInt32
        public var ifindex: Int?
        public init(capture: UInt32, ifindex: Int?) {
            self.capture = capture
            self.ifindex = ifindex
        }
    }

    public struct Size: Sendable, Equatable {
        public var count: Int
        public var firstFrame: Int
        public var firstTime: Int64?
    }

    public private(set) var byInterface: [Interface: [Int: Size]] = [:]

    /// The large packets of one flow (its addresses, protocol and ports) on one interface, by size.
    public struct FlowSizes: Sendable {
        /// (IP size, packets) for the first `maxSizesPerFlow` distinct sizes, in order of first sight
        /// (a flow's packets come in one or two sizes, so a scan beats a hash).
        public var sizes: [(size: Int, packets: Int)] = []
        /// Packets of further sizes, and the largest of them.
        public var otherPackets = 0
        public var otherLargest = 0
        public var firstFrame: Int
        public var firstTime: Int64?

        /// Packets larger than `limit` (those of sizes beyond the first `maxSizesPerFlow` when the largest of them is).
        public func packets(above limit: Int) -> Int {
            sizes.reduce(0) { $0 + ($1.size > limit ? $1.packets : 0) } + (otherLargest > limit ? otherPackets : 0)
        }

        mutating func count(_ size: Int) {
            for j in sizes.indices where sizes[j].size == size {
                sizes[j].packets += 1
                return
            }
            if sizes.count < PacketSizes.maxSizesPerFlow {
                sizes.append((size, 1))
            } else {
                otherPackets += 1
                otherLargest = Swift.max(otherLargest, size)
            }
        }
    }

    /// The flows large packets belonged to, per interface (the first `maxFlowsPerInterface` of each): on
    /// a tunnel device these are the pods' flows, which name what an MTU problem hurts. Kept in one
    /// array, found through `flowIndex` and, for recent flows, through 8 slots chosen by their ports:
    /// bulk transfers interleave a few flows, so most large packets cost one comparison and no hash.
    private struct FlowEntry {
        var interface: Interface
        var flow: InnerFlow
        var sizes: FlowSizes
    }
    private struct FlowKey: Hashable {
        var interface: Interface
        var flow: InnerFlow
    }
    private var flowEntries: [FlowEntry] = []
    private var flowIndex: [FlowKey: Int] = [:]
    private var flowsPerInterface: [Interface: Int] = [:]
    private var slots = [Int](repeating: -1, count: 8)
    /// Large packets of flows beyond `maxFlowsPerInterface`.
    public private(set) var packetsOfFlowsNotKept = 0
    public static let maxFlowsPerInterface = 256
    public static let maxSizesPerFlow = 16

    public init() {}

    mutating func add(_ ipLength: Int, interface: Interface, frame: Int, time: Int64?, flow: InnerFlow? = nil) {
        guard ipLength >= Self.floor, ipLength <= Self.ceiling else { return }
        if let flow { addFlow(flow, ipLength, interface: interface, frame: frame, time: time) }
        if let i = byInterface.index(forKey: interface) {
            // Updated in place: one lookup per table, no copy of the inner table.
            if let j = byInterface.values[i].index(forKey: ipLength) {
                byInterface.values[i].values[j].count += 1
            } else {
                byInterface.values[i][ipLength] = Size(count: 1, firstFrame: frame, firstTime: time)
            }
        } else if byInterface.count < Self.maxInterfaces {
            byInterface[interface] = [ipLength: Size(count: 1, firstFrame: frame, firstTime: time)]
        }
    }

    private mutating func addFlow(_ flow: InnerFlow, _ size: Int, interface: Interface, frame: Int, time: Int64?) {
        let slot = Int(truncatingIfNeeded: (flow.sourcePort ?? 0) ^ (flow.destinationPort ?? 0) &* 7) & 7
        let cached = slots[slot]
        if cached >= 0, flowEntries[cached].flow == flow, flowEntries[cached].interface == interface {
            flowEntries[cached].sizes.count(size)
            return
        }
        let key = FlowKey(interface: interface, flow: flow)
        if let i = flowIndex[key] {
            flowEntries[i].sizes.count(size)
            slots[slot] = i
        } else if flowsPerInterface[interface, default: 0] < Self.maxFlowsPerInterface,
                  flowsPerInterface[interface] != nil || flowsPerInterface.count < Self.maxInterfaces {
            flowsPerInterface[interface, default: 0] += 1
            flowIndex[key] = flowEntries.count
            slots[slot] = flowEntries.count
            flowEntries.append(FlowEntry(interface: interface, flow: flow,
                                         sizes: FlowSizes(sizes: [(size, 1)], firstFrame: frame, firstTime: time)))
        } else {
            packetsOfFlowsNotKept += 1
        }
    }

    /// The flows on `interface` with packets larger than `limit`: how many such packets each sent, most first.
    public func flows(above limit: Int, on interface: Interface) -> [(flow: InnerFlow, packets: Int, sizes: FlowSizes)] {
        flowEntries.compactMap { e in
            guard e.interface == interface else { return nil }
            let n = e.sizes.packets(above: limit)
            return n > 0 ? (e.flow, n, e.sizes) : nil
        }.sorted { ($0.packets, $1.flow) > ($1.packets, $0.flow) }
    }

    /// Packets on `interface` larger than `limit` and at most `ceiling`: how many, and the first
    /// frame of each size, largest first.
    public func above(_ limit: Int, upTo ceiling: Int = .max, on interface: Interface)
        -> (count: Int, sizes: [(size: Int, first: Size)]) {
        let sizes = (byInterface[interface] ?? [:]).filter { $0.key > limit && $0.key <= ceiling }
            .sorted { $0.key > $1.key }.map { (size: $0.key, first: $0.value) }
        return (sizes.reduce(0) { $0 + $1.first.count }, sizes)
    }
}
