import Artifacts
import Wire

/// `overlay-fragmentation`: tunnel packets (VXLAN, Geneve, IP-in-IP) fragmented on the underlay,
/// with the MTU arithmetic that says which overlay MTU fits.
public struct OverlayFragmentationCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "overlay-fragmentation", title: "Overlay packets fragmented on the underlay (overlay MTU too large)",
            rationale: """
                A tunnel wraps every inner packet in outer headers: VXLAN and Geneve add 50 bytes over IPv4 \
                (outer IP 20, UDP 8, VXLAN/Geneve 8, inner Ethernet 14; Geneve options on top), IP-in-IP 20. \
                When the overlay MTU is the underlay's (the classic 1500-over-1500), full-size inner packets \
                become outer packets larger than the underlay MTU: the VTEP fragments them (every large packet \
                costs two, and one lost fragment loses both) or, with DF set on the outer header, drops them. \
                Definition: a reassembled or incomplete IPv4/IPv6 datagram carrying UDP to 4789, 8472 or 6081, \
                or IP protocol 4/41. The underlay MTU is taken as the largest fragment seen (IP header plus \
                fragment payload), the inner packet size as the datagram less the tunnel overhead.
                """,
            severity: .high,
            evidence: "Per tunnel flow: the fragments with their sizes, the inner packet size, the underlay MTU seen, and the overlay MTU that fits; the tunnel device from `ip -d link` when the bundle has it.",
            fix: """
                Set the overlay (pod) MTU to the underlay MTU minus the overhead: 1450 for VXLAN/Geneve over a \
                1500 underlay (1430 over IPv6), 1480 for IP-in-IP; in the CNI's config (Calico `mtu`/`veth_mtu`, \
                Cilium `--mtu`, flannel `FLANNEL_MTU` / the subnet.env MTU) and restart the pods so their veths \
                pick it up. Alternatively raise the underlay MTU (jumbo frames) where the network allows.
                """,
            passingExamples: [
                CheckExample("a VXLAN packet that fits", packets: [
                    .udp(0, "10.0.0.5", 40000, "10.0.0.6", 8472, payload: 1400, id: 0x10),
                ]),
            ],
            failingExamples: [
                CheckExample("a 1538-byte VXLAN packet split at 1500", packets: [
                    .udp(0, "10.0.0.5", 40000, "10.0.0.6", 8472, payload: 1488, id: 0x10, fragmentOffset: 0, moreFragments: true),
                    .udp(0.0001, "10.0.0.5", 40000, "10.0.0.6", 8472, payload: 38, id: 0x10, fragmentOffset: 1480),
                ], mustCiteFrames: [1, 2]),
            ])
    }

    /// Outer bytes a tunnel adds to an inner IP packet (domain reference §3.1), by outer IP version.
    static func overhead(_ d: FragmentedDatagram) -> (name: String, bytes: Int)? {
        let ip = d.version == 4 ? 20 : 40
        if d.protocolNumber == 17, let port = d.destinationPort {
            if PacketDecoder.isVXLANPort(port) { return ("VXLAN", ip + 8 + 8 + 14) }
            if port == PacketDecoder.genevePort { return ("Geneve", ip + 8 + 8 + 14) }
        }
        if d.protocolNumber == 4 || d.protocolNumber == 41 { return ("IP-in-IP", ip) }
        return nil
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        var evidence: [Evidence] = []
        var count = 0
        var fits: Set<Int> = []
        var tunnelled: [(datagram: FragmentedDatagram, file: String)] = []
        for capture in facts.captures {
            var seen: Set<String> = []
            for d in capture.summary.fragmentedDatagrams {
                guard let (name, overhead) = Self.overhead(d) else { continue }
                count += 1
                tunnelled.append((d, capture.file))
                let header = d.version == 4 ? 20 : 48  // IPv6: 40 + the 8-byte Fragment header
                let underlay = (d.fragments.map { $0.length }.max() ?? 0) + header
                let outer = d.totalLength.map { $0 + (d.version == 4 ? 20 : 40) }
                let inner = outer.map { $0 - overhead }
                let mtu = underlay - overhead
                fits.insert(mtu)
                let key = "\(d.source)>\(d.destination)"
                guard !seen.contains(key), evidence.count < 10 else { continue }
                seen.insert(key)
                let sizes = d.fragments.map { String($0.length + header) }.joined(separator: " + ")
                var note = "\(name) \(d.source) → \(d.destination): "
                note += outer.map { "a \($0)-byte outer packet" } ?? "an outer packet"
                note += inner.map { " (inner packet \($0) bytes)" } ?? ""
                note += " was split into fragments of \(sizes) bytes (IP ID 0x\(String(d.identification, radix: 16))): the underlay "
                    + "carries \(underlay)-byte packets, so inner packets must stay at or below \(underlay) − \(overhead) = \(mtu) bytes."
                if let dev = facts.tunnels.first(where: { $0.kind.map { $0.lowercased() == name.lowercased() || (name == "IP-in-IP" && $0 == "ipip") } ?? false }) {
                    note += " `ip -d link`: \(dev.name) mtu \(dev.mtu)."
                }
                evidence.append(.packets(note, file: capture.file, frames: d.fragments.map(\.frame), times: d.fragments.map(\.time),
                                         filter: "\(d.version == 4 ? "ip.id==0x\(String(d.identification, radix: 16))" : "ipv6.fraghdr.ident==0x\(String(d.identification, radix: 16))") && "
                                            + DisplayFilter.ip("src", d.source)))
            }
        }
        guard count > 0 else { return [] }
        let target = fits.min()!
        let inner = InnerFlows.tally(tunnelled)
        return [finding(.high, summary: "\(count) tunnel packet\(count == 1 ? " was" : "s were") fragmented on the underlay: "
            + "the overlay MTU is larger than the underlay allows. Set the overlay (pod) MTU to \(target) or less."
            + InnerFlows.sentence(inner, unit: "fragmented tunnel packets"),
            evidence: evidence + InnerFlows.evidence(inner) { Format.plural($0, "fragmented tunnel packet") })]
    }
}
