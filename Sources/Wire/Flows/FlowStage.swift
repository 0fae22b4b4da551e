/// A TCP segment for the flow stage, and its conversation key's hash (`TCPConversations.keyHasher`), computed by the
/// reader: plain values (128 bytes), so that the stage reads them in place, with no reference counting.
struct TCPEvent {
    var header: TCPHeader
    var ip: TCPConversations.SegmentIP
    var hash: UInt64
    var frame: Int
    var time: Int64
}

/// A DNS message for the flow stage (over UDP, or taken out of a TCP stream).
struct DNSEvent {
    var message: DNSMessage
    var source: Endpoint
    var destination: Endpoint
    var tcp: Bool
    var frame: Int
    var time: Int64
    /// Its keys' hashes in the DNS tracker's tables (`DNSLookups.keyHasher`), computed by the reader.
    var hashes: DNSLookups.Hashes
}

/// What packets give the stateful flow trackers, in capture order for each: TCP segments, and DNS messages. The two
/// trackers share nothing, so each sees its own events in order whatever the order between the two kinds.
/// Everything else a packet feeds (timeline, sizes, fragments, duplicates) is cheap.
public struct FlowBatch: @unchecked Sendable {
    // Unchecked: the headers and messages inside are plain values (addresses, numbers, a name's String), and
    // a batch is only ever held by one thread at a time (the runner hands it over under a lock).
    var tcp: [TCPEvent] = []
    var dns: [DNSEvent] = []

    public init() {}

    public var isEmpty: Bool { tcp.isEmpty && dns.isEmpty }
    public var count: Int { tcp.count + dns.count }

    /// Empties the batch and keeps its storage, for the next events.
    public mutating func removeAll() {
        tcp.removeAll(keepingCapacity: true)
        dns.removeAll(keepingCapacity: true)
    }
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

    /// Runs every event of `batch`, each kind in order. Each segment first starts loading what a later one will look up
    /// (`prefetchDistance` ahead), so that the cache misses of a flood of new flows overlap rather than queue.
    public mutating func run(_ batch: FlowBatch) {
        batch.tcp.withUnsafeBufferPointer { events in
            for i in events.indices {
                if i + Self.prefetchDistance < events.count { tcp.prefetch(hash: events[i + Self.prefetchDistance].hash) }
                let e = events[i]
                flagCounters.count(tcp.add(e.header, ip: e.ip, frame: e.frame, time: e.time, hash: e.hash))
            }
        }
        // Read in place: a copy of an event would retain its name.
        batch.dns.withUnsafeBufferPointer { events in
            for i in events.indices {
                if i + Self.prefetchDistance < events.count { dns.prefetch(events[i + Self.prefetchDistance].hashes) }
                dns.add(events[i])
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
