import Artifacts

/// `cpu-steal`: the hypervisor took a large share of the node's CPU time.
public struct CPUStealCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "cpu-steal", title: "CPU steal: the hypervisor is taking the node's CPU",
            rationale: """
                Steal time is time a virtual CPU was ready to run but the hypervisor ran something else. Packet \
                processing (softirq), CoreDNS and kube-proxy stall with it: latency spikes and timeouts that no \
                network setting explains. It is measured between the collector's two `/proc/stat` samples (or \
                since boot with one sample, which dilutes a recent spike).
                """,
            severity: .medium,
            evidence: "The aggregate `cpu` line of each `/proc/stat` sample, and the steal share between them.",
            fix: """
                Move to instances without CPU credits or overcommit (burstable T-class instances out of credits show \
                steal), use dedicated hosts, or spread latency-sensitive pods away from this node.
                """,
            parameters: [
                CheckParameter("steal_percent", 10, unit: "%", "steal share at or above which the check reports"),
                CheckParameter("high_percent", 25, unit: "%", "steal share at which the finding is high"),
            ],
            passingExamples: [
                CheckExample("this machine's /proc/stat (real, two samples)", files: [
                    ("node/proc-stat-start.txt", "cpu  71766 14 28802 726229 3138 0 594 305 0 0\ncpu0 32493 9 12941 369312 522 0 52 160 0 0"),
                    ("node/proc-stat-end.txt", "cpu  71901 14 28861 726600 3140 0 595 306 0 0\ncpu0 32560 9 12970 369500 523 0 52 160 0 0"),
                ]),
            ],
            failingExamples: [
                CheckExample("30 % stolen between samples", files: [
                    ("node/proc-stat-start.txt", "cpu  1000 0 500 8000 0 0 100 400 0 0"),
                    ("node/proc-stat-end.txt", "cpu  1500 0 700 8600 0 0 200 1000 0 0"),
                ], mustCite: ["node/proc-stat-start.txt:1", "node/proc-stat-end.txt:1"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let samples = facts.procStats.compactMap { s in s.value.cpu.map { (s.file, $0) } }
        guard let last = samples.last else { return [] }
        let first = samples.count > 1 ? samples.first : nil
        guard let share = last.1.stealShare(since: first?.1) else { return [] }
        guard share * 100 >= parameters["steal_percent"] else { return [] }
        let window = first == nil ? "since boot" : "between the collector's two /proc/stat samples"
        var evidence: [Evidence] = []
        if let first { evidence.append(.line("CPU times at the first sample (steal is the 8th value).", file: first.0, first.1.line)) }
        evidence.append(.line("CPU times at the last sample.", file: last.0, last.1.line))
        return [finding(share * 100 >= parameters["high_percent"] ? .high : .medium,
                        summary: "\(Format.percent(share)) of CPU time was stolen by the hypervisor \(window).", evidence: evidence)]
    }
}
