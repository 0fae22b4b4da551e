import Wire

/// Reads a capture stream with the right reader: libpcap for classic pcap, the pcapng walker
/// for pcapng (which libpcap refuses when interfaces differ in link type).
public enum CaptureOpener {
    public static func read<C: PacketConsumer>(_ file: BundleFile, into consumer: inout C) -> CaptureReadOutcome {
        switch file.sniffed {
        case .pcapng:
            var reader = PcapngReader(file.source)
            return reader.read(into: &consumer)
        case .pcap:
            do {
                let pcap = try PcapFile(file.source, header: Array(file.head.prefix(24)))
                return pcap.read(into: &consumer)
            } catch {
                return CaptureReadOutcome(format: "pcap", interfaces: [], frames: 0, error: error.description)
            }
        default:
            return CaptureReadOutcome(format: "unknown", interfaces: [], frames: 0,
                                      error: CaptureFormatError.notACapture("no pcap or pcapng magic number").description)
        }
    }
}
