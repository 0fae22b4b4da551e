/// IPv6 extension headers (RFC 8200 §4) as both walkers step over them.
public enum IPv6Extension {
    public static let fixedHeaderLength = 40
    public static let fragment: UInt8 = 44
    public static let fragmentHeaderLength = 8
    /// Headers followed at most.
    public static let maxHeaders = 16

    /// The length of the extension header `next` whose length byte (its second byte) is
    /// `lengthByte`: hop-by-hop (0), routing (43), destination options (60), mobility (135), HIP
    /// (139) and shim6 (140) count 8-octet units past the first 8, AH (51) 4-octet units past the
    /// first 8, the fragment header (44) is 8; nil when `next` is not an extension header (the
    /// upper layer begins).
    @inlinable public static func isExtension(_ next: UInt8) -> Bool { length(next, lengthByte: 0) != nil }

    @inlinable public static func length(_ next: UInt8, lengthByte: UInt8) -> Int? {
        switch next {
        case 0, 43, 60, 135, 139, 140: (Int(lengthByte) + 1) * 8
        case 51: (Int(lengthByte) + 2) * 4
        case fragment: fragmentHeaderLength
        default: nil
        }
    }
}
