import Crypto
import Foundation

/// The SHA-256 of a bundle's content: a file's bytes, or a directory's regular files (their paths
/// relative to it, sizes and bytes, in path order; symbolic links are not followed). A batch skips
/// a bundle whose hash it already analyzed with the same netautopsy version.
public enum ContentHash {
    public static func of(_ candidate: BundleCandidate) throws -> String {
        var hasher = SHA256()
        var isDirectory: ObjCBool = false
        // A cluster group is a folder of node bundles or an archive of them.
        let folder = candidate.kind == .directory
            || candidate.kind == .cluster && FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) && isDirectory.boolValue
        if folder {
            for (relative, path) in try files(under: candidate.path) {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                hasher.update(data: Data("\(relative)\u{0}\(size)\u{0}".utf8))
                try feed(path, into: &hasher)
            }
        } else {
            try feed(candidate.path, into: &hasher)
        }
        return hex(hasher.finalize())
    }

    /// The SHA-256 of one file's bytes (the `--config` a batch analyzes with).
    public static func ofFile(_ path: String) throws -> String {
        var hasher = SHA256()
        try feed(path, into: &hasher)
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func feed(_ path: String, into hasher: inout SHA256) throws {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
    }

    /// Regular files under `root`, by relative path.
    static func files(under root: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        func walk(_ dir: String, _ rel: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() {
                let path = dir + "/" + name, r = rel.isEmpty ? name : rel + "/" + name
                switch Discovery.fileType(path) {
                case .regular: out.append((r, path))
                case .directory: try walk(path, r)
                case .other, .missing: continue
                }
            }
        }
        try walk(root, "")
        return out
    }

    /// A shard number in 0..<count from a bundle's relative path: stable across machines and runs.
    public static func shard(of relative: String, count: Int) -> Int {
        let digest = SHA256.hash(data: Data(relative.utf8))
        let word = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(word % UInt64(max(count, 1)))
    }
}
