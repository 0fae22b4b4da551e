import Artifacts

/// `message-too-long`: text artifacts showing packets too big for their path.
public struct MessageTooLongCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "message-too-long", title: "\"Message too long\": packets larger than the path MTU",
            rationale: """
                `Message too long` (EMSGSIZE) means the kernel refused to send a packet larger than the route's \
                or the discovered path MTU; `Frag needed and DF set (mtu = N)` means a router said so; \
                tracepath's falling `pmtu` shows where the path narrows. Applications that cannot shrink \
                their packets (UDP, DNS, tunnels) fail or time out.
                """,
            severity: .medium,
            evidence: "Each matching line with its file and line number, and the MTU it reports.",
            fix: """
                Compare the MTU in these lines with the interface and CNI MTUs (`ip -d link`): set the pod/overlay \
                MTU to the smallest path MTU minus encapsulation overhead, and keep ICMP fragmentation-needed \
                messages allowed so PMTU discovery works.
                """,
            passingExamples: [
                CheckExample("tracepath with a constant path MTU", "tracepath.txt", [
                    " 1?: [LOCALHOST]                      pmtu 1500",
                    " 1:  10.0.0.1                                              0.120ms",
                    "     Resume: pmtu 1500 hops 1 back 1",
                ]),
                CheckExample("an unrelated MTU setting", "cni.log", [
                    "2024-05-01 12:00:00 setting veth mtu to 1450",
                ]),
            ],
            failingExamples: [
                CheckExample("iputils ping's local error", "ping.txt", [
                    "PING 10.10.2.2 (10.10.2.2) 1472(1500) bytes of data.",
                    "From 10.10.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)",
                    "ping: local error: message too long, mtu=1400",
                ], mustCite: [2, 3]),
                CheckExample("a tunnel port dropping an oversized packet (kernel log)", "node/dmesg.txt", [
                    "[ 5604.030347] openvswitch: vxlan_sys_4789: dropped over-mtu packet: 8950 > 1450",
                ], mustCite: [1]),
                CheckExample("an application's EMSGSIZE", "app.log", [
                    "sendto(): EMSGSIZE on 10.96.0.10:53",
                ], mustCite: [1]),
                CheckExample("tracepath where the path narrows", "tracepath.txt", [
                    " 1?: [LOCALHOST]                      pmtu 1500",
                    " 1:  10.10.1.1                                             0.091ms",
                    " 2:  10.10.1.1                                             0.050ms pmtu 1400",
                    "     Resume: pmtu 1400 hops 2 back 2",
                ], mustCite: [3, 4]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        // Direct errors always count; pmtu lines count in files where the path MTU falls.
        var cited: [TextEvidence<PathMTUTextMatch>] = facts.pathMTULines.filter { $0.match.kind != .pmtu }
        let pmtuFiles = Dictionary(grouping: facts.pathMTULines.filter { $0.match.kind == .pmtu }, by: \.file)
        for file in pmtuFiles.keys.sorted() {
            let lines = pmtuFiles[file]!
            guard let first = lines.first?.match.mtu else { continue }
            cited += lines.filter { ($0.match.mtu ?? first) < first }
        }
        guard !cited.isEmpty else { return [] }
        cited.sort { ($0.file, $0.line) < ($1.file, $1.line) }
        let mtus = Set(cited.compactMap(\.match.mtu)).sorted()
        let files = Set(cited.map(\.file)).count
        var summary = "\(Format.plural(cited.count, "line")) in \(Format.plural(files, "file")) "
            + "show packets too big for their path"
        if !mtus.isEmpty { summary += " (MTU \(mtus.map(String.init).joined(separator: ", ")))" }
        summary += "."
        let (kept, omitted) = cited.capped(30)
        var evidence = kept.map { e in
            Evidence.line(note(e.match), file: e.file, line: e.line, text: e.text)
        }
        if omitted > 0 { evidence.append(.value("Further matching lines not listed.", text: "\(omitted) lines")) }
        return [finding(.medium, summary: summary, evidence: evidence)]
    }

    func note(_ m: PathMTUTextMatch) -> String {
        let mtu = m.mtu.map { " (MTU \($0))" } ?? ""
        switch m.kind {
        case .messageTooLong: return "The kernel refused a packet larger than the path MTU\(mtu)."
        case .emsgsize: return "An application got EMSGSIZE\(mtu)."
        case .fragNeeded: return "A router answered with fragmentation needed\(mtu)."
        case .pmtu: return "tracepath: the path MTU falls here\(mtu)."
        case .overMTU: return "The kernel dropped a packet larger than the device it was to leave by\(mtu)."
        }
    }
}
