import Foundation
import Testing
@testable import Artifacts
@testable import Diagnosis
import Input
import Wire

/// The byte-level text path: line splitting, the keyword prefilter, and the byte parsers agree
/// with the plain definitions they replace.
@Suite struct TextSpeedTests {
    /// Gives its bytes in pieces of a fixed size, so that lines cross every kind of boundary.
    final class PieceSource: ByteSource {
        let bytes: [UInt8], piece: Int
        var offset = 0
        init(_ bytes: [UInt8], piece: Int) { self.bytes = bytes; self.piece = piece }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, bytes.count - offset, piece)
            guard n > 0 else { return 0 }
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            return n
        }
    }

    static func lines(_ bytes: [UInt8], piece: Int, max: Int) throws -> [String] {
        var out: [String] = []
        var numbers: [Int] = []
        _ = try TextLines.forEachLine(BufferedSource(PieceSource(bytes, piece: piece), capacity: 64), maxLineLength: max) { n, line in
            numbers.append(n)
            out.append(String(decoding: line, as: UTF8.self))
        }
        #expect(numbers == Array(0..<numbers.count).map { $0 + 1 })
        return out
    }

    /// The definition: split at LF, drop one CR before it, cut at `max` bytes, no line after a final LF.
    static func expected(_ text: String, max: Int) -> [String] {
        // On bytes: a String's "\r\n" is one Character.
        var parts = Array(text.utf8).split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        if parts.last == [] { parts.removeLast() }
        return parts.map { p in
            var cut = Array(p.prefix(max))
            if cut.last == 0x0d { cut.removeLast() }
            return String(decoding: cut, as: UTF8.self)
        }
    }

    @Test(arguments: [1, 3, 7, 64, 4093])
    func linesSplitLikeTheDefinition(piece: Int) throws {
        let text = "first\r\n\nsecond line\nthis one is far longer than the limit of twenty bytes\r\n\r\nx\rnot an end\n"
            + String(repeating: "y", count: 45) + "\nlast without end"
        let got = try Self.lines(Array(text.utf8), piece: piece, max: 20), want = Self.expected(text, max: 20)
        #expect(got == want, "\(got) \(want)")
        #expect(try Self.lines(Array("a\n".utf8), piece: piece, max: 20) == ["a"])
        #expect(try Self.lines([], piece: piece, max: 20) == [])
        #expect(try Self.lines(Array("\n\n".utf8), piece: piece, max: 20) == ["", ""])
    }

    /// Every line the parsers recognise in the repo's real and public text carries a prefilter
    /// hit for its consumer: the prefilter never hides a line from a parser.
    @Test func prefilterNeverHidesAMatchingLine() throws {
        var texts: [(String, String)] = []
        for dir in ["public-text", "text", "node"] {
            let folder = Paths.fixtures.appendingPathComponent(dir)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
                if let t = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) { texts.append((name, t)) }
            }
        }
        for check in CheckCatalog.all {
            for example in check.description.passingExamples + check.description.failingExamples { for f in example.files { texts.append((f.path, f.text)) } }
        }
        var kernel = 0, pathMTU = 0, dnsErrors = 0
        for (name, text) in texts {
            for line in text.split(separator: "\n") {
                var copy = String(line)
                let hits = copy.withUTF8 { FactsBuilder.needles.scan($0) }
                if KernelEvent.match(KernelLogLine(line).message) != nil {
                    kernel += 1
                    #expect(hits & FactsBuilder.kernelHits != 0, "\(name): \(line)")
                }
                if PathMTUTextMatch.scan(line) != nil {
                    pathMTU += 1
                    #expect(hits & FactsBuilder.pathMTUHits != 0, "\(name): \(line)")
                }
                // CoreDNS logs have no prefilter: every line is read, and an errors line is kept.
                if case .error = CoreDNSLogLine.parse(line) {
                    dnsErrors += 1
                    var b = FactsBuilder()
                    _ = b.add(path: name, kind: .corednsLog, text: String(line))
                    #expect(b.facts.coreDNS.errors.count == 1, "\(name): \(line)")
                }
            }
        }
        // The corpus exercises every consumer (the test cannot pass by matching nothing).
        #expect(kernel > 40)
        #expect(pathMTU > 5)
        #expect(dnsErrors > 10)
    }

    @Test func needlesFoldCaseAndFindEveryOccurrence() {
        let n = ByteNeedles(["table full", "xy", "xyz", "zz"])
        func scan(_ s: String) -> UInt64 { var c = s; return c.withUTF8 { n.scan($0) } }
        #expect(scan("nf_conntrack: TABLE FULL, dropping packet") == 0b0001)
        #expect(scan("aaxyzaa") == 0b0110)
        #expect(scan("XY") == 0b0010)
        #expect(scan("a") == 0 && scan("") == 0 && scan("table ful") == 0)
        #expect(scan("zzz") == 0b1000)
    }

    @Test func goDurations() {
        func parsed(_ d: String) -> CoreDNSQuery? {
            let line = "[INFO] 10.244.1.3:40090 - 51243 \"A IN name. udp 54 false 512\" NOERROR qr,aa,rd 106 \(d)"
            if case .query(let q) = CoreDNSLogLine.parse(line[...]) { return q }
            return nil
        }
        func q(_ d: String) -> Double? { parsed(d)?.duration }
        func ns(_ d: String) -> Int64? {
            var line = "[INFO] 10.244.1.3:40090 - 51243 \"A IN name. udp 54 false 512\" NOERROR qr,aa,rd 106 \(d)"
            return line.withUTF8 { b in
                var f = CoreDNSQueryFields()
                guard case .query = CoreDNSLogLine.scan(bytes: b, into: &f) else { return nil }
                return f.nanoseconds
            }
        }
        // seconds as CoreDNS prints them: the same double as reading the decimal
        #expect(q("0.000205726s") == Double("0.000205726"))
        #expect(q("0.0000988s") == Double("0.0000988") && ns("0.0000988s") == 98_800)
        #expect(q("12.5s") == 12.5)
        // time.Duration.String's forms, exact in nanoseconds
        #expect(ns("1.2ms") == 1_200_000 && q("1.2ms") == 0.0012)
        #expect(ns("850µs") == 850_000 && ns("850μs") == 850_000 && ns("1.5us") == 1_500)
        #expect(ns("300ns") == 300)
        #expect(ns("1m2.5s") == 62_500_000_000 && q("1m2.5s") == 62.5)
        #expect(ns("2h0m0s") == 7_200_000_000_000)
        #expect(ns("1.999999999999h") == 7_199_999_996_400)  // nine fraction digits are read
        #expect(ns("0.0000000019s") == 1)
        #expect(ns("9999999999h") == nil)  // past Int64
        #expect(q("12") == nil && q("s") == nil && q("1.2.3s") == nil && q("1x") == nil && q(".s") == nil)
    }

    /// The inline search (eight bytes at a time over a range's first 96 bytes, then memchr) finds
    /// the first byte wherever it is, at every alignment, and nothing past the range.
    @Test func byteSearchFindsTheFirstOccurrence() {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 300)
        bytes.withUnsafeMutableBufferPointer { m in
            let b = UnsafeBufferPointer(m)
            for lo in [0, 1, 5, 7, 8] {
                for hi in [lo, lo + 1, lo + 7, lo + 8, lo + 9, lo + 95, lo + 96, lo + 97, 200, 300] where hi <= 300 {
                    #expect(Bytes.index(of: UInt8(ascii: "x"), in: b, lo..<hi) == nil)
                    for at in Set([lo, lo + 3, lo + 8, lo + 63, lo + 95, lo + 96, lo + 150, hi - 1, hi]) where at >= 0 && at < 300 {
                        m[at] = UInt8(ascii: "x")
                        m[min(at + 1, 299)] = UInt8(ascii: "x")  // a second one after it
                        let expected: Int? = (lo..<hi).contains(at) ? at : (at + 1 < hi && at + 1 >= lo ? at + 1 : nil)
                        #expect(Bytes.index(of: UInt8(ascii: "x"), in: b, lo..<hi) == expected, "\(lo)..<\(hi) at \(at)")
                        m[at] = UInt8(ascii: "a"); m[min(at + 1, 299)] = UInt8(ascii: "a")
                    }
                }
            }
            m[0] = 0x80; m[1] = 0x01  // high and low bytes around the needle do not disturb the flags
            m[2] = UInt8(ascii: "x")
            #expect(Bytes.index(of: UInt8(ascii: "x"), in: b, 0..<300) == 2)
        }
    }

    /// Integers read without per-digit checks up to 18 digits, with them past that, as `Int(_:)`.
    @Test func integersReadLikeInt() {
        for s in ["0", "7", "007", "-5", "+5", "123456789012345678", "1234567890123456789", "9223372036854775807",
                  "9223372036854775808", "-9223372036854775808", "12a", "a12", "", "-", "1 2"] {
            var copy = s
            let v = copy.withUTF8 { Bytes.int($0, 0..<$0.count) }
            #expect(v == Int(s), "\(s)")
        }
    }

    /// The common rcodes are told apart by one 8-byte word; anything else is counted by name.
    @Test func rcodesByWord() {
        func index(_ s: String) -> Int? { var c = s; return c.withUTF8 { CoreDNSLogFacts.rcodeIndex($0) } }
        for (i, name) in CoreDNSLogFacts.commonRcodes.enumerated() { #expect(index(name) == i, "\(name)") }
        for other in ["NOERRO", "NOERRORX", "nxdomain", "NXDOMAIM", "BADCOOKIE", "YXDOMAIN", "", "NOTAUTH", "SERVFAIL ", "NOTIMP\u{0}", "NOERROR\u{0}"] {
            #expect(index(other) == nil, "\(other)")
        }
        // the word of a field inside a longer line stops at the field's end
        var line = "NXDOMAIN qr,aa,rd"
        #expect(line.withUTF8 { CoreDNSLogFacts.rcodeIndex(UnsafeBufferPointer(rebasing: $0[0..<8])) } == CoreDNSLogFacts.nxDomain)
        #expect(line.withUTF8 { CoreDNSLogFacts.rcodeIndex(UnsafeBufferPointer(rebasing: $0[0..<7])) } == nil)
    }

    @Test func decimalsReadLikeStrtod() {
        for s in ["0", "12", "0.000205726", "1.5", "123456789012345", "0.1", "99999.99999", "1.", ".5",
                  "12345678901234567890.5", "0.0000000000000000000000001"] {
            var copy = s
            let v = copy.withUTF8 { Bytes.decimal($0, 0..<$0.count) }
            #expect(v == Double(s), "\(s)")
        }
    }
}
