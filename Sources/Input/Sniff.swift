/// What a stream's first bytes say it is.
public enum Sniffed: Equatable, Sendable {
    case pcap, pcapng
    /// Compressed or an archive container: opened with libarchive.
    case archive
    case text, binary, empty

    /// Bytes to peek for a decision.
    public static let headLength = 512

    public init(_ head: [UInt8]) {
        guard !head.isEmpty else { self = .empty; return }
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0xa1, 0xb2, 0xc3, 0xd4]) || starts([0xd4, 0xc3, 0xb2, 0xa1]) || starts([0xa1, 0xb2, 0x3c, 0x4d])
            || starts([0x4d, 0x3c, 0xb2, 0xa1]) || starts([0xa1, 0xb2, 0xcd, 0x34]) || starts([0x34, 0xcd, 0xb2, 0xa1]) {
            self = .pcap
        } else if starts([0x0a, 0x0d, 0x0d, 0x0a]) {
            self = .pcapng
        } else if starts([0x1f, 0x8b]) || starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || starts([0x42, 0x5a, 0x68])
            || starts([0x28, 0xb5, 0x2f, 0xfd]) || starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06])
            || starts([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) || starts(Array("ustar".utf8), at: 257)
            || starts([0x04, 0x22, 0x4d, 0x18]) || starts([0x5d, 0x00, 0x00]) {
            self = .archive
        } else if head.contains(0) {
            self = .binary
        } else {
            self = .text
        }
    }
}
