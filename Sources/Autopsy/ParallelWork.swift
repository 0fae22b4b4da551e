import Foundation

/// Runs independent pieces of work on a fixed number of threads.
enum ParallelWork {
    /// `body` applied to every element on up to `jobs` threads; the results in the elements' order.
    static func map<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
        if items.count <= 1 || jobs <= 1 { return items.map(body) }
        let results = Results<R>(count: items.count)
        // concurrentPerform runs on the calling thread too, so a caller on a busy pool cannot starve.
        DispatchQueue.concurrentPerform(iterations: Swift.min(jobs, items.count)) { _ in
            while let i = results.claim() { results.store(body(items[i]), at: i) }
        }
        return results.all()
    }

    /// Slots filled by the workers, and the next element to hand out, behind one lock.
    private final class Results<R: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [R?]
        private var next = 0

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func claim() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < slots.count else { return nil }
            defer { next += 1 }
            return next
        }

        func store(_ r: R, at i: Int) {
            lock.lock(); defer { lock.unlock() }
            slots[i] = r
        }

        func all() -> [R] {
            lock.lock(); defer { lock.unlock() }
            return slots.map { $0! }
        }
    }
}
