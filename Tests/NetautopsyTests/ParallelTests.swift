import Foundation
import Testing
@testable import Autopsy
import Input
import Reports
import Wire

/// Analysis on several threads: the read-ahead that decompresses archive entries beside the
/// analysis, and captures analyzed at once. The report must not depend on the number of threads.
@Suite struct ParallelTests {
    /// Bytes from a seeded generator, handed out in reads of varying size; can fail at a position.
    final class Scripted: ByteSource {
        let bytes: [UInt8]
        var position = 0
        let failAt: Int?
        var reads = 0
        init(count: Int, seed: UInt64, failAt: Int? = nil) {
            var state = seed
            bytes = (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            self.failAt = failAt
        }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            reads += 1
            if let failAt, position >= failAt { throw InputError.readFailed("scripted", "failed at \(position)") }
            let n = Swift.min(buffer.count, bytes.count - position, 1 + (reads * 7919) % 300_000)
            bytes.withUnsafeBytes { b in buffer.baseAddress!.copyMemory(from: b.baseAddress! + position, byteCount: n) }
            position += n
            return n
        }
    }

    static func drain(_ source: ByteSource, readSize: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: readSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }

    @Test(arguments: [1, 4096, 3 << 20])
    func readAheadHandsOverEveryByteInOrder(readSize: Int) throws {
        let inner = Scripted(count: 5 * ReadAhead.chunkSize + 12345, seed: UInt64(readSize))
        let ahead = ReadAhead(inner)
        let got = try Self.drain(ahead, readSize: readSize)
        ahead.close()
        #expect(got == inner.bytes)
    }

    @Test func readAheadPassesOnTheInnerErrorAfterTheBytesBeforeIt() throws {
        let inner = Scripted(count: 4 << 20, seed: 9, failAt: 2 << 20)
        let ahead = ReadAhead(inner)
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        #expect(throws: InputError.self) {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try ahead.read(into: $0) }
                if n == 0 { break }
                got += buffer[..<n]
            }
        }
        ahead.close()
        #expect(got.count >= 2 << 20)
        #expect(got == Array(inner.bytes[..<got.count]))
    }

    @Test func closingEarlyStopsTheThreadAndLeavesTheSourceUsable() throws {
        let inner = Scripted(count: 64 << 20, seed: 3)
        let ahead = ReadAhead(inner)
        var first = [UInt8](repeating: 0, count: 1000)
        let n = try first.withUnsafeMutableBytes { try ahead.read(into: $0) }
        ahead.close()
        // The reading thread stopped within the few chunks it may hold: the rest is still there to read here.
        let stoppedAt = inner.position
        #expect(stoppedAt <= (ReadAhead.chunks + 1) * ReadAhead.chunkSize)
        #expect(Array(first[..<n]) == Array(inner.bytes[..<n]))
        var more = [UInt8](repeating: 0, count: 10)
        #expect(try more.withUnsafeMutableBytes { try inner.read(into: $0) } == 10)
        #expect(inner.position == stoppedAt + 10)
    }

    static func report(_ path: String, jobs: Int, readAheadMinimum: Int64 = 1 << 20,
                       flowBatchSize: Int = CaptureAnalyzer.defaultBatchSize) throws -> String {
        var autopsy = Autopsy()
        autopsy.jobs = jobs
        autopsy.walker.readAheadMinimum = readAheadMinimum
        autopsy.flowBatchSize = flowBatchSize
        return try JSONRenderer.render(autopsy.analyze(path))
    }

    /// The TCP and DNS trackers on a thread of their own (`ThreadedFlowRunner`) see the same events in the same
    /// order as inline: batches of one event and of a few make the two threads hand over at every packet, or
    /// nearly, so that any event lost, run twice or out of order shows in the report. Each capture is analyzed
    /// on its own (a directory of many is analyzed a capture per core, with the trackers inline), and so is an
    /// archive, whose captures are read one after another.
    @Test(arguments: [1, 7, 100])
    func theFlowStageOnItsOwnThreadGivesTheSameReport(batchSize: Int) throws {
        var dirs = [Paths.fixture("captures")]
        let corpus = Paths.corpus.appendingPathComponent("pcaps").path
        if FileManager.default.fileExists(atPath: corpus) { dirs.append(corpus) }
        var paths = [Paths.fixture("incident-bundle.tar.gz")]
        for dir in dirs {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                paths.append((dir as NSString).appendingPathComponent(name))
            }
        }
        #expect(paths.count > 20)
        for path in paths {
            let inline = try Self.report(path, jobs: 1, flowBatchSize: batchSize)
            let threaded = try Self.report(path, jobs: 2, flowBatchSize: batchSize)
            #expect(inline == threaded, "\(path)")
            #expect(inline == (try Self.report(path, jobs: 1)), "\(path): the batch size changed the report")
        }
    }

    @Test func aFlowStageRunnerIsReleasedWhenItsAnalyzerIsDroppedMidCapture() throws {
        // An analyzer that never finishes (its read failed, say) must not keep its runner alive: the runner's
        // deinit is what tells its thread to run out and stop (this checks the release, not the thread).
        weak var runner: ThreadedFlowRunner?
        var batches = 0
        do {
            var analyzer = CaptureAnalyzer(flowRunner: { stage in
                let r = ThreadedFlowRunner(stage)
                runner = r
                return r
            }, batchSize: 2)
            try BundleWalker().walk(Paths.fixture("captures/tcp-resets.pcap"), file: { file in
                let outcome = CaptureOpener.read(file, into: &analyzer)
                batches = outcome.frames / 2
            }, problem: { _ in })
            #expect(runner != nil)
        }
        #expect(batches > 5)
        #expect(runner == nil)
    }

    @Test func aDirectoryOfCapturesGivesTheSameReportOnOneThreadOrTwo() throws {
        let dir = Paths.fixture("captures")
        let one = try Self.report(dir, jobs: 1), two = try Self.report(dir, jobs: 2)
        #expect(one == two)
        let report = try JSONRenderer.decode(two)
        #expect(report.captures.files.count >= 20)
        // In the walk's order, text files between them.
        #expect(report.captures.files.map(\.file) == report.captures.files.map(\.file).sorted())
        #expect(report.artifacts.map(\.path) == report.artifacts.map(\.path).sorted())
    }

    @Test func aCaptureFromAPipeIsReadOnceEvenOnTwoThreads() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("capture.pcap").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let source = Paths.fixture("captures/tcp-resets.pcap")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let writer = Thread {
            // Opening for writing waits for the reader, as a shell pipe would.
            if let h = FileHandle(forWritingAtPath: fifo) { h.write(bytes); try? h.close() }
        }
        writer.start()
        var autopsy = Autopsy()
        autopsy.jobs = 2
        let piped = try autopsy.analyze(fifo)
        let direct = try autopsy.analyze(source)
        #expect(piped.problems.isEmpty)
        #expect(piped.captures.files.map(\.counters) == direct.captures.files.map(\.counters))
        #expect(piped.findings.map(\.id) == direct.findings.map(\.id))
    }

    @Test func anArchiveGivesTheSameReportWithOrWithoutReadAhead() throws {
        for bundle in ["incident-bundle.tar.gz", "sample-bundle.tar.gz"] {
            let path = Paths.fixture(bundle)
            let plain = try Self.report(path, jobs: 1), ahead = try Self.report(path, jobs: 2, readAheadMinimum: 0)
            #expect(plain == ahead, "\(bundle)")
        }
    }
}
