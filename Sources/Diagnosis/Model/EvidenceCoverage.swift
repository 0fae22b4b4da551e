import Artifacts

/// Which kinds of evidence the checks read were in the input, and which were not: "no problems
/// found" means something only next to what was looked at.
public struct EvidenceCoverage: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        /// "kernel log", "sysctl settings"…
        public var name: String
        /// Files of the group that were read and used.
        public var files: Int
        /// What the files lacked that some checks need ("no query lines: …").
        public var note: String? = nil
    }

    public var present: [Group]
    /// Names of the groups with no usable file.
    public var absent: [String]

    /// The evidence groups and the artifact kinds that make each (docs/checks.md lists the checks per group).
    public static let groups: [(name: String, kinds: Set<ArtifactKind>)] = [
        ("packet captures", [.capture]),
        ("sysctl settings", [.sysctl, .sysctlJSON]),
        ("kernel log", [.dmesg, .syslog]),
        ("network devices and MTUs", [.ipLink, .ipAddress, .interfacesJSON]),
        ("routes", [.ipRoute]),
        ("CoreDNS logs", [.corednsLog]),
        ("resolver configuration", [.resolvConf, .dnsDebugJSON]),
        ("conntrack statistics", [.conntrackStats]),
        ("kernel network counters", [.snmp, .nstat, .softnetStat, .ss, .sockstat]),
        ("kube-proxy and iptables state", [.iptables, .iptablesCounts, .ipvs, .kubeProxy]),
        ("CPU counters", [.procStat]),
        ("disk latency (fio)", [.fio]),
        ("path MTU probes", [.tracepath, .ping]),
    ]

    public init(present: [Group] = [], absent: [String] = []) {
        self.present = present
        self.absent = absent
    }

    /// From the kinds of the files that were used (one entry per file), with notes per group name.
    public init(usedKinds: [ArtifactKind], notes: [String: String] = [:]) {
        var present: [Group] = [], absent: [String] = []
        for g in Self.groups {
            let n = usedKinds.filter { g.kinds.contains($0) }.count
            if n > 0 { present.append(Group(name: g.name, files: n, note: notes[g.name])) } else { absent.append(g.name) }
        }
        self.init(present: present, absent: absent)
    }

    /// The notes on what the facts lacked, per group name.
    public static func notes(_ facts: Facts) -> [String: String] {
        var notes: [String: String] = [:]
        if !facts.coreDNS.files.isEmpty, facts.coreDNS.queries == 0 {
            notes["CoreDNS logs"] = "no query lines: the log plugin was off, so query latency, answers and search-path expansion were not checked"
        }
        return notes
    }

    /// "sysctl settings (1 file), kernel log (3 files)".
    public var presentList: String {
        present.map { "\($0.name) (\(Format.plural($0.files, "file"))\($0.note.map { "; " + $0 } ?? ""))" }.joined(separator: ", ")
    }

    /// One sentence for the verdict.
    public var sentence: String {
        if present.isEmpty { return "None of the evidence the checks read was recognised in the input, so this is no clean bill of health." }
        var s = "Checked: \(presentList)."
        if !absent.isEmpty { s += " Not in the input, so not checked: \(absent.joined(separator: ", "))." }
        return s
    }
}
