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

    public static func check(id: String) -> (any Check)? {
        all.first { $0.description.id == id }
    }

    /// Runs the enabled checks with their parameters; findings most severe first, catalog order within.
    public static func run(_ facts: Facts, settings: CheckSettings = CheckSettings()) -> [Finding] {
        all.filter { !settings.disabled.contains($0.description.id) }
            .flatMap { c in
                c.findings(in: facts, parameters: CheckParameters(c.description, overrides: settings.overrides[c.description.id] ?? [:]))
            }
            .enumerated().sorted { ($0.element.severity, -$0.offset) > ($1.element.severity, -$1.offset) }.map(\.element)
    }
}
