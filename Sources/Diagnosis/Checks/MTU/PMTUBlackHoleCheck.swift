import Wire

/// `pmtu-black-hole`: large TCP segments resent again and again while smaller ones get through,
/// and no ICMP "fragmentation needed" / "packet too big" came back (RFC 2923 §2.1); or, the most
/// common shape, a connection whose handshake completed and none of whose large data was ever
/// acknowledged (the black hole at the start of a transfer).
public struct PMTUBlackHoleCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "pmtu-black-hole", title: "Path MTU black hole (large segments never acknowledged)",
            rationale: """
                When a hop cannot forward a packet with DF set, it must return ICMP fragmentation-needed \
                (IPv6: packet too big) so the sender lowers its segment size. If that ICMP is filtered, or an \
                overlay silently drops oversize packets, the handshake and small requests work but every \
                full-size segment vanishes: the connection hangs after the first bytes and is resent with \
                exponential backoff until the application times out. Definition used here, per flow direction: \
                the same sequence number was retransmitted at least `min_resends` times (Wireshark \
                retransmissions, spurious ones excluded) in segments larger than any the peer acknowledged in \
                that direction, it was never acknowledged (or only after being resent smaller, which is Linux \
                `tcp_mtu_probing` recovering), and no ICMP error in the capture quotes the flow. Also, at the \
                start of a transfer, when nothing was ever acknowledged in that direction: the handshake \
                completed, the first data segment was resent at least `min_resends_nothing_acked` times, never \
                acknowledged, every send of it at least `large_ip_bytes` bytes of IP (so no size is known to get \
                through but the handshake's), the peer sent no RST, and no ICMP quotes the flow. That is the \
                commonest black hole (a sender with TSO/GSO on shows super-segments, then MSS-sized resends), \
                but with medium confidence: a filter or middlebox that drops a flow's data after its handshake, \
                or a peer gone right after the handshake, look the same from the sender; a capture on the \
                receiving side or `ping -M do -s SIZE` along the path tells them apart. Judged by \
                retransmission behaviour, not by size alone: on the sending host TSO/GSO shows segments larger \
                than the MTU that are fine.
                """,
            severity: .high,
            evidence: "The flow, its MSS, the sizes sent against the largest acknowledged, the resend timeline with frames, that no ICMP quoting it was captured, and the IP size known to get through.",
            fix: """
                Make the path MTU discoverable or avoid needing it: allow ICMP type 3 code 4 (and ICMPv6 type 2) \
                through security groups, NetworkPolicies and host firewalls; clamp the MSS on the tunnel or \
                gateway (`iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS \
                --clamp-mss-to-pmtu`); set the pod/tunnel MTU to the underlay MTU minus the encapsulation \
                overhead; and set `net.ipv4.tcp_mtu_probing=1` so Linux recovers by itself.
                """,
            parameters: [
                CheckParameter("min_resends", 2, unit: "retransmissions", "times one large segment must be resent unacknowledged"),
                CheckParameter("min_resends_nothing_acked", 3, unit: "retransmissions",
                               "times the first data segment must be resent when nothing in that direction was ever acknowledged"),
                CheckParameter("large_ip_bytes", 1280, unit: "bytes",
                               "smallest IP size of every send of that segment (IPv6's minimum MTU: smaller packets cross any path)"),
            ],
            passingExamples: [
                CheckExample("a large segment lost once, then acknowledged", packets: Self.requestThenLargeSegment(resentAt: [0.230]) + [
                    .tcp(0.231, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 2549),
                ]),
                CheckExample("after the handshake, a 100-byte request resent three times and never acknowledged (loss, not size)",
                             packets: Self.firstSegmentResent(payload: 100, at: [0.010, 0.220, 0.640, 1.460])),
                CheckExample("after the handshake, a 1448-byte segment resent three times, then the peer resets",
                             packets: Self.firstSegmentResent(payload: 1448, at: [0.010, 0.220, 0.640, 1.460]) + [
                                .tcp(1.461, "10.96.0.10", 443, "10.244.1.5", 40000, "R", seq: 5001, ack: 0),
                             ]),
            ],
            failingExamples: [
                CheckExample("small request acknowledged, 1448-byte segment resent at 0.2, 0.6 and 1.4 s",
                             packets: Self.requestThenLargeSegment(resentAt: [0.230, 0.640, 1.460]), mustCiteFrames: [6, 7, 8, 9]),
                CheckExample("after the handshake, the first 1448-byte segment resent at 0.2, 0.6 and 1.4 s, nothing ever acknowledged",
                             packets: Self.firstSegmentResent(payload: 1448, at: [0.010, 0.220, 0.640, 1.460]), mustCiteFrames: [4, 5, 6, 7]),
            ])
    }

    /// A handshake, then the client's first data segment (`payload` bytes at seq 1001) sent at each of `at`.
    static func firstSegmentResent(payload: Int, at: [Double]) -> [PacketSketch] {
        PacketSketch.completedHandshake + at.map { .tcp($0, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 1001, ack: 5001, payload: payload) }
    }

    /// A handshake, a 100-byte request that is acknowledged, then a 1448-byte segment sent at 0.020 s
    /// and again at each of `resentAt`.
    static func requestThenLargeSegment(resentAt: [Double]) -> [PacketSketch] {
        PacketSketch.completedHandshake + [
            .tcp(0.010, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", seq: 1001, ack: 5001, payload: 100),
            .tcp(0.011, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 1101),
        ] + ([0.020] + resentAt).map { .tcp($0, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 1101, ack: 5001, payload: 1448) }
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let minResends = Int(parameters["min_resends"])
        let minResendsNothingAcked = Int(parameters["min_resends_nothing_acked"]), large = Int(parameters["large_ip_bytes"])
        var evidence: [Evidence] = []
        var flows = 0, recovered = 0, nothingAcked = 0
        var maxGood = 0, minLost = Int.max, resent = Int.max
        for capture in facts.captures {
            for f in capture.summary.tcpFlows {
                for (sender, receiver, h, back) in [(f.client, f.server, f.clientToServer, f.serverToClient),
                                                     (f.server, f.client, f.serverToClient, f.clientToServer)] {
                    guard let s = h.worstStall, !Self.icmpQuotes(capture.summary.tooBig, sender, receiver) else { continue }
                    if h.largestAckedSegment == 0 {
                        // Nothing this direction sent was ever acknowledged: only the handshake got through.
                        let headers = s.ipLength - s.length
                        guard f.established, s.ackFrame == nil, s.retransmissions >= minResendsNothingAcked, back.resets == 0,
                              let smallest = s.lengths.min(), smallest + headers >= large else { continue }
                        nothingAcked += 1
                        resent = Swift.min(resent, smallest + headers)
                        guard evidence.count < 20 else { continue }
                        evidence.append(Self.nothingAckedEvidence(f, s, sender, receiver, file: capture.file))
                        continue
                    }
                    guard s.retransmissions >= minResends, s.length > h.largestAckedSegment,
                          s.ackFrame == nil || s.recoveredBySmallerSegment else { continue }
                    flows += 1
                    if s.recoveredBySmallerSegment { recovered += 1 }
                    maxGood = Swift.max(maxGood, h.largestAckedIPLength)
                    minLost = Swift.min(minLost, s.ipLength)
                    guard evidence.count < 20 else { continue }
                    let start = s.times.first ?? f.firstTime
                    let timeline = s.times.map { "+" + Timestamp.seconds($0 - start) }.joined(separator: ", ")
                    var note = "Stream \(f.stream) \(sender) → \(receiver)"
                    if f.mss > 0 { note += " (MSS \(f.mss))" }
                    note += ": a \(s.length)-byte segment (IP \(s.ipLength) bytes) at seq \(s.sequence) was sent "
                        + "\(s.retransmissions + (s.frames.count > s.retransmissions ? 1 : 0)) times at \(timeline)"
                    if let ack = s.ackFrame, s.recoveredBySmallerSegment {
                        note += " and only acknowledged (frame \(ack)) after being resent as \(s.lengths.last ?? 0) bytes"
                    } else {
                        note += " and never acknowledged"
                    }
                    note += "; the largest segment the peer acknowledged was \(h.largestAckedSegment) bytes"
                    if h.largestAckedIPLength > 0 { note += " (IP \(h.largestAckedIPLength) bytes)" }
                    note += ". No ICMP fragmentation-needed or packet-too-big quoting this flow was captured."
                    let filter = "tcp.stream==\(f.stream) && tcp.seq_raw==\(s.sequence)"
                    evidence.append(.packets(note, file: capture.file, frames: s.frames, times: s.times, filter: filter))
                }
            }
        }
        guard flows + nothingAcked > 0 else { return [] }
        var summary = ""
        if flows > 0 {
            summary = "\(flows) TCP flow direction\(flows == 1 ? "" : "s") resent large segments that were never "
                + "acknowledged while smaller ones got through, with no ICMP telling the sender to shrink them"
            summary += recovered > 0 ? " (\(recovered) recovered only by resending smaller segments)." : "."
            if maxGood > 0 && minLost < Int.max {
                summary += " Packets of up to \(maxGood) bytes were acknowledged and \(minLost)-byte packets never were: "
                    + "the path MTU lies between \(maxGood) and \(minLost - 1) bytes."
            }
        }
        if nothingAcked > 0 {
            summary += (summary.isEmpty ? "" : " ") + "\(nothingAcked) TCP connection\(nothingAcked == 1 ? "" : "s") completed the handshake, "
                + "then none of \(nothingAcked == 1 ? "its" : "their") data was ever acknowledged: the first segment was resent "
                + "with backoff (as IP packets of \(resent) bytes or more) and no ICMP came back. Small packets got through and large ones vanish: "
                + "the commonest path MTU black hole, at the start of a transfer (medium confidence: a filter or middlebox dropping "
                + "the data after the handshake, or a peer gone right after it, would look the same here; a capture at the receiver, "
                + "or `ping -M do -s 1472` to it, tells them apart)."
        }
        return [finding(.high, summary: summary, evidence: evidence)]
    }

    /// A connection whose data never got through: the first segment's sends, their sizes, and what got through.
    static func nothingAckedEvidence(_ f: TCPFlowSummary, _ s: RetransmissionStall, _ sender: Endpoint, _ receiver: Endpoint,
                                     file: String) -> Evidence {
        let start = s.times.first ?? f.firstTime
        let timeline = s.times.map { "+" + Timestamp.seconds($0 - start) }.joined(separator: ", ")
        var sizes: [Int] = []
        for l in s.lengths where sizes.last != l { sizes.append(l) }
        var note = "Stream \(f.stream) \(sender) → \(receiver)"
        if f.mss > 0 { note += " (MSS \(f.mss))" }
        note += ": the handshake completed and nothing this side sent was ever acknowledged; the segment at seq \(s.sequence) "
            + "was sent \(s.frames.count) times at \(timeline), as " + sizes.map { "\($0)" }.joined(separator: " then ") + " bytes"
        if s.length > (sizes.last ?? s.length) { note += " (the first a GSO/TSO super-segment the sending host's stack cut up below the capture)" }
        note += ". No ICMP fragmentation-needed or packet-too-big quoting this flow was captured."
        return .packets(note, file: file, frames: s.frames, times: s.times, filter: "tcp.stream==\(f.stream) && tcp.seq_raw==\(s.sequence)")
    }

    /// Whether an ICMP fragmentation-needed / packet-too-big in the capture quotes traffic from `sender` to `receiver`.
    static func icmpQuotes(_ groups: [TooBigMessages.Group], _ sender: Endpoint, _ receiver: Endpoint) -> Bool {
        groups.contains { g in
            guard let q = g.quoted else { return false }
            return q.source == sender.address && q.destination == receiver.address
                && (q.destinationPort == nil || q.destinationPort == receiver.port)
        }
    }
}
