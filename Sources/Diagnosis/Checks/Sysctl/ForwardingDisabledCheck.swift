import Artifacts

/// `forwarding-disabled`: the node does not forward pod traffic, or bridged traffic skips iptables.
public struct ForwardingDisabledCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "forwarding-disabled", title: "IP forwarding or bridge netfilter disabled",
            rationale: """
                A Kubernetes node routes pod traffic: with `net.ipv4.ip_forward = 0` nothing leaves or reaches pods \
                across nodes. With a bridge CNI (cni0, docker0) and `net.bridge.bridge-nf-call-iptables = 0`, traffic \
                between pods on one bridge bypasses iptables, so Service (ClusterIP) NAT silently fails for same-node \
                backends. Both are reset by a reboot or an OS update that drops the sysctl.d file.
                """,
            severity: .critical,
            evidence: "The `ip_forward` / `bridge-nf-call-iptables` lines, and the bridge devices from `ip -d link`.",
            fix: """
                `sysctl -w net.ipv4.ip_forward=1` and `net.bridge.bridge-nf-call-iptables=1` (load `br_netfilter`), and \
                persist them in /etc/sysctl.d/ and /etc/modules-load.d/.
                """,
            passingExamples: [
                CheckExample("a configured node", "node/sysctl-a.txt", [
                    "net.bridge.bridge-nf-call-iptables = 1", "net.ipv4.ip_forward = 1",
                ]),
                CheckExample("br_netfilter not loaded and no bridge (Cilium, Calico)", "node/sysctl-a.txt", ["net.ipv4.ip_forward = 1"]),
            ],
            failingExamples: [
                CheckExample("forwarding off after a reboot", "node/sysctl-a.txt", [
                    "net.ipv4.conf.all.forwarding = 0", "net.ipv4.ip_forward = 0",
                ], mustCite: [2]),
                CheckExample("bridge netfilter off", files: [
                    ("node/sysctl-a.txt", "net.bridge.bridge-nf-call-iptables = 0\nnet.ipv4.ip_forward = 1"),
                    ("net/ip-d-link.txt", "3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link/ether 9a:3b:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    bridge forward_delay 1500 hello_time 200"),
                ], mustCite: ["node/sysctl-a.txt:1", "net/ip-d-link.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl?.value else { return [] }
        var problems: [String] = []
        var evidence: [Evidence] = []
        if s.int("net.ipv4.ip_forward") == 0 {
            problems.append("net.ipv4.ip_forward is 0: the node does not route pod traffic")
            evidence += [facts.sysctlEvidence("net.ipv4.ip_forward", "IPv4 forwarding.")].compactMap { $0 }
        }
        if s.int("net.bridge.bridge-nf-call-iptables") == 0 {
            let bridges = facts.links?.value.devices.filter { $0.kind == "bridge" } ?? []
            if facts.links == nil || !bridges.isEmpty {
                problems.append("bridge-nf-call-iptables is 0" + (bridges.isEmpty ? "" : " with bridge \(bridges.map(\.name).joined(separator: ", "))")
                                + ": Service NAT is skipped between pods on the same bridge")
                evidence += [facts.sysctlEvidence("net.bridge.bridge-nf-call-iptables", "Bridged traffic skips iptables.")].compactMap { $0 }
                if let links = facts.links { evidence += bridges.prefix(3).map { .line("A bridge device.", file: links.file, $0.line) } }
            }
        }
        guard !problems.isEmpty else { return [] }
        return [finding(.critical, summary: problems.joined(separator: "; ") + ".", evidence: evidence)]
    }
}
