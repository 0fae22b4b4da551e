/// Every check netautopsy runs, in report order within a severity.
public enum CheckCatalog {
    public static let all: [any Check] = [
        // Packets
        IPFragmentationCheck(), ICMPFragNeededCheck(), MessageTooLongCheck(), SynWithoutSynAckCheck(), SynRstCheck(),
        PMTUBlackHoleCheck(), OverlayFragmentationCheck(), OverlayPacketsTooBigCheck(), TCPRetransmissionCheck(), ZeroWindowCheck(), SlowConnectCheck(), ResetStormCheck(), CaptureQualityCheck(), CaptureDuplicatesCheck(),
        DNSUnansweredCheck(), DNSResendCheck(), DNSWireLatencyCheck(),
        // Kernel log and connection tracking
        ConntrackTableFullCheck(), ConntrackNearMaxCheck(), ConntrackInsertFailedCheck(), SynFloodingCheck(),
        NeighbourTableOverflowCheck(), NICTransmitTimeoutCheck(), LinkFlapCheck(), NetworkOOMKillCheck(), TCPMemoryPressureCheck(),
        // MTU
        OverlayMTUMismatchCheck(), TCPMTUProbingCheck(),
        // DNS
        CoreDNSLatencyCheck(), CoreDNSFailedAnswersCheck(), CoreDNSUpstreamTimeoutCheck(), CoreDNSLoopProbeCheck(),
        SearchPathAmplificationCheck(), NdotsSearchListCheck(),
        // Disk, CPU, kube-proxy
        EtcdFdatasyncCheck(), FioNoSyncSamplesCheck(), CPUStealCheck(), KubeProxyIptablesScaleCheck(),
        // sysctls
        ForwardingDisabledCheck(), SomaxconnCheck(), SynBacklogCheck(), NetdevBacklogCheck(), LocalPortRangeCheck(),
        TimeWaitReuseCheck(), BBRWithoutFQCheck(), SocketBufferCheck(),
    ]

    /// Each check's description, built once: a description builds its examples' packets, which
    /// costs more than running most checks.
    static let descriptions: [ObjectIdentifier: CheckDescription] = Dictionary(
        all.map { (ObjectIdentifier(type(of: $0)), $0.description) }, uniquingKeysWith: { first, _ in first })

    /// The description of `check`, from the table when the check is in the catalog.
    public static func description(of check: any Check) -> CheckDescription {
        descriptions[ObjectIdentifier(type(of: check))] ?? check.description
    }

    /// Every check's id.
    public static let ids: Set<CheckID> = Set(all.map { description(of: $0).id })

    /// Every check documented (`checks`, `explain`, docs/checks.md): the node checks, then those
    /// across nodes (`ConfigDrift`).
    public static var documented: [CheckDescription] { all.map { description(of: $0) } + ConfigDrift.descriptions + PacketPaths.descriptions }

    /// The ids of `referenced` that no check has, in order: cause rules, the correlator's effect
    /// sources and config files may only name checks that exist (a test holds the first two to it,
    /// `AnalysisConfig` rejects the third).
    public static func unknown(_ referenced: some Sequence<CheckID>) -> [CheckID] {
        referenced.filter { !ids.contains($0) }
    }

    public static func check(id: CheckID) -> (any Check)? {
        all.first { description(of: $0).id == id }
    }

    /// Runs the enabled checks with their parameters; findings most severe first, catalog order within.
    public static func run(_ facts: Facts, settings: CheckSettings = CheckSettings()) -> [Finding] {
        all.flatMap { c -> [Finding] in
            let d = description(of: c)
            guard !settings.disabled.contains(d.id) else { return [] }
            return c.findings(in: facts, parameters: CheckParameters(d, overrides: settings.overrides[d.id] ?? [:]))
        }
            .enumerated().sorted { ($0.element.severity, -$0.offset) > ($1.element.severity, -$1.offset) }.map(\.element)
    }
}
