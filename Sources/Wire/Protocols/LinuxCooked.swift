/// Linux cooked captures (`tcpdump -i any`): SLL (link type 113) and SLL2 (276) headers.
public enum LinuxCooked {
    /// SLL: packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2).
    public enum V1 {
        public static let headerLength = 16
        public static let packetTypeOffset = 0, addressTypeOffset = 2, addressLengthOffset = 4, addressOffset = 6
        public static let protocolOffset = 14
    }

    /// SLL2: protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1),
    /// address length (1), address (8).
    public enum V2 {
        public static let headerLength = 20
        public static let protocolOffset = 0, interfaceIndexOffset = 4, addressTypeOffset = 8, packetTypeOffset = 10
        public static let addressLengthOffset = 11, addressOffset = 12
    }

    /// The 8 address bytes hold a MAC address (ARPHRD_ETHER, 6 bytes long).
    @inlinable public static func holdsMAC(addressType: UInt16, addressLength: Int) -> Bool { addressType == 1 && addressLength == 6 }
    public static let addressFieldLength = 8
}
