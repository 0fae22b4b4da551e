import Artifacts

/// Joins findings into ranked root causes (`CauseCatalog.rules`) and writes the verdict.
///
/// A rule applies when one of its cause findings is present: with high confidence when a mechanism
/// or symptom finding shows the cause's effect too, with medium confidence otherwise. A symptom
/// finding that no applied rule explains gets the rules that could explain it with low confidence,
/// when the bundle lacks every artifact that would show their cause, saying what to collect. A
/// cause whose findings all appear as the effect of a high-confidence cause is folded into it.
/// Causes are ranked by confidence, then severity, then how many findings they explain.
public enum Correlator {
    public static func causes(_ findings: [Finding], present: Set<ArtifactKind>,
                              rules: [CauseRule] = CauseCatalog.rules) -> [RootCause] {
        // Findings come most severe first: the first of an id is the one to show.
        var byID: [CheckID: Finding] = [:]
        for f in findings where byID[f.id] == nil { byID[f.id] = f }
        func links(_ ids: [CheckID], _ role: RootCause.Link.Role, atLeast minimum: Severity = .info) -> [RootCause.Link] {
            ids.compactMap { id in
                byID[id].flatMap { $0.severity >= minimum ? RootCause.Link(role: role, finding: id, severity: $0.severity, summary: $0.summary) : nil }
            }
        }
        var causes: [(cause: RootCause, order: Int)] = []
        var explained: Set<CheckID> = []
        for (order, rule) in rules.enumerated() {
            let cause = links(rule.causes, .cause, atLeast: rule.causeSeverity)
            guard !cause.isEmpty else { continue }
            let effect = links(rule.mechanisms, .mechanism) + links(rule.symptoms, .symptom)
            let chain = cause + effect + links(rule.context, .context)
            explained.formUnion(chain.map(\.finding))
            causes.append((make(rule, chain: chain, confidence: effect.isEmpty ? .medium : .high, present: present), order))
        }
        // A cause whose own findings a better-supported cause already explains is part of that story
        // (a PMTU black hole on an overlay whose MTU is wrong), not another one.
        let effects = Set(causes.filter { $0.cause.confidence == .high }
            .flatMap { $0.cause.chain.filter { $0.role == .mechanism || $0.role == .symptom }.map(\.finding) })
        causes.removeAll { c in
            c.cause.confidence < .high && c.cause.chain.filter { $0.role == .cause }.allSatisfy { effects.contains($0.finding) }
        }
        // Symptoms nothing explains: the causes the bundle could not show.
        for (order, rule) in rules.enumerated() where !causes.contains(where: { $0.cause.id == rule.id }) {
            // Only symptoms: a mechanism (ICMP "fragmentation needed", say) shows something working.
            let symptoms = links(rule.symptoms, .symptom).filter { !explained.contains($0.finding) }
            let unseeable = rule.evidence.filter { $0.kinds.isDisjoint(with: present) }
            guard !symptoms.isEmpty, !rule.evidence.isEmpty, unseeable.count == rule.evidence.count else { continue }
            causes.append((make(rule, chain: symptoms, confidence: .low, present: present), order))
        }
        func explains(_ c: RootCause) -> Int { c.chain.filter { $0.role == .mechanism || $0.role == .symptom }.count }
        return causes.sorted {
            ($0.cause.confidence, $0.cause.severity, explains($0.cause), -$0.order)
                > ($1.cause.confidence, $1.cause.severity, explains($1.cause), -$1.order)
        }.map(\.cause)
    }

    private static func make(_ rule: CauseRule, chain: [RootCause.Link], confidence: RootCause.Confidence,
                             present: Set<ArtifactKind>) -> RootCause {
        RootCause(
            id: rule.id, title: rule.title, symptom: rule.symptom, confidence: confidence,
            severity: chain.map(\.severity).max() ?? .info, explanation: explanation(chain, confidence: confidence, rule: rule),
            chain: chain, fix: rule.fix,
            toConfirm: rule.evidence.filter { $0.kinds.isDisjoint(with: present) }.map(\.advice)
                + (confidence == .medium ? effectAdvice(rule, present: present) : []))
    }

    /// Where effect findings come from, for the causes seen without their effect: a bundle without
    /// the artifact cannot show whether the effect happened.
    static let effectSources: [(kind: ArtifactKind, findings: Set<CheckID>, advice: String)] = [
        (.capture, ["ip-fragmentation", "icmp-frag-needed", "syn-without-synack", "syn-rst", "pmtu-black-hole", "overlay-fragmentation",
                    "overlay-packets-too-big", "tcp-retransmissions", "tcp-zero-window", "tcp-slow-connect", "tcp-reset-storm",
                    "dns-unanswered", "dns-resend-timeout", "dns-latency-wire"],
         "no capture in the bundle: collect one during the incident (`netautopsy-collect.sh --duration 60`) to see whether"),
        (.corednsLog, ["coredns-latency", "coredns-servfail-refused", "coredns-upstream-timeout"],
         "no CoreDNS log in the bundle: collect it (`--coredns-logs DIR`, or `kubectl logs -n kube-system -l k8s-app=kube-dns`) to see whether"),
    ]

    /// Every check id the rules and the effect sources name (`CheckCatalog.unknown` of them is empty).
    public static func referencedIDs(rules: [CauseRule] = CauseCatalog.rules) -> [CheckID] {
        rules.flatMap { $0.causes + $0.mechanisms + $0.symptoms + $0.context } + effectSources.flatMap { $0.findings.sorted() }
    }

    /// What to collect to see the effect of a cause seen alone: "… to see whether syn-without-synack
    /// or dns-unanswered follow".
    static func effectAdvice(_ rule: CauseRule, present: Set<ArtifactKind>) -> [String] {
        let effects = rule.mechanisms + rule.symptoms
        return effectSources.compactMap { source in
            let ids = effects.filter(source.findings.contains).map(\.rawValue)
            guard !present.contains(source.kind), !ids.isEmpty else { return nil }
            let either = ids.count == 1 ? ids[0] : ids.dropLast().joined(separator: ", ") + " or " + ids[ids.count - 1]
            return source.advice + " " + either + " follow"
        }
    }

    private static func explanation(_ chain: [RootCause.Link], confidence: RootCause.Confidence, rule: CauseRule) -> String {
        func ids(_ role: RootCause.Link.Role) -> [String] { chain.filter { $0.role == role }.map(\.finding.rawValue) }
        var parts: [String] = []
        switch confidence {
        case .low:
            parts.append("Nothing in the bundle shows this cause or rules it out, and it would explain "
                + Format.list(ids(.symptom)) + ".")
        case .medium, .high:
            parts.append("Shown by " + Format.list(ids(.cause)) + ".")
            if !ids(.mechanism).isEmpty { parts.append("It acts through " + Format.list(ids(.mechanism)) + ".") }
            if !ids(.symptom).isEmpty { parts.append("It explains " + Format.list(ids(.symptom)) + ".") }
            if confidence == .medium { parts.append("No finding in the bundle shows its effect yet.") }
            if !ids(.context).isEmpty { parts.append("Made likelier or worse by " + Format.list(ids(.context)) + ".") }
        }
        return parts.joined(separator: " ")
    }

    /// The causes with `since` and `until` set from their cause, mechanism and symptom findings'
    /// `firstSeen` and `lastSeen` (context settings are not moments).
    public static func dated(_ causes: [RootCause], findings: [Finding]) -> [RootCause] {
        var times: [CheckID: (Int64, Int64)] = [:]
        for f in findings {
            guard let a = f.firstSeen?.nanoseconds, let b = f.lastSeen?.nanoseconds else { continue }
            let old = times[f.id] ?? (a, b)
            times[f.id] = (min(old.0, a), max(old.1, b))
        }
        return causes.map { c in
            var c = c
            let spans = c.chain.filter { $0.role != .context }.compactMap { times[$0.finding] }
            if let a = spans.map(\.0).min(), let b = spans.map(\.1).max() {
                c.since = WallTime(a)
                c.until = WallTime(b)
            }
            return c
        }
    }

    /// The executive summary: the verdict in one paragraph.
    public static func verdict(findings: [Finding], causes: [RootCause], captures: Int, files: Int,
                               coverage: EvidenceCoverage? = nil) -> String {
        let text = verdictBody(findings: findings, causes: causes, captures: captures, files: files)
        guard let coverage else { return text }
        return text + " " + coverage.sentence
    }

    static func verdictBody(findings: [Finding], causes: [RootCause], captures: Int, files: Int) -> String {
        let looked = "\(Format.plural(captures, "capture")) and \(Format.plural(files, "other file"))"
        guard let worst = findings.first else { return "No problems found in \(looked)." }
        // Low and info findings alone (a default like ndots:5, a setting that could matter) are
        // notes on a node that may be healthy: not the headline of an incident.
        if worst.severity < .medium {
            let first = causes.first.map { c in "\(c.title) (\(c.severity.rawValue)\(c.confidence == .high ? "" : ", nothing in the bundle shows its effect")): "
                + (c.chain.first?.summary ?? worst.summary) } ?? "\(worst.title) (\(worst.severity.rawValue)): \(worst.summary)"
            return "No problem of medium or higher severity found in \(looked). \(Format.plural(findings.count, "note")), the first: " + first
        }
        guard let top = causes.first, top.confidence > .low else {
            var text = "\(Format.plural(findings.count, "finding")) in \(looked), but no root cause could be established. "
                + "The most severe is \(worst.title) (\(worst.severity.rawValue)): \(worst.summary)"
            if let guess = causes.first { text += " It could be: \(guess.title); " + (guess.toConfirm.first ?? "") + "." }
            return text
        }
        let when = top.since.map { a in Format.span(a.nanoseconds, top.until?.nanoseconds ?? a.nanoseconds) } ?? ""
        // When its evidence was seen, which is not always when the cause began or ended.
        var text = "Most likely cause (\(top.confidence.rawValue) confidence): \(top.title)\(when.isEmpty ? "" : ", seen" + when), "
            + "which shows as \(top.symptom). " + (top.chain.first?.summary ?? "")
        let others = causes.dropFirst().filter { $0.confidence > .low }
        if !others.isEmpty {
            text += " Also: " + others.prefix(3).map { "\($0.title) (\($0.confidence.rawValue))" }.joined(separator: "; ")
                + (others.count > 3 ? "; and \(others.count - 3) more" : "") + "."
        }
        return text
    }
}
