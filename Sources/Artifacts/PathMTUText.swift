/// A line of text that shows a packet was too big for its path: the "message too long" family.
public struct PathMTUTextMatch: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// `Message too long` / `local error: message too long, mtu=N` (local EMSGSIZE: the kernel
        /// already knows the route or path MTU is smaller than the packet).
        case messageTooLong = "message-too-long"
        /// The errno name itself, as applications log it.
        case emsgsize = "EMSGSIZE"
        /// `Frag needed and DF set (mtu = N)`: a router's ICMP came back (ping).
        case fragNeeded = "frag-needed"
        /// tracepath's `pmtu N`: the path MTU as discovered at that hop.
        case pmtu
        /// The kernel's `dropped over-mtu packet: 8950 > 1450` (Open vSwitch and tunnel vports,
        /// bridges): a packet larger than the device it was to leave by was dropped; the MTU is the
        /// number after `>`.
        case overMTU = "over-mtu"
    }

    public var kind: Kind
    /// The MTU the line reports, if it does.
    public var mtu: Int?

    public init(kind: Kind, mtu: Int?) {
        self.kind = kind
        self.mtu = mtu
    }

    /// Keywords one of which every line `scan` matches contains, ASCII case folded (`ByteNeedles`).
    public static let needles = ["message too long", "emsgsize", "frag needed", "fragmentation needed", "pmtu ", "over-mtu"]

    /// Scans one line; nil when it says nothing about path MTU.
    public static func scan(_ line: Substring) -> PathMTUTextMatch? {
        // Cheap pre-filter: every pattern contains "mtu", "MTU", "too long" or "EMSGSIZE".
        guard line.has("tu") || line.has("oo long") || line.has("OO LONG") || line.has("EMSGSIZE")
        else { return nil }
        let lower = line.lowercased()
        if lower.has("message too long") {
            return PathMTUTextMatch(kind: .messageTooLong, mtu: number(after: "mtu", in: lower))
        }
        if line.has("EMSGSIZE") { return PathMTUTextMatch(kind: .emsgsize, mtu: number(after: "mtu", in: lower)) }
        if lower.has("frag needed") || lower.has("fragmentation needed") {
            return PathMTUTextMatch(kind: .fragNeeded, mtu: number(after: "mtu", in: lower))
        }
        if lower.has("over-mtu packet") { return PathMTUTextMatch(kind: .overMTU, mtu: number(after: ">", in: lower)) }
        if let mtu = number(after: "pmtu ", in: lower, exact: true) { return PathMTUTextMatch(kind: .pmtu, mtu: mtu) }
        return nil
    }

    /// The integer after `key` (skipping ` `, `=`, `:`); with `exact`, digits must follow at once.
    static func number(after key: String, in text: String, exact: Bool = false) -> Int? {
        var search = text[...]
        while let r = search.byteRange(of: key) {
            var i = r.upperBound
            if !exact {
                while i < text.endIndex, text[i] == " " || text[i] == "=" || text[i] == ":" { i = text.index(after: i) }
            }
            var digits = ""
            while i < text.endIndex, let d = text[i].wholeNumberValue, text[i].isASCII, digits.count < 7 {
                digits.append(Character(String(d)))
                i = text.index(after: i)
            }
            if let v = Int(digits) { return v }
            search = text[r.upperBound...]
        }
        return nil
    }
}
