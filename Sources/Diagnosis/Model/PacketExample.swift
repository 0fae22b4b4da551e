import Artifacts
import Wire

/// A packet drawn by hand for a check's examples: raw IPv4 bytes (LINKTYPE_RAW) built field by
/// field, with a one-line tshark-like description for `explain` and docs/checks.md.
public struct PacketSketch: Sendable {
    public var seconds: Double
    public var bytes: [UInt8]
    public var summary: String
    /// The capture interface (pcapng interface id) the packet was seen on.
    public var interface: UInt32 = 0

    /// The same packet seen on another capture interface (as `tcpdump -i any` records it).
    public func on(interface: UInt32, at time: Double? = nil) -> PacketSketch {
        var p = self
        p.interface = interface
        if let time { p.seconds = time }
        p.summary = "\(Self.format(p.seconds))" + summary.drop { $0 != " " } + " [interface \(interface)]"
        return p
    }

    /// A TCP segment (`flags` as "S", "SA", "A", "RA", "PA"…) with `payload` bytes.
    public static func tcp(_ at: Double, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                           _ flags: String, seq: UInt32 = 1000, ack: UInt32 = 0, payload: Int = 0, df: Bool = true,
                           window: UInt16 = 65535) -> PacketSketch {
        var bits: UInt8 = 0
        for (c, b) in [("F", 0x01), ("S", 0x02), ("R", 0x04), ("P", 0x08), ("A", 0x10)] as [(Character, UInt8)] where flags.contains(c) { bits |= b }
        var t = be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, bits] + be16(window) + [0, 0, 0, 0]
        t += [UInt8](repeating: 0x61, count: payload)
        let ip = ipv4(src, dst, proto: 6, id: 0x1000, df: df, payload: t)
        let win = window == 65535 ? "" : " win=\(window)"
        return PacketSketch(seconds: at, bytes: ip, summary: "\(format(at)) \(src):\(sport) → \(dst):\(dport) TCP [\(flags)] seq=\(seq) ack=\(ack)\(win) len=\(payload) (IP \(ip.count) bytes\(df ? ", DF" : ""))")
    }

    /// A DNS query, or a response when `rcode` is given, over UDP.
    public static func dns(_ at: Double, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                           id: UInt16, _ name: String, type: UInt16 = 1, rcode: UInt8? = nil) -> PacketSketch {
        let flags: UInt16 = rcode.map { 0x8180 | UInt16($0) } ?? 0x0100
        var msg = be16(id) + be16(flags) + be16(1) + be16(0) + be16(0) + be16(0)
        for label in name.split(separator: ".") { msg += [UInt8(label.utf8.count)] + Array(label.utf8) }
        msg += [0] + be16(type) + be16(1)
        let body = be16(sport) + be16(dport) + be16(UInt16(8 + msg.count)) + [0, 0] + msg
        let ip = ipv4(src, dst, proto: 17, id: id, df: false, payload: body)
        let what = rcode.map { "response 0x\(String(id, radix: 16)) \(DNSMessage.rcodeName($0))" } ?? "query 0x\(String(id, radix: 16))"
        return PacketSketch(seconds: at, bytes: ip, summary: "\(format(at)) \(src):\(sport) → \(dst):\(dport) DNS standard \(what) \(DNSMessage.typeName(type)) \(name)")
    }

    /// SYN, SYN-ACK, ACK from a pod to a Service address.
    /// Steady background traffic: 200 UDP datagrams a second between two pods, from time 0.
    public static func busy(seconds: Double) -> [PacketSketch] {
        (0..<Int(seconds * 200)).map { .udp(Double($0) / 200, "10.244.1.20", 5000, "10.244.1.21", 5001, payload: 100) }
    }

    public static let completedHandshake: [PacketSketch] = [
        .tcp(0, "10.244.1.5", 40000, "10.96.0.10", 443, "S"),
        .tcp(0.001, "10.96.0.10", 443, "10.244.1.5", 40000, "SA", seq: 5000, ack: 1001),
        .tcp(0.002, "10.244.1.5", 40000, "10.96.0.10", 443, "A", seq: 1001, ack: 5001),
    ]

    /// A UDP datagram, or one fragment of it when `fragmentOffset`/`moreFragments` are given
    /// (a non-first fragment carries only payload bytes, no UDP header).
    public static func udp(_ at: Double, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, payload: Int,
                           id: UInt16 = 0x2000, fragmentOffset: Int = 0, moreFragments: Bool = false, df: Bool = false) -> PacketSketch {
        let udpLength = UInt16(8 + payload)
        let body = fragmentOffset == 0
            ? be16(sport) + be16(dport) + be16(udpLength) + [0, 0] + [UInt8](repeating: 0x62, count: moreFragments ? payload - 8 : payload)
            : [UInt8](repeating: 0x62, count: payload)
        let ip = ipv4(src, dst, proto: 17, id: id, df: df, offset: fragmentOffset, more: moreFragments, payload: body)
        let frag = fragmentOffset > 0 || moreFragments ? " fragment off=\(fragmentOffset) MF=\(moreFragments ? 1 : 0) id=0x\(String(id, radix: 16))" : ""
        return PacketSketch(seconds: at, bytes: ip, summary: "\(format(at)) \(src):\(sport) → \(dst):\(dport) UDP\(frag) (IP \(ip.count) bytes)")
    }

    /// ICMP destination unreachable, fragmentation needed (3/4), quoting `original`'s IP header and first 8 bytes.
    public static func fragNeeded(_ at: Double, from router: String, to host: String, mtu: UInt16, quoting original: PacketSketch) -> PacketSketch {
        let quoted = Array(original.bytes.prefix(28))
        var icmp: [UInt8] = [3, 4, 0, 0, 0, 0] + be16(mtu) + quoted
        let c = checksum(icmp)
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xff)
        let ip = ipv4(router, host, proto: 1, id: 0x3000, df: false, payload: icmp)
        return PacketSketch(seconds: at, bytes: ip, summary: "\(format(at)) \(router) → \(host) ICMP 3/4 fragmentation needed, next-hop MTU \(mtu)")
    }

    static func ipv4(_ src: String, _ dst: String, proto: UInt8, id: UInt16, df: Bool, offset: Int = 0, more: Bool = false, payload: [UInt8]) -> [UInt8] {
        let flags: UInt16 = (df ? 0x4000 : 0) | (more ? 0x2000 : 0) | UInt16(offset / 8)
        var h: [UInt8] = [0x45, 0] + be16(UInt16(20 + payload.count)) + be16(id) + be16(flags) + [64, proto, 0, 0]
        h += address(src) + address(dst)
        let c = checksum(h)
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
        return h + payload
    }

    static func address(_ s: String) -> [UInt8] { s.split(separator: ".").map { UInt8($0) ?? 0 } }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func format(_ t: Double) -> String {
        let ms = Int((t * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }
}

extension CheckExample {
    /// An example capture: the sketched packets run through the same analyzer as a real capture
    /// (frames numbered from 1, as Wireshark does). `mustCite` lists frame numbers.
    /// `files` are text files of the same bundle (an `ip -d link` beside the capture, say), and
    /// `mustCiteLines` their `FILE:LINE` citations.
    public init(_ name: String, capture: String = "captures/example.pcap", packets: [PacketSketch], mustCiteFrames: [Int] = [],
                parameters: [String: Double] = [:], files: [(String, [String])] = [], mustCiteLines: [String] = []) {
        let build: @Sendable () -> Facts = {
            var analyzer = CaptureAnalyzer()
            let base: Int64 = 1_714_564_800_000_000_000  // 2024-05-01T12:00:00Z
            for (i, p) in packets.enumerated() {
                p.bytes.withUnsafeBytes { raw in
                    analyzer.consume(PacketRecord(frameNumber: i + 1, timestamp: base + Int64(p.seconds * 1e9), capturedLength: raw.count,
                                                  originalLength: raw.count, linkTypeValue: LinkType.raw.rawValue, interfaceID: p.interface, bytes: raw))
                }
            }
            var builder = FactsBuilder()
            for (path, lines) in files {
                let text = lines.joined(separator: "\n")
                builder.add(path: path, kind: ArtifactKind.classifyText(path: path, head: String(text.prefix(4096))), text: text)
            }
            builder.finish()
            var facts = builder.facts
            facts.captures = [CaptureFacts(file: capture, format: "pcap", summary: analyzer.finish(), readError: nil)]
            return facts
        }
        var lines = packets.enumerated().map { "\($0.offset + 1)  \($0.element.summary)" }
        if lines.count > 40 {  // long runs of background traffic are elided in the listing
            lines.replaceSubrange(8..<(lines.count - 8), with: ["⋮  (frames 9–\(lines.count - 8) elided)"])
        }
        let listing = lines.joined(separator: "\n")
        self.init(name, facts: build, mustCite: mustCiteFrames.map { "\(capture)#\($0)" } + mustCiteLines)
        self.files = [(path: capture, text: listing)] + files.map { (path: $0.0, text: $0.1.joined(separator: "\n")) }
        self.parameters = parameters
    }
}
