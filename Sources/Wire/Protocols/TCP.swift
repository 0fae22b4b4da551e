/// The TCP header (RFC 9293) as the decoder and the rewriter read it.
public enum TCP {
    public static let minimumHeaderLength = 20
    public static let sequenceOffset = 4, acknowledgmentOffset = 8, dataOffsetOffset = 12, flagsOffset = 13
    public static let windowOffset = 14, checksumOffset = 16
    /// The header's length from its data-offset byte (4-byte words in the high nibble).
    @inlinable public static func headerLength(dataOffsetByte: UInt8) -> Int { Int(dataOffsetByte >> 4) * 4 }

    /// Option kinds: end of list, no-op, MSS (length 4).
    public static let optionEnd: UInt8 = 0, optionNoOp: UInt8 = 1, optionMSS: UInt8 = 2
}

/// The UDP header (RFC 768).
public enum UDP {
    public static let headerLength = 8
    public static let lengthOffset = 4, checksumOffset = 6
}
