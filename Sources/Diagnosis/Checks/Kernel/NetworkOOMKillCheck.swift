import Artifacts

/// `oom-kill-network`: the OOM killer hit DNS, CNI or kube-proxy processes.
public struct NetworkOOMKillCheck: Check {
    public init() {}

    /// Processes whose death is a network outage on the node.
    static let networkProcesses = [
        "coredns", "kube-dns", "dnsmasq", "node-cache", "kube-proxy", "calico-node", "calico-felix", "bird", "confd",
        "cilium-agent", "cilium-envoy", "flanneld", "weaver", "aws-k8s-agent", "aws-node", "antrea-agent", "ovs-vswitchd",
        "kube-router", "kubelet", "containerd", "dockerd", "crio", "etcd", "kube-apiserver", "haproxy", "nginx", "envoy",
    ]

    public var description: CheckDescription {
        CheckDescription(
            id: "oom-kill-network", title: "OOM killer hit network-critical processes",
            rationale: """
                When the kernel kills CoreDNS, kube-proxy, the CNI agent (calico-node, cilium-agent, flanneld) or the \
                kubelet for lack of memory, the node loses DNS, Service routing or pod networking until the process \
                restarts: an outage that looks like a network fault. Other OOM kills are reported at low severity.
                """,
            severity: .high,
            evidence: "The `Killed process PID (NAME)` lines.",
            fix: """
                Give these pods memory requests and limits that fit their peak (CoreDNS grows with the number of \
                Services and cache size), reserve memory for system daemons (`--system-reserved`, `--kube-reserved`), \
                and find what exhausted the node or cgroup (`Memory cgroup out of memory` names the cgroup).
                """,
            passingExamples: [
                CheckExample("no OOM", "node/dmesg.txt", ["[ 100.0] systemd[1]: Started Kubernetes Kubelet."]),
            ],
            failingExamples: [
                CheckExample("CoreDNS killed in its cgroup", "node/dmesg.txt", [
                    "[ 9120.512312] coredns invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=-998",
                    "[ 9120.513901] Memory cgroup out of memory: Killed process 30112 (coredns) total-vm:812444kB, anon-rss:170104kB, file-rss:24520kB, shmem-rss:0kB, UID:0 pgtables:532kB oom_score_adj:-998",
                ], mustCite: [2]),
                CheckExample("another process (low)", "node/dmesg.txt", [
                    "[ 512.2] Out of memory: Killed process 2446 (java) total-vm:5424564kB, anon-rss:255676kB, file-rss:100240kB, shmem-rss:38948kB, UID:1000 pgtables:1496kB oom_score_adj:0",
                ], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let kills = facts.kernelEvents(.oomKill)
        guard !kills.isEmpty else { return [] }
        func name(_ e: TextEvidence<KernelLogEvent>) -> String {
            if case .oomKill(_, let p, _) = e.match.event { p } else { "" }
        }
        let network = kills.filter { k in Self.networkProcesses.contains { name(k).hasPrefix($0) } }
        let cited = network.isEmpty ? kills : network
        let names = Array(Set(cited.map(name))).sorted()
        let summary = network.isEmpty
            ? "The OOM killer killed \(Format.plural(kills.count, "process")) (\(names.joined(separator: ", "))); none of them network-critical."
            : "The OOM killer killed network-critical processes: \(names.joined(separator: ", ")) (\(Format.plural(network.count, "kill"))\(Format.span(network, facts)))."
        return [finding(network.isEmpty ? .low : .high, summary: summary, evidence: Evidence.lines("A process killed for lack of memory.", cited),
                        title: network.isEmpty ? "OOM killer hit processes (none network-critical)" : nil)]
    }
}
