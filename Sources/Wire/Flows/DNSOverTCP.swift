/// Reassembles DNS messages carried over TCP (RFC 1035 §4.2.2: each message preceded by a 2-byte
/// length), per direction, so that a message split across segments, or several messages in one
/// segment, are each read once.
///
/// Segments are taken in capture order. A SYN (or SYN-ACK) starts the direction afresh at its
/// sequence number + 1; a segment continuing the direction's stream is appended; data already
/// consumed (a retransmission) is skipped; a segment after a gap (a lost or uncaptured segment, a
/// snap-length cut, a jump of more than `maxJump` either way, or `idleLimit` of silence) drops what
/// was pending and restarts at that segment, assuming a message starts there. A FIN or RST ends
/// the direction (an RST both). Pending bytes are bounded per direction by the largest message
/// (65,535 + 2) and in all by `maxPendingTotal`; at most `maxDirections` directions are followed at
/// once (the longest idle are dropped first).
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
    static let maxPendingTotal = 16 << 20
    static let maxJump: Int64 = 1 << 20
    static let idleLimit: Int64 = 120_000_000_000

    private var directions: [Key: Direction] = [:]
    private var pendingTotal = 0

    /// Adds one segment's captured payload; calls `message` with the bytes of every DNS message it
    /// completes (without the length prefix).
    mutating func add(
        _ tcp: TCPHeader, source: Endpoint, destination: Endpoint, payload: UnsafeRawBufferPointer, time: Int64,
        message: (UnsafeRawBufferPointer) -> Void
    ) {
        let key = Key(source: source, destination: destination)
        if tcp.flags.contains(.rst) {
            forget(key)
            forget(Key(source: destination, destination: source))
            return
        }
        if tcp.flags.contains(.syn) {
            forget(key)
            if directions.count >= Self.maxDirections { evictIdlest() }
            directions[key] = Direction(nextSequence: tcp.sequence &+ 1, lastTime: time)
        }
        defer { if tcp.flags.contains(.fin) { forget(key) } }
        guard tcp.payloadLength > 0 else { return }
        // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
        let sequence = tcp.flags.contains(.syn) ? tcp.sequence &+ 1 : tcp.sequence
        var bytes = payload
        // Taken out of the table while it is updated, so that its pending bytes are not shared (and copied).
        let taken = directions.removeValue(forKey: key)
        pendingTotal -= taken?.pending.count ?? 0
        var direction: Direction
        if var d = taken, time - d.lastTime < Self.idleLimit {
            let behind = Int64(Int32(bitPattern: d.nextSequence &- sequence))
            if behind >= Int64(bytes.count), behind <= Self.maxJump {  // all of it was seen: a retransmission
                pendingTotal += d.pending.count
                directions[key] = d
                return
            }
            if behind > 0, behind <= Self.maxJump {
                bytes = UnsafeRawBufferPointer(rebasing: bytes[Int(behind)...])
            } else if behind != 0 {
                d.pending.removeAll()  // a gap: restart at this segment
            }
            direction = d
        } else {
            if taken == nil, directions.count >= Self.maxDirections { evictIdlest() }
            direction = Direction(nextSequence: sequence, lastTime: time)
        }
        direction.nextSequence = sequence &+ UInt32(truncatingIfNeeded: tcp.payloadLength)
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
        if payload.count < tcp.payloadLength || direction.pending.count > Self.maxPending
            || pendingTotal + direction.pending.count > Self.maxPendingTotal {
            direction.pending.removeAll()  // cut by the snap length, or over a bound: the rest is unknown
        }
        pendingTotal += direction.pending.count
        directions[key] = direction
    }

    private mutating func forget(_ key: Key) {
        if let d = directions.removeValue(forKey: key) { pendingTotal -= d.pending.count }
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
        for (k, _) in victims { forget(k) }
    }
}
