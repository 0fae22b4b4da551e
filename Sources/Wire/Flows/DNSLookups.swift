import Histogram

/// One question as the client lived it: the first query, any resends of it (same client socket,
/// DNS id, name and type), and the answer. The server may answer from another address than the one
/// queried (a Service ClusterIP DNATed to a CoreDNS pod), so the client side alone identifies it.
public struct DNSLookup: Sendable {
    public var client: Endpoint
    /// Where the first query went.
    public var server: Endpoint
    public var id: UInt16
    public var name: String
    public var qtype: UInt16
    public var overTCP: Bool
    /// The query and its resends (the first `maxSends`), and their times.
    public var queryFrames: [Int]
    public var queryTimes: [Int64]
    public var sends: Int
    public var responseFrame: Int?
    public var responseTime: Int64?
    public var rcode: UInt8?

    public static let maxSends = 8

    public var firstTime: Int64 { queryTimes[0] }
    public var lastSendTime: Int64 { queryTimes[queryTimes.count - 1] }
    /// Time from the first query to the answer: what the application waited.
    public var latency: Int64? { responseTime.map { $0 - firstTime } }
    public var typeName: String { DNSMessage.typeName(qtype) }
    public var rcodeName: String? { rcode.map(DNSMessage.rcodeName) }
    /// All frames of the lookup: queries then the answer.
    public var frames: [Int] { queryFrames + (responseFrame.map { [$0] } ?? []) }
    public var times: [Int64] { queryTimes + (responseTime.map { [$0] } ?? []) }
}

/// One lookup as a capture saw it, reduced to what finding the same lookup in another node's capture
/// needs (`DNSSummary.sightings`): the question (id, type, name) and both endpoints, which NAT may rewrite
/// one at a time (DNAT to a CoreDNS pod rewrites the server, SNAT the client), with its first query and answer.
public struct DNSSighting: Sendable, Equatable {
    /// `DNSSighting.question(id:qtype:name:)` of the query: the same on every node it crossed.
    public var question: UInt64
    public var client: Endpoint
    public var server: Endpoint
    public var firstFrame: Int
    public var firstTime: Int64
    /// Queries sent (the first and its resends).
    public var sends: Int
    public var responseFrame: Int?
    public var responseTime: Int64?

    /// The question as one 64-bit word: FNV-1a over the id, the type and the name without case (DNS
    /// names compare without ASCII case) — the same in every run, unlike Swift's seeded hash.
    public static func question(id: UInt16, qtype: UInt16, name: String) -> UInt64 {
        var h = FNV1a()
        h.mix(UInt8(id >> 8)); h.mix(UInt8(id & 0xff)); h.mix(UInt8(qtype >> 8)); h.mix(UInt8(qtype & 0xff))
        for c in name.utf8 { h.mix(DNSSearchList.lower(c)) }
        return h.value
    }
}

extension DNSSighting {
    init(_ l: DNSLookup) {
        self.init(question: Self.question(id: l.id, qtype: l.qtype, name: l.name), client: l.client, server: l.server,
                  firstFrame: l.queryFrames[0], firstTime: l.firstTime, sends: l.sends, responseFrame: l.responseFrame,
                  responseTime: l.responseTime)
    }
}

/// A/AAAA queries a client sent in parallel from one socket where exactly one of them had to be
/// resent or was never answered: the conntrack insertion race behind "DNS takes 5 s" (kubernetes#56903).
public struct DNSParallelPair: Sendable {
    public var first: DNSLookup
    public var second: DNSLookup
    /// Nanoseconds between the two first queries.
    public var gap: Int64
}

/// Search-list expansion seen on the wire: NXDOMAIN siblings, then the name that resolved.
public struct DNSSearchChain: Sendable {
    public var client: IPAddress
    public var siblings: [DNSLookup]
    public var answer: DNSLookup
    public var factor: Int { siblings.count + 1 }
}

/// Per-server DNS statistics; latencies in microseconds.
public struct DNSServerStats: Sendable {
    public var server: IPAddress
    public var lookups = 0
    public var answered = 0
    public var rcodes: [UInt8: Int] = [:]
    public var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000,
                                           numberOfSignificantValueDigits: .three)
    public var slowest: [DNSLookup] = []

    init(server: IPAddress) { self.server = server }

    public func percentile(_ p: Double) -> Int64? {
        latency.totalCount == 0 ? nil : Int64(latency.valueAtPercentile(p)) * 1000
    }

    /// The slowest answered lookup's latency in nanoseconds (to the histogram's 3 significant digits).
    public var maxLatency: Int64? { latency.totalCount == 0 ? nil : Int64(latency.max) * 1000 }

    /// Upper edges (nanoseconds, exclusive) of the latency buckets: 1, 2, 5, 10, 20, 50, 100, 200,
    /// 500 ms, 1, 2, 5 s; a last bucket holds 5 s and more.
    public static let latencyEdges: [Int64] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { Int64($0) * 1_000_000 }

    /// Answered lookups by exact latency: bucket i counts latencies below `latencyEdges[i]` and at
    /// or above `latencyEdges[i − 1]`; the last counts the rest. They add up to `answered`.
    public var latencyBuckets = [Int](repeating: 0, count: DNSServerStats.latencyEdges.count + 1)
}

/// What the DNS traffic of one capture showed.
public struct DNSSummary: Sendable {
    public var lookups = 0
    public var servers: [DNSServerStats] = []
    /// Lookups never answered (the first `maxExamples`), and how many in all.
    public var unanswered: [DNSLookup] = []
    public var unansweredCount = 0
    /// Lookups answered only after the query was resent.
    public var resent: [DNSLookup] = []
    public var parallelPairs: [DNSParallelPair] = []
    public var parallelPairCount = 0
    public var chains: [DNSSearchChain] = []
    public var chainCount = 0
    public var chainedLookups = 0
    public var chainsPerClient: [IPAddress: Int] = [:]
    /// Every lookup, answered or not (the first `maxSightings` of `lookups`), for following lookups across nodes.
    public var sightings: [DNSSighting] = []
    public static let maxSightings = 50_000
    /// Lookups closed before their answer because the tracker was full.
    public var evicted = 0
    /// Open lookups kept at most; beyond, the oldest eighth is closed early (`evicted`).
    public static let maxOpenLookups = 200_000

    public static let maxExamples = 200
}

/// Matches DNS queries and responses twice: the way tshark sets `dns.response_in` (for the
/// oracle counters) and as client lookups (for latency, resends, races and search chains).
///
/// tshark's rule (packet-dns.c, 4.0): per conversation (address/port pair) a query starts a
/// transaction keyed by its id unless the latest transaction with that id is unanswered and less
/// than 5 s old, in which case it is a retransmission; a response answers the latest transaction
/// with its id if that has no answer yet. Only the query that started a transaction shows
/// `dns.response_in`, so unanswered = queries − answered transactions.
struct DNSLookups {
    struct ConversationKey: Hashable {
        var pair: EndpointPair
        var tcp: Bool
        init(_ x: Endpoint, _ y: Endpoint, tcp: Bool) {
            pair = EndpointPair(x, y)
            self.tcp = tcp
        }
    }
    struct Transaction {
        var time: Int64
        var answered: Bool
    }
    /// A conversation's latest transaction per DNS id. Most conversations (one client socket) carry one
    /// id: it is held inline, and a dictionary is made only for the second.
    struct Conversation {
        var last: Int64
        var firstID: UInt16 = 0
        var first: Transaction?
        var more: [UInt16: Transaction] = [:]

        subscript(id: UInt16) -> Transaction? {
            get { first != nil && firstID == id ? first : more[id] }
            set {
                if first == nil || firstID == id {
                    firstID = id
                    first = newValue
                } else {
                    more[id] = newValue
                }
            }
        }
    }
    struct LookupKey: Hashable {
        var client: Endpoint
        var id: UInt16
        var tcp: Bool

        /// Three words rather than six fields: hashed for every packet.
        func hash(into h: inout Hasher) {
            h.combine(client.address.high)
            h.combine(client.address.low)
            h.combine(UInt64(client.port) << 32 | UInt64(id) << 16 | (client.address.isIPv6 ? 2 : 0) | (tcp ? 1 : 0))
        }
    }

    static let retransmissionWindow: Int64 = 5_000_000_000
    /// A query is a resend of the open lookup when it comes this soon after the last send.
    static let resendWindow: Int64 = 30_000_000_000
    /// Conversations and lookups idle this long are closed (answers later than this are not matched).
    static let idleLimit: Int64 = 120_000_000_000
    static let maxOpen = DNSSummary.maxOpenLookups
    /// Queries of an A/AAAA pair must leave within this of each other to count as parallel.
    static let parallelWindow: Int64 = 10_000_000
    static let searchLookBack = 32
    static let searchWindow: Int64 = 10_000_000_000

    var queries = 0
    var responses = 0
    var answeredTransactions = 0
    private var transactions: [ConversationKey: Conversation] = [:]
    private var open: [LookupKey: DNSLookup] = [:]
    private var lastSweep: Int64 = 0
    private var pairCandidates: [Endpoint: [DNSLookup]] = [:]
    /// An NXDOMAIN lookup remembered for search chains, with the hash of its first label
    /// (`DNSSearchList.firstLabelKey`): an answered lookup is compared with up to `searchLookBack` of them,
    /// most of which differ there.
    typealias RecentNX = (label: UInt64, lookup: DNSLookup)
    /// Each client's latest NXDOMAIN lookups.
    private var recentNX: [IPAddress: [RecentNX]] = [:]
    private var serverIndex: [IPAddress: Int] = [:]
    private(set) var summary = DNSSummary()

    mutating func add(_ m: DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool, frame: Int, time: Int64) {
        sweep(now: time)
        countLikeTshark(m, source, destination, tcp: tcp, time: time)
        if m.isResponse {
            let key = LookupKey(client: destination, id: m.id, tcp: tcp)
            // Open lookups have no answer yet: an answer closes its lookup at once.
            guard var l = open.removeValue(forKey: key) else { return }
            l.responseFrame = frame
            l.responseTime = time
            l.rcode = m.rcode
            close(l)
        } else {
            guard let name = m.name else { return }
            let key = LookupKey(client: source, id: m.id, tcp: tcp)
            if let i = open.index(forKey: key) {
                let l = open.values[i]
                if l.name == name && l.qtype == m.qtype && time - l.lastSendTime < Self.resendWindow {
                    // A resend, recorded in place (a copy would make the appends copy its arrays).
                    open.values[i].sends += 1
                    if l.queryFrames.count < DNSLookup.maxSends {
                        open.values[i].queryFrames.append(frame)
                        open.values[i].queryTimes.append(time)
                    }
                    return
                }
                open.remove(at: i)
                close(l)
            }
            if open.count >= Self.maxOpen { evictOldest() }
            open[key] = DNSLookup(client: source, server: destination, id: m.id, name: name, qtype: m.qtype,
                                  overTCP: tcp, queryFrames: [frame], queryTimes: [time], sends: 1)
        }
    }

    /// The tracker is full: the oldest eighth of the open lookups is closed in one pass, so a flood
    /// of new queries costs one sort per `maxOpen / 8` queries rather than a scan per query.
    private mutating func evictOldest() {
        let victims = open.sorted { $0.value.lastSendTime < $1.value.lastSendTime }.prefix(Self.maxOpen / 8)
        for (k, l) in victims {
            open[k] = nil
            summary.evicted += 1
            close(l)
        }
    }

    private mutating func countLikeTshark(_ m: DNSMessage, _ s: Endpoint, _ d: Endpoint, tcp: Bool, time: Int64) {
        // Mutated in place: copying a conversation out and back would copy its id table per packet.
        let key = ConversationKey(s, d, tcp: tcp)
        if m.isResponse { responses += 1 } else { queries += 1 }
        // One hash of the key: the conversation is changed in place through the default subscript.
        if Self.transaction(&transactions[key, default: Conversation(last: time)], m, time: time) { answeredTransactions += 1 }
    }

    /// Applies tshark's rule to one conversation; returns whether `m` answered a transaction.
    private static func transaction(_ c: inout Conversation, _ m: DNSMessage, time: Int64) -> Bool {
        c.last = time
        if m.isResponse {
            guard c[m.id]?.answered == false else { return false }
            c[m.id]!.answered = true
            return true
        }
        // A query repeating the latest unanswered transaction of its id within 5 s is a retransmission:
        // no new transaction, and it never shows response_in.
        if let t = c[m.id], !t.answered, time - t.time < retransmissionWindow { return false }
        c[m.id] = Transaction(time: time, answered: false)
        return false
    }

    private mutating func sweep(now: Int64) {
        guard now - lastSweep >= 10_000_000_000 else { return }
        lastSweep = now
        transactions = transactions.filter { now - $0.value.last < Self.idleLimit }
        let stale = open.filter { now - $0.value.lastSendTime >= Self.resendWindow }
        for (k, l) in stale.sorted(by: { $0.value.firstTime < $1.value.firstTime }) {
            open[k] = nil
            close(l)
        }
        pairCandidates = pairCandidates.filter { now - ($0.value.last?.firstTime ?? 0) < Self.idleLimit }
        recentNX = recentNX.filter { now - ($0.value.last?.lookup.firstTime ?? 0) < Self.searchWindow }
    }

    /// A lookup is over: answered, superseded, or idle.
    private mutating func close(_ l: DNSLookup) {
        summary.lookups += 1
        if summary.sightings.count < DNSSummary.maxSightings { summary.sightings.append(DNSSighting(l)) }
        let s = server(l.server.address)
        summary.servers[s].lookups += 1
        if let rcode = l.rcode, let latency = l.latency {
            summary.servers[s].answered += 1
            summary.servers[s].rcodes[rcode, default: 0] += 1
            summary.servers[s].latency.record(UInt64(Swift.max(1, latency / 1000)))
            summary.servers[s].latencyBuckets[DNSServerStats.latencyEdges.firstIndex { latency < $0 } ?? DNSServerStats.latencyEdges.count] += 1
            keepSlowest(l, in: s)
            if l.sends > 1, summary.resent.count < DNSSummary.maxExamples { summary.resent.append(l) }
            searchChain(l)
        } else {
            summary.unansweredCount += 1
            if summary.unanswered.count < DNSSummary.maxExamples { summary.unanswered.append(l) }
        }
        pair(l)
    }

    private mutating func server(_ address: IPAddress) -> Int {
        if let i = serverIndex[address] { return i }
        serverIndex[address] = summary.servers.count
        summary.servers.append(DNSServerStats(server: address))
        return summary.servers.count - 1
    }

    private mutating func keepSlowest(_ l: DNSLookup, in s: Int) {
        if summary.servers[s].slowest.count >= 5, (l.latency ?? 0) <= (summary.servers[s].slowest.last?.latency ?? 0) { return }
        summary.servers[s].slowest.append(l)
        summary.servers[s].slowest.sort { ($0.latency ?? 0) > ($1.latency ?? 0) }
        if summary.servers[s].slowest.count > 5 { summary.servers[s].slowest.removeLast() }
    }

    /// Pairs A with AAAA of the same name from the same socket sent within `parallelWindow`.
    private mutating func pair(_ l: DNSLookup) {
        guard l.qtype == 1 || l.qtype == 28, !l.overTCP else { return }
        // The client's list changed in place (one hash of its key).
        if let other = Self.partner(of: l, in: &pairCandidates[l.client, default: []]) {
            // Exactly one of the two had trouble: both lost is a dead path, not the insertion race.
            let troubled = (other.sends > 1 || other.rcode == nil) != (l.sends > 1 || l.rcode == nil)
            if troubled {
                summary.parallelPairCount += 1
                let (a, b) = other.firstTime <= l.firstTime ? (other, l) : (l, other)
                if summary.parallelPairs.count < DNSSummary.maxExamples {
                    summary.parallelPairs.append(DNSParallelPair(first: a, second: b, gap: b.firstTime - a.firstTime))
                }
            }
        }
    }

    /// Takes from `candidates` the lookup `l` pairs with, or else remembers `l` (the latest 8).
    private static func partner(of l: DNSLookup, in candidates: inout [DNSLookup]) -> DNSLookup? {
        if let i = candidates.firstIndex(where: { $0.name == l.name && $0.qtype != l.qtype
                                                  && abs($0.firstTime - l.firstTime) <= parallelWindow }) {
            return candidates.remove(at: i)
        }
        remember(l, in: &candidates, keeping: 8)
        return nil
    }

    private mutating func searchChain(_ l: DNSLookup) {
        guard l.rcode == 3 || l.rcode == 0 else { return }
        let client = l.client.address
        let label = DNSSearchList.firstLabelKey(l.name)
        if l.rcode == 3 {
            Self.remember((label, l), in: &recentNX[client, default: []], keeping: Self.searchLookBack)
            return
        }
        guard let found = recentNX.index(forKey: client) else { return }
        // By index, and in place: copying the list or a remembered lookup (its name and arrays) cost more than the test.
        var matched: [Int] = []
        let recent = recentNX.values[found]
        for i in recent.indices where recent[i].label == label && recent[i].lookup.qtype == l.qtype
            && l.firstTime - recent[i].lookup.firstTime <= Self.searchWindow && DNSSearchList.isExpansion(recent[i].lookup.name, of: l.name) {
            matched.append(i)
        }
        guard !matched.isEmpty else { return }
        let siblings = matched.map { recent[$0].lookup }
        for i in matched.reversed() { recentNX.values[found].remove(at: i) }
        if recentNX.values[found].isEmpty { recentNX.remove(at: found) }
        summary.chainCount += 1
        summary.chainedLookups += siblings.count + 1
        summary.chainsPerClient[client, default: 0] += 1
        if summary.chains.count < DNSSummary.maxExamples {
            summary.chains.append(DNSSearchChain(client: client, siblings: siblings, answer: l))
        }
    }

    /// Appends `item` to a list of the latest `keeping`, dropping the oldest.
    private static func remember<T>(_ item: T, in list: inout [T], keeping limit: Int) {
        list.append(item)
        if list.count > limit { list.removeFirst() }
    }

    /// Closes every open lookup at the end of the capture.
    mutating func finish() -> DNSSummary {
        for (_, l) in open.sorted(by: { $0.value.firstTime < $1.value.firstTime }) { close(l) }
        open.removeAll()
        return summary
    }
}


/// How a resolver's search list shows on the wire.
public enum DNSSearchList {
    /// Whether `candidate` is `answer` expanded with another search domain: either `answer` plus a
    /// suffix (`api.example.com.default.svc.cluster.local` for `api.example.com`), or the same base
    /// with a different one of nested search domains (`kubernetes.default.default.svc.cluster.local`
    /// for `kubernetes.default.svc.cluster.local`).
    public static func isExpansion(_ candidate: String, of answer: String) -> Bool {
        // Both forms share the first label: most pairs differ there, and are rejected without allocating.
        guard firstLabelsMatch(candidate, answer) else { return false }
        let c = candidate.lowercased(), a = answer.lowercased()
        if c.count > a.count + 1 && c.hasPrefix(a + ".") { return true }
        let cl = c.split(separator: "."), al = a.split(separator: ".")
        var k = 0
        while k < cl.count && k < al.count && cl[k] == al[k] { k += 1 }
        guard k >= 1, k < cl.count, k < al.count else { return false }
        let cs = cl[k...], asuf = al[k...]
        // Nested search domains: one remaining suffix ends the other.
        return cs.count > asuf.count ? cs.suffix(asuf.count).elementsEqual(asuf) : asuf.suffix(cs.count).elementsEqual(cs)
    }

    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }

    /// FNV-1a of a name's first label without ASCII case: equal for names whose first labels match
    /// (`firstLabelsMatch`), so that most candidates of a search chain are rejected by one comparison.
    static func firstLabelKey(_ name: String) -> UInt64 {
        var h = FNV1a()
        for c in name.utf8 {
            if c == UInt8(ascii: ".") { break }
            h.mix(lower(c))
        }
        return h.value
    }

    /// Whether the first labels of two names are equal, ignoring ASCII case (over the strings' UTF-8
    /// storage when it is contiguous, as it is for names the parser builds).
    static func firstLabelsMatch(_ x: String, _ y: String) -> Bool {
        let fast = x.utf8.withContiguousStorageIfAvailable { a in
            y.utf8.withContiguousStorageIfAvailable { b in firstLabelsMatch(a, b) }
        }
        if let fast = fast ?? nil { return fast }
        return Array(x.utf8).withUnsafeBufferPointer { a in Array(y.utf8).withUnsafeBufferPointer { b in firstLabelsMatch(a, b) } }
    }

    static func firstLabelsMatch(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let dot = UInt8(ascii: ".")
        var k = 0
        while true {
            let endA = k == x.count || x[k] == dot, endB = k == y.count || y[k] == dot
            if endA || endB { return endA && endB }
            if lower(x[k]) != lower(y[k]) { return false }
            k += 1
        }
    }
}
