import Artifacts

/// `neighbour-table-overflow`: the ARP/NDP table overflowed.
public struct NeighbourTableOverflowCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "neighbour-table-overflow", title: "Neighbour (ARP/NDP) table overflow",
            rationale: """
                Each pod IP and node a host talks to directly needs a neighbour entry. Past `gc_thresh3` the kernel \
                refuses new entries (`neighbor table overflow!`): packets to new neighbours are dropped, which looks \
                like random connection timeouts on large clusters or flat pod networks.
                """,
            severity: .high,
            evidence: "The overflow lines, the table named, and the `gc_thresh1/2/3` lines.",
            fix: """
                Raise `net.ipv4.neigh.default.gc_thresh1/2/3` (and the `ipv6` ones) to fit the number of pods and \
                nodes, e.g. 4096 / 8192 / 16384.
                """,
            passingExamples: [
                CheckExample("no overflow", "node/dmesg.txt", ["[   15.123456] IPv6: ADDRCONF(NETDEV_CHANGE): cali12ab34cd: link becomes ready"]),
            ],
            failingExamples: [
                CheckExample("arp_cache overflow", files: [
                    ("node/dmesg.txt", "[183021.000911] neighbour: arp_cache: neighbor table overflow!\n[183021.004102] neighbour: arp_cache: neighbor table overflow!"),
                    ("node/sysctl-a.txt", "net.ipv4.neigh.default.gc_thresh3 = 1024"),
                ], mustCite: ["node/dmesg.txt:1", "node/dmesg.txt:2", "node/sysctl-a.txt:1"]),
                CheckExample("an old kernel's wording in kern.log", "var/log/kern.log", [
                    "Mar  3 10:00:01 node7 kernel: [ 9001.1] Neighbour table overflow.",
                ], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.neighbourTableOverflow)
        guard !lines.isEmpty else { return [] }
        var tables = Set<String>()
        for l in lines { if case .neighbourTableOverflow(let t) = l.match.event { tables.insert(t ?? "neighbour table") } }
        var evidence = Evidence.lines("The neighbour table was full.", lines)
        for v in ["ipv4", "ipv6"] {
            for n in 1...3 {
                if let e = facts.sysctlEvidence("net.\(v).neigh.default.gc_thresh\(n)", "Neighbour table threshold \(n) (\(v)).") {
                    evidence.append(e)
                }
            }
        }
        return [finding(.high, summary: "The kernel logged \(Format.plural(lines.count, "neighbour table overflow")) "
                        + "(\(tables.sorted().joined(separator: ", ")))\(Format.span(lines, facts)).", evidence: evidence)]
    }
}
