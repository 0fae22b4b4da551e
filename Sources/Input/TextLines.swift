import Wire

/// Streams the lines of a text file in bounded memory: a line longer than `maxLineLength` is
/// cut there (the rest of it skipped), and bytes that are not UTF-8 are replaced.
public struct TextLines {
    public static let maxLineLength = 64 * 1024

    /// Calls `body(lineNumber, line)` for each line (1-based); returns the bytes read.
    public static func forEach(_ source: BufferedSource, _ body: (Int, Substring) -> Void) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var line: [UInt8] = []
        var number = 0, total = 0, skipping = false
        func emit() {
            number += 1
            var text = String(decoding: line, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            body(number, text[...])
            line.removeAll(keepingCapacity: true)
        }
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            total += n
            for byte in chunk[0..<n] {
                if byte == 0x0a {
                    if skipping { skipping = false; line.removeAll(keepingCapacity: true); number += 1; continue }
                    emit()
                } else if !skipping {
                    line.append(byte)
                    if line.count >= maxLineLength { emit(); skipping = true; number -= 1 }
                }
            }
        }
        if !line.isEmpty && !skipping { emit() }
        return total
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
