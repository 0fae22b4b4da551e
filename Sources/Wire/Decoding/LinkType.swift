/// The link-layer header types netautopsy decodes, by their LINKTYPE_ value as stored in
/// pcap and pcapng files (https://www.tcpdump.org/linktypes.html).
public enum LinkType: UInt16, Sendable, CaseIterable {
    /// BSD loopback: 4-byte address family in the writer's byte order.
    case null = 0
    case ethernet = 1
    /// Raw IP, version from the first nibble (DLT_RAW is 12 or 14 in libpcap's API).
    case raw = 101
    /// OpenBSD loopback: 4-byte address family in network byte order.
    case loop = 108
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10, or `-y LINUX_SLL`).
    case linuxSLL = 113
    case ipv4 = 228
    case ipv6 = 229
    /// Linux cooked capture v2 (`tcpdump -i any` with libpcap ≥ 1.10): carries the ifindex.
    case linuxSLL2 = 276

    /// Maps a value from a file header (upper 16 bits carry FCS info and are ignored).
    public init?(fileValue: UInt32) {
        self.init(rawValue: UInt16(truncatingIfNeeded: fileValue & 0xffff))
    }

    /// Wireshark/tshark's name for the encapsulation, for reports.
    public var name: String {
        switch self {
        case .null: "null"
        case .ethernet: "ether"
        case .raw: "rawip"
        case .loop: "loop"
        case .linuxSLL: "linux-sll"
        case .ipv4: "rawip4"
        case .ipv6: "rawip6"
        case .linuxSLL2: "linux-sll2"
        }
    }
}
