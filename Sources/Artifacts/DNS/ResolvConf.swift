import Foundation

/// `/etc/resolv.conf` (a node's or a pod's), with the glibc rules of resolv.conf(5): the last
/// `search`/`domain` line wins, options accumulate, and ndots defaults to 1.
public struct ResolvConf: Sendable, Equatable, LineParser {
    public var nameservers: [String] = []
    public var search: [String] = []
    public var searchLine: SourceLine?
    /// Every `options` value (`ndots:5`, `single-request-reopen`, `timeout:2`).
    public var options: [String] = []
    public var ndotsLine: SourceLine?

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        guard let key = f.first, key.first != "#", key.first != ";" else { return }
        let line = SourceLine(number: number, text: String(raw))
        switch key {
        case "nameserver": if f.count > 1 { nameservers.append(String(f[1])) }
        case "search", "domain":
            search = f.dropFirst().prefix { $0.first != "#" }.map(String.init)
            searchLine = line
        case "options":
            for o in f.dropFirst() {
                options.append(String(o))
                if o.hasPrefix("ndots:") { ndotsLine = line }
            }
        default: break
        }
    }

    /// `ndots` (glibc caps it at 15); 1 when not set.
    public var ndots: Int {
        let v = options.last { $0.hasPrefix("ndots:") }.flatMap { Int($0.dropFirst(6)) } ?? 1
        return min(max(v, 0), 15)
    }

    public var isEmpty: Bool { nameservers.isEmpty && search.isEmpty && options.isEmpty }
}

/// Why Troubleshoot's `dns/debug.json` gave no resolver configuration.
public enum DNSDebugJSONProblem: Error, Sendable, CustomStringConvertible {
    case notAnObject, noPodResolvConf, empty

    public var description: String {
        switch self {
        case .notAnObject: "not a JSON object: not used"
        case .noPodResolvConf: "no podResolvConf string in the JSON object: not used"
        case .empty: "podResolvConf holds no nameserver, search or options line: not used"
        }
    }
}

extension ResolvConf {
    /// The same servers, search list and options (wherever their lines are).
    public func sameSettings(as other: ResolvConf) -> Bool {
        nameservers == other.nameservers && search == other.search && options == other.options
    }

    /// Troubleshoot's DNS collector (`pkg/collect/dns.go`) writes `dns/debug.json` with the test
    /// pod's `/etc/resolv.conf` as one string, `podResolvConf`; its line numbers are those of the
    /// lines inside that string.
    public static func parseTroubleshootDNSDebug(_ bytes: [UInt8]) -> Result<ResolvConf, DNSDebugJSONProblem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return .failure(.notAnObject) }
        guard let text = object["podResolvConf"] as? String else { return .failure(.noPodResolvConf) }
        let resolv = ResolvConf.parse(text)
        return resolv.isEmpty ? .failure(.empty) : .success(resolv)
    }
}
