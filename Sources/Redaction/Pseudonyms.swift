import Crypto
import Foundation
import Wire

/// The one mapping a redaction uses everywhere, so that the same address or name gets the same
/// token in every text file and every capture (docs/security.md, "Redaction").
///
/// - IPv4: `240.0.0.1`, `240.0.0.2`… in order of first sight (240.0.0.0/4 is reserved and never
///   routed, so a token cannot be mistaken for a real address); with `keepSubnets`, a keyed
///   prefix-preserving permutation (Crypto-PAn's construction, HMAC-SHA-256 as the function) whose
///   low 28 bits land in 240.0.0.0/4: two addresses sharing a prefix of n > 4 bits get tokens
///   sharing n bits.
/// - IPv6: `2001:db8:ffff:ffff::N` (documentation prefix), `fe80::ffff:ffff:0:N` for link-local;
///   with `keepSubnets`, the same permutation over 128 bits, its low 96 bits under 2001:db8::/32.
///   Solicited-node multicast (ff02::1:ffXX:XXXX, MAC 33:33:ff:XX:XX:XX) gets its 24 bits tokenised.
/// - Kept as they are, because they identify nothing: unspecified, loopback, multicast, link-local
///   IPv4 (169.254/16), broadcast; all-zero, broadcast and multicast MACs.
/// - MACs: `02:00:00:xx:xx:xx` (locally administered).
/// - DNS labels: each label becomes a token of the same length (so DNS messages keep their layout
///   and compression pointers), the same everywhere; labels that identify nothing (`svc`,
///   `cluster`, `local`, `com`…) are kept, so that search-path expansion still shows.
public final class Pseudonyms {
    public let keepSubnets: Bool
    private let key: SymmetricKey
    private var v4: [UInt32: UInt32] = [:]
    private var v6: [IPAddress: IPAddress] = [:]
    private var macs: [UInt64: UInt64] = [:]
    private var labels: [String: String] = [:]
    private var usedTokens: Set<String> = []
    private var nextV4: UInt32 = 1
    private var nextV6: UInt64 = 1
    private var nextMAC: UInt64 = 1
    private var nextLabel: [Int: Int] = [:]
    private var solicitedBits: [UInt32: UInt32] = [:]
    /// Full names seen in DNS messages (lower case, no trailing dot): tokenised in text too.
    public private(set) var knownNames: Set<String> = []
    /// Single-label host names (the node's): tokenised wherever they appear as a word.
    public private(set) var hostNames: Set<String> = []

    /// Labels that are kept: Kubernetes' fixed names and common top-level domains.
    public static let keptLabels: Set<String> = [
        "svc", "cluster", "local", "pod", "default", "kube-system", "kube-dns", "kubernetes", "coredns", "localhost",
        "in-addr", "ip6", "arpa", "internal", "com", "net", "org", "io", "dev", "app", "cloud", "lan", "corp", "home",
        "edu", "gov", "info", "biz",
    ]
    /// Last labels that make a dotted word in text a host name.
    static let topLevel: Set<String> = [
        "local", "internal", "arpa", "com", "net", "org", "io", "dev", "app", "cloud", "lan", "corp", "home", "edu",
        "gov", "info", "biz", "svc", "cluster",
    ]

    /// `key`: the secret behind `keepSubnets` tokens (random when nil, so that two runs differ;
    /// give the same key to map several bundles alike).
    public init(keepSubnets: Bool = false, key: String? = nil) {
        self.keepSubnets = keepSubnets
        self.key = key.map { SymmetricKey(data: SHA256.hash(data: Data($0.utf8))) } ?? SymmetricKey(size: .bits256)
    }

    // MARK: addresses

    public static func keptIPv4(_ a: UInt32) -> Bool {
        let first = a >> 24
        return first == 0 || first == 127 || (first >= 224 && first < 240) || a == 0xFFFF_FFFF || a >> 16 == 0xA9FE
    }

    public func ipv4(_ a: UInt32) -> UInt32 {
        if Self.keptIPv4(a) { return a }
        if let t = v4[a] { return t }
        let t: UInt32
        if keepSubnets {
            t = 0xF000_0000 | (UInt32(truncatingIfNeeded: permute(high: UInt64(a) << 32, low: 0, bits: 32).high >> 32) & 0x0FFF_FFFF)
        } else {
            t = 0xF000_0000 | (nextV4 & 0x0FFF_FFFF)
            nextV4 &+= 1
        }
        v4[a] = t
        return t
    }

    public func ipv6(_ a: IPAddress) -> IPAddress {
        let top = a.high >> 56
        // Solicited-node multicast holds the low 24 bits of a unicast address: those are tokenised.
        if a.high == 0xFF02_0000_0000_0000, a.low >> 24 == 0x1FF {
            return IPAddress(ipv6High: a.high, low: 0x1_FF00_0000 | UInt64(solicited(UInt32(a.low & 0xFF_FFFF))))
        }
        if (a.high == 0 && (a.low == 0 || a.low == 1)) || top == 0xFF { return a }
        if a.high == 0, a.low >> 32 == 0xFFFF {          // IPv4-mapped: the IPv4 mapping
            return IPAddress(ipv6High: 0, low: 0xFFFF_0000_0000 | UInt64(ipv4(UInt32(truncatingIfNeeded: a.low))))
        }
        if let t = v6[a] { return t }
        let linkLocal = a.high >> 54 == 0x3FA
        let t: IPAddress
        if keepSubnets {
            let p = permute(high: a.high, low: a.low, bits: 128)
            t = linkLocal ? IPAddress(ipv6High: 0xFE80_0000_0000_0000, low: p.low)
                : IPAddress(ipv6High: 0x2001_0DB8_0000_0000 | (p.high & 0xFFFF_FFFF), low: p.low)
        } else {
            t = linkLocal ? IPAddress(ipv6High: 0xFE80_0000_0000_0000, low: 0xFFFF_FFFF_0000_0000 | nextV6)
                : IPAddress(ipv6High: 0x2001_0DB8_FFFF_FFFF, low: nextV6)
            nextV6 &+= 1
        }
        v6[a] = t
        return t
    }

    public func mac(_ m: UInt64) -> UInt64 {
        if m >> 24 == 0x33_33FF { return 0x3333_FF00_0000 | UInt64(solicited(UInt32(m & 0xFF_FFFF))) }
        if m == 0 || m == 0xFFFF_FFFF_FFFF || (m >> 40) & 1 == 1 { return m }
        if let t = macs[m] { return t }
        let t = 0x0200_0000_0000 | (nextMAC & 0xFF_FFFF)
        nextMAC &+= 1
        macs[m] = t
        return t
    }

    /// The token for the 24 bits a solicited-node address (and its 33:33:ff MAC) carries.
    private func solicited(_ bits: UInt32) -> UInt32 {
        if let t = solicitedBits[bits] { return t }
        let t = UInt32(solicitedBits.count + 1) & 0xFF_FFFF
        solicitedBits[bits] = t
        return t
    }

    /// Crypto-PAn's prefix-preserving permutation of the first `bits` bits of (high, low): bit i is
    /// flipped by one bit of HMAC(key, the i bits before it).
    private func permute(high: UInt64, low: UInt64, bits: Int) -> (high: UInt64, low: UInt64) {
        var outHigh: UInt64 = 0, outLow: UInt64 = 0
        for i in 0..<bits {
            var prefix = [UInt8](repeating: 0, count: 17)
            let value = Self.bits(high, low, count: i)
            withUnsafeBytes(of: value.high.bigEndian) { prefix.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: value.low.bigEndian) { prefix.replaceSubrange(8..<16, with: $0) }
            prefix[16] = UInt8(i)
            let mac = HMAC<SHA256>.authenticationCode(for: prefix, using: key)
            let flip = mac.withUnsafeBytes { $0[0] & 1 }
            let bit = (i < 64 ? high >> (63 - i) : low >> (127 - i)) & 1
            let out = bit ^ UInt64(flip)
            if i < 64 { outHigh |= out << (63 - i) } else { outLow |= out << (127 - i) }
        }
        // Bits beyond `bits` are kept (none: callers pass whole addresses).
        return (outHigh, outLow)
    }

    /// The first `count` bits of a 128-bit value, the rest zero.
    private static func bits(_ high: UInt64, _ low: UInt64, count: Int) -> (high: UInt64, low: UInt64) {
        if count == 0 { return (0, 0) }
        if count <= 64 { return (count == 64 ? high : high & ~(UInt64.max >> count), 0) }
        let n = count - 64
        return (high, n == 64 ? low : low & ~(UInt64.max >> n))
    }

    // MARK: names

    /// The token for one DNS label (bytes, any case): same length, lower case letters and digits.
    public func label(_ original: String) -> String {
        let lower = original.lowercased()
        if lower.isEmpty || Self.keptLabels.contains(lower) || lower.hasPrefix("_") { return lower == original ? original : lower }
        if let t = labels[lower] { return t }
        let n = lower.utf8.count
        var token: String?
        while token == nil {
            let k = nextLabel[n, default: 0]
            nextLabel[n] = k + 1
            guard let candidate = Self.token(k, length: n) else { break }
            if !Self.keptLabels.contains(candidate) && !usedTokens.contains(candidate) { token = candidate }
        }
        // More distinct labels of this length than tokens (only for one or two characters): kept.
        let t = token ?? lower
        usedTokens.insert(t)
        labels[lower] = t
        return t
    }

    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// Token number `k` of `length` characters: "x" then base 36 from length 4 on, plain base 36
    /// below; nil when `k` does not fit.
    static func token(_ k: Int, length: Int) -> String? {
        let prefix = length >= 4 ? "x" : ""
        let digits = length - prefix.count
        var v = k, out: [Character] = []
        for _ in 0..<digits {
            out.append(alphabet[v % 36])
            v /= 36
        }
        guard v == 0 else { return nil }
        return prefix + String(out.reversed())
    }

    /// A dotted name with each label tokenised (a trailing dot kept).
    public func name(_ dotted: String) -> String {
        dotted.split(separator: ".", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : label(String($0)) }
            .joined(separator: ".")
    }

    /// Remembers a dotted name seen whole in a DNS message, so that text mentioning it is tokenised too.
    public func learn(name: String) {
        // Leading and trailing dots trimmed, in the standard library: this runs once per DNS name
        // in a capture, and Foundation's trimming was most of the cost of redacting DNS traffic.
        let lower = name.lowercased()
        let bytes = lower.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x2E }), let last = bytes.lastIndex(where: { $0 != 0x2E }) else { return }
        let n = lower[first...last]
        guard n.utf8.contains(0x2E), n.utf8.count <= 253 else { return }
        knownNames.insert(String(n))
    }

    /// Remembers the node's host name (from the manifest or a `hostname` file).
    public func learn(hostName: String) {
        let n = hostName.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        guard !n.isEmpty, n.utf8.count <= 253, n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else { return }
        if n.contains(".") {
            knownNames.insert(n)
            if let first = n.split(separator: ".").first { hostNames.insert(String(first)) }
        } else {
            hostNames.insert(n)
        }
    }

    // MARK: the mapping, written only on request

    public struct Mapping: Codable {
        public var ipv4: [String: String]
        public var ipv6: [String: String]
        public var mac: [String: String]
        public var labels: [String: String]
        public var keepSubnets: Bool
    }

    public var mapping: Mapping {
        Mapping(
            ipv4: Dictionary(uniqueKeysWithValues: v4.map { (IPAddress(ipv4: $0.key).description, IPAddress(ipv4: $0.value).description) }),
            ipv6: Dictionary(uniqueKeysWithValues: v6.map { ($0.key.description, $0.value.description) }),
            mac: Dictionary(uniqueKeysWithValues: macs.map { (Self.macText($0.key), Self.macText($0.value)) }),
            labels: labels.filter { $0.key != $0.value }, keepSubnets: keepSubnets)
    }

    public static func macText(_ m: UInt64) -> String {
        (0..<6).map { String(format: "%02x", (m >> (40 - 8 * UInt64($0))) & 0xFF) }.joined(separator: ":")
    }
}
