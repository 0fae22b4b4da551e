import Autopsy
import Foundation
import Input
import Testing
import Wire

/// Link types, formats and broken captures.
@Suite struct CaptureFormatTests {
    /// One real capture per link type; each must decode IP in every frame that carries it.
    @Test(arguments: [
        ("shared:sll__tcpdump__mptcp-v1.pcap", LinkType.linuxSLL),
        ("captures/tcp-connects-sll.pcap", .linuxSLL),
        ("captures/tcp-connects-any.pcap", .linuxSLL2),
        ("shared:sll2__zeek__linux_dlt_sll2.pcap", .linuxSLL2),
        ("shared:rawip__tcpdump__LINKTYPE_RAW_ipv4.pcap", .raw),
        ("shared:rawip__tcpdump__LINKTYPE_IPV4.pcap", .ipv4),
        ("shared:corrupt__tcpdump__quic_handshake_truncated.pcap", .null),
        ("captures/vlan-qinq.pcap", .ethernet),
        ("shared:vlan__zeek__http-qinq-0.pcap", .ethernet),
        ("captures/tcp-connects-nano.pcap", .ethernet),
    ])
    func linkTypeDecodes(_ file: String, _ linkType: LinkType) throws {
        let path = file.hasPrefix("shared:") ? Paths.corpus.appendingPathComponent("pcaps/" + file.dropFirst(7)).path
                                             : Paths.fixture(file)
        let (tally, outcome) = try DecodeTally.of(path)
        #expect(outcome.error == nil)
        #expect(tally.linkTypes == [linkType.rawValue])
        #expect(tally.frames > 0)
        #expect(tally.withIP > 0)
    }

    @Test func vlanAndQinQTagsAreWalked() throws {
        struct Tags: PacketConsumer {
            var depths: Set<UInt8> = []
            mutating func consume(_ r: PacketRecord) { depths.insert(PacketDecoder.decode(r.bytes, linkType: .ethernet).vlanTags) }
        }
        var tags = Tags()
        try BundleWalker().walk(Paths.fixture("captures/vlan-qinq.pcap"), file: { _ = CaptureOpener.read($0, into: &tags) }, problem: { _ in })
        #expect(tags.depths.isSuperset(of: [1, 2]))
    }

    /// pcapng with interfaces of different link types: libpcap refuses it, we read every frame.
    @Test func mixedLinkTypePcapng() throws {
        let (tally, outcome) = try DecodeTally.of(Paths.fixture("captures/mixed-linktypes.pcapng"))
        #expect(outcome.error == nil)
        #expect(tally.linkTypes == [LinkType.ethernet.rawValue, LinkType.raw.rawValue])
        // The analyzer counts link types by runs of frames: the interleaved interfaces must add up (tshark: 16 and 16).
        var analyzer = tally.analyzer
        #expect(analyzer.finish().linkTypes == [LinkType.ethernet.rawValue: 16, LinkType.raw.rawValue: 16])
        #expect(tally.framesPerLinkType == [LinkType.ethernet.rawValue: 16, LinkType.raw.rawValue: 16])
        #expect(outcome.interfaces.count == 2)
        #expect(tally.withIP == tally.frames)
        let (be, beOutcome) = try DecodeTally.of(Paths.corpus.appendingPathComponent("pcaps/pcapng__gopacket-deb__be_test006.pcapng").path)
        #expect(beOutcome.error == nil)
        #expect(be.linkTypes == [LinkType.ethernet.rawValue, LinkType.null.rawValue])
    }

    /// pcapng files of several sections, with a byte order that changes between them and custom blocks
    /// (hadrielk/pcapng-test-generator "difficult" cases, fixtures/public-captures): every packet of every
    /// section is read, and each custom block takes a frame number as in Wireshark (tshark lists test202's
    /// custom blocks as frames 1, 7 and 10 and its packets as the other eight).
    @Test func pcapngThroughEverySectionWithCustomBlocksNumberedAsWiresharkDoes() throws {
        struct Frames: PacketConsumer {
            var numbers: [Int] = []
            mutating func consume(_ r: PacketRecord) { numbers.append(r.frameNumber) }
        }
        for name in ["le_test202", "be_test202"] {
            var frames = Frames()
            var outcome: CaptureReadOutcome?
            try BundleWalker().walk(Paths.fixture("public-captures/pcapng__pcapng-test-generator__\(name).pcapng"),
                                    file: { outcome = CaptureOpener.read($0, into: &frames) }, problem: { _ in })
            #expect(outcome?.error == nil && outcome?.nonPacketFrames == 3, "\(name)")
            #expect(frames.numbers == [2, 3, 4, 5, 6, 8, 9, 11], "\(name): \(frames.numbers)")
        }
        let three = try Autopsy().analyze(Paths.fixture("public-captures/pcapng__pcapng-test-generator__le_test201.pcapng"))
        #expect(three.captures.totals.packets == 4 && three.problems.isEmpty)
    }

    /// TCP behind an MPLS label stack and inside PPPoE sessions (real captures from Zeek, libtrace and
    /// Suricata's test suites): the handshakes are found, and a SYN behind MPLS that got no answer is one.
    @Test func tcpBehindMPLSAndPPPoEIsDecoded() throws {
        func totals(_ name: String) throws -> CaptureCounters { try Autopsy().analyze(Paths.fixture("public-captures/" + name)).captures.totals }
        let mixed = try totals("mpls__zeek__mixed-vlan-mpls.pcap")
        #expect(mixed.synWithoutSynack == 1 && mixed.tcpHandshakesCompleted == 2, "one attempt behind MPLS, two handshakes beside it")
        #expect(try totals("mpls__libtrace__ip-in-mpls.pcap").tcpHandshakesCompleted == 1)
        #expect(try totals("pppoe__sv__bug-4810_pppoe-session-http.pcap").tcpHandshakesCompleted == 1, "PPP protocol field compressed")
        #expect(try totals("pppoe__zeek__pppoe-over-qinq.pcap").tcpHandshakesCompleted == 1, "PPPoE inside two VLAN tags")
    }

    @Test func nanosecondTimestampsKeepTheirPrecision() throws {
        let report = try Autopsy().analyze(Paths.fixture("captures/tcp-connects-nano.pcap"))
        let file = try #require(report.captures.files.first)
        #expect(file.format == "pcap (ns)")
        #expect(file.firstPacket?.rfc3339.hasSuffix("Z") == true)
    }

    /// A capture cut at every length reads what it can, says why it stopped, and never crashes.
    @Test(arguments: ["captures/tcp-connects-any.pcap", "captures/plain.pcapng", "captures/frag-icmp.pcap"])
    func truncatedAtEveryLength(_ file: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture(file)))
        let full = try Autopsy().analyze(Paths.fixture(file)).captures.totals.packets
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let boundaries = Self.recordBoundaries(bytes)
        let step = max(1, bytes.count / 400)
        var previous = 0
        for length in stride(from: 0, through: bytes.count, by: step) {
            let path = dir.appendingPathComponent("cut").appendingPathExtension(file.hasSuffix("ng") ? "pcapng" : "pcap").path
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            let report = try Autopsy().analyze(path)
            let packets = report.captures.totals.packets
            #expect(packets <= full && packets >= previous, "cut at \(length)")
            previous = packets
            if !boundaries.contains(length) {
                #expect(!report.problems.isEmpty, "cut at \(length) must be reported")
            }
        }
    }

    /// Offsets where a record (pcap) or block (pcapng) ends: a cut there is a clean, shorter file.
    static func recordBoundaries(_ b: Data) -> Set<Int> {
        let bytes = [UInt8](b)
        func le32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        var out: Set<Int> = []
        let pcapng = bytes.starts(with: [0x0a, 0x0d, 0x0d, 0x0a])
        var i = pcapng ? 0 : 24
        if !pcapng { out.insert(24) }
        while i + 12 <= bytes.count {
            i += pcapng ? le32(i + 4) : 16 + le32(i + 8)
            out.insert(i)
        }
        return out
    }

    /// The decoder fed every prefix of real frames: truncation is a flag, never a crash.
    @Test func decoderSurvivesEveryPrefix() throws {
        struct Prefixes: PacketConsumer {
            var decoded = 0
            mutating func consume(_ r: PacketRecord) {
                guard let lt = LinkType(rawValue: r.linkTypeValue) else { return }
                for n in 0...r.bytes.count {
                    let p = PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: r.bytes[0..<n]), linkType: lt)
                    if n < 14 && lt == .ethernet { #expect(p.outer == nil) }
                    decoded += 1
                }
            }
        }
        var prefixes = Prefixes()
        for file in ["captures/vxlan-overlay.pcap", "captures/frag-icmp.pcap", "captures/mixed-linktypes.pcapng"] {
            try BundleWalker().walk(Paths.fixture(file), file: { _ = CaptureOpener.read($0, into: &prefixes) }, problem: { _ in })
        }
        #expect(prefixes.decoded > 1000)
    }

    @Test func corruptCorpusFilesAreNamedClearly() throws {
        for (file, words) in [("corrupt__libpcap__pcap-invalid-version-1.pcap", "archaic"),
                              ("corrupt__sv__http-mime-truncated_input.pcap", "cut short"),
                              ("corrupt__gopacket-deb__le_test901.pcapng", "major version 2")] {
            let report = try Autopsy().analyze(Paths.corpus.appendingPathComponent("pcaps/" + file).path)
            #expect(report.problems.contains { $0.path == file && $0.message.contains(words) }, "\(file)")
        }
    }
}
