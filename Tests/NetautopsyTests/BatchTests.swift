import Diagnosis
import Foundation
import Reports
import Testing
@testable import Batch
@testable import NetautopsyCLI

/// `netautopsy batch` on a directory of real fixture bundles: varied incidents, corrupt and hostile
/// archives, a capture, an unpacked bundle, a copy and a symbolic link.
@Suite(.serialized) struct BatchTests {
    /// The archive: returns its directory and the bundles expected in it (relative paths).
    static func archive(in dir: URL) throws -> (URL, [String]) {
        let root = dir.appendingPathComponent("archive")
        let fm = FileManager.default
        for sub in ["2026-10", "2026-11/hostile", "unpacked"] {
            try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        func copy(_ fixture: String, _ to: String) throws {
            try fm.copyItem(atPath: Paths.fixture(fixture), toPath: root.appendingPathComponent(to).path)
        }
        try copy("incident-bundle.tar.gz", "2026-10/incident.tar.gz")
        try copy("sample-bundle.tar.gz", "2026-10/sample.tgz")
        try copy("conntrack-full-bundle.tar.gz", "2026-11/conntrack.tar.gz")
        try copy("incident-bundle.tar.gz", "2026-11/incident-again.tar.gz")
        for h in ["corrupt-members", "not-an-archive", "traversal", "truncated"] { try copy("hostile/\(h).tar.gz", "2026-11/hostile/\(h).tar.gz") }
        try copy("captures/dns-cluster.pcap", "2026-11/dns.pcap")
        let tar = try Shell.run(["tar", "-czf", root.appendingPathComponent("2026-11/overlay.tar.gz").path, "-C", Paths.fixtures.path, "overlay-node"])
        try #require(tar.status == 0, "\(tar.stderr)")
        let untar = try Shell.run(["tar", "-xzf", Paths.fixture("sample-bundle.tar.gz"), "-C", root.appendingPathComponent("unpacked").path])
        try #require(untar.status == 0, "\(untar.stderr)")
        // Not bundles: notes, and a link (never followed).
        try "notes".write(to: root.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("2026-11/link.tar.gz").path,
                                  withDestinationPath: root.appendingPathComponent("2026-10/incident.tar.gz").path)
        let expected = ["2026-10/incident.tar.gz", "2026-10/sample.tgz", "2026-11/conntrack.tar.gz", "2026-11/dns.pcap",
                        "2026-11/hostile/corrupt-members.tar.gz", "2026-11/hostile/not-an-archive.tar.gz", "2026-11/hostile/traversal.tar.gz",
                        "2026-11/hostile/truncated.tar.gz", "2026-11/incident-again.tar.gz", "2026-11/overlay.tar.gz", "unpacked/netautopsy-sample"]
        return (root, expected)
    }

    static func options(_ inputs: [String], _ out: URL, jobs: Int = 2) -> BatchOptions {
        var o = BatchOptions(inputs: inputs, output: out.path, executable: Paths.executable)
        o.jobs = jobs
        return o
    }

    @Test func aDirectoryOfBundlesIsAnalyzedSummarizedAndSkippedOnRerun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (root, expected) = try Self.archive(in: dir)
        let out = dir.appendingPathComponent("out")
        let result = try BatchRunner(options: Self.options([root.path], out)).run()
        #expect(result.records.map(\.relative) == expected)
        // 10 distinct contents (the second incident is a copy), each analyzed once.
        #expect(result.analyzed == 10 && result.skipped == 1)
        let by = Dictionary(uniqueKeysWithValues: result.records.map { ($0.relative, $0) })
        #expect(by["2026-10/incident.tar.gz"]?.topCause == "conntrack-exhaustion")
        #expect(by["2026-11/conntrack.tar.gz"]?.topCause == "conntrack-exhaustion" && by["2026-11/conntrack.tar.gz"]?.topConfidence == "high")
        #expect(by["2026-11/overlay.tar.gz"]?.topCause == "mtu-mismatch")
        #expect(by["2026-11/incident-again.tar.gz"]?.report == by["2026-10/incident.tar.gz"]?.report)
        #expect(by["unpacked/netautopsy-sample"]?.status == .ok && by["unpacked/netautopsy-sample"]?.host == by["2026-10/sample.tgz"]?.host)
        // Each hostile archive is reported with its error; none stops the batch.
        let hostile = result.records.filter { $0.relative.contains("/hostile/") }
        #expect(hostile.count == 4 && hostile.allSatisfy { $0.status == .partial && $0.error?.isEmpty == false })
        #expect(result.failures == 4)

        // findings.jsonl agrees with every per-bundle JSON report, line for line.
        let lines = try String(contentsOf: out.appendingPathComponent("findings.jsonl"), encoding: .utf8).split(separator: "\n")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let findings = try lines.map { try decoder.decode(BatchSummary.FindingLine.self, from: Data($0.utf8)) }
        var expectedLines = 0
        for r in result.records {
            let name = try #require(r.report)
            let report = try JSONRenderer.decode(String(contentsOf: out.appendingPathComponent(name + ".json"), encoding: .utf8))
            let mine = findings.filter { $0.bundle == r.bundle }
            #expect(mine.map(\.check) == report.findings.map(\.id.rawValue), "\(r.relative)")
            #expect(mine.map(\.severity) == report.findings.map(\.severity.rawValue))
            #expect(mine.map(\.firstSeen) == report.findings.map(\.firstSeen?.rfc3339))
            #expect(mine.allSatisfy { $0.bundleId == r.id && $0.host == r.host && $0.report == name })
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name + ".md").path))
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name + ".html").path))
            expectedLines += report.findings.count
        }
        #expect(findings.count == expectedLines && expectedLines > 0)

        // summary.csv: a header and one row per bundle; summary.md: bundles, failures, causes, checks, months.
        let csv = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == expected.count + 1 && csv[0].hasPrefix("bundle,id,status,error,host"))
        let md = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
        for heading in ["## Bundles", "## Failures", "## Root causes", "## Checks", "## By month"] { #expect(md.contains(heading), "\(heading)") }
        #expect(md.contains("| conntrack-exhaustion |"))
        for h in hostile { #expect(md.contains(h.relative)) }

        // Run again: everything is found analyzed, nothing is redone; --force redoes the 10.
        let again = try BatchRunner(options: Self.options([root.path], out)).run()
        #expect(again.analyzed == 0 && again.skipped == expected.count)
        #expect(again.records.map(\.report) == result.records.map(\.report))
        var forced = Self.options([root.path], out)
        forced.force = true
        #expect(try BatchRunner(options: forced).run().analyzed == 10)
    }

    /// A batch killed part way resumes: the bundles it finished are not analyzed again, the others are.
    @Test func aKilledBatchResumesWhereItStopped() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("captures")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("captures")).filter { $0.hasSuffix(".pcap") }.sorted()
        for n in names { try FileManager.default.copyItem(atPath: Paths.fixture("captures/\(n)"), toPath: root.appendingPathComponent(n).path) }
        try #require(names.count >= 10)
        let out = dir.appendingPathComponent("out"), index = out.appendingPathComponent("index.jsonl").path
        let pid = try Shell.spawn([Paths.executable, "batch", root.path, "-o", out.path, "--jobs", "1", "--no-progress"],
                                  stdout: dir.appendingPathComponent("stdout").path, stderr: dir.appendingPathComponent("stderr").path)
        var finished = 0
        for _ in 0..<6000 {
            finished = ((try? String(contentsOfFile: index, encoding: .utf8)) ?? "").split(separator: "\n").count
            if finished >= 2 { break }
            usleep(5000)
        }
        kill(pid, SIGKILL)
        _ = Shell.wait(pid)
        finished = try String(contentsOfFile: index, encoding: .utf8).split(separator: "\n").count
        try #require(finished >= 2 && finished < names.count, "killed after \(finished) of \(names.count)")

        let resumed = try BatchRunner(options: Self.options([root.path], out)).run()
        #expect(resumed.skipped == finished && resumed.analyzed == names.count - finished)
        #expect(resumed.records.count == names.count && resumed.records.allSatisfy { $0.status == .ok })
        #expect(try BatchIndex(path: index).byBundle.count == names.count)
    }

    /// Shards split the bundles without overlap, and their merged outputs equal one whole run.
    @Test func shardsCoverEveryBundleOnceAndMerge() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (root, expected) = try Self.archive(in: dir)
        var shards: [String] = []
        var seen: [String] = []
        for k in 0..<3 {
            var o = Self.options([root.path], dir.appendingPathComponent("shard-\(k)"))
            o.shard = try BatchOptions.parseShard("\(k)/3")
            let r = try BatchRunner(options: o).run()
            seen += r.records.map(\.relative)
            shards.append(o.output)
        }
        #expect(seen.sorted() == expected.sorted())
        let merged = try BatchMerge.merge(shards, into: dir.appendingPathComponent("merged").path)
        let whole = try BatchRunner(options: Self.options([root.path], dir.appendingPathComponent("whole"))).run()
        func key(_ r: BatchRecord) -> String { "\(r.relative) \(r.status) \(r.topCause ?? "-") \(r.report ?? "-")" }
        #expect(merged.records.map(key).sorted() == whole.records.map(key).sorted())
        let md = try String(contentsOf: dir.appendingPathComponent("merged/summary.md"), encoding: .utf8)
        #expect(md.hasPrefix("# netautopsy batch summary\n\n\(expected.count) bundles"))
        #expect(throws: BatchError.self) { try BatchOptions.parseShard("3/3") }
    }

    /// `--clusters`: each folder or archive inside the input is one incident's node bundles, one
    /// cluster report each (JSON, Markdown, HTML), summarized, sharded and merged like bundles.
    @Test func clusterGroupsAreAnalyzedShardedAndMerged() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("incidents")
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Paths.fixture("cluster"), toPath: root.appendingPathComponent("incident-1").path)
        let tar = try Shell.run(["tar", "-czf", root.appendingPathComponent("incident-2.tar.gz").path, "-C", Paths.fixture("cluster"), "node-a", "node-b"])
        try #require(tar.status == 0, "\(tar.stderr)")
        try "notes".write(to: root.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        var o = Self.options([root.path], dir.appendingPathComponent("out"))
        o.clusters = true
        let result = try BatchRunner(options: o).run()
        #expect(result.records.map(\.relative) == ["incident-1", "incident-2.tar.gz"])
        for r in result.records {
            #expect(r.status == .ok, "\(r.error ?? "")")
            #expect(r.host == "node-a, node-b" && r.topCause == "packets-lost-between-nodes", "\(r)")
            #expect(r.causes.contains("packets-dropped-on-node (between nodes)"))
            let base = o.output + "/" + (r.report ?? "")
            let json = try String(contentsOfFile: base + ".json", encoding: .utf8)
            #expect(json.contains("\"schema\" : \"netautopsy.cluster/1\""))
            #expect(try String(contentsOfFile: base + ".md", encoding: .utf8).hasPrefix("# netautopsy cluster report"))
            #expect(try String(contentsOfFile: base + ".html", encoding: .utf8).contains("<h2>Node node-b</h2>"))
        }
        #expect(try BatchRunner(options: o).run().analyzed == 0, "a second run skips what the index has")
        var shards: [String] = []
        for k in 0..<2 {
            var s = o
            s.output = dir.appendingPathComponent("shard-\(k)").path
            s.shard = (k, 2)
            _ = try BatchRunner(options: s).run()
            shards.append(s.output)
        }
        let merged = try BatchMerge.merge(shards, into: dir.appendingPathComponent("merged").path)
        #expect(merged.records.map(\.relative).sorted() == ["incident-1", "incident-2.tar.gz"])
        #expect(merged.records.allSatisfy { $0.topCause == "packets-lost-between-nodes" })
    }

    /// A bundle whose analysis runs out of time is recorded as failed, and the batch goes on; with
    /// --retry-failed it is analyzed again.
    @Test func aBundleOutOfTimeFailsAloneAndIsRetried() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        var o = Self.options([Paths.fixture("captures/frag-icmp.pcap"), Paths.fixture("captures/tcp-loss.pcap"), "/nonexistent/x.tar.gz"], out)
        o.timeout = 0.001
        let r = try BatchRunner(options: o).run()
        #expect(r.records.count == 2 && r.records.allSatisfy { $0.status == .failed && $0.error?.contains("was stopped") == true })
        #expect(r.inputProblems.map(\.path) == ["/nonexistent/x.tar.gz"] && r.failures == 3)
        let md = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(md.contains("| /nonexistent/x.tar.gz | input | no such file or directory |"))
        // Failed is remembered: skipped without --retry-failed, analyzed with it.
        o.timeout = 600
        #expect(try BatchRunner(options: o).run().analyzed == 0)
        o.retryFailed = true
        let retried = try BatchRunner(options: o).run()
        #expect(retried.analyzed == 2 && retried.records.allSatisfy { $0.status == .ok })
    }

    @Test func csvCellsAreQuotedAndDefused() {
        #expect(BatchSummary.csvCell("plain") == "plain")
        #expect(BatchSummary.csvCell("a,b") == "\"a,b\"")
        #expect(BatchSummary.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(BatchSummary.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
    }

    /// On a terminal one redrawn bar with the rate and time left; elsewhere a line per bundle.
    @Test func progressIsABarOnATerminalAndLinesElsewhere() {
        final class Sink: @unchecked Sendable { var text = ""; let lock = NSLock()
            func add(_ s: String) { lock.lock(); text += s; lock.unlock() } }
        var r = BatchRecord(bundle: "/a/x.tar.gz", relative: "x.tar.gz", hash: "ab", version: "v", status: .ok, seconds: 0.5, analyzedAt: "")
        let lines = Sink(), bar = Sink()
        let plain = BatchTerminalProgress(bar: false, output: lines.add), tty = BatchTerminalProgress(bar: true, output: bar.add)
        for p in [plain, tty] {
            p.started(bundles: 2, toAnalyze: 2)
            p.finished(r, skipped: false)
        }
        r.status = .failed
        r.error = "the analysis crashed (signal 11)"
        plain.finished(r, skipped: false)
        tty.finished(r, skipped: false)
        tty.end()
        #expect(lines.text == "netautopsy: 2 bundles, 2 to analyze\nnetautopsy: [1/2] x.tar.gz: ok in 0.5 s\n"
            + "netautopsy: [2/2] x.tar.gz: failed in 0.5 s (the analysis crashed (signal 11))\n")
        #expect(bar.text.contains("\r\u{1B}[K[###############---------------] 1/2 bundles · ") && bar.text.contains("/min · ETA "))
        #expect(bar.text.contains("] 2/2 bundles") && bar.text.hasSuffix("\r\u{1B}[K") && !bar.text.contains("\n"))
    }

    /// The command line: exit status 4 when the batch completed with failures, and what failed on stderr.
    @Test func theCommandExitsFourWithFailures() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Shell.run([Paths.executable, "batch", Paths.fixture("hostile"), Paths.fixture("captures/frag-icmp.pcap"),
                               "-o", dir.appendingPathComponent("out").path, "--no-progress"])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("batch completed with 8 failures (0 not analyzed, 8 analyzed in part, 0 inputs not read)"))
        let ok = try Shell.run([Paths.executable, "batch", Paths.fixture("captures/frag-icmp.pcap"), "-o", dir.appendingPathComponent("ok").path])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// The skip key holds the --config; a linked input is followed (nothing under it is); the output
    /// inside the input is not walked; merge only reads the shards.
    @Test func configLinksOutputsAndMergeAreHandled() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.fixture("captures/frag-icmp.pcap"), toPath: data.appendingPathComponent("a.pcap").path)
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: data.path)
        let out = data.appendingPathComponent("out")  // inside the input
        let first = try BatchRunner(options: Self.options([link.path], out)).run()
        #expect(first.records.map(\.relative) == ["a.pcap"] && first.inputProblems.isEmpty)
        // Its own reports (a .json named like nothing) and index are not bundles of the next run.
        #expect(try BatchRunner(options: Self.options([link.path], out)).run().records.map(\.relative) == ["a.pcap"])
        // Another config: analyzed again; the same one again: skipped.
        let config = dir.appendingPathComponent("na.yaml")
        try "disable: [ip-fragmentation]\n".write(to: config, atomically: true, encoding: .utf8)
        var o = Self.options([link.path], out)
        o.config = config.path
        let configured = try BatchRunner(options: o).run()
        #expect(configured.analyzed == 1 && configured.records[0].settings != nil)
        #expect(try BatchRunner(options: o).run().analyzed == 0)
        // Merge reads the shard and writes only its own output.
        let before = try Data(contentsOf: out.appendingPathComponent("index.jsonl"))
        let merged = try BatchMerge.merge([out.path], into: dir.appendingPathComponent("merged").path)
        #expect(merged.records.count == 1 && merged.records[0].settings == configured.records[0].settings)
        #expect(try Data(contentsOf: out.appendingPathComponent("index.jsonl")) == before)
    }
}
