/// The counters every capture gets, with tshark-equivalent definitions (docs/report-format.md).
public struct CaptureCounters: Sendable, Equatable, Codable {
    /// Frames read.
    public var packets = 0
    /// Frames whose captured length is below their original length (`frame.cap_len < frame.len`).
    public var truncatedPackets = 0
    /// Frames whose captured bytes ended inside a header the decoder needed.
    public var headerTruncatedPackets = 0
    /// Frames on link types netautopsy does not decode (counted, not analyzed).
    public var unsupportedLinkTypePackets = 0
    public var ipv4Fragments = 0
    public var ipv6Fragments = 0
    public var icmpFragNeeded = 0
    public var icmpv6PacketTooBig = 0
    public var vxlanPackets = 0
    public var genevePackets = 0
    /// TCP streams whose handshake completed (SYN, SYN-ACK, then the originator's ACK).
    public var tcpHandshakesCompleted = 0
    /// Streams starting with a SYN to which the responder sent nothing (Zeek `S0`).
    public var synWithoutSynack = 0
    /// Streams starting with a SYN answered by RST and no SYN-ACK (Zeek `REJ`).
    public var synRst = 0
    /// Segments tshark's `tcp.analysis.retransmission` matches (plain, fast and spurious).
    public var tcpRetransmissions = 0
    public var tcpFastRetransmissions = 0
    public var tcpSpuriousRetransmissions = 0
    public var tcpOutOfOrder = 0
    /// `tcp.analysis.lost_segment`: a gap before this segment ("previous segment not captured").
    public var tcpLostSegments = 0
    public var tcpDuplicateAcks = 0
    public var tcpZeroWindows = 0
    public var tcpKeepAlives = 0
    /// DNS messages with QR=0 (tshark `dns.flags.response==0`, mDNS and LLMNR included).
    public var dnsQueries = 0
    public var dnsResponses = 0
    /// Queries tshark gives no `dns.response_in` (see docs/report-format.md for the matching rule).
    public var dnsUnanswered = 0
    /// Frames that repeat a packet already seen on another interface within 1 ms (`tcpdump -i any`):
    /// counted in `packets` and the per-packet counters, but not analyzed again (TCP, DNS,
    /// reassembly), so on such captures the TCP and DNS counters differ from tshark's by design.
    public var duplicatePackets = 0

    public init() {}

    /// Counts one segment's Wireshark analysis flags.
    mutating func count(_ f: TCPAnalysisFlags) {
        if f.isEmpty { return }
        if !f.isDisjoint(with: .anyRetransmission) { tcpRetransmissions += 1 }
        if f.contains(.fastRetransmission) { tcpFastRetransmissions += 1 }
        if f.contains(.spuriousRetransmission) { tcpSpuriousRetransmissions += 1 }
        if f.contains(.outOfOrder) { tcpOutOfOrder += 1 }
        if f.contains(.lostSegment) { tcpLostSegments += 1 }
        if f.contains(.duplicateAck) { tcpDuplicateAcks += 1 }
        if f.contains(.zeroWindow) { tcpZeroWindows += 1 }
        if f.contains(.keepAlive) { tcpKeepAlives += 1 }
    }

    public static func + (a: CaptureCounters, b: CaptureCounters) -> CaptureCounters {
        var c = CaptureCounters()
        c.packets = a.packets + b.packets
        c.truncatedPackets = a.truncatedPackets + b.truncatedPackets
        c.headerTruncatedPackets = a.headerTruncatedPackets + b.headerTruncatedPackets
        c.unsupportedLinkTypePackets = a.unsupportedLinkTypePackets + b.unsupportedLinkTypePackets
        c.ipv4Fragments = a.ipv4Fragments + b.ipv4Fragments
        c.ipv6Fragments = a.ipv6Fragments + b.ipv6Fragments
        c.icmpFragNeeded = a.icmpFragNeeded + b.icmpFragNeeded
        c.icmpv6PacketTooBig = a.icmpv6PacketTooBig + b.icmpv6PacketTooBig
        c.vxlanPackets = a.vxlanPackets + b.vxlanPackets
        c.genevePackets = a.genevePackets + b.genevePackets
        c.tcpHandshakesCompleted = a.tcpHandshakesCompleted + b.tcpHandshakesCompleted
        c.synWithoutSynack = a.synWithoutSynack + b.synWithoutSynack
        c.synRst = a.synRst + b.synRst
        c.tcpRetransmissions = a.tcpRetransmissions + b.tcpRetransmissions
        c.tcpFastRetransmissions = a.tcpFastRetransmissions + b.tcpFastRetransmissions
        c.tcpSpuriousRetransmissions = a.tcpSpuriousRetransmissions + b.tcpSpuriousRetransmissions
        c.tcpOutOfOrder = a.tcpOutOfOrder + b.tcpOutOfOrder
        c.tcpLostSegments = a.tcpLostSegments + b.tcpLostSegments
        c.tcpDuplicateAcks = a.tcpDuplicateAcks + b.tcpDuplicateAcks
        c.tcpZeroWindows = a.tcpZeroWindows + b.tcpZeroWindows
        c.tcpKeepAlives = a.tcpKeepAlives + b.tcpKeepAlives
        c.dnsQueries = a.dnsQueries + b.dnsQueries
        c.dnsResponses = a.dnsResponses + b.dnsResponses
        c.dnsUnanswered = a.dnsUnanswered + b.dnsUnanswered
        c.duplicatePackets = a.duplicatePackets + b.duplicatePackets
        return c
    }
}

/// A stretch of a capture with no frames although the traffic just before it says there should
/// have been many (definition: `CaptureTimeline`). A capture paused,
/// a ring-buffer file missing, or a link down look like this; so does traffic that truly stopped,
/// which is why a gap only makes absence-based findings around it indeterminate.
public struct CaptureGap: Sendable, Equatable {
    /// The last frame before the silence and the first after it.
    public var frameBefore: Int
    public var frameAfter: Int
    public var start: Int64
    public var end: Int64
    /// Frames the capture's average rate predicts for the silence.
    public var expectedFrames: Double

    public var duration: Int64 { end - start }
}

/// Everything the analysis of one capture file found: the facts checks read.
public struct CaptureSummary: Sendable {
    public var counters = CaptureCounters()
    /// First and last frame timestamps (ns since the epoch), nil when no frame had one.
    public var firstTime: Int64?
    public var lastTime: Int64?
    /// Frames per LINKTYPE_ value.
    public var linkTypes: [UInt16: Int] = [:]
    public var fragmentedDatagrams: [FragmentedDatagram] = []
    /// Datagrams beyond `CaptureAnalyzer.maxKeptDatagrams`, counted but not kept.
    public var fragmentedDatagramsNotKept = 0
    public var tooBig: [TooBigMessages.Group] = []
    /// Attempts not established at the first SYN (unanswered, refused, other, SYN retransmitted).
    public var notableAttempts: [ConnectionAttempt] = []
    public var notableAttemptsNotKept = 0
    /// The first `TCPConversations.maxHandshakeSamples` completed handshakes (for matching across nodes).
    public var handshakes: [HandshakeSample] = []
    /// TCP flows with retransmissions, duplicate ACKs, zero windows or resets, in stream order.
    public var tcpFlows: [TCPFlowSummary] = []
    public var tcpFlowsNotKept = 0
    /// TCP conversations flushed before the capture ended (5 s after closing, 5 min inactive), and
    /// the most live at once: what bounds the analysis's memory (`TCPConversations`).
    public var tcpConversationsFlushed = 0
    public var peakLiveTCPConversations = 0
    /// Conversations flushed early at `TCPAnalysisSettings.maxLiveConversations` (a flow flood).
    public var tcpConversationsEvicted = 0
    public var maxLiveTCPConversations = 0
    /// Fragmented datagrams dropped unfinished at the reassembler's caps (oldest first).
    public var fragmentedDatagramsEvicted = 0
    public var fragmentLimits = FragmentReassembler.Limits()
    /// Conversations that sent again after being flushed, so from `firstTCPResumedFrame` on
    /// `tcp.stream` numbers may exceed tshark's by up to this many.
    public var tcpConversationsResumed = 0
    public var firstTCPResumedFrame: Int?
    public var dns = DNSSummary()
    /// Large IP packets per capture interface, by size.
    public var packetSizes = PacketSizes()
    /// Silences the capture's own rate makes implausible (`CaptureGap`), longest first.
    public var gaps: [CaptureGap] = []
    /// Frames more than a second earlier than the latest time before them (captures concatenated
    /// rather than merged, or a clock stepped back), and the first such frame.
    public var timeReversals = 0
    public var firstTimeReversalFrame: Int?
    /// Duplicate frames and the frame each copies (the first `CaptureAnalyzer.maxDuplicateExamples`).
    public var duplicateExamples: [(copy: Int, original: Int)] = []

    public init() {}

    /// What the analysis dropped to stay within its memory caps, in words for the report (empty
    /// when nothing was): tables that hit their cap, and lists kept short.
    public var limitsReached: [String] {
        var out: [String] = []
        if tcpConversationsEvicted > 0 {
            out.append("\(tcpConversationsEvicted) TCP conversations flushed early at the cap of \(maxLiveTCPConversations) tracked at once "
                + "(least recently active first): a later packet of one starts a new tcp.stream, so stream counts exceed tshark's")
        }
        if fragmentedDatagramsEvicted > 0 {
            out.append("\(fragmentedDatagramsEvicted) fragmented datagrams dropped unfinished at the reassembly cap of "
                + "\(fragmentLimits.maxPendingDatagrams) datagrams or \(fragmentLimits.maxPendingBytes >> 20) MiB pending (oldest first)")
        }
        if dns.evicted > 0 {
            out.append("\(dns.evicted) DNS lookups closed early at the cap of \(DNSSummary.maxOpenLookups) open at once (oldest first): "
                + "a late answer to one is not matched")
        }
        let notKept = [(fragmentedDatagramsNotKept, "fragmented datagrams"), (tcpFlowsNotKept, "TCP flows with anomalies"),
                       (notableAttemptsNotKept, "failed connection attempts")].filter { $0.0 > 0 }
        if !notKept.isEmpty {
            out.append(notKept.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + " counted but not kept as examples (lists are capped)")
        }
        return out
    }

    /// Seconds of capture after `time`; nil without timestamps.
    public func secondsAfter(_ time: Int64) -> Double? {
        lastTime.map { Double($0 - time) / 1e9 }
    }
}
