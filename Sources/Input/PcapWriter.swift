import CPcap
import Wire

/// Writes packets to a classic pcap file (nanosecond timestamps) with libpcap's dump API
/// (`pcap_open_dead_with_tstamp_precision`, `pcap_dump_open`, `pcap_dump`). The handles are owned
/// here and closed in `deinit` or by `close()`.
public final class PcapWriter {
    public enum WriteError: Error, CustomStringConvertible {
        case unsupportedLinkType(UInt16)
        case cannotOpen(String, String)
        public var description: String {
            switch self {
            case .unsupportedLinkType(let v): "link type \(v) cannot be written to pcap by netautopsy"
            case .cannotOpen(let path, let why): "cannot write \(path): \(why)"
            }
        }
    }

    private var pcap: OpaquePointer?
    private var dumper: OpaquePointer?
    public let linkType: UInt16
    public private(set) var written = 0

    /// Creates `path` for packets of LINKTYPE_ `linkType`.
    public init(path: String, linkType: UInt16) throws(WriteError) {
        guard let dlt = Self.dlt(forLinkType: linkType) else { throw .unsupportedLinkType(linkType) }
        self.linkType = linkType
        guard let p = pcap_open_dead_with_tstamp_precision(dlt, 262_144, UInt32(PCAP_TSTAMP_PRECISION_NANO)) else {
            throw .cannotOpen(path, "pcap_open_dead failed")
        }
        pcap = p
        guard let d = pcap_dump_open(p, path) else {
            let why = String(cString: pcap_geterr(p))
            pcap_close(p)
            pcap = nil
            throw .cannotOpen(path, why)
        }
        dumper = d
    }

    /// LINKTYPE_ values (file headers) to the DLT_ values libpcap's API takes; they differ for raw IP.
    static func dlt(forLinkType v: UInt16) -> Int32? {
        switch v {
        case 0, 1, 108, 113, 228, 229, 276: Int32(v)
        case 101: Int32(DLT_RAW)
        default: nil
        }
    }

    /// Appends one packet with its original timestamp and lengths.
    public func write(_ r: PacketRecord) {
        guard let dumper else { return }
        var header = pcap_pkthdr()
        let ns = r.timestamp ?? 0
        header.ts.tv_sec = Int(ns / 1_000_000_000)
        header.ts.tv_usec = Int(ns % 1_000_000_000)  // nanoseconds: the file was opened with nano precision
        header.caplen = UInt32(r.capturedLength)
        header.len = UInt32(r.originalLength)
        guard let base = r.bytes.baseAddress else { return }
        pcap_dump(UnsafeMutableRawPointer(dumper), &header, base.assumingMemoryBound(to: UInt8.self))
        written += 1
    }

    public func close() {
        if let dumper { pcap_dump_close(dumper) }
        if let pcap { pcap_close(pcap) }
        dumper = nil
        pcap = nil
    }

    deinit { close() }
}
