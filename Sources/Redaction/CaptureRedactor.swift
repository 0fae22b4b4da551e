#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Input
import Wire

/// A file written front to back through a buffer; errors are kept and reported once at `close`.
final class OutputFile {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var failure: String?
    private(set) var bytes = 0

    init(path: String) throws(RedactionError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotWrite(path, String(cString: strerror(errno))) }
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ b: some Sequence<UInt8>) {
        buffer.append(contentsOf: b)
        if buffer.count >= 1 << 16 { flush() }
    }

    func le32(_ v: UInt32) {
        buffer.append(UInt8(v & 0xFF)); buffer.append(UInt8(v >> 8 & 0xFF))
        buffer.append(UInt8(v >> 16 & 0xFF)); buffer.append(UInt8(v >> 24))
    }

    func le16(_ v: UInt16) {
        buffer.append(UInt8(v & 0xFF)); buffer.append(UInt8(v >> 8))
    }

    /// Appends the whole content of the file at `path`, read in chunks.
    func append(file path: String) throws(RedactionError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotWrite(self.path, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw .cannotWrite(self.path, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return }
            write(chunk[0..<n])
        }
    }

    func flush() {
        guard failure == nil, !buffer.isEmpty else { buffer.removeAll(keepingCapacity: true); return }
        var done = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        bytes += done
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws(RedactionError) {
        flush()
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        if let failure { throw .cannotWrite(path, failure) }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }
}

/// Receives a capture's frames and writes them redacted (`PacketRewriter`): pcap stays pcap (with
/// nanosecond timestamps), pcapng becomes pcapng with the same interfaces (link type, snap
/// length, name) and their drop counts, and nothing else: comments, name-resolution and
/// decryption-secret blocks and every other option are left out.
struct CaptureRedactor: PacketConsumer {
    var rewriter: PacketRewriter
    let pcapng: Bool
    /// Where frames go: the file itself (pcap), or a scratch file of EPBs put together at `finish`.
    let frames: OutputFile
    private var wroteHeader = false
    private(set) var count = 0
    /// Frames the snap length had cut before the redaction.
    private(set) var truncatedBefore = 0

    init(names: Pseudonyms, pcapng: Bool, frames: OutputFile) {
        rewriter = PacketRewriter(names)
        self.pcapng = pcapng
        self.frames = frames
    }

    mutating func consume(_ record: PacketRecord) {
        // Written field by field into the file's buffer: no allocation per frame.
        let bytes = rewriter.rewriteInPlace(record.bytes, linkType: record.linkTypeValue)
        let ns = UInt64(record.timestamp ?? 0)
        count += 1
        if record.capturedLength < record.originalLength { truncatedBefore += 1 }
        if pcapng {
            let padded = (bytes.count + 3) & ~3
            frames.le32(6)
            frames.le32(UInt32(32 + padded))
            frames.le32(record.interfaceID)
            frames.le32(UInt32(ns >> 32))
            frames.le32(UInt32(ns & 0xFFFF_FFFF))
            frames.le32(UInt32(bytes.count))
            frames.le32(UInt32(clamping: record.originalLength))
            frames.write(bytes)
            for _ in bytes.count..<padded { frames.write(CollectionOfOne(0)) }
            frames.le32(UInt32(32 + padded))
        } else {
            if !wroteHeader { writePcapHeader(linkType: record.linkTypeValue) }
            frames.le32(UInt32(clamping: ns / 1_000_000_000))
            frames.le32(UInt32(ns % 1_000_000_000))
            frames.le32(UInt32(bytes.count))
            frames.le32(UInt32(clamping: record.originalLength))
            frames.write(bytes)
        }
    }

    mutating func writePcapHeader(linkType: UInt16) {
        wroteHeader = true
        frames.write(Self.le32(0xA1B2_3C4D) + Self.le16(2) + Self.le16(4) + Self.le32(0) + Self.le32(0)
                     + Self.le32(262_144) + Self.le32(UInt32(linkType)))
    }

    /// pcapng: section header and interfaces, then the frames, then the interface statistics.
    static func assemblePcapng(to out: OutputFile, interfaces: [CaptureInterface], frames: String, text: TextRedactor) throws(RedactionError) {
        out.write(le32(0x0A0D_0D0A) + le32(28) + le32(0x1A2B_3C4D) + le16(1) + le16(0) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF)
                  + le32(28))
        for i in interfaces {
            var options: [UInt8] = []
            if let name = i.name, !name.isEmpty {
                let bytes = Array(text.redact(name[...]).utf8.prefix(255))
                options += le16(2) + le16(UInt16(bytes.count)) + bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
            }
            options += le16(9) + le16(1) + [9, 0, 0, 0]      // if_tsresol: nanoseconds
            options += le16(0) + le16(0)
            let length = UInt32(20 + options.count)
            out.write(le32(1) + le32(length) + le16(i.linkTypeValue) + le16(0) + le32(i.snapLength) + options + le32(length))
        }
        try out.append(file: frames)
        for (id, i) in interfaces.enumerated() {
            guard let dropped = i.droppedPackets else { continue }
            let options = le16(5) + le16(8) + le32(UInt32(dropped & 0xFFFF_FFFF)) + le32(UInt32(dropped >> 32)) + le16(0) + le16(0)
            // isb_ifdrop is a u64 in the file's byte order: low word first in little-endian.
            let length = UInt32(24 + options.count)
            out.write(le32(5) + le32(length) + le32(UInt32(id)) + le32(0) + le32(0) + options + le32(length))
        }
    }

    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
}

/// Why a redaction could not be written; each names the file.
public enum RedactionError: Error, CustomStringConvertible, Sendable {
    case cannotWrite(String, String)
    case input(String)

    public var description: String {
        switch self {
        case .cannotWrite(let p, let why): "\(p): cannot write: \(why)"
        case .input(let why): why
        }
    }
}
