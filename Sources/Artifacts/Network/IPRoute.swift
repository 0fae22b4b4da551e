/// A route from `ip route show table all` (IPv4 or IPv6): where it goes, through which device, and
/// the MTU it pins (`mtu 1450` / `mtu lock 1450`), which is how Cilium lowers pod MTUs.
public struct Route: Sendable, Equatable {
    public var destination: String
    public var device: String?
    public var mtu: Int?
    public var table: String?
    public var line: SourceLine

    public var isDefault: Bool { destination == "default" || destination == "0.0.0.0/0" || destination == "::/0" }
}

/// Parses `ip route` / `ip -6 route` output.
public struct RouteTable: Sendable, LineParser {
    public private(set) var routes: [Route] = []

    static let types: Set<Substring> = ["unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast"]

    public init() {}

    public mutating func feed(_ raw: Substring, number: Int) {
        var f = raw.fields
        guard let first = f.first, first.first != "#" else { return }
        if Self.types.contains(first) { f.removeFirst() }
        guard let destination = f.first, destination == "default" || destination.contains("/") || destination.contains(".")
                || destination.contains(":") else { return }
        var mtu = Tokens.value(after: "mtu", in: f)
        if mtu == "lock" { mtu = Tokens.value(after: "lock", in: f) }
        routes.append(Route(
            destination: String(destination), device: Tokens.value(after: "dev", in: f).map(String.init),
            mtu: mtu.flatMap { Int($0) }.flatMap { (0...(1 << 24)).contains($0) ? $0 : nil }, table: Tokens.value(after: "table", in: f).map(String.init),
            line: SourceLine(number: number, text: String(raw))))
    }

    /// The device of the main table's default route (the underlay, when nothing else says).
    public var defaultDevice: String? {
        routes.first { $0.isDefault && ($0.table == nil || $0.table == "main") }?.device
    }
}
