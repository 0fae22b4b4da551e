import Foundation
import Wire

/// Reads another `ByteSource` on a second thread, a few chunks ahead of the consumer, so that
/// decompressing an archive entry (libarchive and zlib) and analyzing its bytes run on two cores
/// at once, as `gzip -dc BUNDLE | analyze` would.
///
/// The inner source is only ever called from the reading thread, and only between the first
/// `read` and `close()`; `close()` waits for that thread to stop. Whoever owns the inner source
/// (the archive walker) must call `close()` before using it, or the archive, again.
public final class ReadAhead: ByteSource {
    /// Chunks in flight and the size of each: 3 × 1 MiB keeps both threads busy at a bounded cost.
    public static let chunks = 3
    public static let chunkSize = 1 << 20

    /// State shared by the two threads, guarded by `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        let inner: ByteSource
        /// Filled chunks waiting for the consumer, in order.
        var ready: [(buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
        /// Emptied chunks the reader may fill.
        var free: [UnsafeMutableRawBufferPointer] = []
        var finished = false
        var failure: Error?
        var stopping = false
        var running = false

        init(inner: ByteSource) { self.inner = inner }

        /// The reading thread's loop: fill a free chunk, queue it, until the end, an error or `close()`.
        func fill() {
            while true {
                condition.lock()
                while free.isEmpty && !stopping { condition.wait() }
                if stopping {
                    running = false
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let chunk = free.removeLast()
                condition.unlock()
                var n = 0
                var error: Error?
                do { n = try inner.read(into: chunk) } catch let e { error = e }
                condition.lock()
                if let error {
                    failure = error
                } else if n > 0 {
                    ready.append((chunk, n))
                } else {
                    finished = true
                }
                let done = error != nil || n <= 0
                if done {
                    free.append(chunk)
                    running = false
                }
                condition.broadcast()
                condition.unlock()
                if done { return }
            }
        }
    }

    private let shared: Shared
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    /// The chunk being handed out and how far.
    private var current: (buffer: UnsafeMutableRawBufferPointer, count: Int)?
    private var offset = 0
    private var started = false

    public init(_ inner: ByteSource) {
        shared = Shared(inner: inner)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if !started { start() }
        if current == nil {
            shared.condition.lock()
            // After `close()` nothing more arrives: the stream ends there.
            while shared.ready.isEmpty && shared.failure == nil && !shared.finished && !shared.stopping { shared.condition.wait() }
            if !shared.ready.isEmpty {
                current = shared.ready.removeFirst()
                offset = 0
            }
            let failure = shared.failure
            shared.condition.unlock()
            guard current != nil else {
                if let failure { throw failure }
                return 0
            }
        }
        let (chunk, count) = current!
        let n = Swift.min(buffer.count, count - offset)
        buffer.baseAddress!.copyMemory(from: chunk.baseAddress! + offset, byteCount: n)
        offset += n
        if offset == count {
            shared.condition.lock()
            shared.free.append(chunk)
            shared.condition.broadcast()
            shared.condition.unlock()
            current = nil
        }
        return n
    }

    private func start() {
        started = true
        buffers = (0..<Self.chunks).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        }
        shared.free = buffers
        shared.running = true
        let shared = self.shared
        Thread.detachNewThread { shared.fill() }
    }

    /// Stops the reading thread and waits for it: the inner source is the caller's again.
    public func close() {
        guard started else { return }
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        while shared.running { shared.condition.wait() }
        shared.condition.unlock()
    }

    deinit {
        close()
        for b in buffers { b.deallocate() }
    }
}
