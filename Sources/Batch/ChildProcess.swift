import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one command with a time limit, its standard error to a file (posix_spawn and waitpid:
/// Foundation's Process was seen to miss exits here).
enum ChildProcess {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case couldNotStart(String)
    }

    static func run(_ executable: String, _ arguments: [String], stderr: String, timeout: Double) -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        guard rc == 0 else { return .couldNotStart(String(cString: strerror(rc))) }

        // A thread waits for the exit; this one waits for that, or for the time limit.
        let status = ExitStatus()
        let done = DispatchSemaphore(value: 0)
        let child = pid
        let waiter = Thread {
            var s: Int32 = 0
            while waitpid(child, &s, 0) == -1 && errno == EINTR {}
            status.value = s
            done.signal()
        }
        waiter.start()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(pid, SIGTERM)
            if done.wait(timeout: .now() + 5) == .timedOut {
                kill(pid, SIGKILL)
                done.wait()
            }
        }
        if timedOut { return .timedOut }
        let s = status.value, signal = s & 0x7f
        return signal == 0 ? .exited((s >> 8) & 0xff) : .signalled(signal)
    }

    final class ExitStatus: @unchecked Sendable {
        var value: Int32 = 0
    }
}
