/// Recognises the same packet seen again on another interface of one capture, as `tcpdump -i any`
/// records a packet once per interface it crosses (pod veth, bridge, uplink).
///
/// Two frames are copies when they arrive within `window` of each other, on different interfaces
/// (pcapng interface or SLL2 ifindex; Linux SLL v1 does not say, so any two frames qualify), and
/// carry the same IP packet apart from what forwarding changes: addresses, protocol, IPv4
/// identification, total length and the first 40 bytes of the IP payload (the transport header)
/// must match; TTL/hop limit and the header checksum may differ. Copies rewritten by NAT differ in
/// their addresses and are not recognised. A retransmission is not a copy: it comes at least one
/// RTO later and, for IPv4, with a new identification.
struct DuplicateFilter {
    struct Seen {
        var fingerprint: UInt64
        var time: Int64
        var interface: UInt64
        var frame: Int
    }

    static let window: Int64 = 1_000_000
    static let ringSize = 64

    private var ring: [Seen] = []
    private var next = 0

    init() { ring.reserveCapacity(Self.ringSize) }

    /// The frame this one copies, or nil; remembers it either way.
    mutating func check(_ layer: IPLayer, bytes: UnsafeRawBufferPointer, interface: UInt64, knowsInterface: Bool,
                        frame: Int, time: Int64) -> Int? {
        let fp = Self.fingerprint(layer, bytes)
        var original: Int?
        for s in ring where s.fingerprint == fp && time - s.time <= Self.window && time >= s.time
            && (!knowsInterface || s.interface != interface) {
            original = s.frame
            break
        }
        if original == nil {
            let entry = Seen(fingerprint: fp, time: time, interface: interface, frame: frame)
            if ring.count < Self.ringSize { ring.append(entry) } else { ring[next] = entry }
            next = (next + 1) % Self.ringSize
        }
        return original
    }

    /// FNV-1a over the fields forwarding leaves alone.
    static func fingerprint(_ layer: IPLayer, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = FNV1a()
        let ip = layer.ip
        h.mix(word: ip.source.high); h.mix(word: ip.source.low); h.mix(word: ip.destination.high); h.mix(word: ip.destination.low)
        h.mix(word: UInt64(ip.protocolNumber) << 32 | UInt64(ip.totalLength))
        h.mix(word: UInt64(ip.fragment?.identification ?? 0) << 16 | UInt64(ip.fragment?.offset ?? 0))
        let start = layer.payloadOffset, end = Swift.min(bytes.count, start + Swift.min(40, layer.capturedPayloadLength))
        if start < end {
            for i in start..<end { h.mix(bytes[i]) }
        }
        return h.value
    }
}
