import Artifacts

/// `link-flap`: a node network device went down (and up) during the log's window.
public struct LinkFlapCheck: Check {
    public init() {}

    /// Pod-side devices come and go with every pod; their state changes are not flaps.
    static let podDevicePrefixes = ["veth", "cali", "lxc", "vxlan", "flannel", "cni", "tap", "tun", "docker", "br-", "genev", "kube-", "cilium", "weave", "vnet", "azv", "eni", "gke"]

    public var description: CheckDescription {
        CheckDescription(
            id: "link-flap", title: "Network link went down",
            rationale: """
                A node's NIC losing link (`NIC Link is Down`, `Link is Down`) drops every flow through it until it comes \
                back and routes/ARP recover: bursts of retransmissions and timeouts across all pods on the node. Pod \
                veths and bridge ports change state with every pod start and stop, so they are ignored here.
                """,
            severity: .medium,
            evidence: "The link-state lines per device (pod veths and bridge ports excluded).",
            fix: """
                Check the cable/switch port or the cloud NIC (driver and firmware, `ethtool -S` errors, the \
                hypervisor's events); correlate with NETDEV WATCHDOG lines and packet loss in the capture.
                """,
            parameters: [CheckParameter("high_after", 3, unit: "downs", "link-down events per device at which the finding is high")],
            passingExamples: [
                CheckExample("pod churn on the bridge", "node/dmesg.txt", [
                    "[ 3001.1] cni0: port 2(veth1a2b3c4d) entered disabled state",
                    "[ 3001.2] device veth1a2b3c4d left promiscuous mode",
                    "[ 3002.9] cni0: port 3(veth9f8e7d6c) entered forwarding state",
                    "[ 3003.0] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
                ]),
            ],
            failingExamples: [
                CheckExample("an e1000e flap", "node/dmesg.txt", [
                    "[ 500.100000] e1000e 0000:00:19.0 eno1: NIC Link is Down",
                    "[ 503.400000] e1000e 0000:00:19.0 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
                ], mustCite: [1, 2]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.link).filter {
            guard case .link(let device, _, let bridgePort) = $0.match.event else { return false }
            return !bridgePort && !Self.podDevicePrefixes.contains { device.hasPrefix($0) }
        }
        var downs: [String: Int] = [:]
        for l in lines { if case .link(let d, let up, _) = l.match.event, !up { downs[d, default: 0] += 1 } }
        guard !downs.isEmpty else { return [] }
        let worst = downs.values.max() ?? 0
        let list = downs.keys.sorted().map { "\($0) (\(Format.plural(downs[$0]!, "time")))" }.joined(separator: ", ")
        return [finding(Double(worst) >= parameters["high_after"] ? .high : .medium,
                        summary: "Link went down on \(list)\(Format.span(lines, facts)).",
                        evidence: Evidence.lines("Link state change.", lines, cap: 20))]
    }
}
