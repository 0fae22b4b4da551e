/// A pure-Swift pcapng reader (draft-ietf-opsawg-pcapng): SHB, IDB, EPB, SPB, the obsolete PB
/// and ISB, through every section (each SHB starts new interface ids and may change the byte order);
/// custom blocks count as frames, as Wireshark numbers them; other blocks are skipped by their length.
///
/// netautopsy reads pcapng itself instead of through libpcap because libpcap (≤ 1.10) refuses
/// files whose interfaces have different link types — `dumpcap -i eth0 -i any`, mergecap output,
/// a NIC plus a WireGuard device — and does not expose interface ids or ISB drop counters, which
/// the analysis needs. Interface ids are per section; `if_tsresol` and `if_tsoffset` are honoured.
public struct PcapngReader {
    /// Blocks larger than this are rejected as corrupt (libpcap uses the same 16 MiB bound).
    public static let maximumBlockLength = 16 * 1024 * 1024

    struct Interface {
        var linkType: UInt16
        var snapLength: UInt32
        var name: String?
        /// Units per second of timestamps, as (power of ten) or (power of two).
        var resolution: (base: UInt64, exponent: UInt8) = (10, 6)
        var offsetSeconds: Int64 = 0
    }

    private let input: BufferedSource
    private var bigEndian = false
    private var sectionInterfaces: [Interface] = []
    private var allInterfaces: [CaptureInterface] = []
    private var sectionBase = 0
    private var frames = 0
    private var nonPacketFrames = 0

    public init(_ input: BufferedSource) {
        self.input = input
    }

    /// Reads every frame into `consumer`; a corrupt or cut-short file ends with `error` set.
    public mutating func read<C: PacketConsumer>(into consumer: inout C) -> CaptureReadOutcome {
        var failure: String?
        do {
            while try readBlock(&consumer) {}
        } catch let e as CaptureFormatError {
            failure = e.description
        } catch {
            failure = "read failed: \(error)"
        }
        return CaptureReadOutcome(format: "pcapng", interfaces: allInterfaces, frames: frames, error: failure, nonPacketFrames: nonPacketFrames)
    }

    private func u32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        let v = b.loadUnaligned(fromByteOffset: i, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    private func u16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
        let v = b.loadUnaligned(fromByteOffset: i, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    /// Reads one block; returns false at a clean end of file.
    private mutating func readBlock<C: PacketConsumer>(_ consumer: inout C) throws -> Bool {
        let available = try input.fill(12)
        if available == 0 { return false }
        guard available >= 12 else { throw CaptureFormatError.cutShort("\(available)-byte fragment of a block header at the end") }
        func word(_ i: Int) -> UInt32 {
            UInt32(input.byte(i)) << 24 | UInt32(input.byte(i + 1)) << 16 | UInt32(input.byte(i + 2)) << 8 | UInt32(input.byte(i + 3))
        }
        let type = word(0)
        if type == 0x0A0D0D0A {
            // Section header: the byte-order magic decides how everything after it is read.
            switch word(8) {
            case 0x1A2B3C4D: bigEndian = true
            case 0x4D3C2B1A: bigEndian = false
            default: throw CaptureFormatError.corrupt("section header with a bad byte-order magic")
            }
        } else if frames == 0 && allInterfaces.isEmpty && sectionInterfaces.isEmpty && input.position == 0 {
            throw CaptureFormatError.corrupt("not a pcapng file (no section header)")
        }
        let length = Int(bigEndian ? word(4) : word(4).byteSwapped)
        guard length >= 12, length % 4 == 0, length <= Self.maximumBlockLength else {
            throw CaptureFormatError.corrupt("block of type 0x\(String(type, radix: 16)) has an invalid total length \(length)")
        }
        let blockType = bigEndian ? type : type.byteSwapped
        let done = try input.withBytes(length) { block -> Bool in
            guard u32(block, length - 4) == UInt32(length) else {
                throw CaptureFormatError.corrupt("block trailer length does not match its header")
            }
            let body = UnsafeRawBufferPointer(rebasing: block[8..<length - 4])
            try handle(blockType: blockType, body: body, &consumer)
            return true
        }
        guard done != nil else { throw CaptureFormatError.cutShort("last block (\(length) bytes) incomplete") }
        return true
    }

    private mutating func handle<C: PacketConsumer>(blockType: UInt32, body: UnsafeRawBufferPointer, _ consumer: inout C) throws {
        switch blockType {
        case 0x0A0D0D0A:
            guard body.count >= 8 else { throw CaptureFormatError.corrupt("section header too short") }
            let major = u16(body, 4)
            guard major == 1 else { throw CaptureFormatError.unsupported("pcapng major version \(major)") }
            sectionInterfaces = []
            sectionBase = allInterfaces.count
        case 1:
            try interfaceDescription(body)
        case 6:
            guard body.count >= 20 else { throw CaptureFormatError.corrupt("enhanced packet block too short") }
            let id = Int(u32(body, 0))
            let ts = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
            let caplen = Int(u32(body, 12)), origlen = Int(u32(body, 16))
            try emit(interface: id, rawTimestamp: ts, caplen: caplen, origlen: origlen, data: body, at: 20, &consumer)
        case 2:
            guard body.count >= 20 else { throw CaptureFormatError.corrupt("packet block too short") }
            let id = Int(u16(body, 0))
            let ts = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
            try emit(interface: id, rawTimestamp: ts, caplen: Int(u32(body, 12)), origlen: Int(u32(body, 16)),
                     data: body, at: 20, &consumer)
        case 3:
            guard body.count >= 4 else { throw CaptureFormatError.corrupt("simple packet block too short") }
            guard let iface = sectionInterfaces.first else {
                throw CaptureFormatError.corrupt("simple packet block before any interface description")
            }
            let origlen = Int(u32(body, 0))
            let caplen = Swift.min(origlen, body.count - 4, iface.snapLength == 0 ? Int.max : Int(iface.snapLength))
            try emit(interface: 0, rawTimestamp: nil, caplen: caplen, origlen: origlen, data: body, at: 4, &consumer)
        case 5:
            statistics(body)
        case 0x0000_0BAD, 0x4000_0BAD:
            // Custom blocks carry no packet, but Wireshark lists each as a frame of its own: counted, so
            // that the frame numbers of the packets after it are Wireshark's.
            frames += 1
            nonPacketFrames += 1
        default:
            break  // NRB, DSB and unknown blocks carry nothing the analysis needs (skipped by their length)
        }
    }

    private mutating func interfaceDescription(_ body: UnsafeRawBufferPointer) throws {
        guard body.count >= 8 else { throw CaptureFormatError.corrupt("interface description block too short") }
        var iface = Interface(linkType: u16(body, 0), snapLength: u32(body, 4))
        forEachOption(body, from: 8) { code, value in
            switch code {
            case 2: iface.name = String(decoding: value, as: UTF8.self)
            case 9 where value.count >= 1:
                let v = value[0]
                iface.resolution = v & 0x80 != 0 ? (2, v & 0x7f) : (10, v)
            case 14 where value.count >= 8:
                let raw = value.loadUnaligned(as: UInt64.self)
                iface.offsetSeconds = Int64(bitPattern: bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
            default: break
            }
        }
        if iface.resolution.base == 10 && iface.resolution.exponent > 19 {
            throw CaptureFormatError.unsupported("interface timestamp resolution 10^-\(iface.resolution.exponent)")
        }
        sectionInterfaces.append(iface)
        allInterfaces.append(CaptureInterface(linkTypeValue: iface.linkType, snapLength: iface.snapLength, name: iface.name))
    }

    private mutating func statistics(_ body: UnsafeRawBufferPointer) {
        guard body.count >= 12 else { return }
        let id = Int(u32(body, 0))
        guard id < sectionInterfaces.count else { return }
        var dropped: UInt64?
        forEachOption(body, from: 12) { code, value in
            // isb_ifdrop (5) and isb_osdrop (7): packets lost by the interface and by the OS.
            guard (code == 5 || code == 7), value.count >= 8 else { return }
            let hi = UInt64(u32(value, 0)), lo = UInt64(u32(value, 4))
            dropped = (dropped ?? 0) &+ (bigEndian ? hi << 32 | lo : lo << 32 | hi)
        }
        if let dropped { allInterfaces[sectionBase + id].droppedPackets = dropped }
    }

    private func forEachOption(_ body: UnsafeRawBufferPointer, from start: Int, _ visit: (UInt16, UnsafeRawBufferPointer) -> Void) {
        var i = start
        while i + 4 <= body.count {
            let code = u16(body, i), len = Int(u16(body, i + 2))
            if code == 0 { return }
            guard i + 4 + len <= body.count else { return }
            visit(code, UnsafeRawBufferPointer(rebasing: body[(i + 4)..<(i + 4 + len)]))
            i += 4 + (len + 3) / 4 * 4
        }
    }

    private mutating func emit<C: PacketConsumer>(
        interface id: Int, rawTimestamp: UInt64?, caplen: Int, origlen: Int,
        data body: UnsafeRawBufferPointer, at offset: Int, _ consumer: inout C
    ) throws {
        guard id < sectionInterfaces.count else {
            throw CaptureFormatError.corrupt("a packet arrived on interface \(id), but there is no interface description for it")
        }
        guard caplen >= 0, offset + caplen <= body.count else {
            throw CaptureFormatError.corrupt("packet of captured length \(caplen) does not fit its block")
        }
        let iface = sectionInterfaces[id]
        frames += 1
        let record = PacketRecord(
            frameNumber: frames, timestamp: rawTimestamp.map { nanoseconds($0, iface) },
            capturedLength: caplen, originalLength: Swift.max(origlen, caplen), linkTypeValue: iface.linkType,
            interfaceID: UInt32(sectionBase + id), bytes: UnsafeRawBufferPointer(rebasing: body[offset..<offset + caplen]))
        consumer.consume(record)
    }

    private func nanoseconds(_ raw: UInt64, _ iface: Interface) -> Int64 {
        let (base, exponent) = iface.resolution
        var ns: UInt64
        if base == 10 {
            if exponent <= 9 {
                var scale: UInt64 = 1
                for _ in 0..<(9 - Int(exponent)) { scale *= 10 }
                ns = raw &* scale
            } else {
                var scale: UInt64 = 1
                for _ in 0..<(Int(exponent) - 9) { scale *= 10 }
                ns = raw / scale
            }
        } else {
            let shift = UInt64(Swift.min(exponent, 63))
            let seconds = raw >> shift
            let fraction = raw & ((1 << shift) - 1)
            let (hi, lo) = fraction.multipliedFullWidth(by: 1_000_000_000)
            let scaled = shift == 0 ? lo : (hi << (64 - shift)) | (lo >> shift)
            ns = seconds &* 1_000_000_000 &+ scaled
        }
        return Int64(bitPattern: ns) &+ iface.offsetSeconds &* 1_000_000_000
    }
}

/// Why a capture file could not be read (to the end).
public enum CaptureFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    case cutShort(String)
    case corrupt(String)
    case unsupported(String)
    case notACapture(String)

    public var description: String {
        switch self {
        case .cutShort(let s): "capture file cut short: \(s)"
        case .corrupt(let s): "capture file corrupt: \(s)"
        case .unsupported(let s): "unsupported capture format: \(s)"
        case .notACapture(let s): "not a capture file: \(s)"
        }
    }
}
