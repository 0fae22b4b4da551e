/// What the decoder found in one captured frame. A plain value: no allocation per packet.
public struct DecodedPacket: Sendable {
    /// Marks that the tshark-compatible counters read off a frame (any layer counts).
    public struct Marks: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Some IPv4 header has MF set or a non-zero offset (tshark `ip.flags.mf==1 || ip.frag_offset>0`).
        public static let ipv4Fragment = Marks(rawValue: 1 << 0)
        /// Some IPv6 header carries a Fragment extension header (tshark `ipv6.fraghdr`).
        public static let ipv6FragmentHeader = Marks(rawValue: 1 << 1)
        /// Some ICMPv4 layer is type 3 code 4.
        public static let icmpFragmentationNeeded = Marks(rawValue: 1 << 2)
        /// Some ICMPv6 layer is type 2.
        public static let icmpv6PacketTooBig = Marks(rawValue: 1 << 3)
        public static let vxlan = Marks(rawValue: 1 << 4)
        public static let geneve = Marks(rawValue: 1 << 5)
    }

    public var linkType: LinkType
    /// 802.1Q/802.1ad tags walked (QinQ gives 2).
    public var vlanTags: UInt8 = 0
    /// Linux cooked capture packet type (4 = outgoing), or nil on other link types.
    public var cookedPacketType: UInt8?
    /// SLL2 interface index, or nil.
    public var interfaceIndex: UInt32?
    /// The first IP header in the frame.
    public var outer: IPLayer? {
        get { hasOuter ? outerLayer : nil }
        set {
            hasOuter = newValue != nil
            if let newValue { outerLayer = newValue }
        }
    }
    /// The tunnel opened inside `outer`, if any.
    public var tunnel: Tunnel?
    /// The IP layer inside the tunnel.
    public var inner: IPLayer? {
        get { hasInner ? innerLayer : nil }
        set {
            hasInner = newValue != nil
            if let newValue { innerLayer = newValue }
        }
    }
    /// `outer` and `inner` as stored: unwrapped, so that the decoder writes them in place and the per-packet
    /// path reads them in place (an optional's payload, about 200 bytes, is copied out to be read or written).
    /// A layer's value is meaningless while its flag is false.
    public private(set) var hasOuter = false
    public private(set) var outerLayer = IPLayer()
    public private(set) var hasInner = false
    public private(set) var innerLayer = IPLayer()
    /// Where the link layer says its payload ends (PPPoE's length field), when it says so.
    public var linkPayloadEnd: Int?
    /// Captured bytes ran out before the headers were complete.
    public var truncated = false
    public var marks: Marks = []

    public init(linkType: LinkType) {
        self.linkType = linkType
    }

    /// The layer transport analysis works on: inside a tunnel if there is one.
    public var innermost: IPLayer? { inner ?? outer }

    /// Sets the layer at `depth` (0: outer, 1: inner) present, with what follows its IP header still unknown.
    mutating func setLayer(_ depth: Int, ip: IPHeader, transport: Transport, payloadOffset: Int, capturedPayloadLength: Int) {
        if depth == 0 { hasOuter = true } else { hasInner = true }
        withLayer(depth) {
            $0.ip = ip
            $0.transport = transport
            $0.payloadOffset = payloadOffset
            $0.capturedPayloadLength = capturedPayloadLength
        }
    }

    mutating func setTransport(_ depth: Int, _ transport: Transport) {
        withLayer(depth) { $0.transport = transport }
    }

    /// Changes the layer at `depth` (0: outer, 1: inner) where it is stored.
    private mutating func withLayer(_ depth: Int, _ change: (inout IPLayer) -> Void) {
        if depth == 0 { change(&outerLayer) } else { change(&innerLayer) }
    }

    /// Drops the tunnel's layer (`inner` becomes nil).
    mutating func removeInner() { hasInner = false }
}
