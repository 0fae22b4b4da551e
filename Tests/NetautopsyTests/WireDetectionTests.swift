import Autopsy
import Diagnosis
import Foundation
import Input
import Reports
import Testing
import Wire

/// The deep packet checks on real traffic from fixtures/make-wire-fixtures.sh (namespaces, iptables
/// loss, dnsmasq behind a DNATed ClusterIP, a router whose ICMP is filtered).
@Suite struct WireDetectionTests {
    /// Seconds since midnight of an RFC 3339 UTC time (`…T06:10:01.123456789Z`).
    static func secondOfDay(_ t: String) -> Double {
        let clock = t.split(separator: "T").last?.dropLast() ?? ""
        let parts = clock.split(separator: ":").compactMap { Double($0) }
        return parts.count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : 0
    }

    func report(_ name: String) throws -> Report { try Autopsy().analyze(Paths.fixture("captures/" + name)) }

    func finding(_ id: CheckID, in name: String) throws -> Finding? {
        try report(name).findings.first { $0.id == id }
    }

    @Test func blackHoleWithoutProbingIsReportedWithTimeline() throws {
        let r = try report("pmtu-blackhole.pcap")
        let f = try #require(r.findings.first { $0.id == "pmtu-black-hole" })
        #expect(f.severity == .high)
        let e = try #require(f.evidence.first)
        #expect(e.note.contains("MSS 1460") && e.note.contains("1448-byte segment") && e.note.contains("never acknowledged"))
        #expect(e.note.contains("No ICMP"))
        #expect((e.frames ?? []).count >= 4, "the original and at least three resends")
        // Timeline grows: Linux doubles the RTO between resends.
        let seconds = (e.times ?? []).map { Self.secondOfDay($0?.rfc3339 ?? "") }
        let gaps = zip(seconds.dropFirst(), seconds).map { $0 - $1 }
        #expect(gaps.count >= 3 && zip(gaps.dropFirst(), gaps).allSatisfy { $0 > $1 }, "backoff: \(gaps)")
        #expect(!r.findings.contains { $0.id == "tcp-zero-window" })
    }

    /// The black hole at the start of a transfer (issue 24 §1), captured on a sender with TSO/GSO on: a
    /// completed handshake, GSO super-segments, the first segment resent with backoff at the MSS, nothing
    /// ever acknowledged, no ICMP. The same upload on a path without the small hop, and through it with
    /// the ICMP let through, stay quiet.
    @Test func blackHoleAtTheStartOfATransferWithOffloadsOn() throws {
        let path = Paths.fixture("captures/pmtu-blackhole-tso.pcap")
        let r = try report("pmtu-blackhole-tso.pcap")
        let f = try #require(r.findings.first { $0.id == "pmtu-black-hole" }, "\(r.findings.map(\.id))")
        #expect(f.severity == .high)
        #expect(f.summary.contains("completed the handshake, then none of its data was ever acknowledged"))
        #expect(f.summary.contains("as IP packets of 1500 bytes or more") && f.summary.contains("medium confidence"), "\(f.summary)")
        let e = try #require(f.evidence.first)
        #expect(e.note.contains("as 7240 then 1448 bytes") && e.note.contains("super-segment"), "\(e.note)")
        // Every send of the first segment, by tcpdump's numbering: the 7240-byte super-segment and the MSS-sized resends.
        let out = try Shell.run(["tcpdump", "--number", "-n", "-r", path])
        let firstSegment = out.stdout.split(separator: "\n").filter { $0.contains(" > 10.30.2.2.5012:") && $0.contains(" seq 1:") }
            .compactMap { Int($0.split(separator: " ")[0]) }
        #expect(firstSegment.count >= 5 && e.frames == firstSegment, "\(String(describing: e.frames)) vs \(firstSegment)")
        let seconds = (e.times ?? []).map { Self.secondOfDay($0?.rfc3339 ?? "") }
        let gaps = zip(seconds.dropFirst(), seconds).map { $0 - $1 }
        #expect(gaps.count >= 4 && zip(gaps.dropFirst(), gaps).allSatisfy { $0 > $1 }, "backoff: \(gaps)")

        let healthy = try report("pmtu-tso-healthy.pcap")
        #expect(!healthy.findings.contains { $0.id == "pmtu-black-hole" || $0.severity >= .medium }, "\(healthy.findings.map(\.id))")
        let icmp = try report("pmtu-tso-icmp.pcap")
        #expect(!icmp.findings.contains { $0.id == "pmtu-black-hole" })
        #expect(icmp.findings.contains { $0.id == "icmp-frag-needed" }, "the ICMP that made the path work is reported")
    }

    @Test func blackHoleRecoveredByMTUProbingSaysSo() throws {
        let f = try #require(try finding("pmtu-black-hole", in: "pmtu-blackhole-probing.pcap"))
        #expect(f.summary.contains("recovered only by resending smaller segments"))
        #expect(f.evidence.contains { $0.note.contains("after being resent as 1024 bytes") })  // tcp_base_mss
        // The router's hop is 1400 bytes: the path MTU bracket must contain it.
        let bracket = try #require(f.summary.range(of: "lies between "))
        let numbers = f.summary[bracket.upperBound...].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count >= 2 && numbers[0] <= 1400 && 1400 <= numbers[1] + 1, "\(f.summary)")
    }

    @Test func lossyPathReportsRetransmissionsByKindButNoBlackHole() throws {
        let r = try report("tcp-loss.pcap")
        let f = try #require(r.findings.first { $0.id == "tcp-retransmissions" })
        let c = r.captures.totals
        #expect(c.tcpRetransmissions > 20 && c.tcpFastRetransmissions > 0 && c.tcpDuplicateAcks > 0)
        #expect(f.evidence.count == 2, "one item per destination (upload 5001 and download 5011)")
        #expect(f.evidence.allSatisfy { $0.displayFilter?.hasPrefix("tcp.analysis.retransmission") == true })
        #expect(!r.findings.contains { $0.id == "pmtu-black-hole" })
    }

    @Test func stalledReceiverIsAZeroWindowEpisode() throws {
        let f = try #require(try finding("tcp-zero-window", in: "tcp-zero-window.pcap"))
        let e = try #require(f.evidence.first)
        #expect(e.note.contains("10.30.2.2:5002 advertised a zero window"))  // the receiver that slept 2.5 s
        #expect(f.summary.contains("the longest lasted 2.") || f.summary.contains("the longest lasted 1."))
    }

    @Test func synDroppedTwiceIsASlowConnect() throws {
        let r = try report("tcp-slow-connect.pcap")
        let f = try #require(r.findings.first { $0.id == "tcp-slow-connect" })
        #expect(f.evidence.first?.frames?.count == 4 || f.evidence.first?.frames?.count == 5)
        #expect(f.summary.contains("the slowest took 2.") || f.summary.contains("the slowest took 3."))
        #expect(!r.findings.contains { $0.id == "syn-without-synack" })
    }

    @Test func clusterDNSShowsChainsResendsAndUnansweredLookups() throws {
        let r = try report("dns-cluster.pcap")
        let ids = Set(r.findings.map(\.id))
        #expect(ids.isSuperset(of: ["dns-unanswered", "dns-resend-timeout", "dns-search-amplification"]))
        let resend = try #require(r.findings.first { $0.id == "dns-resend-timeout" })
        #expect(resend.summary.contains("1 parallel A/AAAA pair"))
        #expect(resend.evidence.contains { $0.note.contains("slow.example.com") && $0.note.contains("A only after 2 sends") })
        let unanswered = try #require(r.findings.first { $0.id == "dns-unanswered" })
        // The judged lookups are all the dropped name's; the ones at the very end are indeterminate.
        let judged = unanswered.evidence.filter { $0.kind == .packets }
        #expect(!judged.isEmpty && judged.allSatisfy { $0.note.contains("dead.example.net") })
        #expect(unanswered.evidence.contains { $0.kind == .value && $0.text?.contains("the capture ended") == true })
        let chain = try #require(r.findings.first { $0.id == "dns-search-amplification" })
        #expect(chain.evidence.contains { $0.note.contains("api.example.com.default.svc.cluster.local NXDOMAIN → api.example.com.svc.cluster.local NXDOMAIN → api.example.com.cluster.local NXDOMAIN → api.example.com NOERROR") })
    }

    @Test func serverAbortsAreAResetStorm() throws {
        let f = try #require(try finding("tcp-reset-storm", in: "tcp-resets.pcap"))
        let e = try #require(f.evidence.first)
        #expect(e.note.hasPrefix("8 established streams to 10.30.2.2:5007") && e.note.contains("8 reset by the server"))
        #expect(e.frames?.count == 8)
        #expect(try !report("tcp-loss.pcap").findings.contains { $0.id == "tcp-reset-storm" })
    }

    /// vxlan-overlay.pcap (make-fixtures.sh): VXLAN mtu 1500 over a 1500 underlay.
    @Test func vxlanOverUnderlayMTUSaysWhichMTUToSet() throws {
        let f = try #require(try finding("overlay-fragmentation", in: "vxlan-overlay.pcap"))
        #expect(f.summary.contains("Set the overlay (pod) MTU to 1450 or less"))
        #expect(f.evidence.contains { $0.note.contains("a 1538-byte outer packet (inner packet 1488 bytes)") && $0.frames == [5, 6] })
    }

    /// The pods behind overlay findings (issue 24 §2): the inner flow of the fragmented VXLAN packets
    /// (fixtures/overlay-node: 10.30.50.1 → 10.30.50.254:5010 inside VXLAN on 8472), with the frames of
    /// their first fragments and a filter on the inner addresses and ports; the packets too big on the
    /// tunnel device by their own flow, the first cited as tcpdump numbers it.
    @Test func overlayFindingsNameThePodsFlows() throws {
        let r = try Autopsy().analyze(Paths.fixture("overlay-node"))
        for id: CheckID in ["overlay-fragmentation", "ip-fragmentation"] {
            let f = try #require(r.findings.first { $0.id == id })
            let inner = try #require(f.evidence.first { $0.note.hasPrefix("Inner flow 10.30.50.1:") })
            #expect(inner.note.contains(" → 10.30.50.254:5010 (TCP): 5 fragmented tunnel packets") && inner.note.contains("Decode As UDP port 8472 → VXLAN"),
                    "\(inner.note)")
            #expect(inner.displayFilter?.hasPrefix("ip.src==10.30.50.1 && ip.dst==10.30.50.254 && tcp.srcport==") == true
                    && inner.displayFilter?.hasSuffix(" && tcp.dstport==5010") == true, "\(String(describing: inner.displayFilter))")
            #expect(f.summary.contains("The pods' flows inside them (most fragmented tunnel packets first): 10.30.50.1:")
                    && f.summary.contains(" → 10.30.50.254:5010 (TCP) ×5."), "\(f.summary)")
            // The first fragment of each fragmented datagram the finding cites (offset 0: the one holding the inner headers).
            let out = try Shell.run(["tcpdump", "--number", "-n", "-v", "-r", Paths.fixture("overlay-node/captures/nw-c0.pcap")])
            let firsts = out.stdout.split(separator: "\n").filter { $0.contains("offset 0, flags [+]") }.compactMap { Int($0.split(separator: " ")[0]) }
            #expect(inner.frames == firsts && firsts.count == 5, "\(String(describing: inner.frames)) vs \(firsts)")
        }
        let tooBig = try #require(r.findings.first { $0.id == "overlay-packets-too-big" })
        #expect(tooBig.summary.contains("The pods' flows inside them (most packets too big first): 10.30.50.1:"), "\(tooBig.summary)")
        let flow = try #require(tooBig.evidence.first { $0.note.hasPrefix("Inner flow 10.30.50.1:") })
        #expect(flow.note.contains(": 5 packets larger than the tunnel carries"), "\(flow.note)")
        // tcpdump -v prints each IP packet's total length ("…, length 1500)"); the first above 1450 is the one cited.
        let all = try Shell.run(["tcpdump", "--number", "-n", "-v", "-r", Paths.fixture("overlay-node/" + (flow.file ?? ""))])
        let first = all.stdout.split(separator: "\n").first { line in
            guard let r = line.range(of: ", length "), line.contains(" IP (") else { return false }
            return (Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0) > 1450
        }
        #expect(flow.frames == [first.flatMap { Int($0.split(separator: " ")[0]) } ?? -1], "\(String(describing: first))")
    }

    @Test func searchSiblingDefinition() {
        #expect(DNSSearchList.isExpansion("api.example.com.svc.cluster.local", of: "api.example.com"))
        #expect(DNSSearchList.isExpansion("kubernetes.default.default.svc.cluster.local", of: "kubernetes.default.svc.cluster.local"))
        #expect(!DNSSearchList.isExpansion("www.google.com", of: "www.example.com"))
        #expect(!DNSSearchList.isExpansion("api.foo.svc.cluster.local", of: "api.bar.svc.cluster.local"))
        #expect(!DNSSearchList.isExpansion("api.example.com", of: "api.example.com"))
    }

    /// `extract` writes exactly the cited frames, readable by libpcap, in order.
    @Test func extractWritesTheCitedFrames() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("na-extract-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let path = Paths.fixture("captures/pmtu-blackhole.pcap")
        let written = try EvidenceExtractor().extract(path, finding: "pmtu-black-hole", output: out)
        let f = try #require(try Autopsy().analyze(path).findings.first { $0.id == "pmtu-black-hole" })
        let cited = Set(f.evidence.flatMap { $0.frames ?? [] })
        #expect(written.count == 1 && written[0].frames == cited.count && written[0].skipped == 0)
        let back = try Autopsy().analyze(out)
        #expect(back.captures.totals.packets == cited.count)
        #expect(back.captures.totals.tcpRetransmissions == cited.count - 1, "all but the original are retransmissions")
        #expect(throws: EvidenceExtractor.ExtractError.self) { try EvidenceExtractor().extract(path, finding: "dns-unanswered", output: out) }
    }

    /// one-way.pcap holds only the client's packets of tcp-resets.pcap: every stream is Zeek `S0`
    /// (the counter), but the client's ACKs show SYN-ACKs reached it, so no "no answer" is claimed.
    @Test func oneDirectionCaptureClaimsNoUnansweredSYN() throws {
        let oneWay = try report("one-way.pcap")
        #expect(oneWay.captures.totals.synWithoutSynack == 8)
        #expect(!oneWay.findings.contains { $0.id == "syn-without-synack" })
        #expect(try report("tcp-resets.pcap").captures.totals.synWithoutSynack == 0)
    }

    /// A capture that dropped packets cannot vouch for a SYN sent once; a retransmitted SYN is
    /// judged anyway (the client itself had no answer).
    @Test func captureDropsMakeSingleSYNsIndeterminate() throws {
        let packets: [PacketSketch] = [
            .tcp(0, "10.244.1.5", 40000, "10.244.2.9", 8080, "S"),
            .tcp(0.5, "10.244.1.5", 40001, "10.244.2.9", 8080, "S"),
            .tcp(1.5, "10.244.1.5", 40001, "10.244.2.9", 8080, "S"),
            .tcp(6, "10.244.1.7", 41000, "10.244.3.3", 9000, "A"),
        ]
        var facts = CheckExample("x", capture: "captures/eth0.pcap", packets: packets).facts
        let check = SynWithoutSynAckCheck()
        let params = CheckParameters(check.description)
        let clean = try #require(check.findings(in: facts, parameters: params).first)
        #expect(clean.summary.hasPrefix("2 TCP connection attempts"))
        var builder = FactsBuilder()
        builder.add(path: "captures/eth0.tcpdump-stderr.txt", kind: .tcpdumpStats,
                    text: "12 packets captured\n20 packets received by filter\n8 packets dropped by kernel\n")
        facts.tcpdumpStats = builder.facts.tcpdumpStats
        let dropped = try #require(check.findings(in: facts, parameters: params).first)
        #expect(dropped.summary.hasPrefix("1 TCP connection attempt to"), "\(dropped.summary)")
        #expect(dropped.summary.contains("1 more the capture could not judge"))
        #expect(dropped.evidence.contains { $0.note.contains("dropped 8 packets (captures/eth0.tcpdump-stderr.txt)") })
    }

    /// dns-tcp.pcap: a query whose length prefix and message came in two segments, two queries in
    /// one segment, and a 2 kB answer over two segments are each one message, all matched.
    @Test func dnsOverTCPIsReassembled() throws {
        let r = try report("dns-tcp.pcap")
        let c = r.captures.totals
        #expect(c.dnsQueries == 4 && c.dnsResponses == 4 && c.dnsUnanswered == 0)
        #expect(!r.findings.contains { $0.id == "dns-unanswered" })
    }

    /// fixtures/overlay-node: a real node's VXLAN device left at 1500 over a 1500 link. The inner
    /// capture (found by file name), the -i any capture (by ifindex) and the underlay capture each
    /// show it, and the configuration says it too.
    @Test func overlayNodeShowsInnerPacketsTooBigForTheUnderlay() throws {
        let r = try Autopsy().analyze(Paths.fixture("overlay-node"))
        let f = try #require(r.findings.first { $0.id == "overlay-packets-too-big" })
        #expect(f.summary.contains("on nw-vx0 (vxlan, +50)") && f.summary.contains("Set the overlay MTU to 1450 or less"))
        let packets = f.evidence.filter { $0.kind == .packets && !$0.note.hasPrefix("Inner flow") }
        #expect(Set(packets.compactMap(\.file)) == ["captures/nw-vx0.pcap", "captures/any.pcap"])
        #expect(packets.allSatisfy { $0.note.contains("the largest, 1500 bytes, leaves as 1550 on nw-c0 (MTU 1500)") })
        #expect(f.evidence.contains { $0.kind == .line && $0.text?.contains("nw-vx0") == true })
        let ids = Set(r.findings.map(\.id))
        #expect(ids.isSuperset(of: ["overlay-fragmentation", "overlay-mtu-mismatch"]))
    }
}
