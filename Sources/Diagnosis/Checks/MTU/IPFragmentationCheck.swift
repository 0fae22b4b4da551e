import Wire

/// `ip-fragmentation`: IPv4 fragments and IPv6 Fragment headers, per flow, with reassembly results.
public struct IPFragmentationCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "ip-fragmentation", title: "IP fragmentation",
            rationale: """
                Fragmented packets mean something sends datagrams larger than the path MTU: a pod or overlay \
                MTU above underlay − encapsulation overhead, large UDP (DNS) answers, or PMTU discovery \
                disabled. Fragments are fragile through NAT and conntrack, and a lost fragment loses the \
                whole datagram, which shows up as timeouts.
                """,
            severity: .medium,
            evidence: "Fragment frames per datagram (IP ID, offsets, reassembly outcome, missing ranges), with a display filter.",
            fix: """
                Make packets fit the path: set the CNI/pod MTU to underlay MTU − overhead (VXLAN/Geneve 50, \
                IPv6 underlay 70, IPIP 20, WireGuard 60/80), keep PMTU discovery on, clamp TCP MSS \
                (`iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`), \
                and keep DNS answers under 1232 bytes (EDNS0 buffer size) or use TCP.
                """,
            passingExamples: [
                CheckExample("a full-size datagram with DF, not fragmented", packets: [
                    .udp(0, "10.244.1.5", 5000, "10.244.2.9", 6000, payload: 1400, df: true),
                ]),
            ],
            failingExamples: [
                CheckExample("a 3000-byte UDP datagram in three fragments", packets: [
                    .udp(0, "10.10.1.1", 5000, "10.10.2.2", 6000, payload: 1480, fragmentOffset: 0, moreFragments: true),
                    .udp(0.0001, "10.10.1.1", 5000, "10.10.2.2", 6000, payload: 1480, fragmentOffset: 1480, moreFragments: true),
                    .udp(0.0002, "10.10.1.1", 5000, "10.10.2.2", 6000, payload: 48, fragmentOffset: 2960),
                ], mustCiteFrames: [1, 2, 3]),
            ])
    }

    struct FlowKey: Hashable {
        var version: UInt8
        var source: IPAddress
        var destination: IPAddress
        var protocolNumber: UInt8
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var total = 0, complete = 0, timedOut = 0, atEnd = 0, evicted = 0, flows = 0
        var severity = Severity.medium
        var overlayFragments = false
        var tunnelled: [(datagram: FragmentedDatagram, file: String)] = []
        for capture in facts.captures where !capture.summary.fragmentedDatagrams.isEmpty {
            tunnelled += capture.summary.fragmentedDatagrams.filter { $0.inner != nil }.map { ($0, capture.file) }
            var byFlow: [FlowKey: [FragmentedDatagram]] = [:]
            var order: [FlowKey] = []
            for d in capture.summary.fragmentedDatagrams {
                let key = FlowKey(version: d.version, source: d.source, destination: d.destination, protocolNumber: d.protocolNumber)
                if byFlow[key] == nil { order.append(key) }
                byFlow[key, default: []].append(d)
            }
            flows += order.count
            for key in order {
                let datagrams = byFlow[key]!
                total += datagrams.count
                complete += datagrams.filter { $0.outcome == .complete }.count
                timedOut += datagrams.filter { $0.outcome == .timedOut }.count
                atEnd += datagrams.filter { $0.outcome == .incompleteAtEnd }.count
                evicted += datagrams.filter { $0.outcome == .evicted }.count
                if datagrams.contains(where: { $0.outcome == .timedOut }) { severity = .high }
                if key.protocolNumber == 17, datagrams.contains(where: { d in
                    d.destinationPort.map { PacketDecoder.isVXLANPort($0) || $0 == PacketDecoder.genevePort } ?? false
                }) {
                    overlayFragments = true
                    severity = .high
                }
                if evidence.count < 20 { evidence.append(flowEvidence(key, datagrams, capture: capture)) }
            }
            if capture.summary.fragmentedDatagramsNotKept > 0 {
                evidence.append(.value("More fragmented datagrams were counted but not itemised (memory cap).",
                                       file: capture.file, text: "\(capture.summary.fragmentedDatagramsNotKept) datagrams"))
            }
        }
        guard total > 0 else { return [] }
        var summary = "\(total) fragmented datagram\(total == 1 ? "" : "s") in \(Format.plural(flows, "flow")): "
            + "\(complete) reassembled"
        if timedOut > 0 { summary += ", \(timedOut) never completed within the reassembly timeout while the capture went on" }
        if atEnd > 0 { summary += ", \(atEnd) incomplete when the capture ended (indeterminate)" }
        if evicted > 0 { summary += ", \(evicted) dropped by the reassembly memory cap" }
        summary += "."
        if overlayFragments { summary += " Overlay (VXLAN/Geneve) packets are fragmented: the overlay MTU is too large for the underlay." }
        let inner = InnerFlows.tally(tunnelled)
        summary += InnerFlows.sentence(inner, unit: "fragmented tunnel packets")
        return [finding(severity, summary: summary, evidence: evidence + InnerFlows.evidence(inner) { Format.plural($0, "fragmented tunnel packet") })]
    }

    func flowEvidence(_ key: FlowKey, _ datagrams: [FragmentedDatagram], capture: CaptureFacts) -> Evidence {
        let proto = IPProtocol.name(key.protocolNumber)
        let sample = datagrams.first { $0.outcome != .complete } ?? datagrams[0]
        let port = sample.destinationPort.map { ":\($0)" } ?? ""
        let sizes = sample.fragments.map { String($0.length) }.joined(separator: "+")
        let idText = key.version == 4 ? "IP ID 0x\(String(sample.identification, radix: 16))"
                                      : "identification 0x\(String(sample.identification, radix: 16))"
        let done = datagrams.filter { $0.outcome == .complete }.count
        var note = "\(proto) \(key.source) → \(key.destination)\(port): \(datagrams.count) fragmented datagram"
            + "\(datagrams.count == 1 ? "" : "s"), \(done) reassembled. Example \(idText): "
            + "\(sample.fragmentCount) fragments (\(sizes) bytes), \(sample.outcome.rawValue)"
        if !sample.missing.isEmpty {
            note += "; missing bytes " + sample.missing.map { "\($0.lowerBound)–\($0.upperBound)" }.joined(separator: ", ")
        }
        if sample.unknownEnd {
            let seen = sample.fragments.map { $0.offset + $0.length }.max() ?? 0
            note += "; the last fragment (bytes from \(seen) on) was never seen"
        }
        if sample.fragments.contains(where: { $0.dontFragment }) { note += "; DF set on a fragment" }
        if sample.overlap { note += "; overlapping fragments" }
        note += "."
        let fragField = key.version == 4
            ? "(ip.flags.mf==1 || ip.frag_offset>0) && ip.id==0x\(String(sample.identification, radix: 16))"
            : "ipv6.fraghdr.ident==0x\(String(sample.identification, radix: 16))"
        let filter = "\(DisplayFilter.ip("src", key.source)) && \(DisplayFilter.ip("dst", key.destination)) && \(fragField)"
        return .packets(note, file: capture.file, frames: sample.fragments.map(\.frame),
                        times: sample.fragments.map(\.time), filter: filter)
    }
}
