import ArgumentParser
import Diagnosis
import Foundation
@testable import NetautopsyCLI
import Testing

/// The command line as a user meets it: help text, output files and exit codes.
@Suite struct CLITests {
    @Test func helpDescribesAnalyze() {
        let help = NetautopsyCommand.helpMessage(for: NetautopsyCommand.self)
        #expect(help.contains("analyze"))
        #expect(help.contains("explain"))
        let analyze = NetautopsyCommand.helpMessage(for: try! #require(NetautopsyCommand.configuration.subcommands.first))
        for option in ["--format", "--output", "--fail-on", "<paths> ..."] { #expect(analyze.contains(option), "\(option)") }
    }

    @Test func failOnExitsThreeAndWritesTheReport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r.json").path
        var command = try NetautopsyCommand.parseAsRoot(["analyze", Paths.fixture("captures/frag-icmp.pcap"),
                                                          "-f", "json", "-o", out, "--fail-on", "medium"])
        #expect(throws: ExitCode(3)) { try command.run() }
        #expect(FileManager.default.fileExists(atPath: out))
        var relaxed = try NetautopsyCommand.parseAsRoot(["analyze", Paths.fixture("captures/frag-icmp.pcap"),
                                                          "-o", out, "--fail-on", "critical"])
        try relaxed.run()
    }

    @Test func unreadablePathExitsTwo() throws {
        var command = try NetautopsyCommand.parseAsRoot(["analyze", "/nonexistent.pcap"])
        #expect(throws: ExitCode(2)) { try command.run() }
    }

    @Test func collectorIsASubcommandWithUsage() throws {
        let help = NetautopsyCommand.helpMessage(for: Collector.self)
        #expect(help.contains("netautopsy collector | ssh NODE sudo sh -s -- --duration 60"))
        #expect(try NetautopsyCommand.parseAsRoot(["collector"]) is Collector)
        #expect(NetautopsyCommand.helpMessage().contains("collector"))
    }

    @Test func explainRejectsUnknownChecks() {
        #expect(throws: (any Error).self) { try NetautopsyCommand.parseAsRoot(["explain", "no-such-check"]) }
        #expect((try? NetautopsyCommand.parseAsRoot(["explain", "syn-rst"])) != nil)
    }

    @Test func configFileDisablesChecksAndBadKeysAreNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("netautopsy.yaml").path
        let out = dir.appendingPathComponent("r.json").path
        try "disable: [conntrack-table-full]\nchecks:\n  oom-kill-network:\n    enabled: false\n".write(toFile: config, atomically: true, encoding: .utf8)
        var command = try NetautopsyCommand.parseAsRoot(["analyze", Paths.fixture("incident-bundle.tar.gz"), "-f", "json", "-o", out,
                                                          "--config", config, "--fail-on", "critical"])
        try command.run()  // the only critical finding is disabled
        let report = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!report.contains("\"conntrack-table-full\"") && !report.contains("\"oom-kill-network\"") && report.contains("\"somaxconn-low\""))
        try "checks:\n  somaxconn-low:\n    minimum: 10\n".write(toFile: config, atomically: true, encoding: .utf8)
        var bad = try NetautopsyCommand.parseAsRoot(["analyze", Paths.fixture("incident-bundle.tar.gz"), "--config", config])
        #expect { try bad.run() } throws: { error in
            "\(error)".contains("unknown key 'minimum' in checks.somaxconn-low (it has: enabled, min)")
        }
    }

    @Test func checksListsTheCatalog() throws {
        #expect(try NetautopsyCommand.parseAsRoot(["checks", "--markdown"]) is Checks)
        let lines = Checks.listing().split(separator: "\n")
        #expect(lines.count == CheckCatalog.documented.count)
        for (line, check) in zip(lines, CheckCatalog.documented) {
            #expect(line.hasPrefix(check.id.rawValue + " ") && line.hasSuffix(check.title), "\(line)")
        }
    }
}
