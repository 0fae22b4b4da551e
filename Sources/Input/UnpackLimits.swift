import Foundation
import Wire

/// What one bundle may cost to read: decompressed bytes (an absolute cap and a ratio to the bytes
/// read from disk), and wall-clock time. A bundle that exceeds one is read no further; what was
/// read before stays analyzed, and the report names the file and the limit (docs/security.md).
public struct UnpackLimits: Sendable, Equatable {
    /// Bytes that may come out of decompression in one bundle, at every level of nesting
    /// (a nested archive's bytes count once for each layer they pass through).
    public var maxUnpackedBytes: Int64 = 64 << 30
    /// Decompressed bytes per byte read from disk, enforced once more than `ratioFloor` bytes have
    /// come out (small, very repetitive files are normal). gzip cannot exceed about 1032:1 in one
    /// layer; real bundles (captures, logs) stay below 20:1.
    public var maxRatio: Double = 250
    public var ratioFloor: Int64 = 256 << 20
    /// Seconds one bundle may be read for (nil: no limit).
    public var timeBudget: Double?

    public init() {}
}

/// Counts what one bundle's reading has cost against its `UnpackLimits`; shared by every reader of
/// the bundle (archive layers, read-ahead threads, captures analyzed in parallel), so thread-safe.
/// Once a limit is passed it stays passed: every later read fails with the same reason.
public final class UnpackMeter: @unchecked Sendable {
    public let limits: UnpackLimits
    private let lock = NSLock()
    private var packed: Int64 = 0
    private var unpacked: Int64 = 0
    private var tripped: String?
    private let deadline: UInt64?

    public init(_ limits: UnpackLimits = UnpackLimits()) {
        self.limits = limits
        deadline = limits.timeBudget.map { budget in
            let ns = budget.isFinite && budget > 0 ? min(budget * 1e9, 1e18) : 0
            return Self.now() &+ UInt64(ns)
        }
    }

    /// `source`, failing once the time budget is spent (for plain files; archive readers check
    /// on their own).
    public func timed(_ source: ByteSource, path: String) -> ByteSource {
        limits.timeBudget == nil ? source : TimedSource(source, meter: self, path: path)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Why reading stopped, once a limit has been passed.
    public var exceeded: String? { lock.withLock { tripped } }

    /// Adds what a decompressor read (`fromDisk`: bytes of a file, not of another archive's entry)
    /// and produced; throws the reason once a limit is passed.
    public func account(read fromDisk: Int64, produced: Int64) throws(UnpackLimitError) {
        let reason: String? = lock.withLock {
            packed = packed.saturatingAdd(fromDisk)
            unpacked = unpacked.saturatingAdd(produced)
            if tripped == nil { tripped = check() }
            return tripped
        }
        if let reason { throw UnpackLimitError(reason: reason) }
    }

    /// Throws once the time budget is spent (or another limit was passed).
    public func checkTime() throws(UnpackLimitError) {
        let reason: String? = lock.withLock {
            if tripped == nil { tripped = timeUp() }
            return tripped
        }
        if let reason { throw UnpackLimitError(reason: reason) }
    }

    private func check() -> String? {
        if unpacked > limits.maxUnpackedBytes {
            return "more than \(Self.bytes(limits.maxUnpackedBytes)) decompressed in this bundle (--max-unpacked)"
        }
        if unpacked > limits.ratioFloor, packed > 0, Double(unpacked) / Double(packed) > limits.maxRatio {
            let ratio = Int(min(Double(unpacked) / Double(packed), 1e12))
            return "decompression bomb? \(Self.bytes(unpacked)) came out of \(Self.bytes(packed)) (\(ratio):1, above --max-ratio \(Self.seconds(limits.maxRatio)))"
        }
        return timeUp()
    }

    /// Why reading stops when the time budget is spent, or nil.
    private func timeUp() -> String? {
        guard let deadline, Self.now() >= deadline else { return nil }
        return "the time budget of \(Self.seconds(limits.timeBudget ?? 0)) s for this bundle is used up (--time-budget)"
    }

    static func seconds(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.3g", v)
    }

    /// Binary units, as `--max-unpacked` takes them.
    public static func bytes(_ n: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(n), i = 0
        while v >= 1024, i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) bytes" : (v == v.rounded() ? "\(Int(v)) \(units[i])" : String(format: "%.1f %@", v, units[i]))
    }

    /// Parses `--max-unpacked` values: a number of bytes with an optional K, M, G, T suffix (binary).
    public static func parseBytes(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "")
            .replacingOccurrences(of: "B", with: "")
        let shifts: [Character: Int64] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var digits = Substring(t), shift: Int64 = 0
        if let last = t.last, let s = shifts[last] { shift = s; digits = t.dropLast() }
        guard let n = Int64(digits), n > 0, n <= Int64.max >> shift else { return nil }
        return n << shift
    }
}

/// A passed `UnpackLimits` limit.
public struct UnpackLimitError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Checks the time budget on every read of a plain file (archive entries are checked by the
/// archive reader).
final class TimedSource: ByteSource {
    let inner: ByteSource
    let meter: UnpackMeter
    let path: String
    /// Off while the walker sniffs the input itself: an archive's reader checks on its own, and a
    /// spent budget must not make the bundle's own path unreadable.
    var armed: Bool
    init(_ inner: ByteSource, meter: UnpackMeter, path: String, armed: Bool = true) {
        self.inner = inner
        self.meter = meter
        self.path = path
        self.armed = armed
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if armed { do { try meter.checkTime() } catch { throw InputError.limit(path, error.reason) } }
        return try inner.read(into: buffer)
    }
}
