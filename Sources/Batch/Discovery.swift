import Foundation
import Input
#if canImport(Glibc)
import Glibc
#endif

/// One bundle a batch found: an archive, a capture, or a directory holding a collector manifest.
public struct BundleCandidate: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case archive, capture, directory
        /// Named like an archive or a capture, but its bytes are neither: analyzed anyway, so the
        /// report says what it is.
        case misnamed
        /// One incident's node bundles (`batch --clusters`): a directory of them, or an archive of
        /// them, analyzed together into one cluster report (docs/cluster.md).
        case cluster
    }

    /// The path as found (the input joined with the walk).
    public var path: String
    /// The path relative to the input it was found under (a file given directly: its name). It
    /// decides the shard, so the same archive mounted elsewhere shards the same way.
    public var relative: String
    public var kind: Kind
}

/// Finds the bundles under the inputs of `netautopsy batch`.
///
/// - A directory with a `manifest.json` is one bundle (an unpacked collector bundle); other
///   directories are walked, in name order, without following symbolic links.
/// - A regular file is a bundle when its first bytes are an archive or compressed file (gzip, xz,
///   bzip2, zstd, lz4, tar, zip, 7z) or a capture (pcap, pcapng), or when it is named like one
///   (`.tar.gz`, `.tgz`, `.tar`, `.zip`, `.pcap`, `.pcapng`, …) whatever its bytes.
/// - Other files (reports, notes) are not bundles. An input that contains `*`, `?` or `[` and does
///   not exist is expanded as a glob (glob(3)).
public enum Discovery {
    public static let bundleSuffixes = [".tar.gz", ".tgz", ".tar", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".zip",
                                        ".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz"]

    /// The bundles under `inputs`, in input order then name order, each once; and the inputs that
    /// could not be read. Anything under `excluding` (the batch's own output) is skipped.
    public static func find(_ inputs: [String], excluding: String? = nil) -> (bundles: [BundleCandidate], problems: [(path: String, message: String)]) {
        var bundles: [BundleCandidate] = []
        var problems: [(String, String)] = []
        var seen = Set<String>()
        let excluded = excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        func add(_ c: BundleCandidate) {
            let key = URL(fileURLWithPath: c.path).standardizedFileURL.path
            if excluded.map({ key == $0 || key.hasPrefix($0 + "/") }) == true { return }
            if seen.insert(key).inserted { bundles.append(c) }
        }
        for input in inputs {
            var paths = [input]
            if !FileManager.default.fileExists(atPath: input), input.contains(where: { "*?[".contains($0) }) {
                paths = expand(input)
                if paths.isEmpty { problems.append((input, "no file matches this pattern")); continue }
            }
            let named = paths.count == 1 && paths[0] == input
            for path in paths {
                // An input itself is followed if it is a link (as `find -H` does); nothing under it is.
                switch fileType(path, follow: true) {
                case .directory:
                    if isBundleDirectory(path) {
                        add(BundleCandidate(path: path, relative: URL(fileURLWithPath: path).lastPathComponent, kind: .directory))
                    } else {
                        walk(path, relative: "", excluded: excluded, into: add, problems: &problems)
                    }
                case .regular:
                    if let kind = classify(path) {
                        add(BundleCandidate(path: path, relative: URL(fileURLWithPath: path).lastPathComponent, kind: kind))
                    } else if named {
                        // A file a glob matched that is no bundle is passed over, as in a directory.
                        problems.append((path, "not an archive, a capture or a bundle directory"))
                    }
                case .other: problems.append((path, "not a regular file or directory"))
                case .missing: problems.append((path, "no such file or directory"))
                }
            }
        }
        return (bundles, problems)
    }

    /// The cluster groups under `inputs` (`batch --clusters`): every directory, archive or
    /// compressed file directly inside an input directory (hidden names skipped), in name order; an
    /// input that is itself an archive is one group. Anything under `excluding` is skipped.
    public static func findClusters(_ inputs: [String], excluding: String? = nil) -> (bundles: [BundleCandidate], problems: [(path: String, message: String)]) {
        var groups: [BundleCandidate] = [], problems: [(String, String)] = [], seen = Set<String>()
        let excluded = excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        func add(_ path: String, _ relative: String) {
            let key = URL(fileURLWithPath: path).standardizedFileURL.path
            if excluded.map({ key == $0 || key.hasPrefix($0 + "/") }) == true { return }
            if seen.insert(key).inserted { groups.append(BundleCandidate(path: path, relative: relative, kind: .cluster)) }
        }
        for input in inputs {
            switch fileType(input, follow: true) {
            case .directory:
                let names: [String]
                do { names = try FileManager.default.contentsOfDirectory(atPath: input).sorted() } catch {
                    problems.append((input, "cannot list: \(error.localizedDescription)"))
                    continue
                }
                for name in names where !name.hasPrefix(".") {
                    let path = input + "/" + name
                    switch fileType(path) {
                    case .directory: add(path, name)
                    case .regular: if classify(path) == .archive { add(path, name) }
                    case .other, .missing: continue
                    }
                }
            case .regular:
                if classify(input) == .archive { add(input, URL(fileURLWithPath: input).lastPathComponent) } else {
                    problems.append((input, "not an archive or a directory of cluster groups"))
                }
            case .other: problems.append((input, "not a regular file or directory"))
            case .missing: problems.append((input, "no such file or directory"))
            }
        }
        return (groups, problems)
    }

    static func walk(_ dir: String, relative: String, excluded: String?, into add: (BundleCandidate) -> Void,
                     problems: inout [(String, String)]) {
        // The batch's own output is not walked.
        if let excluded, URL(fileURLWithPath: dir).standardizedFileURL.path == excluded { return }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted() } catch {
            problems.append((dir, "cannot list: \(error.localizedDescription)"))
            return
        }
        for name in names {
            let path = dir + "/" + name, rel = relative.isEmpty ? name : relative + "/" + name
            switch fileType(path) {
            case .directory:
                if isBundleDirectory(path) {
                    add(BundleCandidate(path: path, relative: rel, kind: .directory))
                } else {
                    walk(path, relative: rel, excluded: excluded, into: add, problems: &problems)
                }
            case .regular:
                if let kind = classify(path) { add(BundleCandidate(path: path, relative: rel, kind: kind)) }
            case .other, .missing: continue
            }
        }
    }

    static func isBundleDirectory(_ path: String) -> Bool {
        fileType(path + "/manifest.json") == .regular
    }

    /// What a regular file is, by its first bytes, or nil when it is no bundle.
    static func classify(_ path: String) -> BundleCandidate.Kind? {
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: Sniffed.headLength)) ?? nil
        switch Sniffed([UInt8](head ?? Data())) {
        case .archive: return .archive
        case .pcap, .pcapng: return .capture
        case .text, .binary, .empty:
            let lower = path.lowercased()
            return bundleSuffixes.contains { lower.hasSuffix($0) } ? .misnamed : nil
        }
    }

    enum FileType { case regular, directory, other, missing }

    /// lstat: a symbolic link is `other`, not followed, unless `follow` (stat).
    static func fileType(_ path: String, follow: Bool = false) -> FileType {
        var st = stat()
        guard (follow ? stat(path, &st) : lstat(path, &st)) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
