import Artifacts
import Foundation
import Diagnosis
import Input
import Reports
import Wire

/// Runs the whole pipeline on one input: walk the bundle, analyze each artifact, run the
/// checks, and assemble the report.
public struct Autopsy: Sendable {
    public static let version = "0.1.0"
    /// JSON documents (`ArtifactKind.isWholeDocument`) are read whole up to this size.
    public static let maxDocumentBytes = 16 << 20

    public var walker = BundleWalker()
    /// The capture analysis's memory caps (defaults documented in docs/security.md).
    public var fragmentLimits = FragmentReassembler.Limits()
    public var tcpSettings = TCPAnalysisSettings()
    /// Which checks run, with which thresholds (`--config`).
    public var settings: CheckSettings
    /// Told how far each capture's analysis has come (nil: nobody is watching).
    public var progress: ProgressReporter?
    /// Threads the analysis may use (`--jobs`): captures that are plain files are analyzed this many
    /// at a time; when it is above 1, archive entries are decompressed on a thread of their own (`ReadAhead`)
    /// and, while fewer captures than this are analyzed at once, each one's TCP and DNS trackers run on a
    /// thread of their own (`ThreadedFlowRunner`). The report is the same whatever the number.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount {
        didSet { walker.readAhead = jobs > 1 }
    }
    /// Packets' flow events handed to the TCP and DNS trackers at a time (`CaptureAnalyzer.defaultBatchSize`);
    /// tests make it small, so that the two threads take turns often.
    public var flowBatchSize = CaptureAnalyzer.defaultBatchSize

    public init(settings: CheckSettings = CheckSettings()) {
        self.settings = settings
        walker.readAhead = jobs > 1
    }

    /// A capture on disk whose analysis waits for the walk to end, and the slot of `Run.outcomes`
    /// its results fill.
    private struct Deferred {
        var path: String
        var diskPath: String
        var declaredSize: Int64?
        var slot: Int
    }

    /// What one file (or one problem of the archive) added to the report.
    struct Outcome {
        var artifacts: [ArtifactRecord] = []
        var problems: [ProblemRecord] = []
        var capture: (record: CaptureFileRecord, facts: CaptureFacts)?
    }

    /// What the walk gathers: the text facts as they are read, and each file's outcome in the order
    /// the walk met the files (a capture analyzed in parallel fills the slot it was given), so the
    /// report lists them in that order whatever `jobs` is.
    private struct Run {
        var builder = FactsBuilder()
        var outcomes: [Outcome] = []
        var deferred: [Deferred] = []
        var collection: [CollectionRecord] = []
        var links: [LinkRecord] = []
    }

    /// The pipeline: walk the bundle, dispatching each file to its reader; analyze the captures
    /// left for the threads; combine everything into one set of facts; run the checks; correlate
    /// their findings into the timeline, the causes and the report. Throws only when `path` itself
    /// cannot be read; everything inside becomes the report.
    public func analyze(_ path: String) throws(InputError) -> Report {
        try analyzeNode(path).report
    }

    /// The report and the facts it was made from (a cluster analysis compares nodes' facts).
    public func analyzeNode(_ path: String) throws(InputError) -> (report: Report, facts: Facts) {
        var run = Run()
        let meter = UnpackMeter(walker.limits)
        try walker.walk(path, meter: meter, file: { file in
            dispatch(file, into: &run)
        }, problem: { p in
            // "bundle.tar.xz: ENTRY: Lzma library error…" about ENTRY: the message without the path it is filed under
            let message = p.message.range(of: p.path + ": ", options: .backwards).map { String(p.message[$0.upperBound...]) } ?? p.message
            run.outcomes.append(Outcome(problems: [ProblemRecord(path: p.path, message: message.isEmpty ? p.message : message)]))
        }, link: { l in
            run.links.append(LinkRecord(path: l.path, target: l.target))
        })
        analyzeDeferred(&run, meter: meter)
        let facts = combine(&run)
        let findings = CheckCatalog.run(facts, settings: settings)
        return (correlate(findings, facts: facts, run: run, input: path), facts)
    }

    /// Reads one file of the walk into the facts and its outcome.
    private func dispatch(_ file: BundleFile, into run: inout Run) {
        var out = Outcome()
        defer { run.outcomes.append(out) }
        switch file.sniffed {
        case .pcap, .pcapng:
            if jobs > 1, let diskPath = file.diskPath {
                run.deferred.append(Deferred(path: file.path, diskPath: diskPath, declaredSize: file.declaredSize,
                                             slot: run.outcomes.count))
                return  // an empty outcome holds its place until `analyzeDeferred` fills it
            }
            let (record, captureFacts) = analyzeCapture(file, flowThread: jobs > 1)
            out = Self.captureOutcome(record, captureFacts, path: file.path, bytes: file.source.position)
        case .text:
            if let claim = Self.misnamed(file.path) {
                out.problems.append(ProblemRecord(path: file.path, message: "named like \(claim) but it is text: analyzed as text"))
            }
            if (file.path as NSString).lastPathComponent == RedactionMarker.fileName,
               let (bytes, _) = try? TextLines.readAll(file.source, limit: 1 << 20), let marker = RedactionMarker.parse(bytes) {
                let folder = file.path.split(separator: "/").dropLast().joined(separator: "/")
                for c in marker.captures { run.builder.facts.redactedCaptures[folder.isEmpty ? c.path : folder + "/" + c.path] = max(0, c.truncatedBefore) }
                out.artifacts.append(ArtifactRecord(path: file.path, kind: .redaction, bytes: bytes.count))
                return
            }
            let head = String(decoding: file.head, as: UTF8.self)
            let classified = PathRules.classify(path: file.path, head: head)
            let kind = classified.kind
            if kind == .manifest {
                let (record, problem, manifest) = readManifest(file)
                if let record { run.collection.append(record) }
                if let manifest {
                    run.builder.facts.captureDevices.merge(Self.captureDevices(manifest, path: file.path)) { a, _ in a }
                    Self.addTimes(manifest, path: file.path, to: &run.builder.facts)
                }
                if let problem { out.problems.append(problem) }
                out.artifacts.append(ArtifactRecord(path: file.path, kind: kind, bytes: file.source.position, rule: classified.rule))
                return
            }
            if kind.isWholeDocument {
                do {
                    let (bytes, total) = try TextLines.readAll(file.source, limit: Self.maxDocumentBytes)
                    out.artifacts.append(ArtifactRecord(path: file.path, kind: kind, bytes: total, rule: classified.rule))
                    if total > Self.maxDocumentBytes {
                        out.problems.append(ProblemRecord(path: file.path, message: "\(kind.rawValue) document larger than \(Self.maxDocumentBytes >> 20) MiB: not read"))
                    } else if let problem = run.builder.addDocument(path: file.path, kind: kind, bytes: bytes) {
                        out.problems.append(ProblemRecord(path: file.path, message: problem))
                    }
                } catch {
                    out.problems.append(ProblemRecord(path: file.path, message: "read failed: \(error)"))
                }
                return
            }
            run.builder.begin(path: file.path, kind: kind)
            do {
                let bytes = try TextLines.forEachLine(file.source) { number, line in run.builder.feed(bytes: line, number: number) }
                out.artifacts.append(ArtifactRecord(path: file.path, kind: kind, bytes: bytes, rule: classified.rule))
            } catch {
                let why = if case InputError.limit(_, let limit)? = error as? InputError { "not read further: \(limit)" } else { "read failed: \(error)" }
                out.problems.append(ProblemRecord(path: file.path, message: why + " (lines before it were analyzed)"))
            }
            if let problem = run.builder.end() { out.problems.append(ProblemRecord(path: file.path, message: problem)) }
        case .empty:
            // An empty command output is a result (no iptables rules, say); an empty file
            // that claims to be a capture or archive is damage.
            if let claim = Self.misnamed(file.path) {
                out.problems.append(ProblemRecord(path: file.path, message: "empty file, named like \(claim)"))
            } else {
                let classified = PathRules.classify(path: file.path, head: "")
                out.artifacts.append(ArtifactRecord(path: file.path, kind: classified.kind, bytes: 0, rule: classified.rule))
            }
        case .binary where file.head.count == Sniffed.headLength && file.head.allSatisfy({ $0 == 0 })
            && file.path.lowercased().hasSuffix(".tar"):
            // A tar archive of nothing is its two zero end-of-archive blocks (and padding): a result, not damage.
            out.artifacts.append(ArtifactRecord(path: file.path, kind: .text, bytes: Self.size(of: file),
                                            rule: "empty tar archive (end-of-archive blocks only)"))
        case .binary where Self.misnamed(file.path) == nil:
            // Binary where text was expected is damage; elsewhere (ACPI tables, keyrings,
            // /proc/bus/pci in a sosreport) it is just not evidence.
            if let kind = PathRules.claimedKind(path: file.path), kind != .text {
                out.problems.append(ProblemRecord(path: file.path, message: "binary data where \(kind.rawValue) text was expected: not analyzed"))
            } else {
                out.artifacts.append(ArtifactRecord(path: file.path, kind: .binary, bytes: Self.size(of: file),
                                                rule: "binary content"))
            }
        case .binary, .archive:
            let claim = Self.misnamed(file.path).map { "named like \($0), but " } ?? ""
            out.problems.append(ProblemRecord(path: file.path, message: "\(claim)not a capture, archive or text file: not analyzed"))
        }
    }

    /// A capture's outcome: its record, its facts, its artifact row and its read error.
    static func captureOutcome(_ record: CaptureFileRecord, _ facts: CaptureFacts, path: String, bytes: Int) -> Outcome {
        var out = Outcome(artifacts: [ArtifactRecord(path: path, kind: .capture, bytes: bytes)])
        if let error = record.error {
            out.problems.append(ProblemRecord(path: path, message: Self.unprefixed(error, path) + " (frames before it were analyzed)"))
        }
        out.capture = (record, facts)
        return out
    }

    /// Captures on disk, `jobs` at a time, into the slots the walk kept for them.
    private func analyzeDeferred(_ run: inout Run, meter: UnpackMeter) {
        for (d, result) in zip(run.deferred, analyzeInParallel(run.deferred, meter: meter)) {
            switch result {
            case .analyzed(let record, let captureFacts, let bytes):
                run.outcomes[d.slot] = Self.captureOutcome(record, captureFacts, path: d.path, bytes: bytes)
            case .unreadable(let why):
                run.outcomes[d.slot] = Outcome(problems: [ProblemRecord(path: d.path, message: why)])
            }
        }
    }

    /// The combining stage: the captures join the text facts, and `FactsBuilder.finish` drops
    /// duplicates and joins each capture with the rest of the bundle (`Facts.combine`).
    private func combine(_ run: inout Run) -> Facts {
        run.builder.facts.captures = run.outcomes.compactMap { $0.capture?.facts }
        run.builder.finish()
        return run.builder.facts
    }

    /// The timeline, the causes, what was and was not checked, the verdict, and the report.
    private func correlate(_ checked: [Finding], facts: Facts, run: Run, input path: String) -> Report {
        let artifacts = run.outcomes.flatMap(\.artifacts)
        let problems = run.outcomes.flatMap(\.problems)
        let captureFiles = run.outcomes.compactMap { $0.capture?.record }
        let totals = captureFiles.reduce(CaptureCounters()) { $0 + $1.counters }
        let present = Set(artifacts.map(\.kind))
        let timeline = Timeline.build(findings: checked, facts: facts)
        let findings = timeline.dating(checked)
        let causes = Correlator.dated(Correlator.causes(findings, present: present), findings: findings)
        // A file its parser could not use is not evidence that was checked.
        let unused = Set(problems.filter { $0.message.has(": not used") || $0.message.has(": not read") }.map(\.path))
        let coverage = EvidenceCoverage(usedKinds: artifacts.filter { !unused.contains($0.path) }.map(\.kind),
                                        notes: EvidenceCoverage.notes(facts))
        var verdict = Correlator.verdict(findings: findings, causes: causes, captures: captureFiles.count,
                                         files: artifacts.count - captureFiles.count, coverage: coverage)
        // What is missing from the input qualifies everything above.
        if problems.contains(where: { $0.message.hasPrefix("archive damaged or cut short") }) {
            verdict += " The input archive is damaged or cut short: files after that point were not read, so their evidence is missing."
        } else {
            let unread = problems.filter { !$0.message.hasPrefix("symbolic link") && !$0.message.hasPrefix("hard link") }.count
            if unread > 0 { verdict += " \(unread == 1 ? "1 file" : "\(unread) files") could not be read (listed in the report)." }
        }
        var report = Report(tool: "netautopsy \(Self.version)", input: path, verdict: verdict, causes: causes, timeline: timeline,
                            findings: findings,
                            captures: CapturesSection(totals: totals, files: captureFiles),
                            traffic: TrafficSection.build(facts),
                            artifacts: artifacts, problems: problems, collection: run.collection)
        report.links = run.links
        report.coverage = coverage
        return report
    }

    /// Reads a collector manifest; another tool's manifest.json is just an artifact.
    func readManifest(_ file: BundleFile) -> (CollectionRecord?, ProblemRecord?, BundleManifest?) {
        let bytes: [UInt8]
        do {
            let (kept, total) = try TextLines.readAll(file.source, limit: BundleManifest.maxBytes)
            guard total <= BundleManifest.maxBytes else {
                return (nil, ProblemRecord(path: file.path, message: ManifestError.tooLarge(BundleManifest.maxBytes).description + ": not read"), nil)
            }
            bytes = kept
        } catch {
            return (nil, ProblemRecord(path: file.path, message: "read failed: \(error)"), nil)
        }
        do {
            guard let m = try BundleManifest.parse(bytes) else { return (nil, nil, nil) }
            return (Self.collectionRecord(m, path: file.path), nil, m)
        } catch {
            return (nil, ProblemRecord(path: file.path, message: error.description + "; what the collector did is unknown"), nil)
        }
    }

    /// The interface each capture file was taken on, by the file's path in the bundle (the
    /// manifest's paths are relative to the folder it sits in).
    static func captureDevices(_ m: BundleManifest, path: String) -> [String: String] {
        var devices: [String: String] = [:]
        for c in m.commands ?? [] {
            guard let interface = c.interface, interface != "any" else { continue }
            for f in bundlePaths(of: c, manifest: path) { devices[f] = interface }
        }
        return devices
    }

    /// The files a manifest command wrote, as paths in the bundle (the manifest's are relative to
    /// the folder it sits in).
    static func bundlePaths(of c: BundleManifest.Command, manifest path: String) -> [String] {
        let folder = path.split(separator: "/").dropLast().joined(separator: "/")
        return ((c.files ?? []) + [c.output].compactMap { $0 }).map { folder.isEmpty ? $0 : folder + "/" + $0 }
    }

    /// The boot time, the collector's start and end, and the capture windows a manifest gives.
    static func addTimes(_ m: BundleManifest, path: String, to facts: inout Facts) {
        if facts.bootTime == nil, let boot = m.bootTimeEpoch, boot > 0, boot < 1 << 32 {
            facts.bootTime = Int64(boot) * 1_000_000_000
        }
        let who = m.hostname.map { " on \($0)" } ?? ""
        if let t = m.startedAt.flatMap({ Timestamp.parse($0) }) {
            facts.collectorEvents.append(CollectorEvent(time: t, text: "collector started\(who)", file: path))
        }
        if let t = m.endedAt.flatMap({ Timestamp.parse($0) }) {
            facts.collectorEvents.append(CollectorEvent(time: t, text: "collector ended" + (m.interrupted == true ? " (interrupted)" : ""),
                                                        file: path))
        }
        for c in m.commands ?? [] where c.captureStartedAt != nil || c.captureEndedAt != nil {
            let window = CaptureWindow(start: c.captureStartedAt.flatMap({ Timestamp.parse($0) }), end: c.captureEndedAt.flatMap({ Timestamp.parse($0) }))
            for f in bundlePaths(of: c, manifest: path) { facts.captureWindows[f] = window }
        }
    }

    static func collectionRecord(_ m: BundleManifest, path: String) -> CollectionRecord {
        let commands = m.commands ?? []
        func record(_ c: BundleManifest.Command) -> CollectorCommandRecord {
            CollectorCommandRecord(id: c.id, kind: c.kind, status: c.status ?? "unknown", command: c.command, reason: c.reason)
        }
        let missing = commands.filter(\.notCollected)
        let partial = commands.filter { $0.status != "ok" && !$0.notCollected }
        let collector = m.collector.map { [$0.name ?? "collector", $0.version].compactMap { $0 }.joined(separator: " ") }
        return CollectionRecord(
            manifest: path, format: m.format ?? "?", collector: collector, hostname: m.hostname, kernel: m.kernel,
            startedAt: m.startedAt, endedAt: m.endedAt, interrupted: m.interrupted ?? false, redacted: m.redacted ?? false,
            commands: commands.count, collected: commands.count - missing.count,
            notCollected: missing.map(record), collectedWithErrors: partial.map(record))
    }

    /// `message` without a leading "PATH: " (errors of the file's own reads name it already).
    /// A file's size as its archive declares it or the file system says, 0 when neither knows.
    static func size(of file: BundleFile) -> Int {
        if let d = file.declaredSize { return Int(d) }
        guard let path = file.diskPath, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return 0 }
        return size
    }

    static func unprefixed(_ message: String, _ path: String) -> String {
        message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
    }

    /// What a file's name claims it is, when that is a capture or an archive.
    static func misnamed(_ path: String) -> String? {
        let lower = path.lowercased()
        if [".pcap", ".pcapng", ".cap"].contains(where: lower.hasSuffix) { return "a capture (no pcap/pcapng magic number)" }
        if [".tar", ".tar.gz", ".tgz", ".zip", ".tar.xz", ".gz"].contains(where: lower.hasSuffix) { return "an archive" }
        return nil
    }

    private enum DeferredResult: Sendable {
        case analyzed(CaptureFileRecord, CaptureFacts, bytes: Int)
        /// The file went away or changed between the walk and its analysis.
        case unreadable(String)
    }

    /// Analyzes deferred captures on up to `jobs` threads; results in the same order. A capture's TCP and DNS
    /// trackers get a thread of their own only while fewer captures than `jobs` are analyzed at once: otherwise
    /// every core already has a capture, and a second thread each would only contend for them.
    private func analyzeInParallel(_ work: [Deferred], meter: UnpackMeter) -> [DeferredResult] {
        let flowThread = work.count < jobs
        return ParallelWork.map(work, jobs: jobs) { d in
            let source: BufferedSource, head: [UInt8]
            do {
                source = BufferedSource(meter.timed(try FileSource(path: d.diskPath), path: d.path))
                head = try source.peek(Sniffed.headLength)
            } catch {
                return .unreadable("\(error)")
            }
            let sniffed = Sniffed(head)
            guard sniffed == .pcap || sniffed == .pcapng else {
                return .unreadable("no longer a capture when its analysis began (the file changed during the run): not analyzed")
            }
            let file = BundleFile(path: d.path, sniffed: sniffed, head: head, source: source, declaredSize: d.declaredSize,
                                  diskPath: d.diskPath)
            let (record, facts) = analyzeCapture(file, flowThread: flowThread)
            return .analyzed(record, facts, bytes: source.position)
        }
    }

    /// Analyzes one capture; `flowThread`: its TCP and DNS trackers on a thread of their own (`ThreadedFlowRunner`).
    func analyzeCapture(_ file: BundleFile, flowThread threaded: Bool) -> (CaptureFileRecord, CaptureFacts) {
        var analyzer = CaptureAnalyzer(fragmentLimits: fragmentLimits, tcpSettings: tcpSettings,
                                       flowRunner: { threaded ? ThreadedFlowRunner($0) as any FlowRunner : InlineFlowRunner($0) },
                                       batchSize: flowBatchSize)
        let outcome: CaptureReadOutcome
        if let progress {
            var metered = Metered(analyzer, reporter: progress, file: file)
            outcome = CaptureOpener.read(file, into: &metered)
            metered.finish()
            analyzer = metered.inner
        } else {
            outcome = CaptureOpener.read(file, into: &analyzer)
        }
        var summary = analyzer.finish()
        // Frames as Wireshark counts them: pcapng custom blocks too (they hold no packet to analyze).
        summary.counters.packets += outcome.nonPacketFrames
        var links: [String: Int] = [:]
        for (value, n) in summary.linkTypes { links[LinkType(rawValue: value)?.name ?? "linktype-\(value)", default: 0] += n }
        let error = outcome.error
        let record = CaptureFileRecord(
            file: file.path, format: outcome.format, linkTypes: links,
            firstPacket: summary.firstTime.map { WallTime(nanoseconds: $0) }, lastPacket: summary.lastTime.map { WallTime(nanoseconds: $0) },
            counters: summary.counters, error: error, limitsReached: summary.limitsReached.isEmpty ? nil : summary.limitsReached)
        return (record, CaptureFacts(file: file.path, format: outcome.format, summary: summary, readError: error,
                                     interfaces: outcome.interfaces))
    }
}
