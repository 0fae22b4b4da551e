import Autopsy
import Foundation

/// Draws one status line on standard error while a capture is analyzed: bytes and frames so far
/// and their rates, redrawn at most four times a second and cleared when the capture ends.
final class TerminalProgress: ProgressReporter {
    private var path = ""
    private var started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now
    private var drawn = false

    /// Whether standard error is a terminal (progress is shown only there unless asked for).
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    func capture(_ path: String, bytes: Int, total: Int64?, packets: Int, done: Bool) {
        let now = ContinuousClock.now
        if path != self.path {
            self.path = path
            started = now
        }
        if done {
            if drawn { write("\r\u{1B}[K") }
            drawn = false
            return
        }
        guard now - lastDrawn >= .milliseconds(250) else { return }
        lastDrawn = now
        let elapsed = max(1e-3, Self.seconds(now - started))
        var line = "analyzing \(path): \(Self.megabytes(bytes))"
        if let total, total > 0 { line += " of \(Self.megabytes(Int(total))) (\(Int(Double(bytes) * 100 / Double(total)))%)" }
        line += ", \(packets.formatted()) packets · \(Self.megabytes(Int(Double(bytes) / elapsed)))/s, "
            + "\(Int(Double(packets) / elapsed).formatted()) packets/s"
        write("\r\u{1B}[K" + line)
        drawn = true
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
