import Foundation

/// The sync (fsync/fdatasync) latency of fio jobs: what the etcd disk check needs.
///
/// Reads fio 3.x JSON (`--output-format=json`, also when warnings precede the JSON), fio 2.x JSON
/// (recognised, but it has no sync latencies) and fio's human-readable text output (the
/// `sync (usec):` and `sync percentiles (usec):` block under `fsync/fdatasync/sync_file_range:`).
public struct FioResult: Sendable, Equatable {
    public enum Format: String, Sendable { case json, json2 = "json-fio2", text }

    public struct Job: Sendable, Equatable {
        public var name: String
        /// `job options` merged over `global options` (`bs`, `size`, `ioengine`, `fdatasync`…).
        public var options: [String: String]
        /// Sync latency samples (`lat_ns.N`); 0 when the job issued no fsync/fdatasync, nil when
        /// the output does not say (fio's text output).
        public var syncSamples: Int?
        /// Percentile (`99.0`) → nanoseconds.
        public var syncPercentiles: [Double: Double]
        public var syncMaxNs: Double?
        public var syncMeanNs: Double?

        public func percentile(_ p: Double) -> Double? { syncPercentiles[p] }

        /// The job measured sync latency (it issued fsync/fdatasync and percentiles were kept).
        public var hasSyncLatency: Bool { !syncPercentiles.isEmpty && syncSamples != 0 }
    }

    public var format: Format
    public var version: String?
    public var jobs: [Job]
    /// The first line holding the 99th percentile (`"99.000000" : N` or `99.00th=[N]`), as evidence.
    public var percentileLine: SourceLine?
}

/// Why a fio output could not be read.
public enum FioError: Error, Equatable, CustomStringConvertible {
    case noJSON
    case invalidJSON(String)
    case noJobs

    public var description: String {
        switch self {
        case .noJSON: "no fio JSON object and no fio text results found"
        case .invalidJSON(let why): "invalid fio JSON: \(why)"
        case .noJobs: "fio output has no jobs"
        }
    }
}

extension FioResult {
    public static func parse(_ text: String) throws(FioError) -> FioResult {
        var result: FioResult
        if let brace = text.firstIndex(of: "{"), text[brace...].contains("\"jobs\"") {
            result = try json(String(text[brace...]))
        } else if let r = FioText.parse(text) {
            result = r
        } else {
            throw .noJSON
        }
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if line.contains("\"99.000000\"") || line.contains("99.00th=[") {
                result.percentileLine = SourceLine(number: number, text: String(line))
                break
            }
        }
        return result
    }

    static func json(_ text: String) throws(FioError) -> FioResult {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw .invalidJSON(String(describing: (error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? "unreadable"))
        }
        guard let top = object as? [String: Any], let jobs = top["jobs"] as? [[String: Any]] else { throw .noJobs }
        let version = top["fio version"] as? String
        let global = strings(top["global options"])
        var fio2 = version?.hasPrefix("fio-2") ?? false
        var out: [Job] = []
        for job in jobs {
            let options = global.merging(strings(job["job options"])) { $1 }
            let name = job["jobname"] as? String ?? options["name"] ?? "job \(out.count + 1)"
            guard let sync = job["sync"] as? [String: Any], let lat = sync["lat_ns"] as? [String: Any] else {
                if job["write"].map({ ($0 as? [String: Any])?["clat_ns"] == nil }) ?? false { fio2 = true }
                out.append(Job(name: name, options: options, syncSamples: 0, syncPercentiles: [:]))
                continue
            }
            var percentiles: [Double: Double] = [:]
            for (k, v) in lat["percentile"] as? [String: Any] ?? [:] {
                if let p = Double(k), let ns = number(v) { percentiles[p] = ns }
            }
            let samples = number(lat["N"]).map { Int($0) } ?? (percentiles.isEmpty ? 0 : Int(number(sync["total_ios"]) ?? 0))
            out.append(Job(name: name, options: options, syncSamples: samples, syncPercentiles: percentiles,
                           syncMaxNs: number(lat["max"]), syncMeanNs: number(lat["mean"])))
        }
        guard !out.isEmpty else { throw .noJobs }
        return FioResult(format: fio2 ? .json2 : .json, version: version, jobs: out, percentileLine: nil)
    }

    static func strings(_ any: Any?) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in any as? [String: Any] ?? [:] { out[k] = v as? String ?? "\(v)" }
        return out
    }

    static func number(_ any: Any?) -> Double? {
        switch any {
        case let n as NSNumber: n.doubleValue
        case let s as String: Double(s)
        default: nil
        }
    }
}

/// fio's text output: enough of it for the sync latency.
enum FioText {
    static func parse(_ text: String) -> FioResult? {
        var version: String?
        var jobs: [FioResult.Job] = []
        var current: FioResult.Job?
        var scale = 1000.0  // usec → ns
        var inSyncPercentiles = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmed
            if line.hasPrefix("fio-"), line.fields.count == 1 { version = String(line) }
            if let r = line.firstRange(of: ": (groupid=") {
                if let c = current { jobs.append(c) }
                current = FioResult.Job(name: String(line[..<r.lowerBound]), options: [:], syncSamples: nil, syncPercentiles: [:])
                inSyncPercentiles = false
                continue
            }
            guard current != nil else { continue }
            if line.hasPrefix("sync (") || line.hasPrefix("sync percentiles ("), let unit = line.after("(")?.prefix(while: { $0 != ")" }) {
                scale = unit == "nsec" ? 1 : unit == "msec" ? 1e6 : 1000
                if line.hasPrefix("sync percentiles") { inSyncPercentiles = true; continue }
                for kv in line.after(":")?.split(separator: ",") ?? [] {
                    let pair = kv.split(separator: "=").map { $0.trimmed }
                    guard pair.count == 2, let v = Double(pair[1]) else { continue }
                    if pair[0] == "max" { current!.syncMaxNs = v * scale }
                    if pair[0] == "avg" { current!.syncMeanNs = v * scale }
                }
                continue
            }
            if inSyncPercentiles, line.hasPrefix("|") {
                for entry in line.dropFirst().split(separator: ",") {
                    let e = entry.trimmed
                    guard let th = e.firstRange(of: "th=["), let p = Double(e[..<th.lowerBound]),
                          let v = Double(e[th.upperBound...].prefix { $0 != "]" }.trimmed) else { continue }
                    current!.syncPercentiles[p] = v * scale
                }
                continue
            }
            inSyncPercentiles = false
        }
        if let c = current { jobs.append(c) }
        guard !jobs.isEmpty else { return nil }
        return FioResult(format: .text, version: version, jobs: jobs, percentileLine: nil)
    }
}
