/// ICMPv4 fragmentation-needed and ICMPv6 Packet Too Big messages, grouped by the router that
/// sent them, the MTU it advertised and the flow it quoted.
public struct TooBigMessages {
    public struct Group: Sendable {
        public var isV6: Bool
        public var router: IPAddress
        public var mtu: UInt32
        public var quoted: QuotedDatagram?
        public var count: Int
        public var frames: [Int]
        /// Timestamps of `frames`, same order.
        public var times: [Int64]
        public var firstTime: Int64
        public var lastTime: Int64
    }

    struct Key: Hashable {
        var isV6: Bool
        var router: IPAddress
        var mtu: UInt32
        var quotedSource: IPAddress?
        var quotedDestination: IPAddress?
        var quotedProtocol: UInt8
        var quotedDestinationPort: UInt16?
    }

    public static let maxFramesPerGroup = 32
    public static let maxGroups = 4096

    private var index: [Key: Int] = [:]
    public private(set) var groups: [Group] = []
    /// Messages not grouped because `maxGroups` was reached.
    public private(set) var ungrouped = 0

    public init() {}

    public mutating func add(_ message: ICMPMessage, router: IPAddress, frame: Int, time: Int64) {
        let q = message.quoted
        let key = Key(isV6: message.isV6, router: router, mtu: message.mtu, quotedSource: q?.source,
                      quotedDestination: q?.destination, quotedProtocol: q?.protocolNumber ?? 0,
                      quotedDestinationPort: q?.destinationPort)
        if let i = index[key] {
            groups[i].count += 1
            groups[i].lastTime = time
            if groups[i].frames.count < Self.maxFramesPerGroup {
                groups[i].frames.append(frame)
                groups[i].times.append(time)
            }
        } else if groups.count < Self.maxGroups {
            index[key] = groups.count
            groups.append(Group(isV6: message.isV6, router: router, mtu: message.mtu, quoted: q, count: 1,
                                frames: [frame], times: [time], firstTime: time, lastTime: time))
        } else {
            ungrouped += 1
        }
    }
}
