import Foundation
import Input
import Wire

/// An archive holding several nodes' bundles (`analyze --cluster incident.tar.gz`): its entries are
/// written into a private scratch folder (mode 0700, under the temporary directory) so each node's
/// bundle can be analyzed as if given alone, and the folder is removed afterwards.
///
/// Only regular files are written, each under the scratch folder by its entry name with `.` and
/// `..` resolved; absolute names, names that escape, links, devices and FIFOs are skipped and reported,
/// as in any bundle (docs/security.md). Decompression counts against the same `UnpackLimits` as a bundle.
/// Node bundles inside are archives (`node-a.tar.gz`) or folders (`node-a/…`), at the top or inside
/// one folder that holds everything.
public final class ClusterArchive {
    public let root: String
    public private(set) var problems: [BundleProblem] = []
    public let name: String

    public init(_ path: String, limits: UnpackLimits = UnpackLimits()) throws(InputError) {
        name = (path as NSString).lastPathComponent
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("netautopsy-cluster.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw .cannotOpen(path, "cannot make a scratch folder: \(String(cString: strerror(errno)))") }
        root = String(cString: made)
        do {
            try unpack(path, limits: limits)
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func unpack(_ path: String, limits: UnpackLimits) throws(InputError) {
        let meter = UnpackMeter(limits)
        let reader = try ArchiveReader(BufferedSource(try FileSource(path: path)), name: name, rawFallback: false, meter: meter)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let entry: ArchiveReader.Entry
            do {
                guard let e = try reader.next() else { break }
                entry = e
            } catch {
                problems.append(BundleProblem(path: name, message: "not read further: \(error)"))
                break
            }
            if let why = BundleWalker.skipReason(entry) {
                problems.append(BundleProblem(path: entry.path, message: why))
                continue
            }
            guard entry.kind == .regular, let relative = Self.normalized(entry.path) else { continue }
            let target = (root as NSString).appendingPathComponent(relative)
            do {
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                problems.append(BundleProblem(path: entry.path, message: "cannot be written to the scratch folder: skipped"))
                continue
            }
            // O_EXCL and O_NOFOLLOW: an entry never replaces or writes through what an earlier one made.
            let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                problems.append(BundleProblem(path: entry.path, message: "repeats an earlier entry's name: skipped"))
                continue
            }
            let stream = reader.entryStream(path: entry.path)
            do {
                while true {
                    let n = try stream.read(into: buffer)
                    if n == 0 { break }
                    var written = 0
                    while written < n {
                        let w = write(fd, buffer.baseAddress! + written, n - written)
                        guard w > 0 else { throw InputError.readFailed(entry.path, "cannot write to the scratch folder: \(String(cString: strerror(errno)))") }
                        written += w
                    }
                }
                close(fd)
            } catch {
                close(fd)
                let why = (error as? InputError)?.description ?? "\(error)"
                problems.append(BundleProblem(path: entry.path, message: "not read further: \(why)"))
                if meter.exceeded != nil { break }
            }
        }
    }

    /// The entry's name inside the scratch folder (`./a/../b` → `b`), or nil when nothing is left.
    static func normalized(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// The node bundles inside: those directly in the scratch folder, or, when it holds only one
    /// folder, those in that folder.
    public func nodeBundles() throws -> [String] {
        var dir = root
        let fm = FileManager.default
        while let names = try? fm.contentsOfDirectory(atPath: dir).filter({ !$0.hasPrefix(".") }), names.count == 1 {
            var isDirectory: ObjCBool = false
            let only = (dir as NSString).appendingPathComponent(names[0])
            guard fm.fileExists(atPath: only, isDirectory: &isDirectory), isDirectory.boolValue else { break }
            dir = only
        }
        return try ClusterAutopsy.nodeBundles(in: dir)
    }

    /// `incident.tar.gz:node-a.tar.gz` for a bundle unpacked into the scratch folder.
    public func label(_ bundle: String) -> String {
        let inside = bundle.hasPrefix(root + "/") ? String(bundle.dropFirst(root.count + 1)) : bundle
        return "\(name):\(inside)"
    }
}
