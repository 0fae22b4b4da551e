#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Wire

/// Streams the lines of a text file in bounded memory: a line longer than `maxLineLength` is
/// cut there (the rest of it skipped), and a trailing CR is dropped (CRLF files).
public struct TextLines {
    public static let maxLineLength = 64 * 1024
    static let chunkSize = 1 << 18

    /// Calls `body(lineNumber, bytes)` for each line (1-based), without its line end; the bytes are
    /// valid only during the call. Lines are split with memchr inside a reused chunk buffer; only a
    /// line that crosses a chunk boundary is copied. Returns the bytes read.
    public static func forEachLine(_ source: BufferedSource, maxLineLength: Int = maxLineLength,
                                   _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) throws -> Int {
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var carry: [UInt8] = []
        carry.reserveCapacity(1024)
        var number = 0, total = 0, skipping = false

        @inline(__always) func emit(_ p: UnsafePointer<UInt8>, _ count: Int) {
            number += 1
            var n = count
            if n > 0, p[n - 1] == 0x0d { n -= 1 }
            body(number, UnsafeBufferPointer(start: p, count: n))
        }
        func emitCarry() {
            carry.withUnsafeBufferPointer { b in emit(b.baseAddress ?? UnsafePointer(chunk), b.count) }
            carry.removeAll(keepingCapacity: true)
        }

        while true {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: chunk, count: chunkSize))
            if n == 0 { break }
            total += n
            var start = 0
            while start < n {
                let p = UnsafePointer(chunk) + start
                let remaining = n - start
                guard let nl = memchr(p, 0x0a, remaining) else {
                    // No line end in the rest of the chunk: keep it for the next one.
                    if !skipping {
                        let room = maxLineLength - carry.count
                        carry.append(contentsOf: UnsafeBufferPointer(start: p, count: min(room, remaining)))
                        if carry.count >= maxLineLength { emitCarry(); skipping = true }
                    }
                    break
                }
                let length = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p
                if skipping {
                    skipping = false
                } else if carry.isEmpty {
                    if length >= maxLineLength { emit(p, maxLineLength) } else { emit(p, length) }
                } else {
                    let room = maxLineLength - carry.count
                    carry.append(contentsOf: UnsafeBufferPointer(start: p, count: min(room, length)))
                    emitCarry()
                }
                start += length + 1
            }
        }
        if !carry.isEmpty, !skipping { emitCarry() }
        return total
    }

    /// Calls `body(lineNumber, line)` for each line (1-based), as text (bytes that are not UTF-8
    /// are replaced); returns the bytes read. For parsers that want every line as a string.
    public static func forEach(_ source: BufferedSource, _ body: (Int, Substring) -> Void) throws -> Int {
        try forEachLine(source) { number, bytes in body(number, String(decoding: bytes, as: UTF8.self)[...]) }
    }

    /// Reads a whole (small) file: up to `limit` bytes are returned, the rest is read and
    /// counted but dropped. Returns the bytes kept and the total size.
    public static func readAll(_ source: BufferedSource, limit: Int) throws -> (bytes: [UInt8], total: Int) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var kept: [UInt8] = []
        var total = 0
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            total += n
            if kept.count < limit { kept.append(contentsOf: chunk[0..<min(n, limit - kept.count)]) }
        }
        return (kept, total)
    }
}
