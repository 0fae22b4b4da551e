/// One stretch during which a receiver advertised a zero window.
public struct ZeroWindowEpisode: Sendable {
    public var startFrame: Int
    public var startTime: Int64
    /// The frame that opened the window again, or nil if it was still closed when the flow ended.
    public var endFrame: Int?
    public var endTime: Int64?
    /// Zero-window frames in the episode.
    public var frames: Int

    /// Nanoseconds the window stayed closed (until the flow's last packet if it never reopened).
    public func duration(flowEnd: Int64) -> Int64 { (endTime ?? flowEnd) - startTime }
}

/// The same data segment sent again and again: the first send and its retransmissions.
public struct RetransmissionStall: Sendable {
    public var sequence: UInt32
    /// The largest payload length among the sends.
    public var length: Int
    /// The IP total length of that largest send.
    public var ipLength: Int
    /// Sends of this sequence number: the original (when captured) and the retransmissions, in order.
    public var frames: [Int]
    public var times: [Int64]
    public var lengths: [Int]
    public var retransmissions: Int
    /// The first frame acknowledging data past `sequence`, if any.
    public var ackFrame: Int?

    public static let maxSends = 16

    /// The last send before the acknowledgment was smaller than the largest: the data only got
    /// through once resent in smaller pieces (PLPMTUD / `tcp_mtu_probing`, or a late PMTU update).
    public var recoveredBySmallerSegment: Bool {
        guard ackFrame != nil, let last = lengths.last else { return false }
        return last < length
    }
}

/// One direction of a TCP flow as Wireshark's sequence analysis judges it.
public struct TCPDirectionHealth: Sendable {
    public var dataSegments = 0
    /// Segments tshark's `tcp.analysis.retransmission` matches (plain, fast and spurious).
    public var retransmissions = 0
    public var fastRetransmissions = 0
    public var spuriousRetransmissions = 0
    public var duplicateAcks = 0
    public var zeroWindows = 0
    public var resets = 0
    /// The first RST this direction sent.
    public var firstResetFrame: Int?
    public var firstResetTime: Int64?
    /// Frames of retransmissions (the first `maxFrames`) and their timestamps.
    public var retransmissionFrames: [Int] = []
    public var retransmissionTimes: [Int64] = []
    /// Zero-window episodes this direction advertised (the first `maxEpisodes`).
    public var zeroWindowEpisodes: [ZeroWindowEpisode] = []
    /// The largest payload of a segment the peer acknowledged, and that segment's IP total length.
    public var largestAckedSegment = 0
    public var largestAckedIPLength = 0
    /// The sequence number retransmitted most often.
    public var worstStall: RetransmissionStall?

    public static let maxFrames = 32
    public static let maxEpisodes = 16

    public init() {}

    var hasAnomaly: Bool { retransmissions > 0 || duplicateAcks > 0 || zeroWindows > 0 || resets > 0 }
}

/// A TCP flow's health, kept for flows with retransmissions, duplicate ACKs, zero windows or resets.
public struct TCPFlowSummary: Sendable {
    /// tshark `tcp.stream`.
    public var stream: Int
    /// The side that sent the first packet (the SYN when the capture saw it).
    public var client: Endpoint
    public var server: Endpoint
    public var firstTime: Int64
    public var lastTime: Int64
    public var firstFrame: Int
    /// Negotiated MSS: the smaller MSS option of SYN and SYN-ACK, 0 when unseen.
    public var mss: Int
    /// The three-way handshake completed in the capture.
    public var established: Bool
    public var clientToServer: TCPDirectionHealth
    public var serverToClient: TCPDirectionHealth
    /// How far each direction got, for following the flow into another node's capture.
    public var reach = TCPReach()

    public var retransmissions: Int { clientToServer.retransmissions + serverToClient.retransmissions }
    /// The flow's first RST, from either side.
    public var firstReset: (frame: Int, time: Int64)? {
        let all = [(clientToServer.firstResetFrame, clientToServer.firstResetTime), (serverToClient.firstResetFrame, serverToClient.firstResetTime)]
            .compactMap { f, t in f.flatMap { frame in t.map { (frame: frame, time: $0) } } }
        return all.min { $0.frame < $1.frame }
    }
    public var dataSegments: Int { clientToServer.dataSegments + serverToClient.dataSegments }
}

/// How far a TCP connection got in one capture, as raw sequence numbers: its initial sequence numbers,
/// one past the highest byte of data each side sent (one past its SYN when it sent none; FIN and RST
/// do not count), and the last acknowledgment each side sent. Another capture of the same connection compares to this.
public struct TCPReach: Sendable, Equatable {
    public var isn: UInt32?
    public var responderISN: UInt32?
    public var clientNext: UInt32?
    public var serverNext: UInt32?
    public var clientAck: UInt32?
    public var serverAck: UInt32?
    public init() {}

    /// Whether the data from the client (`fromClient`) or the server reached past `sequence`.
    public func received(past sequence: UInt32, fromClient: Bool) -> Bool? {
        (fromClient ? clientNext : serverNext).map { seqGT($0, sequence) }
    }

    /// Whether the receiver acknowledged data past `sequence` sent by the client (`fromClient`) or the server.
    public func acknowledged(past sequence: UInt32, fromClient: Bool) -> Bool? {
        (fromClient ? serverAck : clientAck).map { seqGT($0, sequence) }
    }
}

/// Per-direction bookkeeping behind `TCPDirectionHealth`: unacknowledged data segments (bounded)
/// and the sequence number currently being retransmitted.
///
/// Every segment updates the counters, held inline. What only a troubled direction needs (retransmission
/// frames, stalls, zero-window episodes) is kept apart, made at the first retransmission or zero window:
/// a healthy direction's tracker stays small, and so does the conversation a million short connections
/// each make (it was a kilobyte, copied and touched per connection).
struct TCPDirectionTracker {
    struct Sent {
        var seq: UInt32
        var length: Int
        var ipLength: Int
        var frame: Int
        var time: Int64
    }

    /// What a direction with retransmissions or zero windows also records.
    struct Trouble {
        var retransmissionFrames: [Int] = []
        var retransmissionTimes: [Int64] = []
        var zeroWindowEpisodes: [ZeroWindowEpisode] = []
        /// The sequence number retransmitted most often so far, and the one being retransmitted now.
        var worstStall: RetransmissionStall?
        var stall: RetransmissionStall?
        var openEpisode: ZeroWindowEpisode?
    }

    /// At most this many unacknowledged segments are remembered; when full, the smallest is dropped,
    /// since only the largest acknowledged size matters.
    static let maxUnacked = 16

    private var dataSegments = 0
    private var retransmissions = 0
    private var fastRetransmissions = 0
    private var spuriousRetransmissions = 0
    private var duplicateAcks = 0
    private var zeroWindows = 0
    private var resets = 0
    private var firstReset: (frame: Int, time: Int64)?
    private var largestAckedSegment = 0
    private var largestAckedIPLength = 0
    var unacked: [Sent] = []
    /// Empty, or the one `Trouble` (an array: a value that costs one word until needed).
    private var trouble: [Trouble] = []

    /// What `TCPDirectionHealth.hasAnomaly` will say: finishing adds no anomaly.
    var hasAnomaly: Bool { retransmissions > 0 || duplicateAcks > 0 || zeroWindows > 0 || resets > 0 }

    private mutating func troubled() {
        if trouble.isEmpty { trouble.append(Trouble()) }
    }

    mutating func sent(_ tcp: TCPHeader, ipLength: Int, flags: TCPAnalysisFlags, frame: Int, time: Int64) {
        let len = tcp.payloadLength
        if tcp.flags.contains(.rst) {
            resets += 1
            if firstReset == nil { firstReset = (frame, time) }
        }
        if len > 0 { dataSegments += 1 }
        if flags.contains(.duplicateAck) { duplicateAcks += 1 }
        if flags.contains(.zeroWindow) {
            zeroWindows += 1
            troubled()
            if trouble[0].openEpisode == nil {
                trouble[0].openEpisode = ZeroWindowEpisode(startFrame: frame, startTime: time, frames: 0)
            }
            trouble[0].openEpisode!.frames += 1
        } else if tcp.window > 0 && !tcp.flags.contains(.syn), !trouble.isEmpty, var e = trouble[0].openEpisode {
            e.endFrame = frame
            e.endTime = time
            closeEpisode(e)
        }
        if !flags.isDisjoint(with: .anyRetransmission) {
            retransmissions += 1
            if flags.contains(.fastRetransmission) { fastRetransmissions += 1 }
            if flags.contains(.spuriousRetransmission) { spuriousRetransmissions += 1 }
            troubled()
            if trouble[0].retransmissionFrames.count < TCPDirectionHealth.maxFrames {
                trouble[0].retransmissionFrames.append(frame)
                trouble[0].retransmissionTimes.append(time)
            }
            if len > 0 && !flags.contains(.spuriousRetransmission) {
                resent(tcp.sequence, length: len, ipLength: ipLength, frame: frame, time: time)
            }
        }
        guard len > 0 else { return }
        if !flags.isDisjoint(with: TCPAnalysisFlags.anyRetransmission.union(.outOfOrder)) {
            // Data sent again: a later cumulative ACK no longer proves the earlier, overlapping sends got through.
            let start = tcp.sequence, end = tcp.sequence &+ UInt32(len)
            unacked.removeAll { seqLT($0.seq, end) && seqGT($0.seq &+ UInt32($0.length), start) }
        }
        remember(Sent(seq: tcp.sequence, length: len, ipLength: ipLength, frame: frame, time: time))
    }

    private mutating func remember(_ s: Sent) {
        if unacked.count >= Self.maxUnacked {
            guard let i = unacked.indices.min(by: { unacked[$0].length < unacked[$1].length }),
                  unacked[i].length <= s.length else { return }
            unacked.remove(at: i)
        }
        unacked.append(s)
    }

    /// A retransmitted data segment (`trouble` exists).
    private mutating func resent(_ seq: UInt32, length: Int, ipLength: Int, frame: Int, time: Int64) {
        if trouble[0].stall?.sequence == seq, trouble[0].stall?.ackFrame == nil {
            // Updated in place: a copy would make the appends below copy its arrays.
            trouble[0].stall!.retransmissions += 1
            if length > trouble[0].stall!.length { trouble[0].stall!.length = length; trouble[0].stall!.ipLength = ipLength }
            if trouble[0].stall!.frames.count < RetransmissionStall.maxSends {
                trouble[0].stall!.frames.append(frame); trouble[0].stall!.times.append(time); trouble[0].stall!.lengths.append(length)
            }
        } else {
            keepWorst()
            var s = RetransmissionStall(sequence: seq, length: length, ipLength: ipLength, frames: [], times: [],
                                        lengths: [], retransmissions: 1)
            if let original = unacked.first(where: { $0.seq == seq }) {
                s.frames.append(original.frame); s.times.append(original.time); s.lengths.append(original.length)
                if original.length > s.length { s.length = original.length; s.ipLength = original.ipLength }
            }
            s.frames.append(frame); s.times.append(time); s.lengths.append(length)
            trouble[0].stall = s
        }
    }

    private mutating func keepWorst() {
        guard !trouble.isEmpty, let s = trouble[0].stall else { return }
        if s.retransmissions > (trouble[0].worstStall?.retransmissions ?? 0) { trouble[0].worstStall = s }
    }

    /// The peer acknowledged everything before `ack`.
    mutating func acknowledged(_ ack: UInt32, frame: Int) {
        if !unacked.isEmpty {
            unacked.removeAll { s in
                guard seqLE(s.seq &+ UInt32(s.length), ack) else { return false }
                if s.length > largestAckedSegment {
                    largestAckedSegment = s.length
                    largestAckedIPLength = s.ipLength
                }
                return true
            }
        }
        if !trouble.isEmpty, let s = trouble[0].stall, s.ackFrame == nil, seqGT(ack, s.sequence) {
            trouble[0].stall!.ackFrame = frame
            if let last = s.lengths.last, seqLE(s.sequence &+ UInt32(last), ack), last > largestAckedSegment {
                largestAckedSegment = last
            }
        }
    }

    private mutating func closeEpisode(_ e: ZeroWindowEpisode) {
        if trouble[0].zeroWindowEpisodes.count < TCPDirectionHealth.maxEpisodes { trouble[0].zeroWindowEpisodes.append(e) }
        trouble[0].openEpisode = nil
    }

    mutating func finish() -> TCPDirectionHealth {
        if !trouble.isEmpty, let e = trouble[0].openEpisode { closeEpisode(e) }
        keepWorst()
        var h = TCPDirectionHealth()
        h.dataSegments = dataSegments
        h.retransmissions = retransmissions
        h.fastRetransmissions = fastRetransmissions
        h.spuriousRetransmissions = spuriousRetransmissions
        h.duplicateAcks = duplicateAcks
        h.zeroWindows = zeroWindows
        h.resets = resets
        h.firstResetFrame = firstReset?.frame
        h.firstResetTime = firstReset?.time
        h.largestAckedSegment = largestAckedSegment
        h.largestAckedIPLength = largestAckedIPLength
        if let t = trouble.first {
            h.retransmissionFrames = t.retransmissionFrames
            h.retransmissionTimes = t.retransmissionTimes
            h.zeroWindowEpisodes = t.zeroWindowEpisodes
            h.worstStall = t.worstStall
        }
        return h
    }
}
