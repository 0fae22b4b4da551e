import Testing
import Foundation
import Artifacts
import Diagnosis
import Reports
import Autopsy

/// The catalog's own contract: every check's examples are its tests, ids are unique, and every
/// check has at least one example of each kind.
@Suite struct CheckCatalogTests {
    /// Every check's passing and failing examples, parsed as a bundle would be (its description is its test).
    @Test(arguments: CheckCatalog.all.map { $0.description.id })
    func checkExamples(_ id: CheckID) throws {
        let check = try #require(CheckCatalog.check(id: id))
        let d = check.description
        #expect(!d.passingExamples.isEmpty && !d.failingExamples.isEmpty, "\(id) needs passing and failing examples")
        #expect(!d.title.isEmpty && !d.rationale.isEmpty && !d.evidence.isEmpty && !d.fix.isEmpty, "\(id) is described")
        for example in d.passingExamples {
            let findings = check.findings(in: example.facts, parameters: CheckParameters(d, overrides: example.parameters))
            #expect(findings.isEmpty, "\(id): passing example '\(example.name)' produced \(findings.map(\.summary))")
        }
        for example in d.failingExamples {
            let findings = check.findings(in: example.facts, parameters: CheckParameters(d, overrides: example.parameters))
            #expect(!findings.isEmpty, "\(id): failing example '\(example.name)' produced no finding")
            #expect(findings.allSatisfy { $0.id == id && !$0.evidence.isEmpty && !$0.fix.isEmpty })
            let cited = Set(findings.flatMap(\.evidence).flatMap { e -> [String] in
                guard let file = e.file else { return [] }
                return (e.frames ?? []).map { "\(file)#\($0)" } + (e.line.map { ["\(file):\($0)"] } ?? [])
            })
            #expect(cited.isSuperset(of: example.mustCite),
                    "\(id): '\(example.name)' must cite \(example.mustCite.filter { !cited.contains($0) }); cited \(cited.sorted())")
            // A cited line's text is the line itself, not a paraphrase.
            for e in findings.flatMap(\.evidence) where e.kind == .line {
                let file = try #require(example.files.first { $0.path == e.file }, "\(id): cites unknown file \(e.file ?? "-")")
                let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false)
                let n = try #require(e.line)
                #expect(n >= 1 && n <= lines.count && String(lines[n - 1]) == e.text, "\(id): line \(n) of \(file.path) cited as '\(e.text ?? "")'")
            }
        }
    }

    /// Cause rules and the correlator name checks by id: each name is a check of the catalog (a
    /// renamed check would otherwise drop out of every root cause without a sound).
    @Test func everyReferencedIDIsACheck() {
        let referenced = Correlator.referencedIDs()
        #expect(referenced.count > 40)
        #expect(CheckCatalog.unknown(referenced).isEmpty, "unknown: \(CheckCatalog.unknown(referenced))")
        #expect(CheckCatalog.unknown(["conntrack-table-full", "no-such-check"]) == ["no-such-check"])
        // every cause rule has a cause that exists, so each rule can apply
        for rule in CauseCatalog.rules { #expect(!rule.causes.isEmpty && CheckCatalog.unknown(rule.causes).isEmpty, "\(rule.id)") }
    }

    @Test func idsAreUniqueAndKebabCase() {
        let ids = CheckCatalog.documented.map(\.id)
        #expect(Set(ids).count == ids.count)
        for id in ids { #expect(id.rawValue.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(id)") }
    }

    @Test func theOnceBuiltDescriptionsAreEachChecksOwn() {
        // The catalog builds each description once, keyed by the check's type: one instance per type.
        for check in CheckCatalog.all {
            #expect(CheckCatalog.description(of: check).id == check.description.id)
            #expect(CheckCatalog.description(of: check).parameters.map(\.name) == check.description.parameters.map(\.name))
        }
        #expect(Set(CheckCatalog.all.map { ObjectIdentifier(type(of: $0)) }).count == CheckCatalog.all.count)
    }

    @Test func disabledChecksDoNotRunAndParametersApply() {
        let facts = CheckExample("x", "node/sysctl-a.txt", ["net.core.somaxconn = 512"]).facts
        #expect(CheckCatalog.run(facts).map(\.id) == ["somaxconn-low"])
        #expect(CheckCatalog.run(facts, settings: CheckSettings(disabled: ["somaxconn-low"])).isEmpty)
        #expect(CheckCatalog.run(facts, settings: CheckSettings(overrides: ["somaxconn-low": ["min": 256]])).isEmpty)
    }
}

/// `--config`, `explain` and the generated docs page.
@Suite struct CatalogInterfaceTests {
    @Test func configOverridesAndDisables() throws {
        let s = try AnalysisConfig.parse(CheckDocumentation.configExample)
        #expect(s.disabled == ["socket-buffers-small", "link-flap"])
        #expect(s.overrides["cpu-steal"]?["steal_percent"] == 15)
        #expect(try AnalysisConfig.parse("").disabled.isEmpty)
    }

    @Test func configErrorsNameTheKey() {
        #expect(throws: ConfigError.unknownKey("config", "theshold", "checks.cpu-steal (it has: enabled, steal_percent, high_percent)")) {
            try AnalysisConfig.parse("checks:\n  cpu-steal:\n    theshold: 3")
        }
        #expect(throws: ConfigError.unknownCheck("config", "cpu-stael", "checks")) { try AnalysisConfig.parse("checks:\n  cpu-stael: {}") }
        #expect(throws: ConfigError.unknownCheck("config", "nope", "disable")) { try AnalysisConfig.parse("disable: [nope]") }
        #expect(throws: ConfigError.unknownKey("config", "ignore", "top level (expected `disable` or `checks`)")) { try AnalysisConfig.parse("ignore: 1") }
        #expect(throws: ConfigError.self) { try AnalysisConfig.parse("checks:\n  cpu-steal:\n    steal_percent: lots") }
        #expect(throws: ConfigError.self) { try AnalysisConfig.parse("checks: [1, 2") }
    }

    @Test func docsPageIsGeneratedFromTheDescriptions() throws {
        let committed = try String(contentsOfFile: Paths.root.appendingPathComponent("docs/checks.md").path, encoding: .utf8)
        #expect(committed == CheckDocumentation.markdown(CheckCatalog.documented), "docs/checks.md is stale: run `make docs`")
    }

    @Test func explainShowsParametersAndExamples() throws {
        let text = CheckDocumentation.explain(try #require(CheckCatalog.check(id: "etcd-fdatasync-slow")).description)
        #expect(text.contains("fail_ms = 10 ms") && text.contains("Examples that fail:") && text.contains("must cite: disk/fio.txt:8"))
    }
}
