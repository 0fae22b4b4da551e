/// `hostname` output (or `/etc/hostname`): the node's name, one token on one line.
public struct HostnameFile: Sendable, Equatable, LineParser {
    public private(set) var name: String?
    public private(set) var line: SourceLine?
    /// Lines that were not one plausible host name.
    public private(set) var other = 0

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let l = raw.trimmed
        guard !l.isEmpty, !l.hasPrefix("#") else { return }
        guard name == nil, Self.isHostName(l) else { other += 1; return }
        name = String(l)
        line = SourceLine(number: number, text: String(raw))
    }

    /// RFC 1123 labels: letters, digits, hyphens and dots, at most 253 bytes.
    public static func isHostName(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.count <= 253 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}

/// `uname -a` (`Linux NAME 5.4.0-99-generic #112-Ubuntu SMP … GNU/Linux`) or `uname -r`
/// (`5.4.0-99-generic`): the kernel release, and with `-a` the node name.
public struct UnameOutput: Sendable, Equatable, LineParser {
    public private(set) var kernelRelease: String?
    public private(set) var nodeName: String?
    public private(set) var line: SourceLine?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        guard kernelRelease == nil else { return }
        let f = raw.fields
        if f.count >= 3, f[0] == "Linux", Self.isRelease(f[2]) {
            nodeName = String(f[1])
            kernelRelease = String(f[2])
        } else if f.count == 1, Self.isRelease(f[0]) {
            kernelRelease = String(f[0])
        } else {
            return
        }
        line = SourceLine(number: number, text: String(raw))
    }

    /// `5.4.0-99-generic`, `6.1.0`, `4.18.0-372.9.1.el8.x86_64`: digits, a dot, then no spaces.
    public static func isRelease(_ s: Substring) -> Bool {
        guard let first = s.first, first.isNumber, s.contains(".") else { return false }
        return s.allSatisfy { !$0.isWhitespace }
    }
}
