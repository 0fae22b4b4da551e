import Artifacts
import Histogram
import Wire

/// What CoreDNS's logs say, accumulated line by line in bounded memory: query latencies as a
/// histogram, rcode counts, the slowest and failed queries as examples, `errors` plugin lines,
/// and search-path chains (NXDOMAIN siblings of a name that was then answered).
public struct CoreDNSLogFacts: Sendable {
    public static let maxExamples = 200
    public static let maxClients = 10_000
    public static let lookBack = 32

    public var files: [String] = []
    public var queries = 0
    /// Answers per rcode name (`NOERROR`, `NXDOMAIN`, …).
    public var rcodes: [String: Int] {
        var all = otherRcodes
        for (i, n) in commonRcodeCounts.enumerated() where n > 0 { all[Self.commonRcodes[i], default: 0] += n }
        return all
    }
    /// Durations in microseconds.
    public var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    /// Queries slower than one second, first ones kept.
    public var slow: [TextEvidence<CoreDNSQuery>] = []
    public var slowCount = 0
    /// SERVFAIL and REFUSED answers, first ones kept.
    public var failed: [TextEvidence<CoreDNSQuery>] = []
    public var errors: [TextEvidence<CoreDNSError>] = []
    public var chains = SearchChains()

    /// The rcodes counted without a string per query, in this order; the rest by name.
    static let commonRcodes = ["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP"]
    static let commonRcodeBytes = commonRcodes.map { Array($0.utf8) }
    static let noError = 0, nxDomain = 1, servFail = 2, refused = 3, formErr = 4, notImp = 5
    var commonRcodeCounts = [Int](repeating: 0, count: commonRcodes.count)
    var otherRcodes: [String: Int] = [:]

    public init() {}

    public var isEmpty: Bool { files.isEmpty }

    /// Counts one query (tests, and callers holding a parsed query).
    mutating func add(_ q: CoreDNSQuery, file: String, line: Int, text: () -> String) {
        let name = Array(q.name.utf8), type = Array(q.type.utf8), rcode = Array(q.rcode.utf8), client = Array(q.client.utf8)
        name.withUnsafeBufferPointer { name in
            type.withUnsafeBufferPointer { type in
                client.withUnsafeBufferPointer { client in
                    let index = rcode.withUnsafeBufferPointer { Self.rcodeIndex($0) }
                    add(rcode: index ?? -1, rcodeName: q.rcode, nanoseconds: Int64(exactly: (q.duration * 1e9).rounded()) ?? (q.duration > 0 ? .max : 0), client: client, name: name, type: type,
                        file: file, line: line, query: { q }, text: text)
                }
            }
        }
    }

    /// Counts one query from its line's bytes: no string is built for a query that is only counted.
    /// (`inout`, and a pointer in the closure, only so that the fields are never copied: they are
    /// not changed.)
    mutating func add(_ f: inout CoreDNSQueryFields, bytes b: UnsafeBufferPointer<UInt8>, file: String, line: Int) {
        withUnsafePointer(to: &f) { p in
            let rcode = UnsafeBufferPointer(rebasing: b[p.pointee.rcode])
            let index = Self.rcodeIndex(rcode)
            add(rcode: index ?? -1, rcodeName: index == nil ? String(decoding: rcode, as: UTF8.self) : "", nanoseconds: p.pointee.nanoseconds,
                client: UnsafeBufferPointer(rebasing: b[p.pointee.clientAddress(b)]), name: UnsafeBufferPointer(rebasing: b[p.pointee.name]),
                type: UnsafeBufferPointer(rebasing: b[p.pointee.type]), file: file, line: line,
                query: { p.pointee.query(b) }, text: { String(decoding: b, as: UTF8.self) })
        }
    }

    /// The common rcodes' bytes as little-endian words (`Bytes.word`), in `commonRcodes` order.
    static let commonRcodeWords: [UInt64] = commonRcodeBytes.map { $0.withUnsafeBufferPointer { Bytes.word($0, 0..<$0.count) } }

    /// The index of a common rcode: one 8-byte word compared (every common rcode has 6 to 8 bytes).
    static func rcodeIndex(_ rcode: UnsafeBufferPointer<UInt8>) -> Int? {
        guard rcode.count >= 6, rcode.count <= 8 else { return nil }
        let w = Bytes.word(rcode, 0..<rcode.count)
        return commonRcodeWords.withUnsafeBufferPointer { words in
            for i in 0..<words.count where words[i] == w && commonRcodeBytes[i].count == rcode.count { return i }
            return nil
        }
    }

    /// `rcode`: an index into `commonRcodes`, or -1 with the name in `rcodeName`.
    private mutating func add(rcode: Int, rcodeName: String, nanoseconds: Int64, client: UnsafeBufferPointer<UInt8>,
                              name: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>,
                              file: String, line: Int, query: () -> CoreDNSQuery, text: () -> String) {
        queries += 1
        if rcode >= 0 { commonRcodeCounts[rcode] += 1 } else { otherRcodes[rcodeName, default: 0] += 1 }
        _ = latency.record(UInt64(min(max(nanoseconds / 1000, 1), 3_600_000_000)))
        // Built only for a query kept as an example (rare): nothing is built or destroyed per line.
        func evidence() -> TextEvidence<CoreDNSQuery> { TextEvidence(file: file, line: line, text: text(), match: query()) }
        if nanoseconds >= 1_000_000_000 {
            slowCount += 1
            if slow.count < Self.maxExamples { slow.append(evidence()) }
        }
        if rcode == Self.servFail || rcode == Self.refused, failed.count < Self.maxExamples { failed.append(evidence()) }
        if rcode == Self.nxDomain {
            chains.addNXDomain(client: client, name: name, type: type, evidence: evidence)
        } else if rcode == Self.noError {
            chains.addAnswer(client: client, name: name, type: type, evidence: evidence)
        }
    }

    mutating func add(_ error: CoreDNSError, file: String, line: Int, text: String) {
        if errors.count < 10 * Self.maxExamples { errors.append(TextEvidence(file: file, line: line, text: text, match: error)) }
    }
}

/// Search-path chains from CoreDNS query logs (domain reference §4.3).
///
/// Definition: for each client address, its last `lookBack` NXDOMAIN queries are remembered. When
/// a query for name N (type T) is answered NOERROR, every remembered NXDOMAIN query of type T from
/// that client whose name is N with more labels appended (`N` + `suffix.`, compared as bytes) is a
/// sibling: a search-list expansion tried before the absolute name. A chain is the siblings plus the answer;
/// its factor is its length (queries per resolved name of that type). Siblings are consumed, so
/// no query counts twice.
public struct SearchChains: Sendable {
    public struct Chain: Sendable {
        public var client: String
        public var siblings: [TextEvidence<CoreDNSQuery>]
        public var answer: TextEvidence<CoreDNSQuery>
        /// Queries this name cost (siblings + the answer).
        public var factor: Int { siblings.count + 1 }
        /// Siblings answered by recursion or slower than 1 ms: the expansion leaked upstream.
        public var upstreamSiblings: Int { siblings.filter { $0.match.recursed || $0.match.duration > 0.001 }.count }
    }

    /// Chains with at least one sibling, the first ones found.
    public var examples: [Chain] = []
    /// Queries inside chains (siblings + answers of chains with siblings).
    public var chainedQueries = 0
    /// Chains per client address.
    public var clientsWithChains: [String: Int] {
        var all = retiredChains
        for (i, w) in windows.enumerated() where w.chains > 0 { all[clientName(i), default: 0] += w.chains }
        return all
    }
    public var chainsWithSiblings: Int { clientsWithChains.values.reduce(0, +) }
    /// Each client's window, in the order the clients first appeared.
    var windows: [Window] = []
    /// The hash of each window's client address (FNV-1a).
    var hashes: [UInt64] = []
    /// Open addressing with linear probing over the hashes, at most half full: index + 1 into
    /// `windows`, 0 for an empty slot. No per-lookup hasher (SipHash) as `Dictionary` would run.
    var table: [Int32] = []
    /// Each window's client address, side by side in one buffer (`keyStarts[w]`, up to the next
    /// start): the lookup compares addresses without touching the windows, and the windows hold none.
    var clientKeys: [UInt8] = []
    var keyStarts: [Int] = []
    @inline(__always) func clientKey(_ w: Int) -> Int { (w + 1 < keyStarts.count ? keyStarts[w + 1] : clientKeys.count) - keyStarts[w] }
    /// The address of window `w`'s client.
    func clientName(_ w: Int) -> String {
        String(decoding: clientKeys[keyStarts[w]..<keyStarts[w] + clientKey(w)], as: UTF8.self)
    }
    /// Chain counts of clients whose windows were dropped (more than `maxClients` at once).
    var retiredChains: [String: Int] = [:]

    /// The window of `client`; `create` adds it when there is none.
    mutating func slot(for client: UnsafeBufferPointer<UInt8>, create: Bool) -> Int? {
        var fnv = FNV1a()
        for c in client { fnv.mix(c) }
        let h = fnv.value
        if !table.isEmpty {
            var i = Self.start(h, table.count)
            while table[i] != 0 {
                let w = Int(table[i]) - 1
                if hashes[w] == h, clientKey(w) == client.count,
                   clientKeys.withUnsafeBufferPointer({ Bytes.equal(UnsafeBufferPointer(rebasing: $0[keyStarts[w]..<keyStarts[w] + client.count]), client) }) {
                    return w
                }
                i = (i + 1) & (table.count - 1)
            }
        }
        guard create else { return nil }
        if windows.count >= CoreDNSLogFacts.maxClients {
            for (i, w) in windows.enumerated() where w.chains > 0 { retiredChains[clientName(i), default: 0] += w.chains }
            windows.removeAll(keepingCapacity: true)
            hashes.removeAll(keepingCapacity: true)
            keyStarts.removeAll(keepingCapacity: true)
            clientKeys.removeAll(keepingCapacity: true)
            table = [Int32](repeating: 0, count: table.count)
        }
        if (windows.count + 1) * 2 > table.count {
            table = [Int32](repeating: 0, count: max(1024, table.count * 2))
            for (w, hash) in hashes.enumerated() { table[freeSlot(hash)] = Int32(w + 1) }
        }
        windows.append(Window())
        hashes.append(h)
        keyStarts.append(clientKeys.count)
        clientKeys.append(contentsOf: client)
        table[freeSlot(h)] = Int32(windows.count)
        return windows.count - 1
    }

    @inline(__always) static func start(_ h: UInt64, _ count: Int) -> Int { Int(truncatingIfNeeded: h ^ (h >> 32)) & (count - 1) }

    private func freeSlot(_ h: UInt64) -> Int {
        var i = Self.start(h, table.count)
        while table[i] != 0 { i = (i + 1) & (table.count - 1) }
        return i
    }

    /// One client's last NXDOMAIN queries, oldest first: their type and name bytes side by side
    /// in one buffer (no allocation per query), and while examples are still wanted their evidence
    /// (`evidence` is empty or as long as `entries`).
    struct Window: Sendable {
        struct Entry: Sendable {
            var start: Int32
            var typeCount: UInt16
            var nameCount: UInt16
            var size: Int { Int(typeCount) + Int(nameCount) }
        }
        /// The client's address.
        /// Chains this client's answers completed.
        var chains = 0
        var entries: [Entry] = []
        var evidence: [TextEvidence<CoreDNSQuery>?] = []
        /// Entries of `evidence` that are not nil: at 0 the array is dropped.
        var withEvidence = 0
        var bytes: [UInt8] = []
        var liveBytes = 0

        init() {}

        mutating func push(type: UnsafeBufferPointer<UInt8>, name: UnsafeBufferPointer<UInt8>, evidence e: TextEvidence<CoreDNSQuery>?) {
            if entries.count >= CoreDNSLogFacts.lookBack { remove(at: 0) }
            if entries.isEmpty {
                bytes.removeAll(keepingCapacity: true)
            } else if bytes.count > 2 * liveBytes + 1024 {
                compact()
            }
            entries.append(Entry(start: Int32(bytes.count), typeCount: UInt16(type.count), nameCount: UInt16(name.count)))
            bytes.append(contentsOf: type)
            bytes.append(contentsOf: name)
            liveBytes += type.count + name.count
            if e != nil || !evidence.isEmpty {
                while evidence.count < entries.count - 1 { evidence.append(nil) }
                evidence.append(e)
                if e != nil { withEvidence += 1 }
            }
        }

        mutating func remove(at i: Int) {
            liveBytes -= entries[i].size
            entries.remove(at: i)
            guard !evidence.isEmpty else { return }
            if evidence.remove(at: i) != nil { withEvidence -= 1 }
            if withEvidence == 0 { evidence.removeAll() }
        }

        /// Drops the bytes of removed entries.
        mutating func compact() {
            var packed: [UInt8] = []
            packed.reserveCapacity(liveBytes + 256)
            for i in entries.indices {
                let s = Int(entries[i].start)
                entries[i].start = Int32(packed.count)
                packed.append(contentsOf: bytes[s..<s + entries[i].size])
            }
            bytes = packed
        }

        /// Whether entry `e` has this type and a name that is `prefix` (plus a dot when `dot`)
        /// with more after it.
        func isSibling(_ e: Entry, type: UnsafeBufferPointer<UInt8>, prefix: UnsafeBufferPointer<UInt8>, dot: Bool) -> Bool {
            let prefixCount = prefix.count + (dot ? 1 : 0)
            guard Int(e.typeCount) == type.count, Int(e.nameCount) > prefixCount else { return false }
            return bytes.withUnsafeBufferPointer { b in
                let start = Int(e.start), nameStart = start + Int(e.typeCount)
                guard Bytes.equal(UnsafeBufferPointer(rebasing: b[start..<nameStart]), type),
                      Bytes.equal(UnsafeBufferPointer(rebasing: b[nameStart..<nameStart + prefix.count]), prefix) else { return false }
                return !dot || b[nameStart + prefix.count] == UInt8(ascii: ".")
            }
        }
    }

    /// Remembers an NXDOMAIN query. Its evidence is built only while examples are still wanted:
    /// past `maxExamples` chains only counts change.
    mutating func addNXDomain(client: UnsafeBufferPointer<UInt8>, name: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>,
                              evidence: () -> TextEvidence<CoreDNSQuery>) {
        let wantText = examples.count < CoreDNSLogFacts.maxExamples
        guard let slot = slot(for: client, create: true) else { return }
        windows[slot].push(type: type, name: name, evidence: wantText ? evidence() : nil)
    }

    /// Resolves an answered (NOERROR) query: the remembered NXDOMAIN queries of its type whose
    /// names extend its name (`N` + `suffix.`) are its siblings, consumed by it.
    mutating func addAnswer(client: UnsafeBufferPointer<UInt8>, name: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>,
                            evidence: () -> TextEvidence<CoreDNSQuery>) {
        guard let slot = slot(for: client, create: false) else { return }
        let dot = name.last != UInt8(ascii: ".")
        // The window is moved out while it changes, so its arrays are never copied.
        var window = Window()
        swap(&window, &windows[slot])
        defer { swap(&window, &windows[slot]) }
        var siblings = 0
        for e in window.entries where window.isSibling(e, type: type, prefix: name, dot: dot) { siblings += 1 }
        guard siblings > 0 else { return }
        let wantText = examples.count < CoreDNSLogFacts.maxExamples
        var found: [TextEvidence<CoreDNSQuery>] = []
        if siblings == window.entries.count {
            if wantText { found = window.evidence.compactMap { $0 } }
            window.entries.removeAll(keepingCapacity: true)
            window.evidence.removeAll()
            window.withEvidence = 0
            window.liveBytes = 0
        } else {
            var i = window.entries.count - 1
            while i >= 0 {
                if window.isSibling(window.entries[i], type: type, prefix: name, dot: dot) {
                    if wantText, i < window.evidence.count, let e = window.evidence[i] { found.append(e) }
                    window.remove(at: i)
                }
                i -= 1
            }
            found.reverse()
        }
        chainedQueries += siblings + 1
        window.chains += 1
        if wantText { examples.append(Chain(client: clientName(slot), siblings: found, answer: evidence())) }
    }
}
