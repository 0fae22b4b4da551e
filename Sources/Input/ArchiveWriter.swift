#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CArchive

/// Writes a gzip-compressed tar (pax) of regular files, each copied from a file on disk.
public final class ArchiveWriter {
    private var handle: OpaquePointer?
    public let path: String

    public init(path: String) throws(InputError) {
        self.path = path
        guard let a = archive_write_new() else { throw .archive(path, "libarchive could not allocate a writer") }
        handle = a
        guard archive_write_add_filter_gzip(a) == ARCHIVE_OK, archive_write_set_format_pax_restricted(a) == ARCHIVE_OK,
              archive_write_open_filename(a, path) == ARCHIVE_OK
        else {
            let why = ArchiveReader.errorText(a, fallback: "cannot create")
            archive_write_free(a)
            handle = nil
            throw .archive(path, why)
        }
    }

    /// Adds `name` (mode 0644, mtime 0) with the bytes of the file at `source`.
    public func add(name: String, from source: String) throws(InputError) {
        guard let a = handle else { throw .archive(path, "already closed") }
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(source, String(cString: strerror(errno))) }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .readFailed(source, String(cString: strerror(errno))) }
        guard let entry = archive_entry_new() else { throw .archive(path, "libarchive could not allocate an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, la_int64_t(st.st_size))
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, 0, 0)
        guard archive_write_header(a, entry) == ARCHIVE_OK else {
            throw .archive(path, ArchiveReader.errorText(a, fallback: "cannot write the header of \(name)"))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var left = Int64(st.st_size)
        while left > 0 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, Int(left))) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .readFailed(source, n == 0 ? "shorter than it was" : String(cString: strerror(errno))) }
            let written = chunk.withUnsafeBytes { archive_write_data(a, $0.baseAddress, n) }
            guard written == n else { throw .archive(path, ArchiveReader.errorText(a, fallback: "cannot write \(name)")) }
            left -= Int64(n)
        }
    }

    public func close() throws(InputError) {
        guard let a = handle else { return }
        handle = nil
        let status = archive_write_close(a)
        let why = ArchiveReader.errorText(a, fallback: "cannot finish")
        archive_write_free(a)
        guard status == ARCHIVE_OK else { throw .archive(path, why) }
    }

    deinit { if let a = handle { archive_write_free(a) } }
}
