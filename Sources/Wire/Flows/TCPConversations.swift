/// An address and port.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }
    public static func < (a: Endpoint, b: Endpoint) -> Bool { (a.address, a.port) < (b.address, b.port) }
    public var description: String { address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

/// Two endpoints in either order: a conversation's key, the same for both directions.
struct EndpointPair: Hashable {
    var a: Endpoint
    var b: Endpoint
    init(_ x: Endpoint, _ y: Endpoint) {
        if x < y { a = x; b = y } else { a = y; b = x }
    }
}

/// One TCP connection attempt's opening as the capture saw it.
public struct ConnectionAttempt: Sendable {
    public enum State: String, Sendable {
        /// SYN seen, the responder sent nothing (Zeek `S0`).
        case unanswered
        /// SYN answered by RST, no SYN-ACK (Zeek `REJ`).
        case refused
        /// SYN-ACK seen; the originator's ACK completed the handshake.
        case established
        /// SYN-ACK seen, but no ACK from the originator followed.
        case synAckOnly = "synack-only"
        /// The responder sent something other than SYN-ACK or RST.
        case other
    }

    /// tshark `tcp.stream` index (0-based, in order of first packet).
    public var stream: Int
    public var client: Endpoint
    public var server: Endpoint
    public var state: State
    /// The originator's SYNs with the first ISN (kernel retransmissions of one attempt).
    public var synFrames: [Int]
    public var synTimes: [Int64]
    public var synCount: Int
    public var synAckFrame: Int?
    public var synAckTime: Int64?
    public var rstFrame: Int?
    public var rstTime: Int64?
    public var rstTTL: UInt8?
    public var mss: UInt16
    /// Time of the last packet in the conversation.
    public var lastTime: Int64
    /// An `unanswered` attempt whose originator went on to acknowledge (ACK without SYN or RST):
    /// it must have received a SYN-ACK the capture did not hold (a one-direction capture,
    /// asymmetric routing, or capture drops), so "no answer" cannot be claimed. The first such frame.
    public var ackWithoutSynAckFrame: Int?
}

/// Follows TCP conversations the way tshark numbers `tcp.stream`, and records how each attempt
/// that starts with a SYN was answered.
///
/// A conversation is the unordered 4-tuple. As in Wireshark's packet-tcp.c, a SYN (without ACK)
/// on a known conversation starts a new stream when that direction's first sequence number was
/// different, or when the conversation already saw a FIN or RST: a new connection reusing the
/// ports. A SYN with the same ISN is a retransmission of the same attempt.
public struct TCPConversations {
    struct Conversation {
        var stream: Int
        var originator: Endpoint
        var responder: Endpoint
        var startsWithSYN: Bool
        var originatorBaseSeq: UInt32
        var responderBaseSeq: UInt32?
        var sawFinOrRst = false
        var responderPackets = 0
        var synFrames: [Int] = []
        var synTimes: [Int64] = []
        var synCount = 0
        var synAck: (frame: Int, time: Int64, seq: UInt32)?
        var rst: (frame: Int, time: Int64, ttl: UInt8)?
        var handshakeAck = false
        /// First originator segment acknowledging something while no SYN-ACK was seen.
        var ackWithoutSynAck: Int?
        var mss: UInt16 = 0
        var responderMSS: UInt16 = 0
        var lastTime: Int64
        var firstTime: Int64
        var firstFrame: Int
        // Sequence analysis (Wireshark tcp.analysis.*), originator → responder and back.
        var originatorSeq = TCPSequenceState()
        var responderSeq = TCPSequenceState()
        var originatorHealth = TCPDirectionTracker()
        var responderHealth = TCPDirectionTracker()
        var lastSynTime: Int64?
        var initialRTT: Int64?
    }

    typealias Key = EndpointPair

    /// At most this many SYN frames are kept per attempt as evidence.
    public static let maxSynFrames = 16

    private var live: [Key: Conversation] = [:]
    private var streams = 0
    public var settings = TCPAnalysisSettings()
    /// Flows with retransmissions, duplicate ACKs, zero windows or resets (the first `maxFlows`).
    public private(set) var flows: [TCPFlowSummary] = []
    public private(set) var flowsNotKept = 0
    public static let maxFlows = 50_000
    /// Attempts (streams that began with a SYN) not established at the first SYN (unanswered,
    /// refused, other, or SYN retransmitted): the first `maxKeptAttempts` by stream after `finish`.
    /// Established ones are only counted, so memory does not grow with the number of connections.
    public private(set) var notableAttempts: [ConnectionAttempt] = []
    public private(set) var notableAttemptsNotKept = 0
    public static let maxKeptAttempts = 100_000
    /// Attempts the responder never answered (Zeek `S0`), and answered only by RST (`REJ`).
    public private(set) var unansweredAttempts = 0
    public private(set) var refusedAttempts = 0
    public private(set) var handshakesCompleted = 0

    public init() {}

    /// Adds one segment; returns Wireshark's analysis flags for it.
    @discardableResult
    public mutating func add(_ tcp: TCPHeader, ip: IPHeader, frame: Int, time: Int64) -> TCPAnalysisFlags {
        let src = Endpoint(ip.source, tcp.sourcePort), dst = Endpoint(ip.destination, tcp.destinationPort)
        let key = Key(src, dst)
        guard let i = live.index(forKey: key) else {
            live[key] = start(src, dst, tcp, time: time, frame: frame)
            return Self.record(&live[key]!, tcp, ip: ip, fromOriginator: true, frame: frame, time: time, settings: settings)
        }
        // Read fields, not the whole value: a copy would make the in-place update below copy its arrays.
        let fromOriginator = src == live.values[i].originator
        if tcp.flags.isPureSYN {
            let base = fromOriginator ? live.values[i].originatorBaseSeq : live.values[i].responderBaseSeq
            if let base, base != tcp.sequence || live.values[i].sawFinOrRst {
                retire(live.values[i])
                live[key] = start(src, dst, tcp, time: time, frame: frame)
                return Self.record(&live[key]!, tcp, ip: ip, fromOriginator: true, frame: frame, time: time, settings: settings)
            }
        }
        if !fromOriginator && live.values[i].responderBaseSeq == nil { live.values[i].responderBaseSeq = tcp.sequence }
        return Self.record(&live.values[i], tcp, ip: ip, fromOriginator: fromOriginator, frame: frame, time: time,
                           settings: settings)
    }

    private mutating func start(_ src: Endpoint, _ dst: Endpoint, _ tcp: TCPHeader, time: Int64, frame: Int) -> Conversation {
        defer { streams += 1 }
        return Conversation(stream: streams, originator: src, responder: dst, startsWithSYN: tcp.flags.isPureSYN,
                            originatorBaseSeq: tcp.sequence, lastTime: time, firstTime: time, firstFrame: frame)
    }

    /// Records one segment; returns its Wireshark analysis flags.
    /// Static, like `analyze`: a method call would hold `self` (and so the `live` table) while the
    /// conversation inside it is mutated in place, and that forces a copy of the whole table.
    private static func record(
        _ c: inout Conversation, _ tcp: TCPHeader, ip: IPHeader, fromOriginator: Bool, frame: Int, time: Int64,
        settings: TCPAnalysisSettings
    ) -> TCPAnalysisFlags {
        c.lastTime = time
        let analysis = analyze(&c, tcp, ip: ip, fromOriginator: fromOriginator, frame: frame, time: time, settings: settings)
        let flags = tcp.flags
        if flags.contains(.fin) || flags.contains(.rst) { c.sawFinOrRst = true }
        if fromOriginator {
            if flags.isPureSYN && tcp.sequence == c.originatorBaseSeq {
                c.synCount += 1
                if c.synFrames.count < Self.maxSynFrames { c.synFrames.append(frame); c.synTimes.append(time) }
                if c.mss == 0 { c.mss = tcp.mss }
            } else if let sa = c.synAck, !c.handshakeAck, flags.contains(.ack), !flags.contains(.syn),
                      !flags.contains(.rst), tcp.acknowledgment == sa.seq &+ 1 {
                c.handshakeAck = true
            } else if c.synAck == nil, c.ackWithoutSynAck == nil, c.responderPackets == 0, flags.contains(.ack),
                      !flags.contains(.syn), !flags.contains(.rst) {
                c.ackWithoutSynAck = frame
            }
        } else {
            c.responderPackets += 1
            if flags.isSYNACK && c.synAck == nil { c.synAck = (frame, time, tcp.sequence); c.responderMSS = tcp.mss }
            if flags.contains(.rst) && c.rst == nil { c.rst = (frame, time, ip.ttl) }
        }
        return analysis
    }

    private static func analyze(
        _ c: inout Conversation, _ tcp: TCPHeader, ip: IPHeader, fromOriginator: Bool, frame: Int, time: Int64,
        settings: TCPAnalysisSettings
    ) -> TCPAnalysisFlags {
        // Initial RTT as Wireshark takes it: from the most recent SYN to the first ACK without SYN.
        if tcp.flags.isPureSYN { c.lastSynTime = time }
        if c.initialRTT == nil, let syn = c.lastSynTime, tcp.flags.contains(.ack), !tcp.flags.contains(.syn) {
            c.initialRTT = time - syn
        }
        let flags: TCPAnalysisFlags
        if fromOriginator {
            flags = TCPSequenceAnalysis.analyze(tcp, fwd: &c.originatorSeq, rev: &c.responderSeq, time: time,
                                                initialRTT: c.initialRTT, settings: settings)
            c.originatorHealth.sent(tcp, ipLength: ip.totalLength, flags: flags, frame: frame, time: time)
            if tcp.flags.contains(.ack) { c.responderHealth.acknowledged(tcp.acknowledgment, frame: frame) }
        } else {
            flags = TCPSequenceAnalysis.analyze(tcp, fwd: &c.responderSeq, rev: &c.originatorSeq, time: time,
                                                initialRTT: c.initialRTT, settings: settings)
            c.responderHealth.sent(tcp, ipLength: ip.totalLength, flags: flags, frame: frame, time: time)
            if tcp.flags.contains(.ack) { c.originatorHealth.acknowledged(tcp.acknowledgment, frame: frame) }
        }
        return flags
    }

    private mutating func retire(_ c: Conversation) {
        if c.handshakeAck { handshakesCompleted += 1 }
        var o = c.originatorHealth, r = c.responderHealth
        let out = o.finish(), back = r.finish()
        if out.hasAnomaly || back.hasAnomaly {
            if flows.count < Self.maxFlows {
                let mss: UInt16 = [c.mss, c.responderMSS].filter { $0 > 0 }.min() ?? 0
                flows.append(TCPFlowSummary(stream: c.stream, client: c.originator, server: c.responder,
                                            firstTime: c.firstTime, lastTime: c.lastTime, firstFrame: c.firstFrame,
                                            mss: Int(mss), established: c.handshakeAck, clientToServer: out, serverToClient: back))
            } else {
                flowsNotKept += 1
            }
        }
        guard c.startsWithSYN else { return }
        let state: ConnectionAttempt.State
        if c.synAck != nil {
            state = c.handshakeAck ? .established : .synAckOnly
        } else if c.responderPackets == 0 {
            state = .unanswered
        } else if c.rst != nil {
            state = .refused
        } else {
            state = .other
        }
        switch state {
        case .unanswered: unansweredAttempts += 1
        case .refused: refusedAttempts += 1
        default: break
        }
        guard state != .established || c.synCount > 1 else { return }
        if notableAttempts.count >= 2 * Self.maxKeptAttempts { trimAttempts() }
        notableAttempts.append(ConnectionAttempt(
            stream: c.stream, client: c.originator, server: c.responder, state: state, synFrames: c.synFrames,
            synTimes: c.synTimes, synCount: c.synCount, synAckFrame: c.synAck?.frame, synAckTime: c.synAck?.time,
            rstFrame: c.rst?.frame, rstTime: c.rst?.time, rstTTL: c.rst?.ttl, mss: c.mss, lastTime: c.lastTime,
            ackWithoutSynAckFrame: c.ackWithoutSynAck))
    }

    /// Keeps the `maxKeptAttempts` lowest streams (attempts retire out of stream order).
    private mutating func trimAttempts() {
        notableAttempts.sort { $0.stream < $1.stream }
        guard notableAttempts.count > Self.maxKeptAttempts else { return }
        notableAttemptsNotKept += notableAttempts.count - Self.maxKeptAttempts
        notableAttempts.removeLast(notableAttempts.count - Self.maxKeptAttempts)
    }

    /// Ends the capture: every live conversation is retired; attempts come back in stream order.
    public mutating func finish() {
        for c in live.values.sorted(by: { $0.stream < $1.stream }) { retire(c) }
        live.removeAll()
        trimAttempts()
        flows.sort { $0.stream < $1.stream }
    }
}
