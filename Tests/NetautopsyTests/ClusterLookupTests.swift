import Artifacts
import Autopsy
@testable import Diagnosis
import Foundation
import Reports
import Testing
@testable import Wire

/// DNS lookups over UDP followed across two nodes' captures (`PacketPaths.followLookups`), on the real
/// two-ended captures of `fixtures/make-cluster-fixtures.sh dns`: node-a looks up two names at each of four
/// addresses of node-b, each query sent twice unless answered; 10.40.2.11 answers, the router drops the
/// queries to 10.40.2.12, node-b's INPUT chain those to 10.40.2.13, and the router the answers from 10.40.2.14.
@Suite struct ClusterLookupTests {
    static let a = Paths.fixture("cluster-dns/node-a"), b = Paths.fixture("cluster-dns/node-b")
    static let aCapture = a + "/captures/eth0.pcap", bCapture = b + "/captures/eth0.pcap"

    /// Frame numbers of the packets tcpdump prints with `needle` (`> 10.40.2.12.53:` for the queries to
    /// that server): the oracle, so that the test holds when the fixture is made again.
    static func frames(_ capture: String, _ needle: String) throws -> [Int] {
        let out = try Shell.run(["tcpdump", "--number", "-n", "-r", capture])
        try #require(out.status == 0, "\(out.stderr)")
        return out.stdout.split(separator: "\n").filter { $0.contains(needle) }.compactMap { Int($0.split(separator: " ")[0]) }
    }

    @Test func whereEachLookupDiedIsTold() throws {
        let report = try ClusterAutopsy().analyze([Self.a, Self.b])
        let lost = try #require(report.findings.first { $0.id == PacketPaths.lostID })
        let dropped = try #require(report.findings.first { $0.id == PacketPaths.droppedID })
        #expect(lost.severity == .high && dropped.severity == .high)
        #expect(!(lost.summary + dropped.summary).contains("10.40.2.11"), "the answered lookups are not findings")

        // Queries to .12: left node-a (4 sends), none in node-b's capture, which did see the client's other lookups.
        #expect(lost.summary.contains("4 queries of 2 DNS lookups from node-a (10.40.1.1) to 10.40.2.12:53 (api.default.svc.cluster.local, web.default.svc.cluster.local) left node-a and never reached node-b"),
                "\(lost.summary)")
        let toTwelve = try Self.frames(Self.aCapture, "> 10.40.2.12.53:")
        #expect(toTwelve.count == 4)
        let sent = try #require(lost.evidence.first { $0.file == "node-a:captures/eth0.pcap" && $0.frames == toTwelve })
        let filter = try #require(sent.displayFilter)
        #expect(filter.hasPrefix("dns.flags.response==0 && dns.id in {") && filter.contains(", "))
        #expect(lost.evidence.contains { $0.file == "node-b:captures/eth0.pcap" && $0.kind == .value && $0.text == filter })
        #expect(lost.evidence.contains { $0.note.hasPrefix("Where the first lookup's queries were seen")
            && $0.text == "node-a captures/eth0.pcap (frame \(toTwelve[0])); ran at the time and hold none: node-b captures/eth0.pcap" })
        let other = try #require(lost.evidence.first { $0.note.contains("did see other traffic from 10.40.1.1") })
        let elevenAtB = try Self.frames(Self.bCapture, "10.40.2.11.53")
        #expect(other.frames?.isEmpty == false && Set(other.frames ?? []).isSubset(of: elevenAtB))

        // Answers from .14: node-b received both queries of each lookup and answered; node-a saw no answer.
        #expect(lost.summary.contains("2 DNS lookups from node-a (10.40.1.1) to 10.40.2.14:53 (api.default.svc.cluster.local, web.default.svc.cluster.local) reached node-b, which answered, but no answer reached node-a"),
                "\(lost.summary)")
        let answered = try #require(lost.evidence.first { $0.file == "node-b:captures/eth0.pcap" && $0.note.contains("answered") })
        let answers = try Self.frames(Self.bCapture, "IP 10.40.2.14.53 >"), queriesAtB = try Self.frames(Self.bCapture, "> 10.40.2.14.53:")
        let answeredFrames = Set(answered.frames ?? [])
        #expect(answers.count == 4 && answeredFrames.subtracting(queriesAtB).isSubset(of: answers) && answeredFrames.count == 4)
        #expect(lost.evidence.contains { $0.file == "node-a:captures/eth0.pcap" && $0.kind == .value && $0.text?.hasPrefix("dns.flags.response==1 && dns.id in {") == true })
        #expect(try Self.frames(Self.aCapture, "IP 10.40.2.14.53 >").isEmpty)

        // Queries to .13: reached node-b's capture, no answer; its INPUT rule counted them.
        #expect(dropped.summary.hasPrefix("4 queries of 2 DNS lookups from node-a (10.40.1.1) to 10.40.2.13:53 (api.default.svc.cluster.local, web.default.svc.cluster.local) reached node-b and went no further"),
                "\(dropped.summary)")
        #expect(dropped.summary.contains("its INPUT chain has a DROP rule for port 53 that matched 4 packets"), "\(dropped.summary)")
        #expect(dropped.evidence.first { $0.file == "node-a:captures/eth0.pcap" }?.frames == (try Self.frames(Self.aCapture, "> 10.40.2.13.53:")))
        let arrived = try #require(dropped.evidence.first { $0.file == "node-b:captures/eth0.pcap" }?.frames)
        let thirteenAtB = try Self.frames(Self.bCapture, "> 10.40.2.13.53:")
        #expect(arrived.count == 2 && Set(arrived).isSubset(of: thirteenAtB))
        #expect(dropped.evidence.contains { $0.note.hasPrefix("Where the first lookup's queries were seen")
            && $0.text == "node-a captures/eth0.pcap (frame \((try? Self.frames(Self.aCapture, "> 10.40.2.13.53:"))?.first ?? 0)) → node-b captures/eth0.pcap (frame \(thirteenAtB[0]))" })
        let rule = try #require(dropped.evidence.first { $0.kind == .line })
        #expect(rule.file == "node-b:net/iptables-save.txt" && rule.text?.hasSuffix("-A INPUT -d 10.40.2.13/32 -p udp -m udp --dport 53 -j DROP") == true)

        #expect(report.paths == ClusterReport.Paths(followed: 6, notFollowed: [:]))
    }

    /// The two lookups answered at once (10.40.2.11) are exchanges both captures hold: they give the
    /// clock offset, and with node-b's clock an hour ahead the lookups are matched all the same.
    @Test func dnsExchangesGiveTheClockOffset() throws {
        let plain = try ClusterAutopsy().analyze([Self.a, Self.b])
        let pair = try #require(plain.clockPairs?.first)
        #expect(pair.samples == 2 && abs(pair.offsetMs) <= pair.uncertaintyMs + 0.001, "\(pair)")

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shifted = try ClusterPathTests.nodeB(in: dir, from: Self.b, shift: 3_600_000_000_000)
        let report = try ClusterAutopsy().analyze([Self.a, shifted])
        let skewed = try #require(report.clockPairs?.first)
        #expect(abs(skewed.offsetMs - 3_600_000) <= skewed.uncertaintyMs + 0.001, "\(skewed)")
        #expect(report.findings.map(\.summary) == plain.findings.map(\.summary))
        #expect(report.findings.map(\.firstSeen) == plain.findings.map(\.firstSeen), "times are on node-a's clock")
    }

    /// node-b's capture holds only the first exchange and ends before the other queries were sent:
    /// nothing is claimed about them, and the report says why.
    @Test func noClaimWithoutACaptureOfTheTime() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = try ClusterPathTests.nodeB(in: dir, from: Self.b, keep: 2)
        let report = try ClusterAutopsy().analyze([Self.a, short])
        #expect(!report.findings.contains { $0.id == PacketPaths.lostID || $0.id == PacketPaths.droppedID }, "\(report.findings.map(\.summary))")
        #expect(report.paths?.notFollowed["a DNS lookup: no capture of the destination node ran at the time and saw other traffic from the client"] == 6,
                "\(String(describing: report.paths))")
    }

    /// The question's key ignores ASCII case in the name (resolvers randomise it, 0x20 encoding) and
    /// tells ids, types and names apart.
    @Test func theQuestionKey() {
        let q = DNSSighting.question(id: 0x4e01, qtype: 1, name: "web.default.svc.cluster.local")
        #expect(q == DNSSighting.question(id: 0x4e01, qtype: 1, name: "WEB.Default.svc.cluster.local"))
        #expect(q != DNSSighting.question(id: 0x4e02, qtype: 1, name: "web.default.svc.cluster.local"))
        #expect(q != DNSSighting.question(id: 0x4e01, qtype: 28, name: "web.default.svc.cluster.local"))
        #expect(q != DNSSighting.question(id: 0x4e01, qtype: 1, name: "api.default.svc.cluster.local"))
    }

    /// DNAT of a Service address to a CoreDNS pod on another node keeps the client endpoint, the id and
    /// the question: the lookup is matched, and the node hosting the pod's network is the destination.
    @Test func lookupsAreMatchedThroughDNAT() throws {
        let client = Endpoint(IPAddress("10.244.0.7")!, 40000), service = Endpoint(IPAddress("10.96.0.10")!, 53)
        let pod = Endpoint(IPAddress("10.244.1.5")!, 53)
        let q = DNSSighting.question(id: 7, qtype: 1, name: "web.default.svc.cluster.local")
        let lookup = DNSLookup(client: client, server: service, id: 7, name: "web.default.svc.cluster.local", qtype: 1, overTCP: false,
                               queryFrames: [10, 11], queryTimes: [1_000_000_000, 2_000_000_000], sends: 2)
        let atB = DNSSighting(question: q, client: client, server: pod, firstFrame: 3, firstTime: 1_000_100_000, sends: 2)
        func hosted(_ cidr: String, _ device: String) -> NodeTraffic.Hosted {
            let p = cidr.split(separator: "/")
            return NodeTraffic.Hosted(network: IPAddress(p[0])!, prefixLength: Int(p[1])!, device: device, own: false, file: "net/ip-route.txt",
                                      line: SourceLine(number: 1, text: "\(cidr) dev \(device) scope link"))
        }
        let a = NodeTraffic(node: "node-a", captures: [.init(file: "captures/eth0.pcap", first: 0, last: 9_000_000_000, attempts: [],
                                                             handshakes: [], packets: 20, troubledLookups: [lookup])],
                            hosted: [hosted("10.244.0.0/24", "cni0")])
        let b = NodeTraffic(node: "node-b", captures: [.init(file: "captures/eth0.pcap", first: 0, last: 9_000_000_000, attempts: [],
                                                             handshakes: [], packets: 20, sightings: [atB])],
                            hosted: [hosted("10.244.1.0/24", "cni0")])
        let result = PacketPaths.analyze([a, b])
        let dropped = try #require(result.findings.first { $0.id == PacketPaths.droppedID })
        #expect(dropped.summary.hasPrefix("2 queries of 1 DNS lookup from node-a (10.244.0.7) to 10.244.1.5:53 (web.default.svc.cluster.local) reached node-b"),
                "\(dropped.summary)")
        #expect(dropped.evidence.contains { $0.file == "node-b:captures/eth0.pcap" && $0.frames == [3] })
        #expect(result.followed == 1)
    }
}
