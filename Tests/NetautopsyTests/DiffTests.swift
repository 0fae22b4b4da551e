import Autopsy
import Diagnosis
import Foundation
import Reports
import Testing

/// `netautopsy diff`: findings and causes matched by id into fixed, still present and new, and the
/// capture counters side by side, from bundles or from their JSON reports.
@Suite struct DiffTests {
    static let sample = Result { try Autopsy().analyze(Paths.fixture("sample-bundle.tar.gz")) }
    static let incident = Result { try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz")) }

    @Test func findingsAreSplitByCheckID() throws {
        let a = try Self.sample.get(), b = try Self.incident.get()
        let d = ReportDiff(before: a, after: b)
        let before = Set(a.findings.map(\.id.rawValue)), after = Set(b.findings.map(\.id.rawValue))
        #expect(Set(d.fixed.map(\.id)) == before.subtracting(after))
        #expect(Set(d.new.map(\.id)) == after.subtracting(before))
        #expect(Set(d.stillPresent.map(\.id)) == before.intersection(after))
        #expect(!d.fixed.isEmpty && !d.new.isEmpty && !d.stillPresent.isEmpty, "the two fixtures differ both ways")
        // Each side's worst severity and count, from its own report.
        for c in d.stillPresent {
            #expect(c.severityBefore == a.findings.filter { $0.id.rawValue == c.id }.map(\.severity).max())
            #expect(c.countAfter == b.findings.filter { $0.id.rawValue == c.id }.count)
        }
        #expect(Set(d.causesFixed.map(\.id)) == Set(a.causes.map(\.id)).subtracting(b.causes.map(\.id)))
        #expect(Set(d.causesNew.map(\.id)) == Set(b.causes.map(\.id)).subtracting(a.causes.map(\.id)))
        // Counters: both sides' values, only where one is not zero.
        let packets = try #require(d.counters.first { $0.name == "packets" })
        #expect(packets.before == a.captures.totals.packets && packets.after == b.captures.totals.packets)
        #expect(d.counters.allSatisfy { $0.before != 0 || $0.after != 0 })
        let md = DiffRenderer.markdown(d)
        #expect(md.contains("## Fixed (\(d.fixed.count))") && md.contains("## New (\(d.new.count))"))
    }

    @Test func aReportAgainstItselfChangesNothing() throws {
        let a = try Self.sample.get()
        let d = ReportDiff(before: a, after: a)
        #expect(d.fixed.isEmpty && d.new.isEmpty && d.causesFixed.isEmpty && d.causesNew.isEmpty)
        #expect(d.stillPresent.count == Set(a.findings.map(\.id)).count)
        #expect(d.counters.allSatisfy { $0.change == 0 })
    }

    /// A side given as its JSON report compares as the bundle does.
    @Test func jsonReportsCompareAsTheirBundles() throws {
        let a = try Self.sample.get(), b = try Self.incident.get()
        let a2 = try JSONRenderer.decode(JSONRenderer.render(a)), b2 = try JSONRenderer.decode(JSONRenderer.render(b))
        #expect(try DiffRenderer.json(ReportDiff(before: a2, after: b2)) == DiffRenderer.json(ReportDiff(before: a, after: b)))
    }

    @Test func theCommandReadsReportsAndBundlesAndGatesOnNewFindings() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("sample.json").path
        try JSONRenderer.render(try Self.sample.get()).write(toFile: json, atomically: true, encoding: .utf8)
        let out = try Shell.run([Paths.executable, "diff", json, Paths.fixture("incident-bundle.tar.gz"), "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(object?["schema"] as? String == ReportDiff.schema)
        #expect((object?["new"] as? [[String: Any]])?.contains { $0["id"] as? String == "conntrack-table-full" } == true)
        // New critical findings: --fail-on-new high exits 3; the same report twice does not.
        let gate = try Shell.run([Paths.executable, "diff", json, Paths.fixture("incident-bundle.tar.gz"), "--fail-on-new", "high"])
        #expect(gate.status == 3)
        let same = try Shell.run([Paths.executable, "diff", json, json, "--fail-on-new", "info"])
        #expect(same.status == 0, "\(same.stderr)")
        // A JSON file that is not a report is refused by name.
        let other = dir.appendingPathComponent("other.json").path
        try #"{"a": 1}"#.write(toFile: other, atomically: true, encoding: .utf8)
        let bad = try Shell.run([Paths.executable, "diff", other, json])
        #expect(bad.status == 2 && bad.stderr.contains("other.json") && bad.stderr.contains("not a netautopsy report"))
    }
}
