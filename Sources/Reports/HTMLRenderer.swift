import Foundation
import Diagnosis
import Wire

/// Renders the report as one self-contained HTML file for a ticket attachment: no network request,
/// no script, no external font or style. Its Content-Security-Policy forbids every script and every
/// load (`default-src 'none'`), so text from the bundle, all of it escaped, could not run even if an
/// escape were missed. Evidence is collapsible with `<details>`; charts are inline SVG.
public enum HTMLRenderer {
    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; base-uri 'none'; form-action 'none'"

    public static func render(_ report: Report) -> String {
        page(title: "netautopsy: \(report.input)", heading: "netautopsy autopsy: <code>\(escape(report.input))</code>",
             body: sections(report, prefix: ""), schema: Report.schema, tool: report.tool)
    }

    /// A whole self-contained page around `body`.
    static func page(title: String, heading: String, body: String, schema: String, tool: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(style)</style></head><body>
            <h1>\(heading)</h1>

            """ + body + "<footer>Report \(schema), \(escape(tool)). Frame numbers are Wireshark's; paste a display filter "
            + "into Wireshark's filter bar to see the packets.</footer>\n</body></html>\n"
    }

    /// One node's report as sections; `prefix` keeps element ids unique when several share a page.
    static func sections(_ report: Report, prefix: String, level: Int = 2) -> String {
        var out = ""
        func add(_ title: String, _ id: String, _ body: String) { out += section(title, id: prefix + id, body, level: level) }
        add("Verdict", "verdict", "<p class=\"verdict\">\(escape(report.verdict.isEmpty ? "No verdict." : report.verdict))</p>")
        if !report.causes.isEmpty { add("Root causes", "causes", report.causes.map { cause($0, prefix: prefix) }.joined()) }
        if !report.timeline.events.isEmpty { add("Timeline", "timeline", timeline(report.timeline)) }
        for c in report.collection { add("Collection", "collection", collection(c)) }
        if !report.findings.isEmpty { add("Findings", "findings", report.findings.map { finding($0, prefix: prefix) }.joined()) }
        if !report.traffic.isEmpty { add("Traffic", "traffic", traffic(report.traffic)) }
        add("Captures", "captures", captures(report.captures))
        let analyzed = report.artifacts.map { [escape($0.path), escape($0.kind.rawValue), "\($0.bytes)"] }
        add("What was analyzed", "artifacts", table(["file", "kind", "bytes"], analyzed))
        if !report.problems.isEmpty {
            let problems = report.problems.map { [escape($0.path), escape($0.message)] }
            add("Could not be read", "problems", table(["file", "problem"], problems))
        }
        return out
    }

    static func escape(_ id: CheckID) -> String { escape(id.rawValue) }

    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Escaped text whose `backtick` spans (the checks' fixes are written that way) become `<code>`.
    static func withCode(_ s: String) -> String {
        let parts = s.split(separator: "`", omittingEmptySubsequences: false)
        guard parts.count % 2 == 1 else { return escape(s) }
        return parts.enumerated().map { $0.offset % 2 == 1 ? "<code>\(escape(String($0.element)))</code>" : escape(String($0.element)) }.joined()
    }

    static func collection(_ c: CollectionRecord) -> String {
        var out = "<p>Collected by \(escape(c.collector ?? "an unknown collector"))"
        if let host = c.hostname { out += " on <code>\(escape(host))</code>" }
        if let kernel = c.kernel { out += " (kernel <code>\(escape(kernel))</code>)" }
        if let start = c.startedAt { out += ", \(escape(start))" + (c.endedAt.map { " to \(escape($0))" } ?? "") }
        out += ": \(c.collected) of \(c.commands) commands collected\(c.interrupted ? ", interrupted" : "").</p>"
        if !c.notCollected.isEmpty {
            out += table(["not collected", "command", "why"], c.notCollected.map {
                [escape($0.id), escape($0.command ?? ""), escape($0.reason ?? $0.status)]
            })
        }
        return out
    }

    static func section(_ title: String, id: String, _ body: String, level: Int = 2) -> String {
        "<section id=\"\(escape(id))\"><h\(level)>\(escape(title))</h\(level)>\n\(body)</section>\n"
    }

    static func badge(_ s: Severity) -> String { "<span class=\"sev \(s.rawValue)\">\(s.rawValue)</span>" }

    static func cause(_ c: RootCause, prefix: String = "") -> String {
        var out = "<details class=\"cause\" open><summary>\(badge(c.severity)) <strong>\(escape(c.title))</strong> "
            + "<span class=\"conf \(c.confidence.rawValue)\">\(c.confidence.rawValue) confidence</span></summary>\n"
        out += "<p>Shows as \(escape(c.symptom)). \(escape(c.explanation))</p><ul>"
        for l in c.chain {
            out += "<li><span class=\"role\">\(l.role.rawValue)</span> <a href=\"#\(escape(prefix))finding-\(escape(l.finding))\"><code>\(escape(l.finding))</code></a> "
                + "\(badge(l.severity)) \(escape(l.summary))</li>"
        }
        out += "</ul><p><strong>Fix:</strong> \(withCode(c.fix))</p>"
        if !c.toConfirm.isEmpty { out += "<p><strong>To confirm or rule out:</strong> \(withCode(c.toConfirm.joined(separator: "; ")))</p>" }
        return out + "</details>\n"
    }

    static func finding(_ f: Finding, prefix: String = "") -> String {
        var out = "<article id=\"\(escape(prefix))finding-\(escape(f.id))\"><h3>\(badge(f.severity)) \(escape(f.title)) <code>\(escape(f.id))</code></h3>\n"
        out += "<p>\(escape(f.summary))</p><details><summary>Evidence (\(f.evidence.count))</summary><ul>"
        for e in f.evidence { out += "<li>\(evidence(e))</li>" }
        out += "</ul></details><p><strong>Fix:</strong> \(withCode(f.fix))</p></article>\n"
        return out
    }

    static func evidence(_ e: Evidence) -> String {
        e.sentence(text: escape, code: { "<code>\(escape($0))</code>" })
    }

    static func captures(_ c: CapturesSection) -> String {
        guard !c.files.isEmpty else { return "<p>No packet capture in the input.</p>\n" }
        return table(["file", "format", "packets", "first", "last", "handshakes", "SYN no answer", "SYN→RST", "IPv4 frags", "ICMP frag-needed"],
                     c.files.map { f in
                         let k = f.counters
                         return [escape(f.file), escape(f.format), "\(k.packets)", escape(f.firstPacket?.rfc3339 ?? ""), escape(f.lastPacket?.rfc3339 ?? ""),
                                 "\(k.tcpHandshakesCompleted)", "\(k.synWithoutSynack)", "\(k.synRst)", "\(k.ipv4Fragments)", "\(k.icmpFragNeeded)"]
                     }) + limits(c)
    }

    /// What each capture's analysis dropped at its memory caps.
    static func limits(_ c: CapturesSection) -> String {
        let rows = c.files.flatMap { f in (f.limitsReached ?? []).map { [escape(f.file), escape($0)] } }
        guard !rows.isEmpty else { return "" }
        return "<h3>Analysis limits reached</h3><p>Memory stays bounded; what was dropped is counted.</p>\n"
            + table(["file", "dropped"], rows)
    }

    /// Cells are already escaped.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows { out += "<tr>" + r.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return out + "</tbody></table>\n"
    }

    /// An SVG strip with one lane per source and a dot per dated event (its text as the tooltip),
    /// then the events as a table and the notes.
    static func timeline(_ t: Timeline) -> String {
        let dated = t.events.compactMap { e in e.time.map { (e, $0.nanoseconds) } }
        var out = ""
        if let lo = dated.map(\.1).min(), let hi = dated.map(\.1).max() {
            let lanes: [TimelineEvent.Source] = [.collector, .capture, .kernel, .log]
            let width = 960.0, left = 90.0, laneHeight = 26.0
            let height = Double(lanes.count) * laneHeight + 30
            let span = Double(max(hi - lo, 1))
            out += "<svg class=\"timeline\" role=\"img\" aria-label=\"Timeline of \(dated.count) events\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
            for (i, lane) in lanes.enumerated() {
                let y = Double(i) * laneHeight + 18
                out += "<text x=\"4\" y=\"\(y + 4)\" class=\"lane\">\(lane.rawValue)</text>"
                out += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 10)\" y2=\"\(y)\" class=\"axis\"/>"
            }
            for (e, ns) in dated {
                guard let lane = lanes.firstIndex(of: e.source) else { continue }
                let x = left + (width - left - 20) * Double(ns - lo) / span
                let y = Double(lane) * laneHeight + 18
                out += "<circle cx=\"\(Int(x))\" cy=\"\(Int(y))\" r=\"5\" class=\"dot \(e.severity?.rawValue ?? "none")\">"
                    + "<title>\(escape((e.time?.rfc3339 ?? "") + " " + e.text))</title></circle>"
            }
            let bottom = Double(lanes.count) * laneHeight + 20
            out += "<text x=\"\(Int(left))\" y=\"\(Int(bottom))\" class=\"tick\">\(escape(Timestamp.rfc3339(lo)))</text>"
            out += "<text x=\"\(Int(width - 10))\" y=\"\(Int(bottom))\" class=\"tick\" text-anchor=\"end\">\(escape(Timestamp.rfc3339(hi)))</text>"
            out += "</svg>\n"
        }
        out += "<details><summary>All \(t.events.count) events</summary>"
        out += table(["time (UTC)", "source", "what", "where"], t.events.map { e in
            [escape(e.time?.rfc3339 ?? e.sinceBoot.map { "\($0) s after boot" } ?? ""), e.source.rawValue,
             (e.severity.map(badge) ?? "") + " " + escape(e.text), escape(e.place)]
        })
        out += "</details>"
        if !t.notes.isEmpty { out += "<ul class=\"notes\">" + t.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>" }
        return out + "\n"
    }

    // MARK: Traffic

    static func traffic(_ t: TrafficSection) -> String {
        var out = ""
        if !t.dnsLatency.isEmpty {
            let shown = t.dnsLatency.sorted { $0.lookups > $1.lookups }.prefix(maxCharts)
            out += "<h3>DNS latency by server</h3><p>Lookups matched in the captures, from the first query to the response "
                + "(resent queries count from the first send); <em>no answer</em> counts lookups never answered.</p><div class=\"charts\">"
                + shown.map(dnsChart).joined() + "</div>"
            if t.dnsLatency.count > shown.count { out += "<p>\(t.dnsLatency.count - shown.count) servers with fewer lookups are not drawn.</p>" }
        }
        if !t.packetSizes.isEmpty {
            let shown = t.packetSizes.prefix(maxCharts)
            out += "<h3>Packet sizes against the MTU</h3><p>IP packets of \(PacketSizes.floor) bytes and more on each capture "
                + "interface (bar heights on a log scale), with the interface's MTU and, on a tunnel, the largest packet its underlay "
                + "carries once encapsulated. Red bars do not fit.</p><div class=\"charts\">" + shown.map(sizeChart).joined() + "</div>"
            if t.packetSizes.count > shown.count { out += "<p>\(t.packetSizes.count - shown.count) more interfaces are not drawn.</p>" }
        }
        if !t.tcpFlows.isEmpty {
            out += "<h3>TCP flows in trouble</h3>"
            let rows = t.tcpFlows.map { f in
                [escape(f.file), "<code>tcp.stream == \(f.stream)</code>", escape(f.client), escape(f.server), escape(f.start?.rfc3339 ?? ""),
                 String(format3(f.durationSeconds)), "\(f.dataSegments)", "\(f.retransmissions)", "\(f.duplicateAcks)", "\(f.zeroWindows)",
                 "\(f.resets)", "\(f.firstFrame)"]
            }
            out += collapsible(rows.count, table(["file", "filter", "client", "server", "start", "seconds", "data segments",
                                                  "retransmissions", "dup ACKs", "zero windows", "resets", "first frame"], rows))
            if t.tcpFlowsNotShown > 0 { out += "<p>\(t.tcpFlowsNotShown) more flows in trouble are not listed.</p>" }
        }
        if !t.connectionAttempts.isEmpty {
            out += "<h3>Connection attempts not established at the first SYN</h3>"
            let rows = t.connectionAttempts.map { a in
                [escape(a.file), "<code>tcp.stream == \(a.stream)</code>", escape(a.client), escape(a.server), escape(a.state),
                 "\(a.syns)", escape(a.time?.rfc3339 ?? ""), "\(a.firstFrame)"]
            }
            out += collapsible(rows.count, table(["file", "filter", "client", "server", "outcome", "SYNs", "first SYN", "frame"], rows))
            if t.connectionAttemptsNotShown > 0 { out += "<p>\(t.connectionAttemptsNotShown) more attempts are not listed.</p>" }
        }
        return out
    }

    static let maxCharts = 24

    /// A table, folded away when it is long.
    static func collapsible(_ rows: Int, _ table: String) -> String {
        rows <= 10 ? table : "<details><summary>\(rows) rows</summary>\(table)</details>"
    }

    /// A number with three decimals ("1.250", "-0.150"); not finite or beyond ±1e12 as "?".
    static func format3(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e12 else { return "?" }
        let ms = Int((abs(v) * 1000).rounded())
        let frac = String(ms % 1000)
        return (v < 0 && ms > 0 ? "-" : "") + "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// Milliseconds as the findings word them (`Format.ms`), "–" when there is none.
    static func milliseconds(_ v: Double?) -> String { v.map { Format.ms($0 / 1000) } ?? "–" }

    /// One server's latency histogram: a bar per `TrafficSection.bucketEdgesMs` range, then the
    /// unanswered lookups.
    static func dnsChart(_ d: TrafficSection.DNSLatency) -> String {
        let edges = TrafficSection.bucketEdgesMs
        func unit(_ ms: Double) -> String { ms >= 1000 ? "\(Int(ms / 1000)) s" : "\(Int(ms)) ms" }
        func number(_ ms: Double) -> String { ms >= 1000 ? "\(Int(ms / 1000)) s" : "\(Int(ms))" }
        // Bars are named by their range (tooltips); the axis labels their edges.
        var labels = ["under \(unit(edges[0]))"]
        for i in 1..<edges.count {
            let a = edges[i - 1], b = edges[i]
            labels.append((a >= 1000) == (b >= 1000) ? "\(number(a).split(separator: " ")[0])–\(unit(b))" : "\(unit(a))–\(unit(b))")
        }
        labels.append("\(unit(edges.last!)) and more")
        let bars = Array(zip(labels, d.buckets)) + [("no answer", max(0, d.lookups - d.answered))]
        let width = 520.0, height = 190.0, left = 34.0, bottom = 150.0, top = 22.0
        let peak = Double(max(bars.map(\.1).max() ?? 1, 1))
        let slot = (width - left - 6) / Double(bars.count)
        var svg = "<figure class=\"chart\"><svg class=\"dns-latency\" role=\"img\" aria-label=\"DNS latency histogram for \(escape(d.server))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - 6)\" y2=\"\(bottom)\" class=\"axis\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" class=\"tick\" text-anchor=\"end\">\(Int(peak))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(bottom)\" class=\"tick\" text-anchor=\"end\">0</text>"
        for (i, (name, count)) in bars.enumerated() {
            let x = left + Double(i) * slot + 2
            let h = (bottom - top) * Double(count) / peak
            let lost = i == bars.count - 1
            svg += "<rect x=\"\(Int(x))\" y=\"\(Int(bottom - h))\" width=\"\(Int(slot - 4))\" height=\"\(Int(h.rounded(.up)))\" "
                + "class=\"bar\(lost ? " lost" : "")\"><title>\(escape(name)): \(count)</title></rect>"
            if count > 0 {
                svg += "<text x=\"\(Int(x + (slot - 4) / 2))\" y=\"\(Int(bottom - h - 3))\" class=\"count\" text-anchor=\"middle\">\(count)</text>"
            }
            let edge = i == 0 ? "0" : i <= edges.count ? number(edges[i - 1]) : nil
            if let edge { svg += "<text x=\"\(Int(x - 2))\" y=\"\(Int(bottom + 13))\" class=\"tick\" text-anchor=\"middle\">\(edge)</text>" }
        }
        let lostX = Int(left + Double(bars.count - 1) * slot + slot / 2)
        svg += "<text x=\"\(lostX)\" y=\"\(Int(bottom + 13))\" class=\"tick\" text-anchor=\"middle\">none</text>"
        svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(bottom + 32))\" class=\"tick\" text-anchor=\"middle\">latency in ms, "
            + "or s where marked (none: no answer)</text></svg>"
        return svg + "<figcaption><code>\(escape(d.server))</code> in \(escape(d.file)): \(d.lookups) lookups, \(d.answered) answered; "
            + "p50 \(milliseconds(d.p50Ms)), p95 \(milliseconds(d.p95Ms)), p99 \(milliseconds(d.p99Ms)), max \(milliseconds(d.maxMs))</figcaption></figure>"
    }

    /// One interface's packet sizes: bars by size (log-scaled heights), the MTU and the
    /// encapsulated limit as vertical lines.
    static func sizeChart(_ p: TrafficSection.PacketSizeProfile) -> String {
        let limit = [p.encapsulatedLimit, p.mtu].compactMap { $0 }.min()
        let marks = [p.mtu, p.encapsulatedLimit].compactMap { $0 }
        let lo = Double(min(p.bins.first?.size ?? PacketSizes.floor, marks.min() ?? Int.max) - 20)
        let hi = Double(max(p.largest + p.binWidth, (marks.max() ?? 0) + 20))
        let width = 520.0, height = 190.0, left = 34.0, right = 10.0, bottom = 150.0, top = 22.0
        func x(_ size: Double) -> Double { left + (width - left - right) * (size - lo) / max(hi - lo, 1) }
        let peak = log10(Double(max(p.bins.map(\.count).max() ?? 1, 1)) + 1)
        var svg = "<figure class=\"chart\"><svg class=\"packet-sizes\" role=\"img\" aria-label=\"Packet sizes on \(escape(p.device ?? p.file))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - right)\" y2=\"\(bottom)\" class=\"axis\"/>"
        for b in p.bins {
            let h = max(2, (bottom - top) * log10(Double(b.count) + 1) / max(peak, 0.001))
            let w = max(5, x(Double(b.size + p.binWidth)) - x(Double(b.size)) - 1)
            // A bin is red when any size in it does not fit.
            let over = limit.map { b.size + p.binWidth - 1 > $0 } ?? false
            let range = p.binWidth == 1 ? "\(b.size)" : "\(b.size)–\(b.size + p.binWidth - 1)"
            svg += "<rect x=\"\(Int(x(Double(b.size) + Double(p.binWidth) / 2) - w / 2))\" y=\"\(Int(bottom - h))\" width=\"\(Int(w.rounded(.up)))\" height=\"\(Int(h))\" "
                + "class=\"bar\(over ? " lost" : "")\"><title>\(range) bytes: \(b.count) packets, first frame \(b.firstFrame)</title></rect>"
        }
        for (value, name, kind) in [(p.mtu, "MTU", "mtu"), (p.encapsulatedLimit, "fits encapsulated", "limit")] {
            guard let value else { continue }
            let at = Int(x(Double(value) + 0.5))
            svg += "<line x1=\"\(at)\" y1=\"\(Int(top - 8))\" x2=\"\(at)\" y2=\"\(Int(bottom))\" class=\"mark \(kind)\"/>"
            svg += "<text x=\"\(at - 3)\" y=\"\(Int(kind == "mtu" ? top - 10 : top + 4))\" class=\"tick\" text-anchor=\"end\">\(name) \(value)</text>"
        }
        for tick in stride(from: (Int(lo) / 100 + 1) * 100, through: Int(hi), by: max(100, (Int(hi - lo) / 600 + 1) * 100)) {
            svg += "<text x=\"\(Int(x(Double(tick))))\" y=\"\(Int(bottom + 13))\" class=\"tick\" text-anchor=\"middle\">\(tick)</text>"
        }
        svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(bottom + 32))\" class=\"tick\" text-anchor=\"middle\">IP packet size, bytes</text></svg>"
        let name = p.device.map { "<code>\(escape($0))</code>" } ?? "interface \(p.captureInterface)"
        var caption = "\(name)\(p.ifindex.map { " (ifindex \($0))" } ?? "") in \(escape(p.file)): \(p.packets) packets, largest \(p.largest) bytes"
        if let mtu = p.mtu { caption += "; MTU \(mtu), \(p.aboveMTU ?? 0) above it" }
        if let l = p.encapsulatedLimit { caption += "; \(p.aboveEncapsulatedLimit ?? 0) above the \(l) bytes that fit encapsulated" }
        if p.mtu == nil { caption += "; MTU unknown (no matching device in the bundle's <code>ip -d link</code>)" }
        return svg + "<figcaption>\(caption)</figcaption></figure>"
    }

    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 3px;word-break:break-all}
        table{border-collapse:collapse;width:100%;font-size:13px;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f6f6f6}td code{white-space:nowrap;word-break:normal}.verdict{font-size:17px;background:#fff8e5;border-left:4px solid #e0a800;padding:.6em 1em}
        .sev{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;color:#fff;background:#888}
        .sev.critical{background:#8b0000}.sev.high{background:#d9480f}.sev.medium{background:#e0a800;color:#222}.sev.low{background:#3b82f6}.sev.info{background:#888}
        .conf{font-size:12px;color:#555}.role{display:inline-block;min-width:6em;color:#555;font-size:12px}
        details.cause{border:1px solid #ddd;border-radius:4px;padding:.4em .8em;margin:.6em 0}
        article{border-top:1px solid #eee;padding-top:.4em}svg.timeline{width:100%;height:auto;background:#fcfcfc;border:1px solid #eee}
        .lane{font-size:12px;fill:#555}.axis{stroke:#ccc}.tick{font-size:11px;fill:#777}
        .dot{fill:#888;stroke:#fff}.dot.critical{fill:#8b0000}.dot.high{fill:#d9480f}.dot.medium{fill:#e0a800}.dot.low{fill:#3b82f6}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:.8em}figure.chart{margin:0;border:1px solid #eee;padding:.4em}
        figure.chart svg{width:100%;height:auto}figcaption{font-size:12px;color:#444}.bar{fill:#3b82f6}.bar.lost{fill:#d9480f}
        .count{font-size:10px;fill:#333}.mark{stroke-width:1.5;stroke-dasharray:4 3}.mark.mtu{stroke:#8b0000}.mark.limit{stroke:#e0a800}
        footer{margin-top:2em;color:#777;font-size:12px}
        """
}
