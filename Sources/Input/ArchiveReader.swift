import CArchive
import Wire

/// Streams the entries of any archive libarchive reads (tar, zip, cpio, 7z…, compressed with
/// gzip, xz, bzip2, zstd…), from a `ByteSource` — so archives nest. Nothing is extracted: entry
/// bytes are read through `ArchiveReader.EntryStream` into bounded buffers.
///
/// With `rawFallback`, a stream that is compressed but not an archive (e.g. `capture.pcap.gz`)
/// comes out as one entry named `data` (libarchive's raw format).
public final class ArchiveReader {
    /// One header of the archive as libarchive reports it.
    public struct Entry: Sendable {
        public enum Kind: Sendable, Equatable {
            case regular, directory, symlink(String), hardlink(String), device, fifo, socket, other
        }
        public var path: String
        public var kind: Kind
        /// The size the header declares (may be absent or a lie).
        public var declaredSize: Int64?
    }

    /// Keeps the source alive and the buffer stable while libarchive reads through the callback.
    final class Context {
        let source: ByteSource
        let buffer: UnsafeMutableRawBufferPointer
        var failure: String?
        init(_ source: ByteSource) {
            self.source = source
            buffer = .allocate(byteCount: 1 << 17, alignment: 16)
        }
        deinit { buffer.deallocate() }
    }

    private let handle: OpaquePointer
    private let context: Unmanaged<Context>
    public let name: String
    /// What the bundle's decompression may cost; this reader adds its bytes in and out.
    private let meter: UnpackMeter?
    /// Whether this reader's input is a file's bytes (not another archive's entry): only those
    /// count as read from disk for the ratio.
    private let fromDisk: Bool
    private var countedIn: Int64 = 0
    private var countedOut: Int64 = 0
    /// Bytes `archive_read_data` returned, and how many of them the meter has: formats that
    /// decompress inside the format reader (zip, 7z, rar…) and sparse entries move no filter counter.
    private var dataOut: Int64 = 0

    public init(_ source: ByteSource, name: String, rawFallback: Bool, meter: UnpackMeter? = nil, fromDisk: Bool = true) throws(InputError) {
        self.meter = meter
        self.fromDisk = fromDisk
        guard let a = archive_read_new() else { throw .archive(name, "libarchive could not allocate a reader") }
        archive_read_support_filter_all(a)
        archive_read_support_format_all(a)
        if rawFallback { archive_read_support_format_raw(a) }
        handle = a
        self.name = name
        context = Unmanaged.passRetained(Context(source))
        let status = archive_read_open(a, context.toOpaque(), nil, { _, client, out in
            guard let client, let out else { return -1 }
            let ctx = Unmanaged<Context>.fromOpaque(client).takeUnretainedValue()
            do {
                let n = try ctx.source.read(into: ctx.buffer)
                out.pointee = UnsafeRawPointer(ctx.buffer.baseAddress)
                return n
            } catch {
                ctx.failure = "\(error)"
                return -1
            }
        }, nil)
        guard status == ARCHIVE_OK else {
            // Every property is set: throwing runs `deinit`, which frees the reader and the context
            // (freeing them here too was a double free, found by fuzzing).
            throw .archive(name, Self.errorText(a, fallback: "not an archive libarchive can read"))
        }
    }

    deinit {
        archive_read_free(handle)
        context.release()
    }

    /// Whether the archive turned out to be a bare compressed stream (libarchive's raw format).
    public var isRaw: Bool { archive_format(handle) == ARCHIVE_FORMAT_RAW }

    /// The next entry header, or nil at the end. A damaged archive throws (naming it).
    public func next() throws(InputError) -> Entry? {
        // Moving on decompresses (skips) the rest of the previous entry: that counts too.
        try account(path: nil)
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        try account(path: nil)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw .archive(name, Self.errorText(handle, fallback: "damaged archive"))
        }
        let path = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
            ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? "(unnamed)"
        var kind: Entry.Kind
        if let target = archive_entry_hardlink(entry) {
            kind = .hardlink(String(cString: target))
        } else {
            switch archive_entry_filetype(entry) & 0o170000 {
            case 0o100000: kind = .regular
            case 0o040000: kind = .directory
            case 0o120000: kind = .symlink(archive_entry_symlink(entry).map { String(cString: $0) } ?? "")
            case 0o020000, 0o060000: kind = .device
            case 0o010000: kind = .fifo
            case 0o140000: kind = .socket
            default: kind = isRaw ? .regular : .other
            }
        }
        let size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
        return Entry(path: path, kind: kind, declaredSize: size)
    }

    /// The current entry's bytes as a stream (valid until `next()` is called again).
    public func entryStream(path: String) -> EntryStream { EntryStream(reader: self, path: path) }

    fileprivate func readData(into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        try account(path: path)
        let n = archive_read_data(handle, buffer.baseAddress, buffer.count)
        if n >= 0 {
            dataOut += Int64(n)
            return n
        }
        let why = context.takeUnretainedValue().failure ?? Self.errorText(handle, fallback: "damaged entry")
        throw InputError.archive("\(name): \(path)", why)
    }

    /// Reads and discards the rest of the current entry, counting it against the meter as it goes
    /// (libarchive's own skip would decompress it in one call, beyond the reach of any limit).
    public func drain(path: String) throws(InputError) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { scratch.deallocate() }
        while true {
            try account(path: path)
            let n = archive_read_data(handle, scratch.baseAddress, scratch.count)
            if n <= 0 { return }        // the end, or damage that `next()` reports
            dataOut += Int64(n)
        }
    }

    /// Adds the bytes decompressed since the last call to the meter (libarchive's counters: raw
    /// bytes read, and bytes out of the last filter), and checks the time budget.
    private func account(path: String?) throws(InputError) {
        guard let meter else { return }
        let bytesIn = archive_filter_bytes(handle, -1), bytesOut = archive_filter_bytes(handle, 0)
        // Whichever says more came out in all: the filters' output, or the entry data handed out.
        let total = max(bytesOut, dataOut)
        let readIn = max(0, bytesIn - countedIn), produced = max(0, total - countedOut)
        countedIn = max(countedIn, bytesIn)
        countedOut = max(countedOut, total)
        do {
            try meter.account(read: fromDisk ? readIn : 0, produced: produced)
            try meter.checkTime()
        } catch {
            throw InputError.limit(path.map { "\(name): \($0)" } ?? name, error.reason)
        }
    }

    static func errorText(_ a: OpaquePointer, fallback: String) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? fallback
    }

    /// An entry's bytes, read with `archive_read_data`.
    public final class EntryStream: ByteSource {
        let reader: ArchiveReader
        let path: String
        init(reader: ArchiveReader, path: String) {
            self.reader = reader
            self.path = path
        }
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try reader.readData(into: buffer, path: path)
        }
    }
}
