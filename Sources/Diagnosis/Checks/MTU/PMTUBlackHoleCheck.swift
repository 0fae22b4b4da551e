import Wire

/// `pmtu-black-hole`: large TCP segments resent again and again while smaller ones get through,
/// and no ICMP "fragmentation needed" / "packet too big" came back (RFC 2923 §2.1).
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
                `tcp_mtu_probing` recovering), and no ICMP error in the capture quotes the flow. Judged by \
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
            ],
            passingExamples: [
                CheckExample("a large segment lost once, then acknowledged", packets: Self.requestThenLargeSegment(resentAt: [0.230]) + [
                    .tcp(0.231, "10.96.0.10", 443, "10.244.1.5", 40000, "A", seq: 5001, ack: 2549),
                ]),
            ],
            failingExamples: [
                CheckExample("small request acknowledged, 1448-byte segment resent at 0.2, 0.6 and 1.4 s",
                             packets: Self.requestThenLargeSegment(resentAt: [0.230, 0.640, 1.460]), mustCiteFrames: [6, 7, 8, 9]),
            ])
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
        var evidence: [Evidence] = []
        var flows = 0, recovered = 0
        var maxGood = 0, minLost = Int.max
        for capture in facts.captures {
            for f in capture.summary.tcpFlows {
                for (sender, receiver, h) in [(f.client, f.server, f.clientToServer), (f.server, f.client, f.serverToClient)] {
                    guard let s = h.worstStall, s.retransmissions >= minResends, h.largestAckedSegment > 0,
                          s.length > h.largestAckedSegment, s.ackFrame == nil || s.recoveredBySmallerSegment,
                          !Self.icmpQuotes(capture.summary.tooBig, sender, receiver) else { continue }
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
        guard flows > 0 else { return [] }
        var summary = "\(flows) TCP flow direction\(flows == 1 ? "" : "s") resent large segments that were never "
            + "acknowledged while smaller ones got through, with no ICMP telling the sender to shrink them"
        summary += recovered > 0 ? " (\(recovered) recovered only by resending smaller segments)." : "."
        if maxGood > 0 && minLost < Int.max {
            summary += " Packets of up to \(maxGood) bytes were acknowledged and \(minLost)-byte packets never were: "
                + "the path MTU lies between \(maxGood) and \(minLost - 1) bytes."
        }
        return [finding(.high, summary: summary, evidence: evidence)]
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
