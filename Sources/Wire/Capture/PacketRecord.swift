/// One captured frame as a capture reader hands it out. `bytes` is borrowed: valid only during
/// the call that receives the record.
public struct PacketRecord {
    /// 1-based frame number within its capture file, as Wireshark numbers frames.
    public var frameNumber: Int
    /// Nanoseconds since the Unix epoch, or nil when the format has none (pcapng SPB). Clamped to
    /// `timestampRange` (1970 to 2116), so that differences and sums of timestamps and intervals
    /// never overflow, whatever a file claims.
    public var timestamp: Int64?
    public static let timestampRange: ClosedRange<Int64> = 0...(1 << 62)
    public var capturedLength: Int
    public var originalLength: Int
    /// The LINKTYPE_ value of the frame's interface.
    public var linkTypeValue: UInt16
    /// Interface id (pcapng) or 0.
    public var interfaceID: UInt32
    public var bytes: UnsafeRawBufferPointer

    public init(frameNumber: Int, timestamp: Int64?, capturedLength: Int, originalLength: Int,
                linkTypeValue: UInt16, interfaceID: UInt32, bytes: UnsafeRawBufferPointer) {
        self.frameNumber = frameNumber
        self.timestamp = timestamp.map { Swift.min(Swift.max($0, Self.timestampRange.lowerBound), Self.timestampRange.upperBound) }
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.linkTypeValue = linkTypeValue
        self.interfaceID = interfaceID
        self.bytes = bytes
    }
}

/// Receives frames from a capture reader in file order.
public protocol PacketConsumer {
    mutating func consume(_ record: PacketRecord)
}

/// A source of bytes read front to back (a file, an archive entry). `read` returns 0 at the end.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A capture interface as a pcapng IDB (or the pcap header) describes it.
public struct CaptureInterface: Sendable, Equatable {
    public var linkTypeValue: UInt16
    public var snapLength: UInt32
    public var name: String?
    /// Packets the capturing system reported dropped (pcapng ISB `isb_ifdrop` + `isb_osdrop`).
    public var droppedPackets: UInt64?

    public init(linkTypeValue: UInt16, snapLength: UInt32, name: String? = nil, droppedPackets: UInt64? = nil) {
        self.linkTypeValue = linkTypeValue
        self.snapLength = snapLength
        self.name = name
        self.droppedPackets = droppedPackets
    }
}

/// How reading a capture ended: cleanly, or with an error after some frames.
public struct CaptureReadOutcome: Sendable {
    public var format: String
    public var interfaces: [CaptureInterface]
    public var frames: Int
    /// A description of what stopped the read early (corrupt or cut-short file), or nil.
    public var error: String?
    /// Frames that hold no packet (pcapng custom blocks, which Wireshark lists as frames).
    public var nonPacketFrames: Int

    public init(format: String, interfaces: [CaptureInterface], frames: Int, error: String?, nonPacketFrames: Int = 0) {
        self.format = format
        self.interfaces = interfaces
        self.frames = frames
        self.error = error
        self.nonPacketFrames = nonPacketFrames
    }
}
