import Autopsy
import Foundation
import Reports
import Testing

/// Golden reports: a few bundles of every kind in, the whole JSON report out, compared byte for
/// byte with `Tests/Golden/NAME.json`. A refactor that changes any finding, citation, count,
/// inventory row or wording shows here as a diff; a deliberate change is accepted by rewriting the
/// files (`make golden`, which sets NETAUTOPSY_UPDATE_GOLDEN=1) and committing the diff with the
/// change that caused it. The report holds no clock readings or timings; the one machine-specific
/// string, the checkout's absolute path, is replaced by `$ROOT`.
struct GoldenReportTests {
    /// Name of the golden file → the input, relative to the repository.
    static let bundles: [(name: String, path: String)] = [
        ("sample-bundle", "fixtures/sample-bundle.tar.gz"),
        ("incident-bundle", "fixtures/incident-bundle.tar.gz"),
        ("conntrack-full-bundle", "fixtures/conntrack-full-bundle.tar.gz"),
        ("overlay-node", "fixtures/overlay-node"),
        ("sosreport-hotsos", "fixtures/layouts/sosreport/sosreport-juju-110cc2-k8stest-4-2022-02-11-fixture"),
        ("troubleshoot-baseline", "fixtures/layouts/troubleshoot/baseline.tar.gz"),
        ("troubleshoot-k3d", "fixtures/layouts/troubleshoot/k3d-support-bundle.tar.gz"),
        ("must-gather-aws-network", "fixtures/layouts/must-gather/must-gather-aws-network.tar.xz"),
        ("hostile-traversal", "fixtures/hostile/traversal.tar.gz"),
        ("hostile-truncated", "fixtures/hostile/truncated.tar.gz"),
    ]

    static let golden = Paths.root.appendingPathComponent("Tests/Golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["NETAUTOPSY_UPDATE_GOLDEN"] == "1" }

    /// The report of `path` as the CLI's `--format json` writes it, with the checkout's path made `$ROOT`.
    static func report(_ path: String) throws -> String {
        let report = try Autopsy().analyze(Paths.root.appendingPathComponent(path).path)
        return try JSONRenderer.render(report).replacingOccurrences(of: Paths.root.path, with: "$ROOT")
    }

    @Test(arguments: bundles.map(\.name))
    func reportMatchesItsGoldenFile(_ name: String) throws {
        let path = try #require(Self.bundles.first { $0.name == name }).path
        let actual = try Self.report(path)
        let file = Self.golden.appendingPathComponent("\(name).json")
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        guard actual != expected else { return }
        // Name the first differing line, so the failure says what changed without a diff tool.
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
        Issue.record("""
            \(name): the report differs from Tests/Golden/\(name).json from line \(first + 1) \
            (\(a.count) lines now, \(e.count) in the golden file).
            golden: \(first < e.count ? String(e[first]) : "<end>")
            now:    \(first < a.count ? String(a[first]) : "<end>")
            If the change is deliberate, run `make golden` and commit the diff with it.
            """)
    }

    /// The same bundle analyzed twice gives the same bytes: the golden comparison can only fail
    /// on a real change (parallel capture work, directory order and hashing are all ordered).
    @Test func reportsAreDeterministic() throws {
        for path in ["fixtures/sample-bundle.tar.gz", "fixtures/overlay-node"] {
            #expect(try Self.report(path) == Self.report(path), "\(path)")
        }
    }

    /// Every golden file belongs to a bundle of the list (none left behind after a rename).
    @Test(.disabled(if: updating, "the files are being rewritten"))
    func noStrayGoldenFiles() throws {
        let names = Set(Self.bundles.map { "\($0.name).json" })
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.golden.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == names)
    }
}
