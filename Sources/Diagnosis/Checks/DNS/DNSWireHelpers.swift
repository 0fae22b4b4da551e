import Wire

extension DNSLookup {
    /// `name TYPE` as dig prints the question.
    var question: String { "\(name) \(typeName)" }

    /// A display filter for this lookup's packets.
    var displayFilter: String {
        "dns.id==0x\(String(id, radix: 16)) && \(overTCP ? "tcp" : "udp").port==\(client.port) && dns.qry.name==\"\(name)\""
    }

    func evidence(_ note: String, file: String) -> Evidence {
        .packets(note, file: file, frames: frames, times: times, filter: displayFilter)
    }
}
