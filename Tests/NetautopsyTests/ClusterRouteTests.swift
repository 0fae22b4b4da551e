import Autopsy
@testable import Diagnosis
import Foundation
import Reports
import Testing

/// The capture points a connection attempt passed on its way from one pod to another, on the real
/// captures of `fixtures/make-cluster-fixtures.sh pod`: pod-a (10.40.4.2) behind node-a, pod-b
/// (10.40.3.2) behind node-b, each node capturing on its uplink (cl-a0, cl-b0) and on the pod's veth
/// (cl-ap0, cl-bp0). SYNs to 9091 are dropped by node-b's FORWARD chain, to 9092 by node-a's, to 9093
/// by the router between the nodes; 9090 is accepted.
@Suite struct ClusterRouteTests {
    static let a = Paths.fixture("cluster-pod/node-a"), b = Paths.fixture("cluster-pod/node-b")

    /// tcpdump's frame numbers of the SYNs to pod-b's `port` in one capture (the oracle).
    static func syns(_ node: String, _ capture: String, port: Int) throws -> [Int] {
        let out = try Shell.run(["tcpdump", "--number", "-n", "-r", "\(node)/captures/\(capture)"])
        try #require(out.status == 0, "\(out.stderr)")
        return out.stdout.split(separator: "\n").filter { $0.contains("> 10.40.3.2.\(port): Flags [S],") }.compactMap { Int($0.split(separator: " ")[0]) }
    }

    @Test func eachAttemptIsFollowedToTheLastCapturePointThatSawIt() throws {
        let report = try ClusterAutopsy().analyze([Self.a, Self.b])
        let dropped = try #require(report.findings.first { $0.id == PacketPaths.droppedID })
        let lost = try #require(report.findings.first { $0.id == PacketPaths.lostID })
        let routes = (dropped.evidence + lost.evidence).filter { $0.note.hasPrefix("Where the SYNs were seen") }.compactMap(\.text)
        #expect(routes.count == 3)

        // 9091: left pod-a, left node-a, reached node-b's uplink, never reached pod-b's veth.
        let f9091 = (ap: try Self.syns(Self.a, "cl-ap0.pcap", port: 9091), a: try Self.syns(Self.a, "cl-a0.pcap", port: 9091),
                     b: try Self.syns(Self.b, "cl-b0.pcap", port: 9091), bp: try Self.syns(Self.b, "cl-bp0.pcap", port: 9091))
        #expect(f9091.ap.count == 4 && f9091.a.count == 4 && f9091.b.count == 4 && f9091.bp.isEmpty)
        #expect(routes.contains("node-a captures/cl-ap0.pcap (frame \(f9091.ap[0])) → node-a captures/cl-a0.pcap (frame \(f9091.a[0])) → node-b captures/cl-b0.pcap (frame \(f9091.b[0])); ran at the time and hold none: node-b captures/cl-bp0.pcap"),
                "\(routes)")
        #expect(dropped.summary.contains("4 SYNs of 1 connection attempt from node-a (10.40.4.2) to 10.40.3.2:9091 reached node-b and went no further: the last point they were seen is node-b's capture captures/cl-b0.pcap (not captures/cl-bp0.pcap, which ran at the time); its FORWARD chain has a DROP rule for port 9091 that matched 4 packets"),
                "\(dropped.summary)")

        // 9092: left pod-a, never left node-a: its uplink capture ran and saw pod-a's other connections leave after the veth had.
        let f9092 = (ap: try Self.syns(Self.a, "cl-ap0.pcap", port: 9092), a: try Self.syns(Self.a, "cl-a0.pcap", port: 9092))
        #expect(f9092.ap.count == 4 && f9092.a.isEmpty)
        #expect(dropped.summary.hasPrefix("4 SYNs of 1 connection attempt from node-a (10.40.4.2) to 10.40.3.2:9092 never left node-a: its capture captures/cl-ap0.pcap holds them and its capture captures/cl-a0.pcap, which ran at the time and saw 10.40.4.2's other connections leave, does not; its FORWARD chain has a DROP rule for port 9092 that matched 4 packets"),
                "\(dropped.summary)")
        #expect(routes.contains("node-a captures/cl-ap0.pcap (frame \(f9092.ap[0])); ran at the time and hold none: node-a captures/cl-a0.pcap"))
        #expect(dropped.evidence.contains { $0.file == "node-a:captures/cl-ap0.pcap" && $0.frames == f9092.ap })
        let leaving = try #require(dropped.evidence.first { $0.note.contains("other connections to other nodes leave") })
        #expect(leaving.file == "node-a:captures/cl-a0.pcap" && leaving.frames?.count == 1)
        #expect(dropped.evidence.contains { $0.kind == .line && $0.file == "node-a:net/iptables-save.txt" && $0.text?.hasSuffix("--dport 9092 -j DROP") == true })

        // 9093: left node-a's uplink, never reached node-b (both its captures ran and saw pod-a's other traffic).
        let f9093 = (ap: try Self.syns(Self.a, "cl-ap0.pcap", port: 9093), a: try Self.syns(Self.a, "cl-a0.pcap", port: 9093))
        #expect(lost.summary == "4 SYNs of 1 connection attempt from node-a (10.40.4.2) to 10.40.3.2:9093 left node-a and never reached node-b, whose capture captures/cl-b0.pcap ran at the time and saw other traffic from 10.40.4.2.",
                "\(lost.summary)")
        #expect(routes.contains("node-a captures/cl-ap0.pcap (frame \(f9093.ap[0])) → node-a captures/cl-a0.pcap (frame \(f9093.a[0])); ran at the time and hold none: node-b captures/cl-b0.pcap, node-b captures/cl-bp0.pcap"))
        #expect(report.paths == ClusterReport.Paths(followed: 3, notFollowed: [:]))
    }

    /// Without node-a's uplink capture, nothing shows that the SYNs to 9092 never left node-a: they are
    /// lost after its last capture point, which the report says is not on the uplink.
    @Test func withoutTheUplinkCaptureTheLastPointIsNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("node-a")
        try FileManager.default.copyItem(atPath: Self.a, toPath: copy.path)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("captures/cl-a0.pcap"))
        let report = try ClusterAutopsy().analyze([copy.path, Self.b])
        let lost = try #require(report.findings.first { $0.id == PacketPaths.lostID })
        #expect(!(report.findings.first { $0.id == PacketPaths.droppedID }?.summary.contains("never left node-a") ?? false))
        #expect(lost.summary.contains("to 10.40.3.2:9092 left node-a and never reached node-b, whose capture captures/cl-b0.pcap ran at the time and saw other traffic from 10.40.4.2 (node-a's last capture that holds them, captures/cl-ap0.pcap, is on cl-ap0, not on its uplink (cl-a0): they may also have died on node-a after it)"),
                "\(lost.summary)")
    }
    /// A capture's device comes from its file name when no manifest says it, ring-buffer numbers
    /// included (`captures/IF-2.pcap`): node-a's uplink capture renamed `cl-a0-2.pcap` is still its
    /// uplink, so the loss of the SYNs to 9093 between the nodes carries no caveat; renamed to a name no
    /// device has, the report says its last capture point is not known to be on the uplink.
    @Test func captureDevicesFromFileNames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func renamed(_ name: String) throws -> String {
            let copy = dir.appendingPathComponent(name)
            try FileManager.default.copyItem(atPath: Self.a, toPath: copy.path)
            try FileManager.default.moveItem(at: copy.appendingPathComponent("captures/cl-a0.pcap"),
                                             to: copy.appendingPathComponent("captures/\(name).pcap"))
            return copy.path
        }
        let ring = try ClusterAutopsy().analyze([try renamed("cl-a0-2"), Self.b])
        let lost = try #require(ring.findings.first { $0.id == PacketPaths.lostID })
        #expect(lost.summary.contains("to 10.40.3.2:9093 left node-a and never reached node-b") && !lost.summary.contains("not known to be on its uplink"),
                "\(lost.summary)")
        let unknown = try ClusterAutopsy().analyze([try renamed("uplink"), Self.b])
        let vague = try #require(unknown.findings.first { $0.id == PacketPaths.lostID })
        #expect(vague.summary.contains("(node-a's last capture that holds them, captures/uplink.pcap, is not known to be on its uplink"), "\(vague.summary)")
    }
}
