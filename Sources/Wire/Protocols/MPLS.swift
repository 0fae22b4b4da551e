/// MPLS label stacks (RFC 3032) after Ethernet type 0x8847 (unicast) or 0x8848 (multicast): 4-byte
/// entries, the last one with the bottom-of-stack bit (S, the third byte's lowest bit). As tshark's
/// mpls dissector does without a configured pseudowire, the payload after the bottom entry is IPv4 or
/// IPv6 by its version nibble; anything else (a pseudowire control word, Ethernet over MPLS) is not followed.
public enum MPLS {
    public static let unicast: UInt16 = 0x8847
    public static let multicast: UInt16 = 0x8848
    public static let entryLength = 4
    /// Entries followed at most (a frame of entries without a bottom would otherwise be walked to its end).
    public static let maxEntries = 8
    /// The offset, in an entry, of the byte holding the bottom-of-stack bit.
    public static let bottomOfStackOffset = 2

    @inlinable public static func isMPLS(_ etherType: UInt16) -> Bool { etherType == unicast || etherType == multicast }
    @inlinable public static func isBottomOfStack(_ byte: UInt8) -> Bool { byte & 1 != 0 }
}
