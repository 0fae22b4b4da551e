import Artifacts
import Foundation
import Input
import Wire

/// `netautopsy redact`: rewrites a bundle (directory, archive or single capture) so that it can
/// be shared: the same token for the same address or name in every file (`Pseudonyms`), text
/// through `TextRedactor`, captures through `PacketRewriter`. The output is a new .tar.gz (or,
/// for a single capture, a capture); files that are neither text nor capture are left out, and
/// nothing is written but the output, the mapping when asked for, and a scratch directory that
/// is removed at the end.
public struct Redactor {
    public var walker = BundleWalker()
    public let names: Pseudonyms

    public init(keepSubnets: Bool = false, key: String? = nil) {
        names = Pseudonyms(keepSubnets: keepSubnets, key: key)
        walker.readAhead = false
    }

    public struct Outcome {
        /// Files written, and captures among them with their frames.
        public var files = 0
        public var captures = 0
        public var frames = 0
        /// What was not written, and why (unreadable, hostile, not text nor capture).
        public var left: [BundleProblem] = []
    }

    private enum Slot {
        case capture(String, truncatedBefore: Int), text(String), empty, skip
    }

    public func redact(_ input: String, to output: String) throws(RedactionError) -> Outcome {
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var outcome = Outcome()
        var slots: [(path: String, slot: Slot)] = []
        var single = false
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue {
            let head = (try? BufferedSource(FileSource(path: input)).peek(Sniffed.headLength)) ?? []
            single = Sniffed(head) == .pcap || Sniffed(head) == .pcapng
        }

        // One meter for both passes: the limits and the time budget are the bundle's, not each pass's.
        let meter = UnpackMeter(walker.limits)
        // Pass 1: captures (their DNS names are learnt), and the node's host names.
        do {
            try walker.walk(input, meter: meter, file: { file in
                let n = slots.count
                switch file.sniffed {
                case .pcap, .pcapng:
                    let target = "\(scratch)/\(n)"
                    switch redactCapture(file, to: target, outcome: &outcome) {
                    case .failure(let error):
                        outcome.left.append(BundleProblem(path: file.path, message: error.description))
                        slots.append((file.path, .skip))
                    case .success(let truncated):
                        slots.append((file.path, .capture(target, truncatedBefore: truncated)))
                    }
                case .text:
                    learnHostNames(file)
                    slots.append((file.path, .text("\(scratch)/\(n)")))
                case .empty:
                    slots.append((file.path, .empty))
                case .binary, .archive:
                    outcome.left.append(BundleProblem(path: file.path, message: "neither text nor a capture: left out"))
                    slots.append((file.path, .skip))
                }
            }, problem: { outcome.left.append($0) })
        } catch {
            throw .input(error.description)
        }

        // Pass 2: text, now that every name to hide is known.
        var k = 0
        let text = TextRedactor(names)
        try? walker.walk(input, meter: meter, file: { file in
            defer { k += 1 }
            guard k < slots.count, slots[k].path == file.path, case .text(let target) = slots[k].slot else { return }
            do {
                let out = try OutputFile(path: target)
                _ = try TextLines.forEach(file.source) { _, line in
                    out.write(text.redact(line).utf8)
                    out.write(CollectionOfOne(0x0A))
                }
                try out.close()
            } catch {
                outcome.left.append(BundleProblem(path: file.path, message: "\(error)"))
                slots[k].slot = .skip
            }
        }, problem: { _ in })

        if single, let (_, slot) = slots.first, case .capture(let file, _) = slot {
            try Self.place(file, at: output)
            outcome.files = 1
            return outcome
        }
        let partial = output + ".partial"
        if FileManager.default.fileExists(atPath: partial) { throw .cannotWrite(partial, "exists (left by another run?): remove it") }
        do {
            let writer = try ArchiveWriter(path: partial)
            let emptyFile = "\(scratch)/empty"
            _ = FileManager.default.createFile(atPath: emptyFile, contents: nil)
            var redactedCaptures: [RedactionMarker.Capture] = []
            for (path, slot) in slots {
                if case .capture(_, let truncated) = slot { redactedCaptures.append(.init(path: text.redact(path[...]), truncatedBefore: truncated)) }
            }
            let markerFile = "\(scratch)/marker"
            let marker = RedactionMarker(tool: "netautopsy redact", captures: redactedCaptures, keepSubnets: names.keepSubnets)
            guard FileManager.default.createFile(atPath: markerFile, contents: marker.encoded()) else {
                throw RedactionError.cannotWrite(markerFile, "cannot write the marker")
            }
            try writer.add(name: RedactionMarker.fileName, from: markerFile)
            for (path, slot) in slots {
                let source: String
                switch slot {
                case .capture(let f, _), .text(let f): source = f
                case .empty: source = emptyFile
                case .skip: continue
                }
                guard FileManager.default.fileExists(atPath: source) else { continue }
                try writer.add(name: text.redact(path[...]), from: source)
                outcome.files += 1
            }
            try writer.close()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw .cannotWrite(output, "\(error)")
        }
        try Self.place(partial, at: output)
        return outcome
    }

    /// One capture, redacted into `target`: how many frames the snap length had cut, or why it could not be written.
    private func redactCapture(_ file: BundleFile, to target: String, outcome: inout Outcome) -> Result<Int, RedactionError> {
        let pcapng = file.sniffed == .pcapng
        do {
            let framesPath = pcapng ? target + ".frames" : target
            let frames = try OutputFile(path: framesPath)
            var consumer = CaptureRedactor(names: names, pcapng: pcapng, frames: frames)
            let read = CaptureOpener.read(file, into: &consumer)
            if !pcapng && consumer.count == 0 { consumer.writePcapHeader(linkType: read.interfaces.first?.linkTypeValue ?? 1) }
            try frames.close()
            if pcapng {
                let out = try OutputFile(path: target)
                try CaptureRedactor.assemblePcapng(to: out, interfaces: read.interfaces, frames: framesPath, text: TextRedactor(names))
                try out.close()
                try? FileManager.default.removeItem(atPath: framesPath)
            }
            outcome.captures += 1
            outcome.frames += consumer.count
            if let error = read.error {
                outcome.left.append(BundleProblem(path: file.path, message: "\(error): the frames before it are in the redacted capture"))
            }
            return .success(consumer.truncatedBefore)
        } catch {
            return .failure(error)
        }
    }

    /// The node's host name, from a collector manifest, a `hostname` file or `kernel.hostname`.
    private func learnHostNames(_ file: BundleFile) {
        let base = (file.path as NSString).lastPathComponent.lowercased()
        if base == "manifest.json" {
            if let (bytes, total) = try? TextLines.readAll(file.source, limit: BundleManifest.maxBytes), total == bytes.count,
               let m = try? BundleManifest.parse(bytes), let host = m.hostname {
                names.learn(hostName: host)
            }
            return
        }
        var first = true
        _ = try? TextLines.forEach(file.source) { _, line in
            if first && (base == "hostname" || base == "hostname.txt") { names.learn(hostName: String(line)) }
            first = false
            if line.hasPrefix("kernel.hostname"), let eq = line.firstIndex(of: "=") {
                names.learn(hostName: String(line[line.index(after: eq)...]))
            }
        }
    }

    static func scratchDirectory() throws(RedactionError) -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/netautopsy-redact-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .cannotWrite(FileManager.default.temporaryDirectory.path, "cannot make a scratch directory")
        }
        return String(cString: made)
    }

    /// Moves a finished file to the output path, replacing a file there but never a directory; from
    /// another file system through a copy beside the output.
    static func place(_ file: String, at output: String) throws(RedactionError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .cannotWrite(output, "is a directory")
        }
        if rename(file, output) == 0 { return }
        guard errno == EXDEV else { throw .cannotWrite(output, String(cString: strerror(errno))) }
        let beside = output + ".partial"
        let copy = try OutputFile(path: beside)
        try copy.append(file: file)
        try copy.close()
        guard rename(beside, output) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(beside)
            throw .cannotWrite(output, why)
        }
    }
}
