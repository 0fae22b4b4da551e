/// Runs one capture's frames through decoding, fragment reassembly and the flow trackers.
///
/// Memory grows with live TCP conversations, pending fragments (capped) and notable findings
/// (capped), not with the number of packets.
///
/// The TCP and DNS trackers (a `FlowStage`) get their events in batches, through a `FlowRunner`: by default on
/// this thread, as each batch fills; `Input.ThreadedFlowRunner` runs them on a second thread while this one reads
/// and decodes. Use one analyzer at a time (it holds its runner, a class).
public struct CaptureAnalyzer: PacketConsumer {
    public static let maxKeptDatagrams = 10_000
    public static let maxDuplicateExamples = 16
    private var summary = CaptureSummary()
    private var reassembler: FragmentReassembler
    private var tooBig = TooBigMessages()
    private let flows: any FlowRunner
    /// Hash each segment's conversation key, and each DNS message's keys, as the stage's tables do: here, on the
    /// reading thread.
    private let tcpKeys: TCPConversations.KeyHasher
    private let dnsKeys: DNSLookups.KeyHasher
    private var batch = FlowBatch()
    private let batchSize: Int
    private var dnsOverTCP = DNSOverTCP()
    private var duplicates = DuplicateFilter()
    private var sawSeveralInterfaces = false
    private var now: Int64 = 0
    private var timeline = CaptureTimeline()
    /// The link type of the latest frames and how many in a row, not yet in `summary.linkTypes`.
    private var linkTypeRun: (value: UInt16, frames: Int) = (0, 0)

    /// The events handed over at a time: 4,096 (a TCP segment's is 128 bytes). Smaller batches (1,024) made a SYN flood 13 %
    /// slower: the stage then read each batch while it was still in the other core's cache (see docs/performance.md).
    public static let defaultBatchSize = 4096

    /// `flowRunner` makes the runner of the TCP and DNS trackers from the stage it is to run (by default, inline).
    public init(fragmentLimits: FragmentReassembler.Limits = .init(), tcpSettings: TCPAnalysisSettings = .init(),
                flowRunner: (FlowStage) -> any FlowRunner = { InlineFlowRunner($0) }, batchSize: Int = defaultBatchSize) {
        reassembler = FragmentReassembler(limits: fragmentLimits)
        let stage = FlowStage(tcpSettings: tcpSettings)
        tcpKeys = stage.tcp.keyHasher
        dnsKeys = stage.dns.keyHasher
        flows = flowRunner(stage)
        self.batchSize = Swift.max(1, batchSize)
        batch.tcp.reserveCapacity(self.batchSize)
    }

    /// Queues a segment or a DNS message for the flow stage, handing the batch over when it is full.
    @inline(__always)
    private mutating func send(_ event: TCPEvent) {
        batch.tcp.append(event)
        handOverIfFull()
    }

    /// A DNS message's event, with its keys' hashes.
    private func dnsEvent(_ m: consuming DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool, frame: Int) -> DNSEvent {
        let hashes = dnsKeys.hashes(m, source: source, destination: destination, tcp: tcp)
        return DNSEvent(message: m, source: source, destination: destination, tcp: tcp, frame: frame, time: now, hashes: hashes)
    }

    private mutating func send(_ event: consuming DNSEvent) {
        batch.dns.append(event)
        handOverIfFull()
    }

    @inline(__always)
    private mutating func handOverIfFull() {
        if batch.count >= batchSize { batch = flows.submit(takeBatch()) }
    }

    /// The batch being filled, moved out (the runner then holds its only reference) and replaced by an empty one.
    private mutating func takeBatch() -> FlowBatch {
        var full = FlowBatch()
        swap(&full, &batch)
        return full
    }

    public mutating func consume(_ record: PacketRecord) {
        summary.counters.packets += 1
        if let t = record.timestamp {
            now = t
            if summary.firstTime == nil { summary.firstTime = t }
            summary.lastTime = Swift.max(summary.lastTime ?? t, t)
            timeline.add(t, frame: record.frameNumber)
        }
        if record.capturedLength < record.originalLength { summary.counters.truncatedPackets += 1 }
        // Counted by runs: a capture's link type rarely changes, and a dictionary update per frame costs a hash.
        if record.linkTypeValue != linkTypeRun.value {
            countLinkTypeRun()
            linkTypeRun.value = record.linkTypeValue
        }
        linkTypeRun.frames += 1
        guard let linkType = LinkType(rawValue: record.linkTypeValue) else {
            summary.counters.unsupportedLinkTypePackets += 1
            return
        }
        // Decoded in place and its layers read in place (`outerLayer`, `innerLayer`): a decoded packet is about
        // 450 bytes, and returning and copying it and its layers took a third of reading and decoding.
        var packet = DecodedPacket(linkType: linkType)
        PacketDecoder.decode(record.bytes, into: &packet)
        var marks = packet.marks, truncated = packet.truncated
        if packet.hasOuter {
            let length = packet.outerLayer.ip.totalLength
            summary.packetSizes.add(length, interface: .init(capture: record.interfaceID, ifindex: packet.interfaceIndex.map(Int.init)),
                                    frame: record.frameNumber, time: record.timestamp,
                                    flow: length >= PacketSizes.floor ? InnerFlow(packet.outerLayer) : nil)
            if record.interfaceID != 0 { sawSeveralInterfaces = true }
            let multi = linkType == .linuxSLL || linkType == .linuxSLL2 || sawSeveralInterfaces
            let identity = UInt64(record.interfaceID) << 32 | UInt64(packet.interfaceIndex ?? 0)
            if multi, let original = duplicates.check(packet.outerLayer, bytes: record.bytes, interface: identity,
                                                      knowsInterface: linkType == .linuxSLL2 || sawSeveralInterfaces,
                                                      frame: record.frameNumber, time: now) {
                // The same packet on another interface (`-i any`): counted once, not analyzed again.
                summary.counters.duplicatePackets += 1
                if summary.duplicateExamples.count < Self.maxDuplicateExamples {
                    summary.duplicateExamples.append((copy: record.frameNumber, original: original))
                }
            } else if packet.outerLayer.isFragment {
                reassembleAndAnalyze(packet.outerLayer, bytes: record.bytes, depth: 0, frame: record.frameNumber, linkType: linkType,
                                     marks: &marks, truncated: &truncated)
            } else {
                analyze(packet.outerLayer, bytes: record.bytes, frame: record.frameNumber, depth: 0)
                if packet.hasInner {
                    analyzeInner(packet.innerLayer, bytes: record.bytes, frame: record.frameNumber, linkType: linkType,
                                 marks: &marks, truncated: &truncated)
                }
            }
        }
        if truncated { summary.counters.headerTruncatedPackets += 1 }
        count(marks)
        if reassembler.hasFinished { keep(reassembler.drainFinished()) }
    }

    /// The layer inside a tunnel (reassembled first if it is a fragment).
    private mutating func analyzeInner(
        _ layer: IPLayer, bytes: UnsafeRawBufferPointer, frame: Int, linkType: LinkType, marks: inout DecodedPacket.Marks,
        truncated: inout Bool
    ) {
        if layer.isFragment {
            reassembleAndAnalyze(layer, bytes: bytes, depth: 1, frame: frame, linkType: linkType, marks: &marks, truncated: &truncated)
        } else {
            analyze(layer, bytes: bytes, frame: frame, depth: 1)
        }
    }

    /// Adds a fragment to reassembly; a datagram it completes is analyzed, then (at depth 0) the tunnel inside it.
    private mutating func reassembleAndAnalyze(
        _ layer: IPLayer, bytes: UnsafeRawBufferPointer, depth: Int, frame: Int, linkType: LinkType,
        marks: inout DecodedPacket.Marks, truncated: inout Bool
    ) {
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[layer.payloadOffset..<(layer.payloadOffset + layer.capturedPayloadLength)])
        let ports = Self.firstFragmentPorts(layer.ip, payload)
        guard let (whole, header) = reassembler.add(header: layer.ip, payload: payload, frame: frame, time: now,
                                                   firstPorts: ports) else { return }
        // As tshark does, the reassembled datagram is dissected at the frame that completed it.
        whole.withUnsafeBytes { w in
            var scratch = DecodedPacket(linkType: linkType)
            let reassembled = PacketDecoder.decodeTransport(w, header: header, into: &scratch, depth: depth)
            marks.formUnion(scratch.marks)
            truncated = truncated || scratch.truncated
            analyze(reassembled, bytes: w, frame: frame, depth: depth)
            if depth == 0, scratch.hasInner {
                analyzeInner(scratch.innerLayer, bytes: w, frame: frame, linkType: linkType, marks: &marks, truncated: &truncated)
            }
        }
    }

    private mutating func analyze(_ layer: IPLayer, bytes: UnsafeRawBufferPointer, frame: Int, depth: Int) {
        switch layer.transport {
        case .tcp(let t):
            let ip = TCPConversations.SegmentIP(layer.ip)
            send(TCPEvent(header: t, ip: ip, hash: tcpKeys.hash(t, ip: ip), frame: frame, time: now))
            if t.payloadLength > 0 || !t.flags.isDisjoint(with: [.syn, .fin, .rst]),
               DNSMessage.isDNS(sourcePort: t.sourcePort, destinationPort: t.destinationPort, tcp: true) {
                // The header may end beyond the captured bytes (a small snap length): then nothing is read.
                let start = Swift.min(bytes.count, layer.payloadOffset + t.headerLength)
                let end = Swift.max(start, Swift.min(bytes.count, layer.payloadOffset + layer.capturedPayloadLength))
                let source = Endpoint(layer.ip.source, t.sourcePort), destination = Endpoint(layer.ip.destination, t.destinationPort)
                var messages: [DNSMessage] = []
                dnsOverTCP.add(t, source: source, destination: destination, payload: UnsafeRawBufferPointer(rebasing: bytes[start..<end]),
                               time: now) { message in
                    if let m = DNSMessage.parse(ByteReader(message), at: 0, end: message.count) { messages.append(m) }
                }
                for m in messages { send(dnsEvent(m, source: source, destination: destination, tcp: true, frame: frame)) }
            }
        case .udp(let u) where DNSMessage.isDNS(sourcePort: u.sourcePort, destinationPort: u.destinationPort, tcp: false):
            let start = layer.payloadOffset + 8
            let end = Swift.min(bytes.count, layer.payloadOffset + layer.capturedPayloadLength)
            if let m = DNSMessage.parse(ByteReader(bytes), at: start, end: end) {
                send(dnsEvent(m, source: Endpoint(layer.ip.source, u.sourcePort),
                              destination: Endpoint(layer.ip.destination, u.destinationPort), tcp: false, frame: frame))
            }
        case .icmp(let m) where m.isFragmentationNeeded || m.isPacketTooBig:
            tooBig.add(m, router: layer.ip.source, frame: frame, time: now)
        default:
            break
        }
    }

    private static func firstFragmentPorts(_ ip: IPHeader, _ payload: UnsafeRawBufferPointer) -> (UInt16, UInt16)? {
        guard ip.fragment?.offset == 0, ip.protocolNumber == 6 || ip.protocolNumber == 17 else { return nil }
        let r = ByteReader(payload)
        guard let s = r.u16(at: 0), let d = r.u16(at: 2) else { return nil }
        return (s, d)
    }

    private mutating func count(_ marks: DecodedPacket.Marks) {
        if marks.isEmpty { return }
        if marks.contains(.ipv4Fragment) { summary.counters.ipv4Fragments += 1 }
        if marks.contains(.ipv6FragmentHeader) { summary.counters.ipv6Fragments += 1 }
        if marks.contains(.icmpFragmentationNeeded) { summary.counters.icmpFragNeeded += 1 }
        if marks.contains(.icmpv6PacketTooBig) { summary.counters.icmpv6PacketTooBig += 1 }
        if marks.contains(.vxlan) { summary.counters.vxlanPackets += 1 }
        if marks.contains(.geneve) { summary.counters.genevePackets += 1 }
    }

    private mutating func keep(_ datagrams: [FragmentedDatagram]) {
        for d in datagrams {
            if d.outcome == .evicted { summary.fragmentedDatagramsEvicted += 1 }
            if summary.fragmentedDatagrams.count < Self.maxKeptDatagrams {
                summary.fragmentedDatagrams.append(d)
            } else {
                summary.fragmentedDatagramsNotKept += 1
            }
        }
    }

    private mutating func countLinkTypeRun() {
        if linkTypeRun.frames > 0 { summary.linkTypes[linkTypeRun.value, default: 0] += linkTypeRun.frames }
        linkTypeRun.frames = 0
    }

    /// Ends the capture and returns what it showed.
    public mutating func finish() -> CaptureSummary {
        countLinkTypeRun()
        reassembler.finish(captureEnd: summary.lastTime ?? now)
        keep(reassembler.drainFinished())
        var stage = flows.finish(last: takeBatch())
        summary.counters = summary.counters + stage.flagCounters
        stage.tcp.finish()
        let tcp = stage.tcp
        summary.counters.tcpHandshakesCompleted = tcp.handshakesCompleted
        summary.tcpFlows = tcp.flows
        summary.tcpFlowsNotKept = tcp.flowsNotKept
        summary.tcpConversationsFlushed = tcp.flushedConversations
        summary.peakLiveTCPConversations = tcp.peakLiveConversations
        summary.tcpConversationsEvicted = tcp.evictedConversations
        summary.maxLiveTCPConversations = tcp.settings.maxLiveConversations
        summary.fragmentLimits = reassembler.limits
        summary.tcpConversationsResumed = tcp.resumedConversations
        summary.firstTCPResumedFrame = tcp.firstResumedFrame
        summary.counters.synWithoutSynack = tcp.unansweredAttempts
        summary.counters.synRst = tcp.refusedAttempts
        summary.notableAttempts = tcp.notableAttempts
        summary.notableAttemptsNotKept = tcp.notableAttemptsNotKept
        summary.handshakes = tcp.handshakes
        summary.tooBig = tooBig.groups
        summary.gaps = timeline.finished()
        summary.timeReversals = timeline.reversals
        summary.firstTimeReversalFrame = timeline.firstReversalFrame
        summary.dns = stage.dns.finish()
        summary.counters.dnsQueries = stage.dns.queries
        summary.counters.dnsResponses = stage.dns.responses
        summary.counters.dnsUnanswered = stage.dns.queries - stage.dns.answeredTransactions
        return summary
    }
}
