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
    public struct FlowSizes: Sendable, Equatable {
        /// IP size → packets, for the first `maxSizesPerFlow` distinct sizes.
        public var sizes: [Int: Int] = [:]
        /// Packets of further sizes, and the largest of them.
        public var otherPackets = 0
        public var otherLargest = 0
        public var firstFrame: Int
        public var firstTime: Int64?

        /// Packets larger than `limit` (those of sizes beyond the first `maxSizesPerFlow` when the largest of them is).
        public func packets(above limit: Int) -> Int {
            sizes.reduce(0) { $0 + ($1.key > limit ? $1.value : 0) } + (otherLargest > limit ? otherPackets : 0)
        }

        public var largest: Int { Swift.max(sizes.keys.max() ?? 0, otherLargest) }
    }

    /// Per interface, the flows its large packets belonged to (the first `maxFlowsPerInterface`): on a
    /// tunnel device these are the pods' flows, which name what an MTU problem hurts.
    public private(set) var flows: [Interface: [InnerFlow: FlowSizes]] = [:]
    /// Large packets of flows beyond `maxFlowsPerInterface`.
    public private(set) var packetsOfFlowsNotKept = 0
    public static let maxFlowsPerInterface = 256
    public static let maxSizesPerFlow = 16
    /// The flow the last large packet belonged to, and where it is in `flows`: a bulk transfer's packets
    /// come one after another, and then each costs one comparison instead of two hash lookups.
    private var last: (interface: Interface, flow: InnerFlow, outer: Dictionary<Interface, [InnerFlow: FlowSizes]>.Index,
                       inner: Dictionary<InnerFlow, FlowSizes>.Index)?

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
        func count(_ f: inout FlowSizes) {
            if let j = f.sizes.index(forKey: size) {
                f.sizes.values[j] += 1
            } else if f.sizes.count < Self.maxSizesPerFlow {
                f.sizes[size] = 1
            } else {
                f.otherPackets += 1
                f.otherLargest = Swift.max(f.otherLargest, size)
            }
        }
        if let l = last, l.interface == interface, l.flow == flow {
            count(&flows.values[l.outer].values[l.inner])
            return
        }
        let outer: Dictionary<Interface, [InnerFlow: FlowSizes]>.Index
        if let i = flows.index(forKey: interface) {
            outer = i
        } else {
            guard flows.count < Self.maxInterfaces else { return }
            flows[interface] = [:]
            last = nil  // the table grew: indices into it may have moved
            outer = flows.index(forKey: interface)!
        }
        if let j = flows.values[outer].index(forKey: flow) {
            count(&flows.values[outer].values[j])
            last = (interface, flow, outer, j)
        } else if flows.values[outer].count < Self.maxFlowsPerInterface {
            flows.values[outer][flow] = FlowSizes(sizes: [size: 1], firstFrame: frame, firstTime: time)
            // Inserting may move every entry: find it again.
            let o = flows.index(forKey: interface)!
            last = (interface, flow, o, flows.values[o].index(forKey: flow)!)
        } else {
            packetsOfFlowsNotKept += 1
        }
    }

    /// The flows on `interface` with packets larger than `limit`: how many such packets each sent, most first.
    public func flows(above limit: Int, on interface: Interface) -> [(flow: InnerFlow, packets: Int, sizes: FlowSizes)] {
        (flows[interface] ?? [:]).compactMap { f, s in
            let n = s.packets(above: limit)
            return n > 0 ? (f, n, s) : nil
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
