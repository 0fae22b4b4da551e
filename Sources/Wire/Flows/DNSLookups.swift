import DequeModule
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
    /// The query and its resends (the first `maxSends`): the first inline, so that a lookup sent once
    /// allocates nothing for them.
    var queries: Sends
    public var sends: Int
    public var responseFrame: Int?
    public var responseTime: Int64?
    public var rcode: UInt8?

    public static let maxSends = 8

    /// The query and its resends (the first `maxSends`), and their times.
    public var queryFrames: [Int] { queries.frames }
    public var queryTimes: [Int64] { queries.times }
    public var firstFrame: Int { queries.first?.frame ?? 0 }
    public var firstTime: Int64 { queries.first?.time ?? 0 }
    public var lastSendTime: Int64 { queries.lastTime ?? 0 }
    /// Time from the first query to the answer: what the application waited.
    public var latency: Int64? { responseTime.map { $0 - firstTime } }
    public var typeName: String { DNSMessage.typeName(qtype) }
    public var rcodeName: String? { rcode.map(DNSMessage.rcodeName) }
    /// All frames of the lookup: queries then the answer.
    public var frames: [Int] { queryFrames + (responseFrame.map { [$0] } ?? []) }
    public var times: [Int64] { queryTimes + (responseTime.map { [$0] } ?? []) }
}

extension DNSLookup {
    /// A lookup from its queries' frames and times as arrays (as many, at least one).
    public init(client: Endpoint, server: Endpoint, id: UInt16, name: String, qtype: UInt16, overTCP: Bool,
                queryFrames: [Int], queryTimes: [Int64], sends: Int, responseFrame: Int? = nil,
                responseTime: Int64? = nil, rcode: UInt8? = nil) {
        self.init(client: client, server: server, id: id, name: name, qtype: qtype, overTCP: overTCP,
                  queries: Sends(frames: queryFrames, times: queryTimes),
                  sends: sends, responseFrame: responseFrame, responseTime: responseTime, rcode: rcode)
    }
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
                  firstFrame: l.firstFrame, firstTime: l.firstTime, sends: l.sends, responseFrame: l.responseFrame,
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
    /// Answered lookups by RCODE.
    public var rcodes: [UInt8: Int] {
        var all: [UInt8: Int] = [:]
        for (code, n) in rcodeCounts.enumerated() where n > 0 { all[UInt8(code)] = n }
        return all
    }
    /// Answered lookups by RCODE (the header's four bits), counted per lookup without hashing.
    var rcodeCounts = [Int](repeating: 0, count: 16)
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
    /// A conversation as tshark keys DNS transactions: the address and port pair, over UDP or TCP.
    struct ConversationKey: FlowTableKey {
        var pair: EndpointPair
        var tcp: Bool
        init(_ x: Endpoint, _ y: Endpoint, tcp: Bool) {
            pair = EndpointPair(x, y)
            self.tcp = tcp
        }
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) {
            let w = pair.words
            return (w.0, w.1, w.2, w.3, w.4 | (tcp ? 4 : 0))
        }
    }
    /// One DNS id of a conversation: the key of its latest transaction.
    struct TransactionKey: FlowTableKey {
        var conversation: ConversationKey
        var id: UInt16
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) {
            let w = conversation.words
            return (w.0, w.1, w.2, w.3, w.4 | UInt64(id) << 8)
        }
    }
    /// An open lookup's key: the client socket, the DNS id, the transport.
    struct LookupKey: FlowTableKey {
        var client: Endpoint
        var id: UInt16
        var tcp: Bool

        /// The key of the lookup a message belongs to: a query's client is its source, a response's its destination.
        init(_ m: borrowing DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool) {
            client = m.isResponse ? destination : source
            id = m.id
            self.tcp = tcp
        }
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) {
            (client.address.high, client.address.low, 0, 0,
             UInt64(client.port) << 32 | UInt64(id) << 16 | (client.address.isIPv6 ? 2 : 0) | (tcp ? 1 : 0))
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
    /// Closed A/AAAA lookups remembered per socket for pairing, and NXDOMAIN ones per client for search chains.
    static let pairLookBack = 8
    static let searchLookBack = 32
    static let searchWindow: Int64 = 10_000_000_000

    var queries = 0
    var responses = 0
    var answeredTransactions = 0
    // Every map below is hashed per DNS message or per lookup: `FlowTable`s with a cheap keyed hash, not
    // `Dictionary` with SipHash (which was a fifth of the time on a resolver's traffic).
    /// Each conversation's latest packet time (its transactions go when it has been idle `idleLimit`).
    private var conversations = FlowTable<ConversationKey, Int64>()
    /// The time of the latest transaction of each DNS id of each conversation, while it is unanswered.
    private var transactions = FlowTable<TransactionKey, Int64>()
    private var open = FlowTable<LookupKey, DNSLookup>()
    private var lastSweep: Int64 = 0
    /// Each client socket's latest closed A/AAAA lookups, waiting for their partner.
    private var pairCandidates = FlowTable<Endpoint, Recent>()
    /// Each client's latest NXDOMAIN lookups, for search chains.
    private var recentNX = FlowTable<IPAddress, Recent>()
    private var serverIndex: [IPAddress: Int] = [:]
    /// The latest lookup's server and its index: a client asks the same server lookup after lookup.
    private var lastServer: (address: IPAddress, index: Int)?
    private(set) var summary = DNSSummary()

    /// What matching a lookup against remembered ones compares first: the hash of its name's first label
    /// (`DNSSearchList.firstLabelKey`, equal for the same name and for a search chain's siblings), its type
    /// and its first query's time. Most remembered lookups differ there, and their names are not read.
    struct Brief {
        var label: UInt64
        var firstTime: Int64
        var qtype: UInt16
    }

    /// The latest few lookups of a client or socket, oldest first, with their `Brief`s in a row of their
    /// own: a match reads a few cache lines rather than every remembered lookup.
    struct Recent {
        private(set) var briefs: Deque<Brief> = []
        private(set) var lookups: Deque<DNSLookup> = []

        var isEmpty: Bool { briefs.isEmpty }
        var lastTime: Int64 { briefs.last?.firstTime ?? 0 }

        /// Appends `l`, dropping the oldest beyond `limit`.
        mutating func remember(_ brief: Brief, _ l: DNSLookup, keeping limit: Int) {
            briefs.append(brief)
            lookups.append(l)
            if briefs.count > limit {
                briefs.removeFirst()
                lookups.removeFirst()
            }
        }

        mutating func remove(at i: Int) -> DNSLookup {
            briefs.remove(at: i)
            return lookups.remove(at: i)
        }
    }

    /// The hashes of the keys a message looks up (`KeyHasher`): computed by the thread that reads and decodes, so
    /// that the flow stage can start loading their slots a few messages ahead (a resolver's traffic has as many
    /// conversations as client sockets, and each lookup would otherwise miss the cache three times).
    struct Hashes {
        var conversation: UInt64
        var transaction: UInt64
        var lookup: UInt64
    }

    /// Hashes a message's keys as the tables do: a copy of their keyed hashes, for another thread.
    struct KeyHasher: Sendable {
        let conversations: FlowTable<ConversationKey, Int64>.KeyHasher
        let transactions: FlowTable<TransactionKey, Int64>.KeyHasher
        let open: FlowTable<LookupKey, DNSLookup>.KeyHasher

        func hashes(_ m: borrowing DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool) -> Hashes {
            let conversation = ConversationKey(source, destination, tcp: tcp)
            return Hashes(conversation: conversations.hash(conversation),
                          transaction: transactions.hash(TransactionKey(conversation: conversation, id: m.id)),
                          lookup: open.hash(LookupKey(m, source: source, destination: destination, tcp: tcp)))
        }
    }

    var keyHasher: KeyHasher { KeyHasher(conversations: conversations.hasher, transactions: transactions.hasher, open: open.hasher) }

    /// Starts loading the slots `add` will look up first for a message of these hashes.
    func prefetch(_ h: Hashes) {
        conversations.prefetch(hash: h.conversation)
        transactions.prefetch(hash: h.transaction)
        open.prefetch(hash: h.lookup)
    }

    /// Adds the message of a flow batch's event, read where it is, with the hashes the reader computed.
    mutating func add(_ e: borrowing DNSEvent) {
        add(e.message, source: e.source, destination: e.destination, tcp: e.tcp, frame: e.frame, time: e.time, hashes: e.hashes)
    }

    mutating func add(_ m: borrowing DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool, frame: Int, time: Int64) {
        add(m, source: source, destination: destination, tcp: tcp, frame: frame, time: time,
            hashes: keyHasher.hashes(m, source: source, destination: destination, tcp: tcp))
    }

    private mutating func add(_ m: borrowing DNSMessage, source: Endpoint, destination: Endpoint, tcp: Bool, frame: Int, time: Int64,
                              hashes: Hashes) {
        sweep(now: time)
        countLikeTshark(m, source, destination, tcp: tcp, time: time, hashes: hashes)
        if m.isResponse {
            // Open lookups have no answer yet: an answer closes its lookup at once.
            guard let i = open.find(LookupKey(m, source: source, destination: destination, tcp: tcp), hash: hashes.lookup) else { return }
            var l = open.remove(at: i)
            l.responseFrame = frame
            l.responseTime = time
            l.rcode = m.rcode
            close(l)
        } else {
            guard let name = m.name else { return }
            let key = LookupKey(m, source: source, destination: destination, tcp: tcp)
            let hash = hashes.lookup
            if let i = open.find(key, hash: hash) {
                if open.values[i].name == name && open.values[i].qtype == m.qtype
                    && time - open.values[i].lastSendTime < Self.resendWindow {
                    // A resend, recorded in place.
                    open.values[i].sends += 1
                    if open.values[i].queries.count < DNSLookup.maxSends { open.values[i].queries.append(frame: frame, time: time) }
                    return
                }
                close(open.remove(at: i))
            }
            if open.count >= Self.maxOpen { evictOldest() }
            open.insert(key, hash: hash, DNSLookup(client: source, server: destination, id: m.id, name: name, qtype: m.qtype,
                                                   overTCP: tcp, queries: Sends(frame: frame, time: time), sends: 1))
        }
    }

    /// Positions of open lookups in order of `time` (ties by first frame): the order they are closed in.
    private func ordered(_ positions: some Sequence<Int>, by time: (DNSLookup) -> Int64) -> [Int] {
        positions.sorted { (time(open.values[$0]), open.values[$0].firstFrame) < (time(open.values[$1]), open.values[$1].firstFrame) }
    }

    /// Closes the open lookups at these positions, in this order, and removes them.
    private mutating func closeOpen(inOrder order: [Int]) {
        let closing = order.map { open.values[$0] }
        open.remove(sortedPositions: order.sorted())
        for l in closing { close(l) }
    }

    /// The tracker is full: the oldest eighth of the open lookups (by last send) is closed in one pass, so a
    /// flood of new queries costs one sort per `maxOpen / 8` queries rather than a scan per query.
    private mutating func evictOldest() {
        let victims = Array(ordered(open.values.indices, by: \.lastSendTime).prefix(Self.maxOpen / 8))
        summary.evicted += victims.count
        closeOpen(inOrder: victims)
    }

    private mutating func countLikeTshark(_ m: borrowing DNSMessage, _ s: Endpoint, _ d: Endpoint, tcp: Bool, time: Int64, hashes: Hashes) {
        if m.isResponse { responses += 1 } else { queries += 1 }
        let conversation = ConversationKey(s, d, tcp: tcp)
        if let i = conversations.find(conversation, hash: hashes.conversation) {
            conversations.values[i] = time
        } else {
            conversations.insert(conversation, hash: hashes.conversation, time)
        }
        if transaction(TransactionKey(conversation: conversation, id: m.id), hash: hashes.transaction, m, time: time) {
            answeredTransactions += 1
        }
    }

    /// Applies tshark's rule to the latest transaction of `m`'s id; returns whether `m` answered it.
    ///
    /// Only unanswered transactions are kept: an answered one behaves as none at all (a response finds
    /// nothing to answer, a query starts a new transaction), so it goes at its answer and the table holds
    /// what is in flight, not every id a conversation ever used.
    private mutating func transaction(_ key: TransactionKey, hash: UInt64, _ m: borrowing DNSMessage, time: Int64) -> Bool {
        let found = transactions.find(key, hash: hash)
        if m.isResponse {
            guard let i = found else { return false }
            transactions.remove(at: i)
            return true
        }
        // A query repeating the latest unanswered transaction of its id within 5 s is a retransmission:
        // no new transaction, and it never shows response_in.
        if let i = found {
            if time - transactions.values[i] < Self.retransmissionWindow { return false }
            transactions.values[i] = time
        } else {
            transactions.insert(key, hash: hash, time)
        }
        return false
    }

    private mutating func sweep(now: Int64) {
        guard now - lastSweep >= 10_000_000_000 else { return }
        lastSweep = now
        conversations.removeAll { now - $1 >= Self.idleLimit }
        // A transaction goes with its conversation.
        let live = conversations
        transactions.removeAll { key, _ in live.find(key.conversation) == nil }
        closeOpen(inOrder: ordered(open.values.indices.filter { now - open.values[$0].lastSendTime >= Self.resendWindow }, by: \.firstTime))
        pairCandidates.removeAll { now - $1.lastTime >= Self.idleLimit }
        recentNX.removeAll { now - $1.lastTime >= Self.searchWindow }
    }

    /// A lookup is over: answered, superseded, or idle.
    private mutating func close(_ l: DNSLookup) {
        summary.lookups += 1
        // Room for every sighting at once: grown by doubling, the array was copied and its pages touched twice.
        if summary.lookups == 1 { summary.sightings.reserveCapacity(DNSSummary.maxSightings) }
        if summary.sightings.count < DNSSummary.maxSightings { summary.sightings.append(DNSSighting(l)) }
        let s = server(l.server.address)
        summary.servers[s].lookups += 1
        if let rcode = l.rcode, let latency = l.latency {
            summary.servers[s].answered += 1
            summary.servers[s].rcodeCounts[Int(rcode & 0x0f)] += 1
            summary.servers[s].latency.record(UInt64(Swift.max(1, latency / 1000)))
            summary.servers[s].latencyBuckets[DNSServerStats.latencyEdges.firstIndex { latency < $0 } ?? DNSServerStats.latencyEdges.count] += 1
            keepSlowest(l, in: s)
            if l.sends > 1, summary.resent.count < DNSSummary.maxExamples { summary.resent.append(l) }
        } else {
            summary.unansweredCount += 1
            if summary.unanswered.count < DNSSummary.maxExamples { summary.unanswered.append(l) }
        }
        let chained = l.rcode == 3 || l.rcode == 0, paired = (l.qtype == 1 || l.qtype == 28) && !l.overTCP
        guard chained || paired else { return }
        let brief = Brief(label: DNSSearchList.firstLabelKey(l.name), firstTime: l.firstTime, qtype: l.qtype)
        if chained { searchChain(l, brief) }
        if paired { pair(l, brief) }
    }

    private mutating func server(_ address: IPAddress) -> Int {
        if let last = lastServer, last.address == address { return last.index }
        let i: Int
        if let known = serverIndex[address] {
            i = known
        } else {
            i = summary.servers.count
            serverIndex[address] = i
            summary.servers.append(DNSServerStats(server: address))
        }
        lastServer = (address, i)
        return i
    }

    private mutating func keepSlowest(_ l: DNSLookup, in s: Int) {
        if summary.servers[s].slowest.count >= 5, (l.latency ?? 0) <= (summary.servers[s].slowest.last?.latency ?? 0) { return }
        summary.servers[s].slowest.append(l)
        summary.servers[s].slowest.sort { ($0.latency ?? 0) > ($1.latency ?? 0) }
        if summary.servers[s].slowest.count > 5 { summary.servers[s].slowest.removeLast() }
    }

    /// Pairs A with AAAA of the same name from the same socket sent within `parallelWindow`.
    private mutating func pair(_ l: DNSLookup, _ brief: Brief) {
        // The socket's list is changed in place (one hash of its key).
        let i = pairCandidates.position(of: l.client, orInsert: Recent())
        if let other = Self.partner(of: l, brief, in: &pairCandidates.values[i]) {
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

    /// Takes from `candidates` the lookup `l` pairs with, or else remembers `l` (the latest `pairLookBack`).
    private static func partner(of l: DNSLookup, _ brief: Brief, in candidates: inout Recent) -> DNSLookup? {
        for i in candidates.briefs.indices {
            let b = candidates.briefs[i]
            if b.qtype != brief.qtype && b.label == brief.label && abs(b.firstTime - brief.firstTime) <= parallelWindow
                && candidates.lookups[i].name == l.name {
                return candidates.remove(at: i)
            }
        }
        candidates.remember(brief, l, keeping: pairLookBack)
        return nil
    }

    private mutating func searchChain(_ l: DNSLookup, _ brief: Brief) {
        let client = l.client.address
        if l.rcode == 3 {
            recentNX.values[recentNX.position(of: client, orInsert: Recent())].remember(brief, l, keeping: Self.searchLookBack)
            return
        }
        guard let found = recentNX.find(client) else { return }
        var matched: [Int] = []
        let recent = recentNX.values[found]
        for i in recent.briefs.indices {
            let b = recent.briefs[i]
            if b.label == brief.label && b.qtype == l.qtype && l.firstTime - b.firstTime <= Self.searchWindow
                && DNSSearchList.isExpansion(recent.lookups[i].name, of: l.name) {
                matched.append(i)
            }
        }
        guard !matched.isEmpty else { return }
        let siblings = matched.map { recent.lookups[$0] }
        for i in matched.reversed() { _ = recentNX.values[found].remove(at: i) }
        if recentNX.values[found].isEmpty { recentNX.remove(at: found) }
        summary.chainCount += 1
        summary.chainedLookups += siblings.count + 1
        summary.chainsPerClient[client, default: 0] += 1
        if summary.chains.count < DNSSummary.maxExamples {
            summary.chains.append(DNSSearchChain(client: client, siblings: siblings, answer: l))
        }
    }

    /// Closes every open lookup at the end of the capture.
    mutating func finish() -> DNSSummary {
        closeOpen(inOrder: ordered(open.values.indices, by: \.firstTime))
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
