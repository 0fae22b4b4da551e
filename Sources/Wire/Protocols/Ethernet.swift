/// Ethernet II and its VLAN tags: the offsets and type values the decoder (`PacketDecoder`) and
/// the rewriter (`Redaction.PacketRewriter`) both read, so the two walk a frame the same way.
public enum Ethernet {
    /// Destination (6), source (6), type (2).
    public static let headerLength = 14
    public static let destinationOffset = 0, sourceOffset = 6, typeOffset = 12
    public static let addressLength = 6

    /// EtherType values the walkers follow.
    public enum EtherType {
        public static let ipv4: UInt16 = 0x0800
        public static let ipv6: UInt16 = 0x86dd
        public static let arp: UInt16 = 0x0806
        /// Transparent Ethernet bridging: an Ethernet frame inside (Geneve, NVGRE).
        public static let transparentBridging: UInt16 = 0x6558
    }

    /// 802.1Q (0x8100), 802.1ad (0x88a8) and the legacy QinQ types (0x9100, 0x9200), as tshark's
    /// vlan dissector takes them: each tag is 4 bytes, TCI then the next type.
    @inlinable public static func isVLANTag(_ type: UInt16) -> Bool {
        type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200
    }
    public static let vlanTagLength = 4
    /// The offset, in a tag, of the type that follows it.
    public static let vlanNextTypeOffset = 2
    /// Tags followed at most (a frame of tags alone would otherwise be walked to its end).
    public static let maxVLANTags = 8
}
