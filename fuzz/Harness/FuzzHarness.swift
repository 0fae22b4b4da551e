#if canImport(Glibc)
import Glibc
#endif
import Artifacts
import Diagnosis
import Foundation
import Input
import Redaction
import Wire

/// The fuzz targets (docs/security.md): one per parser of untrusted input. Each takes arbitrary
/// bytes and must return, whatever they are, without a trap, a sanitizer report or a hang.
/// `fuzz/run.sh` builds each as a libFuzzer binary; without `-D FUZZING` the same binaries replay
/// files, and `FuzzRegressionTests` replays `fuzz/regressions/` through `FuzzTarget.run`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A pcap or pcapng file through the capture readers and the whole capture analysis.
    case capture
    /// One frame (2 bytes of LINKTYPE_, big-endian, then the frame) through decoding and the flow trackers.
    case packet
    /// A DNS message through `DNSMessage.parse`.
    case dns
    /// An archive (any format and filter libarchive reads) through `ArchiveReader`, every entry read.
    case archive
    /// A collector manifest through `BundleManifest.parse`.
    case manifest
    /// fio output (JSON or text) through `FioResult.parse`.
    case fio
    /// Text through one line parser, chosen by `NETAUTOPSY_FUZZ_KIND` (an `ArtifactKind`, e.g.
    /// `sysctl`) or, when unset, by the first byte; then every check over the facts.
    case text
    /// A file's path (the first line) and first bytes (the rest) through `PathRules.classify`, and
    /// the path through the sysctl key it names (`SysctlSettings.key(fromPath:)`).
    case classify
    /// `netautopsy redact`: a frame through `PacketRewriter` (2 bytes of link type first), and the
    /// bytes as lines through `TextRedactor`.
    case redact

    /// `NETAUTOPSY_FUZZ_KIND`, read once.
    static let chosenKind = ProcessInfo.processInfo.environment["NETAUTOPSY_FUZZ_KIND"].flatMap(ArtifactKind.init(rawValue:))

    /// The line parsers `text` chooses from.
    public static let textKinds: [ArtifactKind] = ArtifactKind.allCases.filter {
        ![.capture, .manifest, .fio, .text, .binary, .redaction].contains($0)
    }

    public func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .capture: Self.capture(Array(data))
        case .packet: Self.packet(data)
        case .dns:
            let bytes = Array(data)
            bytes.withUnsafeBytes { raw in _ = DNSMessage.parse(ByteReader(raw), at: 0, end: raw.count) }
        case .archive: Self.archive(Array(data))
        case .manifest: _ = try? BundleManifest.parse(data)
        case .fio: _ = try? FioResult.parse(String(decoding: data, as: UTF8.self))
        case .text: Self.text(Array(data))
        case .classify: Self.classify(Array(data))
        case .redact: Self.redact(data)
        }
    }

    static func source(_ bytes: [UInt8]) -> BufferedSource { BufferedSource(MemorySource(bytes)) }

    static func capture(_ bytes: [UInt8]) {
        let source = source(bytes)
        guard let head = try? source.peek(Sniffed.headLength) else { return }
        let sniffed = Sniffed(head)
        guard sniffed == .pcap || sniffed == .pcapng else { return }
        var analyzer = CaptureAnalyzer()
        let file = BundleFile(path: "fuzz.pcap", sniffed: sniffed, head: head, source: source, declaredSize: nil, diskPath: nil)
        let outcome = CaptureOpener.read(file, into: &analyzer)
        var builder = FactsBuilder()
        builder.facts.captures.append(CaptureFacts(file: "fuzz.pcap", format: outcome.format, summary: analyzer.finish(),
                                                   readError: outcome.error, interfaces: outcome.interfaces))
        _ = CheckCatalog.run(builder.facts, settings: CheckSettings())
    }

    static func packet(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let linkType = UInt16(data[0]) << 8 | UInt16(data[1])
        let frame = UnsafeRawBufferPointer(rebasing: data[2...])
        var analyzer = CaptureAnalyzer()
        // Twice, a second apart: the second copy exercises the flow state the first left.
        for i in 0..<2 {
            analyzer.consume(PacketRecord(frameNumber: i + 1, timestamp: 1_700_000_000_000_000_000 + Int64(i) * 1_000_000_000,
                                          capturedLength: frame.count, originalLength: frame.count + 100,
                                          linkTypeValue: linkType, interfaceID: 0, bytes: frame))
        }
        _ = analyzer.finish()
    }

    static func archive(_ bytes: [UInt8]) {
        guard let reader = try? ArchiveReader(source(bytes), name: "fuzz", rawFallback: true,
                                              meter: UnpackMeter(UnpackLimits.fuzzing), fromDisk: true) else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        for _ in 0..<10_000 {
            guard let entry = try? reader.next() else { return }
            _ = BundleWalker.skipReason(entry)
            let stream = reader.entryStream(path: entry.path)
            while let n = try? stream.read(into: buffer), n > 0 {}
        }
    }

    static func text(_ bytes: [UInt8]) {
        var body = bytes[...]
        let kind: ArtifactKind
        if let chosen = chosenKind {
            kind = chosen
        } else {
            guard let first = body.popFirst() else { return }
            kind = textKinds[Int(first) % textKinds.count]
        }
        var builder = FactsBuilder()
        if kind.isWholeDocument {
            _ = builder.addDocument(path: "fuzz/\(kind.rawValue).json", kind: kind, bytes: Array(body))
        } else {
            // Half the inputs as a copied /proc/sys file (the first line is the value of the path's key).
            let path = kind == .sysctl && body.count % 2 == 1 ? "fuzz/proc/sys/net/ipv4/ip_forward" : "fuzz/\(kind.rawValue).txt"
            builder.begin(path: path, kind: kind)
            _ = try? TextLines.forEachLine(source(Array(body))) { number, line in builder.feed(bytes: line, number: number) }
            _ = builder.end()
        }
        builder.finish()
        _ = CheckCatalog.run(builder.facts, settings: CheckSettings())
    }

    static func classify(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let path = String(decoding: bytes[..<newline], as: UTF8.self)
        let head = String(decoding: bytes[min(newline + 1, bytes.count)...].prefix(4096), as: UTF8.self)
        _ = PathRules.classify(path: path, head: head)
        _ = SysctlSettings.key(fromPath: path)
    }

    static func redact(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let names = Pseudonyms(key: "fuzz")
        var rewriter = PacketRewriter(names)
        let out = rewriter.rewrite(UnsafeRawBufferPointer(rebasing: data[2...]), linkType: UInt16(data[0]) << 8 | UInt16(data[1]))
        precondition(out.count <= data.count - 2, "a rewritten frame grew")
        let text = TextRedactor(names)
        _ = try? TextLines.forEach(source(Array(data))) { _, line in _ = text.redact(line) }
    }

    /// The entry point of each fuzz binary: libFuzzer's driver when built with `-D FUZZING`,
    /// otherwise a replay of the files and directories given as arguments.
    public static func main(_ target: FuzzTarget) -> Never {
        current = target
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in
            FuzzTarget.current.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }))
        #else
        var inputs = 0
        for argument in CommandLine.arguments.dropFirst() where !argument.hasPrefix("-") {
            for file in files(argument) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.run($0) }
                inputs += 1
            }
        }
        print("fuzz-\(target.rawValue): \(inputs) inputs replayed without a failure")
        exit(0)
        #endif
    }

    nonisolated(unsafe) static var current = FuzzTarget.capture

    /// A file, or the files of a directory (sorted).
    public static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().filter { !$0.hasPrefix(".") }
            .map { path + "/" + $0 }
    }
}

extension UnpackLimits {
    /// Small caps, so that a fuzzed archive cannot make one input take seconds.
    static var fuzzing: UnpackLimits {
        var l = UnpackLimits()
        l.maxUnpackedBytes = 16 << 20
        l.ratioFloor = 1 << 20
        return l
    }
}

/// Bytes in memory as a `ByteSource`, read in pieces of varying size like a file.
final class MemorySource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, 4093)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

/// libFuzzer links its own `main` and requires this symbol; the binaries' `main` (the driver) wins.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.current.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
