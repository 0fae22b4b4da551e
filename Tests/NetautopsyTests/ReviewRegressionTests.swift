@testable import Artifacts
import Foundation
import Testing
@testable import Diagnosis
@testable import Redaction
@testable import Reports
@testable import Wire

/// Defects a review of the typed-core work found, each as the input that showed it.
@Suite struct ReviewRegressionTests {
    /// Times at the ends of what a report may hold: not read (no overflow trap), or held at the clamp.
    @Test func extremeTimesAreRefusedNotTrapped() throws {
        #expect(Timestamp.parse("2262-12-31T00:00:00Z", years: Timestamp.representable) == nil)
        #expect(Timestamp.parse("1677-01-01T00:00:00Z", years: Timestamp.representable) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([WallTime].self, from: Data(#"["2262-12-31T00:00:00Z"]"#.utf8)) }
        let far = try JSONDecoder().decode([WallTime].self, from: Data(#"["2200-01-01T00:00:00Z"]"#.utf8))
        #expect(far[0] == WallTime(nanoseconds: .max))  // held at the clamp rfc3339 writes
    }

    /// Reports written before frame times were values hold "" for a frame without a time.
    @Test func olderReportsWithEmptyFrameTimesStillDecode() throws {
        let json = #"{"kind":"packets","note":"n","file":"c.pcap","frames":[1,2],"times":["","2024-05-01T12:00:03.123456Z"]}"#
        let e = try SnakeCaseJSON.decoder().decode(Evidence.self, from: Data(json.utf8))
        #expect(e.times == [nil, WallTime(rfc3339: "2024-05-01T12:00:03.123456Z")])
        #expect(throws: DecodingError.self) {
            try SnakeCaseJSON.decoder().decode(Evidence.self, from: Data(#"{"kind":"packets","note":"n","times":["soon"]}"#.utf8))
        }
    }

    /// TCP options cut by the snap length are scrubbed as far as they were captured (an MPTCP
    /// ADD_ADDR carries an address), and nothing after end-of-list survives.
    @Test func truncatedTCPOptionsAreScrubbed() {
        // data offset 12 words (48 bytes), only 28 bytes of it captured: MSS, then ADD_ADDR (kind 30) cut
        var tcp = RewriterLayerTests.tcpSYN()
        tcp[12] = 0xc0
        tcp += [2, 4, 0x05, 0xb4, 30, 16, 0x10, 0x0a, 0xf4, 0x07, 0x07]
        let cut = RewriterLayerTests.ipv4(6, tcp)
        var rewriter = PacketRewriter(Pseudonyms())
        let out = cut.withUnsafeBytes { rewriter.rewrite($0, linkType: 101) }
        #expect(!out.contains(0xf4) && !out.contains(0x07), "the cut option's address bytes are zeroed")
        #expect(Array(out[40..<44]) == [2, 4, 0x05, 0xb4], "MSS is kept")
        // End-of-list, then bytes that do not belong in padding.
        var padded = RewriterLayerTests.tcpSYN()
        padded[12] = 0x60
        padded += [0, 0xaa, 0xbb, 0xcc]
        let eol = RewriterLayerTests.ipv4(6, padded).withUnsafeBytes { rewriter.rewrite($0, linkType: 101) }
        #expect(Array(eol[40..<44]) == [0, 0, 0, 0])
    }

    /// Two captures with one path (two archive entries) each keep their own joined record.
    @Test func capturesSharingAPathKeepTheirOwnContext() {
        var facts = Facts(captures: [
            CaptureFacts(file: "captures/eth0.pcap", format: "pcapng", summary: CaptureSummary(), readError: nil,
                         interfaces: [CaptureInterface(linkTypeValue: 1, snapLength: 262_144, droppedPackets: 5)]),
            CaptureFacts(file: "captures/eth0.pcap", format: "pcapng", summary: CaptureSummary(), readError: nil,
                         interfaces: [CaptureInterface(linkTypeValue: 1, snapLength: 262_144, droppedPackets: 0)]),
        ])
        facts.combine()
        #expect(facts.captures.map { facts.context(of: $0).dropped } == [5, 0])
    }

    /// GRE with RFC 1701's routing bit or another reserved bit is not opened (its layout differs).
    @Test func greWithReservedBitsIsNotOpened() {
        #expect(GRE.headerLength(flags: 0x0000) == 4 && GRE.headerLength(flags: 0xb000) == 16)
        #expect(GRE.headerLength(flags: 0x4000) == nil && GRE.headerLength(flags: 0x0080) == nil && GRE.headerLength(flags: 0x0001) == nil)
    }

    /// A parsed query's duration past Int64 nanoseconds is counted, not trapped on.
    @Test func hugeParsedDurationsDoNotTrap() {
        var facts = CoreDNSLogFacts()
        let q = CoreDNSQuery(time: nil, client: "10.0.0.1", port: 1, id: 1, type: "A", name: "a.", proto: "udp", rcode: "NOERROR",
                             flags: "qr", responseSize: 1, duration: 1e300)
        facts.add(q, file: "f", line: 1, text: { "" })
        var nan = q
        nan.duration = .nan
        facts.add(nan, file: "f", line: 2, text: { "" })
        #expect(facts.queries == 2 && facts.slowCount == 1)
    }
}
