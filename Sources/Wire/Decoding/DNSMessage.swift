/// The header and first question of a DNS message (RFC 1035 §4.1), as far as the bytes go.
public struct DNSMessage: Sendable {
    public var id: UInt16
    public var isResponse: Bool
    /// RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED…).
    public var rcode: UInt8
    /// The first question's name in presentation form without the trailing dot (`"."` for the root),
    /// or nil when there is no question, it could not be read, or it was not asked for (see `parse`).
    public var name: String?
    public var qtype: UInt16

    /// Ports whose traffic tshark decodes as DNS: DNS, mDNS (5353) and LLMNR (5355).
    public static func isDNSPort(_ port: UInt16) -> Bool { port == 53 || port == 5353 || port == 5355 }

    /// Whether a UDP datagram between these ports is decoded as DNS. Like tshark's UDP dissector,
    /// the lower port decides first: `53 → 5353` is DNS, but a DNS-looking high port paired with
    /// another well-known service port (below 1024) is left to that service.
    public static func isDNS(sourcePort: UInt16, destinationPort: UInt16, tcp: Bool) -> Bool {
        let low = Swift.min(sourcePort, destinationPort), high = Swift.max(sourcePort, destinationPort)
        if tcp { return low == 53 || (high == 53 && low >= 1024) || low == 5353 || (high == 5353 && low >= 1024) }
        if isDNSPort(low) { return true }
        return isDNSPort(high) && low >= 1024
    }

    /// Parses the message at `start..<end` of `r`; nil when the 12-byte header is not all there.
    /// The question is read from queries only (a String per name is the costly part, and matching
    /// needs only the query's).
    public static func parse(_ r: ByteReader, at start: Int, end: Int) -> DNSMessage? {
        guard end - start >= 12, let id = r.u16(at: start), let flags = r.u16(at: start + 2),
              let qd = r.u16(at: start + 4), r.u16(at: start + 6) != nil else { return nil }
        var m = DNSMessage(id: id, isResponse: flags & 0x8000 != 0, rcode: UInt8(flags & 0x000f), name: nil, qtype: 0)
        if qd > 0, !m.isResponse, let (name, next) = readName(r, at: start + 12, messageStart: start, end: end),
           let type = next + 2 <= end ? r.u16(at: next) : nil {
            m.name = name
            m.qtype = type
        }
        return m
    }

    /// Reads a possibly compressed name; returns it and the offset after it in the original position.
    static func readName(_ r: ByteReader, at offset: Int, messageStart: Int, end: Int) -> (String, Int)? {
        // The text is built in a buffer on the stack and made a String once (one allocation, none for a
        // name of 15 bytes or less): appending scalar by scalar cost more than the rest of the parsing.
        // A name is at most 255 bytes on the wire, each of which takes at most four as text.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { text in
            var n = 0
            var i = offset
            var after: Int?
            var jumps = 0
            var length = 0
            while true {
                guard i < end, let len = r.u8(at: i) else { return nil }
                if len & 0xc0 == 0xc0 {
                    guard let lo = r.u8(at: i + 1), jumps < 16 else { return nil }
                    if after == nil { after = i + 2 }
                    i = messageStart + (Int(len & 0x3f) << 8 | Int(lo))
                    jumps += 1
                    continue
                }
                guard len & 0xc0 == 0 else { return nil }
                if len == 0 { break }
                let l = Int(len)
                guard i + 1 + l <= end, length + l + 1 <= 255 else { return nil }
                length += l + 1
                if n > 0 {
                    text[n] = 0x2e
                    n += 1
                }
                n = appendLabel(r, from: i + 1, count: l, to: text, at: n)
                i += 1 + l
            }
            return (n == 0 ? "." : String(decoding: UnsafeBufferPointer(rebasing: text[..<n]), as: UTF8.self), after ?? i + 1)
        }
    }

    /// Writes a label's text at `at`; returns where it ends. Bytes outside printable ASCII, dots and
    /// backslashes are escaped as `\DDD`.
    static func appendLabel(_ r: ByteReader, from: Int, count: Int, to text: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        var n = at
        for k in 0..<count {
            let b = r.bytes[from + k]
            if b > 0x20 && b < 0x7f && b != 0x2e && b != 0x5c {
                text[n] = b
                n += 1
            } else {
                text[n] = 0x5c
                text[n + 1] = 0x30 + b / 100
                text[n + 2] = 0x30 + (b / 10) % 10
                text[n + 3] = 0x30 + b % 10
                n += 4
            }
        }
        return n
    }

    /// Mnemonic of common query types, else `TYPEn` (RFC 3597).
    public static func typeName(_ t: UInt16) -> String {
        switch t {
        case 1: "A"
        case 2: "NS"
        case 5: "CNAME"
        case 6: "SOA"
        case 12: "PTR"
        case 15: "MX"
        case 16: "TXT"
        case 28: "AAAA"
        case 33: "SRV"
        case 65: "HTTPS"
        case 255: "ANY"
        default: "TYPE\(t)"
        }
    }

    public static func rcodeName(_ c: UInt8) -> String {
        switch c {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: "RCODE\(c)"
        }
    }
}
