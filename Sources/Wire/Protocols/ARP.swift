/// ARP for IPv4 over Ethernet (RFC 826): the only form that carries addresses the rewriter maps.
public enum ARP {
    public static let length = 28
    public static let senderMACOffset = 8, senderIPOffset = 14, targetMACOffset = 18, targetIPOffset = 24

    /// Hardware type 1 (Ethernet), protocol IPv4, address lengths 6 and 4.
    @inlinable public static func isEthernetIPv4(hardware: UInt16, protocol proto: UInt16, hardwareLength: UInt8, protocolLength: UInt8) -> Bool {
        hardware == 1 && proto == Ethernet.EtherType.ipv4 && hardwareLength == 6 && protocolLength == 4
    }
}
