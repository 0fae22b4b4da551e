import Foundation
import Reports
import Diagnosis
import Input
import Wire
import Testing
@testable import Autopsy

/// The HTML report in a real headless browser (Debian's chromium): it renders with its chart, a
/// screenshot is written to .build/test-artifacts/, no request leaves the page, and a bundle with
/// `<script>` in its hostname and a DNS name shows them as text. CI installs chromium and sets
/// NETAUTOPSY_REQUIRE_BROWSER=1, so there the browser cannot be missing.
@Suite struct BrowserTests {
    static let chromium = Shell.which("chromium")
    static var required: Bool { ProcessInfo.processInfo.environment["NETAUTOPSY_REQUIRE_BROWSER"] == "1" }

    @Test func theBrowserIsThereWhenRequired() {
        #expect(Self.chromium != nil || !Self.required, "chromium is not installed but NETAUTOPSY_REQUIRE_BROWSER=1")
    }

    /// Loads `html` (a file) headless; returns the DOM after parsing and the URLs the page asked for.
    static func load(_ html: URL, in dir: URL, screenshot: URL? = nil) throws -> (dom: String, pageRequests: [String]) {
        let chromium = try #require(Self.chromium)
        let netlog = dir.appendingPathComponent("netlog-\(html.lastPathComponent).json")
        var argv = ["timeout", "120", chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--no-first-run", "--disable-background-networking",
                    "--log-net-log=\(netlog.path)", "--window-size=1200,\(screenshot == nil ? 1800 : 4800)"]
        argv += screenshot.map { ["--screenshot=\($0.path)"] } ?? ["--dump-dom"]
        let result = try Shell.run(argv + [html.absoluteString])
        #expect(result.status == 0, "chromium: \(result.stderr.suffix(500))")
        // Requests a page starts carry the page's origin as initiator; the browser's own (updates,
        // accounts) carry "not an origin".
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: netlog)) as? [String: Any]
        let events = log?["events"] as? [[String: Any]] ?? []
        let requests = events.compactMap { e -> String? in
            guard let p = e["params"] as? [String: Any], let url = p["url"] as? String, let initiator = p["initiator"] as? String,
                  initiator != "not an origin" else { return nil }
            return url
        }
        return (result.stdout, requests)
    }

    /// A bundle whose collector manifest names the host `<script>…`, whose CoreDNS log times out on a
    /// name with `<script>` in it, and whose capture asks twice for such a name without an answer;
    /// with the real captures and `ip -d link` of fixtures/overlay-node and the DNS capture of
    /// fixtures/captures, so every chart has data.
    static func hostileBundle(in dir: URL) throws -> URL {
        let bundle = dir.appendingPathComponent("bundle")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Paths.fixture("overlay-node")), to: bundle)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Paths.fixture("captures/dns-cluster.pcap")),
                                         to: bundle.appendingPathComponent("captures/dns-cluster.pcap"))
        let evil = "<script>document.title='pwned'</script>.example.com"
        var packets: [PacketSketch] = [.dns(0, "10.244.1.5", 40000, "10.96.0.10", 53, id: 7, evil),
                                       .dns(1, "10.244.1.5", 40000, "10.96.0.10", 53, id: 7, evil)]
        packets += (0..<8).map { .udp(Double($0), "10.244.1.20", 5000, "10.244.1.21", 5001, payload: 100) }
        let writer = try PcapWriter(path: bundle.appendingPathComponent("captures/hostile-dns.pcap").path, linkType: 101)
        for (i, p) in packets.sorted(by: { $0.seconds < $1.seconds }).enumerated() {
            p.bytes.withUnsafeBytes { raw in
                writer.write(PacketRecord(frameNumber: i + 1, timestamp: 1_795_318_810_000_000_000 + Int64(p.seconds * 1e9),
                                          capturedLength: raw.count, originalLength: raw.count, linkTypeValue: 101, interfaceID: 0, bytes: raw))
            }
        }
        writer.close()
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("k8s/coredns"), withIntermediateDirectories: true)
        let manifest = """
            {"format": "netautopsy.bundle/1", "hostname": "<script>document.title='pwned'</script>", "boot_time_epoch": 1795318810,
             "started_at": "2026-11-22T05:06:49Z", "ended_at": "2026-11-22T05:06:52Z", "commands": []}
            """
        try manifest.write(to: bundle.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let name = "<script>document.title='pwned'</script>.example.com."
        let log = (0..<3).map { i in
            "[ERROR] plugin/errors: 2 \(name) A: read udp 10.244.0.5:4\(i)123->172.31.0.2:53: i/o timeout"
        }.joined(separator: "\n")
        try log.write(to: bundle.appendingPathComponent("k8s/coredns/coredns.log"), atomically: true, encoding: .utf8)
        return bundle
    }

    @Test(.enabled(if: BrowserTests.chromium != nil))
    func theReportRendersOfflineAndShowsHostileNamesAsText() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try Autopsy().analyze(try Self.hostileBundle(in: dir).path)
        #expect(report.findings.contains { $0.id == "coredns-upstream-timeout" })
        #expect(report.findings.contains { $0.id == "dns-unanswered" && $0.evidence.contains { $0.note.contains("<script>") } })
        let html = dir.appendingPathComponent("report.html")
        try HTMLRenderer.render(report).write(to: html, atomically: true, encoding: .utf8)

        let (dom, requests) = try Self.load(html, in: dir)
        #expect(requests.isEmpty, "the page asked for \(requests)")
        // The charts are in the rendered page: the timeline, a DNS latency histogram, packet sizes.
        for chart in ["timeline", "dns-latency", "packet-sizes"] {
            #expect(dom.contains("<svg class=\"\(chart)\""), "no \(chart) chart in the rendered page")
        }
        #expect(dom.contains("id=\"traffic\""))
        #expect(dom.contains("id=\"causes\""))
        // The names are text in the page: escaped in the DOM, never an element; no script ran.
        #expect(!dom.contains("<script"))
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"))
        #expect(!dom.contains("<title>pwned</title>"))

        let artifacts = Paths.root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let shot = artifacts.appendingPathComponent("html-report.png")
        try? FileManager.default.removeItem(at: shot)
        _ = try Self.load(html, in: dir, screenshot: shot)
        let size = try FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int ?? 0
        #expect(size > 10_000, "screenshot \(shot.path) is \(size) bytes")
    }

    /// The request detector works: a page with an external image, without our policy, is caught.
    @Test(.enabled(if: BrowserTests.chromium != nil))
    func aPageThatLoadsSomethingIsCaught() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("leaky.html")
        try "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/leak.png\"></body></html>".write(to: page, atomically: true, encoding: .utf8)
        let (_, requests) = try Self.load(page, in: dir)
        #expect(requests.contains("http://127.0.0.1:9/leak.png"))
    }
}
