import Autopsy
import Diagnosis
import Reports
import Testing
import Foundation

/// Each detection on real traffic from fixtures/make-fixtures.sh (frame numbers in fixtures/README.md).
@Suite struct DetectionTests {
    func finding(_ id: CheckID, in path: String) throws -> Finding? {
        try Autopsy().analyze(Paths.fixture(path)).findings.first { $0.id == id }
    }

    @Test func icmpFragNeededNamesRouterMTUAndQuotedFlow() throws {
        let f = try #require(try finding("icmp-frag-needed", in: "captures/frag-icmp.pcap"))
        let notes = f.evidence.map(\.note).joined(separator: "\n")
        #expect(notes.contains("10.10.1.254 sent"))     // the router on the 1400-byte hop
        #expect(notes.contains("MTU 1400"))
        #expect(notes.contains("UDP 10.10.1.1:58068 → 10.10.2.2:44446"))  // the quoted flow (tracepath)
        #expect(notes.contains("ICMPv6 Packet Too Big"))
        let frames = Set(f.evidence.flatMap { $0.frames ?? [] })
        #expect(frames.isSuperset(of: [18, 42, 22, 50]))
        #expect(f.evidence.allSatisfy { $0.displayFilter?.contains("icmp") == true })
    }

    @Test func ipFragmentationReportsReassembledFlows() throws {
        let f = try #require(try finding("ip-fragmentation", in: "captures/frag-icmp.pcap"))
        #expect(f.summary.contains("reassembled"))
        let notes = f.evidence.map(\.note).joined(separator: "\n")
        #expect(notes.contains("UDP 10.10.1.1 → 10.10.2.2:9999"))
        #expect(notes.contains("identification 0x"))  // the IPv6 Fragment header flows
        #expect(f.evidence.contains { $0.frames?.contains(13) == true })  // first fragment of the 4000-byte UDP datagram
    }

    @Test func incompleteReassemblyIsReported() throws {
        let f = try #require(try finding("ip-fragmentation", in: "captures/incomplete-frags.pcap"))
        #expect(f.summary.contains("0 reassembled"))
        #expect(f.evidence.contains { $0.note.contains("never seen") })
    }

    @Test(arguments: ["captures/tcp-connects-any.pcap", "captures/tcp-connects-sll.pcap", "captures/tcp-connects-nano.pcap"])
    func synChecksGroupByDestination(_ path: String) throws {
        let unanswered = try #require(try finding("syn-without-synack", in: path))
        let notes = unanswered.evidence.map(\.note).joined(separator: "\n")
        #expect(notes.contains("10.10.2.2:7070"))   // SYN-ACKs dropped by iptables on the server
        #expect(notes.contains("10.10.2.2:6060"))   // SYNs dropped at the router
        #expect(!notes.contains(":8080"))            // answered
        #expect(notes.contains("SYN at +0.000 s, +1."))  // the retransmission timing
        let refused = try #require(try finding("syn-rst", in: path))
        #expect(refused.evidence.count == 1)
        #expect(refused.evidence[0].note.contains("10.10.2.2:9090"))
        #expect(refused.summary.hasPrefix("2 TCP connection attempts"))
    }

    @Test func messageTooLongCitesFileAndLine() throws {
        let report = try Autopsy().analyze(Paths.fixture("sample-bundle.tar.gz"))
        let f = try #require(report.findings.first { $0.id == "message-too-long" })
        let cited = f.evidence.compactMap { e in e.file.map { "\($0):\(e.line ?? 0)" } }
        #expect(cited.contains { $0.hasSuffix("traces/ping-df-v4.txt:3") || $0.contains("traces/ping-df-v4.txt") })
        #expect(f.evidence.contains { $0.text?.contains("message too long, mtu=1400") == true })
    }

    @Test func sampleBundleYieldsAllPacketFindingsAndListsArtifacts() throws {
        let report = try Autopsy().analyze(Paths.fixture("sample-bundle.tar.gz"))
        let ids = Set(report.findings.map(\.id))
        // Packet findings, plus what the namespace's own node state shows: forwarding off (a fresh
        // netns), a VXLAN device at 1500 over a 1500 underlay, and tcp_mtu_probing 0 with all that MTU trouble.
        #expect(ids == ["ip-fragmentation", "icmp-frag-needed", "message-too-long", "syn-without-synack", "syn-rst",
                        "forwarding-disabled", "overlay-mtu-mismatch", "tcp-mtu-probing-off"])
        #expect(report.findings.map(\.severity) == report.findings.map(\.severity).sorted(by: >), "most severe first")
        let kinds = Dictionary(report.artifacts.map { ($0.path.split(separator: "/").last.map(String.init) ?? "", $0.kind.rawValue) },
                               uniquingKeysWith: { a, _ in a })
        #expect(kinds["sysctl-a.txt"] == "sysctl")
        #expect(kinds["dmesg.txt"] == "dmesg")
        #expect(kinds["manifest.json"] == "manifest")
        #expect(kinds["ip-d-link.txt"] == "ip-link")
        #expect(kinds["frag-icmp.pcap"] == "capture")
        #expect(report.problems.isEmpty)
    }

    /// A `/1` report written before `collection` existed still decodes; a new one round-trips.
    @Test func jsonReportDecodesWithAndWithoutLaterFields() throws {
        // The incident bundle has a collector manifest, so `collection` is not empty.
        let report = try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz"))
        try #require(!report.collection.isEmpty)
        let json = try JSONRenderer.render(report)
        let back = try JSONRenderer.decode(json)
        #expect(back.findings.map(\.id) == report.findings.map(\.id))
        #expect(back.collection == report.collection)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        object.removeValue(forKey: "collection")
        let older = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let decoded = try JSONRenderer.decode(older)
        #expect(decoded.collection.isEmpty)
        #expect(decoded.findings.count == report.findings.count)
    }

    @Test func cleanCaptureHasNoFindings() throws {
        let report = try Autopsy().analyze(Paths.fixture("captures/plain.pcapng"))
        #expect(report.findings.isEmpty)
        #expect(report.captures.totals.tcpHandshakesCompleted == 1)
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("No problems found"))
        // The verdict says what was looked at and what was not there to look at.
        #expect(markdown.contains("Checked: packet captures (1 file)"))
        #expect(markdown.contains("Not in the input, so not checked: sysctl settings, kernel log"))
    }
}
