import Wire

/// Connection attempts of one state grouped by server, as SYN checks report them: positions in the
/// capture's own list, not copies (a flood keeps 100,000 attempts of 144 bytes).
struct AttemptGroup {
    var capture: CaptureFacts
    var server: Endpoint
    var positions: [Int]

    /// The group's attempts, in the capture's (stream) order.
    struct Attempts: RandomAccessCollection {
        let all: [ConnectionAttempt]
        let positions: [Int]
        var startIndex: Int { 0 }
        var endIndex: Int { positions.count }
        subscript(i: Int) -> ConnectionAttempt { all[positions[i]] }
    }

    var attempts: Attempts { Attempts(all: capture.summary.notableAttempts, positions: positions) }

    static func grouped(_ facts: Facts, state: ConnectionAttempt.State) -> [AttemptGroup] {
        grouped(facts) { $0.state == state }
    }

    /// The attempts `include` selects, per capture and server, largest groups first. Attempts are read in place,
    /// and a run of attempts to one server (a flood's 100,000) is grouped without hashing each.
    static func grouped(_ facts: Facts, where include: (borrowing ConnectionAttempt) -> Bool) -> [AttemptGroup] {
        var groups: [AttemptGroup] = []
        for capture in facts.captures {
            let all = capture.summary.notableAttempts
            var found: [AttemptGroup] = []
            var groupOf: [Endpoint: Int] = [:]
            var previous: (server: Endpoint, group: Int)?
            for i in all.indices where include(all[i]) {
                let server = all[i].server
                let group: Int
                if let previous, previous.server == server {
                    group = previous.group
                } else if let known = groupOf[server] {
                    group = known
                } else {
                    group = found.count
                    groupOf[server] = group
                    found.append(AttemptGroup(capture: capture, server: server, positions: []))
                }
                found[group].positions.append(i)
                previous = (server, group)
            }
            groups += found
        }
        return groups.sorted { $0.positions.count > $1.positions.count }
    }

    /// How many client addresses the group's attempts come from (each attempt read in place, not copied; a run of
    /// attempts from one client, as a flood's, is not hashed again).
    var clients: Int {
        let all = capture.summary.notableAttempts
        var seen = Set<IPAddress>(minimumCapacity: Swift.min(positions.count, 1024))
        var previous: IPAddress?
        for p in positions {
            let address = all[p].client.address
            if address == previous { continue }
            seen.insert(address)
            previous = address
        }
        return seen.count
    }

    /// The SYN gaps of an attempt: `SYN at +0 s, +1.0 s, +3.0 s`.
    static func timing(_ a: ConnectionAttempt) -> String {
        guard let first = a.synTimes.first else { return "" }
        return a.synTimes.map { "+" + Timestamp.seconds($0 - first) }.joined(separator: ", ")
    }

    var synFilter: String {
        let dst = DisplayFilter.ip("dst", server.address)
        return "tcp.flags.syn==1 && tcp.flags.ack==0 && \(dst) && tcp.dstport==\(server.port)"
    }
}
