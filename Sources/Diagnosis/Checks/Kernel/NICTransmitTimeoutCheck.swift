import Artifacts

/// `nic-transmit-timeout`: the network device watchdog fired.
public struct NICTransmitTimeoutCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "nic-transmit-timeout", title: "NIC transmit queue timed out (NETDEV WATCHDOG)",
            rationale: """
                `NETDEV WATCHDOG: eth0 (driver): transmit queue N timed out` means the NIC stopped sending for \
                seconds; the driver usually resets the device, so every flow through it stalls and the link may flap. \
                It is a driver, firmware or (virtual) hardware problem, not a configuration one.
                """,
            severity: .high,
            evidence: "The NETDEV WATCHDOG lines (device, driver, queue).",
            fix: """
                Update the NIC driver/firmware (or the hypervisor's virtio/ENA/gVNIC driver), check for link flaps and \
                NIC errors (`ip -s link`, `ethtool -S`), and move workloads off the node if it repeats.
                """,
            passingExamples: [
                CheckExample("a normal boot", "node/dmesg.txt", ["[    2.402911] ixgbe 0000:03:00.0: Intel(R) 10 Gigabit Network Connection"]),
            ],
            failingExamples: [
                CheckExample("the ≤ 6.2 format", "node/dmesg.txt", [
                    "[712345.120001] NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out",
                    "[712345.120050] WARNING: CPU: 3 PID: 0 at net/sched/sch_generic.c:477 dev_watchdog+0x21f/0x230",
                ], mustCite: [1]),
                CheckExample("the ≥ 6.7 format", "node/dmesg.txt", [
                    "[ 1022.33] virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 1: transmit queue 0 timed out 5440 ms",
                ], mustCite: [1]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        let lines = facts.kernelEvents(.transmitTimeout)
        guard !lines.isEmpty else { return [] }
        var devices = Set<String>()
        for l in lines {
            if case .transmitTimeout(let d, let driver, _) = l.match.event {
                devices.insert([d, driver.map { "(\($0))" }].compactMap { $0 }.joined(separator: " "))
            }
        }
        let named = devices.filter { !$0.isEmpty }.sorted()
        return [finding(.high, summary: "\(Format.plural(lines.count, "transmit timeout"))"
                        + (named.isEmpty ? "" : " on \(named.joined(separator: ", "))") + "\(Format.span(lines, facts)).",
                        evidence: Evidence.lines("The NIC watchdog fired.", lines))]
    }
}
