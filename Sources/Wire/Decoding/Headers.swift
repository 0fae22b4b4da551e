/// TCP header flags (RFC 9293), as the low byte of the flags field.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)

    /// A connection-opening SYN: SYN set, ACK clear.
    public var isPureSYN: Bool { contains(.syn) && !contains(.ack) }
    public var isSYNACK: Bool { contains(.syn) && contains(.ack) }
}

/// IPv4 fragmentation fields or an IPv6 Fragment extension header.
public struct FragmentInfo: Sendable, Hashable {
    /// Offset of this fragment's data in the original datagram, in bytes.
    public var offset: Int
    public var moreFragments: Bool
    /// IPv4 identification (16 bits) or IPv6 Fragment header identification (32 bits).
    public var identification: UInt32

    /// A fragment in the IP sense: more fragments follow or it is not the first.
    /// An IPv6 "atomic fragment" (offset 0, M clear) is a Fragment header but not a fragment.
    public var isFragment: Bool { moreFragments || offset > 0 }
}

/// One decoded IPv4 or IPv6 header (with IPv6 extension headers walked).
public struct IPHeader: Sendable {
    public var version: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    /// The upper-layer protocol after any IPv6 extension headers.
    public var protocolNumber: UInt8
    public var ttl: UInt8
    /// IP total length as the header says (IPv6: 40 + payload length).
    public var totalLength: Int
    /// Bytes from the start of the IP header to the upper-layer payload.
    public var headerLength: Int
    public var dontFragment: Bool
    /// IPv4 fragmentation fields, or the IPv6 Fragment header when one is present.
    public var fragment: FragmentInfo?

    /// Whether this header carries an IPv6 Fragment header (tshark `ipv6.fraghdr`).
    public var hasIPv6FragmentHeader: Bool { version == 6 && fragment != nil }
    /// Whether this is an IPv4 fragment (tshark `ip.flags.mf==1 || ip.frag_offset>0`).
    public var isIPv4Fragment: Bool { version == 4 && (fragment?.isFragment ?? false) }
    public var payloadLength: Int { Swift.max(0, totalLength - headerLength) }
}

public struct TCPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var headerLength: Int
    /// Segment length from the IP length (Wireshark `tcp.len`), not from captured bytes.
    public var payloadLength: Int
    /// The MSS option, or 0 when absent.
    public var mss: UInt16
}

public struct UDPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var length: UInt16
}

/// The datagram an ICMP error quotes: its IP header and, when present, its ports.
public struct QuotedDatagram: Sendable, Hashable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var totalLength: Int
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var fragment: FragmentInfo?
    public var dontFragment: Bool
    public var version: UInt8
}

/// An ICMPv4 or ICMPv6 message.
public struct ICMPMessage: Sendable {
    public var isV6: Bool
    public var type: UInt8
    public var code: UInt8
    /// Next-hop MTU of ICMPv4 3/4 (RFC 1191) or the MTU of ICMPv6 Packet Too Big; else 0.
    public var mtu: UInt32
    public var quoted: QuotedDatagram?

    /// ICMPv4 Destination Unreachable, Fragmentation Needed (type 3, code 4).
    public var isFragmentationNeeded: Bool { !isV6 && type == 3 && code == 4 }
    /// ICMPv6 Packet Too Big (type 2).
    public var isPacketTooBig: Bool { isV6 && type == 2 }
}

/// What follows the IP header, as far as it could be decoded.
public enum Transport: Sendable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    case icmp(ICMPMessage)
    /// A fragment: the transport header is only known after reassembly.
    case fragment
    /// Another protocol, or a transport header cut short.
    case other
}

/// Tunnels the decoder opens to analyze the inner packet.
public enum Tunnel: Sendable, Hashable {
    case vxlan(vni: UInt32, port: UInt16)
    case geneve(vni: UInt32)
    case ipInIP
    case gre
}

/// One IP header with what follows it.
public struct IPLayer: Sendable {
    public var ip: IPHeader
    public var transport: Transport
    /// Offset of the IP payload (upper-layer header) within the decoded buffer.
    public var payloadOffset: Int
    /// Payload bytes actually present in the buffer (≤ `ip.payloadLength`).
    public var capturedPayloadLength: Int

    /// An IP fragment: its transport is known only after reassembly.
    public var isFragment: Bool {
        if case .fragment = transport { return true }
        return false
    }
}

extension IPLayer {
    /// No layer, all zero: what `DecodedPacket` holds where a frame has none.
    init() {
        self.init(ip: IPHeader(version: 0, source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0), protocolNumber: 0, ttl: 0,
                               totalLength: 0, headerLength: 0, dontFragment: false, fragment: nil),
                  transport: .other, payloadOffset: 0, capturedPayloadLength: 0)
    }
}
