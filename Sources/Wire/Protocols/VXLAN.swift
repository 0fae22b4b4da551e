/// VXLAN (RFC 7348) on UDP: the 8-byte header, then an Ethernet frame.
public enum VXLAN {
    /// The IANA port and the Linux kernel's (and flannel's) old default.
    @inlinable public static func isPort(_ port: UInt16) -> Bool { port == 4789 || port == 8472 }
    public static let headerLength = 8
    /// The I flag: the VNI field is valid.
    @inlinable public static func hasVNI(flags: UInt8) -> Bool { flags & 0x08 != 0 }
}
