/// PPPoE session frames (RFC 2516, Ethernet type 0x8864): a 6-byte header (version and type, code,
/// session id, payload length), then PPP's protocol field (2 bytes, or 1 when compressed): 0x0021 IPv4, 0x0057 IPv6. Discovery
/// frames (0x8863) and other PPP protocols (LCP, IPCP…) carry no IP packet.
public enum PPPoE {
    public static let session: UInt16 = 0x8864
    public static let headerLength = 6
    /// The payload length (the PPP frame: protocol field and packet), the header's last two bytes.
    public static let lengthOffset = 4
    /// The PPP protocol field, right after the PPPoE header.
    public static let protocolOffset = 6
    public static let pppIPv4: UInt16 = 0x0021
    public static let pppIPv6: UInt16 = 0x0057

    /// PPP's protocol field and its length at the start of the PPP frame: one byte when the first is
    /// odd (protocol-field compression, RFC 1661 §6.5: 0x21 for IPv4), else two.
    @inlinable public static func pppProtocol(first: UInt8, second: UInt8?) -> (value: UInt16, length: Int)? {
        if first & 1 == 1 { return (UInt16(first), 1) }
        return second.map { (UInt16(first) << 8 | UInt16($0), 2) }
    }

    /// The Ethernet type of what a PPP protocol value carries (0xffff: nothing followed).
    @inlinable public static func etherType(ppp: UInt16) -> UInt16 {
        ppp == pppIPv4 ? Ethernet.EtherType.ipv4 : ppp == pppIPv6 ? Ethernet.EtherType.ipv6 : 0xffff
    }
}
