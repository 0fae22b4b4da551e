import Input
import Wire

/// Told how far the analysis of each capture has come; the CLI draws it on a terminal. Called
/// every `Metered.interval` frames and once when a capture ends, from the analyzing thread; with
/// `Autopsy.jobs` above 1, from several threads at once.
public protocol ProgressReporter: AnyObject, Sendable {
    /// `bytes` read from the capture so far (uncompressed), of `total` when the size is known.
    func capture(_ path: String, bytes: Int, total: Int64?, packets: Int, done: Bool)
}

/// A packet consumer that counts frames for a `ProgressReporter` and passes them on.
struct Metered<Inner: PacketConsumer>: PacketConsumer {
    /// Frames between reports: often enough for a smooth display, rare enough to cost nothing.
    static var interval: Int { 16_384 }

    var inner: Inner
    let reporter: ProgressReporter
    let file: BundleFile
    private(set) var packets = 0

    init(_ inner: Inner, reporter: ProgressReporter, file: BundleFile) {
        self.inner = inner
        self.reporter = reporter
        self.file = file
    }

    mutating func consume(_ record: PacketRecord) {
        inner.consume(record)
        packets += 1
        if packets % Self.interval == 0 {
            reporter.capture(file.path, bytes: file.source.position, total: file.declaredSize, packets: packets, done: false)
        }
    }

    func finish() {
        reporter.capture(file.path, bytes: file.source.position, total: file.declaredSize, packets: packets, done: true)
    }
}
