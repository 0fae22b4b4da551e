import Wire

/// `icmp-frag-needed`: ICMPv4 3/4 "fragmentation needed" and ICMPv6 Packet Too Big.
public struct ICMPFragNeededCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "icmp-frag-needed", title: "Packets too big for the path (ICMP fragmentation needed / Packet Too Big)",
            rationale: """
                A router on the path dropped a packet larger than its next-hop MTU and said so. PMTU \
                discovery depends on these messages: if they are filtered (security groups, rp_filter, \
                iptables) or the sender ignores them, large packets vanish — the classic black hole.
                """,
            severity: .medium,
            evidence: "The ICMP frames, the reporting router, the advertised MTU and the quoted flow, with a display filter.",
            fix: """
                Lower the MTU (or TCP MSS) on this path to the advertised value: align the CNI/pod MTU with \
                the underlay minus encapsulation overhead. Make sure ICMP type 3 code 4 (and ICMPv6 type 2) \
                reach the sender; if senders keep sending large packets after these messages, look for \
                rp_filter or iptables dropping ICMP.
                """,
            passingExamples: [
                CheckExample("full-size segments acknowledged", packets: [
                    .tcp(0, "10.10.1.1", 40000, "10.10.2.2", 8080, "PA", payload: 1448),
                    .tcp(0.001, "10.10.2.2", 8080, "10.10.1.1", 40000, "A", seq: 1, ack: 2448),
                ]),
            ],
            failingExamples: [
                CheckExample("a router asks for MTU 1400", packets: [
                    .tcp(0, "10.10.1.1", 40000, "10.10.2.2", 8080, "PA", payload: 1448),
                    .fragNeeded(0.0003, from: "10.10.1.254", to: "10.10.1.1", mtu: 1400,
                                quoting: .tcp(0, "10.10.1.1", 40000, "10.10.2.2", 8080, "PA", payload: 1448)),
                ], mustCiteFrames: [2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var messages = 0
        var mtus: Set<UInt32> = []
        for capture in facts.captures {
            for g in capture.summary.tooBig {
                messages += g.count
                mtus.insert(g.mtu)
                guard evidence.count < 20 else { continue }
                let quotedFlow: String
                if let q = g.quoted {
                    let sp = q.sourcePort.map { ":\($0)" } ?? "", dp = q.destinationPort.map { ":\($0)" } ?? ""
                    quotedFlow = "\(IPProtocol.name(q.protocolNumber)) \(q.source)\(sp) → \(q.destination)\(dp)"
                        + " (\(q.totalLength)-byte packet)"
                } else {
                    quotedFlow = "an unquoted packet"
                }
                let what = g.isV6 ? "ICMPv6 Packet Too Big" : "ICMP fragmentation needed"
                let mtuText = g.mtu == 0 ? "no next-hop MTU (pre-RFC 1191 router)" : "MTU \(g.mtu)"
                let note = "\(g.router) sent \(g.count) \(what) (\(mtuText)) for \(quotedFlow)."
                let filter = g.isV6
                    ? "icmpv6.type==2 && ipv6.src==\(g.router) && icmpv6.mtu==\(g.mtu)"
                    : "icmp.type==3 && icmp.code==4 && ip.src==\(g.router) && icmp.mtu==\(g.mtu)"
                evidence.append(.packets(note, file: capture.file, frames: g.frames, times: g.times, filter: filter))
            }
        }
        guard messages > 0 else { return [] }
        let list = mtus.sorted().map(String.init).joined(separator: ", ")
        let summary = "\(messages) ICMP message\(messages == 1 ? "" : "s") said packets were too big for the path; "
            + "advertised MTU\(mtus.count == 1 ? "" : "s") \(list)."
        return [finding(.medium, summary: summary, evidence: evidence)]
    }
}
