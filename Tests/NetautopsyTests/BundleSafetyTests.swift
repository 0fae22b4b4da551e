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
        #expect(report.artifacts.contains { $0.kind == "sysctl" })
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

    @Test func markdownCellsHoldHostileText() {
        #expect(Markdown.cell("a|b\nc") == "a\\|b c")
        #expect(Markdown.code("x`y") == "``x`y``")
        #expect(!Markdown.inline("<script>").contains("<script>"))
    }
}
