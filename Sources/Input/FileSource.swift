#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Wire

/// A regular file read front to back with read(2); the descriptor is closed in `deinit`.
public final class FileSource: ByteSource {
    private let fd: Int32
    public let path: String

    public init(path: String) throws(InputError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError.cannotOpen(path, String(cString: strerror(errno))) }
        self.fd = fd
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError.readFailed(path, String(cString: strerror(errno)))
        }
    }

    deinit { close(fd) }
}

/// Why an input could not be read. Every case names the file.
public enum InputError: Error, CustomStringConvertible, Sendable {
    case cannotOpen(String, String)
    case readFailed(String, String)
    case archive(String, String)
    case notRecognised(String)
    /// A bundle's `UnpackLimits` was passed while reading this file.
    case limit(String, String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let why): "\(p): cannot open: \(why)"
        case .readFailed(let p, let why): "\(p): read failed: \(why)"
        case .archive(let p, let why): "\(p): \(why)"
        case .notRecognised(let p): "\(p): neither a capture, an archive nor a directory"
        case .limit(let p, let why): "\(p): not read further: \(why)"
        }
    }
}
