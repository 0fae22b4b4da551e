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

    public init() {}

    mutating func add(_ ipLength: Int, interface: Interface, frame: Int, time: Int64?) {
        guard ipLength >= Self.floor, ipLength <= Self.ceiling else { return }
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

    /// Packets on `interface` larger than `limit` and at most `ceiling`: how many, and the first
    /// frame of each size, largest first.
    public func above(_ limit: Int, upTo ceiling: Int = .max, on interface: Interface)
        -> (count: Int, sizes: [(size: Int, first: Size)]) {
        let sizes = (byInterface[interface] ?? [:]).filter { $0.key > limit && $0.key <= ceiling }
            .sorted { $0.key > $1.key }.map { (size: $0.key, first: $0.value) }
        return (sizes.reduce(0) { $0 + $1.first.count }, sizes)
    }
}
