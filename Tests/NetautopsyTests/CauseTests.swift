import Artifacts
import Diagnosis
import Foundation
import Reports
import Testing
@testable import Autopsy

/// Root causes: findings joined by the correlation rules, ranked, and the verdict on top.
@Suite struct CauseTests {
    static func finding(_ id: CheckID, _ severity: Severity) -> Finding {
        Finding(id: id, severity: severity, title: id.rawValue, summary: "summary of \(id).", evidence: [], fix: "")
    }

    @Test func aCauseWithItsEffectIsHighConfidenceAndAloneIsMedium() {
        let with = Correlator.causes([Self.finding("conntrack-table-full", .critical), Self.finding("syn-without-synack", .high)],
                                     present: [.dmesg, .capture])
        #expect(with.first?.id == "conntrack-exhaustion")
        #expect(with.first?.confidence == .high)
        #expect(with.first?.chain.map(\.finding) == ["conntrack-table-full", "syn-without-synack"])
        #expect(with.first?.chain.map(\.role) == [.cause, .symptom])
        #expect(with.first?.severity == .critical)
        let alone = Correlator.causes([Self.finding("conntrack-table-full", .critical)], present: [.dmesg])
        #expect(alone.map(\.id) == ["conntrack-exhaustion"])
        #expect(alone.first?.confidence == .medium)
        // Seen alone in a bundle without a capture: what would show its effect is named.
        #expect(alone.first?.toConfirm.contains {
            $0.hasPrefix("no capture in the bundle: collect one during the incident") && $0.contains("whether syn-without-synack, dns-unanswered, dns-resend-timeout or tcp-slow-connect follow")
        } == true)
        // With a capture and a CoreDNS log that show nothing, there is nothing more to collect.
        let captured = Correlator.causes([Self.finding("conntrack-table-full", .critical)], present: [.dmesg, .capture, .sysctl, .corednsLog])
        #expect(captured.first?.confidence == .medium && captured.first?.toConfirm.isEmpty == true)
    }

    @Test func anUnexplainedSymptomNamesWhatToCollect() {
        // Unanswered SYNs, and a bundle with a capture only: what could explain them cannot be seen.
        let causes = Correlator.causes([Self.finding("syn-without-synack", .high)], present: [.capture])
        #expect(!causes.isEmpty)
        #expect(causes.allSatisfy { $0.confidence == .low })
        let conntrack = causes.first { $0.id == "conntrack-exhaustion" }
        #expect(conntrack?.toConfirm.contains { $0.contains("dmesg") } == true)
        // With the kernel log and sysctls in the bundle and nothing in them, conntrack is ruled out.
        let ruledOut = Correlator.causes([Self.finding("syn-without-synack", .high)], present: [.capture, .dmesg, .sysctl])
        #expect(!ruledOut.contains { $0.id == "conntrack-exhaustion" })
        let verdict = Correlator.verdict(findings: [Self.finding("syn-without-synack", .high)], causes: causes, captures: 1, files: 0)
        #expect(verdict.contains("no root cause could be established"))
    }

    /// Low findings alone are notes: a default setting is not an incident's headline.
    @Test func lowFindingsAloneAreNotesNotACause() {
        let findings = [Self.finding("resolv-ndots-search", .low)]
        let causes = Correlator.causes(findings, present: [.resolvConf])
        #expect(causes.first?.id == "dns-search-amplification")
        let verdict = Correlator.verdict(findings: findings, causes: causes, captures: 0, files: 3)
        #expect(verdict.hasPrefix("No problem of medium or higher severity found in 0 captures and 3 other files. 1 note, the first: "
            + "ndots:5 search-path amplification (low, nothing in the bundle shows its effect)"), "\(verdict)")
        // The same cause with a medium finding is the headline.
        let medium = [Self.finding("resolv-ndots-search", .medium)]
        #expect(Correlator.verdict(findings: medium, causes: Correlator.causes(medium, present: [.resolvConf]), captures: 0, files: 3)
            .hasPrefix("Most likely cause (medium confidence): ndots:5 search-path amplification"))
    }

    @Test func rankingPutsConfidenceBeforeSeverity() {
        let causes = Correlator.causes([
            Self.finding("forwarding-disabled", .critical),                      // medium: nothing shows its effect
            Self.finding("overlay-mtu-mismatch", .high), Self.finding("pmtu-black-hole", .high),  // high
        ], present: [.sysctl, .ipLink, .capture])
        #expect(causes.map(\.id) == ["mtu-mismatch", "forwarding-disabled"])
        #expect(causes.map(\.confidence) == [.high, .medium])
        // The black hole is how the MTU mismatch acts, not a second story.
        #expect(causes[0].chain.contains { $0.finding == "pmtu-black-hole" && $0.role == .mechanism })
        // Alone, it is a cause of its own.
        let alone = Correlator.causes([Self.finding("pmtu-black-hole", .high)], present: [.capture, .ipLink])
        #expect(alone.map(\.id) == ["path-mtu-black-hole"])
    }

    @Test func theIncidentBundleBlamesTheConntrackTable() throws {
        let report = try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz"))
        let top = try #require(report.causes.first)
        #expect(top.id == "conntrack-exhaustion")
        #expect(top.confidence == .high)
        #expect(top.chain.contains { $0.role == .cause && $0.finding == "conntrack-table-full" })
        // Every link names a finding of the report.
        let ids = Set(report.findings.map(\.id))
        #expect(report.causes.allSatisfy { $0.chain.allSatisfy { ids.contains($0.finding) } })
        #expect(report.verdict.hasPrefix("Most likely cause (high confidence): Connection-tracking table exhausted"))
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("## Root causes"))
        #expect(markdown.range(of: "## Root causes")!.lowerBound < markdown.range(of: "## Findings")!.lowerBound)
        // JSON round trip keeps the causes.
        let back = try JSONRenderer.decode(JSONRenderer.render(report))
        #expect(back.causes == report.causes)
        #expect(back.verdict == report.verdict)
    }

    /// fixtures/conntrack-full-bundle.tar.gz is one real incident: a table of 100 entries filled by a
    /// pod's lookups and connections through ClusterIP DNAT, the kernel's own table-full lines (this
    /// kernel's "table full in netns N" format), and the collector's capture of the unanswered
    /// queries and SYNs that followed, all from one boot.
    @Test func aRealConntrackIncidentIsExplainedWithItsTimes() throws {
        let report = try Autopsy().analyze(Paths.fixture("conntrack-full-bundle.tar.gz"))
        let top = try #require(report.causes.first)
        #expect(top.id == "conntrack-exhaustion" && top.confidence == .high)
        let links = Dictionary(top.chain.map { ($0.finding, $0.role) }, uniquingKeysWith: { a, _ in a })
        #expect(links["conntrack-table-full"] == .cause && links["conntrack-near-max"] == .cause)
        #expect(links["syn-without-synack"] == .symptom && links["dns-unanswered"] == .symptom)
        let full = try #require(report.findings.first { $0.id == "conntrack-table-full" })
        #expect(full.evidence.contains { $0.text?.contains("table full in netns") == true })
        #expect(full.evidence.contains { $0.text == "net.netfilter.nf_conntrack_max = 100" })

        // One boot: every kernel line is dated, the first before the collector started (the table
        // filled before the operator came) and all before it ended; the capture's unanswered SYNs
        // come after the start; nothing is flagged as another boot's.
        let t = report.timeline
        let started = try #require(t.events.first { $0.text.hasPrefix("collector started") }?.time?.nanoseconds)
        let ended = try #require(t.events.first { $0.text.hasPrefix("collector ended") }?.time?.nanoseconds)
        let kernel = t.events.filter { $0.finding == "conntrack-table-full" }
        let kernelTimes = kernel.compactMap { $0.time?.nanoseconds }
        #expect(!kernel.isEmpty && kernelTimes.count == kernel.count && kernelTimes[0] < started && kernelTimes.allSatisfy { $0 <= ended })
        let syn = try #require(t.events.first { $0.finding == "syn-without-synack" }?.time?.nanoseconds)
        #expect(syn > started)
        #expect(!t.notes.contains { $0.contains("after the collection ended") })

        // The cause spans its kernel lines to its capture symptoms, and the verdict and the finding say when.
        let since = try #require(top.since?.nanoseconds), until = try #require(top.until?.nanoseconds)
        #expect(since == kernel.compactMap { $0.time?.nanoseconds }.min() && until >= syn)
        let clock = String(Timestamp.rfc3339(since).dropFirst(11).prefix(8))
        #expect(report.verdict.hasPrefix("Most likely cause (high confidence): Connection-tracking table exhausted, seen from \(clock) to "))
        #expect(full.summary.contains("from \(clock) to "))
    }

    @Test func theOverlayNodeBlamesTheMTU() throws {
        let report = try Autopsy().analyze(Paths.fixture("overlay-node"))
        let top = try #require(report.causes.first)
        #expect(top.id == "mtu-mismatch")
        #expect(top.confidence == .high)
    }

    @Test func aCleanBundleHasNoCause() throws {
        let report = try Autopsy().analyze(Paths.fixture("captures/plain.pcapng"))
        #expect(report.findings.isEmpty)
        #expect(report.causes.isEmpty)
        #expect(report.verdict.hasPrefix("No problems found"))
    }
}
