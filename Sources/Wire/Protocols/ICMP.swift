/// ICMP (RFC 792) and ICMPv6 (RFC 4443): which messages quote the datagram they are about, and
/// where.
public enum ICMP {
    public static let headerLength = 8
    public static let checksumOffset = 2
    /// Where an error's quoted datagram begins.
    public static let quoteOffset = 8

    /// Destination unreachable (3), source quench (4), redirect (5), time exceeded (11), parameter
    /// problem (12): the ICMPv4 errors that quote a datagram.
    @inlinable public static func quotesDatagram(v4 type: UInt8) -> Bool {
        type == 3 || type == 4 || type == 5 || type == 11 || type == 12
    }
    /// A redirect names the gateway in bytes 4–7.
    public static let redirect: UInt8 = 5
    public static let redirectGatewayOffset = 4
    /// Destination unreachable, code 4: fragmentation needed; the next-hop MTU in bytes 6–7.
    public static let fragmentationNeededMTUOffset = 6

    /// ICMPv6 errors 1–4 (unreachable, packet too big, time exceeded, parameter problem) quote a datagram.
    @inlinable public static func quotesDatagram(v6 type: UInt8) -> Bool { (1...4).contains(type) }
    /// Packet too big (2): the MTU in bytes 4–7.
    public static let packetTooBigMTUOffset = 4
}
