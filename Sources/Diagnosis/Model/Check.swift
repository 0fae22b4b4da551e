/// What a check is for: drives `netautopsy explain`, docs/checks.md and the example tests.
public struct CheckDescription: Sendable {
    public var id: String
    public var title: String
    /// Why it matters for a Kubernetes network incident.
    public var rationale: String
    /// The severity it usually reports (a finding may raise or lower it, and says why).
    public var severity: Severity
    public var fix: String
    /// Inputs that must not produce a finding, and inputs that must.
    public var passingExamples: [CheckExample]
    public var failingExamples: [CheckExample]
}

/// A small input for a check, with what a failing example's finding must cite.
public struct CheckExample: Sendable {
    public var name: String
    public var facts: Facts
    /// Frame numbers (packet checks) or line numbers (text checks) the finding must cite.
    public var mustCite: [Int]

    public init(_ name: String, facts: Facts, mustCite: [Int] = []) {
        self.name = name
        self.facts = facts
        self.mustCite = mustCite
    }
}

/// A diagnosis rule over typed facts. One check per file.
public protocol Check: Sendable {
    var description: CheckDescription { get }
    func findings(in facts: Facts) -> [Finding]
}

extension Check {
    /// A finding with this check's id, title and fix.
    func finding(_ severity: Severity, summary: String, evidence: [Evidence], fix: String? = nil) -> Finding {
        Finding(id: description.id, severity: severity, title: description.title, summary: summary,
                evidence: evidence, fix: fix ?? description.fix)
    }
}

/// Every check netautopsy runs, in report order.
public enum CheckCatalog {
    public static let all: [any Check] = [
        IPFragmentationCheck(),
        ICMPFragNeededCheck(),
        MessageTooLongCheck(),
        SynWithoutSynAckCheck(),
        SynRstCheck(),
    ]

    public static func check(id: String) -> (any Check)? {
        all.first { $0.description.id == id }
    }
}
