import Autopsy
import Foundation
import Reports
import Testing
import Wire

/// The JSON `captures` counters must equal tshark's on every readable capture: the public corpus
/// (shared/corpus, real captures from other projects' test suites) and our own fixtures.
@Suite struct OracleTests {
    static let corpusRows = OracleRow.load(Paths.corpus.appendingPathComponent("oracle.tsv").path,
                                           directory: Paths.corpus.appendingPathComponent("pcaps").path)
    static let fixtureRows = OracleRow.load(Paths.fixture("captures/oracle.tsv"), directory: Paths.fixture("captures"))
        + OracleRow.load(Paths.fixture("public-captures.oracle.tsv"), directory: Paths.fixture("public-captures"))

    @Test func oraclesArePresent() {
        #expect(Self.corpusRows.count >= 40, "shared/corpus/oracle.tsv must sit beside the repo (../shared)")
        #expect(Self.fixtureRows.count >= 20, "fixtures/captures and fixtures/public-captures")
    }

    @Test(arguments: corpusRows + fixtureRows)
    func countersMatchTshark(_ row: OracleRow) throws {
        let path = row.directory + "/" + row.file
        let report = try Autopsy().analyze(path)
        let c = report.captures.totals
        // Files tshark itself cannot read only need a clear error, checked below.
        guard !row.linkType.hasPrefix("unreadable") else {
            #expect(!report.problems.isEmpty || c.packets == 0, "\(row.file): an unreadable file must be reported")
            return
        }
        func oracle(_ a: String, _ b: String? = nil) -> Int? { row.values[a] ?? b.flatMap { row.values[$0] } }
        #expect(c.packets == oracle("packets"))
        #expect(c.ipv4Fragments == oracle("ipv4_fragments"))
        #expect(c.ipv6Fragments == oracle("ipv6_fragments"))
        #expect(c.icmpFragNeeded == oracle("icmp_frag_needed"))
        #expect(c.icmpv6PacketTooBig == oracle("icmpv6_packet_too_big", "icmpv6_ptb"))
        // The corpus table names S0 `syn_without_synack`; oracle.sh's raw output calls it `syn_no_reply`.
        #expect(c.synWithoutSynack == oracle("syn_no_reply", "syn_without_synack"))
        #expect(c.synRst == oracle("syn_rst"))
        #expect(c.vxlanPackets == oracle("vxlan_packets", "vxlan"))
        #expect(c.genevePackets == oracle("geneve_packets", "geneve"))
        // oracle.sh counts DNS frames; the analysis oracle counts messages (several DNS-over-TCP messages
        // can share a segment) and, where it has the file, is the one compared (tcpAnalysisAndDNSMatchTshark).
        if !Self.analysisRows.contains(where: { $0.file == row.file && $0.directory == row.directory }) {
            if let q = oracle("dns_queries") { #expect(c.dnsQueries == q, "dns_queries") }
            if let u = oracle("dns_unanswered") { #expect(c.dnsUnanswered == u, "dns_unanswered") }
        }
    }

    /// tshark's TCP analysis (`tcp.analysis.*`) and DNS matching counts, computed by
    /// fixtures/analysis-oracle.sh over the public corpus and our own real-traffic captures.
    static let analysisRows =
        OracleRow.load(Paths.fixture("corpus-analysis-oracle.tsv"), directory: Paths.corpus.appendingPathComponent("pcaps").path)
        + OracleRow.load(Paths.fixture("captures/analysis-oracle.tsv"), directory: Paths.fixture("captures"))
        + OracleRow.load(Paths.fixture("public-captures.analysis-oracle.tsv"), directory: Paths.fixture("public-captures"))

    @Test func analysisOraclesArePresent() {
        #expect(Self.analysisRows.count >= 48)
    }

    @Test(arguments: analysisRows)
    func tcpAnalysisAndDNSMatchTshark(_ row: OracleRow) throws {
        // Files tshark cannot read as captures are only required to be reported (countersMatchTshark).
        let unreadable = Self.corpusRows.contains { $0.file == row.file && $0.linkType.hasPrefix("unreadable") }
        guard !unreadable else { return }
        let report = try Autopsy().analyze(row.directory + "/" + row.file)
        let c = report.captures.totals
        // tshark does not deduplicate -i any copies; those captures are compared with a single-interface
        // capture of the same traffic instead (dedupedAnyCaptureMatchesSingleInterfaceTshark).
        guard c.duplicatePackets == 0 else { return }
        Self.expectAnalysisCounts(c, row)
    }

    /// The -i any capture deduplicated gives tshark's counts for the same traffic captured on one interface.
    @Test func dedupedAnyCaptureMatchesSingleInterfaceTshark() throws {
        let any = try Autopsy().analyze(Paths.fixture("captures/any-duplicates.pcap")).captures.totals
        let veth = try #require(Self.analysisRows.first { $0.file == "any-duplicates-veth.pcap" })
        let vethPackets = try #require(Self.fixtureRows.first { $0.file == "any-duplicates-veth.pcap" }?.values["packets"])
        #expect(any.duplicatePackets == 2 * vethPackets, "each packet on the veth, the bridge and the uplink")
        #expect(any.packets == 3 * vethPackets)
        Self.expectAnalysisCounts(any, veth)
    }

    static func expectAnalysisCounts(_ c: CaptureCounters, _ row: OracleRow) {
        let expected: [(String, Int)] = [
            ("tcp_retransmission", c.tcpRetransmissions), ("tcp_fast_retransmission", c.tcpFastRetransmissions),
            ("tcp_spurious_retransmission", c.tcpSpuriousRetransmissions), ("tcp_out_of_order", c.tcpOutOfOrder),
            ("tcp_lost_segment", c.tcpLostSegments), ("tcp_duplicate_ack", c.tcpDuplicateAcks),
            ("tcp_zero_window", c.tcpZeroWindows), ("tcp_keep_alive", c.tcpKeepAlives),
            ("dns_queries", c.dnsQueries), ("dns_responses", c.dnsResponses), ("dns_unanswered", c.dnsUnanswered),
        ]
        for (column, ours) in expected {
            #expect(ours == row.values[column], "\(column): netautopsy \(ours), tshark \(row.values[column].map(String.init) ?? "-")")
        }
    }

    /// The JSON carries the counters under `captures` with the documented names.
    @Test func jsonCarriesTheDocumentedCounters() throws {
        let report = try Autopsy().analyze(Paths.fixture("captures/frag-icmp.pcap"))
        let json = try JSONSerialization.jsonObject(with: Data(try JSONRenderer.render(report).utf8)) as! [String: Any]
        let captures = json["captures"] as! [String: Any]
        for key in ["packets", "truncated_packets", "ipv4_fragments", "ipv6_fragments", "icmp_frag_needed",
                    "icmpv6_packet_too_big", "tcp_handshakes_completed", "syn_without_synack", "syn_rst",
                    "tcp_retransmissions", "tcp_duplicate_acks", "tcp_zero_windows", "dns_queries", "dns_unanswered",
                    "duplicate_packets"] {
            #expect(captures[key] is Int, "captures.\(key)")
        }
        #expect(json["schema"] as? String == "netautopsy.report/1")
        let findings = json["findings"] as! [[String: Any]]
        for f in findings {
            for key in ["id", "severity", "title", "evidence", "fix"] { #expect(f[key] != nil, "finding.\(key)") }
        }
    }
}
