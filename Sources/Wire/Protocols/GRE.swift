/// GRE (RFC 2784, 2890), version 0.
public enum GRE {
    public static let ipProtocol = IPProtocol.gre
    public static let protocolTypeOffset = 2
    /// The header's length from its flags word: 4, plus 4 for each of the checksum (C), key (K)
    /// and sequence (S) bits; nil for a version other than 0, and for RFC 1701's routing bit (R) or
    /// any other reserved0 bit set (RFC 2784 §2.3: such a packet is discarded), whose layout differs.
    @inlinable public static func headerLength(flags: UInt16) -> Int? {
        guard flags & 0x7 == 0, flags & 0x4ff8 == 0 else { return nil }
        var n = 4
        if flags & 0x8000 != 0 { n += 4 }
        if flags & 0x2000 != 0 { n += 4 }
        if flags & 0x1000 != 0 { n += 4 }
        return n
    }
}
