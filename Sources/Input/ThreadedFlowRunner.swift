import Foundation
import Wire

/// Runs a capture's TCP and DNS trackers (`FlowStage`) on a second thread while the reading thread reads and
/// decodes: a pipeline of two stages, as Suricata's "autofp" mode hands decoded packets to flow workers. The
/// stage sees the same events in the same order as inline, so the results are the same; the capture takes
/// about the longer of the two stages rather than their sum.
///
/// The thread starts with the first full batch: a capture too small to fill one runs inline in `finish`. At most
/// `queued` batches wait for the stage, so memory stays bounded when it is the slower one (the reader then
/// waits). `finish` waits for the thread to stop before it returns the stage.
public final class ThreadedFlowRunner: FlowRunner {
    /// Batches that may wait for the stage: enough to ride out a slow stretch of either side.
    public static let queued = 4

    /// State shared by the two threads, guarded by `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        /// Only the stage's thread touches it between `start()` and the end of `finish`, which takes it.
        var stage: FlowStage?
        /// Submitted batches in order, and emptied ones to fill again.
        var ready: [FlowBatch] = []
        var free: [FlowBatch] = []
        var submitting = true
        var running = false

        init(stage: FlowStage) { self.stage = stage }

        /// The stage's loop: run each batch as it comes, until the reader has finished and nothing is left.
        func work() {
            condition.lock()
            while true {
                while ready.isEmpty && submitting { condition.wait() }
                guard !ready.isEmpty else { break }
                var batch = ready.removeFirst()
                condition.unlock()
                stage!.run(batch)
                batch.removeAll()
                condition.lock()
                free.append(batch)
                // The reader, if it waits, waits for room: it is woken once half the queue has drained, so that
                // it fills several batches per wake-up (waking a sleeping thread costs more than a batch's work
                // on a virtual machine whose idle CPU halts) rather than one each time.
                if ready.count <= ThreadedFlowRunner.queued / 2 { condition.broadcast() }
            }
            running = false
            condition.broadcast()
            condition.unlock()
        }
    }

    private let shared: Shared
    private var started = false

    public init(_ stage: FlowStage) { shared = Shared(stage: stage) }

    public func submit(_ batch: consuming FlowBatch) -> FlowBatch {
        if !started { start() }
        shared.condition.lock()
        while shared.ready.count >= Self.queued { shared.condition.wait() }
        shared.ready.append(batch)
        let next = shared.free.popLast() ?? FlowBatch()
        shared.condition.broadcast()
        shared.condition.unlock()
        return next
    }

    public func finish(last: consuming FlowBatch) -> FlowStage {
        guard started else {
            shared.stage!.run(last)
            return shared.stage.take()!
        }
        shared.condition.lock()
        if !last.isEmpty { shared.ready.append(last) }
        shared.submitting = false
        shared.condition.broadcast()
        while shared.running { shared.condition.wait() }
        let stage = shared.stage.take()!
        shared.condition.unlock()
        return stage
    }

    private func start() {
        started = true
        shared.running = true
        let shared = self.shared
        Thread.detachNewThread { shared.work() }
    }

    deinit {
        // An analyzer dropped before `finish` (an error mid-capture): let the thread run out and stop.
        guard started else { return }
        shared.condition.lock()
        shared.submitting = false
        shared.condition.broadcast()
        shared.condition.unlock()
    }
}
