import Wire

/// `capture-duplicates`: an `-i any` capture that saw packets once per interface they crossed.
public struct CaptureDuplicatesCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "capture-duplicates", title: "Packets captured more than once (-i any)",
            rationale: """
                `tcpdump -i any` records a packet on every interface it crosses: the pod's veth, the bridge, \
                the uplink. Counted as is, each copy looks like a retransmission or a duplicate ACK. netautopsy \
                recognises a copy when the same IP packet (addresses, protocol, identification, length and \
                transport header; TTL may differ) arrives within 1 ms on another interface, counts it in the \
                packet totals, and leaves it out of the TCP, DNS and reassembly analysis: every finding counts \
                the packet once. Copies rewritten by NAT are not recognised. tshark does not deduplicate, so its \
                `tcp.analysis.*` counts for such a capture are higher.
                """,
            severity: .info,
            evidence: "The number of copies per capture and example pairs (copy, original) with a display filter.",
            fix: """
                Nothing to fix on the network. For captures meant for Wireshark, capture on one interface, or \
                deduplicate first (`editcap -D 100 in.pcap out.pcap` compares whole frames, so it misses copies \
                whose TTL changed); prefer `-i any` with SLL2 (`-y LINUX_SLL2`), which records the interface.
                """,
            passingExamples: [
                CheckExample("one copy of each packet", packets: PacketSketch.completedHandshake),
            ],
            failingExamples: [
                CheckExample("a SYN seen on the pod's veth and again on the uplink 40 µs later", capture: "captures/any.pcapng", packets: [
                    PacketSketch.completedHandshake[0].on(interface: 1),
                    PacketSketch.completedHandshake[0].on(interface: 0, at: 0.00004),
                ], mustCiteFrames: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var copies = 0, frames = 0
        for c in facts.captures where c.summary.counters.duplicatePackets > 0 {
            let k = c.summary.counters
            copies += k.duplicatePackets
            frames += k.packets
            let pairs = c.summary.duplicateExamples.prefix(8)
            let list = pairs.map { "\($0.copy) copies \($0.original)" }.joined(separator: ", ")
            let all = pairs.flatMap { [$0.original, $0.copy] }
            evidence.append(.packets("\(k.duplicatePackets) of \(k.packets) frames repeat a packet seen on another interface "
                + "within 1 ms (\(list)); they were analyzed once.", file: c.file, frames: all.sorted(), times: [],
                filter: DisplayFilter.frames(all.sorted())))
        }
        guard copies > 0 else { return [] }
        return [finding(.info, summary: "\(copies) of \(frames) captured frames were copies of packets seen on another "
            + "interface (tcpdump -i any): each packet was analyzed once, so TCP and DNS figures count it once.",
            evidence: evidence)]
    }
}
