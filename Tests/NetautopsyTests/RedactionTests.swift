import Foundation
import Input
import Testing
@testable import Autopsy
@testable import Diagnosis
@testable import Redaction
@testable import Reports
@testable import Wire

/// `netautopsy redact`: same findings, no original address left, consistent tokens, checksums right.
@Suite struct RedactionTests {
    static let bundles = ["incident-bundle.tar.gz", "conntrack-full-bundle.tar.gz", "overlay-node", "sample-bundle.tar.gz"]

    /// What a report concludes, without the addresses: check, severity, how much evidence; causes.
    static func conclusions(_ r: Report) -> [String] {
        r.findings.map { "\($0.id) \($0.severity.rawValue) \($0.evidence.count)" }.sorted()
            + r.causes.map { "cause \($0.id) \($0.confidence.rawValue)" }.sorted()
    }

    /// Every file of a bundle, whole.
    static func contents(_ path: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        try BundleWalker().walk(path, file: { f in
            files[f.path] = (try? TextLines.readAll(f.source, limit: 1 << 30).bytes) ?? []
        }, problem: { _ in })
        return files
    }

    @Test(arguments: bundles)
    func redactedBundleGivesTheSameFindings(bundle: String) throws {
        let out = try temporaryDirectory().appendingPathComponent("r.tar.gz").path
        _ = try Redactor().redact(Paths.fixture(bundle), to: out)
        let before = try Autopsy().analyze(Paths.fixture(bundle)), after = try Autopsy().analyze(out)
        #expect(!before.findings.isEmpty)
        #expect(Self.conclusions(after) == Self.conclusions(before))
        #expect(after.captures.totals.packets == before.captures.totals.packets)
        #expect(after.problems.isEmpty, "\(after.problems)")
    }

    /// Every IPv4 and MAC address of the original (found by a regular expression over its text and
    /// by decoding its captures' headers), and every IPv6 address in its captures' headers, is absent from every byte of the output, as text and,
    /// in the captures, as bytes.
    @Test(arguments: ["incident-bundle.tar.gz", "overlay-node", "conntrack-full-bundle.tar.gz"])
    func noOriginalAddressSurvives(bundle: String) throws {
        let out = try temporaryDirectory().appendingPathComponent("r.tar.gz").path
        let redactor = Redactor()
        _ = try redactor.redact(Paths.fixture(bundle), to: out)
        let original = try Self.contents(Paths.fixture(bundle)), redacted = try Self.contents(out)
        #expect(redacted.count >= original.count)

        var v4: Set<UInt32> = [], macs: Set<UInt64> = [], v6: Set<IPAddress> = []
        let quad = try NSRegularExpression(pattern: #"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)"#)
        let mac = try NSRegularExpression(pattern: #"(?<![0-9A-Fa-f:])([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?![0-9A-Fa-f])"#)
        for (path, bytes) in original where Sniffed(Array(bytes.prefix(Sniffed.headLength))) == .text {
            let text = String(decoding: bytes, as: UTF8.self), ns = text as NSString
            for m in quad.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let octets = (1...4).compactMap { UInt32(ns.substring(with: m.range(at: $0))) }
                guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { continue }
                v4.insert(octets.reduce(0) { $0 << 8 | $1 })
            }
            for m in mac.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                macs.insert(UInt64(ns.substring(with: m.range(at: 1)).replacingOccurrences(of: ":", with: ""), radix: 16)!)
            }
            _ = path
        }
        for (_, bytes) in original where [.pcap, .pcapng].contains(Sniffed(Array(bytes.prefix(Sniffed.headLength)))) {
            let (tally, _) = try CaptureHeaders.of(bytes)
            v4.formUnion(tally.v4)
            v6.formUnion(tally.v6)
            macs.formUnion(tally.macs)
        }
        v4 = v4.filter { !Pseudonyms.keptIPv4($0) }
        v6 = v6.filter { redactor.names.ipv6($0) != $0 }
        macs = macs.filter { $0 != 0 && $0 != 0xFFFF_FFFF_FFFF && ($0 >> 40) & 1 == 0 }
        #expect(v4.count >= 3 && !macs.isEmpty)

        for (path, bytes) in redacted {
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            let isCapture = [.pcap, .pcapng].contains(Sniffed(Array(bytes.prefix(Sniffed.headLength))))
            for a in v4 {
                let dotted = IPAddress(ipv4: a).description
                #expect(!Self.containsWord(text, dotted), "\(dotted) in \(path)")
                if isCapture {
                    let raw: [UInt8] = [UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)]
                    #expect(!Self.contains(bytes, raw), "\(dotted) as bytes in \(path)")
                }
            }
            for a in v6 {
                #expect(!text.contains(a.description), "\(a) in \(path)")
                if isCapture {
                    let raw = (0..<16).map { k in UInt8(((k < 8 ? a.high : a.low) >> (56 - 8 * UInt64(k % 8))) & 0xFF) }
                    #expect(!Self.contains(bytes, raw), "\(a) as bytes in \(path)")
                }
            }
            for m in macs {
                #expect(!text.contains(Pseudonyms.macText(m)), "\(Pseudonyms.macText(m)) in \(path)")
                if isCapture {
                    let raw = (0..<6).map { UInt8((m >> (40 - 8 * UInt64($0))) & 0xFF) }
                    #expect(!Self.contains(bytes, raw), "\(Pseudonyms.macText(m)) as bytes in \(path)")
                }
            }
        }
        // The mapping names each of them, and is nowhere in the output.
        let mapping = redactor.names.mapping
        for a in v4 { #expect(mapping.ipv4[IPAddress(ipv4: a).description] != nil) }
        #expect(!redacted.keys.contains { $0.contains("mapping") })
    }

    static func containsWord(_ text: String, _ word: String) -> Bool {
        var search = text.startIndex..<text.endIndex
        while let r = text.range(of: word, range: search) {
            let before = r.lowerBound == text.startIndex ? nil : text[text.index(before: r.lowerBound)]
            let after = r.upperBound == text.endIndex ? nil : text[r.upperBound]
            let digitOrDot: (Character?) -> Bool = { $0.map { $0.isNumber || $0 == "." } ?? false }
            if !digitOrDot(before) && !(after.map(\.isNumber) ?? false) { return true }
            search = r.upperBound..<text.endIndex
        }
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == first && Array(haystack[i..<i + needle.count]) == needle { return true }
            i += 1
        }
        return false
    }

    /// The same original gets the same token in text and in packets; --keep-subnets keeps shared
    /// prefixes (and is the same under the same key); special addresses stay.
    @Test func tokensAreConsistentAndKeepSubnetsKeepsPrefixes() {
        let names = Pseudonyms()
        let text = TextRedactor(names)
        let line = text.redact("nameserver 10.96.0.10 via 10.96.0.10:53 from 0a:58:0a:f4:01:05 to api.example.com. and ff:ff:ff:ff:ff:ff 127.0.0.1")
        #expect(line == "nameserver 240.0.0.1 via 240.0.0.1:53 from 02:00:00:00:00:01 to xaa.xaaaaaa.com. and ff:ff:ff:ff:ff:ff 127.0.0.1"
                || line.hasPrefix("nameserver 240.0.0.1 via 240.0.0.1:53 from 02:00:00:00:00:01 to "), "\(line)")
        #expect(!line.contains("example") && !line.contains("10.96"))
        // Same length labels, kept suffixes, a version number and a sysctl key untouched.
        #expect(text.redact("search default.svc.cluster.local corp.example.com") .hasPrefix("search default.svc.cluster.local "))
        #expect(text.redact("net.ipv4.tcp_mtu_probing = 0 kernel 6.18.44 v1.2.3.4.5.6") == "net.ipv4.tcp_mtu_probing = 0 kernel 6.18.44 v1.2.3.4.5.6")
        // tcpdump's address.port
        #expect(text.redact("IP 10.96.0.10.53 > 10.244.1.5.41000: 1234") == "IP 240.0.0.1.53 > 240.0.0.2.41000: 1234")
        #expect(text.redact("fe80::5847:26ff:fef9:2068 2001:db8::1").hasPrefix("fe80::ffff:ffff:0:"))
        // A name learnt from DNS (dots trimmed, any case) is found in text although its last label is no TLD.
        names.learn(name: "..Billing.Internal-Zone.")
        names.learn(name: "single.")
        names.learn(name: "...")
        #expect(names.knownNames.contains("billing.internal-zone") && !names.knownNames.contains("single") && !names.knownNames.contains(""))
        #expect(!text.redact("upstream billing.internal-zone refused").contains("billing"))

        let a = Pseudonyms(keepSubnets: true, key: "k"), b = Pseudonyms(keepSubnets: true, key: "k")
        let x = a.ipv4(0x0AF4_0105), y = a.ipv4(0x0AF4_0109), z = a.ipv4(0x0AF4_0205)
        #expect(x >> 8 == y >> 8)                       // 10.244.1.5 and 10.244.1.9 share 24 bits
        #expect(x >> 10 == z >> 10 && x >> 8 != z >> 8)   // 10.244.1.5 and 10.244.2.5 share exactly 22
        #expect(x >> 28 == 0xF && b.ipv4(0x0AF4_0105) == x)
        #expect(Pseudonyms(keepSubnets: true, key: "other").ipv4(0x0AF4_0105) != x)
        #expect(a.ipv4(0x7F00_0001) == 0x7F00_0001 && a.ipv4(0xE000_00FB) == 0xE000_00FB)
        // IPv6 pods of one /64 that differ only in their last bits stay distinct, and keep their /64.
        let p1 = a.ipv6(IPAddress("fd00:10:244:1::5")!), p2 = a.ipv6(IPAddress("fd00:10:244:1::6")!)
        #expect(p1 != p2 && p1.high == p2.high && p1.high >> 32 == 0x2001_0DB8)
        // Solicited-node multicast carries 24 bits of an address: tokenised, in the address and its MAC.
        let solicited = a.ipv6(IPAddress("ff02::1:ff12:3456")!)
        #expect(solicited.high == 0xFF02_0000_0000_0000 && solicited.low >> 24 == 0x1FF && solicited.low & 0xFF_FFFF != 0x12_3456)
        #expect(a.mac(0x3333_FF12_3456) == 0x3333_FF00_0000 | (solicited.low & 0xFF_FFFF))
    }

    /// Checksums are right after the rewrite: IPv4 header, UDP over a tokenised DNS answer, TCP SYN,
    /// and ICMP frag-needed with its quoted packet, all verified whole.
    @Test func checksumsStayCorrect() throws {
        let names = Pseudonyms()
        var rewriter = PacketRewriter(names)
        let syn = Self.withChecksums(PacketSketch.tcp(0, "10.244.1.5", 40000, "10.96.0.10", 443, "S").bytes)
        let dns = Self.withChecksums(PacketSketch.dns(0, "10.96.0.10", 53, "10.244.1.5", 41000, id: 7, "api.example.com", rcode: 0).bytes)
        let frag = PacketSketch.fragNeeded(0, from: "10.0.0.1", to: "10.244.1.5", mtu: 1450,
                                           quoting: PacketSketch.tcp(0, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", payload: 1400)).bytes
        for packet in [syn, dns, Self.withChecksums(frag)] {
            #expect(Self.valid(packet), "the test's own packet")
            let out = packet.withUnsafeBytes { rewriter.rewrite($0, linkType: 101) }
            #expect(out.count == packet.count)
            #expect(Self.valid(out))
            #expect(Array(out[12..<20]) != Array(packet[12..<20]))
        }
        let out = dns.withUnsafeBytes { rewriter.rewrite($0, linkType: 101) }
        #expect(!String(decoding: out, as: UTF8.self).contains("example"))
        // A TCP segment's payload is cut after the header; the IP total length still tells its size.
        let data = Self.withChecksums(PacketSketch.tcp(0, "10.244.1.5", 40000, "10.96.0.10", 443, "PA", payload: 500).bytes)
        let cut = data.withUnsafeBytes { rewriter.rewrite($0, linkType: 101) }
        #expect(cut.count == 40 && Int(cut[2]) << 8 | Int(cut[3]) == 540)
    }

    /// Sets the IPv4 header and the TCP/UDP/ICMP checksum of a raw IPv4 packet.
    static func withChecksums(_ packet: [UInt8]) -> [UInt8] {
        var p = packet
        let ihl = Int(p[0] & 0x0F) * 4
        p[10] = 0; p[11] = 0
        let h = PacketRewriter.checksum(p, 0, ihl)
        p[10] = UInt8(h >> 8); p[11] = UInt8(h & 0xFF)
        let field: Int? = switch p[9] { case 6: ihl + 16; case 17: ihl + 6; case 1: ihl + 2; default: nil }
        guard let field else { return p }
        p[field] = 0; p[field + 1] = 0
        var sum = PacketRewriter.sum(p, ihl, p.count, skip: nil)
        if p[9] != 1 { sum += PacketRewriter.sum(p, 12, 20, skip: nil) + UInt32(p[9]) + UInt32(p.count - ihl) }
        let c = ~UInt16(PacketRewriter.fold(sum))
        p[field] = UInt8(c >> 8); p[field + 1] = UInt8(c & 0xFF)
        return p
    }

    static func valid(_ p: [UInt8]) -> Bool {
        let ihl = Int(p[0] & 0x0F) * 4
        guard PacketRewriter.fold(PacketRewriter.sum(p, 0, ihl, skip: nil)) == 0xFFFF else { return false }
        var sum = PacketRewriter.sum(p, ihl, p.count, skip: nil)
        if p[9] != 1 { sum += PacketRewriter.sum(p, 12, 20, skip: nil) + UInt32(p[9]) + UInt32(p.count - ihl) }
        return PacketRewriter.fold(sum) == 0xFFFF
    }

    /// The mapping is written only when asked for, private; the CLI writes nothing else.
    @Test func mappingOnlyOnRequest() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try Shell.run([Paths.executable, "redact", Paths.fixture("incident-bundle.tar.gz"), "-o", dir.appendingPathComponent("a.tar.gz").path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.tar.gz"])
        let mapped = try Shell.run([Paths.executable, "redact", Paths.fixture("incident-bundle.tar.gz"), "-o", dir.appendingPathComponent("b.tar.gz").path,
                                    "--mapping", dir.appendingPathComponent("map.json").path])
        #expect(mapped.status == 0, "\(mapped.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("map.json").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let map = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("map.json"))) as? [String: Any]
        #expect((map?["ipv4"] as? [String: String])?["10.244.58.198"]?.hasPrefix("240.") == true)
        // An output that is a directory is refused, and the directory left as it was.
        let refused = try Shell.run([Paths.executable, "redact", Paths.fixture("incident-bundle.tar.gz"), "-o", dir.path])
        #expect(refused.status != 0 && refused.stderr.contains("--output is a directory"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("map.json").path))
        // A single capture comes back as a capture.
        let pcap = dir.appendingPathComponent("c.pcap").path
        #expect(try Shell.run([Paths.executable, "redact", Paths.fixture("captures/frag-icmp.pcap"), "-o", pcap]).status == 0)
        let head = try BufferedSource(FileSource(path: pcap)).peek(Sniffed.headLength)
        #expect(Sniffed(head) == .pcap)
    }
}

/// Addresses in capture headers, decoded independently of the redactor (IPv4 source and
/// destination, Ethernet and Linux-cooked MACs) through the analyzer's own decoder.
enum CaptureHeaders {
    struct Tally: PacketConsumer {
        var v4: Set<UInt32> = []
        var v6: Set<IPAddress> = []
        var macs: Set<UInt64> = []
        mutating func consume(_ r: PacketRecord) {
            let b = Array(r.bytes)
            func mac(_ o: Int) -> UInt64? { b.count >= o + 6 ? (0..<6).reduce(UInt64(0)) { $0 << 8 | UInt64(b[o + $1]) } : nil }
            var ip = 0
            switch r.linkTypeValue {
            case 1: if let m = mac(0) { macs.insert(m) }; if let m = mac(6) { macs.insert(m) }; ip = 14
            case 113: if let m = mac(6) { macs.insert(m) }; ip = 16
            case 276: if let m = mac(12) { macs.insert(m) }; ip = 20
            case 101: ip = 0
            default: return
            }
            if b.count >= ip + 40, b[ip] >> 4 == 6 {
                for o in [ip + 8, ip + 24] {
                    let word = { (k: Int) in (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[o + k + $1]) } }
                    v6.insert(IPAddress(ipv6High: word(0), low: word(8)))
                }
            }
            guard b.count >= ip + 20, b[ip] >> 4 == 4 else { return }
            for o in [ip + 12, ip + 16] { v4.insert((0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[o + $1]) }) }
        }
    }

    static func of(_ bytes: [UInt8]) throws -> (tally: Tally, outcome: CaptureReadOutcome) {
        let path = try temporaryDirectory().appendingPathComponent("c.pcap").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let source = BufferedSource(try FileSource(path: path))
        let head = try source.peek(Sniffed.headLength)
        var tally = Tally()
        let outcome = CaptureOpener.read(BundleFile(path: "c", sniffed: Sniffed(head), head: head, source: source, declaredSize: nil, diskPath: nil),
                                         into: &tally)
        return (tally, outcome)
    }
}
