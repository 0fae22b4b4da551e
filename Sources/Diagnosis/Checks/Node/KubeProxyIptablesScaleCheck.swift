import Artifacts

/// `kube-proxy-iptables-scale`: kube-proxy in iptables mode with many Services.
public struct KubeProxyIptablesScaleCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "kube-proxy-iptables-scale", title: "kube-proxy in iptables mode at scale",
            rationale: """
                In iptables mode the first packet of every connection walks the `KUBE-SERVICES` chain linearly, and \
                every Service or endpoint change rewrites the whole ruleset: past about a thousand Services rule \
                syncs take seconds (connections fail to new endpoints meanwhile) and per-connection latency grows. \
                The Service count is the number of `KUBE-SVC-*` chains in `iptables-save` (one per Service port with \
                endpoints); the mode comes from kube-proxy's `/proxyMode`, command line or configmap.
                """,
            severity: .medium,
            evidence: "kube-proxy's mode line (proxyMode answer, command line or configmap), and the KUBE-SVC chain count.",
            fix: """
                Switch kube-proxy to `ipvs` or (Kubernetes ≥ 1.31) `nftables` mode, or to an eBPF dataplane (Cilium \
                kube-proxy replacement); meanwhile raise `iptables.minSyncPeriod` to batch updates.
                """,
            parameters: [CheckParameter("max_services", 1000, unit: "services", "KUBE-SVC chains above which iptables mode is reported")],
            passingExamples: [
                CheckExample("ipvs mode", files: [
                    ("k8s/kube-proxy-proxyMode.txt", "ipvs"),
                    ("net/iptables-counts.txt", "iptables-nft-save.txt all kube-svc-chains 2400"),
                ]),
                CheckExample("iptables mode, few services", files: [
                    ("k8s/kube-proxy-mode.txt", "cmdline: /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=node-1"),
                    ("net/iptables-nft-save.txt", "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -j KUBE-SVC-NPX46M4PTMTKRN6Y\nCOMMIT"),
                ]),
            ],
            failingExamples: [
                CheckExample("iptables mode from the configmap, 1500 services", files: [
                    ("k8s/kube-proxy-configmap.yaml", "data:\n  config.conf: |-\n    apiVersion: kubeproxy.config.k8s.io/v1alpha1\n    kind: KubeProxyConfiguration\n    mode: \"\""),
                    ("net/iptables-counts.txt", "iptables-legacy-save.txt nat rules 9120\niptables-legacy-save.txt all kube-svc-chains 1500"),
                ], mustCite: ["k8s/kube-proxy-configmap.yaml:5", "net/iptables-counts.txt:2"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let kp = facts.kubeProxy
        let services = max(kp.serviceChains, kp.countedServiceChains ?? 0)
        guard Double(services) > parameters["max_services"] else { return [] }
        // No stated mode: KUBE-SVC chains with no IPVS services mean iptables mode.
        let mode = kp.mode ?? (kp.ipvsServices == 0 ? "iptables" : "ipvs")
        guard mode == "iptables" else { return [] }
        var evidence: [Evidence] = []
        let files = facts.kubeProxyFiles
        if let line = kp.modeLine, let file = kp.modeFile {
            evidence.append(.line("kube-proxy's mode (empty means iptables on Linux).", file: file, line))
        }
        if let line = kp.countedLine, let file = kp.countedFile {
            evidence.append(.line("KUBE-SVC chains counted in the saved ruleset.", file: file, line))
        } else {
            evidence.append(.value("KUBE-SVC-* chains in iptables-save.", file: files.first { $0.contains("iptables") }, text: "\(services)"))
        }
        return [finding(.medium, summary: "kube-proxy runs in \(mode) mode\(kp.mode == nil ? " (inferred from the rules)" : "") with \(services) Service chains.",
                        evidence: evidence)]
    }
}
