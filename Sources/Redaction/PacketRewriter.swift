import Wire

/// Rewrites one captured frame for a redacted capture: addresses (MAC, IPv4, IPv6, ARP, the packet
/// an ICMP error quotes, inner packets of VXLAN, Geneve, GRE and IP-in-IP) get their `Pseudonyms` tokens,
/// checksums are corrected for what changed, and the payload is cut after the last header the
/// analysis reads. Layers are walked by the offsets and port rules the decoder uses (`Wire/Protocols`,
/// `DNSMessage.isDNS`). DNS messages (UDP or TCP port 53, mDNS, LLMNR) are kept with every name
/// tokenised label by label and addresses in A/AAAA answers mapped; other record data is zeroed.
///
/// Lengths in headers (IP total length, UDP length) and the frame's original length are not
/// changed: sizes, fragmentation and MTU findings stay as they were. Checksums are updated
/// incrementally (RFC 1624) over the changed bytes, so a checksum that was right stays right for
/// the original payload, and one that was wrong (offload) stays wrong the same way.
public struct PacketRewriter {
    let names: Pseudonyms
    /// The frame as captured, and the copy being rewritten.
    private var original: [UInt8] = []
    private var p: [UInt8] = []
    /// Headers inside headers (tunnels, ICMP quotes) followed this deep; a frame can nest thousands.
    private var depth = 0
    static let maxDepth = 8

    public init(_ names: Pseudonyms) { self.names = names }

    /// The rewritten frame's captured bytes (at most as many as `bytes`).
    public mutating func rewrite(_ bytes: UnsafeRawBufferPointer, linkType: UInt16) -> [UInt8] {
        Array(rewriteInPlace(bytes, linkType: linkType))
    }

    /// The same, as a view of the rewriter's own buffer: valid until the next frame (no copy).
    mutating func rewriteInPlace(_ bytes: UnsafeRawBufferPointer, linkType: UInt16) -> ArraySlice<UInt8> {
        // The buffers are reused from frame to frame (no allocation per packet once they are grown).
        original.removeAll(keepingCapacity: true)
        original.append(contentsOf: bytes)
        p.removeAll(keepingCapacity: true)
        p.append(contentsOf: bytes)
        depth = 0
        let keep = link(linkType, at: 0)
        return p[0..<min(keep, p.count)]
    }

    // MARK: link layers

    private mutating func link(_ type: UInt16, at o: Int) -> Int {
        switch type {
        case 1: return ethernet(at: o)
        case 113:                                           // Linux cooked (SLL)
            typealias H = LinuxCooked.V1
            guard p.count >= o + H.headerLength else { return o }
            let address = o + H.addressOffset
            if LinuxCooked.holdsMAC(addressType: u16(o + H.addressTypeOffset), addressLength: Int(u16(o + H.addressLengthOffset))) {
                mapMAC(at: address)
            } else {
                zero(address, address + LinuxCooked.addressFieldLength)
            }
            return network(u16(o + H.protocolOffset), at: o + H.headerLength)
        case 276:                                           // Linux cooked v2 (SLL2)
            typealias H = LinuxCooked.V2
            guard p.count >= o + H.headerLength else { return o }
            let address = o + H.addressOffset
            if LinuxCooked.holdsMAC(addressType: u16(o + H.addressTypeOffset), addressLength: Int(p[o + H.addressLengthOffset])) {
                mapMAC(at: address)
            } else {
                zero(address, address + LinuxCooked.addressFieldLength)
            }
            return network(u16(o + H.protocolOffset), at: o + H.headerLength)
        case 101, 228, 229: return ipAny(at: o)
        case 0, 108:                                        // BSD loopback: a 4-byte family
            guard p.count >= o + 4 else { return o }
            return ipAny(at: o + 4)
        default: return o
        }
    }

    private mutating func ethernet(at o: Int) -> Int {
        guard p.count >= o + Ethernet.headerLength, enter() else { return o }
        defer { depth -= 1 }
        mapMAC(at: o + Ethernet.destinationOffset)
        mapMAC(at: o + Ethernet.sourceOffset)
        var type = u16(o + Ethernet.typeOffset), next = o + Ethernet.headerLength, tags = 0
        while Ethernet.isVLANTag(type) {
            guard tags < Ethernet.maxVLANTags, p.count >= next + Ethernet.vlanTagLength else { return next }
            type = u16(next + Ethernet.vlanNextTypeOffset)
            next += Ethernet.vlanTagLength
            tags += 1
        }
        return network(type, at: next)
    }

    private mutating func network(_ etherType: UInt16, at o: Int) -> Int {
        switch etherType {
        case Ethernet.EtherType.ipv4: return ipv4(at: o)
        case Ethernet.EtherType.ipv6: return ipv6(at: o)
        case Ethernet.EtherType.arp:
            guard p.count >= o + ARP.length,
                  ARP.isEthernetIPv4(hardware: u16(o), protocol: u16(o + 2), hardwareLength: p[o + 4], protocolLength: p[o + 5])
            else { return o }
            mapMAC(at: o + ARP.senderMACOffset)
            mapIPv4(at: o + ARP.senderIPOffset)
            mapMAC(at: o + ARP.targetMACOffset)
            mapIPv4(at: o + ARP.targetIPOffset)
            return o + ARP.length
        case MPLS.unicast, MPLS.multicast:
            // Labels kept; the packet after the bottom entry rewritten as the decoder reads it (IPv4/IPv6 by its nibble).
            var next = o
            for _ in 0..<MPLS.maxEntries {
                guard p.count >= next + MPLS.entryLength else { return next }
                next += MPLS.entryLength
                if MPLS.isBottomOfStack(p[next - MPLS.entryLength + MPLS.bottomOfStackOffset]) { return ipAny(at: next) }
            }
            return next
        case PPPoE.session:
            guard p.count > o + PPPoE.protocolOffset,
                  let ppp = PPPoE.pppProtocol(first: p[o + PPPoE.protocolOffset],
                                              second: p.count > o + PPPoE.protocolOffset + 1 ? p[o + PPPoE.protocolOffset + 1] : nil)
            else { return o }
            return network(PPPoE.etherType(ppp: ppp.value), at: o + PPPoE.protocolOffset + ppp.length)
        default: return o
        }
    }

    private mutating func ipAny(at o: Int) -> Int {
        guard p.count > o else { return o }
        switch p[o] >> 4 {
        case 4: return ipv4(at: o)
        case 6: return ipv6(at: o)
        default: return o
        }
    }

    // MARK: IP

    private mutating func ipv4(at o: Int) -> Int {
        guard p.count >= o + IPv4.minimumHeaderLength, p[o] >> 4 == 4, enter() else { return o }
        defer { depth -= 1 }
        let ihl = IPv4.headerLength(firstByte: p[o])
        guard ihl >= IPv4.minimumHeaderLength, p.count >= o + ihl else { return o }
        mapIPv4(at: o + IPv4.sourceOffset)
        mapIPv4(at: o + IPv4.destinationOffset)
        if ihl > IPv4.minimumHeaderLength { zero(o + IPv4.minimumHeaderLength, o + ihl) }  // options (record route…): end-of-options
        let checksum = o + IPv4.checksumOffset
        p[checksum] = 0
        p[checksum + 1] = 0
        let sum = Self.checksum(p, o, o + ihl)
        p[checksum] = UInt8(sum >> 8)
        p[checksum + 1] = UInt8(sum & 0xFF)
        let fragmentOffset = IPv4.fragmentOffset(flags: u16(o + IPv4.flagsOffset))
        // A total length of 0 is TCP segmentation offload: the frame's end is the datagram's.
        let total = Int(u16(o + IPv4.totalLengthOffset))
        let end = total == 0 ? p.count : min(p.count, o + max(ihl, total))
        if fragmentOffset != 0 { return o + ihl }          // the rest of a datagram: no header in it
        return transport(p[o + IPv4.protocolOffset], at: o + ihl, end: end, pseudo: (o + IPv4.sourceOffset, IPv4.addressLength))
    }

    private mutating func ipv6(at o: Int) -> Int {
        guard p.count >= o + IPv6Extension.fixedHeaderLength, p[o] >> 4 == 6, enter() else { return o }
        defer { depth -= 1 }
        mapIPv6(at: o + IPv6.sourceOffset)
        mapIPv6(at: o + IPv6.destinationOffset)
        let payload = Int(u16(o + IPv6.payloadLengthOffset))  // 0: a jumbogram or BIG TCP, the frame's end
        let end = payload == 0 ? p.count : min(p.count, o + IPv6Extension.fixedHeaderLength + payload)
        var next = p[o + IPv6.nextHeaderOffset], at = o + IPv6Extension.fixedHeaderLength, steps = 0
        // The extension headers as the decoder walks them (`IPv6Extension`); the data of all but the
        // fragment header is zeroed (options, a routing header's addresses, AH's ICV).
        while IPv6Extension.isExtension(next) {
            steps += 1
            guard steps <= IPv6Extension.maxHeaders, p.count >= at + 2 else { return at }
            if next == IPv6Extension.fragment {
                guard p.count >= at + IPv6Extension.fragmentHeaderLength else { return at }
                let offset = u16(at + 2) >> 3
                next = p[at]
                at += IPv6Extension.fragmentHeaderLength
                if offset != 0 { return at }                 // the rest of a datagram: no header in it
                continue
            }
            let length = IPv6Extension.length(next, lengthByte: p[at + 1])!
            next = p[at]
            zero(at + 2, min(p.count, at + length))
            at += length
        }
        return transport(next, at: at, end: end, pseudo: (o + IPv6.sourceOffset, IPv6.addressLength))
    }

    /// `pseudo`: where the addresses of the pseudo-header are, and their length (4 or 16 each).
    private mutating func transport(_ proto: UInt8, at o: Int, end: Int, pseudo: (at: Int, length: Int)) -> Int {
        switch proto {
        case IPProtocol.tcp:
            // A header cut short (an ICMP error quotes only its first 8 bytes) holds no address: kept.
            guard p.count >= o + TCP.minimumHeaderLength else { return p.count }
            let header = TCP.headerLength(dataOffsetByte: p[o + TCP.dataOffsetOffset])
            guard header >= TCP.minimumHeaderLength, p.count >= o + header else {
                // Options cut by the snap length or an ICMP quote: what was captured of them is still scrubbed.
                if header > TCP.minimumHeaderLength { tcpOptions(from: o + TCP.minimumHeaderLength, to: p.count) }
                return min(p.count, o + max(header, TCP.minimumHeaderLength))
            }
            tcpOptions(from: o + TCP.minimumHeaderLength, to: o + header)
            var keep = o + header
            if DNSMessage.isDNS(sourcePort: u16(o), destinationPort: u16(o + 2), tcp: true) {
                keep = dnsOverTCP(from: o + header, end: min(end, p.count))
            }
            fixChecksum(at: o + TCP.checksumOffset, segment: o, end: min(end, p.count), pseudo: pseudo, zeroMeansNone: false)
            return keep
        case IPProtocol.udp:
            guard p.count >= o + UDP.headerLength else { return p.count }
            let src = u16(o), dst = u16(o + 2), payload = o + UDP.headerLength
            var keep = payload
            if DNSMessage.isDNS(sourcePort: src, destinationPort: dst, tcp: false) {
                keep = dns(from: payload, end: min(end, p.count))
            } else if VXLAN.isPort(dst), p.count >= payload + VXLAN.headerLength, VXLAN.hasVNI(flags: p[payload]) {
                keep = ethernet(at: payload + VXLAN.headerLength)
            } else if dst == Geneve.port, p.count >= payload + Geneve.fixedHeaderLength, Geneve.isVersion0(p[payload]) {
                let length = Geneve.headerLength(firstByte: p[payload])
                if p.count >= payload + length {
                    zero(payload + Geneve.fixedHeaderLength, payload + length)   // options
                    keep = innerPayload(u16(payload + Geneve.protocolTypeOffset), at: payload + length)
                }
            }
            fixChecksum(at: o + UDP.checksumOffset, segment: o, end: min(end, p.count), pseudo: pseudo, zeroMeansNone: true)
            return keep
        case IPProtocol.icmp:
            guard p.count >= o + ICMP.headerLength else { return o }
            var keep = o + ICMP.headerLength
            if ICMP.quotesDatagram(v4: p[o]) {               // errors quote the packet they are about
                if p[o] == ICMP.redirect { mapIPv4(at: o + ICMP.redirectGatewayOffset) }
                keep = ipv4(at: o + ICMP.quoteOffset)
            }
            fixChecksum(at: o + ICMP.checksumOffset, segment: o, end: min(end, p.count), pseudo: nil, zeroMeansNone: false)
            return keep
        case IPProtocol.icmpv6:
            guard p.count >= o + ICMP.headerLength else { return o }
            var keep = o + ICMP.headerLength
            if ICMP.quotesDatagram(v6: p[o]) { keep = ipv6(at: o + ICMP.quoteOffset) }
            fixChecksum(at: o + ICMP.checksumOffset, segment: o, end: min(end, p.count), pseudo: pseudo, zeroMeansNone: false)
            return keep
        case IPProtocol.ipInIP: return ipv4(at: o)
        case IPProtocol.ipv6InIP: return ipv6(at: o)
        case GRE.ipProtocol:
            guard p.count >= o + 4, let length = GRE.headerLength(flags: u16(o)), p.count >= o + length else { return o }
            zero(o + 4, o + length)                           // checksum, key, sequence
            return innerPayload(u16(o + GRE.protocolTypeOffset), at: o + length)
        default: return o
        }
    }

    /// A tunnel's inner packet by its protocol type (Geneve, GRE), as the decoder opens it.
    private mutating func innerPayload(_ type: UInt16, at o: Int) -> Int {
        switch type {
        case Ethernet.EtherType.transparentBridging: ethernet(at: o)
        case Ethernet.EtherType.ipv4: ipv4(at: o)
        case Ethernet.EtherType.ipv6: ipv6(at: o)
        default: o
        }
    }

    /// Keeps the options the analysis reads (MSS, window scale, SACK, timestamps) and zeroes the
    /// data of the others (MPTCP's ADD_ADDR carries an address).
    private mutating func tcpOptions(from start: Int, to end: Int) {
        var at = start
        while at < end {
            let kind = p[at]
            if kind == 0 { zero(at + 1, end); return }        // after end-of-list only padding belongs
            if kind == 1 { at += 1; continue }
            guard at + 1 < end else { return }
            let length = Int(p[at + 1])
            guard length >= 2, at + length <= end else { zero(at, end); return }
            if ![2, 3, 4, 5, 8].contains(kind) { zero(at + 2, at + length) }
            at += length
        }
    }

    // MARK: DNS

    /// DNS over TCP: each whole length-prefixed message in the segment; the rest is cut.
    private mutating func dnsOverTCP(from o: Int, end: Int) -> Int {
        var at = o
        while at + 2 <= end {
            let length = Int(u16(at))
            guard length >= 12, at + 2 + length <= end else { break }
            guard dns(from: at + 2, end: at + 2 + length) == at + 2 + length else { return at }
            at += 2 + length
        }
        return at
    }

    /// Tokenises one DNS message in place; returns where the kept bytes end (the message's end when
    /// it was understood whole, else the end of the header).
    private mutating func dns(from o: Int, end: Int) -> Int {
        guard end >= o + 12 else { return o }
        let counts = [u16(o + 4), u16(o + 6), u16(o + 8), u16(o + 10)].map(Int.init)
        var at = o + 12
        for _ in 0..<counts[0] {
            guard let next = name(at: at, end: end), next + 4 <= end else { return o + 12 }
            at = next + 4
        }
        for _ in 0..<(counts[1] + counts[2] + counts[3]) {
            guard let next = name(at: at, end: end), next + 10 <= end else { return o + 12 }
            let type = u16(next), length = Int(u16(next + 8))
            let data = next + 10
            guard data + length <= end else { return o + 12 }
            switch (type, length) {
            case (1, 4): mapIPv4(at: data)
            case (28, 16): mapIPv6(at: data)
            case (2, _), (5, _), (12, _):                        // NS, CNAME, PTR
                guard name(at: data, end: data + length) != nil else { zero(data, data + length); break }
            case (15, _) where length > 2:                        // MX
                if name(at: data + 2, end: data + length) == nil { zero(data, data + length) }
            case (33, _) where length > 6:                        // SRV
                if name(at: data + 6, end: data + length) == nil { zero(data, data + length) }
            case (6, _):                                          // SOA: two names, then numbers
                if let m = name(at: data, end: data + length) {
                    if name(at: m, end: data + length) == nil { zero(m, data + length) }
                } else {
                    zero(data, data + length)
                }
            case (41, _): zero(data, data + length)               // OPT: client-subnet and other options
            default: zero(data, data + length)                    // TXT and the rest: unknown content
            }
            at = data + length
        }
        return at
    }

    /// Tokenises the labels of a name in place (a compression pointer ends it; its target is
    /// tokenised where it is written); returns the offset after the name.
    private mutating func name(at start: Int, end: Int) -> Int? {
        var at = start, total = 0
        var seen: [String] = []
        while at < end {
            let length = Int(p[at])
            if length == 0 {
                if seen.count >= 2 { names.learn(name: seen.joined(separator: ".")) }
                return at + 1
            }
            if length & 0xC0 == 0xC0 { return at + 2 <= end ? at + 2 : nil }
            guard length & 0xC0 == 0, at + 1 + length <= end else { return nil }
            total += length + 1
            guard total <= 255 else { return nil }
            let label = String(decoding: p[(at + 1)..<(at + 1 + length)], as: UTF8.self)
            seen.append(label)
            let token = Array(names.label(label).utf8)
            if token.count == length { p.replaceSubrange((at + 1)..<(at + 1 + length), with: token) } else { zero(at + 1, at + 1 + length) }
            at += 1 + length
        }
        return nil
    }

    // MARK: helpers

    /// One level deeper, unless that is past `maxDepth` (the rest of the frame is then cut).
    private mutating func enter() -> Bool {
        guard depth < Self.maxDepth else { return false }
        depth += 1
        return true
    }

    private func u16(_ i: Int) -> UInt16 { UInt16(p[i]) << 8 | UInt16(p[i + 1]) }

    private mutating func zero(_ from: Int, _ to: Int) {
        guard from < to else { return }
        for i in from..<min(to, p.count) { p[i] = 0 }
    }

    private mutating func mapMAC(at o: Int) {
        guard p.count >= o + 6 else { return }
        var m: UInt64 = 0
        for i in 0..<6 { m = m << 8 | UInt64(p[o + i]) }
        let t = names.mac(m)
        for i in 0..<6 { p[o + i] = UInt8((t >> (40 - 8 * UInt64(i))) & 0xFF) }
    }

    private mutating func mapIPv4(at o: Int) {
        guard p.count >= o + 4 else { return }
        let a = UInt32(p[o]) << 24 | UInt32(p[o + 1]) << 16 | UInt32(p[o + 2]) << 8 | UInt32(p[o + 3])
        let t = names.ipv4(a)
        for i in 0..<4 { p[o + i] = UInt8((t >> (24 - 8 * UInt32(i))) & 0xFF) }
    }

    private mutating func mapIPv6(at o: Int) {
        guard p.count >= o + 16 else { return }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(p[o + i]) }
        for i in 8..<16 { low = low << 8 | UInt64(p[o + i]) }
        let t = names.ipv6(IPAddress(ipv6High: high, low: low))
        for i in 0..<8 { p[o + i] = UInt8((t.high >> (56 - 8 * UInt64(i))) & 0xFF) }
        for i in 0..<8 { p[o + 8 + i] = UInt8((t.low >> (56 - 8 * UInt64(i))) & 0xFF) }
    }

    /// Updates the checksum at `field` for every byte changed in `segment..<end` and in the
    /// pseudo-header's addresses (RFC 1624: HC' = ~(~HC + ~m + m')).
    private mutating func fixChecksum(at field: Int, segment: Int, end: Int, pseudo: (at: Int, length: Int)?, zeroMeansNone: Bool) {
        guard field + 2 <= p.count, end > segment else { return }
        let old = UInt16(original[field]) << 8 | UInt16(original[field + 1])
        if zeroMeansNone && old == 0 { return }
        // The checksum field itself is left out of both sums.
        var before = Self.sum(original, segment, end, skip: field), after = Self.sum(p, segment, end, skip: field)
        if let pseudo {
            before += Self.sum(original, pseudo.at, pseudo.at + 2 * pseudo.length, skip: nil)
            after += Self.sum(p, pseudo.at, pseudo.at + 2 * pseudo.length, skip: nil)
        }
        var x = UInt32(~old) + Self.fold(after) + UInt32(~Self.fold(before) & 0xFFFF)
        x = Self.fold(x)
        var new = ~UInt16(x)
        if zeroMeansNone && new == 0 { new = 0xFFFF }
        p[field] = UInt8(new >> 8)
        p[field + 1] = UInt8(new & 0xFF)
    }

    /// 16-bit words from `from` (an odd last byte padded with zero), not folded.
    static func sum(_ b: [UInt8], _ from: Int, _ to: Int, skip: Int?) -> UInt32 {
        var s: UInt32 = 0, i = from
        let to = min(to, b.count)
        while i < to {
            if i != skip {
                let hi = UInt32(b[i]), lo = i + 1 < to ? UInt32(b[i + 1]) : 0
                s &+= hi << 8 | lo
                if s > 0x7FFF_FFFF { s = fold(s) }
            }
            i += 2
        }
        return s
    }

    static func fold(_ v: UInt32) -> UInt32 {
        var v = v
        while v > 0xFFFF { v = (v & 0xFFFF) + (v >> 16) }
        return v
    }

    static func checksum(_ b: [UInt8], _ from: Int, _ to: Int) -> UInt16 {
        ~UInt16(fold(sum(b, from, to, skip: nil)))
    }
}
