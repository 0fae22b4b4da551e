import Artifacts

/// `tcp-mtu-probing-off`: PMTU black-hole recovery is disabled on a node with overlays or MTU trouble.
public struct TCPMTUProbingCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "tcp-mtu-probing-off", title: "TCP MTU probing disabled where MTU trouble is likely",
            rationale: """
                With `net.ipv4.tcp_mtu_probing = 0` a TCP connection whose large segments vanish (a PMTU black hole: \
                ICMP fragmentation-needed filtered, or an overlay MTU mismatch) retransmits them forever. With 1 the \
                kernel detects the black hole and lowers the segment size (RFC 4821). It matters on nodes with \
                tunnels, and more when the bundle already shows MTU trouble: with tunnels alone (most overlay nodes, \
                healthy ones included) it is a note (info), with MTU trouble in the bundle it is medium.
                """,
            severity: .low,
            evidence: "The `tcp_mtu_probing` line, the overlay devices, and the MTU trouble seen elsewhere in the bundle.",
            fix: "Set `net.ipv4.tcp_mtu_probing = 1` (sysctl.d or the node image), and fix the MTU itself.",
            passingExamples: [
                CheckExample("probing on with a VXLAN overlay", files: [
                    ("node/sysctl-a.txt", "net.ipv4.tcp_mtu_probing = 1"),
                    ("net/ip-d-link.txt", "2: eth0: <UP,LOWER_UP> mtu 1500 qdisc mq state UP\n7: flannel.1: <UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN\n    vxlan id 1 dev eth0 dstport 8472"),
                ]),
                CheckExample("probing off, no overlay and no MTU trouble", "node/sysctl-a.txt", ["net.ipv4.tcp_mtu_probing = 0"]),
            ],
            failingExamples: [
                CheckExample("probing off with an overlay and a message-too-long error", files: [
                    ("node/sysctl-a.txt", "net.ipv4.tcp_mtu_probing = 0"),
                    ("net/ip-d-link.txt", "2: eth0: <UP,LOWER_UP> mtu 1500 qdisc mq state UP\n6: vxlan.calico: <UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN\n    vxlan id 4096 dev eth0 dstport 4789"),
                    ("app.log", "ping: local error: message too long, mtu=1400"),
                ], mustCite: ["node/sysctl-a.txt:1", "net/ip-d-link.txt:2"]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        guard let s = facts.sysctl, let probing = s.value.int("net.ipv4.tcp_mtu_probing"), probing == 0 else { return [] }
        let tunnels = facts.tunnels
        let tooBig = facts.captures.reduce(0) { $0 + $1.summary.counters.icmpFragNeeded + $1.summary.counters.icmpv6PacketTooBig }
        let fragments = facts.captures.reduce(0) { $0 + $1.summary.counters.ipv4Fragments + $1.summary.counters.ipv6Fragments }
        let mtuTrouble = !facts.pathMTULines.isEmpty || tooBig > 0 || fragments > 0
        guard !tunnels.isEmpty || mtuTrouble else { return [] }
        var evidence = [facts.sysctlEvidence("net.ipv4.tcp_mtu_probing", "PMTU black-hole detection is off.")].compactMap { $0 }
        if let links = facts.links {
            evidence += tunnels.prefix(3).map { .line("An overlay device (\($0.kind ?? "tunnel")).", file: links.file, $0.line) }
        }
        var why: [String] = []
        if !tunnels.isEmpty { why.append("the node has overlay devices (\(tunnels.map(\.name).joined(separator: ", ")))") }
        if !facts.pathMTULines.isEmpty { why.append("\(Format.plural(facts.pathMTULines.count, "log line")) show packets too big for the path") }
        if tooBig > 0 { why.append("the capture has \(Format.plural(tooBig, "ICMP too-big message"))") }
        if fragments > 0 { why.append("the capture has \(Format.plural(fragments, "IP fragment"))") }
        return [finding(mtuTrouble ? .medium : .info, summary: "tcp_mtu_probing is 0 while " + why.joined(separator: " and ") + ".", evidence: evidence)]
    }
}
