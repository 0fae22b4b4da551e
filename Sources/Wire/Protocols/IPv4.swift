/// The IPv4 header (RFC 791) as the decoder and the rewriter read it.
public enum IPv4 {
    public static let minimumHeaderLength = 20
    public static let totalLengthOffset = 2, identificationOffset = 4, flagsOffset = 6, ttlOffset = 8, protocolOffset = 9
    public static let checksumOffset = 10, sourceOffset = 12, destinationOffset = 16
    public static let addressLength = 4

    /// The header's length from its first byte (IHL counts 4-byte words).
    @inlinable public static func headerLength(firstByte: UInt8) -> Int { Int(firstByte & 0x0f) * 4 }
    /// The fragment offset in 8-byte units, from the flags word.
    @inlinable public static func fragmentOffset(flags: UInt16) -> Int { Int(flags & 0x1fff) }
    @inlinable public static func moreFragments(flags: UInt16) -> Bool { flags & 0x2000 != 0 }
    @inlinable public static func dontFragment(flags: UInt16) -> Bool { flags & 0x4000 != 0 }
}

/// The IPv6 fixed header (RFC 8200 §3).
public enum IPv6 {
    public static let payloadLengthOffset = 4, nextHeaderOffset = 6, hopLimitOffset = 7
    public static let sourceOffset = 8, destinationOffset = 24
    public static let addressLength = 16
}

/// IP protocol numbers the walkers follow.
public enum IPProtocol {
    public static let icmp: UInt8 = 1, ipInIP: UInt8 = 4, tcp: UInt8 = 6, udp: UInt8 = 17, ipv6InIP: UInt8 = 41
    public static let gre: UInt8 = 47, icmpv6: UInt8 = 58, sctp: UInt8 = 132

    /// A protocol's short name in reports (`TCP`, `IPIP`…), else `protocol N`.
    public static func name(_ p: UInt8) -> String {
        switch p {
        case icmp: "ICMP"
        case tcp: "TCP"
        case udp: "UDP"
        case icmpv6: "ICMPv6"
        case ipInIP: "IPIP"
        case ipv6InIP: "IPv6-in-IP"
        case gre: "GRE"
        case 50: "ESP"
        case sctp: "SCTP"
        default: "protocol \(p)"
        }
    }
}
