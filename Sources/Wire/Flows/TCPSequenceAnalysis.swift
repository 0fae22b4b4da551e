/// Wireshark's TCP sequence analysis flags (`tcp.analysis.*`), one set per segment.
public struct TCPAnalysisFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `tcp.analysis.retransmission` alone (Wireshark's filter of that name also matches fast and spurious).
    public static let retransmission = TCPAnalysisFlags(rawValue: 1 << 0)
    public static let fastRetransmission = TCPAnalysisFlags(rawValue: 1 << 1)
    public static let spuriousRetransmission = TCPAnalysisFlags(rawValue: 1 << 2)
    public static let outOfOrder = TCPAnalysisFlags(rawValue: 1 << 3)
    /// "Previous segment not captured" (`tcp.analysis.lost_segment`).
    public static let lostSegment = TCPAnalysisFlags(rawValue: 1 << 4)
    /// "ACKed unseen segment" (`tcp.analysis.ack_lost_segment`).
    public static let ackedUnseen = TCPAnalysisFlags(rawValue: 1 << 5)
    public static let duplicateAck = TCPAnalysisFlags(rawValue: 1 << 6)
    public static let zeroWindow = TCPAnalysisFlags(rawValue: 1 << 7)
    public static let zeroWindowProbe = TCPAnalysisFlags(rawValue: 1 << 8)
    public static let zeroWindowProbeAck = TCPAnalysisFlags(rawValue: 1 << 9)
    public static let keepAlive = TCPAnalysisFlags(rawValue: 1 << 10)
    public static let keepAliveAck = TCPAnalysisFlags(rawValue: 1 << 11)
    public static let windowUpdate = TCPAnalysisFlags(rawValue: 1 << 12)

    /// What tshark's `tcp.analysis.retransmission` filter matches: plain, fast and spurious.
    public static let anyRetransmission: TCPAnalysisFlags = [.retransmission, .fastRetransmission, .spuriousRetransmission]
}

/// Per-direction state of Wireshark's sequence analysis (packet-tcp.c `tcp_analyze_sequence_number`),
/// reimplemented from the Wireshark User's Guide "TCP Analysis" rules. Values Wireshark treats as
/// "unset" when zero have explicit flags here.
struct TCPSequenceState {
    var nextSeq: UInt32 = 0
    var hasNextSeq = false
    var nextSeqTime: Int64 = 0
    var maxSeqToBeAcked: UInt32 = 0
    var hasMaxSeqToBeAcked = false
    /// The last acknowledgment number this direction sent.
    var lastAck: UInt32 = 0
    var hasLastAck = false
    var lastAckTime: Int64 = 0
    /// The last window this direction advertised (raw header value); Wireshark starts at UINT32_MAX.
    var window: UInt32 = .max
    var dupAckCount = 0
    var lastSegmentFlags: TCPAnalysisFlags = []
    /// One past the highest byte of data this direction sent (SYN, FIN and RST aside).
    var dataEnd: UInt32 = 0
    var hasDataEnd = false
}

/// Sequence arithmetic modulo 2^32 (RFC 9293 §3.4).
@inline(__always) func seqLT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
@inline(__always) func seqGT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
@inline(__always) func seqLE(_ a: UInt32, _ b: UInt32) -> Bool { !seqGT(a, b) }

/// Wireshark-compatible constants: fast retransmission needs the last duplicate ACK within 20 ms;
/// out-of-order needs the segment within the initial RTT (3 ms when no handshake was seen).
public struct TCPAnalysisSettings: Sendable {
    public var fastRetransmitWindow: Int64 = 20_000_000
    public var defaultOutOfOrderThreshold: Int64 = 3_000_000
    /// A conversation closed by FIN from both sides or by a RST is flushed this long after its last
    /// packet (Zeek's `tcp_close_delay` and `tcp_reset_delay`, 5 s).
    public var closedLinger: Int64 = 5_000_000_000
    /// A conversation without a packet for this long is flushed (Zeek's `tcp_inactivity_timeout`, 5 min;
    /// Linux gives up a SYN after about 2 min, `tcp_syn_retries` = 6).
    public var inactivityTimeout: Int64 = 300_000_000_000
    /// Conversations tracked at once. A new one beyond it flushes the least recently active eighth
    /// first (counted in `evictedConversations`): a flood of distinct flows cannot grow memory
    /// past this (each live conversation costs about 1 KiB).
    public var maxLiveConversations = 262_144
    public init() {}
}

enum TCPSequenceAnalysis {
    /// Classifies one segment and updates both directions' state, in capture order.
    static func analyze(
        _ tcp: TCPHeader, fwd: inout TCPSequenceState, rev: inout TCPSequenceState, time: Int64,
        initialRTT: Int64?, settings: TCPAnalysisSettings
    ) -> TCPAnalysisFlags {
        let seq = tcp.sequence, ack = tcp.acknowledgment, len = UInt32(clamping: tcp.payloadLength)
        let window = UInt32(tcp.window)
        let f = tcp.flags
        let synFinRst = f.contains(.syn) || f.contains(.fin) || f.contains(.rst)
        var flags: TCPAnalysisFlags = []

        fwdChecks: do {
            if len == 1 && fwd.hasNextSeq && seq == fwd.nextSeq && rev.window == 0 {
                flags.insert(.zeroWindowProbe)
                break fwdChecks
            }
            if window == 0 && !synFinRst { flags.insert(.zeroWindow) }
            if fwd.hasNextSeq && seqGT(seq, fwd.nextSeq) && !f.contains(.rst) { flags.insert(.lostSegment) }
            if len <= 1 && fwd.hasNextSeq && seq == fwd.nextSeq &- 1 && !synFinRst { flags.insert(.keepAlive) }
            let repeatsAck = len == 0 && fwd.hasNextSeq && seq == fwd.nextSeq && ack == fwd.lastAck && !synFinRst
            if repeatsAck && window != 0 && window != fwd.window { flags.insert(.windowUpdate) }
            if repeatsAck && window != 0 && window == fwd.window && rev.lastSegmentFlags.contains(.keepAlive) {
                flags.insert(.keepAliveAck)
                break fwdChecks
            }
            if repeatsAck && window == 0 && fwd.window == 0 && rev.lastSegmentFlags.contains(.zeroWindowProbe) {
                flags.insert(.zeroWindowProbeAck)
                break fwdChecks
            }
            if repeatsAck && window != 0 && window == fwd.window {
                fwd.dupAckCount = fwd.dupAckCount == -1 ? 1 : fwd.dupAckCount + 1
                flags.insert(.duplicateAck)
            }
        }
        if ack != fwd.lastAck { fwd.dupAckCount = 0 }

        if rev.hasMaxSeqToBeAcked && seqGT(ack, rev.maxSeqToBeAcked) && f.contains(.ack) {
            if rev.maxSeqToBeAcked > rev.nextSeq {
                rev.maxSeqToBeAcked = rev.nextSeq
                flags.insert(.ackedUnseen)
            } else {
                if rev.dupAckCount == 0 { flags.insert(.ackedUnseen) }
                rev.dupAckCount = -1
            }
        }

        // SYN and FIN each take one sequence number.
        let synOrFin: UInt32 = f.contains(.syn) || f.contains(.fin) ? 1 : 0
        if (len > 0 || synOrFin > 0) && !flags.contains(.keepAlive) {
            var notAdvanced = fwd.hasNextSeq && seqLT(seq, fwd.nextSeq)
            if len > 1 && fwd.hasNextSeq && fwd.nextSeq &- 1 == seq { notAdvanced = false }
            if len > 0 && rev.hasLastAck && seqLE(seq &+ len, rev.lastAck) {
                flags.insert(.spuriousRetransmission)
            } else if notAdvanced && rev.dupAckCount >= 2 && rev.lastAck == seq
                        && time - rev.lastAckTime < settings.fastRetransmitWindow {
                flags.insert(.fastRetransmission)
            } else if notAdvanced && time - fwd.nextSeqTime < (initialRTT ?? settings.defaultOutOfOrderThreshold)
                        && fwd.nextSeq != seq &+ len &+ synOrFin {
                flags.insert(.outOfOrder)
            } else if notAdvanced {
                flags.insert(.retransmission)
            }
        }

        let next = seq &+ len &+ synOrFin
        if len > 0, !fwd.hasDataEnd || seqGT(seq &+ len, fwd.dataEnd) {
            fwd.dataEnd = seq &+ len
            fwd.hasDataEnd = true
        }
        let isProbe = flags.contains(.zeroWindowProbe)
        if (!fwd.hasNextSeq || seqGT(next, fwd.nextSeq)) && !isProbe {
            fwd.nextSeq = next
            fwd.hasNextSeq = true
            fwd.nextSeqTime = time
        }
        if (!fwd.hasMaxSeqToBeAcked || seq == fwd.maxSeqToBeAcked) && !isProbe {
            fwd.maxSeqToBeAcked = fwd.nextSeq
            fwd.hasMaxSeqToBeAcked = true
        }
        fwd.window = window
        fwd.lastAck = ack
        fwd.hasLastAck = fwd.hasLastAck || f.contains(.ack)
        fwd.lastAckTime = time
        fwd.lastSegmentFlags = flags
        return flags
    }
}
