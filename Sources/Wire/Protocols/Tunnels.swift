/// VXLAN (RFC 7348) on UDP: the 8-byte header, then an Ethernet frame.
public enum VXLAN {
    /// The IANA port and the Linux kernel's (and flannel's) old default.
    @inline(__always) public static func isPort(_ port: UInt16) -> Bool { port == 4789 || port == 8472 }
    public static let headerLength = 8
    /// The I flag: the VNI field is valid.
    @inline(__always) public static func hasVNI(flags: UInt8) -> Bool { flags & 0x08 != 0 }
}

/// Geneve (RFC 8926) on UDP: Ver(2) OptLen(6), flags, protocol type, VNI(24), reserved, options.
public enum Geneve {
    public static let port: UInt16 = 6081
    public static let fixedHeaderLength = 8
    public static let protocolTypeOffset = 2
    /// Version 0 only.
    @inline(__always) public static func isVersion0(_ firstByte: UInt8) -> Bool { firstByte >> 6 == 0 }
    /// The header with its options (OptLen counts 4-byte words).
    @inline(__always) public static func headerLength(firstByte: UInt8) -> Int { fixedHeaderLength + Int(firstByte & 0x3f) * 4 }
}

/// GRE (RFC 2784, 2890), version 0.
public enum GRE {
    public static let ipProtocol: UInt8 = 47
    public static let protocolTypeOffset = 2
    /// The header's length from its flags word: 4, plus 4 for each of the checksum (C), key (K)
    /// and sequence (S) bits; nil for a version other than 0.
    @inline(__always) public static func headerLength(flags: UInt16) -> Int? {
        guard flags & 0x7 == 0 else { return nil }
        var n = 4
        if flags & 0x8000 != 0 { n += 4 }
        if flags & 0x2000 != 0 { n += 4 }
        if flags & 0x1000 != 0 { n += 4 }
        return n
    }
}
