import Wire

/// Replaces addresses and host names in one line of text with their `Pseudonyms` tokens.
///
/// What counts (docs/security.md):
/// - IPv4: a dotted quad of decimal octets (≤ 255) not inside a longer run of dotted numbers;
/// - IPv6: a word that parses as RFC 4291 text and has a `::` or eight groups;
/// - MAC: six (or, as in an iptables LOG line, twelve and more) two-digit hex groups joined by `:`
///   or `-`;
/// - host names: dotted words ending in a top-level label (`com`, `local`, `internal`…) or in a
///   dot, names seen in the bundle's DNS messages, and the node's host names as words.
public struct TextRedactor {
    public let names: Pseudonyms

    public init(_ names: Pseudonyms) { self.names = names }

    public func redact(_ line: Substring) -> String {
        redactWords(redactIPv4(Array(line.utf8)))
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66) }
    static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) }
    /// Characters of a word that may be (or hold) an address or a name.
    static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2e || c == 0x3a || c == 0x2d || c == 0x5f }

    /// Dotted quads, replaced where they stand.
    func redactIPv4(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let boundary = i == 0 || !(Self.isDigit(b[i - 1]) || (b[i - 1] == 0x2e && i >= 2 && Self.isDigit(b[i - 2])))
            if boundary, Self.isDigit(b[i]), let (value, end) = Self.quad(b, at: i) {
                out += Array(IPAddress(ipv4: names.ipv4(value)).description.utf8)
                i = end
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// A dotted quad starting at `i`, not followed by another digit or `.digit`.
    static func quad(_ b: [UInt8], at start: Int) -> (UInt32, Int)? {
        var i = start, value: UInt32 = 0
        for part in 0..<4 {
            var octet = 0, digits = 0
            while i < b.count, isDigit(b[i]), digits < 4 {
                octet = octet * 10 + Int(b[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits >= 1, digits <= 3, octet <= 255 else { return nil }
            value = value << 8 | UInt32(octet)
            if part < 3 {
                guard i < b.count, b[i] == 0x2e else { return nil }
                i += 1
            }
        }
        if i < b.count, isDigit(b[i]) { return nil }
        // One more ".digits" is a port, as tcpdump prints it (10.0.0.1.443); two more is not an address.
        if i + 1 < b.count, b[i] == 0x2e, isDigit(b[i + 1]) {
            var j = i + 1
            while j < b.count, isDigit(b[j]) { j += 1 }
            if j + 1 < b.count, b[j] == 0x2e, isDigit(b[j + 1]) { return nil }
        }
        return (value, i)
    }

    /// Words: IPv6 addresses, MACs and host names.
    func redactWords(_ b: [UInt8]) -> String {
        var out = ""
        var i = 0
        var plain: [UInt8] = []
        func flush() {
            if !plain.isEmpty { out += String(decoding: plain, as: UTF8.self); plain.removeAll(keepingCapacity: true) }
        }
        while i < b.count {
            guard Self.isWord(b[i]) else {
                plain.append(b[i])
                i += 1
                continue
            }
            var j = i
            while j < b.count, Self.isWord(b[j]) { j += 1 }
            flush()
            out += word(String(decoding: b[i..<j], as: UTF8.self))
            i = j
        }
        flush()
        return out
    }

    func word(_ w: String) -> String {
        // Trailing punctuation (end of a sentence, "addr:") is not part of an address.
        var core = Substring(w)
        while let last = core.last, last == ":" || last == "-" || (last == "." && core.dropLast().last == ".") {
            core = core.dropLast()
        }
        let tail = String(w[core.endIndex...])
        if let v6 = ipv6(core) { return v6 + tail }
        if let mac = macs(core) { return mac + tail }
        // "host:port", "name:": each part on its own.
        if core.contains(":") {
            return core.split(separator: ":", omittingEmptySubsequences: false).map { hostName(String($0)) }.joined(separator: ":") + tail
        }
        return hostName(String(core)) + tail
    }

    func ipv6(_ w: Substring) -> String? {
        guard w.contains(":"), w.contains("::") || w.split(separator: ":", omittingEmptySubsequences: false).count == 8 else { return nil }
        var text = w
        if text.hasSuffix(".") { text = text.dropLast() }
        guard let a = IPAddress(text), a.isIPv6 else { return nil }
        return names.ipv6(a).description + (text.count < w.count ? "." : "")
    }

    /// Runs of six or more hex pairs: each six a MAC (an iptables LOG `MAC=` holds two and a type).
    func macs(_ w: Substring) -> String? {
        let separator: Character = w.contains("-") && !w.contains(":") ? "-" : ":"
        let groups = w.split(separator: separator, omittingEmptySubsequences: false)
        guard groups.count >= 6, groups.allSatisfy({ $0.utf8.count == 2 && $0.utf8.allSatisfy(Self.isHex) }) else { return nil }
        let values = groups.map { UInt8($0, radix: 16) ?? 0 }
        var out: [String] = []
        var i = 0
        while i + 6 <= values.count {
            var m: UInt64 = 0
            for k in 0..<6 { m = m << 8 | UInt64(values[i + k]) }
            let t = names.mac(m)
            let upper = groups[i].contains(where: { $0.isUppercase })
            out += (0..<6).map { k in
                let s = String(format: "%02x", (t >> (40 - 8 * UInt64(k))) & 0xFF)
                return upper ? s.uppercased() : s
            }
            i += 6
        }
        out += groups[i...].map(String.init)
        return out.joined(separator: String(separator))
    }

    func hostName(_ w: String) -> String {
        guard !w.isEmpty, w.utf8.contains(where: { Self.isAlnum($0) && !Self.isDigit($0) }) else { return w }
        let lower = w.lowercased()
        let trailingDot = lower.hasSuffix(".")
        let bare = trailingDot ? String(lower.dropLast()) : lower
        let labels = bare.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed = labels.allSatisfy { !$0.isEmpty && $0.utf8.count <= 63 && !$0.hasPrefix("-") }
        if labels.count >= 2, wellFormed {
            let last = String(labels.last!)
            if Self.letters(last) && (trailingDot || Pseudonyms.topLevel.contains(last)) || names.knownNames.contains(bare) {
                return names.name(w)
            }
        }
        if labels.count == 1, names.hostNames.contains(bare) { return names.label(w) }
        // The node's name inside a longer word ("node-1-20261122T050649Z", "kubelet-node-1").
        for host in names.hostNames where host.utf8.count >= 3 && lower.contains(host) {
            return replacing(host, in: w)
        }
        return w
    }

    static func letters(_ s: String) -> Bool { s.utf8.count >= 2 && s.utf8.allSatisfy { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a } }

    /// `host` replaced by its token wherever it stands between non-alphanumeric characters.
    func replacing(_ host: String, in w: String) -> String {
        let b = Array(w.utf8), h = Array(host.utf8)
        let token = Array(names.label(host).utf8)
        var out: [UInt8] = [], i = 0
        while i < b.count {
            if i + h.count <= b.count, (i == 0 || !Self.isAlnum(b[i - 1])),
               i + h.count == b.count || !Self.isAlnum(b[i + h.count]),
               zip(b[i..<i + h.count], h).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                out += token
                i += h.count
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
