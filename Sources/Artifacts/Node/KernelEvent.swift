/// A kernel log message that matters for network incidents, recognised by the kernel's own format
/// strings (domain reference §6.2). Anything else is not an event.
public enum KernelEvent: Sendable, Equatable {
    /// `nf_conntrack: table full, dropping packet` (also `ip_conntrack:` on old kernels, and
    /// `table full in netns N, dropping packet` on recent ones).
    case conntrackTableFull
    /// `Possible SYN flooding on port P. Sending cookies|Dropping request.`
    case synFlood(port: String, droppingRequests: Bool)
    /// `neighbour: arp_cache: neighbor table overflow!`
    case neighbourTableOverflow(table: String?)
    /// `NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out`
    case transmitTimeout(device: String?, driver: String?, queue: Int?)
    /// A link or bridge port going down or up.
    case link(device: String, up: Bool, bridgePort: Bool)
    /// `martian source D from S, on dev X`
    case martian(destination: String, source: String, device: String)
    /// `TCP: out of memory -- consider tuning tcp_mem` / `too many orphaned sockets`
    case tcpMemory(String)
    /// `INFO: task NAME:PID blocked for more than N seconds.`
    case hungTask(task: String, seconds: Int)
    /// `BUG: soft lockup - CPU#3 stuck for 22s! [task:pid]`
    case softLockup(cpu: Int, seconds: Int, task: String)
    /// `Killed process PID (NAME)`, by the global or a memory-cgroup OOM killer.
    case oomKill(pid: Int, process: String, memoryCgroup: Bool)
    /// `net_ratelimit: N callbacks suppressed`: N more messages were not printed. `by` is the
    /// rate limiter's name before the colon (`net_ratelimit`, `nf_conntrack`, a driver's function…).
    case suppressed(count: Int, by: String)

    /// The event's case without its values, for filtering.
    public enum Kind: Sendable {
        case conntrackTableFull, synFlood, neighbourTableOverflow, transmitTimeout, link, martian, tcpMemory
        case hungTask, softLockup, oomKill, suppressed
    }

    public var kind: Kind {
        switch self {
        case .conntrackTableFull: .conntrackTableFull
        case .synFlood: .synFlood
        case .neighbourTableOverflow: .neighbourTableOverflow
        case .transmitTimeout: .transmitTimeout
        case .link: .link
        case .martian: .martian
        case .tcpMemory: .tcpMemory
        case .hungTask: .hungTask
        case .softLockup: .softLockup
        case .oomKill: .oomKill
        case .suppressed: .suppressed
        }
    }

    /// Keywords one of which every message `match` recognises contains, ASCII case folded
    /// (`ByteNeedles`): lines with none of them are not looked at further.
    public static let needles = [
        "table full", "syn flooding", "table overflow", "netdev watchdog", "martian source", "tcp: out of memory",
        "orphaned sockets", "blocked for more than", "soft lockup", "killed process ", "kill process ", "link is ", "link becomes ready",
        " entered ", "callbacks suppressed",
    ]

    /// Recognises one normalised message; nil when it is none of the above.
    public static func match(_ message: Substring) -> KernelEvent? {
        // "table full" alone too: syslog sometimes wraps the line after the comma.
        if message.has("conntrack: table full") { return .conntrackTableFull }
        if let r = message.byteRange(of: "ossible SYN flooding on port ") {
            var port = message[r.upperBound...].prefix { $0 != " " }
            if port.hasSuffix(".") { port = port.dropLast() }
            return .synFlood(port: String(port), droppingRequests: message.has("Dropping request"))
        }
        if message.has("neighbor table overflow") || message.has("eighbour table overflow") {
            let words = message.split(separator: ":").map { $0.trimmed }
            let table = words.first { $0.hasSuffix("_cache") || $0.hasSuffix("_tbl") }
            return .neighbourTableOverflow(table: table.map(String.init))
        }
        if let r = message.byteRange(of: "NETDEV WATCHDOG: ") {
            // ≥ 6.7 prints the device before the marker: "virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 1: …"
            let before = message[..<r.lowerBound].fields.last.map { $0.hasSuffix(":") ? $0.dropLast() : $0 }
            return transmitTimeout(message[r.upperBound...], deviceBefore: before)
        }
        if let r = message.byteRange(of: "martian source ") {
            let f = message[r.upperBound...].fields
            if f.count >= 6, f[1] == "from" {
                return .martian(destination: String(f[0]), source: String(f[2].trimmingComma), device: String(f[5]))
            }
        }
        if message.hasPrefix("TCP: out of memory") || message.hasPrefix("TCP: too many orphaned sockets")
            || message.hasPrefix("too many orphaned sockets") {
            return .tcpMemory(String(message))
        }
        if let rest = message.after("INFO: task "), let r = rest.byteRange(of: " blocked for more than ") {
            let task = rest[..<r.lowerBound]
            return .hungTask(task: String(task), seconds: Int(rest[r.upperBound...].prefix { $0.isNumber }) ?? 0)
        }
        if let rest = message.after("soft lockup - CPU#") {
            let cpu = Int(rest.prefix { $0.isNumber }) ?? -1
            let seconds = rest.after("stuck for ").flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
            let task = rest.after("[").map { $0.prefix { $0 != "]" } } ?? ""
            return .softLockup(cpu: cpu, seconds: seconds, task: String(task))
        }
        if let r = message.byteRange(of: "Killed process ") ?? message.byteRange(of: "Kill process ") {
            let rest = message[r.upperBound...]
            guard let pid = Int(rest.prefix { $0.isNumber }), let open = rest.firstIndex(of: "(") else { return nil }
            let name = rest[rest.index(after: open)...].prefix { $0 != ")" }
            return .oomKill(pid: pid, process: String(name), memoryCgroup: message.has("Memory cgroup"))
        }
        if let link = linkChange(message) { return link }
        if message.hasSuffix("callbacks suppressed"), let colon = message.firstIndex(of: ":") {
            let n = message[message.index(after: colon)...].trimmed.prefix { $0.isNumber }
            if let n = Int(n) { return .suppressed(count: n, by: String(message[..<colon].trimmed)) }
        }
        return nil
    }

    static func transmitTimeout(_ rest: Substring, deviceBefore: Substring?) -> KernelEvent? {
        guard rest.has("timed out") else { return nil }
        var device = deviceBefore.map(String.init), driver: String?
        let f = rest.fields
        if f.count >= 2, f[1].hasPrefix("("), f[1].hasSuffix("):") {
            device = String(f[0])
            driver = String(f[1].dropFirst().dropLast(2))
        }
        let queue = Tokens.value(after: "queue", in: f).flatMap { Int($0) }
        return .transmitTimeout(device: device, driver: driver, queue: queue)
    }

    static func linkChange(_ m: Substring) -> KernelEvent? {
        // Bridge ports: "cni0: port 2(veth1a2b) entered disabled state"
        if let r = m.byteRange(of: " entered "), m.hasSuffix(" state"), let open = m.firstIndex(of: "("),
           let close = m.firstIndex(of: ")"), open < close, close < r.lowerBound {
            let state = m[r.upperBound...].prefix { $0 != " " }
            guard state == "disabled" || state == "forwarding" else { return nil }
            return .link(device: String(m[m.index(after: open)..<close]), up: state == "forwarding", bridgePort: true)
        }
        let up: Bool
        if m.hasSuffix("Link is Down") || m.has("NIC Link is Down") { up = false }
        else if m.has("NIC Link is Up") || m.has(": Link is Up") || m.hasSuffix("link becomes ready") { up = true }
        else { return nil }
        // The device is the word before "NIC Link"/"Link is"/"link becomes", or after ADDRCONF(…):
        let words = m.fields
        guard let idx = words.firstIndex(where: { $0 == "NIC" || $0 == "Link" || $0 == "link" }), idx > 0 else { return nil }
        var device = words[idx - 1]
        if device.hasSuffix(":") { device = device.dropLast() }
        return .link(device: String(device), up: up, bridgePort: false)
    }
}

extension Substring {
    var trimmingComma: Substring { hasSuffix(",") ? dropLast() : self }
}
