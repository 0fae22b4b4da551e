import Wire

/// Wireshark display-filter fragments, so every packet finding names a filter that shows it. Set
/// elements are separated by commas, as Wireshark 4 requires (whitespace alone is a syntax error there).
enum DisplayFilter {
    static func ip(_ field: String, _ a: IPAddress) -> String {
        "\(a.isIPv6 ? "ipv6" : "ip").\(field)==\(a)"
    }

    static func frames(_ frames: [Int]) -> String {
        "frame.number in {\(frames.map(String.init).joined(separator: ", "))}"
    }

    static func streams(_ streams: [Int]) -> String {
        "tcp.stream in {\(streams.map(String.init).joined(separator: ", "))}"
    }
}

extension Array {
    /// The first `n` elements and how many were left out.
    func capped(_ n: Int) -> (kept: ArraySlice<Element>, omitted: Int) {
        (prefix(n), Swift.max(0, count - n))
    }
}

extension DisplayFilter {
    /// The packets of a tunnel's inner flow: its addresses and ports (the fields match at any layer, and
    /// no outer header carries the pods' addresses).
    static func inner(_ f: InnerFlow) -> String {
        var parts = [ip("src", f.source), ip("dst", f.destination)]
        let proto = f.protocolNumber == IPProtocol.tcp ? "tcp" : f.protocolNumber == IPProtocol.udp ? "udp" : nil
        if let proto, let s = f.sourcePort, let d = f.destinationPort { parts += ["\(proto).srcport==\(s)", "\(proto).dstport==\(d)"] }
        return parts.joined(separator: " && ")
    }
}
