import Artifacts
import Histogram

/// What CoreDNS's logs say, accumulated line by line in bounded memory: query latencies as a
/// histogram, rcode counts, the slowest and failed queries as examples, `errors` plugin lines,
/// and search-path chains (NXDOMAIN siblings of a name that was then answered).
public struct CoreDNSLogFacts: Sendable {
    public static let maxExamples = 200
    public static let maxClients = 10_000
    public static let lookBack = 32

    public var files: [String] = []
    public var queries = 0
    public var rcodes: [String: Int] = [:]
    /// Durations in microseconds.
    public var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    /// Queries slower than one second, first ones kept.
    public var slow: [TextEvidence<CoreDNSQuery>] = []
    public var slowCount = 0
    /// SERVFAIL and REFUSED answers, first ones kept.
    public var failed: [TextEvidence<CoreDNSQuery>] = []
    public var errors: [TextEvidence<CoreDNSError>] = []
    public var chains = SearchChains()

    public init() {}

    public var isEmpty: Bool { files.isEmpty }

    /// Counts one query; `text` (the line) is asked for only when the query is kept as evidence.
    mutating func add(_ q: CoreDNSQuery, file: String, line: Int, text: () -> String) {
        queries += 1
        rcodes[q.rcode, default: 0] += 1
        _ = latency.record(UInt64(min(max(q.duration * 1e6, 1), 3.6e9)))
        var kept: String?
        func lineText() -> String {
            if let kept { return kept }
            kept = text()
            return kept!
        }
        if q.duration >= 1 {
            slowCount += 1
            if slow.count < Self.maxExamples { slow.append(TextEvidence(file: file, line: line, text: lineText(), match: q)) }
        }
        if (q.rcode == "SERVFAIL" || q.rcode == "REFUSED"), failed.count < Self.maxExamples {
            failed.append(TextEvidence(file: file, line: line, text: lineText(), match: q))
        }
        chains.add(q, file: file, line: line, text: lineText)
    }

    mutating func add(_ error: CoreDNSError, file: String, line: Int, text: String) {
        if errors.count < 10 * Self.maxExamples { errors.append(TextEvidence(file: file, line: line, text: text, match: error)) }
    }
}

/// Search-path chains from CoreDNS query logs (domain reference §4.3).
///
/// Definition: for each client address, the last `lookBack` queries are remembered. When a query
/// for name N (type T) is answered with anything but NXDOMAIN, every remembered NXDOMAIN query of
/// type T from that client whose name is N with a suffix appended (`N` + `suffix.`) is a sibling: a
/// search-list expansion tried before the absolute name. A chain is the siblings plus the answer;
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
    public var clientsWithChains: [String: Int] = [:]
    public var chainsWithSiblings: Int { clientsWithChains.values.reduce(0, +) }
    var recent: [String: [TextEvidence<CoreDNSQuery>]] = [:]

    /// Remembers or resolves one query. Its line's text is kept only while examples are still
    /// wanted: past `maxExamples` chains only counts change.
    mutating func add(_ q: CoreDNSQuery, file: String, line: Int, text: () -> String) {
        let wantText = examples.count < CoreDNSLogFacts.maxExamples
        if q.rcode == "NXDOMAIN" {
            if recent.count >= CoreDNSLogFacts.maxClients, recent[q.client] == nil { recent.removeAll(keepingCapacity: true) }
            let e = TextEvidence(file: file, line: line, text: wantText ? text() : "", match: q)
            Self.push(e, into: &recent[q.client, default: []])
        } else if q.rcode == "NOERROR" {
            guard let window = recent[q.client] else { return }
            let prefix = q.name.hasSuffix(".") ? q.name : q.name + "."
            let siblings = window.filter { $0.match.type == q.type && $0.match.name.utf8.count > prefix.utf8.count && $0.match.name.hasPrefix(prefix) }
            guard !siblings.isEmpty else { return }
            if siblings.count == window.count {
                recent[q.client] = nil
            } else {
                recent[q.client]!.removeAll { s in siblings.contains { $0.file == s.file && $0.line == s.line } }
            }
            chainedQueries += siblings.count + 1
            clientsWithChains[q.client, default: 0] += 1
            if wantText {
                examples.append(Chain(client: q.client, siblings: siblings, answer: TextEvidence(file: file, line: line, text: text(), match: q)))
            }
        }
    }

    private static func push(_ e: TextEvidence<CoreDNSQuery>, into window: inout [TextEvidence<CoreDNSQuery>]) {
        if window.count >= CoreDNSLogFacts.lookBack { window.removeFirst() }
        window.append(e)
    }
}
