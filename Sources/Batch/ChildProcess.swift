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
        // The child starts with no signal blocked and every signal at its default: the calling
        // thread may block some (dispatch's threads do), and SIGTERM must reach the child.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard rc == 0 else { return .couldNotStart(String(cString: strerror(rc))) }

        // A thread reaps the child; this one waits for that, or for the time limit. Signals are
        // sent only while the child is not reaped, so never to a PID the system has reused.
        let state = State()
        let done = DispatchSemaphore(value: 0)
        let child = pid
        let waiter = Thread {
            // Wait for the exit without reaping, then reap under the lock.
            var info = siginfo_t()
            while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
            state.reap(child)
            done.signal()
        }
        waiter.start()
        guard done.wait(timeout: .now() + timeout) == .timedOut else { return outcome(state.exitStatus) }
        state.signal(pid, SIGTERM)
        if done.wait(timeout: .now() + 5) == .timedOut {
            state.signal(pid, SIGKILL)
            done.wait()
        }
        return .timedOut
    }

    static func outcome(_ s: Int32) -> Outcome {
        let signal = s & 0x7f
        return signal == 0 ? .exited((s >> 8) & 0xff) : .signalled(signal)
    }

    /// The child's exit status once reaped, behind a lock shared with whoever signals it.
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        private var status: Int32 = 0
        var exitStatus: Int32 { lock.lock(); defer { lock.unlock() }; return status }

        func reap(_ pid: pid_t) {
            lock.lock(); defer { lock.unlock() }
            var s: Int32 = 0
            while waitpid(pid, &s, 0) == -1 && errno == EINTR {}
            done = true
            status = s
        }

        func signal(_ pid: pid_t, _ sig: Int32) {
            lock.lock(); defer { lock.unlock() }
            if !done { kill(pid, sig) }
        }
    }
}
