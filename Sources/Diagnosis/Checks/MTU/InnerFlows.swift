import Wire

/// The pods' flows inside the tunnel packets an MTU finding cites (issue 24 §2): the outer addresses
/// are the nodes', and the inner source, destination and port are what a user looks up (`kubectl get
/// pods -A -o wide`). Flows are ranked by packets, most first; the first `top` are named.
enum InnerFlows {
    static let top = 5

    struct Tally {
        var flow: InnerFlow
        var packets = 0
        var file: String
        var frames: [Int] = []
        var times: [Int64?] = []
        /// The outer UDP port Wireshark must be told is VXLAN (Linux's 8472; it decodes 4789 by itself).
        var decodeAs: UInt16?
    }

    /// Fragmented tunnel datagrams by the inner flow their first fragment carries (datagrams whose
    /// first fragment was not captured are not counted).
    static func tally(_ datagrams: [(datagram: FragmentedDatagram, file: String)]) -> [Tally] {
        struct Key: Hashable { var flow: InnerFlow; var file: String }
        var byFlow: [Key: Tally] = [:]
        for (d, file) in datagrams {
            guard let flow = d.inner else { continue }
            let key = Key(flow: flow, file: file)
            var t = byFlow[key] ?? Tally(flow: flow, file: file)
            t.packets += 1
            if let port = d.destinationPort, d.protocolNumber == IPProtocol.udp, PacketDecoder.isVXLANPort(port), port != 4789 { t.decodeAs = port }
            if t.frames.count < 10, let first = d.fragments.first(where: { $0.offset == 0 }) ?? d.fragments.first {
                t.frames.append(first.frame)
                t.times.append(first.time)
            }
            byFlow[key] = t
        }
        return ranked(Array(byFlow.values))
    }

    /// One tally per flow, most packets first. Captures of one node may see the same packets at
    /// several points (a tunnel device and `-i any`): a flow counts as the capture that saw the most of it.
    static func ranked(_ tallies: [Tally]) -> [Tally] {
        var best: [InnerFlow: Tally] = [:]
        for t in tallies where t.packets > (best[t.flow]?.packets ?? 0) { best[t.flow] = t }
        return best.values.sorted { ($0.packets, $1.flow) > ($1.packets, $0.flow) }
    }

    /// " The pods' flows inside them (most fragmented tunnel packets first): 10.244.1.5:40000 → 10.244.2.7:8080 (TCP) ×812, …".
    static func sentence(_ tallies: [Tally], unit: String) -> String {
        guard !tallies.isEmpty else { return "" }
        let named = tallies.prefix(top).map { "\($0.flow) ×\($0.packets)" }.joined(separator: ", ")
        let more = tallies.count > top ? " and \(Format.plural(tallies.count - top, "more flow"))" : ""
        return " The pods' flows inside them (most \(unit) first): \(named)\(more)."
    }

    /// One evidence item per named flow: its packets' frames and a filter on the inner addresses and ports;
    /// `what(n)` words the count (`5 fragmented tunnel packets`).
    static func evidence(_ tallies: [Tally], what: (Int) -> String) -> [Evidence] {
        tallies.prefix(top).map { t in
            .packets("Inner flow \(t.flow): \(what(t.packets))"
                        + (t.decodeAs.map { " (Wireshark decodes VXLAN on 4789 only: Decode As UDP port \($0) → VXLAN, or `tshark -d udp.port==\($0),vxlan`, to see the inner packets)" } ?? ""),
                     file: t.file, frames: t.frames, times: t.times, filter: DisplayFilter.inner(t.flow))
        }
    }
}
