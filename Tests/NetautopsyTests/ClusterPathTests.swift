import Artifacts
import Autopsy
@testable import Diagnosis
import Foundation
import Input
import Reports
import Testing
@testable import Wire

/// Connection attempts followed across two nodes' captures (`PacketPaths`), on the real two-ended
/// captures of fixtures/make-cluster-fixtures.sh: SYNs to 10.40.2.2:8081 dropped by the router between
/// the nodes, SYNs to 8082 by node-b's INPUT chain, 3 connections to 8080 accepted; full-size data
/// segments to 8083 dropped by the router (a black hole), to 8084 by node-b's INPUT chain.
@Suite struct ClusterPathTests {
    static let a = Paths.fixture("cluster/node-a"), b = Paths.fixture("cluster/node-b")

    /// A copy of node-b's bundle (or of `source`) whose capture is edited: every timestamp moved by `shift` ns, and
    /// only the first `keep` packets kept.
    static func nodeB(in dir: URL, from source: String = b, shift: Int64 = 0, keep: Int = .max) throws -> String {
        let copy = dir.appendingPathComponent("node-b")
        try FileManager.default.copyItem(atPath: source, toPath: copy.path)
        let pcap = copy.appendingPathComponent("captures/eth0.pcap")
        var bytes = [UInt8](try Data(contentsOf: pcap))
        // Classic pcap, microsecond, little-endian (as tcpdump wrote it): 24-byte header, 16-byte record headers.
        #expect(Array(bytes[0..<4]) == [0xd4, 0xc3, 0xb2, 0xa1])
        func u32(_ i: Int) -> UInt32 { UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 }
        func put(_ i: Int, _ v: UInt32) { for k in 0..<4 { bytes[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) } }
        var at = 24, n = 0
        while at + 16 <= bytes.count {
            let length = Int(u32(at + 8))
            if n == keep { bytes.removeSubrange(at...); break }
            let us = Int64(u32(at)) * 1_000_000 + Int64(u32(at + 4)) + shift / 1000
            put(at, UInt32(us / 1_000_000))
            put(at + 4, UInt32(us % 1_000_000))
            at += 16 + length
            n += 1
        }
        try Data(bytes).write(to: pcap)
        return copy.path
    }

    /// The frame numbers of the SYNs (without ACK) to 10.40.2.2:`port` in a capture, as tcpdump
    /// numbers and prints them: the oracle, so the test holds when the fixture is made again.
    static func synFrames(_ capture: String, port: Int) throws -> [Int] {
        let out = try Shell.run(["tcpdump", "--number", "-n", "-r", capture])
        try #require(out.status == 0, "\(out.stderr)")
        return out.stdout.split(separator: "\n").filter { $0.contains("> 10.40.2.2.\(port): Flags [S],") }.compactMap { Int($0.split(separator: " ")[0]) }
    }

    @Test func lossOnThePathAndADropOnTheNodeAreTold() throws {
        let report = try ClusterAutopsy().analyze([Self.a, Self.b])
        let lost = try #require(report.findings.first { $0.id == PacketPaths.lostID })
        #expect(lost.severity == .high)
        #expect(lost.summary.hasPrefix("8 SYNs of 2 connection attempts from node-a (10.40.1.1) to 10.40.2.2:8081 left node-a and never reached node-b"),
                "\(lost.summary)")
        #expect(!lost.summary.contains("8082"), "the SYNs node-b received are not lost between the nodes")
        // node-a's SYNs by frame, the filter that finds them matches nothing in node-b's capture, and the traffic node-b did see.
        let sent = try #require(lost.evidence.first { $0.file == "node-a:captures/eth0.pcap" })
        #expect(sent.frames == (try Self.synFrames(Self.a + "/captures/eth0.pcap", port: 8081)) && sent.frames?.count == 8)
        let filter = try #require(sent.displayFilter)
        #expect(filter.hasPrefix("tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.seq_raw in {") && filter.contains(", "))
        #expect(lost.evidence.contains { $0.file == "node-b:captures/eth0.pcap" && $0.kind == .value && $0.text == filter })
        #expect(lost.evidence.contains { $0.file == "node-b:captures/eth0.pcap" && $0.kind == .packets && $0.frames?.isEmpty == false })

        let dropped = try #require(report.findings.first { $0.id == PacketPaths.droppedID })
        #expect(dropped.summary.hasPrefix("8 SYNs of 2 connection attempts from node-a (10.40.1.1) to 10.40.2.2:8082 reached node-b and went no further"),
                "\(dropped.summary)")
        #expect(dropped.summary.contains("its INPUT chain has a DROP rule for port 8082 that matched 8 packets"), "\(dropped.summary)")
        #expect(dropped.evidence.first { $0.file == "node-a:captures/eth0.pcap" }?.frames == (try Self.synFrames(Self.a + "/captures/eth0.pcap", port: 8082)))
        #expect(dropped.evidence.first { $0.file == "node-b:captures/eth0.pcap" }?.frames == (try Self.synFrames(Self.b + "/captures/eth0.pcap", port: 8082)))
        let rule = try #require(dropped.evidence.first { $0.kind == .line })
        #expect(rule.file == "node-b:net/iptables-save.txt" && rule.line == 6 && rule.text == "[8:480] -A INPUT -p tcp -m tcp --dport 8082 -j DROP")
        #expect(report.paths == ClusterReport.Paths(followed: 4, notFollowed: [:]))

        // Data segments: to 8083 resent by node-a and absent from node-b's capture of the connection (lost
        // between); to 8084 resent by node-a, seen arriving in node-b's capture, never acknowledged (dropped on node-b).
        #expect(lost.summary.contains("1 data segment (1500-byte IP packets) from node-a to 10.40.2.2:8083 left node-a (6 sends) and never reached node-b"),
                "\(lost.summary)")
        let blackHole = try #require(lost.evidence.first { $0.note.hasPrefix("node-a sent the segment at seq") })
        #expect(blackHole.frames?.count == 6 && blackHole.displayFilter?.contains("tcp.srcport==") == true && blackHole.displayFilter?.hasSuffix("tcp.len>0") == true)
        #expect(lost.evidence.contains { $0.file == "node-b:captures/eth0.pcap" && $0.kind == .value && $0.text == blackHole.displayFilter })
        #expect(dropped.summary.contains("1 data segment (1500-byte IP packets) from node-a to 10.40.2.2:8084 reached node-b (its capture captures/eth0.pcap) and was never acknowledged"),
                "\(dropped.summary)")
        #expect(dropped.summary.contains("its INPUT chain has a DROP rule for port 8084 that matched 12 packets"))
        let arrived = try #require(dropped.evidence.first { $0.file == "node-b:captures/eth0.pcap" && $0.note.contains("received the segment") })
        let sentThere = try #require(dropped.evidence.first { $0.file == "node-a:captures/eth0.pcap" && $0.note.hasPrefix("node-a sent the segment") })
        #expect(arrived.frames?.count == sentThere.frames?.count && arrived.displayFilter == sentThere.displayFilter)
        #expect(dropped.evidence.contains { $0.kind == .line && $0.line == 7 && $0.text?.contains("--dport 8084 -m length") == true })
    }

    /// Both captures ran on one host clock: the offset is within its uncertainty of zero. The
    /// handshakes both captured: 3 to 8080, one each to 8083 and 8084.
    @Test func clocksFromSharedHandshakes() throws {
        let report = try ClusterAutopsy().analyze([Self.a, Self.b])
        let pair = try #require(report.clockPairs?.first)
        #expect(pair.a == "node-a" && pair.b == "node-b" && pair.samples == 5)
        #expect(abs(pair.offsetMs) <= pair.uncertaintyMs + 0.001 && pair.uncertaintyMs < 1, "\(pair)")
        #expect(pair.minRoundTripMs <= pair.medianRoundTripMs && pair.minRoundTripMs > 0)
        #expect(report.clocks?.map(\.node) == ["node-a", "node-b"] && report.clocks?.allSatisfy { $0.reference == "node-a" } == true)
        #expect(ClusterRenderer.markdown(report).contains("| node-a → node-b | 5 |"))
    }

    /// node-b's clock five minutes ahead: the offset is measured, and the attempts are still followed
    /// (without it node-b's capture would not seem to run when node-a sent them).
    @Test func aSkewedClockIsMeasuredAndUsed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shifted = try Self.nodeB(in: dir, shift: 300_000_000_000)
        let report = try ClusterAutopsy().analyze([Self.a, shifted])
        let pair = try #require(report.clockPairs?.first)
        #expect(abs(pair.offsetMs - 300_000) <= pair.uncertaintyMs + 0.001, "\(pair)")
        #expect(report.clocks?.last?.offsetMs.map { abs($0 - 300_000) < 1 } == true)
        #expect(report.findings.map(\.id) .contains(PacketPaths.lostID))
        #expect(report.findings.map(\.id).contains(PacketPaths.droppedID))
        // Times of the findings between nodes are on node-a's clock.
        let dropped = try #require(report.findings.first { $0.id == PacketPaths.droppedID })
        let plain = try #require(try ClusterAutopsy().analyze([Self.a, Self.b]).findings.first { $0.id == PacketPaths.droppedID })
        #expect(dropped.firstSeen == plain.firstSeen)
    }

    /// node-b's capture ends before node-a sent the SYNs: nothing is claimed, and the report says why.
    @Test func noClaimWithoutACaptureOfTheTime() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = try Self.nodeB(in: dir, keep: 20)
        let report = try ClusterAutopsy().analyze([Self.a, short])
        #expect(!report.findings.contains { $0.id == PacketPaths.lostID || $0.id == PacketPaths.droppedID },
                "\(report.findings.map(\.summary))")
        #expect(report.paths?.followed == 0)
        #expect(report.paths?.notFollowed["no capture of the destination node ran at the time and saw other traffic from the client"] == 4,
                "\(String(describing: report.paths))")
        #expect(ClusterRenderer.markdown(report).contains("Not followed, no capture of the destination node ran at the time"))
    }

    /// DNAT (a Service address on the sending node, the pod's on the receiving one) keeps the client
    /// endpoint and the ISN: the attempt is matched, and the node hosting the pod's network is the destination.
    @Test func attemptsAreMatchedThroughDNAT() {
        let client = Endpoint(IPAddress("10.244.0.7")!, 40000), service = Endpoint(IPAddress("10.96.0.20")!, 80)
        let pod = Endpoint(IPAddress("10.244.1.5")!, 8080)
        func attempt(_ server: Endpoint, frames: [Int], start: Int64) -> ConnectionAttempt {
            ConnectionAttempt(stream: 0, client: client, server: server, isn: 0xdead_beef, state: .unanswered, synFrames: frames,
                              synTimes: frames.indices.map { start + Int64($0) * 1_000_000_000 }, synCount: frames.count, synAckFrame: nil,
                              synAckTime: nil, rstFrame: nil, rstTime: nil, rstTTL: nil, mss: 1410, lastTime: start + 3_000_000_000)
        }
        func hosted(_ cidr: String, _ device: String, own: Bool) -> NodeTraffic.Hosted {
            let p = cidr.split(separator: "/")
            return NodeTraffic.Hosted(network: IPAddress(p[0])!, prefixLength: Int(p[1])!, device: device, own: own, file: "net/ip-route.txt",
                                      line: SourceLine(number: 1, text: cidr))
        }
        let t0: Int64 = 1_700_000_000_000_000_000
        let sender = NodeTraffic(node: "n1", captures: [.init(file: "c.pcap", first: t0 - 5_000_000_000, last: t0 + 10_000_000_000,
                                                              attempts: [attempt(service, frames: [3, 4, 5], start: t0)], handshakes: [], packets: 10)],
                                 hosted: [hosted("10.244.0.0/24", "cni0", own: false)])
        let receiver = NodeTraffic(node: "n2", captures: [.init(file: "c.pcap", first: t0 - 5_000_000_000, last: t0 + 10_000_000_000,
                                                                attempts: [attempt(pod, frames: [7, 9, 11], start: t0 + 400_000)], handshakes: [], packets: 12)],
                                   hosted: [hosted("10.244.1.0/24", "cni0", own: false)])
        let result = PacketPaths.analyze([sender, receiver])
        #expect(result.findings.map(\.id) == [PacketPaths.droppedID])
        let f = result.findings[0]
        #expect(f.summary.contains("3 SYNs of 1 connection attempt from n1 (10.244.0.7) to 10.96.0.20:80 reached n2"), "\(f.summary)")
        #expect(f.evidence.first { $0.file == "n2:c.pcap" }?.frames == [7, 9, 11])
        #expect(f.summary.contains("nothing in n2's bundle explains it"))
        // A node whose broad connected route also covers the pod is not taken for the pod's node: the longest prefix wins.
        let broad = NodeTraffic(node: "n0", captures: [], hosted: [hosted("10.0.0.0/8", "eth1", own: false)])
        #expect(PacketPaths.analyze([sender, broad, receiver]).findings.first?.summary.contains("reached n2") == true)
        // A different ISN is another attempt: nothing is matched, and n2's network hosts 10.244.1.5 only.
        var other = receiver
        other.captures[0].attempts[0].isn = 1
        let unmatched = PacketPaths.analyze([sender, other])
        #expect(unmatched.findings.isEmpty && unmatched.notFollowed == ["its server address is hosted by no node of the cluster": 1])
    }

    /// Absurd capture times (a corrupt or hostile capture) give absurd offsets, never a trap.
    @Test func extremeTimesDoNotTrap() {
        let c = Endpoint(IPAddress("10.0.0.1")!, 1000), srv = Endpoint(IPAddress("10.0.0.2")!, 80)
        func sample(_ syn: Int64, _ synAck: Int64) -> HandshakeSample {
            HandshakeSample(client: c, server: srv, isn: 7, responderISN: 9, synFrame: 1, synTime: syn, synAckFrame: 2, synAckTime: synAck)
        }
        let a = NodeTraffic(node: "a", captures: [.init(file: "a.pcap", first: .min, last: .max, attempts: [],
                                                        handshakes: [sample(.min, .max)], packets: 2)])
        let b = NodeTraffic(node: "b", captures: [.init(file: "b.pcap", first: .min, last: .max, attempts: [],
                                                        handshakes: [sample(.max, .min)], packets: 2)])
        let r = PacketPaths.analyze([a, b])
        #expect(r.pairs.count == 1 && r.findings.isEmpty)
    }

    @Test func dropRulesAddressesAndNetworksParse() {
        var k = KubeProxyState()
        for (i, line) in ["*filter", ":INPUT ACCEPT [0:0]", "[8:480] -A INPUT -p tcp -m tcp --dport 8082 -j DROP",
                          "[0:0] -A INPUT -p tcp --dport 9 -j DROP", "[3:180] -A FORWARD -p udp -m multiport --dports 53,5000:5010 -j REJECT --reject-with icmp-port-unreachable",
                          "Chain KUBE-FIREWALL (2 references)", " pkts bytes target     prot opt in     out     source               destination",
                          "   12K  720K DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:30080"].enumerated() {
            k.feed(Substring(line), number: i + 1)
        }
        #expect(k.dropRules.map(\.chain) == ["INPUT", "FORWARD", "KUBE-FIREWALL"])
        #expect(k.dropRules.map(\.packets) == [8, 3, 12_000])
        #expect(k.dropRules[0].names(port: 8082) && !k.dropRules[0].names(port: 80))
        #expect(k.dropRules[1].names(port: 5005) && k.dropRules[1].names(port: 53) && !k.dropRules[1].names(port: 54))
        #expect(k.dropRules[2].names(port: 30080) && k.dropRules[2].line.number == 8)

        var t = LinkTable()
        for (i, line) in (try! String(contentsOfFile: Paths.fixture("cluster/node-b/net/ip-addr.txt"), encoding: .utf8)).split(separator: "\n").enumerated() {
            t.feed(line, number: i + 1)
        }
        #expect(t.devices.flatMap(\.addresses).map(\.address) == ["127.0.0.1", "10.40.2.2"])
        #expect(t.device(named: "cl-b0")?.addresses.first?.prefixLength == 24)

        let net = NodeTraffic.Hosted(network: IPAddress("10.244.1.0")!, prefixLength: 24, device: "cni0", own: false, file: "f",
                                     line: SourceLine(number: 1, text: ""))
        #expect(net.contains(IPAddress("10.244.1.200")!) && !net.contains(IPAddress("10.244.2.1")!) && !net.contains(IPAddress("::1")!))
        let v6 = NodeTraffic.Hosted(network: IPAddress("fd00:10:244:1::")!, prefixLength: 64, device: "cni0", own: false, file: "f",
                                    line: SourceLine(number: 1, text: ""))
        #expect(v6.contains(IPAddress("fd00:10:244:1::5")!) && !v6.contains(IPAddress("fd00:10:244:2::5")!))
    }

    /// `--cluster` on one archive holding the node bundles as folders under one top folder, and an
    /// entry that tries to leave: the nodes are analyzed as if given one by one, named by where they
    /// are in the archive, the entry is skipped and reported, and the scratch folder is removed.
    @Test func anArchiveOfNodeBundles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = dir.appendingPathComponent("incident.tar.gz").path
        let writer = try ArchiveWriter(path: tar)
        for node in ["node-a", "node-b"] {
            let root = Paths.fixture("cluster/\(node)")
            for relative in try FileManager.default.subpathsOfDirectory(atPath: root).sorted() {
                let full = (root as NSString).appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                try writer.add(name: "incident-42/\(node)/\(relative)", from: full)
            }
        }
        try writer.add(name: "../escaped.txt", from: Paths.fixture("cluster/node-a/node/hostname.txt"))
        try writer.close()
        let scratch = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = scratch.path
        let out = try Shell.run([Paths.executable, "analyze", "--cluster", tar, "-f", "json", "--no-progress"], environment: env)
        #expect(out.status == 0, "\(out.stderr)")
        let report = try SnakeCaseJSON.decoder().decode(ClusterReport.self, from: Data(out.stdout.utf8))
        #expect(report.nodes.map(\.input) == ["incident.tar.gz:incident-42/node-a", "incident.tar.gz:incident-42/node-b"])
        #expect(report.nodes.map(\.name) == ["node-a", "node-b"])
        #expect(report.findings.map(\.id).contains(PacketPaths.lostID) && report.findings.map(\.id).contains(PacketPaths.droppedID))
        #expect(out.stderr.contains("../escaped.txt: path escapes the bundle (..): skipped"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped.txt").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "the scratch folder is removed")
    }
}
