import Artifacts

/// What a check is for: drives `netautopsy explain`, docs/checks.md and the example tests.
public struct CheckDescription: Sendable {
    public var id: CheckID
    public var title: String
    /// Why it matters for a Kubernetes network incident.
    public var rationale: String
    /// The severity it usually reports (a finding may raise or lower it, and says why).
    public var severity: Severity
    /// What a finding shows a person can check (lines, frames, values).
    public var evidence: String
    public var fix: String
    /// Thresholds a config file may override.
    public var parameters: [CheckParameter]
    /// Inputs that must not produce a finding, and inputs that must.
    public var passingExamples: [CheckExample]
    public var failingExamples: [CheckExample]

    public init(id: CheckID, title: String, rationale: String, severity: Severity, evidence: String, fix: String,
                parameters: [CheckParameter] = [], passingExamples: [CheckExample], failingExamples: [CheckExample]) {
        self.id = id
        self.title = title
        self.rationale = rationale
        self.severity = severity
        self.evidence = evidence
        self.fix = fix
        self.parameters = parameters
        self.passingExamples = passingExamples
        self.failingExamples = failingExamples
    }
}

/// A threshold of a check, with its default and unit (`netautopsy explain` lists them).
public struct CheckParameter: Sendable {
    public var name: String
    public var defaultValue: Double
    public var unit: String
    public var help: String

    /// A parameter value as docs and `explain` show it: whole numbers without a decimal point.
    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    public init(_ name: String, _ defaultValue: Double, unit: String, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.unit = unit
        self.help = help
    }
}

/// The parameter values a check runs with: its defaults, overridden by the config file.
public struct CheckParameters: Sendable {
    var values: [String: Double]

    public init(_ description: CheckDescription, overrides: [String: Double] = [:]) {
        var v: [String: Double] = [:]
        for p in description.parameters { v[p.name] = p.defaultValue }
        values = v.merging(overrides) { $1 }
    }

    /// The value of a declared parameter (a check reading an undeclared one is a bug).
    public subscript(name: String) -> Double {
        guard let v = values[name] else { preconditionFailure("undeclared check parameter \(name)") }
        return v
    }
}

/// A small input for a check: the files of a bundle, parsed as the analyzer parses them, and for
/// a failing example the `FILE:LINE` (text) or `FILE#FRAME` (capture) citations its finding must have.
public struct CheckExample: Sendable {
    public var name: String
    /// Bundle-relative path and content of each file, in order.
    public var files: [(path: String, text: String)]
    /// Builds the facts when asked: descriptions (and so their examples) are made every time a
    /// check runs, and parsing or replaying every example then would cost each analysis.
    private let makeFacts: @Sendable () -> Facts
    public var facts: Facts { makeFacts() }
    public var mustCite: [String]
    /// Parameter overrides the example runs with (to keep an example small); empty for the defaults.
    public var parameters: [String: Double] = [:]

    /// The example's name, with its parameter overrides if any.
    public var title: String {
        parameters.isEmpty ? name
            : name + " (with " + parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \(CheckParameter.format($0.value))" }.joined(separator: ", ") + ")"
    }

    /// An example made of text files; their kinds come from their names, as in a bundle.
    public init(_ name: String, files: [(String, String)], mustCite: [String] = []) {
        self.name = name
        self.files = files.map { (path: $0.0, text: $0.1) }
        makeFacts = {
            var builder = FactsBuilder()
            for (path, text) in files {
                builder.add(path: path, kind: ArtifactKind.classifyText(path: path, head: String(text.prefix(4096))), text: text)
            }
            builder.finish()
            return builder.facts
        }
        self.mustCite = mustCite
    }

    /// An example over facts built by hand (packet checks).
    public init(_ name: String, facts: Facts, mustCite: [String] = []) {
        self.init(name, facts: { facts }, mustCite: mustCite)
    }

    /// An example whose facts `build` makes when they are needed.
    public init(_ name: String, facts build: @escaping @Sendable () -> Facts, mustCite: [String] = []) {
        self.name = name
        self.files = []
        makeFacts = build
        self.mustCite = mustCite
    }

    /// An example of one file given as lines.
    public init(_ name: String, _ path: String, _ lines: [String], mustCite lineNumbers: [Int] = []) {
        self.init(name, files: [(path, lines.joined(separator: "\n"))], mustCite: lineNumbers.map { "\(path):\($0)" })
    }
}

/// A diagnosis rule over typed facts. One check per file.
public protocol Check: Sendable {
    var description: CheckDescription { get }
    func findings(in facts: Facts, parameters: CheckParameters) -> [Finding]
}

extension Check {
    /// A finding with this check's id, title and fix.
    /// `title` replaces the check's title when this finding is a milder case than the title says.
    func finding(_ severity: Severity, summary: String, evidence: [Evidence], fix: String? = nil, title: String? = nil) -> Finding {
        let d = CheckCatalog.description(of: self)
        return Finding(id: d.id, severity: severity, title: title ?? d.title, summary: summary, evidence: evidence, fix: fix ?? d.fix)
    }

    /// Runs with the default parameters.
    public func findings(in facts: Facts) -> [Finding] {
        findings(in: facts, parameters: CheckParameters(CheckCatalog.description(of: self)))
    }
}

/// Which checks run and with which thresholds (from `--config`; empty means all, defaults).
public struct CheckSettings: Sendable {
    public var disabled: Set<CheckID> = []
    public var overrides: [CheckID: [String: Double]] = [:]

    public init(disabled: Set<CheckID> = [], overrides: [CheckID: [String: Double]] = [:]) {
        self.disabled = disabled
        self.overrides = overrides
    }
}
