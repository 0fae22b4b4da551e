/// Geneve (RFC 8926) on UDP: Ver(2) OptLen(6), flags, protocol type, VNI(24), reserved, options.
public enum Geneve {
    public static let port: UInt16 = 6081
    public static let fixedHeaderLength = 8
    public static let protocolTypeOffset = 2
    /// Version 0 only.
    @inlinable public static func isVersion0(_ firstByte: UInt8) -> Bool { firstByte >> 6 == 0 }
    /// The header with its options (OptLen counts 4-byte words).
    @inlinable public static func headerLength(firstByte: UInt8) -> Int { fixedHeaderLength + Int(firstByte & 0x3f) * 4 }
}
