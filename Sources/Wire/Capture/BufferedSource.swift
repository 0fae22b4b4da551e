/// Reads exact byte counts from a `ByteSource` through one reusable buffer.
public final class BufferedSource: ByteSource {
    private let source: ByteSource
    @usableFromInline var buffer: [UInt8]
    @usableFromInline var start = 0
    private var end = 0
    private var finished = false
    /// Bytes handed out so far (the position in the underlying stream).
    public private(set) var position: Int = 0

    public init(_ source: ByteSource, capacity: Int = 1 << 18) {
        self.source = source
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// Makes at least `count` bytes available; returns how many are (fewer only at the end).
    @discardableResult
    public func fill(_ count: Int) throws -> Int {
        if end - start >= count || finished { return end - start }
        if start > 0 {
            buffer.withUnsafeMutableBytes { b in
                b.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer.append(contentsOf: repeatElement(0, count: count - buffer.count)) }
        while end < count && !finished {
            let n = try buffer.withUnsafeMutableBytes { b in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end...]))
            }
            if n <= 0 { finished = true } else { end += n }
        }
        return end - start
    }

    /// Calls `body` with exactly `count` bytes, or returns nil (without consuming) if the stream ends first.
    public func withBytes<T>(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        guard try fill(count) >= count else { return nil }
        let result = try buffer.withUnsafeBytes { b in try body(UnsafeRawBufferPointer(rebasing: b[start..<start + count])) }
        start += count
        position += count
        return result
    }

    /// The byte `index` positions ahead, without consuming; the caller has `fill`ed past it.
    @inlinable public func byte(_ index: Int) -> UInt8 { buffer[start + index] }

    /// Looks at up to `count` bytes without consuming them.
    public func peek(_ count: Int) throws -> [UInt8] {
        let n = Swift.min(try fill(count), count)
        return Array(buffer[start..<start + n])
    }

    /// Copies up to `out.count` bytes out (for handing the stream to another reader).
    public func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if end == start {
            if finished { return 0 }
            // Large reads bypass the buffer.
            if out.count >= buffer.count {
                let n = try source.read(into: out)
                if n <= 0 { finished = true; return 0 }
                position += n
                return n
            }
            try fill(1)
            if end == start { return 0 }
        }
        let n = Swift.min(out.count, end - start)
        buffer.withUnsafeBytes { b in out.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: n) }
        start += n
        position += n
        return n
    }

    /// Whether the stream ended with bytes left over that `withBytes` could not satisfy.
    public var hasLeftover: Bool { end > start }
}
