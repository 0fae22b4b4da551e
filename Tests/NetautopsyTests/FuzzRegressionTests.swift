import Foundation
import FuzzHarness
import Testing
import Wire

/// Every input in fuzz/regressions/TARGET/ (hand-made hostile inputs, and each crash libFuzzer
/// found) through its fuzz target: a trap or a hang fails the suite (docs/security.md).
@Suite struct FuzzRegressionTests {
    @Test(arguments: FuzzTarget.allCases)
    func regressionInputsReplayWithoutFailure(target: FuzzTarget) throws {
        let folder = Paths.root.appendingPathComponent("fuzz/regressions/\(target.rawValue)").path
        let inputs = FuzzTarget.files(folder)
        #expect(!inputs.isEmpty, "no regression inputs for \(target.rawValue)")
        for file in inputs {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            data.withUnsafeBytes { target.run($0) }
        }
    }

    /// The found crash: IPv6 extension headers whose lengths run past the captured frame once made
    /// the reassembler slice beyond the frame's bytes.
    @Test func ipv6ExtensionHeadersPastTheFrameAreTruncatedNotATrap() throws {
        let file = Paths.root.appendingPathComponent("fuzz/regressions/packet/ipv6-extension-headers-past-the-frame")
        let data = try Data(contentsOf: file)
        var analyzer = CaptureAnalyzer()
        data.withUnsafeBytes { raw in
            let frame = UnsafeRawBufferPointer(rebasing: raw[2...])
            analyzer.consume(PacketRecord(frameNumber: 1, timestamp: 0, capturedLength: frame.count, originalLength: frame.count,
                                          linkTypeValue: 1, interfaceID: 0, bytes: frame))
        }
        let summary = analyzer.finish()
        #expect(summary.counters.packets == 1)
        #expect(summary.counters.headerTruncatedPackets == 1)
        #expect(summary.fragmentedDatagrams.isEmpty)
    }
}
