/// What a packet gives the stateful flow trackers: a TCP segment, or a DNS message (over UDP, or taken out of
/// a TCP stream). Everything else a packet feeds (timeline, sizes, fragments, duplicates) is cheap.
enum FlowEvent {
    /// A segment, and its conversation key's hash (`TCPConversations.keyHasher`), computed by the reader.
    case tcp(TCPHeader, TCPConversations.SegmentIP, hash: UInt64, frame: Int, time: Int64)
    case dns(DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool, frame: Int, time: Int64)
}

/// Events in capture order, handed to a `FlowRunner` a batch at a time.
public struct FlowBatch: @unchecked Sendable {
    // Unchecked: the headers and messages inside are plain values (addresses, numbers, a name's String), and
    // a batch is only ever held by one thread at a time (the runner hands it over under a lock).
    var events: [FlowEvent] = []

    public init() {}

    public var isEmpty: Bool { events.isEmpty }
    public var count: Int { events.count }

    /// Empties the batch and keeps its storage, for the next events.
    public mutating func removeAll() { events.removeAll(keepingCapacity: true) }
}

/// The stateful trackers a packet's flow goes through, in capture order: TCP conversations (Wireshark's sequence
/// analysis, handshakes, flushing) and DNS lookups. They cost most of the time of a capture of small packets and
/// depend on nothing but the events, so a `FlowRunner` can run them on a second core while the first one reads
/// and decodes (as Suricata's "autofp" mode hands decoded packets to flow workers).
public struct FlowStage: @unchecked Sendable {
    // Unchecked: owned by one thread at a time (see `FlowRunner`).
    var tcp = TCPConversations()
    var dns = DNSLookups()
    /// Wireshark's TCP analysis flags, counted (`CaptureCounters.count`): added to the capture's counters at the end.
    var flagCounters = CaptureCounters()

    public init(tcpSettings: TCPAnalysisSettings = .init()) {
        tcp.settings = tcpSettings
    }

    /// How many events ahead the lookups are prefetched: enough for a memory access to land meanwhile.
    static let prefetchDistance = 8

    /// Runs every event of `batch`, in order. Each event first starts loading what a later one will look up
    /// (`prefetchDistance` ahead), so that the cache misses of a flood of new flows overlap rather than queue.
    public mutating func run(_ batch: FlowBatch) {
        let events = batch.events
        for i in events.indices {
            if i + Self.prefetchDistance < events.count, case let .tcp(_, _, hash, _, _) = events[i + Self.prefetchDistance] {
                tcp.prefetch(hash: hash)
            }
            switch events[i] {
            case let .tcp(header, ip, hash, frame, time):
                flagCounters.count(tcp.add(header, ip: ip, frame: frame, time: time, hash: hash))
            case let .dns(message, source, destination, overTCP, frame, time):
                dns.add(message, source: source, destination: destination, tcp: overTCP, frame: frame, time: time)
            }
        }
    }
}

/// Runs a capture's `FlowStage` over the batches its reader hands over, in the order submitted: on the reading
/// thread (`InlineFlowRunner`) or on another one (`Input.ThreadedFlowRunner`). The results do not depend on which:
/// the stage sees the same events in the same order.
public protocol FlowRunner: AnyObject {
    /// Runs `batch` now or later, after every batch submitted before it; returns an empty batch to fill next.
    func submit(_ batch: consuming FlowBatch) -> FlowBatch
    /// Runs `last`, waits for every batch, and hands over the stage (keeping no reference to it: a copy kept
    /// would share its arrays). Nothing is submitted after.
    func finish(last: consuming FlowBatch) -> FlowStage
}

/// Runs each batch at once, on the caller's thread.
public final class InlineFlowRunner: FlowRunner {
    private var stage: FlowStage?

    public init(_ stage: FlowStage) { self.stage = stage }

    public func submit(_ batch: consuming FlowBatch) -> FlowBatch {
        stage!.run(batch)
        batch.removeAll()
        return batch
    }

    /// Hands the stage over rather than a copy: a copy would share its arrays, and the caller's first change
    /// to each (retiring every live conversation) would copy it whole.
    public func finish(last: consuming FlowBatch) -> FlowStage {
        stage!.run(last)
        return stage.take()!
    }
}
