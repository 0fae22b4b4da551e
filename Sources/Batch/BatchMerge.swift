import Foundation

/// Merges the outputs of batch shards (`--shard K/N`) into one output: the bundles of each shard's
/// last run (its `run.json`), with their latest records and reports, then the summary written anew.
/// The shards' outputs are only read.
public enum BatchMerge {
    public static func merge(_ shards: [String], into out: String) throws -> BatchResult {
        try FileManager.default.createDirectory(atPath: out + "/reports", withIntermediateDirectories: true)
        let index = try BatchIndex(path: out + "/index.jsonl")
        var latest: [String: (record: BatchRecord, shard: String)] = [:]
        for shard in shards {
            let shardIndex = try BatchIndex(path: shard + "/index.jsonl", readOnly: true)
            let bundles = (FileManager.default.contents(atPath: shard + "/run.json"))
                .flatMap { try? JSONDecoder().decode([String].self, from: $0) } ?? Array(shardIndex.byBundle.keys)
            for bundle in bundles {
                guard let r = shardIndex.byBundle[bundle] else { continue }
                // The same bundle in two shards' outputs: the later analysis wins.
                if let old = latest[bundle], old.record.analyzedAt >= r.analyzedAt { continue }
                latest[bundle] = (r, shard)
            }
        }
        var records: [BatchRecord] = []
        for (bundle, entry) in latest.sorted(by: { $0.key < $1.key }) {
            var r = entry.record
            if let name = r.report {
                do {
                    for ext in [".json", ".md", ".html"] {
                        let target = out + "/" + name + ext
                        try? FileManager.default.removeItem(atPath: target)
                        try FileManager.default.copyItem(atPath: entry.shard + "/" + name + ext, toPath: target)
                    }
                } catch {
                    r.status = .failed
                    r.error = "its report is missing from \(entry.shard): \(error.localizedDescription)"
                    r.report = nil
                }
            }
            if index.byBundle[bundle] != r { try index.append(r) }
            records.append(r)
        }
        var result = BatchResult(records: records)
        result.skipped = records.count
        try BatchSummary.write(result, to: out)
        return result
    }
}
