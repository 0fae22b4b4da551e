import Testing
@testable import Redaction
@testable import Wire

/// The rewriter walks a frame by the decoder's own protocol rules (`Wire/Protocols`): for every
/// layering the decoder opens, the rewritten frame decodes to the same layers and ports, with the
/// addresses tokenised; what the decoder does not open is cut, never kept as it was.
@Suite struct RewriterLayerTests {
    static func ipv4(_ proto: UInt8, src: [UInt8] = [10, 244, 1, 5], dst: [UInt8] = [10, 96, 0, 10], _ payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, proto, 0, 0] + src + dst + payload
    }

    static func ipv6(_ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let src: [UInt8] = [0xfd, 0, 0, 0x10, 0x2, 0x44, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 5]
        let dst: [UInt8] = [0xfd, 0, 0, 0x10, 0, 0x96, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x0a]
        return [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xff), next, 64] + src + dst + payload
    }

    static func tcpSYN(_ sport: UInt16 = 40000, _ dport: UInt16 = 443) -> [UInt8] {
        [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), 0, 0, 0x03, 0xe8, 0, 0, 0, 0,
         0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let n = 8 + payload.count
        return [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), UInt8(n >> 8), UInt8(n & 0xff), 0, 0] + payload
    }

    static let macs: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]

    /// Rewrites and decodes both frames.
    static func both(_ frame: [UInt8], linkType: LinkType) -> (before: DecodedPacket, after: DecodedPacket, out: [UInt8]) {
        var rewriter = PacketRewriter(Pseudonyms())
        let out = frame.withUnsafeBytes { rewriter.rewrite($0, linkType: UInt16(linkType.rawValue)) }
        let before = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType) }
        let after = out.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType) }
        return (before, after, out)
    }

    static func ports(_ layer: IPLayer?) -> [UInt16]? {
        guard case .tcp(let t)? = layer?.transport else { return nil }
        return [t.sourcePort, t.destinationPort]
    }

    /// Legacy QinQ (0x9100) over 802.1Q: the decoder walks both tags, and so does the rewriter.
    @Test func legacyQinQTagsAreWalked() {
        let frame = Self.macs + [0x91, 0x00, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00] + Self.ipv4(6, Self.tcpSYN())
        let (before, after, out) = Self.both(frame, linkType: .ethernet)
        #expect(before.vlanTags == 2 && after.vlanTags == 2)
        #expect(Self.ports(after.outer) == [40000, 443] && Self.ports(before.outer) == Self.ports(after.outer))
        #expect(after.outer?.ip.source != before.outer?.ip.source && after.outer?.ip.destination != before.outer?.ip.destination)
        #expect(out.count == frame.count)
    }

    /// A two-entry MPLS label stack (the second with the bottom-of-stack bit) before IPv4: the decoder
    /// reads the IP packet after the bottom entry, and the rewriter tokenises it the same way.
    @Test func mplsLabelStacksAreWalked() {
        let labels: [UInt8] = [0x00, 0x0f, 0xe0, 0x40, 0x00, 0x06, 0x31, 0x40]  // labels 254 and 99, S on the second
        let frame = Self.macs + [0x88, 0x47] + labels + Self.ipv4(6, Self.tcpSYN())
        let (before, after, out) = Self.both(frame, linkType: .ethernet)
        #expect(Self.ports(before.outer) == [40000, 443] && Self.ports(after.outer) == [40000, 443])
        #expect(after.outer?.ip.source != before.outer?.ip.source && after.outer?.ip.destination != before.outer?.ip.destination)
        #expect(Array(out[14..<22]) == labels && out.count == frame.count)
        // Without a bottom-of-stack bit in the first eight entries, nothing is decoded.
        let endless = Self.macs + [0x88, 0x47] + [UInt8](repeating: 0, count: 32) + Self.ipv4(6, Self.tcpSYN())
        #expect(endless.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet) }.outer == nil)
    }

    /// PPPoE session frames with PPP's protocol field in two bytes (0x0021) and compressed to one (0x21,
    /// RFC 1661 §6.5): both decoded and rewritten; an IP packet longer than the PPPoE length is not
    /// dissected above IP, as tshark has it.
    @Test func pppoeSessionsAreWalked() {
        let packet = Self.ipv4(6, Self.tcpSYN())
        for ppp: [UInt8] in [[0x00, 0x21], [0x21]] {
            let length = UInt16(ppp.count + packet.count)
            let frame = Self.macs + [0x88, 0x64, 0x11, 0x00, 0x00, 0x2d, UInt8(length >> 8), UInt8(length & 0xff)] + ppp + packet
            let (before, after, out) = Self.both(frame, linkType: .ethernet)
            #expect(Self.ports(before.outer) == [40000, 443] && Self.ports(after.outer) == [40000, 443], "PPP protocol \(ppp)")
            #expect(after.outer?.ip.source != before.outer?.ip.source)
            #expect(out.count == frame.count)
            let short = Self.macs + [0x88, 0x64, 0x11, 0x00, 0x00, 0x2d, UInt8((length - 4) >> 8), UInt8((length - 4) & 0xff)] + ppp + packet
            let decoded = short.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet) }
            #expect(decoded.outer != nil && Self.ports(decoded.outer) == nil, "IP longer than the PPPoE payload: IP only")
        }
    }

    /// An IPv6 routing header (43) and AH (51) before TCP: walked to the TCP header, their data zeroed.
    @Test func ipv6RoutingAndAuthenticationHeadersAreWalked() {
        let routing: [UInt8] = [51, 2, 4, 1] + [0, 0, 0, 0] + [UInt8](repeating: 0xab, count: 16)  // next AH, 24 bytes
        let ah: [UInt8] = [6, 4, 0, 0] + [UInt8](repeating: 0xcd, count: 20)  // next TCP, (4 + 2) * 4 = 24 bytes
        let packet = Self.ipv6(43, routing + ah + Self.tcpSYN(40001, 80))
        let (before, after, out) = Self.both(packet, linkType: .raw)
        #expect(Self.ports(before.outer) == [40001, 80] && Self.ports(after.outer) == [40001, 80])
        #expect(after.outer?.ip.source != before.outer?.ip.source)
        #expect(!out.contains(0xab) && !out.contains(0xcd), "the extension headers' data is zeroed")
    }

    /// GRE (with a key) carrying IPv4: the inner packet is decoded and rewritten alike.
    @Test func greInnerPacketsAreRewritten() {
        let gre: [UInt8] = [0x20, 0x00, 0x08, 0x00, 0x00, 0x00, 0x12, 0x34]  // K bit, IPv4, key
        let inner = Self.ipv4(6, src: [192, 168, 7, 7], dst: [192, 168, 8, 8], Self.tcpSYN(40002, 8443))
        let packet = Self.ipv4(47, src: [172, 16, 0, 1], dst: [172, 16, 0, 2], gre + inner)
        let (before, after, out) = Self.both(packet, linkType: .raw)
        #expect(before.tunnel == .gre && after.tunnel == .gre)
        #expect(Self.ports(before.inner) == [40002, 8443] && Self.ports(after.inner) == [40002, 8443])
        #expect(after.inner?.ip.source != before.inner?.ip.source && after.inner?.ip.destination != before.inner?.ip.destination)
        #expect(Array(out[24..<28]) == [0, 0, 0, 0] && Array(packet[24..<28]) == [0, 0, 0x12, 0x34], "the key is zeroed")
    }

    /// Geneve carrying IPv4 directly (protocol type 0x0800), options zeroed.
    @Test func geneveWithAnIPInnerPacketIsRewritten() {
        let geneve: [UInt8] = [0x01, 0x00, 0x08, 0x00, 0, 0, 0x2a, 0] + [0x01, 0x02, 0x01, 0x01, 0xee, 0xee, 0xee, 0xee]  // one 4-byte option header + 4 bytes
        let inner = Self.ipv4(6, src: [10, 1, 1, 1], dst: [10, 2, 2, 2], Self.tcpSYN(40003, 9000))
        let geneveWithOptions: [UInt8] = [0x02] + geneve.dropFirst()  // OptLen 2 words = 8 bytes of options
        let packet = Self.ipv4(17, Self.udp(5000, Geneve.port, geneveWithOptions + inner))
        let (before, after, out) = Self.both(packet, linkType: .raw)
        #expect(before.tunnel == .geneve(vni: 0x2a) && after.tunnel == .geneve(vni: 0x2a))
        #expect(Self.ports(before.inner) == [40003, 9000] && Self.ports(after.inner) == [40003, 9000])
        #expect(after.inner?.ip.source != before.inner?.ip.source)
        #expect(!out.contains(0xee), "options are zeroed")
    }

    /// VXLAN without the I flag is not opened by the decoder; the rewriter cuts it after UDP.
    @Test func vxlanWithoutItsFlagIsCut() {
        let vxlan: [UInt8] = [0x00, 0, 0, 0, 0, 0, 0x01, 0]
        let inner = Self.macs + [0x08, 0x00] + Self.ipv4(6, Self.tcpSYN())
        let packet = Self.ipv4(17, Self.udp(5000, 4789, vxlan + inner))
        let (before, _, out) = Self.both(packet, linkType: .raw)
        #expect(before.tunnel == nil)
        #expect(out.count == 28, "kept up to the UDP header only")
    }

    /// DNS by the decoder's port rule: a DNS-looking high port beside a well-known port is not DNS.
    @Test func dnsByTheDecodersPortRule() {
        let message: [UInt8] = [0, 7, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63, 0, 0, 1, 0, 1]
        let notDNS = Self.ipv4(17, Self.udp(5353, 80, message))
        #expect(Self.both(notDNS, linkType: .raw).out.count == 28)
        let dns = Self.ipv4(17, Self.udp(5353, 40000, message))
        let out = Self.both(dns, linkType: .raw).out
        #expect(out.count == dns.count && !String(decoding: out, as: UTF8.self).contains("abc"))
    }
}
