import Artifacts

/// `overlay-mtu-mismatch`: an overlay device (or the pods behind it) has a larger MTU than its
/// underlay can carry once the encapsulation is added.
public struct OverlayMTUMismatchCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "overlay-mtu-mismatch", title: "Overlay MTU larger than the underlay allows",
            rationale: """
                A tunnel adds bytes to every packet: VXLAN and Geneve 50 (70 over IPv6), IPIP 20, WireGuard 60 (80 over \
                IPv6). If the tunnel device's MTU is more than its lower device's MTU minus that overhead, or pod veths \
                have a larger MTU than the tunnel, full-size packets are fragmented or, with DF set, dropped: small \
                requests work while large responses, TLS handshakes and bulk transfers hang (a PMTU black hole). \
                Cilium deliberately keeps device MTUs at the base value and lowers the MTU on routes instead; that \
                design is recognised and not flagged when the routes carry the lower MTU.
                """,
            severity: .high,
            evidence: "The `ip -d link` lines of the tunnel and its underlay (and the pod veths), and the MTU that fits.",
            fix: """
                Set the CNI MTU to the underlay MTU minus the overhead (Calico: Installation `spec.calicoNetwork.mtu` \
                or `veth_mtu`; flannel: `FLANNEL_MTU` follows the interface; Cilium: `--mtu`), then restart the pods so \
                their veths pick it up.
                """,
            passingExamples: [
                CheckExample("flannel VXLAN sized for a 1500 underlay (real ip -d link output)", "net/ip-d-link.txt", [
                    "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000",
                    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 9001 ",
                    "7: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default",
                    "    link/ether 3a:61:5c:2f:9e:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 ",
                    "    vxlan id 1 local 10.0.0.5 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64",
                    "9: veth12ab34cd@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP mode DEFAULT group default",
                    "    link/ether 6e:1d:00:aa:bb:cc brd ff:ff:ff:ff:ff:ff link-netns cni-1234 promiscuity 1 minmtu 68 maxmtu 65535 ",
                    "    veth ",
                ]),
                CheckExample("Cilium: device MTU 1500, route MTU 1450", files: [
                    ("net/ip-d-link.txt", """
                        2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000
                            link/ether 0a:1b:2c:3d:4e:5f brd ff:ff:ff:ff:ff:ff
                        5: cilium_vxlan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
                            link/ether 7a:e1:00:11:22:33 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535
                            vxlan external id 0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx
                        11: lxc8a7b6c5d4e3f@if10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000
                            veth
                        """),
                    ("net/ip-route.txt", """
                        default via 10.0.0.1 dev ens5 proto dhcp src 10.0.0.12 metric 100
                        10.244.1.0/24 via 10.244.0.97 dev cilium_host proto kernel src 10.244.0.97 mtu 1450
                        """),
                ]),
            ],
            failingExamples: [
                CheckExample("VXLAN left at 1450 after the underlay became 1400 (real ip -d link output)", "net/ip-d-link.txt", [
                    "5: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue state UP mode DEFAULT group default qlen 1000",
                    "    link/ether 56:19:a3:8e:51:0e brd ff:ff:ff:ff:ff:ff link-netns natest2 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 ",
                    "    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 ",
                    "6: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
                    "    link/ether 66:d7:0f:c1:5e:9a brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 ",
                    "    vxlan id 4096 local 10.0.0.5 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 ",
                ], mustCite: [1, 4]),
                CheckExample("Calico IPIP with pod veths at 1500", "net/ip-d-link.txt", [
                    "2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000",
                    "    link/ether 00:50:56:aa:bb:cc brd ff:ff:ff:ff:ff:ff",
                    "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
                    "    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0 minmtu 0 maxmtu 0",
                    "    ipip any remote any local any ttl inherit nopmtudisc",
                    "12: cali1a2b3c4d5e6@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default",
                    "    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0",
                    "    veth",
                ], mustCite: [3, 6]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let links = facts.links else { return [] }
        let table = links.value
        let routeMTUs = facts.routes.flatMap { r in r.value.routes.filter { $0.mtu != nil }.map { (r.file, $0) } }
        var evidence: [Evidence] = []
        var problems: [String] = []
        var tunnelMTUs: [Int] = []
        for tunnel in table.devices where tunnel.encapsulationOverhead != nil {
            let overhead = tunnel.encapsulationOverhead!
            guard let lower = facts.underlay(of: tunnel) else { continue }
            let limit = lower.mtu - overhead
            if tunnel.mtu <= limit { tunnelMTUs.append(tunnel.mtu); continue }
            // Cilium's design: the device stays at the base MTU, routes carry the lower one.
            if tunnel.external || tunnel.name.hasPrefix("cilium_") {
                let pinned = routeMTUs.filter { $0.1.mtu! <= limit }
                if !pinned.isEmpty || routeMTUs.isEmpty { tunnelMTUs.append(pinned.isEmpty ? tunnel.mtu : limit); continue }
            }
            tunnelMTUs.append(tunnel.mtu)
            problems.append("\(tunnel.name) (\(tunnel.kind ?? "tunnel")) has MTU \(tunnel.mtu) but \(lower.name)'s \(lower.mtu) "
                            + "minus \(overhead) bytes of encapsulation allows \(limit)")
            evidence.append(.line("The underlay device (\(lower.name), MTU \(lower.mtu)).", file: links.file, lower.line))
            evidence.append(.line("The tunnel (\(tunnel.kind ?? "?"), overhead \(overhead)): MTU should be ≤ \(limit).", file: links.file, tunnel.line))
        }
        // Pod veths larger than the tunnel they are routed into (not Cilium: its lxc devices stay at the base MTU).
        let cilium = table.devices.contains { $0.name.hasPrefix("cilium_") }
        if let tunnelMTU = tunnelMTUs.min(), !cilium {
            let podPrefixes = ["veth", "cali", "lxc", "azv", "eni", "gke", "vnet"]
            // A device other devices sit on (VLAN@it, a tunnel's `dev`) is a trunk or underlay, not a pod's veth.
            let lowers = Set(table.devices.compactMap(\.peer) + table.devices.compactMap(\.lowerDevice))
            let big = table.devices.filter { d in d.kind == "veth" || podPrefixes.contains { d.name.hasPrefix($0) } }
                .filter { $0.mtu > tunnelMTU && $0.encapsulationOverhead == nil && !lowers.contains($0.name) }
            if !big.isEmpty {
                problems.append("\(Format.plural(big.count, "pod veth")) \(big.count == 1 ? "has" : "have") MTU \(Set(big.map(\.mtu)).sorted().map(String.init).joined(separator: "/")) "
                                + "above the tunnel's \(tunnelMTU)")
                if evidence.isEmpty, let t = table.devices.first(where: { $0.mtu == tunnelMTU && $0.encapsulationOverhead != nil }) {
                    evidence.append(.line("The tunnel the pods' traffic leaves through.", file: links.file, t.line))
                }
                evidence += big.prefix(10).map { .line("A pod veth with a larger MTU than the tunnel.", file: links.file, $0.line) }
            }
        }
        guard !problems.isEmpty else { return [] }
        return [finding(.high, summary: problems.joined(separator: "; ") + ".", evidence: evidence)]
    }
}
