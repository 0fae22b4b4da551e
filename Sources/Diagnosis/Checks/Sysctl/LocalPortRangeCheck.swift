import Artifacts

/// `local-port-range`: the ephemeral port range overlaps NodePorts or is narrow.
public struct LocalPortRangeCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "local-port-range", title: "Ephemeral port range overlaps NodePorts or is narrow",
            rationale: """
                Outgoing connections take their source port from `net.ipv4.ip_local_port_range`. If it overlaps the \
                NodePort range (30000–32767 by default), a client socket can hold a port that kube-proxy serves as a \
                NodePort, and connections to that Service on this node fail intermittently. A narrow range limits \
                concurrent connections per destination (EADDRNOTAVAIL, "Cannot assign requested address") on busy \
                SNAT nodes.
                """,
            severity: .medium,
            evidence: "The `ip_local_port_range` (and `ip_local_reserved_ports`) lines.",
            fix: """
                Keep the range clear of NodePorts, e.g. `net.ipv4.ip_local_port_range = 32768 60999` (the default), or \
                reserve NodePorts with `net.ipv4.ip_local_reserved_ports = 30000-32767`.
                """,
            parameters: [
                CheckParameter("nodeport_min", 30000, unit: "port", "first NodePort (--service-node-port-range)"),
                CheckParameter("nodeport_max", 32767, unit: "port", "last NodePort"),
                CheckParameter("min_span", 16384, unit: "ports", "range width below which it is reported as narrow (low)"),
            ],
            passingExamples: [
                CheckExample("the kernel default (real sysctl -a line, tab-separated)", "node/sysctl-a.txt", ["net.ipv4.ip_local_port_range = 32768\t60999"]),
                CheckExample("wide, with NodePorts reserved", "node/sysctl-a.txt", [
                    "net.ipv4.ip_local_port_range = 1024\t65000", "net.ipv4.ip_local_reserved_ports = 30000-32767",
                ]),
            ],
            failingExamples: [
                CheckExample("widened over the NodePort range", "node/sysctl-a.txt", ["net.ipv4.ip_local_port_range = 1024\t65000"], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl?.value, let range = s.ints("net.ipv4.ip_local_port_range"), range.count == 2 else { return [] }
        let (lo, hi) = (range[0], range[1])
        let (nlo, nhi) = (Int(parameters["nodeport_min"]), Int(parameters["nodeport_max"]))
        let evidence = [
            facts.sysctlEvidence("net.ipv4.ip_local_port_range", "The ephemeral port range."),
            facts.sysctlEvidence("net.ipv4.ip_local_reserved_ports", "Ports excluded from it."),
        ].compactMap { $0 }
        if lo <= nhi && hi >= nlo && !Self.reserves(s["net.ipv4.ip_local_reserved_ports"]?.value ?? "", nlo, nhi) {
            return [finding(.medium, summary: "The ephemeral port range \(lo)–\(hi) overlaps the NodePort range \(nlo)–\(nhi), and NodePorts are not reserved.",
                            evidence: evidence)]
        }
        if Double(hi - lo + 1) < parameters["min_span"] {
            return [finding(.low, summary: "The ephemeral port range \(lo)–\(hi) has only \(hi - lo + 1) ports.", evidence: evidence)]
        }
        return []
    }

    /// Whether `ip_local_reserved_ports` (`30000-32767,8080`) covers the NodePort range.
    static func reserves(_ list: String, _ lo: Int, _ hi: Int) -> Bool {
        list.split(separator: ",").contains { item in
            let b = item.split(separator: "-").compactMap { Int($0.filter { !$0.isWhitespace }) }
            return b.count == 2 && b[0] <= lo && b[1] >= hi
        }
    }
}
