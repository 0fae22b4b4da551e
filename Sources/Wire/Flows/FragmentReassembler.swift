/// Reassembles IPv4 and IPv6 fragments (RFC 791, RFC 8200 §4.5) with bounded memory.
///
/// Key: (version, source, destination, protocol for IPv4, identification). A datagram is complete
/// when its bytes are covered from 0 to the end given by the last fragment (MF clear), by the
/// fragments' IP lengths: a fragment cut by the snap length still covers its bytes. A datagram
/// completed from cut fragments counts as reassembled but is not returned for dissection (its
/// content is partly unknown; tshark does not dissect it either). Pending
/// datagrams expire after `timeout` of capture time (Linux `ipfrag_time`: 30 s; IPv6 60 s), or
/// when the caps on pending datagrams or bytes are reached (oldest first); both are counted.
public struct FragmentReassembler {
    public struct Limits: Sendable {
        public var maxPendingDatagrams = 16_384
        public var maxPendingBytes = 64 * 1024 * 1024
        public var ipv4Timeout: Int64 = 30_000_000_000
        public var ipv6Timeout: Int64 = 60_000_000_000
        public init() {}
    }

    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var protocolNumber: UInt8
        var version: UInt8
    }

    struct Pending {
        var header: IPHeader
        var firstSeen: Int64
        var lastSeen: Int64
        var payload: [UInt8] = []
        /// Covered byte ranges, sorted and merged.
        var covered: [Range<Int>] = []
        var end: Int?
        var fragments: [FragmentObservation] = []
        var fragmentCount = 0
        var overlap = false
        var inconsistent = false
        var haveFirst = false
        /// Some fragment was cut by the snap length.
        var truncated = false
        var sourcePort: UInt16?
        var destinationPort: UInt16?
    }

    public private(set) var limits: Limits
    private var pending: [Key: Pending] = [:]
    private var pendingBytes = 0
    private var lastSweep: Int64 = 0
    /// Datagrams that finished (complete or not) since the last `drainFinished()`.
    private var finished: [FragmentedDatagram] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds one fragment; when it completes the datagram, returns the upper-layer payload and the
    /// first fragment's header describing the whole datagram (total length of all of it, no fragment info).
    public mutating func add(
        header: IPHeader, payload: UnsafeRawBufferPointer, frame: Int, time: Int64, firstPorts: (UInt16, UInt16)?
    ) -> (payload: [UInt8], header: IPHeader)? {
        guard let info = header.fragment else { return nil }
        sweep(now: time)
        let key = Key(source: header.source, destination: header.destination, identification: info.identification,
                      protocolNumber: header.version == 4 ? header.protocolNumber : 0, version: header.version)
        let declared = header.payloadLength
        let length = Swift.min(declared, payload.count)
        let range = info.offset..<(info.offset + declared)
        if pending[key] == nil {
            if pending.count >= limits.maxPendingDatagrams { evictOldest(reason: .evicted) }
            pending[key] = Pending(header: header, firstSeen: time, lastSeen: time)
        }
        var done: (payload: [UInt8], header: IPHeader)?
        var complete: Int?
        var grown = 0
        Self.update(&pending[key]!) { d in
            d.lastSeen = time
            d.fragmentCount += 1
            if length < declared { d.truncated = true }
            if d.fragments.count < FragmentedDatagram.maxObservations {
                d.fragments.append(FragmentObservation(frame: frame, time: time, offset: info.offset, length: declared,
                                                       moreFragments: info.moreFragments, dontFragment: header.dontFragment))
            }
            if info.offset == 0 {
                d.haveFirst = true
                d.header = header
                if let (s, t) = firstPorts { d.sourcePort = s; d.destinationPort = t }
            }
            if !info.moreFragments {
                if let end = d.end, end != range.upperBound { d.inconsistent = true }
                d.end = range.upperBound
            }
            if d.covered.contains(where: { $0.overlaps(range) }) { d.overlap = true }
            if range.upperBound > d.payload.count {
                grown = range.upperBound - d.payload.count
                d.payload.append(contentsOf: repeatElement(0, count: range.upperBound - d.payload.count))
            }
            d.payload.withUnsafeMutableBytes { dst in
                if length > 0 { dst.baseAddress!.advanced(by: info.offset).copyMemory(from: payload.baseAddress!, byteCount: length) }
            }
            d.covered = Self.merge(d.covered, range)
            if let end = d.end, d.covered.count == 1, d.covered[0] == 0..<end, d.haveFirst { complete = end }
        }
        pendingBytes += grown
        if let end = complete, var d = pending.removeValue(forKey: key) {
            pendingBytes -= d.payload.count
            finished.append(Self.summary(d, outcome: .complete))
            if !d.truncated {
                var whole = d.header
                whole.totalLength = whole.headerLength + end
                whole.fragment = nil
                d.payload.removeSubrange(end...)  // no longer shared with the table: cut in place, not copied
                done = (d.payload, whole)
            }
        }
        if pendingBytes > limits.maxPendingBytes { evictOldest(reason: .evicted) }
        return done
    }

    /// Ends the capture: every datagram still pending is incomplete.
    public mutating func finish(captureEnd: Int64) {
        // In order of arrival, so that reports do not depend on hashing.
        for d in pending.values.sorted(by: Self.arrival) {
            let expired = captureEnd - d.firstSeen >= timeout(d.header.version)
            finished.append(Self.summary(d, outcome: expired ? .timedOut : .incompleteAtEnd))
        }
        pending.removeAll()
        pendingBytes = 0
    }

    public mutating func drainFinished() -> [FragmentedDatagram] {
        defer { finished = [] }
        return finished
    }

    public var hasFinished: Bool { !finished.isEmpty }

    private func timeout(_ version: UInt8) -> Int64 { version == 4 ? limits.ipv4Timeout : limits.ipv6Timeout }

    private static func update(_ d: inout Pending, _ body: (inout Pending) -> Void) {
        body(&d)
    }

    private mutating func sweep(now: Int64) {
        guard now - lastSweep >= 1_000_000_000 || now < lastSweep else { return }
        lastSweep = now
        let expired = pending.filter { now - $0.value.firstSeen >= timeout($0.value.header.version) }
        for (key, d) in expired.sorted(by: { Self.arrival($0.value, $1.value) }) {
            pending.removeValue(forKey: key)
            pendingBytes -= d.payload.count
            finished.append(Self.summary(d, outcome: .timedOut))
        }
    }

    private mutating func evictOldest(reason: FragmentedDatagram.Outcome) {
        guard let oldest = pending.min(by: { Self.arrival($0.value, $1.value) }) else { return }
        pending.removeValue(forKey: oldest.key)
        pendingBytes -= oldest.value.payload.count
        finished.append(Self.summary(oldest.value, outcome: reason))
    }

    /// Earlier first fragment first; the same time broken by frame number.
    private static func arrival(_ a: Pending, _ b: Pending) -> Bool {
        (a.firstSeen, a.fragments.first?.frame ?? 0) < (b.firstSeen, b.fragments.first?.frame ?? 0)
    }

    static func merge(_ ranges: [Range<Int>], _ new: Range<Int>) -> [Range<Int>] {
        guard !new.isEmpty else { return ranges }
        var out: [Range<Int>] = []
        var current = new
        for r in ranges {
            if r.upperBound < current.lowerBound || r.lowerBound > current.upperBound {
                out.append(r)
            } else {
                current = Swift.min(r.lowerBound, current.lowerBound)..<Swift.max(r.upperBound, current.upperBound)
            }
        }
        out.append(current)
        out.sort { $0.lowerBound < $1.lowerBound }
        return out
    }

    static func summary(_ d: Pending, outcome: FragmentedDatagram.Outcome) -> FragmentedDatagram {
        var missing: [Range<Int>] = []
        var cursor = 0
        for r in d.covered {
            if r.lowerBound > cursor { missing.append(cursor..<r.lowerBound) }
            cursor = Swift.max(cursor, r.upperBound)
        }
        if let end = d.end, cursor < end { missing.append(cursor..<end) }
        var datagram = FragmentedDatagram(
            version: d.header.version, source: d.header.source, destination: d.header.destination,
            protocolNumber: d.header.protocolNumber, identification: d.header.fragment?.identification ?? 0,
            sourcePort: d.sourcePort, destinationPort: d.destinationPort, fragmentCount: d.fragmentCount,
            totalLength: d.end, firstSeen: d.firstSeen, lastSeen: d.lastSeen, fragments: d.fragments, outcome: outcome,
            missing: missing, unknownEnd: d.end == nil, overlap: d.overlap, inconsistent: d.inconsistent)
        // A tunnel's inner packet starts in the first fragment: its addresses and ports name the pods.
        if d.haveFirst, let first = d.covered.first, first.lowerBound == 0 {
            datagram.inner = d.payload.withUnsafeBytes { b in
                InnerFlow.of(UnsafeRawBufferPointer(rebasing: b[0..<Swift.min(first.upperBound, b.count)]), outer: d.header)
            }
        }
        return datagram
    }
}

/// One fragment as seen on the wire.
public struct FragmentObservation: Sendable, Hashable {
    public var frame: Int
    public var time: Int64
    /// Byte offset in the datagram and the fragment's payload length from its IP header.
    public var offset: Int
    public var length: Int
    public var moreFragments: Bool
    public var dontFragment: Bool
}

/// A fragmented datagram once it completed or was given up on.
public struct FragmentedDatagram: Sendable {
    public enum Outcome: String, Sendable {
        case complete
        /// Not complete within the reassembly timeout while the capture went on.
        case timedOut = "timed-out"
        /// Still incomplete when the capture ended before the timeout: indeterminate.
        case incompleteAtEnd = "incomplete-at-end"
        /// Dropped from memory by the pending-datagram or pending-byte cap.
        case evicted
    }

    /// At most this many fragments are kept per datagram as evidence.
    public static let maxObservations = 64

    public var version: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var identification: UInt32
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var fragmentCount: Int
    /// Upper-layer payload length once the last fragment was seen.
    public var totalLength: Int?
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var fragments: [FragmentObservation]
    public var outcome: Outcome
    public var missing: [Range<Int>]
    public var unknownEnd: Bool
    public var overlap: Bool
    /// For a tunnel packet whose first fragment was captured: the inner packet's flow.
    public var inner: InnerFlow?
    public var inconsistent: Bool
}
