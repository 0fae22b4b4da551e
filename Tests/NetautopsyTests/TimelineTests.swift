import Artifacts
@testable import Diagnosis
import Foundation
import Reports
import Testing
import Wire
@testable import Autopsy

/// One time axis across captures, kernel log, other logs and the collector.
@Suite struct TimelineTests {
    @Test func rfc3339IsParsedWithFractionsAndOffsets() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.parse("2024-05-01T12:00:03.123456Z") == 1_714_564_803_123_456_000)
        #expect(Timestamp.parse("2024-05-01T14:00:03.123456+02:00") == 1_714_564_803_123_456_000)
        #expect(Timestamp.parse("2024-05-01 12:00:03Z") == 1_714_564_803_000_000_000)
        #expect(Timestamp.parse("2024-02-29T00:00:00Z").map(Timestamp.rfc3339) == "2024-02-29T00:00:00.000000Z")
        for bad in ["", "2024-05-01", "2024-13-01T00:00:00Z", "2024-05-01T12:00:03", "0000-01-01T00:00:00Z", "2024-05-01T12:00:03Zjunk"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
        // Every second of a day round-trips through the formatter.
        for t in stride(from: Int64(1_700_000_000), to: 1_700_086_400, by: 3_607) {
            #expect(Timestamp.parse(Timestamp.rfc3339(t * 1_000_000_000)) == t * 1_000_000_000)
        }
    }

    static func facts(_ dmesg: [String]) -> Facts {
        var builder = FactsBuilder()
        builder.add(path: "node/dmesg.txt", kind: .dmesg, text: dmesg.joined(separator: "\n"))
        return builder.facts
    }

    static let conntrack = ["[  100.250000] nf_conntrack: nf_conntrack: table full, dropping packet",
                            "[  160.500000] nf_conntrack: nf_conntrack: table full, dropping packet"]

    @Test func kernelTimesWithoutABootTimeStayRelative() throws {
        let facts = Self.facts(Self.conntrack)
        let timeline = Timeline.build(findings: CheckCatalog.run(facts), facts: facts)
        let kernel = timeline.events.filter { $0.finding == "conntrack-table-full" }
        #expect(kernel.map(\.sinceBoot) == [100.25, 160.5])
        #expect(kernel.allSatisfy { $0.time == nil && $0.source == .kernel })
        #expect(kernel.map(\.line) == [1, 2])
        #expect(timeline.notes.contains { $0.contains("seconds since boot") })
    }

    @Test func theBootTimeMakesKernelTimesWallClock() throws {
        var facts = Self.facts(Self.conntrack)
        func at(_ text: String) -> Int64 { Timestamp.parse(text) ?? 0 }
        facts.bootTime = at("2026-11-22T03:40:10Z")
        facts.collectorEvents = [CollectorEvent(time: at("2026-11-22T03:41:00Z"), text: "collector started", file: "m"),
                                 CollectorEvent(time: at("2026-11-22T03:43:00Z"), text: "collector ended", file: "m")]
        let timeline = Timeline.build(findings: CheckCatalog.run(facts), facts: facts)
        #expect(timeline.events.map(\.text).first == "node booted")
        let kernel = timeline.events.filter { $0.finding == "conntrack-table-full" }
        #expect(kernel.map(\.time?.rfc3339) == ["2026-11-22T03:41:50.250000Z", "2026-11-22T03:42:50.500000Z"])
        // In time order, between the collector's start and end.
        let texts = timeline.events.map(\.text)
        let started = try #require(texts.firstIndex(of: "collector started")), ended = try #require(texts.firstIndex(of: "collector ended"))
        let first = try #require(timeline.events.firstIndex { $0.finding == "conntrack-table-full" })
        #expect(started < first && first < ended)
        #expect(timeline.notes.isEmpty)
        // Findings and the verdict say when, in UTC.
        let findings = timeline.dating(CheckCatalog.run(facts))
        let full = try #require(findings.first { $0.id == "conntrack-table-full" })
        #expect(full.summary.contains("from 03:41:50 to 03:42:50 UTC (2026-11-22)"))
        #expect(full.firstSeen?.rfc3339 == "2026-11-22T03:41:50.250000Z" && full.lastSeen?.rfc3339 == "2026-11-22T03:42:50.500000Z")
        let causes = Correlator.dated(Correlator.causes(findings, present: [.dmesg]), findings: findings)
        #expect(causes.first?.since?.rfc3339 == "2026-11-22T03:41:50.250000Z" && causes.first?.until?.rfc3339 == "2026-11-22T03:42:50.500000Z")
        let verdict = Correlator.verdict(findings: findings, causes: causes, captures: 0, files: 1)
        #expect(verdict.contains("Connection-tracking table exhausted, seen from 03:41:50 to 03:42:50 UTC (2026-11-22), which shows as"))
    }

    /// A finding with more lines than its evidence lists keeps the first and the last, so its span
    /// (and its cause's) runs to the last line, also when the timeline is cut at `maxEvents`.
    @Test func theLastLineDatesTheFindingWhenEvidenceIsCapped() throws {
        let lines = (0..<25).map { "[\(100 + $0 * 10).000000] nf_conntrack: nf_conntrack: table full, dropping packet" }
        var facts = Self.facts(lines)
        facts.bootTime = Timestamp.parse("2026-11-22T03:40:00Z")
        let findings = CheckCatalog.run(facts)
        let full = try #require(findings.first { $0.id == "conntrack-table-full" })
        #expect(full.evidence.filter { $0.kind == .line }.last?.text == lines.last)
        #expect(full.summary.contains("from 03:41:40 to 03:45:40 UTC (2026-11-22)"))
        let dated = Timeline.build(findings: findings, facts: facts).dating(findings)
        #expect(dated.first { $0.id == "conntrack-table-full" }?.lastSeen?.rfc3339 == "2026-11-22T03:45:40.000000Z")
    }

    @Test func theIncidentBundleTimelineFlagsKernelLinesFromAnotherBoot() throws {
        let report = try Autopsy().analyze(Paths.fixture("incident-bundle.tar.gz"))
        let t = report.timeline
        // boot_time_epoch 1795318810 + 2833841.216211 s is 33 days after the collection ended: the
        // recorded lines are from another boot, so they keep their seconds since boot, with a note,
        // and neither the finding nor the verdict gives them a date.
        let kernel = t.events.filter { $0.finding == "conntrack-table-full" }
        #expect(kernel.map(\.sinceBoot) == [2_833_841.216211, 2_834_097.097883] && kernel.allSatisfy { $0.time == nil })
        #expect(t.notes.contains { $0.contains("would fall after the collection ended") })
        #expect(report.findings.first { $0.id == "conntrack-table-full" }?.summary.contains("from 2833841 s after boot") == true)
        #expect(report.causes.first?.since == nil && !report.verdict.contains("UTC"))
        let times = t.events.compactMap(\.time)
        #expect(times == times.sorted())
        #expect(t.events.contains { $0.source == .capture && $0.text == "capture starts" })
        #expect(t.events.contains { $0.source == .log && $0.finding == "dns-search-amplification" })
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("## Timeline"))
        #expect(try JSONRenderer.decode(JSONRenderer.render(report)).timeline == t)
    }

    /// Times stay values until a report is written: RFC 3339 in JSON, held to the microsecond so
    /// that what is read back equals what was written, clamped rather than trapped.
    @Test func wallTimesAreWrittenOnceAndReadBack() throws {
        let t = WallTime(nanoseconds: 1_714_564_803_123_456_789)
        #expect(t.nanoseconds == 1_714_564_803_123_456_000 && t.rfc3339 == "2024-05-01T12:00:03.123456Z")
        #expect(WallTime(nanoseconds: -1).nanoseconds == -1000)  // rounded down, as rfc3339 writes it
        #expect(WallTime(nanoseconds: .max).nanoseconds <= Int64.max / 2 && WallTime(nanoseconds: .min).nanoseconds >= Int64.min / 2 - 1000)
        let data = try JSONEncoder().encode([t, WallTime(nanoseconds: .min), WallTime(nanoseconds: .max)])
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("[\"2024-05-01T12:00:03.123456Z\","))
        let back = try JSONDecoder().decode([WallTime].self, from: data)
        #expect(back == [t, WallTime(nanoseconds: .min), WallTime(nanoseconds: .max)])
        #expect(WallTime(rfc3339: "2024-05-01T14:00:03.5+02:00") == WallTime(nanoseconds: 1_714_564_803_500_000_000))
        #expect(WallTime(rfc3339: "yesterday") == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([WallTime].self, from: Data("[\"yesterday\"]".utf8)) }
        #expect(WallTime(nanoseconds: 5) < WallTime(nanoseconds: 5_000))
    }

    @Test func absurdTimesNeitherTrapNorBreakTheJSON() throws {
        var facts = Self.facts(["[nan] nf_conntrack: nf_conntrack: table full, dropping packet",
                                "[inf] nf_conntrack: nf_conntrack: table full, dropping packet",
                                "[-5.0] nf_conntrack: nf_conntrack: table full, dropping packet",
                                "[2900000000.0] nf_conntrack: nf_conntrack: table full, dropping packet"])
        facts.bootTime = Int64(UInt32.max) * 1_000_000_000
        facts.collectorEvents = [CollectorEvent(time: Timestamp.parse("1900-01-01T00:00:00Z") ?? 0, text: "collector ended", file: "m")]
        var summary = CaptureSummary()
        summary.firstTime = .min
        summary.lastTime = .max
        facts.captures = [CaptureFacts(file: "c.pcap", format: "pcap", summary: summary, readError: nil)]
        facts.captureWindows = ["c.pcap": CaptureWindow(start: .max, end: .min)]
        let findings = CheckCatalog.run(facts)
        let timeline = Timeline.build(findings: findings, facts: facts)
        #expect(timeline.events.allSatisfy { $0.sinceBoot.map(\.isFinite) ?? true })
        #expect(timeline.events.filter { $0.finding == "conntrack-table-full" }.count == 1)
        let report = Report(tool: "t", input: "i", timeline: timeline, findings: findings,
                            captures: CapturesSection(totals: .init(), files: []), artifacts: [], problems: [])
        #expect(try JSONRenderer.decode(JSONRenderer.render(report)).timeline == timeline)
    }

    @Test func framesOutsideTheCollectorsWindowShowAClockOffset() {
        var summary = CaptureSummary()
        summary.firstTime = 1_000_000_000_000
        summary.lastTime = 1_100_000_000_000
        let capture = CaptureFacts(file: "captures/a.pcap", format: "pcap", summary: summary, readError: nil)
        let inside = Timeline.clockNotes(capture, window: CaptureWindow(start: 999_500_000_000, end: 1_100_500_000_000))
        #expect(inside.isEmpty)
        let skewed = Timeline.clockNotes(capture, window: CaptureWindow(start: 1_030_000_000_000, end: 1_130_000_000_000))
        #expect(skewed.count == 1 && skewed[0].contains("30.000 s before"))
    }
}
