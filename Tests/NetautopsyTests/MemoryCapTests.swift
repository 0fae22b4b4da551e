import Foundation
import Input
import Testing
@testable import Autopsy
@testable import Diagnosis
@testable import Reports
@testable import Wire

/// A capture crafted to grow the analysis's tables without end (a flood of distinct flows, and of
/// first fragments that never complete) stays within the caps, counts what it dropped, and the
/// report says so.
@Suite struct MemoryCapTests {
    /// Raw-IP frames (LINKTYPE_RAW 101) written with `PcapWriter`.
    static func write(_ packets: [[UInt8]], to path: String) throws {
        let writer = try PcapWriter(path: path, linkType: 101)
        for (i, bytes) in packets.enumerated() {
            bytes.withUnsafeBytes { raw in
                writer.write(PacketRecord(frameNumber: i + 1, timestamp: 1_795_318_810_000_000_000 + Int64(i) * 1_000_000,
                                          capturedLength: raw.count, originalLength: raw.count, linkTypeValue: 101, interfaceID: 0,
                                          bytes: raw))
            }
        }
        writer.close()
    }

    /// 5000 SYNs from distinct ports (1 ms apart, far inside the 5-minute inactivity timeout) and
    /// 3000 first fragments with distinct IDs, against caps of 1000 conversations and 500 datagrams.
    static func flood() throws -> String {
        var packets: [[UInt8]] = []
        for i in 0..<5000 {
            packets.append(PacketSketch.tcp(0, "10.0.0.1", UInt16(10_000 + i), "10.0.0.2", 80, "S").bytes)
        }
        for i in 0..<3000 {
            packets.append(PacketSketch.ipv4("10.0.0.3", "10.0.0.4", proto: 17, id: UInt16(i), df: false, more: true,
                                             payload: [UInt8](repeating: 0x55, count: 1200)))
        }
        let path = try temporaryDirectory().appendingPathComponent("flood.pcap").path
        try write(packets, to: path)
        return path
    }

    @Test func floodsOfFlowsAndFragmentsStayWithinTheCaps() throws {
        let path = try Self.flood()
        var autopsy = Autopsy()
        autopsy.tcpSettings.maxLiveConversations = 1000
        autopsy.fragmentLimits.maxPendingDatagrams = 500
        let report = try autopsy.analyze(path)
        let file = try #require(report.captures.files.first)
        // Everything is still counted: each SYN is an unanswered attempt, each fragment a fragment.
        #expect(file.counters.synWithoutSynack == 5000)
        #expect(file.counters.ipv4Fragments == 3000)
        let notes = file.limitsReached ?? []
        // 4000 conversations over the cap, flushed an eighth (125) at a time.
        #expect(notes.contains { $0.hasPrefix("4000 TCP conversations flushed early at the cap of 1000 tracked at once") })
        #expect(notes.contains { $0.hasPrefix("2500 fragmented datagrams dropped unfinished at the reassembly cap of 500 datagrams") })
        #expect(MarkdownRenderer.render(report).contains("**Analysis limits reached**"))
        #expect(HTMLRenderer.render(report).contains("Analysis limits reached"))
        #expect(try JSONRenderer.render(report).contains("\"limits_reached\""))

        // The tables themselves never held more than the caps.
        var analyzer = CaptureAnalyzer(fragmentLimits: autopsy.fragmentLimits, tcpSettings: autopsy.tcpSettings)
        let source = BufferedSource(try FileSource(path: path))
        let head = try source.peek(Sniffed.headLength)
        _ = CaptureOpener.read(BundleFile(path: "flood.pcap", sniffed: Sniffed(head), head: head, source: source,
                                          declaredSize: nil, diskPath: nil), into: &analyzer)
        let summary = analyzer.finish()
        #expect(summary.peakLiveTCPConversations <= 1000)
        #expect(summary.tcpConversationsEvicted == 4000)
        #expect(summary.fragmentedDatagramsEvicted == 2500)
    }

    /// Under the caps nothing is said: an ordinary capture's report has no limits.
    @Test func ordinaryCapturesReachNoLimit() throws {
        let report = try Autopsy().analyze(Paths.fixture("captures/frag-icmp.pcap"))
        #expect(report.captures.files.allSatisfy { $0.limitsReached == nil })
        #expect(!MarkdownRenderer.render(report).contains("Analysis limits reached"))
    }
}
