import CPcap
import CStreamShim
import Wire

/// A classic pcap savefile read by libpcap from any byte stream (file or archive entry).
///
/// The stream reaches libpcap as a `FILE*` made with `fopencookie`; the `pcap_t` is owned here
/// and closed in `deinit` (`pcap_close`, which also releases the stream).
public final class PcapFile {
    private let handle: OpaquePointer
    /// The stream's buffer, freed after `pcap_close` has closed the stream.
    private let streamBuffer: UnsafeMutableRawBufferPointer
    /// As large as `BufferedSource`'s buffer, so that a read fills it straight from the source (one copy less).
    static let streamBufferSize = 1 << 18
    private let linkType: UInt16
    private let snapLength: UInt32
    private let format: String

    /// Opens the capture; `header` are its first 24 bytes (already peeked by the caller).
    public init(_ input: BufferedSource, header: [UInt8]) throws(CaptureFormatError) {
        guard header.count >= 24 else { throw .cutShort("file header is \(header.count) of 24 bytes") }
        let magic = UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3])
        let swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 || magic == 0x34cdb2a1
        func u32(_ i: Int) -> UInt32 {
            let be = UInt32(header[i]) << 24 | UInt32(header[i + 1]) << 16 | UInt32(header[i + 2]) << 8 | UInt32(header[i + 3])
            return swapped ? be.byteSwapped : be
        }
        linkType = UInt16(truncatingIfNeeded: u32(20) & 0xffff)
        snapLength = u32(16)
        format = (magic == 0xa1b23c4d || magic == 0x4d3cb2a1) ? "pcap (ns)" : "pcap"

        let cookie = Unmanaged.passRetained(input).toOpaque()
        let streamBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.streamBufferSize, alignment: 64)
        guard let file = netautopsy_open_cookie_reader(cookie, { cookie, buffer, count in
            guard let cookie, let buffer else { return -1 }
            let source = Unmanaged<BufferedSource>.fromOpaque(cookie).takeUnretainedValue()
            return (try? source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: count))) ?? -1
        }, { cookie in
            if let cookie { Unmanaged<BufferedSource>.fromOpaque(cookie).release() }
            return 0
        }, streamBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), streamBuffer.count) else {
            Unmanaged<BufferedSource>.fromOpaque(cookie).release()
            streamBuffer.deallocate()
            throw .corrupt("cannot create a stream for libpcap")
        }
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            fclose(file)
            streamBuffer.deallocate()
            throw Self.classify(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        handle = pcap
        self.streamBuffer = streamBuffer
    }

    deinit {
        pcap_close(handle)
        streamBuffer.deallocate()
    }

    /// Reads every record into `consumer` (`pcap_next_ex`); errors end the read with `error` set.
    public func read<C: PacketConsumer>(into consumer: inout C) -> CaptureReadOutcome {
        var frames = 0
        var failure: String?
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        loop: while true {
            switch pcap_next_ex(handle, &header, &data) {
            case 1:
                guard let h = header?.pointee, let data else { continue }
                frames += 1
                // Precision is nanoseconds: tv_usec holds ns.
                let ts = Int64(h.ts.tv_sec) * 1_000_000_000 + Int64(h.ts.tv_usec)
                consumer.consume(PacketRecord(
                    frameNumber: frames, timestamp: ts, capturedLength: Int(h.caplen), originalLength: Int(h.len),
                    linkTypeValue: linkType, interfaceID: 0,
                    bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen))))
            case PCAP_ERROR_BREAK:
                break loop
            default:
                failure = Self.classify(String(cString: pcap_geterr(handle))).description
                break loop
            }
        }
        return CaptureReadOutcome(
            format: format, interfaces: [CaptureInterface(linkTypeValue: linkType, snapLength: snapLength)],
            frames: frames, error: failure)
    }

    /// Maps libpcap's error text onto a category, keeping its words.
    static func classify(_ message: String) -> CaptureFormatError {
        if message.contains("truncated") { return .cutShort(message) }
        if message.contains("archaic") || message.contains("unsupported") || message.contains("unknown") {
            return .unsupported(message)
        }
        return .corrupt(message)
    }
}
