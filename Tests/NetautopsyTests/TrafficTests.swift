import Artifacts
import Diagnosis
import Testing
@testable import Autopsy
@testable import Reports
@testable import Wire

/// The report's traffic section: the data behind the HTML charts and flow tables.
@Suite struct TrafficTests {
    /// Lookups answered after known delays land in the right latency buckets, once each; the
    /// unanswered one counts as a lookup without an answer.
    @Test func dnsLatencyBucketsHoldEachAnsweredLookupOnce() throws {
        let delays = [0.0005, 0.003, 0.030, 0.700, 6.0]
        var packets: [PacketSketch] = []
        for (i, d) in delays.enumerated() {
            let id = UInt16(0x100 + i), port = UInt16(40000 + i)
            packets.append(.dns(Double(i), "10.244.1.5", port, "10.96.0.10", 53, id: id, "web\(i).default.svc.cluster.local"))
            packets.append(.dns(Double(i) + d, "10.96.0.10", 53, "10.244.1.5", port, id: id, "web\(i).default.svc.cluster.local", rcode: 0))
        }
        packets.append(.dns(10, "10.244.1.5", 41000, "10.96.0.10", 53, id: 0x999, "lost.default.svc.cluster.local"))
        packets.append(.dns(17, "10.244.1.5", 41001, "10.96.0.10", 53, id: 0x998, "late.default.svc.cluster.local"))
        let facts = CheckExample("latencies", capture: "captures/dns.pcap", packets: packets).facts
        let t = TrafficSection.build(facts)
        let d = try #require(t.dnsLatency.first)
        #expect(t.dnsLatency.count == 1 && d.server == "10.96.0.10" && d.file == "captures/dns.pcap")
        #expect(d.lookups == 7 && d.answered == 5)
        // Edges 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000 ms, then 5 s and more.
        #expect(d.buckets == [1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1])
        #expect(d.buckets.reduce(0, +) == d.answered)
        let p50 = try #require(d.p50Ms), maxMs = try #require(d.maxMs)
        #expect(abs(p50 - 30) < 0.1 && abs(maxMs - 6000) < 6)
    }

    /// fixtures/overlay-node: the VXLAN device's sizes against its MTU and against what its
    /// underlay carries, the same 5 packets the overlay-packets-too-big finding counts.
    @Test func packetSizesAreSetAgainstTheDevicesMTU() throws {
        let report = try Autopsy().analyze(Paths.fixture("overlay-node"))
        let vx = try #require(report.traffic.packetSizes.first { $0.file == "captures/nw-vx0.pcap" })
        #expect(vx.device == "nw-vx0" && vx.mtu == 1500 && vx.encapsulatedLimit == 1450)
        #expect(vx.aboveMTU == 0 && vx.aboveEncapsulatedLimit == 5 && vx.largest == 1500)
        #expect(vx.binWidth == 1 && vx.bins.reduce(0) { $0 + $1.count } == vx.packets)
        let finding = try #require(report.findings.first { $0.id == "overlay-packets-too-big" })
        #expect(finding.summary.contains("5 in captures/nw-vx0.pcap"))
        // Through -i any, the device is found by the kernel's ifindex.
        let any = try #require(report.traffic.packetSizes.first { $0.file == "captures/any.pcap" })
        #expect(any.device == "nw-vx0" && any.ifindex != nil)
    }

    /// Many distinct sizes are binned, at most `maxBins`, with counts and the exact "above" counts kept.
    @Test func manySizesAreBinnedWithoutLosingCounts() {
        var sizes: [Int: PacketSizes.Size] = [:]
        for size in stride(from: 1200, through: 9000, by: 3) { sizes[size] = PacketSizes.Size(count: size % 7 + 1, firstFrame: size, firstTime: nil) }
        let capture = CaptureFacts(file: "captures/jumbo.pcap", format: "pcap", summary: CaptureSummary(), readError: nil)
        let p = TrafficSection.profile(sizes, interface: .init(capture: 0, ifindex: nil), capture: capture, facts: Facts())
        #expect(p.binWidth > 1 && p.bins.count <= TrafficSection.maxBins)
        #expect(p.bins.reduce(0) { $0 + $1.count } == sizes.values.reduce(0) { $0 + $1.count })
        #expect(p.bins.allSatisfy { $0.size % p.binWidth == 0 })
        #expect(p.bins.first?.firstFrame == 1200 && p.largest == 9000 && p.mtu == nil && p.aboveMTU == nil)
    }

    /// Flows worst first; failed attempts with their outcome; both survive JSON.
    @Test func flowsAreRankedAndAttemptsKeepTheirOutcome() throws {
        let loss = try Autopsy().analyze(Paths.fixture("captures/tcp-loss.pcap"))
        let r = loss.traffic.tcpFlows.map(\.retransmissions)
        #expect(!r.isEmpty && r == r.sorted(by: >))
        #expect(loss.traffic.tcpFlows.reduce(0) { $0 + $1.retransmissions } == loss.captures.totals.tcpRetransmissions)
        let connects = try Autopsy().analyze(Paths.fixture("captures/tcp-connects-any.pcap"))
        let states = Set(connects.traffic.connectionAttempts.map(\.state))
        #expect(states.isSuperset(of: ["unanswered", "refused"]))
        #expect(connects.traffic.connectionAttempts.filter { $0.state == "unanswered" }.count == connects.captures.totals.synWithoutSynack)
        #expect(try JSONRenderer.decode(JSONRenderer.render(connects)).traffic == connects.traffic)
        let markdown = MarkdownRenderer.render(loss)
        #expect(markdown.contains("## Traffic") && markdown.contains("`tcp.stream == \(loss.traffic.tcpFlows[0].stream)`"))
    }

    /// Odd values from hostile captures and files neither trap nor draw wrongly.
    @Test func oddValuesAreDrawnSafely() {
        #expect(HTMLRenderer.format3(-0.15) == "-0.150" && HTMLRenderer.format3(.nan) == "?" && HTMLRenderer.format3(1.25) == "1.250")
        #expect(HTMLRenderer.milliseconds(0.005) == "0.01 ms" && HTMLRenderer.milliseconds(123.6) == "124 ms")
        // An MTU no device has is not read (it would overflow the chart's and the checks' arithmetic).
        var links = LinkTable()
        links.feed("2: eth0: <BROADCAST,UP> mtu 9223372036854775807 qdisc noqueue state UP", number: 1)
        links.feed("3: eth1: <BROADCAST,UP> mtu 1500 qdisc noqueue state UP", number: 2)
        #expect(links.devices.map(\.name) == ["eth1"])
        // A bin that holds a size above the MTU is drawn red, though it starts at the MTU.
        let p = TrafficSection.PacketSizeProfile(
            file: "c.pcap", captureInterface: 0, ifindex: nil, device: "eth1", mtu: 1500, encapsulatedLimit: nil, packets: 3, largest: 1502,
            aboveMTU: 1, aboveEncapsulatedLimit: nil, binWidth: 4,
            bins: [.init(size: 1496, count: 2, firstFrame: 1), .init(size: 1500, count: 1, firstFrame: 2)])
        let svg = HTMLRenderer.sizeChart(p)
        #expect(svg.components(separatedBy: "class=\"bar lost\"").count == 2)
        // A `|` in a code span in a Markdown table cell would end the cell.
        #expect(Markdown.cellCode("veth|x") == "`veth\\|x`")
    }
}
