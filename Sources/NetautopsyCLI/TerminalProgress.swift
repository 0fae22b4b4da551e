import Autopsy
import Foundation

/// Draws one status line on standard error while captures are analyzed: bytes and frames so far
/// and their rates, redrawn at most four times a second and cleared when the last capture ends.
/// Captures analyzed at the same time (`--jobs`) are added up on the one line. Thread-safe: the
/// state sits behind a lock, as reports come from every analyzing thread.
final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private struct Active {
        var bytes: Int
        var total: Int64?
        var packets: Int
    }

    private let lock = NSLock()
    private var active: [String: Active] = [:]
    private var started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now
    private var drawn = false
    /// What captures that ended while others went on had read: the rates count it.
    private var finishedBytes = 0, finishedPackets = 0

    /// Whether standard error is a terminal (progress is shown only there unless asked for).
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    func capture(_ path: String, bytes: Int, total: Int64?, packets: Int, done: Bool) {
        if let text = update(path, bytes: bytes, total: total, packets: packets, done: done) { write(text) }
    }

    /// Updates the state; returns what to write, if anything (written outside the lock).
    private func update(_ path: String, bytes: Int, total: Int64?, packets: Int, done: Bool) -> String? {
        lock.lock(); defer { lock.unlock() }
        let now = ContinuousClock.now
        if active.isEmpty && finishedBytes == 0 { started = now }
        if done {
            active[path] = nil
            finishedBytes += bytes
            finishedPackets += packets
            guard active.isEmpty else { return nil }
            finishedBytes = 0
            finishedPackets = 0
            defer { drawn = false }
            return drawn ? "\r\u{1B}[K" : nil
        }
        active[path] = Active(bytes: bytes, total: total, packets: packets)
        guard now - lastDrawn >= .milliseconds(250) else { return nil }
        lastDrawn = now
        drawn = true
        let elapsed = max(1e-3, Self.seconds(now - started))
        let bytes = active.values.reduce(0) { $0 + $1.bytes }
        let allBytes = finishedBytes + bytes, allPackets = finishedPackets + active.values.reduce(0) { $0 + $1.packets }
        let totals = active.values.compactMap(\.total)
        var line = active.count == 1 ? "analyzing \(path): \(Self.megabytes(bytes))" : "analyzing \(active.count) captures: \(Self.megabytes(bytes))"
        if totals.count == active.count, case let total = totals.reduce(0, +), total > 0 {
            line += " of \(Self.megabytes(Int(total))) (\(Int(Double(bytes) * 100 / Double(total)))%)"
        }
        line += ", \(allPackets.formatted()) packets · \(Self.megabytes(Int(Double(allBytes) / elapsed)))/s, "
            + "\(Int(Double(allPackets) / elapsed).formatted()) packets/s"
        return "\r\u{1B}[K" + line
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
