import Diagnosis
import Wire

/// Renders the report as Markdown for a support ticket: verdict first, then findings with
/// their evidence and fix, then what was analyzed and what could not be read.
public enum MarkdownRenderer {
    public static func render(_ report: Report) -> String {
        var out = "# netautopsy autopsy: \(Markdown.inline(report.input))\n\n"
        out += verdict(report) + "\n"
        if !report.causes.isEmpty {
            out += "## Root causes\n\n"
            for (i, c) in report.causes.enumerated() { out += cause(c, number: i + 1) }
        }
        out += timeline(report.timeline)
        if !report.findings.isEmpty {
            out += "## Findings\n\n"
            for (i, f) in report.findings.enumerated() { out += finding(f, number: i + 1) }
        }
        for c in report.collection { out += collection(c) }
        out += traffic(report.traffic)
        out += captures(report.captures)
        out += artifacts(report.artifacts, links: report.links)
        out += problems(report.problems)
        out += "---\nReport \(Report.schema), \(Markdown.inline(report.tool)). Frame numbers are Wireshark's; "
            + "paste a display filter into Wireshark's filter bar to see the packets.\n"
        return out
    }

    static func timeline(_ t: Timeline) -> String {
        guard t.events.contains(where: { $0.finding != nil }) else { return "" }
        var out = "## Timeline\n\n| time (UTC) | source | what | where |\n|---|---|---|---|\n"
        for e in t.events {
            let when = e.time.map { $0.rfc3339.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") }
                ?? e.sinceBoot.map { "\($0) s after boot" } ?? ""
            let at = Markdown.cell(e.place)
            let what = (e.severity.map { "**\($0.rawValue)** " } ?? "") + Markdown.cell(e.text)
            out += "| \(when) | \(e.source.rawValue) | \(what) | \(at) |\n"
        }
        out += "\n"
        for n in t.notes { out += "- \(Markdown.inline(n))\n" }
        return out + (t.notes.isEmpty ? "" : "\n")
    }

    static func cause(_ c: RootCause, number: Int) -> String {
        var out = "### \(number). \(Markdown.inline(c.title)) (\(c.confidence.rawValue) confidence)\n\n"
        out += "Shows as \(Markdown.inline(c.symptom)). \(Markdown.inline(c.explanation))\n\n"
        for l in c.chain {
            out += "- \(l.role.rawValue): `\(l.finding)` (\(l.severity.rawValue)) — \(Markdown.inline(l.summary))\n"
        }
        out += "\n**Fix:** \(c.fix)\n\n"
        if !c.toConfirm.isEmpty {
            out += "**To confirm or rule out:** " + c.toConfirm.joined(separator: "; ") + ".\n\n"
        }
        return out
    }

    static func verdict(_ r: Report) -> String {
        if !r.verdict.isEmpty, !r.findings.isEmpty {
            return "**Verdict:** \(Markdown.inline(r.verdict))\n\n" + severityList(r)
        }
        return severityList(r)
    }

    static func severityList(_ r: Report) -> String {
        guard !r.findings.isEmpty else {
            if r.coverage != nil, !r.verdict.isEmpty { return "**Verdict:** \(Markdown.inline(r.verdict))\n" }
            let analyzed = r.captures.files.isEmpty ? "no capture" : "\(r.captures.totals.packets) packets in \(r.captures.files.count) capture(s)"
            return "**Verdict:** no problems found in \(analyzed) and \(r.artifacts.count) artifact(s).\n"
        }
        var counts: [Severity: Int] = [:]
        for f in r.findings { counts[f.severity, default: 0] += 1 }
        let bySeverity = Severity.allCases.reversed().compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        var text = (r.verdict.isEmpty ? "**Verdict:** " : "") + "\(r.findings.count) finding\(r.findings.count == 1 ? "" : "s") "
            + "(\(bySeverity.joined(separator: ", "))). Most severe first:\n\n"
        for f in r.findings.prefix(5) {
            text += "- **\(f.severity.rawValue.uppercased())** \(Markdown.inline(f.title)) — \(Markdown.inline(f.summary))\n"
        }
        return text
    }

    static func finding(_ f: Finding, number: Int) -> String {
        var out = "### \(number). \(Markdown.inline(f.title))\n\n"
        out += "Severity **\(f.severity.rawValue)** · check `\(f.id)` (`netautopsy explain \(f.id)`)\n\n"
        out += Markdown.inline(f.summary) + "\n\n**Evidence**\n\n"
        for e in f.evidence { out += "- " + evidence(e) + "\n" }
        out += "\n**Fix:** \(f.fix)\n\n"
        return out
    }

    static func evidence(_ e: Evidence) -> String {
        e.sentence(text: Markdown.inline, code: Markdown.code)
    }

    /// The traffic data as short tables: DNS latency per server, packet sizes against MTUs, and
    /// the worst flows (the HTML report draws them as charts and lists them all).
    static func traffic(_ t: TrafficSection) -> String {
        guard !t.isEmpty else { return "" }
        var out = "## Traffic\n\n"
        func ms(_ v: Double?) -> String { v.map { Format.ms($0 / 1000) } ?? "" }
        if !t.dnsLatency.isEmpty {
            out += "DNS latency by server, from the first query to the response:\n\n"
                + "| server | capture | lookups | answered | p50 | p95 | p99 | max |\n|---|---|--:|--:|--:|--:|--:|--:|\n"
            for d in t.dnsLatency.sorted(by: { $0.lookups > $1.lookups }).prefix(20) {
                out += "| \(Markdown.cellCode(d.server)) | \(Markdown.cell(d.file)) | \(d.lookups) | \(d.answered) | \(ms(d.p50Ms)) | "
                    + "\(ms(d.p95Ms)) | \(ms(d.p99Ms)) | \(ms(d.maxMs)) |\n"
            }
            out += t.dnsLatency.count > 20 ? "\n\(t.dnsLatency.count - 20) servers with fewer lookups not listed.\n\n" : "\n"
        }
        if !t.packetSizes.isEmpty {
            out += "IP packets of \(PacketSizes.floor) bytes and more per capture interface, against its MTU:\n\n"
                + "| interface | capture | packets | largest | MTU | above MTU | fits encapsulated | above that |\n|---|---|--:|--:|--:|--:|--:|--:|\n"
            for p in t.packetSizes.prefix(20) {
                let name = p.device.map(Markdown.cellCode) ?? "interface \(p.captureInterface)"
                let index = p.ifindex.map { " (ifindex \($0))" } ?? ""
                let cells: [String] = [name + index, Markdown.cell(p.file), String(p.packets), String(p.largest),
                                       p.mtu.map(String.init) ?? "?", p.aboveMTU.map(String.init) ?? "",
                                       p.encapsulatedLimit.map(String.init) ?? "", p.aboveEncapsulatedLimit.map(String.init) ?? ""]
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            out += t.packetSizes.count > 20 ? "\n\(t.packetSizes.count - 20) more interfaces not listed.\n\n" : "\n"
        }
        if !t.tcpFlows.isEmpty {
            let shown = t.tcpFlows.prefix(10)
            out += "TCP flows in trouble, worst first:\n\n| capture | filter | client | server | retransmissions | dup ACKs | zero windows | resets |\n"
                + "|---|---|---|---|--:|--:|--:|--:|\n"
            for f in shown {
                out += "| \(Markdown.cell(f.file)) | `tcp.stream == \(f.stream)` | \(Markdown.cell(f.client)) | \(Markdown.cell(f.server)) | "
                    + "\(f.retransmissions) | \(f.duplicateAcks) | \(f.zeroWindows) | \(f.resets) |\n"
            }
            let more = t.tcpFlows.count - shown.count + t.tcpFlowsNotShown
            out += more > 0 ? "\n\(more) more not listed (the HTML and JSON reports list up to \(TrafficSection.maxRows)).\n\n" : "\n"
        }
        return out
    }

    static func captures(_ c: CapturesSection) -> String {
        guard !c.files.isEmpty else { return "## Captures\n\nNo packet capture in the input.\n\n" }
        var out = "## Captures\n\n| file | format | link types | packets | IPv4 frags | IPv6 frags | ICMP frag-needed | ICMPv6 too big | handshakes | SYN no answer | SYN→RST |\n"
        out += "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
        for f in c.files {
            let k = f.counters
            let links = f.linkTypes.keys.sorted().joined(separator: ", ")
            out += "| \(Markdown.cell(f.file)) | \(f.format) | \(links) | \(k.packets) | \(k.ipv4Fragments) | \(k.ipv6Fragments) "
                + "| \(k.icmpFragNeeded) | \(k.icmpv6PacketTooBig) | \(k.tcpHandshakesCompleted) | \(k.synWithoutSynack) | \(k.synRst) |\n"
        }
        let t = c.totals
        if c.files.count > 1 {
            out += "| **total** | | | \(t.packets) | \(t.ipv4Fragments) | \(t.ipv6Fragments) | \(t.icmpFragNeeded) "
                + "| \(t.icmpv6PacketTooBig) | \(t.tcpHandshakesCompleted) | \(t.synWithoutSynack) | \(t.synRst) |\n"
        }
        if t.truncatedPackets > 0 { out += "\n\(t.truncatedPackets) packet(s) were cut by the capture's snap length.\n" }
        for f in c.files {
            if let first = f.firstPacket, let last = f.lastPacket {
                out += "\n\(Markdown.code(f.file)): \(first) → \(last)"
            }
        }
        let limited = c.files.filter { !($0.limitsReached ?? []).isEmpty }
        if !limited.isEmpty {
            out += "\n\n**Analysis limits reached** (memory stays bounded; what was dropped is counted):\n\n"
            for f in limited {
                for note in f.limitsReached ?? [] { out += "- \(Markdown.code(f.file)): \(Markdown.inline(note))\n" }
            }
            return out + "\n"
        }
        return out + "\n\n"
    }

    static func collection(_ c: CollectionRecord) -> String {
        var out = "## Collection\n\n"
        var who = "Collected by \(Markdown.inline(c.collector ?? "an unknown collector"))"
        if let host = c.hostname { who += " on \(Markdown.code(host))" }
        if let kernel = c.kernel { who += " (kernel \(Markdown.inline(kernel)))" }
        if let start = c.startedAt { who += ", \(Markdown.inline(start)) → \(Markdown.inline(c.endedAt ?? "?"))" }
        out += who + ": \(c.collected) of \(c.commands) commands produced output (\(Markdown.code(c.manifest))).\n"
        if c.interrupted { out += "\nThe collection was **stopped early** by the user; captures and later commands may be short.\n" }
        if c.redacted { out += "\nThe bundle is **redacted**: addresses, MACs and host names in text files are tokens.\n" }
        if !c.notCollected.isEmpty {
            out += "\n**Not collected**, so no finding can rest on it:\n\n"
            for n in c.notCollected { out += "- " + command(n) + "\n" }
        }
        if !c.collectedWithErrors.isEmpty {
            out += "\n**Collected with errors** (output may be partial):\n\n"
            for n in c.collectedWithErrors { out += "- " + command(n) + "\n" }
        }
        return out + "\n"
    }

    static func command(_ n: CollectorCommandRecord) -> String {
        var s = "\(Markdown.code(n.id))"
        if let kind = n.kind { s += " (\(Markdown.inline(kind)))" }
        s += ": \(Markdown.inline(n.status))"
        if let reason = n.reason, !reason.isEmpty { s += " — \(Markdown.inline(reason))" }
        return s
    }

    /// Up to this many files are listed by name in each part of the inventory (all of them are in the JSON report).
    static let inventoryCap = 60

    /// The inventory, summarised: files per kind, the files a parser took (with the rule that
    /// chose it), and the unrecognised ones whose paths look relevant to the network.
    static func artifacts(_ a: [ArtifactRecord], links: [LinkRecord] = []) -> String {
        guard !a.isEmpty else { return "" }
        var out = "## What was analyzed\n\n"
        var perKind: [String: (files: Int, bytes: Int)] = [:]
        for r in a { perKind[r.kind.rawValue, default: (0, 0)].files += 1; perKind[r.kind.rawValue, default: (0, 0)].bytes += r.bytes }
        out += "| kind | files | bytes |\n|---|--:|--:|\n"
        for (kind, v) in perKind.sorted(by: { $0.key == "text" ? false : $1.key == "text" ? true : $0.key < $1.key }) {
            out += "| \(kind) | \(v.files) | \(v.bytes) |\n"
        }
        if !links.isEmpty {
            out += "\n\(links.count) link\(links.count == 1 ? "" : "s") inside the bundle: read once, under \(links.count == 1 ? "its target's path" : "their targets' paths").\n"
        }
        let parsed = a.filter { $0.kind != .text }
        // Files that one wildcard rule took by the dozen (a copied /proc/sys) make one row.
        var perRule: [String: [ArtifactRecord]] = [:]
        for r in parsed { if let rule = r.rule, rule.contains("*") { perRule[rule, default: []].append(r) } }
        var rows: [String] = [], grouped: Set<String> = []
        for r in parsed {
            if let rule = r.rule, let group = perRule[rule], group.count > 5 {
                guard grouped.insert(rule).inserted else { continue }
                let bytes = group.reduce(0) { $0 + $1.bytes }
                rows.append("| \(Markdown.cell(r.path)) and \(group.count - 1) more | \(r.kind.rawValue) | \(Markdown.cell(rule)) | \(bytes) |")
            } else {
                rows.append("| \(Markdown.cell(r.path)) | \(r.kind.rawValue) | \(Markdown.cell(r.rule ?? "")) | \(r.bytes) |")
            }
        }
        out += "\n**Read by a parser** (\(parsed.count)):\n\n| path | kind | why | bytes |\n|---|---|---|--:|\n"
        for row in rows.prefix(inventoryCap) { out += row + "\n" }
        if rows.count > inventoryCap { out += "\n\(rows.count - inventoryCap) more rows in the JSON report (`artifacts`).\n" }
        let relevant = a.filter { $0.kind == .text && looksRelevant($0) }
        if !relevant.isEmpty {
            out += "\n**Looked relevant, not understood** (\(relevant.count) of \(a.count - parsed.count) unrecognised text files; "
                + "scanned for path-MTU lines only):\n\n"
            for r in relevant.prefix(inventoryCap) {
                out += "- \(Markdown.code(r.path))" + (r.rule.map { $0 == "unrecognised" ? "" : " — \(Markdown.inline($0))" } ?? "") + "\n"
            }
            if relevant.count > inventoryCap { out += "- … \(relevant.count - inventoryCap) more in the JSON report\n" }
        }
        return out + "\n"
    }

    /// Places in the known layouts where network, DNS, kernel or Kubernetes evidence lives.
    static let relevantPlaces = ["sos_commands/networking/", "sos_commands/kernel/", "sos_commands/firewall_tables/",
                                 "sos_commands/conntrack/", "sos_commands/ipvs/", "sos_commands/kubernetes/", "sos_commands/nftables/",
                                 "sos_commands/openvswitch/", "sos_commands/networkmanager/", "sos_commands/dns", "proc/net/",
                                 "host-collectors/", "cluster-resources/pods/logs/kube-system/", "namespaces/openshift-dns/",
                                 "namespaces/openshift-sdn/", "namespaces/openshift-ovn-kubernetes/", "namespaces/kube-system/",
                                 "cilium", "coredns", "kube-proxy", "calico", "flannel"]

    /// An unrecognised file whose path or name says it should have been evidence.
    static func looksRelevant(_ r: ArtifactRecord) -> Bool {
        guard r.bytes > 0, r.rule?.hasPrefix("empty") != true else { return false }  // Classification.empty, an empty tar
        // Kubernetes API objects dumped by must-gather / Troubleshoot (`namespaces/*/core/pods.yaml`,
        // `cluster-resources/*.json`) describe the cluster, not the node's network: never evidence here.
        let lower = r.path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json"),
           ["namespaces/", "cluster-scoped-resources/", "cluster-resources/"].contains(where: { lower.has($0) }) { return false }
        if let rule = r.rule, rule.has("named like") || rule.has(" path ") { return true }
        let p = r.path.lowercased()
        return relevantPlaces.contains { p.has($0) } && !p.hasSuffix(".service") && !p.has("/etc/systemd/")
    }

    /// What could not be read, grouped by message when many files share one.
    static func problems(_ problems: [ProblemRecord]) -> String {
        guard !problems.isEmpty else { return "" }
        var out = "## Could not be read\n\n"
        guard problems.count > 20 else {
            for p in problems { out += "- \(Markdown.code(p.path)): \(Markdown.inline(p.message))\n" }
            return out + "\n"
        }
        var order: [String] = []
        var byMessage: [String: [String]] = [:]
        for p in problems {
            // Links to different places are one kind of problem.
            let key = p.message.hasPrefix("symbolic link to ") || p.message.hasPrefix("hard link to ")
                ? (p.message.has("outside") ? "link leading outside the bundle: not followed" : "link to a path not in the bundle (dangling): not followed")
                : p.message
            if byMessage[key] == nil { order.append(key) }
            byMessage[key, default: []].append(p.path)
        }
        for m in order {
            let paths = byMessage[m] ?? []
            if paths.count == 1 {
                out += "- \(Markdown.code(paths[0])): \(Markdown.inline(m))\n"
            } else {
                out += "- \(Markdown.inline(m)) — \(paths.count) files: " + paths.prefix(5).map(Markdown.code).joined(separator: ", ")
                    + (paths.count > 5 ? ", …" : "") + "\n"
            }
        }
        return out + "\n"
    }
}
