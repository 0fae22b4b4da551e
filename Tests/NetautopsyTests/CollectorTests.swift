import Testing
import Foundation
import Artifacts
import Autopsy
import Reports

/// The collector script (collector/netautopsy-collect.sh) run for real: under dash and bash,
/// with tools hidden from PATH, with a command that hangs, stopped by signals, and as root on a
/// "node" in network namespaces that sees a real incident (fixtures/collector-scenario.sh).
@Suite(.serialized) struct CollectorTests {
    static let script = Paths.root.appendingPathComponent("collector/netautopsy-collect.sh").path

    @Test func binaryCarriesTheScriptVerbatim() throws {
        let file = try String(contentsOfFile: Self.script, encoding: .utf8)
        #expect(CollectorScript.text == file, "run `make collector` after editing collector/netautopsy-collect.sh")
        #expect(file.contains("NA_VERSION=\(CollectorScript.version)\n"))
    }

    @Test(.enabled(if: Live.require || Live.has("shellcheck")))
    func shellcheckIsClean() throws {
        let r = try Shell.run(["shellcheck", "-s", "sh", Self.script])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test(arguments: ["dash", "bash"])
    func helpVersionAndBadOptions(shell: String) throws {
        try #require(Live.require || Live.has(shell), "\(shell) not installed")
        let help = try Shell.run([shell, Self.script, "--help"])
        #expect(help.status == 0)
        for option in ["--duration", "--interface", "--capture-filter", "--max-capture-mb", "--since", "--no-fio",
                       "--fio-dir", "--trace", "--coredns-logs", "--redact", "--output"] {
            #expect(help.stdout.contains(option), "help lacks \(option)")
        }
        let version = try Shell.run([shell, Self.script, "--version"])
        #expect(version.stdout == "netautopsy-collect \(CollectorScript.version) (netautopsy.bundle/1)\n")
        let bad = try Shell.run([shell, Self.script, "--duration", "ten"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--duration must be a whole number"))
        let unknown = try Shell.run([shell, Self.script, "--frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown option: --frobnicate"))
        let hostile = try Shell.run([shell, Self.script, "--trace", "x;rm -rf /"])
        #expect(hostile.status == 2 && hostile.stderr.contains("not a host name"))
    }

    /// Only the tools the script cannot do without are on PATH: every other command is recorded
    /// as skipped, the bundle is still written, and the report says what is missing.
    @Test(arguments: ["dash", "bash"])
    func hiddenToolsAreSkippedAndTheBundleIsComplete(shell: String) throws {
        try #require(Live.require || Live.has(shell), "\(shell) not installed")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = try Shell.minimalBin(in: dir, tools: ["mkdir", "rm", "mv", "cat", "sed", "tr", "wc", "sleep", "tar", "gzip"])
        let shellPath = try #require(Shell.which(shell))
        let r = try Shell.run([shellPath, Self.script, "--duration", "2", "--trace", "10.0.0.1", "--output", dir.path],
                              environment: ["PATH": bin.path])
        #expect(r.status == 0, "\(r.stderr)")
        let bundle = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: bundle))
        #expect(bundle.hasSuffix(".tar.gz") && bundle.hasPrefix(dir.path + "/netautopsy-"))

        let manifest = try CollectedBundle.manifest(bundle, in: dir)
        let byID = Dictionary(uniqueKeysWithValues: (manifest.commands ?? []).map { ($0.id, $0) })
        for (id, tool) in [("capture", "tcpdump"), ("sysctl", "sysctl"), ("dmesg", "dmesg"), ("ip-link", "ip"),
                           ("ss-summary", "ss"), ("fio-fdatasync", "fio"), ("tracepath-10.0.0.1", "tracepath"),
                           ("coredns-logs", "kubectl")] {
            #expect(byID[id]?.status == "skipped", "\(id)")
            #expect(byID[id]?.reason?.hasPrefix("tool not found: \(tool)") == true, "\(id): \(byID[id]?.reason ?? "-")")
        }
        // What needs only cat and /proc is there.
        for id in ["proc-stat-start", "proc-stat-end", "proc-net-snmp", "proc-net-sockstat", "resolv-conf"] {
            #expect(byID[id]?.status == "ok", "\(id)")
            #expect((byID[id]?.bytes ?? 0) > 0, "\(id)")
        }
        #expect(manifest.format == "netautopsy.bundle/1")
        #expect(manifest.startedAt?.hasSuffix("Z") == true, "UTC time even without date(1)")
        #expect(manifest.hostname?.isEmpty == false)

        let report = try Autopsy().analyze(bundle)
        let collection = try #require(report.collection.first)
        let missing = Set(collection.notCollected.map(\.id))
        #expect(missing.isSuperset(of: ["capture", "sysctl", "dmesg", "fio-fdatasync"]))
        #expect(report.captures.files.isEmpty)
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("**Not collected**"))
        #expect(markdown.contains("tool not found: tcpdump"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.hasPrefix(".netautopsy-collect") },
                "the work directory is removed")
    }

    /// A command that hangs is stopped at the timeout, with the processes it started, and
    /// recorded as timed out; the collection goes on.
    @Test func hangingCommandTimesOut() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = try Shell.minimalBin(in: dir, tools: ["mkdir", "rm", "mv", "cat", "sed", "tr", "wc", "sleep", "tar", "gzip", "setsid"])
        let marker = "4242\(getpid() % 1000)"
        try "#!/bin/sh\nsleep \(marker) &\nwait\n".write(to: bin.appendingPathComponent("sysctl"), atomically: true, encoding: .utf8)
        chmod(bin.appendingPathComponent("sysctl").path, 0o755)
        let started = Date()
        let r = try Shell.run(["/bin/sh", Self.script, "--duration", "0", "--no-fio", "--command-timeout", "1", "--output", dir.path],
                              environment: ["PATH": bin.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        let manifest = try CollectedBundle.manifest(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), in: dir)
        let sysctl = try #require(manifest.commands?.first { $0.id == "sysctl" })
        #expect(sysctl.status == "timed-out")
        #expect(sysctl.reason == "timed out after 1 s")
        #expect(manifest.commands?.contains { $0.id == "proc-stat-end" && $0.status == "ok" } == true, "later commands still ran")
        let left = try Shell.run(["pgrep", "-f", "sleep \(marker)"])
        #expect(left.stdout.isEmpty, "the hanging command's child was left running")
    }

    /// Ctrl-C (SIGINT) and SIGTERM stop the capture early; the partial capture is kept and the
    /// bundle says it was interrupted.
    @Test(.enabled(if: Live.require || (Live.isRoot && Live.has("tcpdump"))), arguments: [SIGINT, SIGTERM])
    func signalStopsCaptureAndKeepsIt(signal: Int32) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout").path
        let pid = try Shell.spawn(["/bin/sh", Self.script, "--duration", "60", "--interface", "lo", "--no-fio", "--quiet",
                                   "--output", dir.path], stdout: out, stderr: "/dev/null")
        Thread.sleep(forTimeInterval: 3)
        _ = try? Shell.run(["ping", "-c", "3", "-i", "0.2", "127.0.0.1"])
        let sent = Date()
        kill(pid, signal)
        let status = Shell.wait(pid)
        #expect(Date().timeIntervalSince(sent) < 20, "stopping took too long")
        #expect(status == 0)
        let bundle = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let manifest = try CollectedBundle.manifest(bundle, in: dir)
        #expect(manifest.interrupted == true)
        let capture = try #require(manifest.commands?.first { $0.id == "capture-lo" })
        #expect(capture.status == "ok")
        #expect(capture.reason?.contains("stopped early") == true)
        #expect(capture.files == ["captures/lo.pcap"])
        #expect(manifest.commands?.first { $0.id == "sysctl" }?.status == "ok", "quick commands still ran")
        let report = try Autopsy().analyze(bundle)
        let file = try #require(report.captures.files.first)
        #expect(file.error == nil)
        #expect(file.counters.packets >= 6, "the pings before the signal are in the partial capture")
        #expect(report.collection.first?.interrupted == true)
    }

    /// The whole point: on a node that sees an incident, the collector's bundle lets the
    /// analyzer find what happened. Real namespaces, real traffic, real tools, real fio.
    @Test(.enabled(if: Live.require || Live.scenarioPossible))
    func collectorOnIncidentNodeYieldsTheFindings() throws {
        try Live.requireScenarioTools()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try Live.scenario(output: dir, ["--duration", "8", "--fio-dir", dir.path])
        let report = try Autopsy().analyze(bundle)
        let ids = Set(report.findings.map(\.id))
        #expect(ids.isSuperset(of: ["ip-fragmentation", "icmp-frag-needed", "message-too-long", "syn-without-synack", "syn-rst"]),
                "\(ids.sorted())")
        let unanswered = try #require(report.findings.first { $0.id == "syn-without-synack" })
        #expect(unanswered.evidence.contains { $0.note.contains("10.10.2.2:6060") })
        let refused = try #require(report.findings.first { $0.id == "syn-rst" })
        #expect(refused.evidence.contains { $0.note.contains("10.10.2.2:9090") })
        let tooBig = try #require(report.findings.first { $0.id == "icmp-frag-needed" })
        #expect(tooBig.summary.contains("MTU 1400"))
        #expect(report.problems.isEmpty, "\(report.problems)")

        // Every file the manifest lists is in the bundle and is recognised as the kind it says.
        let manifest = try CollectedBundle.manifest(bundle, in: dir)
        // artifact paths start with the bundle's top directory, netautopsy-HOST-STAMP/
        let kinds = Dictionary(report.artifacts.map { ($0.path.split(separator: "/").drop { !$0.hasPrefix("netautopsy-") }.dropFirst().joined(separator: "/"), $0.kind.rawValue) },
                               uniquingKeysWith: { a, _ in a })
        for c in manifest.commands ?? [] {
            let outputs = c.files ?? c.output.map { [$0] } ?? []
            for output in outputs {
                #expect(kinds[output] == c.kind, "\(output): manifest says \(c.kind ?? "-"), analyzer says \(kinds[output] ?? "missing")")
            }
        }
        let fio = try #require(manifest.commands?.first { $0.id == "fio-fdatasync" })
        #expect(fio.status == "ok", "\(fio.reason ?? "")")
        let fioJSON = try CollectedBundle.extract("disk/fio-fdatasync.json", from: bundle, in: dir)
        #expect(fioJSON.contains("\"99.000000\""), "fio reported sync latency percentiles")
        #expect(try CollectedBundle.extract("k8s/coredns/coredns.log", from: bundle, in: dir).contains("plugin/errors"))
        #expect(manifest.commands?.first { $0.id == "capture-any" }?.captureEndedAt != nil)
    }

    /// `--redact`: no address, MAC or host name of the node survives in a text file, and the
    /// same address gets the same token everywhere.
    @Test(.enabled(if: Live.require || Live.scenarioPossible))
    func redactedBundleLeaksNoAddresses() throws {
        try Live.requireScenarioTools()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try Live.scenario(output: dir, ["--duration", "3", "--no-fio", "--redact"])
        #expect(bundle.contains("netautopsy-redacted-"))
        let tree = dir.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        _ = try Shell.run(["tar", "-xzf", bundle, "-C", tree.path])
        var texts: [String: String] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: tree.path)! where !path.contains(".pcap") {
            let full = tree.appendingPathComponent(path).path
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                texts[path] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
            }
        }
        #expect(texts.count > 10)
        for secret in ["10.10.1.1", "10.10.1.254", "10.10.2.2", "02:0a:01:00:00:01", "02:0a:01:00:00:fe"] {
            let leaks = texts.filter { $0.value.contains(secret) }.map(\.key)
            #expect(leaks.isEmpty, "\(secret) survives in \(leaks)")
        }
        let addr = try #require(texts.first { $0.key.hasSuffix("net/ip-d-addr.txt") }?.value)
        let route = try #require(texts.first { $0.key.hasSuffix("net/ip-route.txt") }?.value)
        let token = try #require(addr.firstMatch(of: /inet (198\.1[89]\.\d+\.\d+)\/24/)?.1)
        #expect(route.contains("src \(token)"), "the interface address has one token in ip addr and ip route")
        let manifest = try CollectedBundle.manifest(bundle, in: dir)
        #expect(manifest.redacted == true)
        #expect(manifest.options?.snaplen == 128)
    }
}

/// What the live tests need, and whether they must run (CI sets NETAUTOPSY_REQUIRE_LIVE=1, so
/// that a missing tool fails the suite instead of skipping the test).
enum Live {
    static let require = ProcessInfo.processInfo.environment["NETAUTOPSY_REQUIRE_LIVE"] == "1"
    static let isRoot = getuid() == 0
    static let scenarioTools = ["ip", "iptables", "tcpdump", "ping", "tracepath", "fio", "timeout", "bash"]
    static var scenarioPossible: Bool { isRoot && scenarioTools.allSatisfy(has) }

    static func has(_ tool: String) -> Bool { Shell.which(tool) != nil }

    static func requireScenarioTools() throws {
        try #require(isRoot, "the scenario needs root (network namespaces)")
        let missing = scenarioTools.filter { !has($0) }
        try #require(missing.isEmpty, "missing tools: \(missing)")
    }

    /// Runs fixtures/collector-scenario.sh and returns the bundle's path.
    static func scenario(output: URL, _ options: [String]) throws -> String {
        let script = Paths.fixtures.appendingPathComponent("collector-scenario.sh").path
        let r = try Shell.run(["bash", script, output.path] + options)
        try #require(r.status == 0, "scenario failed: \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

enum CollectedBundle {
    /// The manifest of a bundle, read by the analyzer's own parser.
    static func manifest(_ bundle: String, in dir: URL) throws -> BundleManifest {
        let text = try extract("manifest.json", from: bundle, in: dir)
        do {
            return try #require(try BundleManifest.parse(Array(text.utf8)))
        } catch {
            // Seen once under load (not reproduced since): keep what the collector wrote.
            Issue.record("manifest.json of \(bundle) (\(text.utf8.count) bytes): \(text.prefix(6000))")
            throw error
        }
    }

    /// One file of the bundle (path relative to the bundle's top directory).
    static func extract(_ relative: String, from bundle: String, in dir: URL) throws -> String {
        let r = try Shell.run(["tar", "-xzOf", bundle, "--wildcards", "*/\(relative)"])
        try #require(r.status == 0, "\(relative) not in \(bundle): \(r.stderr)")
        return r.stdout
    }
}

/// Runs programs with posix_spawn and waitpid: Foundation's Process was seen to miss the exit
/// of a script that leaves grandchildren behind, hanging the suite.
enum Shell {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs argv to completion; stdout and stderr go through temporary files (no pipe to fill).
    static func run(_ argv: [String], environment: [String: String]? = nil) throws -> Result {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path, err = dir.appendingPathComponent("err").path
        let pid = try spawn(argv, environment: environment, stdout: out, stderr: err)
        let status = wait(pid)
        return Result(status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Starts argv with default signal dispositions (so SIGINT acts as Ctrl-C) and stdin from /dev/null.
    static func spawn(_ argv: [String], environment: [String: String]? = nil, stdout: String, stderr: String) throws -> pid_t {
        let program = argv[0].hasPrefix("/") ? argv[0] : try #require(which(argv[0]), "\(argv[0]) not installed")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgs = ([program] + argv.dropFirst()).map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attr, &cArgs, &cEnv)
        try #require(rc == 0, "posix_spawn \(program): \(String(cString: strerror(rc)))")
        return pid
    }

    /// The exit status, or 128 + signal.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A directory holding links to just these tools, to be the whole PATH.
    static func minimalBin(in dir: URL, tools: [String]) throws -> URL {
        let bin = dir.appendingPathComponent("minbin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in tools {
            let target = try #require(which(tool), "\(tool) not installed")
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(tool).path, withDestinationPath: target)
        }
        return bin
    }
}
