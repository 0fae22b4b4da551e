import Foundation

/// The collector's `manifest.json` (format `netautopsy.bundle/1`, docs/bundle-format.md): who
/// collected the bundle, when, and what became of every command. Every field is optional, so a
/// manifest from an older or newer collector still yields what it has.
public struct BundleManifest: Decodable, Sendable, Equatable {
    /// The major format this analyzer understands.
    public static let formatPrefix = "netautopsy.bundle/"
    public static let supportedMajor = 1
    /// Manifests are small; a larger file is not read.
    public static let maxBytes = 8 << 20

    public struct Collector: Decodable, Sendable, Equatable {
        public var name: String?
        public var version: String?
    }

    /// One command the collector ran or skipped.
    public struct Command: Decodable, Sendable, Equatable {
        public var id: String
        public var kind: String?
        /// `ok`, `failed`, `timed-out`, `skipped` or `interrupted`.
        public var status: String?
        public var command: String?
        /// Bundle-relative output path (absent when skipped).
        public var output: String?
        public var bytes: Int?
        public var exitCode: Int?
        public var durationMs: Int?
        public var startedAt: String?
        public var reason: String?
        /// Captures: the interface, every file of the ring buffer, and the capture window.
        public var interface: String?
        public var files: [String]?
        public var captureStartedAt: String?
        public var captureEndedAt: String?

        /// Nothing usable came of it: it did not end `ok` and left no output.
        public var notCollected: Bool { status != "ok" && (bytes ?? 0) == 0 }
    }

    /// The options the collector ran with.
    public struct Options: Decodable, Sendable, Equatable {
        public var durationS: Int?
        public var interfaces: [String]?
        public var captureFilter: String?
        public var maxCaptureMb: Int?
        public var snaplen: Int?
        public var since: String?
        public var fio: Bool?
        public var fioDir: String?
        public var traces: [String]?
        public var corednsLogs: String?
        public var commandTimeoutS: Int?
    }

    public var format: String?
    public var collector: Collector?
    public var options: Options?
    public var hostname: String?
    public var kernel: String?
    public var bootTimeEpoch: Int?
    public var startedAt: String?
    public var endedAt: String?
    public var interrupted: Bool?
    public var redacted: Bool?
    public var commands: [Command]?

    /// Parses a manifest. Returns nil for JSON that is some other tool's manifest (a file that
    /// happens to be called manifest.json), and throws `ManifestError` for what claims to be
    /// ours but cannot be read.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ManifestError) -> BundleManifest? {
        let data = Data(bytes)
        let decoder = SnakeCaseJSON.decoder()
        let manifest: BundleManifest
        do {
            manifest = try decoder.decode(BundleManifest.self, from: data)
        } catch DecodingError.dataCorrupted(let context) {
            throw .invalidJSON(context.underlyingError.map { "\($0)" } ?? context.debugDescription)
        } catch {
            // Valid JSON of another shape: if it says it is ours, that is an error; else not ours.
            if let text = String(bytes: data, encoding: .utf8), text.contains(formatPrefix) {
                throw .unexpectedShape("\(error)")
            }
            return nil
        }
        guard let format = manifest.format, format.hasPrefix(formatPrefix) else { return nil }
        guard let major = Int(format.dropFirst(formatPrefix.count).prefix { $0.isNumber }), major <= supportedMajor else {
            throw .unsupportedFormat(format)
        }
        return manifest
    }
}

/// Why a collector manifest could not be used.
public enum ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidJSON(String)
    case unexpectedShape(String)
    case unsupportedFormat(String)
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .invalidJSON(let why): "manifest is not valid JSON (\(why.prefix(200)))"
        case .unexpectedShape(let why): "manifest has an unexpected structure (\(why.prefix(200)))"
        case .unsupportedFormat(let f): "manifest format \(f) is newer than this netautopsy understands (\(BundleManifest.formatPrefix)\(BundleManifest.supportedMajor))"
        case .tooLarge(let n): "manifest is larger than \(n) bytes"
        }
    }
}
