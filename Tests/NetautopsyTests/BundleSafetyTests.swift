import Autopsy
import Foundation
import Input
import Reports
import Testing

/// Archives and directories with hostile or broken content (fixtures/make-hostile.py).
@Suite struct BundleSafetyTests {
    @Test func traversalLinksAndDevicesAreSkippedAndNamed() throws {
        let escape = ["/tmp/netautopsy-escape.txt", "/tmp/netautopsy-abs.txt", "/tmp/up.txt"]
        for p in escape { try? FileManager.default.removeItem(atPath: p) }
        let report = try Autopsy().analyze(Paths.fixture("hostile/traversal.tar.gz"))
        let problems = report.problems.map { "\($0.path): \($0.message)" }.joined(separator: "\n")
        #expect(problems.contains("../../tmp/netautopsy-escape.txt: path escapes the bundle"))
        #expect(problems.contains("/tmp/netautopsy-abs.txt: absolute path"))
        #expect(problems.contains("ok/../../up.txt: path escapes the bundle"))
        #expect(problems.contains("ok/link: symbolic link to /etc/passwd"))
        #expect(problems.contains("ok/hard: hard link to /etc/shadow"))
        #expect(problems.contains("not a regular file"))
        #expect(problems.contains("duplicate entry name"))
        // Both copies of the duplicate name are read (an extractor would keep only the last).
        #expect(report.artifacts.filter { $0.path == "ok/dup.txt" }.count == 2)
        // The good capture beside them is still analyzed.
        #expect(report.captures.totals.packets > 0)
        #expect(report.findings.contains { $0.id == "icmp-frag-needed" })
        for p in escape { #expect(!FileManager.default.fileExists(atPath: p)) }
    }

    @Test func truncatedTarballKeepsWhatCameBeforeTheCut() throws {
        let report = try Autopsy().analyze(Paths.fixture("hostile/truncated.tar.gz"))
        #expect(report.problems.contains { $0.message.contains("damaged or cut short") || $0.message.contains("cut short") })
        #expect(!report.artifacts.isEmpty)
    }

    @Test func corruptMembersAreEachNamed() throws {
        let report = try Autopsy().analyze(Paths.fixture("hostile/corrupt-members.tar.gz"))
        let byFile = Dictionary(report.problems.map { (($0.path as NSString).lastPathComponent, $0.message) },
                                uniquingKeysWith: { a, b in a + "; " + b })
        #expect(byFile["garbage.pcap"] != nil)
        #expect(byFile["empty.pcap"]?.contains("empty") == true)
        #expect(byFile["notacapture.pcap"]?.contains("capture") == true)
        #expect(byFile["cut.pcap"]?.contains("cut short") == true)
        #expect(report.captures.files.contains { $0.file.hasSuffix("cut.pcap") && $0.counters.packets > 0 })
        #expect(report.artifacts.contains { $0.kind.rawValue == "sysctl" })
    }

    @Test func unreadableInputThrowsNamingIt() {
        #expect(throws: InputError.self) { try Autopsy().analyze("/nonexistent/bundle.tar.gz") }
        let error = #expect(throws: InputError.self) { try Autopsy().analyze("/nonexistent/bundle.tar.gz") }
        #expect(error?.description.contains("/nonexistent/bundle.tar.gz") == true)
    }

    @Test func unpackedDirectoryIsAnalyzedLikeTheArchive() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-xzf", Paths.fixture("sample-bundle.tar.gz"), "-C", dir.path]
        try tar.run()
        tar.waitUntilExit()
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("escape").path, withDestinationPath: "/etc")
        let fromDir = try Autopsy().analyze(dir.path)
        let fromTar = try Autopsy().analyze(Paths.fixture("sample-bundle.tar.gz"))
        #expect(fromDir.captures.totals == fromTar.captures.totals)
        #expect(Set(fromDir.findings.map(\.id)) == Set(fromTar.findings.map(\.id)))
        #expect(fromDir.problems.contains { $0.path == "escape" && $0.message.contains("symbolic link") })
    }

    @Test func gzippedSingleCaptureIsRead() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("frag-icmp.pcap")
        try FileManager.default.copyItem(atPath: Paths.fixture("captures/frag-icmp.pcap"), toPath: target.path)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-n", target.path]
        try gzip.run()
        gzip.waitUntilExit()
        let report = try Autopsy().analyze(target.path + ".gz")
        #expect(report.captures.files.first?.file == "frag-icmp.pcap")
        #expect(report.captures.totals.icmpFragNeeded == 2)
    }

    /// Problems as "path: message" lines.
    static func problems(_ report: Report) -> String {
        report.problems.map { "\($0.path): \($0.message)" }.joined(separator: "\n")
    }

    /// 300 MiB of zeros inside gzip inside gzip (12 KB), and in a bzip2 zip entry (9 KB, decompressed
    /// by libarchive's format reader rather than a filter): stopped at the default ratio once 256 MiB
    /// have come out, naming the entry; the file before it is analyzed, the one after is not.
    @Test(arguments: [("bomb.tar.gz.gz", "bomb"), ("zip-bomb.zip", "zbomb")])
    func decompressionBombIsStoppedAtTheRatio(file: String, folder: String) throws {
        let report = try Autopsy().analyze(Paths.fixture("hostile/\(file)"))
        let problems = Self.problems(report)
        #expect(problems.contains("\(folder)/logs/zeros.log: not read further: decompression bomb?"))
        #expect(problems.contains("above --max-ratio 250"))
        #expect(problems.contains("\(file): not read further"))
        #expect(report.artifacts.contains { $0.path == "\(folder)/node/sysctl-a.txt" && $0.kind.rawValue == "sysctl" })
        #expect(!report.artifacts.contains { $0.path == "\(folder)/node/after.txt" })
    }

    /// The absolute cap and the ratio are both settings: a high ratio lets the bomb through to the
    /// absolute cap, and a small absolute cap stops an ordinary bundle part-way, naming the file.
    @Test func unpackLimitsAreConfigurable() throws {
        var autopsy = Autopsy()
        autopsy.walker.limits.maxRatio = 1_000_000
        autopsy.walker.limits.maxUnpackedBytes = 200 << 20
        let bomb = Self.problems(try autopsy.analyze(Paths.fixture("hostile/bomb.tar.gz.gz")))
        // zeros.log declares 300 MiB, above the 200 MiB cap: not even started.
        #expect(bomb.contains("bomb/logs/zeros.log: its header declares 300 MiB, more than --max-unpacked 200 MiB allows"))
        #expect(!bomb.contains("decompression bomb?"))

        autopsy.walker.limits = UnpackLimits()
        autopsy.walker.limits.maxUnpackedBytes = 64 << 10
        let small = try autopsy.analyze(Paths.fixture("incident-bundle.tar.gz"))
        let text = Self.problems(small)
        #expect(text.contains("not read further: more than 64 KiB decompressed in this bundle (--max-unpacked)"))
        #expect(!small.artifacts.isEmpty)
        let whole = try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz"))
        #expect(small.artifacts.count < whole.artifacts.count)
    }

    /// A tar header declaring 1 TiB (base-256 size): refused from the header, nothing allocated
    /// for it, the file before it analyzed.
    @Test func enormousDeclaredSizeIsRefusedFromTheHeader() throws {
        let report = try Autopsy().analyze(Paths.fixture("hostile/huge-declared.tar.gz"))
        #expect(Self.problems(report).contains("huge/captures/huge.pcap: its header declares 1 TiB, more than --max-unpacked 64 GiB allows"))
        #expect(report.artifacts.contains { $0.path == "huge/node/sysctl-a.txt" && $0.kind.rawValue == "sysctl" })
        #expect(report.captures.files.isEmpty)
    }

    /// Six archives deep: the first three levels are read, the fourth is named and not opened.
    @Test func nestedArchivesStopAtTheDepthLimit() throws {
        let report = try Autopsy().analyze(Paths.fixture("hostile/nested-deep.tar.gz"))
        let read = report.artifacts.filter { $0.kind.rawValue == "sysctl" }.map(\.path)
        #expect(read.count == 3)
        #expect(read.contains("level1/inner.tar.gz/level2/inner.tar.gz/level3/sysctl-a.txt"))
        #expect(Self.problems(report).contains(
            "level1/inner.tar.gz/level2/inner.tar.gz/level3/inner.tar.gz: archive nested deeper than 3 levels: not opened"))
    }

    /// A spent time budget stops reading, in an archive and in a directory; every file not read is
    /// named, and the report is still made from what was read.
    @Test func timeBudgetStopsReadingAndNamesWhatWasLeft() throws {
        var autopsy = Autopsy()
        autopsy.walker.limits.timeBudget = 1e-9
        for bundle in ["incident-bundle.tar.gz", "overlay-node"] {
            let report = try autopsy.analyze(Paths.fixture(bundle))
            let text = Self.problems(report)
            #expect(text.contains("the time budget of 1e-09 s for this bundle is used up (--time-budget)"), "\(bundle)")
            #expect(!MarkdownRenderer.render(report).isEmpty)
        }
        let directory = try autopsy.analyze(Paths.fixture("overlay-node"))
        let whole = try Autopsy().analyze(Paths.fixture("overlay-node"))
        // Every file of the directory is either named as not read or (for the ones read before) analyzed.
        #expect(directory.problems.count >= whole.artifacts.count - directory.artifacts.count)
        #expect(directory.captures.totals.packets < whole.captures.totals.packets)
    }

    @Test func markdownCellsHoldHostileText() {
        #expect(Markdown.cell("a|b\nc") == "a\\|b c")
        #expect(Markdown.code("x`y") == "``x`y``")
        #expect(!Markdown.inline("<script>").contains("<script>"))
    }
}
