/// Decodes link, IP, transport and tunnel headers of one frame, bounds-checked throughout.
///
/// Running out of bytes sets `truncated` and stops; it is never an error. One tunnel level is
/// opened (VXLAN on UDP 4789/8472, Geneve on 6081, IP-in-IP, GRE); deeper nesting is left
/// undecoded. Fragments are not reassembled here (see `FragmentReassembler`). The offsets, type
/// values and port rules of each protocol are in `Wire/Protocols`, shared with the rewriter that
/// redacts captures, so the two walk a frame alike.
public enum PacketDecoder {
    /// UDP ports decoded as VXLAN: the IANA port and the Linux kernel/flannel default.
    public static func isVXLANPort(_ port: UInt16) -> Bool { VXLAN.isPort(port) }
    public static let genevePort: UInt16 = Geneve.port

    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> DecodedPacket {
        var packet = DecodedPacket(linkType: linkType)
        decode(bytes, into: &packet)
        return packet
    }

    /// Decodes into a packet just made with `DecodedPacket(linkType:)`: the per-packet path, where the
    /// layers are written in place rather than returned and copied.
    public static func decode(_ bytes: UnsafeRawBufferPointer, into packet: inout DecodedPacket) {
        let r = ByteReader(bytes)
        guard let (ethertype, offset) = link(r, packet.linkType, &packet) else {
            packet.truncated = true
            return
        }
        guard let version = ipVersion(ethertype: ethertype, r, offset) else { return }
        ipLayer(r, at: offset, version: version, depth: 0, &packet)
        if let end = packet.linkPayloadEnd, packet.hasOuter, packet.outerLayer.ip.totalLength > end - offset {
            // An IP packet longer than the PPPoE payload that holds it: tshark reports "total length exceeds
            // packet length" and dissects nothing above IP; so does this decoder.
            packet.setTransport(0, .other)
            packet.tunnel = nil
            packet.removeInner()
        }
    }

    /// Decodes an upper-layer payload (e.g. a reassembled datagram) under `header`; the layer is also left
    /// in `packet` at `depth` (0: `outer`, 1: `inner`), and a tunnel inside it at depth 0 in `inner`.
    public static func decodeTransport(
        _ bytes: UnsafeRawBufferPointer, header: IPHeader, into packet: inout DecodedPacket, depth: Int
    ) -> IPLayer {
        let r = ByteReader(bytes)
        transportLayer(r, header: header, payloadOffset: 0, payloadEnd: bytes.count, depth: depth, &packet)
        return depth == 0 ? packet.outerLayer : packet.innerLayer
    }

    // MARK: Link layer

    /// Returns the ethertype-like protocol and the offset of the network header.
    static func link(_ r: ByteReader, _ linkType: LinkType, _ p: inout DecodedPacket) -> (UInt16, Int)? {
        switch linkType {
        case .ethernet:
            return ethernet(r, at: 0, &p)
        case .raw, .ipv4, .ipv6:
            return (0, 0)
        case .null:
            guard let b0 = r.u8(at: 0), let b3 = r.u8(at: 3) else { return nil }
            // Host byte order: the family is in the first byte (LE) or the last (BE).
            return (addressFamily(b0 != 0 ? b0 : b3), 4)
        case .loop:
            guard let family = r.u32(at: 0) else { return nil }
            return (addressFamily(UInt8(truncatingIfNeeded: family)), 4)
        case .linuxSLL:
            guard let type = r.u16(at: LinuxCooked.V1.packetTypeOffset), let proto = r.u16(at: LinuxCooked.V1.protocolOffset) else { return nil }
            p.cookedPacketType = UInt8(truncatingIfNeeded: type)
            return vlanWalk(r, ethertype: proto, at: LinuxCooked.V1.headerLength, &p)
        case .linuxSLL2:
            guard let proto = r.u16(at: LinuxCooked.V2.protocolOffset), let ifindex = r.u32(at: LinuxCooked.V2.interfaceIndexOffset),
                  let type = r.u8(at: LinuxCooked.V2.packetTypeOffset) else { return nil }
            p.cookedPacketType = type
            p.interfaceIndex = ifindex
            return vlanWalk(r, ethertype: proto, at: LinuxCooked.V2.headerLength, &p)
        }
    }

    static func ethernet(_ r: ByteReader, at start: Int, _ p: inout DecodedPacket) -> (UInt16, Int)? {
        guard let type = r.u16(at: start + Ethernet.typeOffset) else { return nil }
        return vlanWalk(r, ethertype: type, at: start + Ethernet.headerLength, &p)
    }

    /// Walks VLAN tags (`Ethernet.isVLANTag`), then an MPLS label stack (`MPLS`: the IP version nibble
    /// after it decides, type 0) or a PPPoE session header (`PPPoE`: PPP's protocol decides).
    static func vlanWalk(_ r: ByteReader, ethertype: UInt16, at start: Int, _ p: inout DecodedPacket) -> (UInt16, Int)? {
        var type = ethertype
        var offset = start
        while Ethernet.isVLANTag(type) {
            guard p.vlanTags < Ethernet.maxVLANTags, let next = r.u16(at: offset + Ethernet.vlanNextTypeOffset) else { return nil }
            p.vlanTags += 1
            type = next
            offset += Ethernet.vlanTagLength
        }
        if MPLS.isMPLS(type) || type == PPPoE.session { return labelledOrPPPoE(r, type, at: offset, &p) }
        return (type, offset)
    }

    /// An MPLS label stack or a PPPoE session header at `offset`: what follows and where (kept out of
    /// `vlanWalk`, which every Ethernet frame goes through).
    @inline(never)
    static func labelledOrPPPoE(_ r: ByteReader, _ type: UInt16, at start: Int, _ p: inout DecodedPacket) -> (UInt16, Int)? {
        var offset = start
        if MPLS.isMPLS(type) {
            for _ in 0..<MPLS.maxEntries {
                guard let b = r.u8(at: offset + MPLS.bottomOfStackOffset) else { return nil }
                offset += MPLS.entryLength
                if MPLS.isBottomOfStack(b) { return (0, offset) }
            }
            return nil
        }
        guard let length = r.u16(at: offset + PPPoE.lengthOffset), let first = r.u8(at: offset + PPPoE.protocolOffset),
              let ppp = PPPoE.pppProtocol(first: first, second: r.u8(at: offset + PPPoE.protocolOffset + 1)) else { return nil }
        p.linkPayloadEnd = offset + PPPoE.headerLength + Int(length)
        return (PPPoE.etherType(ppp: ppp.value), offset + PPPoE.protocolOffset + ppp.length)
    }

    /// BSD/Linux address families for IPv4 and IPv6 (AF_INET6 is 10, 24, 28 or 30 by OS).
    static func addressFamily(_ family: UInt8) -> UInt16 {
        switch family {
        case 2: Ethernet.EtherType.ipv4
        case 10, 24, 28, 30: Ethernet.EtherType.ipv6
        default: 0xffff
        }
    }

    static func ipVersion(ethertype: UInt16, _ r: ByteReader, _ offset: Int) -> UInt8? {
        switch ethertype {
        case Ethernet.EtherType.ipv4: return 4
        case Ethernet.EtherType.ipv6: return 6
        case 0:  // raw IP: the version nibble decides
            guard let b = r.u8(at: offset) else { return nil }
            let v = b >> 4
            return v == 4 || v == 6 ? v : nil
        default: return nil
        }
    }

    // MARK: IP

    /// Decodes the IP layer at `start` into `p` at `depth` (0: `outer`, 1: `inner`), which stays absent if the
    /// header is cut short.
    static func ipLayer(_ r: ByteReader, at start: Int, version: UInt8, depth: Int, _ p: inout DecodedPacket) {
        guard let header = version == 4 ? ipv4(r, at: start) : ipv6(r, at: start) else {
            p.truncated = true
            return
        }
        if header.isIPv4Fragment { p.marks.insert(.ipv4Fragment) }
        if header.hasIPv6FragmentHeader { p.marks.insert(.ipv6FragmentHeader) }
        let payloadOffset = start + header.headerLength
        // IPv6 extension headers may claim lengths that run past the captured bytes.
        guard payloadOffset <= r.bytes.count else {
            p.truncated = true
            return
        }
        // The IP length bounds the payload; frames may carry Ethernet padding after it.
        var payloadEnd = Swift.min(r.bytes.count, start + header.totalLength)
        if version == 4 && header.totalLength == 0 { payloadEnd = r.bytes.count }  // TSO: length 0
        if payloadEnd < start + header.totalLength { p.truncated = true }
        if let fragment = header.fragment, fragment.isFragment {
            p.setLayer(depth, ip: header, transport: .fragment, payloadOffset: payloadOffset,
                       capturedPayloadLength: Swift.max(0, payloadEnd - payloadOffset))
            return
        }
        transportLayer(r, header: header, payloadOffset: payloadOffset, payloadEnd: payloadEnd, depth: depth, &p)
    }

    /// Inlined where it is called: returned, the header was written field by field to a temporary that the caller
    /// read back whole, and perf put the decoder's hottest instructions on those reads (stalls of store forwarding).
    @inline(__always)
    static func ipv4(_ r: ByteReader, at s: Int) -> IPHeader? {
        guard let vihl = r.u8(at: s), vihl >> 4 == 4 else { return nil }
        let ihl = IPv4.headerLength(firstByte: vihl)
        guard ihl >= IPv4.minimumHeaderLength, let total = r.u16(at: s + IPv4.totalLengthOffset),
              let id = r.u16(at: s + IPv4.identificationOffset), let flags = r.u16(at: s + IPv4.flagsOffset),
              let ttl = r.u8(at: s + IPv4.ttlOffset), let proto = r.u8(at: s + IPv4.protocolOffset),
              let src = r.u32(at: s + IPv4.sourceOffset), let dst = r.u32(at: s + IPv4.destinationOffset)
        else { return nil }
        let fragment = FragmentInfo(offset: IPv4.fragmentOffset(flags: flags) * 8,
                                    moreFragments: IPv4.moreFragments(flags: flags), identification: UInt32(id))
        return IPHeader(version: 4, source: IPAddress(ipv4: src), destination: IPAddress(ipv4: dst),
                        protocolNumber: proto, ttl: ttl, totalLength: Int(total), headerLength: ihl,
                        dontFragment: IPv4.dontFragment(flags: flags), fragment: fragment)
    }

    static func ipv6(_ r: ByteReader, at s: Int) -> IPHeader? {
        guard let v = r.u8(at: s), v >> 4 == 6, let payloadLength = r.u16(at: s + IPv6.payloadLengthOffset),
              var next = r.u8(at: s + IPv6.nextHeaderOffset), let hop = r.u8(at: s + IPv6.hopLimitOffset),
              let srcH = r.u64(at: s + IPv6.sourceOffset), let srcL = r.u64(at: s + IPv6.sourceOffset + 8),
              let dstH = r.u64(at: s + IPv6.destinationOffset), let dstL = r.u64(at: s + IPv6.destinationOffset + 8)
        else { return nil }
        var offset = s + IPv6Extension.fixedHeaderLength
        var fragment: FragmentInfo?
        // Walk the extension headers (`IPv6Extension`). A non-first fragment ends the walk: the rest is payload.
        var steps = 0
        while steps < IPv6Extension.maxHeaders, IPv6Extension.isExtension(next) {
            steps += 1
            guard let nh = r.u8(at: offset), let len = r.u8(at: offset + 1) else { return nil }
            if next == IPv6Extension.fragment {
                guard let offM = r.u16(at: offset + 2), let ident = r.u32(at: offset + 4) else { return nil }
                fragment = FragmentInfo(offset: Int(offM & 0xfff8), moreFragments: offM & 1 != 0, identification: ident)
                next = nh
                offset += IPv6Extension.fragmentHeaderLength
                if offM & 0xfff8 != 0 { break }
                continue
            }
            offset += IPv6Extension.length(next, lengthByte: len)!
            next = nh
        }
        return IPHeader(version: 6, source: IPAddress(ipv6High: srcH, low: srcL),
                        destination: IPAddress(ipv6High: dstH, low: dstL), protocolNumber: next, ttl: hop,
                        totalLength: 40 + Int(payloadLength), headerLength: offset - s, dontFragment: true,
                        fragment: fragment)
    }

    // MARK: Transport and tunnels

    /// Sets the layer at `depth` in `p` to `header` and what follows it.
    static func transportLayer(
        _ r: ByteReader, header: IPHeader, payloadOffset o: Int, payloadEnd: Int, depth: Int, _ p: inout DecodedPacket
    ) {
        p.setLayer(depth, ip: header, transport: .other, payloadOffset: o, capturedPayloadLength: Swift.max(0, payloadEnd - o))
        let payloadLength = header.totalLength == 0 ? payloadEnd - o : header.payloadLength
        switch header.protocolNumber {
        case IPProtocol.tcp:
            guard let t = tcp(r, at: o, segmentBytes: payloadLength) else { p.truncated = true; return }
            p.setTransport(depth, .tcp(t))
        case IPProtocol.udp:
            guard let sport = r.u16(at: o), let dport = r.u16(at: o + 2), let len = r.u16(at: o + UDP.lengthOffset) else {
                p.truncated = true
                return
            }
            p.setTransport(depth, .udp(UDPHeader(sourcePort: sport, destinationPort: dport, length: len)))
            if depth == 0 { udpTunnel(r, dport: dport, at: o + UDP.headerLength, end: payloadEnd, &p) }
        case IPProtocol.icmp, IPProtocol.icmpv6:
            guard let icmp = icmp(r, at: o, v6: header.protocolNumber == IPProtocol.icmpv6, end: payloadEnd) else {
                p.truncated = true
                return
            }
            if icmp.isFragmentationNeeded { p.marks.insert(.icmpFragmentationNeeded) }
            if icmp.isPacketTooBig { p.marks.insert(.icmpv6PacketTooBig) }
            if let q = icmp.quoted {
                if q.version == 4 && (q.fragment?.isFragment ?? false) { p.marks.insert(.ipv4Fragment) }
                if q.version == 6 && q.fragment != nil { p.marks.insert(.ipv6FragmentHeader) }
            }
            p.setTransport(depth, .icmp(icmp))
        case IPProtocol.ipInIP, IPProtocol.ipv6InIP:
            if depth == 0 {
                p.tunnel = .ipInIP
                ipLayer(r, at: o, version: header.protocolNumber == IPProtocol.ipInIP ? 4 : 6, depth: 1, &p)
            }
        case GRE.ipProtocol:
            if depth == 0 { gre(r, at: o, &p) }
        default:
            break
        }
    }

    /// Inlined where it is called, as `ipv4` is.
    @inline(__always)
    static func tcp(_ r: ByteReader, at o: Int, segmentBytes: Int) -> TCPHeader? {
        guard let sport = r.u16(at: o), let dport = r.u16(at: o + 2), let seq = r.u32(at: o + TCP.sequenceOffset),
              let ack = r.u32(at: o + TCP.acknowledgmentOffset), let offFlags = r.u16(at: o + TCP.dataOffsetOffset),
              let window = r.u16(at: o + TCP.windowOffset)
        else { return nil }
        let headerLength = TCP.headerLength(dataOffsetByte: UInt8(truncatingIfNeeded: offFlags >> 8))
        var mss: UInt16 = 0
        if headerLength > TCP.minimumHeaderLength {
            // Options: find MSS (kind 2, length 4); stop at end-of-list or anything malformed.
            var i = o + TCP.minimumHeaderLength
            let end = o + headerLength
            while i < end, let kind = r.u8(at: i) {
                if kind == TCP.optionEnd { break }
                if kind == TCP.optionNoOp { i += 1; continue }
                guard let len = r.u8(at: i + 1), len >= 2 else { break }
                if kind == TCP.optionMSS, len == 4, let v = r.u16(at: i + 2) { mss = v }
                i += Int(len)
            }
        }
        return TCPHeader(sourcePort: sport, destinationPort: dport, sequence: seq, acknowledgment: ack,
                         flags: TCPFlags(rawValue: UInt8(truncatingIfNeeded: offFlags)), window: window,
                         headerLength: headerLength, payloadLength: Swift.max(0, segmentBytes - headerLength), mss: mss)
    }

    static func icmp(_ r: ByteReader, at o: Int, v6: Bool, end: Int) -> ICMPMessage? {
        guard let type = r.u8(at: o), let code = r.u8(at: o + 1) else { return nil }
        var message = ICMPMessage(isV6: v6, type: type, code: code, mtu: 0, quoted: nil)
        let isError = v6 ? ICMP.quotesDatagram(v6: type) : ICMP.quotesDatagram(v4: type)
        if !v6 && type == 3 && code == 4 { message.mtu = UInt32(r.u16(at: o + ICMP.fragmentationNeededMTUOffset) ?? 0) }
        if v6 && type == 2 { message.mtu = r.u32(at: o + ICMP.packetTooBigMTUOffset) ?? 0 }
        if isError { message.quoted = quoted(r, at: o + ICMP.quoteOffset, end: end) }
        return message
    }

    /// The IP header (and ports) an ICMP error quotes; nil when too little was quoted.
    static func quoted(_ r: ByteReader, at o: Int, end: Int) -> QuotedDatagram? {
        guard o < end, let b = r.u8(at: o) else { return nil }
        let bounded = ByteReader(UnsafeRawBufferPointer(rebasing: r.bytes[0..<Swift.min(end, r.bytes.count)]))
        guard let h = b >> 4 == 4 ? ipv4(bounded, at: o) : (b >> 4 == 6 ? ipv6(bounded, at: o) : nil) else { return nil }
        var q = QuotedDatagram(source: h.source, destination: h.destination, protocolNumber: h.protocolNumber,
                               totalLength: h.totalLength, fragment: h.fragment, dontFragment: h.dontFragment,
                               version: h.version)
        if h.version == 6 && h.fragment == nil { q.fragment = nil }
        if h.version == 4 && !(h.fragment?.isFragment ?? false) { q.fragment = nil }
        let l4 = o + h.headerLength
        let firstFragment = (h.fragment?.offset ?? 0) == 0
        if firstFragment, h.protocolNumber == IPProtocol.tcp || h.protocolNumber == IPProtocol.udp || h.protocolNumber == IPProtocol.sctp,
           let sp = bounded.u16(at: l4), let dp = bounded.u16(at: l4 + 2) {
            q.sourcePort = sp
            q.destinationPort = dp
        }
        return q
    }

    static func udpTunnel(_ r: ByteReader, dport: UInt16, at o: Int, end: Int, _ p: inout DecodedPacket) {
        if VXLAN.isPort(dport) {
            // The I flag set; the VNI follows in bytes 4–6.
            guard let flags = r.u8(at: o), VXLAN.hasVNI(flags: flags), let word = r.u32(at: o + 4) else { return }
            p.marks.insert(.vxlan)
            p.tunnel = .vxlan(vni: word >> 8, port: dport)
            innerEthernet(r, at: o + VXLAN.headerLength, &p)
        } else if dport == Geneve.port {
            guard let b0 = r.u8(at: o), Geneve.isVersion0(b0), let proto = r.u16(at: o + Geneve.protocolTypeOffset),
                  let word = r.u32(at: o + 4)
            else { return }
            p.marks.insert(.geneve)
            p.tunnel = .geneve(vni: word >> 8)
            innerPayload(r, proto: proto, at: o + Geneve.headerLength(firstByte: b0), &p)
        }
    }

    static func gre(_ r: ByteReader, at o: Int, _ p: inout DecodedPacket) {
        guard let flags = r.u16(at: o), let length = GRE.headerLength(flags: flags), let proto = r.u16(at: o + GRE.protocolTypeOffset)
        else { return }
        p.tunnel = .gre
        innerPayload(r, proto: proto, at: o + length, &p)
    }

    static func innerPayload(_ r: ByteReader, proto: UInt16, at o: Int, _ p: inout DecodedPacket) {
        switch proto {
        case Ethernet.EtherType.transparentBridging: innerEthernet(r, at: o, &p)
        case Ethernet.EtherType.ipv4: ipLayer(r, at: o, version: 4, depth: 1, &p)
        case Ethernet.EtherType.ipv6: ipLayer(r, at: o, version: 6, depth: 1, &p)
        default: break
        }
    }

    static func innerEthernet(_ r: ByteReader, at o: Int, _ p: inout DecodedPacket) {
        var scratch = DecodedPacket(linkType: .ethernet)
        guard let (type, offset) = ethernet(r, at: o, &scratch) else { p.truncated = true; return }
        guard let version = ipVersion(ethertype: type, r, offset), type != 0 else { return }
        ipLayer(r, at: offset, version: version, depth: 1, &p)
    }
}
