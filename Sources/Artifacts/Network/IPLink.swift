import Foundation

/// A network device from `ip -d link` (or `ip -d addr`, `ip -s -d link`): what the MTU checks need.
public struct LinkDevice: Sendable, Equatable {
    public var index: Int
    public var name: String
    /// After the `@`: a veth peer or the lower device of a VLAN/macvlan (`if5` when in another netns).
    public var peer: String?
    public var mtu: Int
    /// `vxlan`, `geneve`, `ipip`, `wireguard`, `veth`, `bridge`… (nil when `-d` was not used).
    public var kind: String?
    /// The lower device named by `dev X` in the details (VXLAN, IPIP).
    public var lowerDevice: String?
    public var master: String?
    /// The tunnel's remote/group/local address is IPv6 (VXLAN/Geneve overhead 70 rather than 50).
    public var ipv6Underlay: Bool
    /// `external` / collect-metadata mode (one device for all peers, as Cilium uses).
    public var external: Bool
    public var line: SourceLine
    /// `inet`/`inet6` lines under the device (`ip addr`): its addresses.
    public var addresses: [InterfaceAddress] = []

    /// Bytes this tunnel adds to each inner packet, when it is a tunnel (domain reference §3.1).
    public var encapsulationOverhead: Int? {
        switch kind {
        case "vxlan", "geneve": ipv6Underlay ? 70 : 50
        case "ipip", "sit": 20
        case "ip6tnl": 40
        case "wireguard": ipv6Underlay ? 80 : 60
        case "gre": 24
        case "gretap": 38
        default: nil
        }
    }
}

/// One address of a device: `inet 10.40.2.2/24 scope global cl-b0` (the address without its prefix length).
public struct InterfaceAddress: Sendable, Equatable {
    public var address: String
    public var prefixLength: Int?
    public var line: SourceLine
}

/// Parses `ip [-s] -d link|addr` output into devices and their addresses; other lines (statistics) are skipped.
public struct LinkTable: Sendable, LineParser {
    public private(set) var devices: [LinkDevice] = []

    static let kinds: Set<Substring> = [
        "vxlan", "geneve", "ipip", "ip6tnl", "sit", "gre", "gretap", "ip6gre", "wireguard", "veth", "bridge",
        "bond", "vlan", "macvlan", "ipvlan", "dummy", "tun", "vrf", "ifb", "team", "nlmon", "vti", "xfrm",
        "openvswitch", "bareudp",
    ]

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        if let first = raw.first, first.isNumber {
            header(raw, number: number)
            return
        }
        guard !devices.isEmpty else { return }
        let f = raw.fields
        guard let word = f.first else { return }
        var d = devices[devices.count - 1]
        if word == "inet" || word == "inet6", f.count >= 2, d.addresses.count < 256 {
            let cidr = f[1].split(separator: "/", maxSplits: 1)
            if let a = cidr.first, !a.isEmpty {
                d.addresses.append(InterfaceAddress(address: String(a), prefixLength: cidr.count == 2 ? Int(cidr[1]) : nil,
                                                    line: SourceLine(number: number, text: String(raw))))
                devices[devices.count - 1] = d
            }
            return
        }
        if d.kind == nil, Self.kinds.contains(word) {
            d.kind = String(word)
            if word == "vxlan" || word == "ipip" || word == "geneve" || word == "ip6tnl" || word == "sit" || word == "gre" {
                d.lowerDevice = Tokens.value(after: "dev", in: f).map(String.init)
                d.external = f.contains("external")
                let remote = Tokens.value(after: "remote", in: f) ?? Tokens.value(after: "group", in: f)
                    ?? Tokens.value(after: "local", in: f)
                d.ipv6Underlay = remote?.contains(":") ?? false
            }
        }
        devices[devices.count - 1] = d
    }

    /// `5: eth0@if2: <BROADCAST,…,UP,LOWER_UP> mtu 1500 qdisc noqueue master cni0 state UP …`
    mutating func header(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard f.count >= 4, f[0].hasSuffix(":"), let index = Int(f[0].dropLast()), f[1].hasSuffix(":") else { return }
        let fullName = f[1].dropLast()
        var name = fullName, peer: Substring?
        if let at = fullName.firstIndex(of: "@") {
            name = fullName[..<at]
            peer = fullName[fullName.index(after: at)...]
        }
        // Linux MTUs fit in 32 bits; anything beyond 16 MiB is not a real device's (and would
        // overflow the arithmetic of what uses it).
        guard let mtu = Tokens.value(after: "mtu", in: f).flatMap({ Int($0) }), (0...(1 << 24)).contains(mtu) else { return }
        devices.append(LinkDevice(
            index: index, name: String(name), peer: peer.map(String.init), mtu: mtu, kind: nil, lowerDevice: nil,
            master: Tokens.value(after: "master", in: f).map(String.init), ipv6Underlay: false, external: false,
            line: SourceLine(number: number, text: String(raw))))
    }

    public func device(named name: String) -> LinkDevice? { devices.first { $0.name == name } }
}

extension LinkTable {
    /// The device kinds the CNI plugins' well-known device names imply, for sources that give names
    /// and MTUs but no kinds (Troubleshoot's `ipv4Interfaces.json`): flannel's `flannel.1` (VXLAN)
    /// and `flannel-wg`, Calico's `vxlan.calico`, `tunl0` (IPIP) and `wireguard.cali`, Cilium's
    /// `cilium_vxlan`, `cilium_geneve` and `cilium_wg0`, Weave's `vxlan-6784`.
    public static func kind(fromName name: String) -> String? {
        switch name {
        case "flannel.1", "vxlan.calico", "vxlan-v6.calico", "cilium_vxlan", "vxlan-6784", "antrea-tun0": "vxlan"
        case "cilium_geneve", "genev_sys_6081": "geneve"
        case "tunl0": "ipip"
        case "flannel-wg", "flannel-wg-v6", "wireguard.cali", "wg-v6.cali", "cilium_wg0", "kilo0": "wireguard"
        default: name.hasPrefix("veth") || name.hasPrefix("cali") && name.count == 15 || name.hasPrefix("lxc") ? "veth" : nil
        }
    }

    /// Go's `[]net.Interface` as JSON (Troubleshoot's `host-collectors/system/ipv4Interfaces.json`):
    /// `[{"Index":1,"MTU":65536,"Name":"lo","HardwareAddr":"","Flags":5}, …]`. Kinds come from the
    /// names (`kind(fromName:)`); each device's evidence is its object, on line 1 of a one-line file.
    public static func parseGoInterfaces(_ bytes: [UInt8]) -> LinkTable? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else { return nil }
        var t = LinkTable()
        for o in array {
            guard let name = o["Name"] as? String, let mtu = (o["MTU"] as? NSNumber)?.intValue, (0...(1 << 24)).contains(mtu) else { continue }
            let index = (o["Index"] as? NSNumber)?.intValue ?? t.devices.count + 1
            t.devices.append(LinkDevice(
                index: index, name: name, peer: nil, mtu: mtu, kind: kind(fromName: name), lowerDevice: nil, master: nil,
                ipv6Underlay: false, external: false,
                line: SourceLine(number: 1, text: "{\"Index\":\(index),\"MTU\":\(mtu),\"Name\":\"\(name)\"}")))
        }
        return t.devices.isEmpty ? nil : t
    }
}
