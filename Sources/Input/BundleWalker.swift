import Foundation
import Wire

/// One readable file of a bundle: a plain file or an archive entry, streamed.
public struct BundleFile {
    /// Path within the bundle (archive entry path, or relative to the bundle directory).
    public var path: String
    public var sniffed: Sniffed
    public var head: [UInt8]
    public var source: BufferedSource
    public var declaredSize: Int64?
    /// Where the file is on disk when it is a plain file (not an archive entry): it can be opened
    /// again, so its analysis can run on another thread.
    public var diskPath: String?

    public init(path: String, sniffed: Sniffed, head: [UInt8], source: BufferedSource, declaredSize: Int64?, diskPath: String?) {
        self.path = path
        self.sniffed = sniffed
        self.head = head
        self.source = source
        self.declaredSize = declaredSize
        self.diskPath = diskPath
    }
}

/// Something in the bundle that was not analyzed, and why.
public struct BundleProblem: Sendable, Equatable, Codable {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// A link in the bundle that resolves inside it; `target` is the path (in the bundle) it names.
public struct BundleLink: Sendable, Equatable {
    public var path: String
    public var target: String
    public init(path: String, target: String) {
        self.path = path
        self.target = target
    }
}

/// Walks a bundle — a directory, an archive (nested to `maxDepth`), or a single file — and
/// hands each regular file to a visitor as a stream. Archive entries are never written to
/// disk, so an entry's name cannot place anything anywhere; entries whose names would escape
/// the bundle (absolute, `..`), links leading outside it, devices and FIFOs are reported and
/// skipped. A link that resolves inside the bundle is handed to `link`: its target is read under
/// its own path, so nothing is read twice and nothing outside the bundle is ever opened.
public struct BundleWalker: Sendable {
    public var maxDepth = 3
    /// Archive entries of at least `readAheadMinimum` bytes (or of unknown size) are decompressed on
    /// a second thread while the visitor reads them (`ReadAhead`); smaller ones are not worth a thread.
    public var readAhead = true
    public var readAheadMinimum: Int64 = 1 << 20
    /// Caps on decompression and time (`UnpackLimits`); a walk makes its meter from them unless given one.
    public var limits = UnpackLimits()

    public init() {}

    /// Throws only when `path` itself cannot be read; problems inside are reported to `problem`.
    /// `meter` counts the walk's decompression and time against `limits` (one is made when nil);
    /// pass one to share it with reads that happen after the walk.
    public func walk(_ path: String, meter: UnpackMeter? = nil, file: (BundleFile) -> Void,
                     problem: (BundleProblem) -> Void, link: (BundleLink) -> Void = { _ in }) throws(InputError) {
        let meter = meter ?? UnpackMeter(limits)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotOpen(path, "no such file or directory")
        }
        if isDirectory.boolValue {
            try walkDirectory(path, meter: meter, file: file, problem: problem, link: link)
            return
        }
        let timed = TimedSource(try FileSource(path: path), meter: meter, path: path, armed: false)
        let source = BufferedSource(timed)
        let name = (path as NSString).lastPathComponent
        let head: [UInt8]
        do { head = try source.peek(Sniffed.headLength) } catch { throw .readFailed(path, "\(error)") }
        let sniffed = Sniffed(head)
        if sniffed == .archive {
            // PATH is an archive: if libarchive cannot even open it, PATH is unreadable.
            let reader = try ArchiveReader(source, name: name, rawFallback: true, meter: meter, fromDisk: true)
            walkArchive(reader, prefix: "", outerName: name, depth: 1, meter: meter, file: file, problem: problem, link: link)
        } else if sniffed == .text || sniffed == .pcap || sniffed == .pcapng || sniffed == .binary || sniffed == .empty {
            // Only a regular file can be opened again and read from its start (not a pipe or /dev/stdin).
            timed.armed = meter.limits.timeBudget != nil
            let regular = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
            file(BundleFile(path: name, sniffed: sniffed, head: head, source: source, declaredSize: nil,
                            diskPath: regular ? path : nil))
        }
    }

    private func walkDirectory(_ root: String, meter: UnpackMeter, file: (BundleFile) -> Void,
                               problem: (BundleProblem) -> Void, link: (BundleLink) -> Void) throws(InputError) {
        let fm = FileManager.default
        guard let names = try? fm.subpathsOfDirectory(atPath: root) else { throw .cannotOpen(root, "cannot list directory") }
        let realRoot = Self.realPath(root) ?? root
        for relative in names.sorted() {
            let full = (root as NSString).appendingPathComponent(relative)
            guard let attributes = try? fm.attributesOfItem(atPath: full), let type = attributes[.type] as? FileAttributeType
            else {
                problem(BundleProblem(path: relative, message: "cannot stat"))
                continue
            }
            switch type {
            case .typeDirectory: continue
            case .typeRegular: break
            case .typeSymbolicLink:
                let target = (try? fm.destinationOfSymbolicLink(atPath: full)) ?? "?"
                if let real = Self.realPath(full) {
                    if real == realRoot || real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") {
                        link(BundleLink(path: relative, target: real == realRoot ? "." : String(real.dropFirst(realRoot.count).drop { $0 == "/" })))
                    } else {
                        problem(BundleProblem(path: relative, message: "symbolic link to \(target) leads outside the bundle: not followed"))
                    }
                } else {
                    problem(BundleProblem(path: relative, message: "symbolic link to \(target), which is not in the bundle (dangling): not followed"))
                }
                continue
            default:
                problem(BundleProblem(path: relative, message: "not a regular file (device, FIFO or socket): skipped"))
                continue
            }
            if let why = meter.exceeded {
                problem(BundleProblem(path: relative, message: "not read: \(why)"))
                continue
            }
            do {
                let source = BufferedSource(meter.timed(try FileSource(path: full), path: relative))
                dispatch(source, path: relative, declaredSize: (attributes[.size] as? NSNumber)?.int64Value,
                         depth: 0, diskPath: full, meter: meter, file: file, problem: problem, link: link)
            } catch {
                problem(BundleProblem(path: relative, message: error.description))
            }
        }
    }

    /// Sniffs a stream and either hands it on or opens it as a nested archive.
    private func dispatch(_ source: BufferedSource, path: String, declaredSize: Int64?, depth: Int, diskPath: String? = nil,
                          meter: UnpackMeter, file: (BundleFile) -> Void, problem: (BundleProblem) -> Void,
                          link: (BundleLink) -> Void) {
        let head: [UInt8]
        do { head = try source.peek(Sniffed.headLength) } catch {
            problem(BundleProblem(path: path, message: "\(error)"))
            return
        }
        let sniffed = Sniffed(head)
        guard sniffed == .archive else {
            file(BundleFile(path: path, sniffed: sniffed, head: head, source: source, declaredSize: declaredSize, diskPath: diskPath))
            return
        }
        guard depth < maxDepth else {
            problem(BundleProblem(path: path, message: "archive nested deeper than \(maxDepth) levels: not opened"))
            return
        }
        do {
            let reader = try ArchiveReader(source, name: path, rawFallback: true, meter: meter, fromDisk: diskPath != nil)
            walkArchive(reader, prefix: path, outerName: path, depth: depth + 1, meter: meter, file: file, problem: problem, link: link)
        } catch .limit(let p, let why) {
            problem(BundleProblem(path: p, message: "not read further: \(why)"))
        } catch {
            problem(BundleProblem(path: path, message: "looks compressed or archived, but \(error.description)"))
        }
    }

    private func walkArchive(_ reader: ArchiveReader, prefix: String, outerName: String, depth: Int, meter: UnpackMeter,
                             file: (BundleFile) -> Void, problem: (BundleProblem) -> Void, link: (BundleLink) -> Void) {
        var seen: Set<String> = []
        while true {
            let entry: ArchiveReader.Entry?
            do { entry = try reader.next() } catch .limit(_, let why) {
                problem(BundleProblem(path: outerName, message: "not read further: \(why); entries after this point were not read"))
                return
            } catch {
                problem(BundleProblem(path: outerName, message: "archive damaged or cut short: \(Self.reason(error)); entries after this point were not read"))
                return
            }
            guard let entry else { return }
            var name = entry.path
            if reader.isRaw { name = Self.strippingCompression(prefix.isEmpty ? outerName : prefix) }
            let shown = prefix.isEmpty || reader.isRaw ? name : "\(prefix)/\(name)"
            if let size = entry.declaredSize, size > meter.limits.maxUnpackedBytes {
                // Skipping it would mean decompressing it: nothing after it can be reached.
                problem(BundleProblem(path: shown, message: "its header declares \(UnpackMeter.bytes(size)), more than --max-unpacked \(UnpackMeter.bytes(meter.limits.maxUnpackedBytes)) allows: not read, nor the entries after it"))
                return
            }
            if let target = Self.insideTarget(entry) {
                link(BundleLink(path: shown, target: prefix.isEmpty || reader.isRaw ? target : "\(prefix)/\(target)"))
                drain(reader, shown, meter: meter, problem: problem)
                continue
            }
            if let why = Self.skipReason(entry) {
                problem(BundleProblem(path: shown, message: why))
                drain(reader, shown, meter: meter, problem: problem)
                continue
            }
            if entry.kind == .directory { continue }
            if !seen.insert(entry.path).inserted {
                problem(BundleProblem(path: shown, message: "duplicate entry name: this copy is analyzed as well"))
            }
            let stream = reader.entryStream(path: shown)
            let ahead = readAhead && (entry.declaredSize ?? .max) >= readAheadMinimum ? ReadAhead(stream) : nil
            dispatch(BufferedSource(ahead ?? stream), path: shown, declaredSize: entry.declaredSize, depth: depth,
                     meter: meter, file: file, problem: problem, link: link)
            // The reading thread must stop before the archive moves to its next entry.
            ahead?.close()
            drain(reader, shown, meter: meter, problem: problem)
        }
    }

    /// The entry path a link entry names, when it stays inside the archive: a symbolic link's
    /// target is taken relative to the link's folder, a hard link's from the archive's root.
    /// Nil for other entries and for links that lead out (absolute, or `..` above the root).
    public static func insideTarget(_ entry: ArchiveReader.Entry) -> String? {
        guard unsafeName(entry.path) == nil else { return nil }
        let joined: String
        switch entry.kind {
        case .symlink(let target):
            guard !target.hasPrefix("/") else { return nil }
            let folder = entry.path.split(separator: "/").dropLast().joined(separator: "/")
            joined = folder.isEmpty ? target : folder + "/" + target
        case .hardlink(let target):
            guard !target.hasPrefix("/") else { return nil }
            joined = target
        default:
            return nil
        }
        guard unsafeName(joined) == nil else { return nil }
        var parts: [Substring] = []
        for part in joined.split(separator: "/") where part != "." {
            if part == ".." { parts.removeLast() } else { parts.append(part) }
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// The canonical path (links resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Why an entry is not read (unsafe name, link, device…), or nil for a regular file.
    public static func skipReason(_ entry: ArchiveReader.Entry) -> String? {
        if let why = unsafeName(entry.path) { return "\(why): skipped" }
        switch entry.kind {
        case .regular: return nil
        case .directory: return nil
        case .symlink(let target): return "symbolic link to \(target) leads outside the bundle: not followed"
        case .hardlink(let target): return "hard link to \(target) leads outside the bundle: not followed"
        default: return "not a regular file (device, FIFO or socket): skipped"
        }
    }

    /// Discards what is left of the entry under the meter, reporting a limit it passes (once: a
    /// limit the entry's reader already met was reported with the entry).
    private func drain(_ reader: ArchiveReader, _ shown: String, meter: UnpackMeter, problem: (BundleProblem) -> Void) {
        let before = meter.exceeded
        do { try reader.drain(path: shown) } catch .limit(_, let why) {
            if before == nil { problem(BundleProblem(path: shown, message: "not read further: \(why)")) }
        } catch {}
    }

    /// Why an entry name is unsafe (absolute, or `..` escaping the bundle), or nil.
    static func unsafeName(_ path: String) -> String? {
        if path.hasPrefix("/") { return "absolute path" }
        var depth = 0
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == ".." {
                depth -= 1
                if depth < 0 { return "path escapes the bundle (..)" }
            } else if part != "." {
                depth += 1
            }
        }
        if path.contains("\\..") || path.hasPrefix("..\\") { return "path escapes the bundle (..)" }
        return nil
    }

    static func strippingCompression(_ name: String) -> String {
        for suffix in [".gz", ".tgz", ".xz", ".bz2", ".zst", ".lz4", ".z"] where name.lowercased().hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            return suffix == ".tgz" ? base + ".tar" : base
        }
        return name
    }

    static func reason(_ e: InputError) -> String {
        if case .archive(_, let why) = e { return why }
        return e.description
    }
}
