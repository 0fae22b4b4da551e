/// Reassembles DNS messages carried over TCP (RFC 1035 §4.2.2: each message preceded by a 2-byte
/// length), per direction, so that a message split across segments, or several messages in one
/// segment, are each read once.
///
/// Segments are taken in capture order. A segment continuing the direction's stream is appended;
/// data already consumed (a retransmission) is skipped; a segment after a gap (a lost or
/// uncaptured segment, or a snap-length cut) drops what was pending and restarts at that segment,
/// assuming a message starts there. Pending bytes per direction are bounded by the largest
/// message (65,535 + 2), and at most `maxDirections` directions are followed at once (the
/// longest-idle is dropped first, counted in `dropped`).
struct DNSOverTCP {
    struct Key: Hashable {
        var source: Endpoint
        var destination: Endpoint
    }

    struct Direction {
        /// The sequence number the next new byte will have.
        var nextSequence: UInt32
        var pending: [UInt8] = []
        var lastTime: Int64
    }

    static let maxDirections = 4_096
    static let maxPending = 65_537

    private var directions: [Key: Direction] = [:]
    /// Directions dropped to stay within `maxDirections`.
    private(set) var dropped = 0

    /// Adds one segment's captured payload; calls `message` with the bytes of every DNS message it
    /// completes (without the length prefix).
    mutating func add(
        _ tcp: TCPHeader, source: Endpoint, destination: Endpoint, payload: UnsafeRawBufferPointer, time: Int64,
        message: (UnsafeRawBufferPointer) -> Void
    ) {
        let key = Key(source: source, destination: destination)
        defer {
            if tcp.flags.contains(.fin) || tcp.flags.contains(.rst) { directions[key] = nil }
        }
        guard tcp.payloadLength > 0 else { return }
        var bytes = payload
        var direction: Direction
        if var d = directions[key] {
            let behind = Int(Int32(bitPattern: d.nextSequence &- tcp.sequence))
            if behind >= bytes.count { return }  // all of it was seen: a retransmission
            if behind > 0 {
                bytes = UnsafeRawBufferPointer(rebasing: bytes[behind...])
            } else if behind < 0 {
                d.pending.removeAll()  // a gap: restart at this segment
            }
            direction = d
        } else {
            if directions.count >= Self.maxDirections { evictIdlest() }
            direction = Direction(nextSequence: tcp.sequence, lastTime: time)
        }
        direction.nextSequence = tcp.sequence &+ UInt32(truncatingIfNeeded: tcp.payloadLength)
        direction.lastTime = time
        if direction.pending.isEmpty {
            // The common case, a segment holding whole messages, is read in place.
            let used = Self.messages(in: bytes, message)
            direction.pending.append(contentsOf: bytes[used...])
        } else {
            direction.pending.append(contentsOf: bytes)
            let used = direction.pending.withUnsafeBytes { Self.messages(in: $0, message) }
            direction.pending.removeFirst(used)
        }
        if payload.count < tcp.payloadLength || direction.pending.count > Self.maxPending {
            direction.pending.removeAll()  // cut by the snap length: the rest of the stream is unknown
        }
        directions[key] = direction
    }

    /// Calls `message` for each whole length-prefixed message at the start of `bytes`; returns the
    /// bytes consumed.
    private static func messages(in bytes: UnsafeRawBufferPointer, _ message: (UnsafeRawBufferPointer) -> Void) -> Int {
        var at = 0
        while bytes.count - at >= 2 {
            let length = Int(bytes[at]) << 8 | Int(bytes[at + 1])
            guard bytes.count - at - 2 >= length else { break }
            message(UnsafeRawBufferPointer(rebasing: bytes[(at + 2)..<(at + 2 + length)]))
            at += 2 + length
        }
        return at
    }

    private mutating func evictIdlest() {
        let victims = directions.sorted { $0.value.lastTime < $1.value.lastTime }.prefix(Self.maxDirections / 8)
        for (k, _) in victims { directions[k] = nil }
        dropped += victims.count
    }
}
