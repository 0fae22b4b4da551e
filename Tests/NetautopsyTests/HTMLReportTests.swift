@testable import Diagnosis
import Foundation
import Reports
import Testing
@testable import Autopsy

/// The self-contained HTML report: everything from the bundle escaped, nothing loaded from anywhere.
@Suite struct HTMLReportTests {
    static let hostile = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>"

    @Test func untrustedTextIsEscapedEverywhere() {
        let evidence = Evidence.line(Self.hostile, file: "logs/\(Self.hostile).log", line: 3, text: Self.hostile)
        let finding = Finding(id: "coredns-latency", severity: .high, title: "t", summary: Self.hostile, evidence: [evidence], fix: "f")
        let cause = RootCause(id: "x", title: "x", symptom: "s", confidence: .high, severity: .high, explanation: Self.hostile,
                              chain: [.init(role: .cause, finding: "coredns-latency", severity: .high, summary: Self.hostile)],
                              fix: "f", toConfirm: [Self.hostile])
        var timeline = Timeline()
        timeline.events = [TimelineEvent(time: WallTime(rfc3339: "2024-05-01T12:00:00.000000Z"), source: .log, finding: "coredns-latency", severity: .high,
                                         text: Self.hostile, file: Self.hostile, line: 3)]
        timeline.notes = [Self.hostile]
        let report = Report(tool: "netautopsy test", input: Self.hostile, verdict: Self.hostile, causes: [cause], timeline: timeline,
                            findings: [finding], captures: CapturesSection(totals: .init(), files: []),
                            artifacts: [ArtifactRecord(path: Self.hostile, kind: .text, bytes: 1)],
                            problems: [ProblemRecord(path: Self.hostile, message: Self.hostile)])
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;img src=x onerror=alert(2)&gt;"))
        // Every tag in the page is one the renderer writes.
        let allowed: Set<String> = ["!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "section", "p", "code",
                                    "details", "summary", "ul", "li", "strong", "span", "a", "article", "table", "thead", "tbody", "tr",
                                    "th", "td", "svg", "text", "line", "circle", "footer"]
        let tags = html.split(separator: "<").dropFirst().map { $0.prefix { $0 != " " && $0 != ">" && $0 != "/" } }.filter { !$0.isEmpty }
        #expect(Set(tags.map(String.init)).subtracting(allowed).isEmpty)
    }

    @Test func thePageLoadsNothingAndForbidsScripts() throws {
        let html = HTMLRenderer.render(try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz")))
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
        #expect(html.contains("script-src 'none'"))
        // No URL to fetch: no source attribute, links only to anchors in the page (URLs in the text,
        // such as a collector command, are text; the SVG namespace is an identifier, never loaded).
        for attribute in ["src=", "url(", "@import", "action=", "poster=", "srcset="] { #expect(!html.contains(attribute), "\(attribute)") }
        let links = html.components(separatedBy: "href=\"").dropFirst()
        #expect(!links.isEmpty)
        #expect(links.allSatisfy { $0.hasPrefix("#") })
        #expect(html.contains("<svg class=\"timeline\""))
        #expect(html.contains("id=\"causes\""))
        #expect(html.contains("Connection-tracking table exhausted"))
    }
}
