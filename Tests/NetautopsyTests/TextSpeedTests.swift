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
        func q(_ d: String) -> Double? {
            let line = "[INFO] 10.244.1.3:40090 - 51243 \"A IN name. udp 54 false 512\" NOERROR qr,aa,rd 106 \(d)"
            if case .query(let q) = CoreDNSLogLine.parse(line[...]) { return q.duration }
            return nil
        }
        #expect(q("0.000205726s") == Double("0.000205726"))
        #expect(q("1.2ms") == 1.2 * 1e-3)
        #expect(q("850µs") == 850 * 1e-6)
        #expect(q("300ns") == 300 * 1e-9)
        #expect(q("1m2.5s") == 62.5)
        #expect(q("2h0m0s") == 7200)
        #expect(q("12") == nil && q("s") == nil && q("1.2.3s") == nil && q("1x") == nil)
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
