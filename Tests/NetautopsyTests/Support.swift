import Testing
import Foundation
import Input
import Wire

/// Paths the tests read: the repo's fixtures and the shared corpus beside the repo.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("fixtures")
    /// `NETAUTOPSY_CORPUS` when set, else `../shared/corpus` beside the checkout.
    static let corpus = ProcessInfo.processInfo.environment["NETAUTOPSY_CORPUS"].map { URL(fileURLWithPath: $0) }
        ?? root.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static func fixture(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    /// The netautopsy executable built beside the test bundle (`swift test` builds every product).
    static var executable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        // On Linux the tests run from …/debug/netautopsyPackageTests.xctest; elsewhere from inside a bundle.
        while !dir.path.hasSuffix("/debug") && !dir.path.hasSuffix("/release") && dir.path != "/" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("netautopsy").path
    }
}

/// One row of an oracle.tsv made by `shared/corpus/oracle.sh` (tshark's counts).
struct OracleRow: CustomTestStringConvertible, Sendable {
    var directory: String
    var file: String
    var linkType: String
    var values: [String: Int]
    var testDescription: String { file }

    /// Reads a TSV whose header names the columns.
    static func load(_ path: String, directory: String) -> [OracleRow] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { cols in
            var values: [String: Int] = [:]
            for (i, name) in header.enumerated() where i < cols.count { values[name] = Int(cols[i]) }
            let lt = header.firstIndex(of: "link_type").map { cols[$0] } ?? ""
            return OracleRow(directory: directory, file: cols[0], linkType: lt, values: values)
        }
    }
}

/// Decodes every frame of a capture and counts what the decoder found.
struct DecodeTally: PacketConsumer {
    var frames = 0
    var withIP = 0
    var linkTypes: Set<UInt16> = []
    /// Frames per link type, counted here and by a `CaptureAnalyzer` fed the same frames.
    var framesPerLinkType: [UInt16: Int] = [:]
    var analyzer = CaptureAnalyzer()

    mutating func consume(_ record: PacketRecord) {
        frames += 1
        linkTypes.insert(record.linkTypeValue)
        framesPerLinkType[record.linkTypeValue, default: 0] += 1
        analyzer.consume(record)
        guard let lt = LinkType(rawValue: record.linkTypeValue) else { return }
        if PacketDecoder.decode(record.bytes, linkType: lt).outer != nil { withIP += 1 }
    }

    static func of(_ path: String) throws -> (DecodeTally, CaptureReadOutcome) {
        var tally = DecodeTally()
        var outcome: CaptureReadOutcome?
        try BundleWalker().walk(path, file: { file in
            outcome = CaptureOpener.read(file, into: &tally)
        }, problem: { _ in })
        return (tally, outcome!)
    }
}

/// A file or directory under a fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("netautopsy-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
