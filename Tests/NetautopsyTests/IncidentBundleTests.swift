import Testing
import Foundation
import Autopsy
import Diagnosis
import Reports

/// fixtures/incident-bundle.tar.gz: the collector's real output from a misconfigured namespace
/// plus incident lines from public reports (fixtures/make-incident-bundle.sh). End to end:
/// bundle in, findings ordered by severity with evidence and fixes out.
@Suite struct IncidentBundleTests {
    static let report = Result { try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz")) }

    @Test func expectedFindingsMostSevereFirst() throws {
        let report = try Self.report.get()
        let ids = report.findings.map(\.id)
        for id in ["conntrack-table-full", "oom-kill-network", "overlay-mtu-mismatch", "somaxconn-low", "syn-flooding",
                   "coredns-upstream-timeout", "dns-search-amplification", "local-port-range", "tcp-mtu-probing-off",
                   "coredns-loop-probe"] {
            #expect(ids.contains(CheckID(id)), "\(id) missing from \(ids)")
        }
        #expect(ids.first == "conntrack-table-full")
        #expect(report.findings.map(\.severity) == report.findings.map(\.severity).sorted(by: >))
        #expect(report.findings.allSatisfy { !$0.fix.isEmpty && !$0.evidence.isEmpty })
        // Things the namespace really has right are not reported.
        for id in ["forwarding-disabled", "cpu-steal", "etcd-fdatasync-slow", "fio-no-sync-samples", "kube-proxy-iptables-scale"] {
            #expect(!ids.contains(CheckID(id)), "\(id) reported")
        }
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    @Test func evidenceCitesTheRealLines() throws {
        let report = try Self.report.get()
        let mtu = try #require(report.findings.first { $0.id == "overlay-mtu-mismatch" })
        #expect(mtu.summary.contains("vxlan.calico") && mtu.summary.contains("1350"))
        #expect(mtu.evidence.contains { $0.file?.hasSuffix("net/ip-d-link.txt") == true && $0.text?.contains("mtu 1400") == true })
        let ports = try #require(report.findings.first { $0.id == "local-port-range" })
        #expect(ports.evidence.first?.text == "net.ipv4.ip_local_port_range = 1024\t65000")
        let chain = try #require(report.findings.first { $0.id == "dns-search-amplification" })
        #expect(chain.evidence.count == 5 && chain.summary.contains("5.0 queries per name"))
    }

    @Test func markdownListsFixesInSeverityOrder() throws {
        let report = try Self.report.get()
        let md = MarkdownRenderer.render(report)
        let positions = report.findings.map { f in md.range(of: "check `\(f.id)`")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        // One fix per finding, and one per root cause above them.
        let findings = try #require(md.range(of: "## Findings"))
        #expect(md[findings.upperBound...].components(separatedBy: "**Fix:**").count - 1 == report.findings.count)
        #expect(md[..<findings.lowerBound].components(separatedBy: "**Fix:**").count - 1 == report.causes.count)
    }
}
