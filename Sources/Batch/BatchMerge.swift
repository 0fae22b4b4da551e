import Foundation

/// Merges the outputs of batch shards (`--shard K/N`) into one output: the reports copied, the
/// indexes joined (the latest record of each bundle), and the summary written anew.
public enum BatchMerge {
    public static func merge(_ shards: [String], into out: String) throws -> BatchResult {
        try FileManager.default.createDirectory(atPath: out + "/reports", withIntermediateDirectories: true)
        let index = try BatchIndex(path: out + "/index.jsonl")
        var records: [BatchRecord] = []
        var seen = Set<String>()
        for shard in shards {
            let path = shard + "/index.jsonl"
            guard FileManager.default.fileExists(atPath: path) else { throw BatchError.cannotRead(path) }
            let shardIndex = try BatchIndex(path: path)
            for r in shardIndex.byBundle.values.sorted(by: { $0.bundle < $1.bundle }) where seen.insert(r.bundle).inserted {
                if let name = r.report {
                    for ext in [".json", ".md", ".html"] where !FileManager.default.fileExists(atPath: out + "/" + name + ext) {
                        try FileManager.default.copyItem(atPath: shard + "/" + name + ext, toPath: out + "/" + name + ext)
                    }
                }
                if index.byBundle[r.bundle] != r { try index.append(r) }
                records.append(r)
            }
        }
        var result = BatchResult(records: records.sorted { $0.bundle < $1.bundle })
        result.skipped = records.count
        try BatchSummary.write(result, to: out)
        return result
    }
}
