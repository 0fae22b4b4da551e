/// The packet a tunnel carries, by its addresses, protocol and ports (nil when not captured): the pods'
/// flow inside a VXLAN, Geneve, GRE or IP-in-IP packet.
public struct InnerFlow: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16? = nil, destinationPort: UInt16? = nil) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// The inner packet of a tunnel packet whose IP payload (`bytes`, from the start of the outer transport
    /// header) is given with its outer header; nil when it is no tunnel or the inner IP header is cut off.
    public static func of(_ bytes: UnsafeRawBufferPointer, outer: IPHeader) -> InnerFlow? {
        var header = outer
        header.fragment = nil
        var scratch = DecodedPacket(linkType: .raw)
        _ = PacketDecoder.decodeTransport(bytes, header: header, into: &scratch, depth: 0)
        return scratch.inner.map(InnerFlow.init)
    }

    /// The flow of a decoded IP layer.
    public init(_ layer: IPLayer) {
        self.init(source: layer.ip.source, destination: layer.ip.destination, protocolNumber: layer.ip.protocolNumber)
        switch layer.transport {
        case .tcp(let t): (sourcePort, destinationPort) = (t.sourcePort, t.destinationPort)
        case .udp(let u): (sourcePort, destinationPort) = (u.sourcePort, u.destinationPort)
        default: break
        }
    }

    /// `10.244.1.5:40000 → 10.244.2.7:8080 (TCP)`.
    public var description: String {
        func end(_ a: IPAddress, _ p: UInt16?) -> String { p.map { Endpoint(a, $0).description } ?? "\(a)" }
        return "\(end(source, sourcePort)) → \(end(destination, destinationPort)) (\(IPProtocol.name(protocolNumber)))"
    }

    public static func < (a: InnerFlow, b: InnerFlow) -> Bool {
        (a.source, a.destination, a.protocolNumber, a.sourcePort ?? 0, a.destinationPort ?? 0)
            < (b.source, b.destination, b.protocolNumber, b.sourcePort ?? 0, b.destinationPort ?? 0)
    }
}
