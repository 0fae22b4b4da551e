import Artifacts
import Wire

/// `overlay-packets-too-big`: packets captured on a tunnel device (the inner side of VXLAN,
/// Geneve, IP-in-IP, WireGuard) too large for the underlay once encapsulated.
public struct OverlayPacketsTooBigCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "overlay-packets-too-big", title: "Packets on a tunnel device too large for the underlay",
            rationale: """
                On the tunnel device itself a capture shows inner packets, before encapsulation. One of S bytes \
                leaves the node as S + overhead (VXLAN/Geneve 50 over IPv4, 70 over IPv6; IP-in-IP 20; WireGuard \
                60/80): above the underlay MTU it is fragmented (outer DF clear) or dropped (DF set, as Geneve \
                and WireGuard send it), which the underlay capture may not even show. This is the wire proof of \
                the 1500-over-1500 mismatch. The capture's interface comes from the pcapng interface name, the \
                Linux cooked v2 ifindex (`-i any`, resolved against the bundle's `ip -d link`, so both must come \
                from the same network namespace, as the collector takes them), the collector manifest, or a file \
                named after the device; the \
                underlay MTU from `ip -d link` (the tunnel's `dev`, else the default route's device). Packets \
                above the tunnel device's own MTU are segmentation-offload aggregates and are not counted.
                """,
            severity: .high,
            evidence: "Per tunnel device: the largest packets captured on it with their frames, the overhead, the underlay device and MTU, and the overlay MTU that fits.",
            fix: """
                Set the overlay (pod) MTU to the underlay MTU minus the overhead: 1450 for VXLAN/Geneve over a \
                1500 underlay, 1480 for IP-in-IP, 1440 for WireGuard; in the CNI's config (Calico `mtu`, Cilium \
                `--mtu`, flannel's subnet.env MTU) and restart the pods so their veths pick it up. Or raise the \
                underlay MTU where the network allows jumbo frames.
                """,
            passingExamples: [
                CheckExample("VXLAN at 1450 over a 1500 underlay, full-size packets", capture: "captures/flannel.1.pcap",
                             packets: [.tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "PA", payload: 1410)],
                             files: [("net/ip-d-link.txt", Self.links(tunnelMTU: 1450))]),
            ],
            failingExamples: [
                CheckExample("VXLAN left at 1500 over a 1500 underlay", capture: "captures/flannel.1.pcap",
                             packets: [
                                .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "PA", payload: 1400),
                                .tcp(0.1, "10.244.1.5", 40000, "10.244.2.9", 8080, "PA", seq: 2400, payload: 1460),
                             ], mustCiteFrames: [2], files: [("net/ip-d-link.txt", Self.links(tunnelMTU: 1500))],
                             mustCiteLines: ["net/ip-d-link.txt:1", "net/ip-d-link.txt:3"]),
            ])
    }

    /// `ip -d link` of a node with eth0 at 1500 and flannel.1 at `tunnelMTU`.
    static func links(tunnelMTU: Int) -> [String] {
        [
            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000",
            "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 9001",
            "3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu \(tunnelMTU) qdisc noqueue state UNKNOWN mode DEFAULT group default",
            "    link/ether 6e:1f:3a:4b:5c:6d brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535",
            "    vxlan id 1 local 10.0.0.5 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx",
        ]
    }

    /// A tunnel with packets too large for its underlay, and where they were seen.
    struct Offender {
        var tunnel: LinkDevice
        var underlay: LinkDevice
        var limit: Int
        var largest = 0
        var seen: [String] = []
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let links = facts.links else { return [] }
        var evidence: [Evidence] = []
        var offenders: [Offender] = []
        var inner: [InnerFlows.Tally] = []
        for capture in facts.captures {
            let sizes = capture.summary.packetSizes
            let context = facts.context(of: capture)
            for interface in sizes.byInterface.keys.sorted(by: { ($0.capture, $0.ifindex ?? 0) < ($1.capture, $1.ifindex ?? 0) }) {
                guard let joined = context.interfaces[interface], let tunnel = joined.device, let overhead = joined.overhead,
                      let lower = joined.underlay, let limit = joined.encapsulatedLimit
                else { continue }
                let (count, above) = sizes.above(limit, upTo: Swift.max(tunnel.mtu, limit), on: interface)
                guard let largest = above.first else { continue }
                let k = offenders.firstIndex { $0.tunnel.name == tunnel.name } ?? offenders.endIndex
                if k == offenders.endIndex {
                    offenders.append(Offender(tunnel: tunnel, underlay: lower, limit: limit))
                    evidence.append(.line("The underlay device (\(lower.name), MTU \(lower.mtu)).", file: links.file, lower.line))
                    evidence.append(.line("The tunnel (\(tunnel.kind ?? "?"), overhead \(overhead)): packets above \(limit) bytes do not fit.",
                                          file: links.file, tunnel.line))
                }
                offenders[k].largest = Swift.max(offenders[k].largest, largest.size)
                // The packets on a tunnel device are the pods' own: their flows are the inner flows.
                for f in sizes.flows(above: limit, on: interface) {
                    inner.append(InnerFlows.Tally(flow: f.flow, packets: f.packets, file: capture.file, frames: [f.sizes.firstFrame],
                                                  times: [f.sizes.firstTime]))
                }
                offenders[k].seen.append("\(count) in \(capture.file)")
                let examples = above.prefix(10)
                let via = interface.ifindex.map { " (ifindex \($0) in the capture is \(tunnel.name) in \(links.file))" } ?? ""
                evidence.append(.packets(
                    "\(Format.plural(count, "packet")) captured on \(tunnel.name)\(via) larger than \(limit) bytes: the largest, "
                        + "\(largest.size) bytes, leaves as \(largest.size + overhead) on \(lower.name) (MTU \(lower.mtu)), so it is "
                        + "fragmented or, with DF on the outer header, dropped. Sizes seen: "
                        + examples.map { "\($0.size) ×\($0.first.count)" }.joined(separator: ", ") + ".",
                    file: capture.file, frames: examples.map(\.first.firstFrame), times: examples.map(\.first.firstTime),
                    filter: "(ip.len > \(limit) || ipv6.plen > \(limit - 40))"
                        + (interface.ifindex.map { " && sll.ifindex == \($0)" } ?? "")
                        + (capture.interfaces.count > 1 ? " && frame.interface_id == \(interface.capture)" : "")))
            }
        }
        guard let fit = offenders.map(\.limit).min() else { return [] }
        let summary = offenders.map { o in
            "packets of up to \(o.largest) bytes on \(o.tunnel.name) (\(o.tunnel.kind ?? "tunnel"), +\(o.underlay.mtu - o.limit)) exceed the "
                + "\(o.limit) that \(o.underlay.name)'s MTU \(o.underlay.mtu) carries encapsulated (\(o.seen.joined(separator: ", ")))"
        }.joined(separator: "; ")
        let ranked = InnerFlows.ranked(inner)
        return [finding(.high, summary: summary.prefix(1).uppercased() + summary.dropFirst() + ". Set the overlay MTU to \(fit) or less."
                            + InnerFlows.sentence(ranked, unit: "packets too big"),
                        evidence: evidence + InnerFlows.evidence(ranked) { "\($0) packet\($0 == 1 ? "" : "s") larger than the tunnel carries (the first cited)" })]
    }
}
