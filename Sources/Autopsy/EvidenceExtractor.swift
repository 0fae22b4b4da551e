import Diagnosis
import Input
import Reports
import Wire

/// `netautopsy extract`: writes the packets behind a finding to pcap files, so a support engineer
/// opens exactly those frames in Wireshark.
public struct EvidenceExtractor {
    public struct Written: Sendable {
        /// The capture in the bundle the frames came from.
        public var capture: String
        public var output: String
        public var frames: Int
        /// Frames cited but not written (another link type than the first, or past the end of the file).
        public var skipped: Int
    }

    public enum ExtractError: Error, CustomStringConvertible {
        case noSuchFinding(String, present: [String])
        case noPackets(String)
        case input(InputError)
        case write(String)
        public var description: String {
            switch self {
            case .noSuchFinding(let id, let present):
                "no finding \(id) in this bundle" + (present.isEmpty ? " (it has no findings)" : "; findings: \(present.joined(separator: ", "))")
            case .noPackets(let id): "finding \(id) cites no packets (its evidence is log lines or values)"
            case .input(let e): e.description
            case .write(let why): why
            }
        }
    }

    public var autopsy: Autopsy

    public init(autopsy: Autopsy = Autopsy()) {
        self.autopsy = autopsy
    }

    /// Analyzes `bundle`, finds the finding `id` and writes its frames. With frames from several
    /// captures, `output`'s name gets the capture's name before the extension.
    public func extract(_ bundle: String, finding id: String, output: String) throws(ExtractError) -> [Written] {
        let report: Report
        do { report = try autopsy.analyze(bundle) } catch { throw .input(error) }
        let matching = report.findings.filter { $0.id.rawValue == id }
        guard !matching.isEmpty else { throw .noSuchFinding(id, present: Array(Set(report.findings.map(\.id.rawValue))).sorted()) }
        var wanted: [String: Set<Int>] = [:]
        var order: [String] = []
        for e in matching.flatMap(\.evidence) where e.kind == .packets {
            guard let file = e.file, let frames = e.frames, !frames.isEmpty else { continue }
            if wanted[file] == nil { order.append(file) }
            wanted[file, default: []].formUnion(frames)
        }
        guard !order.isEmpty else { throw .noPackets(id) }
        var results: [Written] = []
        var failure: String?
        do {
            try autopsy.walker.walk(bundle, file: { file in
                guard failure == nil, let frames = wanted[file.path], file.sniffed == .pcap || file.sniffed == .pcapng else { return }
                let path = order.count == 1 ? output : Self.outputName(output, capture: file.path)
                var collector = FrameCollector(wanted: frames, path: path)
                _ = CaptureOpener.read(file, into: &collector)
                collector.writer?.close()
                if let error = collector.error { failure = error; return }
                results.append(Written(capture: file.path, output: path, frames: collector.written,
                                       skipped: frames.count - collector.written))
            }, problem: { _ in })
        } catch {
            throw .input(error)
        }
        if let failure { throw .write(failure) }
        return results
    }

    /// `evidence.pcap` + `captures/node-a.pcap` → `evidence-node-a.pcap`.
    static func outputName(_ output: String, capture: String) -> String {
        let base = capture.split(separator: "/").last.map(String.init) ?? capture
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        let safe = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        if let dot = output.lastIndex(of: "."), !output[dot...].contains("/") {
            return String(output[..<dot]) + "-" + safe + String(output[dot...])
        }
        return output + "-" + safe
    }
}

/// Copies the wanted frames of one capture into a pcap file (created at the first one).
struct FrameCollector: PacketConsumer {
    var wanted: Set<Int>
    var path: String
    var writer: PcapWriter?
    var written = 0
    var error: String?

    mutating func consume(_ record: PacketRecord) {
        guard error == nil, wanted.contains(record.frameNumber) else { return }
        if writer == nil {
            do { writer = try PcapWriter(path: path, linkType: record.linkTypeValue) } catch {
                self.error = error.description
                return
            }
        }
        guard record.linkTypeValue == writer?.linkType else { return }
        writer?.write(record)
        written += 1
    }
}
