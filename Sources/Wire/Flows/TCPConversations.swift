import CPrefetch
import DequeModule
import HeapModule

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
struct EndpointPair: Hashable, FlowTableKey {
    var a: Endpoint
    var b: Endpoint
    init(_ x: Endpoint, _ y: Endpoint) {
        if x < y { a = x; b = y } else { a = y; b = x }
    }

    /// The two addresses, then both ports and both address families in a fifth word: what every hash of the
    /// key (this `Hashable`, `FlowTable`, `BloomFilter`) mixes, rather than the eight fields one by one.
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64) {
        (a.address.high, a.address.low, b.address.high, b.address.low,
         UInt64(a.port) << 48 | UInt64(b.port) << 32 | (a.address.isIPv6 ? 2 : 0) | (b.address.isIPv6 ? 1 : 0))
    }

    func hash(into h: inout Hasher) {
        let w = words
        h.combine(w.0)
        h.combine(w.1)
        h.combine(w.2)
        h.combine(w.3)
        h.combine(w.4)
    }
}

/// Frames and times of a packet and its resends (an attempt's SYNs, a DNS query): the first inline, the
/// resends in an array that a packet sent once leaves empty, so that it costs no allocation (a flood keeps
/// 100,000 attempts, short connections make a million, a busy resolver as many lookups) and a copy one
/// reference count. 24 bytes: no frame is `Int.min` (frames count from 1), which stands for "none yet".
struct Sends: Sendable {
    private var firstFrame = Int.min
    private var firstTime: Int64 = 0
    private var later: [(frame: Int, time: Int64)] = []

    var first: (frame: Int, time: Int64)? { firstFrame == .min ? nil : (firstFrame, firstTime) }
    var count: Int { firstFrame == .min ? 0 : 1 + later.count }
    var frames: [Int] { first.map { [$0.frame] + later.map(\.frame) } ?? [] }
    var times: [Int64] { first.map { [$0.time] + later.map(\.time) } ?? [] }
    /// The latest send's time (nil before the first).
    var lastTime: Int64? { later.last?.time ?? first?.time }

    init() {}

    /// A packet sent once.
    init(frame: Int, time: Int64) {
        assert(frame != .min, "Int.min stands for no send")
        firstFrame = frame
        firstTime = time
    }

    /// The sends whose frames and times these are (as many of each).
    init(frames: [Int], times: [Int64]) {
        for (frame, time) in zip(frames, times) { append(frame: frame, time: time) }
    }

    mutating func append(frame: Int, time: Int64) {
        assert(frame != .min, "Int.min stands for no send")
        if firstFrame == .min {
            firstFrame = frame
            firstTime = time
        } else {
            later.append((frame, time))
        }
    }
}

/// One TCP connection attempt's opening as the capture saw it.
///
/// 144 bytes: a flood keeps 100,000 of them, and the SYN checks read each. What every check reads (the stream, the
/// endpoints, the state) is in the first 64 bytes, what judging an unanswered one reads in the next; the optional
/// frames and times are stored as plain numbers with a bit each in `present`.
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
    /// The originator's initial sequence number (`tcp.seq_raw` of its SYN): with the addresses, what
    /// recognises the same attempt in another node's capture (NAT rewrites addresses, not sequence numbers).
    public var isn: UInt32
    public var server: Endpoint
    public var state: State
    private var storedRstTTL: UInt8
    public var mss: UInt16
    /// Which of the optional values are there (`Present`).
    private var present: UInt8
    public var synCount: Int
    private var storedAckWithoutSynAck: Int
    var syns: Sends
    private var storedSynAckFrame: Int
    private var storedSynAckTime: Int64
    private var storedRstFrame: Int
    private var storedRstTime: Int64
    /// Time of the last packet in the conversation.
    public var lastTime: Int64

    private enum Present {
        static let synAckFrame: UInt8 = 1, synAckTime: UInt8 = 2, rstFrame: UInt8 = 4, rstTime: UInt8 = 8, rstTTL: UInt8 = 16
        static let ackWithoutSynAck: UInt8 = 32
    }

    /// The originator's SYNs with the first ISN (kernel retransmissions of one attempt), at most
    /// `TCPConversations.maxSynFrames`: their frames and times.
    public var synFrames: [Int] { syns.frames }
    public var synTimes: [Int64] { syns.times }
    /// The first of `synFrames` and `synTimes`, and the last of `synTimes` (nil without SYNs), read without
    /// building the arrays.
    public var firstSynFrame: Int? { syns.first?.frame }
    public var firstSynTime: Int64? { syns.first?.time }
    public var lastSynTime: Int64? { syns.lastTime }
    public var synAckFrame: Int? { value(storedSynAckFrame, Present.synAckFrame) }
    public var synAckTime: Int64? { value(storedSynAckTime, Present.synAckTime) }
    public var rstFrame: Int? { value(storedRstFrame, Present.rstFrame) }
    public var rstTime: Int64? { value(storedRstTime, Present.rstTime) }
    public var rstTTL: UInt8? { value(storedRstTTL, Present.rstTTL) }
    /// An `unanswered` attempt whose originator went on to acknowledge (ACK without SYN or RST):
    /// it must have received a SYN-ACK the capture did not hold (a one-direction capture,
    /// asymmetric routing, or capture drops), so "no answer" cannot be claimed. The first such frame.
    public var ackWithoutSynAckFrame: Int? { value(storedAckWithoutSynAck, Present.ackWithoutSynAck) }

    @inline(__always)
    private func value<T>(_ stored: T, _ bit: UInt8) -> T? { present & bit != 0 ? stored : nil }

    init(stream: Int, client: Endpoint, server: Endpoint, isn: UInt32, state: State, syns: Sends,
         synCount: Int, synAckFrame: Int?, synAckTime: Int64?, rstFrame: Int?, rstTime: Int64?, rstTTL: UInt8?, mss: UInt16,
         lastTime: Int64, ackWithoutSynAckFrame: Int? = nil) {
        self.stream = stream
        self.client = client
        self.isn = isn
        self.server = server
        self.state = state
        self.mss = mss
        self.synCount = synCount
        self.syns = syns
        self.lastTime = lastTime
        var present: UInt8 = 0
        func store<T>(_ v: T?, _ bit: UInt8, _ empty: T) -> T {
            guard let v else { return empty }
            present |= bit
            return v
        }
        storedSynAckFrame = store(synAckFrame, Present.synAckFrame, 0)
        storedSynAckTime = store(synAckTime, Present.synAckTime, 0)
        storedRstFrame = store(rstFrame, Present.rstFrame, 0)
        storedRstTime = store(rstTime, Present.rstTime, 0)
        storedRstTTL = store(rstTTL, Present.rstTTL, 0)
        storedAckWithoutSynAck = store(ackWithoutSynAckFrame, Present.ackWithoutSynAck, 0)
        self.present = present
    }
}

extension ConnectionAttempt {
    /// An attempt from its SYNs' frames and times as arrays.
    init(stream: Int, client: Endpoint, server: Endpoint, isn: UInt32, state: State, synFrames: [Int], synTimes: [Int64],
         synCount: Int, synAckFrame: Int?, synAckTime: Int64?, rstFrame: Int?, rstTime: Int64?, rstTTL: UInt8?, mss: UInt16,
         lastTime: Int64, ackWithoutSynAckFrame: Int? = nil) {
        self.init(stream: stream, client: client, server: server, isn: isn, state: state,
                  syns: Sends(frames: synFrames, times: synTimes), synCount: synCount,
                  synAckFrame: synAckFrame, synAckTime: synAckTime, rstFrame: rstFrame, rstTime: rstTime, rstTTL: rstTTL, mss: mss,
                  lastTime: lastTime, ackWithoutSynAckFrame: ackWithoutSynAckFrame)
    }
}

/// One completed handshake as a capture saw it: the SYN that was answered, the SYN-ACK and their
/// times, kept (a bounded sample) to match the same handshake in another node's capture and estimate
/// the offset between the two captures' clocks.
public struct HandshakeSample: Sendable, Equatable {
    public var client: Endpoint
    public var server: Endpoint
    /// The originator's and the responder's initial sequence numbers.
    public var isn: UInt32
    public var responderISN: UInt32
    /// The last SYN before the SYN-ACK (the one answered when the first was lost), and the SYN-ACK.
    public var synFrame: Int
    public var synTime: Int64
    public var synAckFrame: Int
    public var synAckTime: Int64
    /// How far the connection got in this capture, and its last packet.
    public var reach = TCPReach()
    public var lastTime: Int64 = 0
}

/// Follows TCP conversations the way tshark numbers `tcp.stream`, and records how each attempt
/// that starts with a SYN was answered.
///
/// A conversation is the unordered 4-tuple. As in Wireshark's packet-tcp.c, a SYN (without ACK)
/// on a known conversation starts a new stream when that direction's first sequence number was
/// different, or when the conversation already saw a FIN or RST: a new connection reusing the
/// ports. A SYN with the same ISN is a retransmission of the same attempt.
///
/// Memory follows the conversations that are live, not all the capture ever saw. As Zeek does, a
/// conversation is flushed `closedLinger` (5 s) after its last packet once FINs from both sides or a
/// RST closed it, and after `inactivityTimeout` (5 min) without a packet. tshark keeps every
/// conversation, so a packet arriving for a flushed one starts a new `tcp.stream` where tshark
/// continues the old one, and later stream numbers are one higher than tshark's. Flushed keys are
/// remembered in a Bloom filter, so such resumptions are counted (`resumedConversations`) and
/// reported. A non-SYN packet on a flushed key is always counted, and rarely one on a key never flushed;
/// a SYN is never counted, though after an idle flush a SYN with the old ISN (or from the silent
/// responder) would have continued tshark's stream. A conversation whose only packet is a SYN is kept as a
/// 48-byte `Opening`, so a SYN flood costs about 130 bytes per attempt live.
public struct TCPConversations {
    /// A conversation whose only packet so far is a pure SYN without data: stored inline in the table
    /// (no allocation). The second packet turns it into a `Conversation` by replaying the SYN.
    struct Opening {
        var stream: Int
        var frame: Int
        var time: Int64
        var sequence: UInt32
        var acknowledgment: UInt32
        var window: UInt16
        var mss: UInt16
        var ipLength: UInt16
        var headerLength: UInt8
        var ttl: UInt8
        var flags: TCPFlags
        /// The SYN came from the key's `a` endpoint.
        var fromA: Bool

        init?(_ tcp: TCPHeader, ip: SegmentIP, stream: Int, frame: Int, time: Int64, fromA: Bool) {
            // A SYN that also carries RST or FIN closes or flags the flow: that takes a full conversation.
            guard tcp.flags.isPureSYN, tcp.flags.isDisjoint(with: [.rst, .fin]), tcp.payloadLength == 0, let ipLength = UInt16(exactly: ip.totalLength),
                  let headerLength = UInt8(exactly: tcp.headerLength) else { return nil }
            self.stream = stream
            self.frame = frame
            self.time = time
            sequence = tcp.sequence
            acknowledgment = tcp.acknowledgment
            window = tcp.window
            mss = tcp.mss
            self.ipLength = ipLength
            self.headerLength = headerLength
            ttl = ip.ttl
            flags = tcp.flags
            self.fromA = fromA
        }

        /// Who sent the SYN and to whom, in the conversation at `key`.
        func endpoints(_ key: EndpointPair) -> (originator: Endpoint, responder: Endpoint) {
            fromA ? (key.a, key.b) : (key.b, key.a)
        }

        func header(from source: Endpoint, to destination: Endpoint) -> TCPHeader {
            TCPHeader(sourcePort: source.port, destinationPort: destination.port, sequence: sequence,
                      acknowledgment: acknowledgment, flags: flags, window: window, headerLength: Int(headerLength),
                      payloadLength: 0, mss: mss)
        }
    }

    /// A conversation past its first SYN. Held in `pool` and updated in place there: a value, so the
    /// per-packet update needs no reference counting or the runtime's exclusivity checks of a class.
    struct Conversation {
        let stream: Int
        let originator: Endpoint
        let responder: Endpoint
        let startsWithSYN: Bool
        let originatorBaseSeq: UInt32
        var responderBaseSeq: UInt32?
        var sawFinOrRst = false
        var finFromOriginator = false
        var finFromResponder = false
        var sawRst = false
        /// Queued for flushing once closed.
        var closing = false
        /// Retired: its place in the pool is free.
        var retired = false
        var responderPackets = 0
        var syns = Sends()
        var synCount = 0
        var synAck: (frame: Int, time: Int64, seq: UInt32)?
        /// The last originator SYN before the SYN-ACK (retransmissions included).
        var lastSyn: (frame: Int, time: Int64)?
        var rst: (frame: Int, time: Int64, ttl: UInt8)?
        var handshakeAck = false
        /// First originator segment acknowledging something while no SYN-ACK was seen.
        var ackWithoutSynAck: Int?
        var mss: UInt16 = 0
        var responderMSS: UInt16 = 0
        var lastTime: Int64
        let firstTime: Int64
        let firstFrame: Int
        // Sequence analysis (Wireshark tcp.analysis.*), originator → responder and back.
        var originatorSeq = TCPSequenceState()
        var responderSeq = TCPSequenceState()
        var originatorHealth = TCPDirectionTracker()
        var responderHealth = TCPDirectionTracker()
        var lastSynTime: Int64?
        var initialRTT: Int64?

        init(stream: Int, originator: Endpoint, responder: Endpoint, first tcp: TCPHeader, frame: Int, time: Int64) {
            self.stream = stream
            self.originator = originator
            self.responder = responder
            startsWithSYN = tcp.flags.isPureSYN
            originatorBaseSeq = tcp.sequence
            lastTime = time
            firstTime = time
            firstFrame = frame
        }

        /// Closed by FINs from both sides or by a RST.
        var isClosed: Bool { sawRst || (finFromOriginator && finFromResponder) }

        var reach: TCPReach {
            var r = TCPReach()
            if startsWithSYN { r.isn = originatorBaseSeq }
            r.responderISN = synAck?.seq
            // One past the highest data byte, else one past the SYN (nothing beyond it arrived).
            r.clientNext = originatorSeq.hasDataEnd ? originatorSeq.dataEnd : r.isn.map { $0 &+ 1 }
            r.serverNext = responderSeq.hasDataEnd ? responderSeq.dataEnd : r.responderISN.map { $0 &+ 1 }
            if originatorSeq.hasLastAck { r.clientAck = originatorSeq.lastAck }
            if responderSeq.hasLastAck { r.serverAck = responderSeq.lastAck }
            return r
        }

        /// Records one segment; returns its Wireshark analysis flags.
        mutating func record(_ tcp: TCPHeader, ipLength: Int, ttl: UInt8, fromOriginator: Bool, frame: Int, time: Int64,
                    settings: TCPAnalysisSettings) -> TCPAnalysisFlags {
            lastTime = time
            let analysis = analyze(tcp, ipLength: ipLength, fromOriginator: fromOriginator, frame: frame, time: time,
                                   settings: settings)
            let flags = tcp.flags
            if flags.contains(.fin) || flags.contains(.rst) { sawFinOrRst = true }
            if flags.contains(.rst) { sawRst = true }
            if flags.contains(.fin) {
                if fromOriginator { finFromOriginator = true } else { finFromResponder = true }
            }
            if fromOriginator {
                if flags.isPureSYN && tcp.sequence == originatorBaseSeq {
                    synCount += 1
                    if synAck == nil { lastSyn = (frame, time) }
                    if syns.count < TCPConversations.maxSynFrames { syns.append(frame: frame, time: time) }
                    if mss == 0 { mss = tcp.mss }
                } else if let sa = synAck, !handshakeAck, flags.contains(.ack), !flags.contains(.syn),
                          !flags.contains(.rst), tcp.acknowledgment == sa.seq &+ 1 {
                    handshakeAck = true
                } else if synAck == nil, ackWithoutSynAck == nil, responderPackets == 0, flags.contains(.ack),
                          !flags.contains(.syn), !flags.contains(.rst) {
                    ackWithoutSynAck = frame
                }
            } else {
                responderPackets += 1
                if flags.isSYNACK && synAck == nil { synAck = (frame, time, tcp.sequence); responderMSS = tcp.mss }
                if flags.contains(.rst) && rst == nil { rst = (frame, time, ttl) }
            }
            return analysis
        }

        private mutating func analyze(_ tcp: TCPHeader, ipLength: Int, fromOriginator: Bool, frame: Int, time: Int64,
                             settings: TCPAnalysisSettings) -> TCPAnalysisFlags {
            // Initial RTT as Wireshark takes it: from the most recent SYN to the first ACK without SYN.
            if tcp.flags.isPureSYN { lastSynTime = time }
            if initialRTT == nil, let syn = lastSynTime, tcp.flags.contains(.ack), !tcp.flags.contains(.syn) {
                initialRTT = time - syn
            }
            let flags: TCPAnalysisFlags
            if fromOriginator {
                flags = TCPSequenceAnalysis.analyze(tcp, fwd: &originatorSeq, rev: &responderSeq, time: time,
                                                    initialRTT: initialRTT, settings: settings)
                originatorHealth.sent(tcp, ipLength: ipLength, flags: flags, frame: frame, time: time)
                if tcp.flags.contains(.ack) { responderHealth.acknowledged(tcp.acknowledgment, frame: frame) }
            } else {
                flags = TCPSequenceAnalysis.analyze(tcp, fwd: &responderSeq, rev: &originatorSeq, time: time,
                                                    initialRTT: initialRTT, settings: settings)
                responderHealth.sent(tcp, ipLength: ipLength, flags: flags, frame: frame, time: time)
                if tcp.flags.contains(.ack) { originatorHealth.acknowledged(tcp.acknowledgment, frame: frame) }
            }
            return flags
        }
    }

    /// What the table holds at a key: a lone SYN inline, or the position of a conversation in `pool`.
    enum Entry {
        case opening(Opening)
        case conversation(Int)
    }

    typealias Key = EndpointPair

    /// At most this many SYN frames are kept per attempt as evidence.
    public static let maxSynFrames = 16

    private var live = FlowTable<EndpointPair, Entry>(recencyOrder: true)
    /// Conversations past their first SYN, found through the table; retired ones' places are reused.
    private var pool: [Conversation] = []
    private var freePlaces: [Int] = []
    private var streams = 0
    /// The latest packet time seen: the clock that flushes conversations.
    private var latest = Int64.min
    /// A closed conversation (its place in `pool`) and when to look at it again: 24 bytes, as the heap
    /// moves them at every insertion and removal (a million short connections pass through it).
    struct Closing: Comparable {
        var due: Int64
        var stream: Int
        var place: Int
        static func < (a: Closing, b: Closing) -> Bool { (a.due, a.stream) < (b.due, b.stream) }
        static func == (a: Closing, b: Closing) -> Bool { a.due == b.due && a.stream == b.stream }
    }
    /// Closed conversations waiting for `closedLinger` to pass since their last packet.
    private var closing = ClosingQueue()

    /// A priority queue of closings, least first. Packet times mostly rise, and with them the times closings
    /// are due: those that come in order wait in a first-in first-out queue (constant time; a million short
    /// connections pass through), the others in a heap. The least is the lesser of the two fronts.
    struct ClosingQueue {
        private var inOrder = Deque<Closing>()
        private var others = Heap<Closing>()

        mutating func insert(_ c: Closing) {
            if inOrder.last.map({ $0 < c }) ?? true { inOrder.append(c) } else { others.insert(c) }
        }

        var min: Closing? {
            switch (inOrder.first, others.min) {
            case let (a?, b?): Swift.min(a, b)
            case let (a, b): a ?? b
            }
        }

        mutating func removeMin() {
            if let a = inOrder.first, others.min.map({ a < $0 }) ?? true { inOrder.removeFirst() } else { others.removeMin() }
        }

        var unordered: [Closing] { Array(inOrder) + others.unordered }
    }
    private var nextIdleSweep = Int64.max
    /// A time far beyond `latest` that no later packet has confirmed yet.
    private var unconfirmedJump: Int64?
    private var flushed = BloomFilter()
    public var settings = TCPAnalysisSettings()
    /// Flows with retransmissions, duplicate ACKs, zero windows or resets (the first `maxFlows`).
    public private(set) var flows: [TCPFlowSummary] = []
    public private(set) var flowsNotKept = 0
    public static let maxFlows = 50_000
    /// Attempts (streams that began with a SYN) not established at the first SYN (unanswered,
    /// refused, other, or SYN retransmitted): the first `maxKeptAttempts` by stream after `finish`.
    /// Established ones are only counted, so memory does not grow with the number of connections.
    public var notableAttempts: [ConnectionAttempt] { kept.attempts }
    public var notableAttemptsNotKept: Int { kept.notKept }
    private var kept = KeptAttempts(capacity: maxKeptAttempts)
    public static let maxKeptAttempts = 100_000
    /// Completed handshakes kept as samples, for matching across captures: the first `maxHandshakeSamples` to
    /// retire, and as many again of those open when the capture ended.
    public private(set) var handshakes: [HandshakeSample] = []
    public static let maxHandshakeSamples = 4096
    private var finishing = false
    /// Attempts the responder never answered (Zeek `S0`), and answered only by RST (`REJ`).
    public private(set) var unansweredAttempts = 0
    public private(set) var refusedAttempts = 0
    public private(set) var handshakesCompleted = 0
    /// Conversations flushed before the capture ended (closed, or inactive).
    public private(set) var flushedConversations = 0
    /// New conversations whose key was (probably) flushed before and whose first packet is not a SYN:
    /// tshark would have continued the old `tcp.stream`. The first such frame.
    public private(set) var resumedConversations = 0
    public private(set) var firstResumedFrame: Int?
    /// The most conversations live at once.
    public private(set) var peakLiveConversations = 0
    /// Conversations flushed early because `settings.maxLiveConversations` were live.
    public private(set) var evictedConversations = 0

    public init() {}

    /// What a segment's analysis reads of its IP header: 64 bytes rather than the header's 96, so that a
    /// `TCPEvent` carrying it between threads, with the key's hash, is 128 bytes (its stride).
    struct SegmentIP {
        var source: IPAddress
        var destination: IPAddress
        var totalLength: Int
        var ttl: UInt8

        init(_ ip: IPHeader) {
            source = ip.source
            destination = ip.destination
            totalLength = ip.totalLength
            ttl = ip.ttl
        }
    }

    /// Hashes segments' conversation keys as the table does: a copy, for the thread that reads and decodes, so that
    /// each key is hashed once (for `prefetch` and `add`), and not on the thread that tracks the conversations.
    struct KeyHasher: Sendable {
        let table: FlowTable<EndpointPair, Entry>.KeyHasher

        @inline(__always)
        func hash(_ tcp: TCPHeader, ip: SegmentIP) -> UInt64 {
            table.hash(Key(Endpoint(ip.source, tcp.sourcePort), Endpoint(ip.destination, tcp.destinationPort)))
        }
    }

    var keyHasher: KeyHasher { KeyHasher(table: live.hasher) }

    /// The hash of the segment's conversation key in the table (`keyHasher`).
    @inline(__always)
    func hash(_ tcp: TCPHeader, ip: SegmentIP) -> UInt64 { keyHasher.hash(tcp, ip: ip) }

    /// Starts loading what `add` will look up first for a segment of this `hash` (its key's slot in the index).
    @inline(__always)
    func prefetch(hash: UInt64) {
        live.prefetch(hash: hash)
    }

    /// Adds one segment; returns Wireshark's analysis flags for it.
    @discardableResult
    public mutating func add(_ tcp: TCPHeader, ip: IPHeader, frame: Int, time: Int64) -> TCPAnalysisFlags {
        add(tcp, ip: SegmentIP(ip), frame: frame, time: time)
    }

    @discardableResult
    mutating func add(_ tcp: TCPHeader, ip: SegmentIP, frame: Int, time: Int64) -> TCPAnalysisFlags {
        add(tcp, ip: ip, frame: frame, time: time, hash: hash(tcp, ip: ip))
    }

    /// Adds one segment whose key's hash is `hash(tcp, ip:)`.
    @discardableResult
    mutating func add(_ tcp: TCPHeader, ip: SegmentIP, frame: Int, time: Int64, hash: UInt64) -> TCPAnalysisFlags {
        tick(time)
        let src = Endpoint(ip.source, tcp.sourcePort), dst = Endpoint(ip.destination, tcp.destinationPort)
        let key = Key(src, dst)
        guard let position = live.find(key, hash: hash) else {
            if !tcp.flags.isPureSYN && flushed.mayContain(key) {
                resumedConversations += 1
                if firstResumedFrame == nil { firstResumedFrame = frame }
            }
            let flags = open(key, hash: hash, src, dst, tcp, ip: ip, frame: frame, time: time)
            peakLiveConversations = Swift.max(peakLiveConversations, live.count)
            return flags
        }
        live.touch(position)
        let c: Int
        switch live.values[position] {
        case .opening(let o):
            c = promote(o, key)
            live.values[position] = .conversation(c)
        case .conversation(let existing):
            c = existing
        }
        let fromOriginator = src == pool[c].originator
        if tcp.flags.isPureSYN {
            let base = fromOriginator ? pool[c].originatorBaseSeq : pool[c].responderBaseSeq
            if let base, base != tcp.sequence || pool[c].sawFinOrRst {
                retire(conversationAt: c)
                live.remove(at: position)      // retired: an eviction inside `open` must not retire it again
                return open(key, hash: hash, src, dst, tcp, ip: ip, frame: frame, time: time)
            }
        }
        if !fromOriginator && pool[c].responderBaseSeq == nil { pool[c].responderBaseSeq = tcp.sequence }
        let flags = pool[c].record(tcp, ipLength: ip.totalLength, ttl: ip.ttl, fromOriginator: fromOriginator, frame: frame,
                                   time: time, settings: settings)
        queueIfClosed(c, time: time)
        return flags
    }

    /// Queues a conversation that is now closed to be flushed `closedLinger` after its last packet.
    private mutating func queueIfClosed(_ c: Int, time: Int64) {
        guard !pool[c].closing && pool[c].isClosed else { return }
        pool[c].closing = true
        closing.insert(Closing(due: time.saturatingAdd(settings.closedLinger), stream: pool[c].stream, place: c))
    }

    /// Starts a stream at `key` with its first segment: an `Opening` for a pure SYN without data.
    private mutating func open(_ key: Key, hash: UInt64, _ src: Endpoint, _ dst: Endpoint, _ tcp: TCPHeader, ip: SegmentIP,
                               frame: Int, time: Int64) -> TCPAnalysisFlags {
        defer { streams += 1 }
        if live.count >= settings.maxLiveConversations { evictLeastRecent() }
        // A table this large may well reach the limit (a flood does): its arrays are reserved for it at once,
        // once, and only for a limit that is not far beyond the default (a limit set very high, to mean "none",
        // must not allocate its whole index up front).
        if !reserved && live.count == Self.reserveAt {
            reserved = true
            if settings.maxLiveConversations > Self.reserveAt && settings.maxLiveConversations <= Self.maxReserved {
                live.reserveCapacity(settings.maxLiveConversations)
            }
        }
        if let o = Opening(tcp, ip: ip, stream: streams, frame: frame, time: time, fromA: src == key.a) {
            live.insert(key, hash: hash, .opening(o))
            // The flags the SYN gets as a conversation's first segment, from throwaway state: the
            // promotion replays it.
            var fwd = TCPSequenceState(), rev = TCPSequenceState()
            return TCPSequenceAnalysis.analyze(tcp, fwd: &fwd, rev: &rev, time: time, initialRTT: nil, settings: settings)
        }
        let c = place(Conversation(stream: streams, originator: src, responder: dst, first: tcp, frame: frame, time: time))
        live.insert(key, hash: hash, .conversation(c))
        let flags = pool[c].record(tcp, ipLength: ip.totalLength, ttl: ip.ttl, fromOriginator: true, frame: frame, time: time,
                                   settings: settings)
        queueIfClosed(c, time: time)
        return flags
    }

    /// Puts a conversation in the pool; returns its place.
    private mutating func place(_ c: Conversation) -> Int {
        if let free = freePlaces.popLast() {
            pool[free] = c
            return free
        }
        pool.append(c)
        return pool.count - 1
    }

    private func recency(_ e: Entry) -> Recency {
        switch e {
        case .opening(let o): Recency(time: o.time, stream: o.stream)
        case .conversation(let c): Recency(time: pool[c].lastTime, stream: pool[c].stream)
        }
    }

    /// Flushes the eighth of the live conversations whose last packet came earliest in the capture, as the
    /// inactivity timeout would have later. The table keeps that order, so an eviction costs in proportion to
    /// its victims, not to the table (a flood evicts every 32,768 SYNs).
    private mutating func evictLeastRecent() {
        let count = Swift.min(live.count, Swift.max(1, settings.maxLiveConversations / 8))
        let victims = live.leastRecentlyTouched(count).map { (stream: recency(live.values[$0]).stream, position: $0) }
        flush(victims)
        evictedConversations += victims.count
    }

    /// Flushes the entries at these positions, retiring them in stream order (no key is looked up again).
    private mutating func flush(_ victims: [(stream: Int, position: Int)]) {
        let order = victims.sorted(by: { $0.stream < $1.stream })
        // Each victim's entry is a cache miss: started ahead, they overlap. The keys' places in the Bloom filter are
        // gathered, then inserted together (prefetching ahead there too).
        let d = Self.prefetchDistance
        var places: [BloomFilter.Place] = []
        places.reserveCapacity(order.count)
        for i in order.indices {
            if i + d < order.count { live.prefetchEntry(order[i + d].position) }
            let position = order[i].position
            let key = live.keys[position]
            retireWithoutRemembering(key, live.values[position])
            places.append(BloomFilter.place(key))
        }
        flushed.insert(places)
        live.remove(sortedPositions: victims.map(\.position).sorted())
    }

    /// The number of live conversations at which the table's arrays are reserved up to `maxLiveConversations`,
    /// if that is at most `maxReserved` (4 times the default: an index of 16 MB).
    private static let reserveAt = 16_384
    private static let maxReserved = 1 << 20
    private var reserved = false

    /// How many flushes ahead a victim's entry is prefetched.
    private static let prefetchDistance = 8

    /// When an entry last had a packet, and its stream.
    struct Recency {
        var time: Int64
        var stream: Int
    }

    /// Retires a conversation whose only packet was its SYN: what `retire(promote(o, key))` records, without
    /// building the conversation (a SYN flood retires a million of them at the end). A lone pure SYN is an
    /// unanswered attempt (Zeek S0) with one SYN, and no flow summary: its sequence analysis flags nothing.
    private mutating func retireOpening(_ o: Opening, _ key: Key) {
        let (originator, responder) = o.endpoints(key)
        unansweredAttempts += 1
        keep(stream: o.stream, ConnectionAttempt(
            stream: o.stream, client: originator, server: responder, isn: o.sequence, state: .unanswered,
            syns: Sends(frame: o.frame, time: o.time),
            synCount: 1, synAckFrame: nil, synAckTime: nil, rstFrame: nil, rstTime: nil, rstTTL: nil,
            mss: o.mss, lastTime: o.time, ackWithoutSynAckFrame: nil))
    }

    /// Places the conversation an opening stands for, as if its SYN had been recorded as one; returns its place.
    private mutating func promote(_ o: Opening, _ key: Key) -> Int {
        let (originator, responder) = o.endpoints(key)
        let syn = o.header(from: originator, to: responder)
        var c = Conversation(stream: o.stream, originator: originator, responder: responder, first: syn, frame: o.frame,
                             time: o.time)
        _ = c.record(syn, ipLength: Int(o.ipLength), ttl: o.ttl, fromOriginator: true, frame: o.frame, time: o.time,
                     settings: settings)
        return place(c)
    }

    /// Runs the flushing clock on a packet's time. It follows the latest time seen, except that a jump
    /// forward by more than the inactivity timeout counts only once the next packet confirms it (one
    /// corrupt timestamp must not flush every conversation), and a step back by as much restarts it
    /// there (captures concatenated rather than merged) after flushing the closed conversations.
    private mutating func tick(_ time: Int64) {
        if latest != .min {
            if time > latest.saturatingAdd(settings.inactivityTimeout) {
                guard let jump = unconfirmedJump, time >= jump.saturatingSubtract(settings.closedLinger) else {
                    unconfirmedJump = time
                    return
                }
            } else if time < latest.saturatingSubtract(settings.inactivityTimeout) {
                latest = time
                nextIdleSweep = time.saturatingAdd(settings.inactivityTimeout / 10)
                // Closed conversations belong to the later file: flushed now, in stream order.
                for c in closing.unordered.sorted() where !pool[c.place].retired && pool[c.place].stream == c.stream {
                    flush(Key(pool[c.place].originator, pool[c.place].responder), stream: c.stream)
                }
                closing = ClosingQueue()
            }
        }
        unconfirmedJump = nil
        if time > latest { advance(to: time) }
    }

    /// Moves the flushing clock forward: closed conversations past their linger, and (every tenth of
    /// the inactivity timeout) inactive ones.
    private mutating func advance(to time: Int64) {
        if latest == .min { nextIdleSweep = time.saturatingAdd(settings.inactivityTimeout / 10) }
        latest = time
        while let next = closing.min, next.due <= latest {
            closing.removeMin()
            let c = next.place
            guard !pool[c].retired, pool[c].stream == next.stream else { continue }
            // Packets after the close push the flush back.
            let due = pool[c].lastTime.saturatingAdd(settings.closedLinger)
            if due <= latest {
                flush(Key(pool[c].originator, pool[c].responder), stream: next.stream)
            } else {
                closing.insert(Closing(due: due, stream: next.stream, place: c))
            }
        }
        if latest >= nextIdleSweep {
            var idle: [(stream: Int, position: Int)] = []
            for position in 0..<live.endPosition where live.isLive(position) {
                let r = recency(live.values[position])
                if r.time.saturatingAdd(settings.inactivityTimeout) <= latest { idle.append((r.stream, position)) }
            }
            // In stream order, as at the end: which flows fit under `maxFlows` must not depend on the table's order.
            flush(idle)
            nextIdleSweep = latest.saturatingAdd(settings.inactivityTimeout / 10)
        }
    }

    /// Flushes the conversation at `key`, if it is still stream `stream` when one is given.
    private mutating func flush(_ key: Key, stream: Int? = nil) {
        guard let position = live.find(key), stream == nil || recency(live.values[position]).stream == stream else { return }
        flush(at: position)
    }

    private mutating func flush(at position: Int) {
        retireEntry(at: position)
        live.remove(at: position)
    }

    /// Retires the entry at `position` and remembers its key as flushed; the entry stays in the table.
    private mutating func retireEntry(at position: Int) {
        retire(live.keys[position], live.values[position])
    }

    /// Retires the entry of `key` and remembers the key as flushed.
    private mutating func retire(_ key: Key, _ entry: Entry) {
        retireWithoutRemembering(key, entry)
        flushed.insert(key)
    }

    /// Retires the entry of `key`; the caller remembers the key as flushed.
    private mutating func retireWithoutRemembering(_ key: Key, _ entry: Entry) {
        switch entry {
        case .opening(let o): retireOpening(o, key)
        case .conversation(let c): retire(conversationAt: c)
        }
        flushedConversations += 1
    }

    /// Retires the conversation at place `c` of the pool, which is free again after.
    private mutating func retire(conversationAt c: Int) {
        // The pool is taken out while the conversation is retired in place: passing `pool[c]` to a method
        // that changes `self` would copy it (640 bytes, and a retain of each of its arrays).
        var pool: [Conversation] = []
        swap(&pool, &self.pool)
        retire(&pool[c])
        pool[c].retired = true
        swap(&pool, &self.pool)
        freePlaces.append(c)
    }

    private mutating func retire(_ c: inout Conversation) {
        if c.handshakeAck { handshakesCompleted += 1 }
        // Finishing adds episodes and the worst stall, not anomalies: a healthy flow (nearly all) is not finished.
        if c.originatorHealth.hasAnomaly || c.responderHealth.hasAnomaly {
            let out = c.originatorHealth.finish(), back = c.responderHealth.finish()
            if flows.count < Self.maxFlows {
                let mss: UInt16 = [c.mss, c.responderMSS].filter { $0 > 0 }.min() ?? 0
                flows.append(TCPFlowSummary(stream: c.stream, client: c.originator, server: c.responder,
                                            firstTime: c.firstTime, lastTime: c.lastTime, firstFrame: c.firstFrame,
                                            mss: Int(mss), established: c.handshakeAck, clientToServer: out, serverToClient: back,
                                            reach: c.reach))
            } else {
                flowsNotKept += 1
            }
        }
        guard c.startsWithSYN else { return }
        let state = ConnectionAttempt.State(ConnectionOpening(
            synAck: c.synAck != nil, handshakeAck: c.handshakeAck, responderPackets: c.responderPackets, responderRST: c.rst != nil))
        switch state {
        case .unanswered: unansweredAttempts += 1
        case .refused: refusedAttempts += 1
        default: break
        }
        // The first that retire, and as many again of those still open when the capture ended (long
        // connections, stalled ones among them, retire last).
        if state == .established, handshakes.count < Self.maxHandshakeSamples * (finishing ? 2 : 1), let sa = c.synAck, let syn = c.lastSyn {
            handshakes.append(HandshakeSample(client: c.originator, server: c.responder, isn: c.originatorBaseSeq, responderISN: sa.seq,
                                              synFrame: syn.frame, synTime: syn.time, synAckFrame: sa.frame, synAckTime: sa.time,
                                              reach: c.reach, lastTime: c.lastTime))
        }
        guard state != .established || c.synCount > 1 else { return }
        keep(stream: c.stream, ConnectionAttempt(
            stream: c.stream, client: c.originator, server: c.responder, isn: c.originatorBaseSeq, state: state, syns: c.syns,
            synCount: c.synCount, synAckFrame: c.synAck?.frame, synAckTime: c.synAck?.time,
            rstFrame: c.rst?.frame, rstTime: c.rst?.time, rstTTL: c.rst?.ttl, mss: c.mss, lastTime: c.lastTime,
            ackWithoutSynAckFrame: c.ackWithoutSynAck))
    }

    /// Keeps a notable attempt if it may be among the lowest streams (built only then).
    private mutating func keep(stream: Int, _ attempt: @autoclosure () -> ConnectionAttempt) {
        kept.offer(stream: stream, attempt())
    }

    /// Ends the capture: every live conversation is retired; attempts come back in stream order.
    public mutating func finish() {
        finishing = true
        var conversations: [Int] = []
        for position in 0..<live.endPosition where live.isLive(position) {
            let key = live.keys[position]
            switch live.values[position] {
            // A lone SYN never makes a flow summary, so openings may retire in any order.
            case .opening(let o): retireOpening(o, key)
            case .conversation(let c): conversations.append(c)
            }
        }
        live.removeAll()
        for c in conversations.sorted(by: { pool[$0].stream < pool[$1].stream }) { retire(conversationAt: c) }
        pool = []
        freePlaces = []
        kept.finish()
        flows.sort { $0.stream < $1.stream }
    }
}

/// The attempts of the lowest `capacity` streams among those offered, in stream order after `finish`; the others
/// are counted (`notKept`). Attempts retire out of stream order (a long connection retires after later short
/// ones), so the list holds up to a quarter more and is trimmed to the lowest when full. An attempt is built only
/// if it may be kept: once the list holds `capacity` attempts in stream order, one of a later stream than all of
/// those never will be (a flood retires a million, nearly all of them past that).
struct KeptAttempts {
    let capacity: Int
    private(set) var attempts: [ConnectionAttempt] = []
    private(set) var notKept = 0
    /// Attempts of this stream or later are not kept.
    private var ceiling = Int.max
    /// Whether `attempts` has been in stream order since the start.
    private var inOrder = true

    init(capacity: Int) { self.capacity = capacity }

    /// Keeps the attempt of `stream` (a stream number not offered before) unless it cannot be among the lowest.
    mutating func offer(stream: Int, _ attempt: @autoclosure () -> ConnectionAttempt) {
        guard stream < ceiling else {
            notKept += 1
            return
        }
        let limit = capacity + capacity / 4
        if attempts.count >= limit { trim() }
        // Reserved at its limit once: pages are touched only as attempts are written, and growing by
        // doubling would hold the old and the new buffer at once.
        if attempts.capacity == 0 { attempts.reserveCapacity(limit) }
        if let last = attempts.last, last.stream > stream { inOrder = false }
        attempts.append(attempt())
        // Offered in stream order so far (a flood's are), the list is already what a trim would leave: none later
        // than the last will ever be kept, and the rest are not built (nor their pages touched).
        if attempts.count == capacity && inOrder && ceiling == .max { ceiling = stream }
    }

    /// Keeps the lowest `capacity`, in stream order.
    mutating func finish() { trim() }

    /// Keeps the `capacity` lowest streams. Sorted through a permutation of indices: an attempt is large, and a
    /// merge sort moving them costs more than the sort.
    private mutating func trim() {
        let sorted = attempts.indices.dropFirst().allSatisfy { attempts[$0 - 1].stream < attempts[$0].stream }
        let keep = Swift.min(attempts.count, capacity)
        notKept += attempts.count - keep
        defer {
            // The kept attempts are now in stream order: none later than the last will ever be kept.
            if attempts.count == capacity, let last = attempts.last { ceiling = last.stream }
        }
        if sorted {
            attempts.removeLast(attempts.count - keep)
            return
        }
        // Stream numbers are unique, so the order is the same as a stable sort's. The permutation is
        // applied in place, cycle by cycle, so that no second buffer of attempts is made.
        let streams = attempts.map(\.stream)
        var order = Array(streams.indices)
        order.sort { streams[$0] < streams[$1] }
        var placed = [Bool](repeating: false, count: order.count)
        for start in order.indices where !placed[start] {
            let first = attempts[start]
            var k = start
            while true {
                placed[k] = true
                let from = order[k]
                if from == start {
                    attempts[k] = first
                    break
                }
                attempts[k] = attempts[from]
                k = from
            }
        }
        attempts.removeLast(attempts.count - keep)
    }
}

/// A set of flow keys that may answer "yes" for a key never inserted (rarely) but never "no" for one that was:
/// 2^23 bits (1 MiB, allocated at the first insert) in blocks of 512 bits (a cache line), 4 bits per key in
/// one block, about 2.5 % false positives after a million keys. A key touches one block, not four lines
/// at random: every conversation that ends is inserted (a million short connections, a flood's evictions).
struct BloomFilter {
    private var words: [UInt64] = []
    private static let bits = 1 << 23
    private static let blocks = UInt64(bits / 512)

    /// Where a key goes: the first word of its block, and the hash that chooses its bits there.
    struct Place {
        var block: Int
        var hash: UInt64
    }

    mutating func insert(_ key: EndpointPair) {
        allocate()
        words.withUnsafeMutableBufferPointer { Self.insert(Self.place(key), into: $0) }
    }

    /// Inserts the keys whose places these are (a flood's eviction inserts 32,768): each block is a cache miss,
    /// started a few keys ahead.
    mutating func insert(_ places: [Place]) {
        guard !places.isEmpty else { return }
        allocate()
        let d = 8
        words.withUnsafeMutableBufferPointer { words in
            for i in places.indices {
                if i + d < places.count { netautopsy_prefetch_write(words.baseAddress! + places[i + d].block) }
                Self.insert(places[i], into: words)
            }
        }
    }

    /// Makes the filter's bits at the first insert.
    private mutating func allocate() {
        if words.isEmpty { words = Array(repeating: 0, count: Self.bits / 64) }
    }

    @inline(__always)
    private static func insert(_ place: Place, into words: UnsafeMutableBufferPointer<UInt64>) {
        for k in 0..<4 {
            let (word, mask) = bit(k, of: place.hash)
            words[place.block + word] |= mask
        }
    }

    func mayContain(_ key: EndpointPair) -> Bool {
        guard !words.isEmpty else { return false }
        let place = Self.place(key)
        for k in 0..<4 {
            let (word, mask) = Self.bit(k, of: place.hash)
            if words[place.block + word] & mask == 0 { return false }
        }
        return true
    }

    /// The `k`th of a key's four bits in its block (from nine bits of its hash each): the word within the block,
    /// and the bit's mask in it.
    @inline(__always)
    private static func bit(_ k: Int, of h: UInt64) -> (word: Int, mask: UInt64) {
        let bit = Int(truncatingIfNeeded: h >> (9 * k)) & 511
        return (bit >> 6, 1 << (bit & 63))
    }

    /// The key's place: the first word of its block (from the hash's upper bits) and the hash, whose lower 36 bits
    /// choose the four bits in the block. The hash folds 128-bit products of the key's words with fixed constants (the
    /// first digits of π), as `FlowTable`'s does with random ones: the same in every run (Swift's `hashValue` is
    /// not), so false positives, and what the report says about them, are reproducible. Three independent
    /// multiplications: a flood's eviction hashes 32,768 keys at a time.
    @inline(__always)
    static func place(_ key: EndpointPair) -> Place {
        let w = key.words
        let x = fold(w.0 ^ 0x243f_6a88_85a3_08d3, w.1 ^ 0x1319_8a2e_0370_7344)
        let y = fold(w.2 ^ 0xa409_3822_299f_31d0, w.3 ^ 0x082e_fa98_ec4e_6c89)
        let h = fold(x ^ w.4, y ^ 0x4528_21e6_38d0_1377)
        return Place(block: Int((h >> 40) % blocks) * 8, hash: h)
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return p.high ^ p.low
    }
}
