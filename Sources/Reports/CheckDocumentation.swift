import Diagnosis

/// Renders check descriptions: `netautopsy explain ID` (plain text) and docs/checks.md (Markdown),
/// both from the same descriptions the example tests run.
public enum CheckDocumentation {
    /// `netautopsy explain ID`.
    public static func explain(_ d: CheckDescription) -> String {
        var out = "\(d.id): \(d.title)\n\nSeverity: \(d.severity.rawValue)\n\nWhy it matters:\n\(d.rationale)\n\nEvidence:\n\(d.evidence)\n\nFix:\n\(d.fix)\n"
        if !d.parameters.isEmpty {
            out += "\nParameters (override in --config under checks.\(d.id)):\n"
            for p in d.parameters { out += "  \(p.name) = \(CheckParameter.format(p.defaultValue)) \(p.unit): \(p.help)\n" }
        }
        for (title, examples) in [("Examples that pass", d.passingExamples), ("Examples that fail", d.failingExamples)] where !examples.isEmpty {
            out += "\n\(title):\n"
            for e in examples {
                out += "  - \(e.title)\n"
                for f in e.files {
                    out += "      \(f.path):\n"
                    for line in f.text.split(separator: "\n", omittingEmptySubsequences: false).prefix(12) { out += "        \(line)\n" }
                }
                if !e.mustCite.isEmpty { out += "      must cite: \(e.mustCite.joined(separator: ", "))\n" }
            }
        }
        return out
    }

    /// The `--config` example docs/checks.md shows (a test parses it, so it stays valid).
    public static let configExample = """
        disable: [socket-buffers-small]
        checks:
          cpu-steal:
            steal_percent: 15
          link-flap:
            enabled: false

        """

    /// docs/checks.md: generated; a test fails when the committed file differs.
    public static func markdown(_ checks: [CheckDescription]) -> String {
        var out = """
            # Checks

            <!-- Generated from the check descriptions by `make docs` (netautopsy checks --markdown). Do not edit. -->

            Every check reads typed facts parsed from the bundle, never files. Each one's examples below are also its
            tests: the passing ones must produce no finding, the failing ones must, citing the lines listed.
            Thresholds can be overridden and checks disabled with `netautopsy analyze --config FILE`:

            ```yaml
            \(configExample)```

            | id | severity | title |
            |---|---|---|

            """
        for d in checks { out += "| [`\(d.id)`](#\(d.id)) | \(d.severity.rawValue) | \(Markdown.cell(d.title)) |\n" }
        for d in checks {
            out += "\n## \(d.id)\n\n**\(d.title)** · severity \(d.severity.rawValue)\n\n\(d.rationale)\n\n**Evidence.** \(d.evidence)\n\n**Fix.** \(d.fix)\n"
            if !d.parameters.isEmpty {
                out += "\n| parameter | default | unit | meaning |\n|---|---|---|---|\n"
                for p in d.parameters { out += "| `\(p.name)` | \(CheckParameter.format(p.defaultValue)) | \(p.unit) | \(Markdown.cell(p.help)) |\n" }
            }
            if d.passingExamples.isEmpty && d.failingExamples.isEmpty {
                out += "\n*Across nodes* ([cluster.md](cluster.md)): it compares several bundles, so its examples are the cluster tests "
                    + "(`Tests/NetautopsyTests/ClusterTests.swift`), run on copies of real bundles with one node changed.\n"
            }
            for (title, examples) in [("Passes", d.passingExamples), ("Fails", d.failingExamples)] {
                for e in examples {
                    out += "\n\(title): *\(Markdown.inline(e.title))*"
                    if !e.mustCite.isEmpty { out += " — must cite \(e.mustCite.map { "`\($0)`" }.joined(separator: ", "))" }
                    out += "\n"
                    for f in e.files {
                        out += "\n```text\n# \(f.path)\n\(f.text)\n```\n"
                    }
                }
            }
        }
        return out
    }

}
