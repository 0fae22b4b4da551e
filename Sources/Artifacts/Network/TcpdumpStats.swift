/// The statistics tcpdump prints on stderr when it stops:
/// `N packets captured`, `N packets received by filter`, `N packets dropped by kernel`
/// and, from libpcap ≥ 1.10 on some devices, `N packets dropped by interface`.
public struct TcpdumpStats: Sendable, Equatable, LineParser {
    public private(set) var captured: Int?
    public private(set) var receivedByFilter: Int?
    public private(set) var droppedByKernel: Int?
    public private(set) var droppedByInterface: Int?
    /// The lines the numbers come from.
    public private(set) var lines: [SourceLine] = []

    public init() {}

    public var dropped: Int { (droppedByKernel ?? 0) + (droppedByInterface ?? 0) }

    public mutating func feed(_ raw: Substring, number: Int) {
        let f = raw.fields
        // Counts beyond 2^48 are not a real capture's; refusing them keeps the sums below from overflowing.
        guard f.count >= 3, let n = Int(f[0]), n <= 1 << 48, f[1] == "packets" || f[1] == "packet" else { return }
        let rest = f.dropFirst(2).joined(separator: " ")
        switch rest {
        case "captured": captured = n
        case "received by filter": receivedByFilter = n
        case "dropped by kernel": droppedByKernel = n
        case "dropped by interface": droppedByInterface = n
        default: return
        }
        if lines.count < 16 { lines.append(SourceLine(number: number, text: String(raw))) }
    }
}
