import Artifacts
@testable import Diagnosis
import Foundation
import Testing

/// The CoreDNS log's byte path (`CoreDNSLogLine.scan`, no string per counted query) against the
/// parsed path (`CoreDNSLogLine.parse`, a `CoreDNSQuery` per line): the same facts from real logs.
struct CoreDNSFastPathTests {
    static let logs = ["coredns-log__coredns-2494__k8s-search-path.txt", "coredns-log__coredns-3775__servfail-nxdomain-timestamped.txt",
                       "coredns-log__coredns-3927__servfail-cached.txt", "coredns-log__minikube-5546__servfail-timestamped.txt",
                       "coredns-log__coredns-3941__timeout-and-overflow-error.txt", "coredns-log__coredns-4724__no-response-6s.txt"]

    @Test(arguments: logs)
    func bytePathGivesTheParsedPathsFacts(_ name: String) throws {
        let text = try ParserTests.text("public-text/\(name)")
        var builder = FactsBuilder()
        _ = builder.add(path: name, kind: .corednsLog, text: text)
        let fast = builder.facts.coreDNS
        var slow = CoreDNSLogFacts()
        var rcodes: [String: Int] = [:]
        for (i, line) in ParserTests.lines(text).enumerated() {
            if case .query(let q) = CoreDNSLogLine.parse(line) {
                slow.add(q, file: name, line: i + 1) { String(line) }
                rcodes[q.rcode, default: 0] += 1
            }
        }
        #expect(fast.queries == slow.queries && fast.queries > 0, "\(name)")
        #expect(fast.rcodes == rcodes && slow.rcodes == rcodes, "\(fast.rcodes) \(rcodes)")
        #expect(fast.slowCount == slow.slowCount && fast.slow.map(\.line) == slow.slow.map(\.line))
        #expect(fast.slow.map(\.match) == slow.slow.map(\.match) && fast.failed.map(\.match) == slow.failed.map(\.match))
        #expect(fast.latency.totalCount == slow.latency.totalCount)
        #expect(fast.chains.chainedQueries == slow.chains.chainedQueries && fast.chains.clientsWithChains == slow.chains.clientsWithChains)
        #expect(fast.chains.examples.map { $0.siblings.map(\.line) + [$0.answer.line] }
                == slow.chains.examples.map { $0.siblings.map(\.line) + [$0.answer.line] })
    }

    /// Chains: siblings are consumed, a name that merely shares a prefix is none, the type must
    /// match, and an answer without a trailing dot still finds its expansions.
    @Test func siblingsAreWholeLabelExtensionsOfTheSameType() {
        var f = CoreDNSLogFacts()
        func q(_ name: String, _ rcode: String, type: String = "A", client: String = "10.0.0.1") {
            let line = "[INFO] \(client):1 - 1 \"\(type) IN \(name) udp 40 false 512\" \(rcode) qr,aa,rd 90 0.0001s"
            guard case .query(let query) = CoreDNSLogLine.parse(line[...]) else { Issue.record("not a query: \(line)"); return }
            f.add(query, file: "c.log", line: f.queries + 1) { line }
        }
        q("web.ns.svc.cluster.local.", "NXDOMAIN")
        q("web.svc.cluster.local.", "NXDOMAIN")
        q("webx.cluster.local.", "NXDOMAIN")          // not web + labels
        q("web.cluster.local.", "NXDOMAIN", type: "AAAA")   // another type
        q("web.other.", "NXDOMAIN", client: "10.0.0.2")  // another client
        q("web", "NOERROR")
        #expect(f.chains.examples.count == 1)
        #expect(f.chains.examples.first?.siblings.map(\.line) == [1, 2])
        #expect(f.chains.chainedQueries == 3 && f.chains.clientsWithChains == ["10.0.0.1": 1])
        q("web.", "NOERROR")  // the siblings were consumed
        #expect(f.chains.examples.count == 1)
        q("web.", "NOERROR", type: "AAAA")
        #expect(f.chains.examples.last?.siblings.map(\.line) == [4])
        // every rcode is counted by name, the common ones without a string
        for rcode in ["SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "NOTAUTH", "BADVERS", "NXRRSET", "NOERRORX", "SERVFAI"] { q("x.", rcode) }
        #expect(f.rcodes == ["NXDOMAIN": 5, "NOERROR": 3, "SERVFAIL": 1, "REFUSED": 1, "FORMERR": 1, "NOTIMP": 1, "NOTAUTH": 1,
                             "BADVERS": 1, "NXRRSET": 1, "NOERRORX": 1, "SERVFAI": 1], "\(f.rcodes)")
    }

    /// A client's remembered names live in one buffer: entries consumed from the middle, behind
    /// one that is never answered, do not make it grow without bound.
    @Test func aClientsWindowStaysBounded() {
        var f = CoreDNSLogFacts()
        var line = 0
        func q(_ name: String, _ rcode: String) {
            line += 1
            let text = "[INFO] 10.0.0.1:1 - 1 \"A IN \(name) udp 40 false 512\" \(rcode) qr,aa,rd 90 0.0001s"
            guard case .query(let query) = CoreDNSLogLine.parse(text[...]) else { return }
            f.add(query, file: "c.log", line: line) { text }
        }
        q("never-answered.example.svc.cluster.local.", "NXDOMAIN")
        for i in 0..<20_000 {
            q("name-\(i).default.svc.cluster.local.", "NXDOMAIN")
            q("name-\(i).", "NOERROR")
        }
        let window = f.chains.windows.first
        #expect(window?.entries.count == 1)
        #expect((window?.bytes.count ?? 0) < 4096, "\(window?.bytes.count ?? 0) bytes for one remembered name")
        #expect(f.chains.chainedQueries == 40_000)
    }

    /// Fields are split eight bytes at a time: every field length and separator position, spaces
    /// and tabs, gives the same fields as splitting byte by byte.
    @Test func fieldsOfEveryLengthAndSeparator() {
        for length in 1...40 {
            let name = String(repeating: "a", count: length - 1) + "."
            for sep in [" ", "\t", " \t ", "  "] {
                let line = "[INFO] 10.0.0.1:5353 - 7 \"AAAA\(sep)IN\(sep)\(name)\(sep)udp 40 false 512\"\(sep)NXDOMAIN\(sep)qr,aa,rd 90\(sep)0.25s"
                guard case .query(let q) = CoreDNSLogLine.parse(line[...]) else { Issue.record("not a query: \(line)"); continue }
                #expect(q.name == name && q.type == "AAAA" && q.proto == "udp" && q.rcode == "NXDOMAIN" && q.flags == "qr,aa,rd", "\(line)")
                #expect(q.responseSize == 90 && q.duration == 0.25 && q.client == "10.0.0.1" && q.port == 5353 && q.id == 7)
            }
        }
    }

    /// An `errors` line is kept as a CoreDNS error and still read for what else it says (a
    /// path-MTU error from the upstream socket); a query line is only a query.
    @Test func errorsLinesAreReadForPathMTUToo() {
        var b = FactsBuilder()
        _ = b.add(path: "coredns.log", kind: .corednsLog, text: """
            [ERROR] plugin/errors: 2 big.example.com. TXT: read udp 10.244.0.5:41234->8.8.8.8:53: message too long
            [INFO] 10.244.1.3:40090 - 1 "TXT IN big.example.com. udp 40 false 512" SERVFAIL qr,rd 40 2.5s
            """)
        #expect(b.facts.coreDNS.errors.count == 1 && b.facts.coreDNS.errors.first?.match.upstream == "8.8.8.8:53")
        #expect(b.facts.pathMTULines.map(\.line) == [1])
        #expect(b.facts.coreDNS.queries == 1 && b.facts.coreDNS.failed.map(\.line) == [2])
    }

    /// Clients past the table's growth and past `maxClients` (when the windows are dropped and
    /// their chain counts kept): every chain is counted for its own client.
    @Test func manyClientsKeepTheirChains() {
        var f = CoreDNSLogFacts()
        let clients = CoreDNSLogFacts.maxClients + 500
        var line = 0
        for c in 0..<clients {
            let address = "10.\(c >> 16).\((c >> 8) & 255).\(c & 255)"
            for (name, rcode) in [("svc.ns.svc.cluster.local.", "NXDOMAIN"), ("svc.", "NOERROR")] {
                line += 1
                let text = "[INFO] \(address):1 - 1 \"A IN \(name) udp 40 false 512\" \(rcode) qr,aa,rd 90 0.0001s"
                guard case .query(let q) = CoreDNSLogLine.parse(text[...]) else { Issue.record("not a query"); return }
                f.add(q, file: "c.log", line: line) { text }
            }
        }
        let perClient = f.chains.clientsWithChains
        #expect(perClient.count == clients && perClient.values.allSatisfy { $0 == 1 })
        #expect(perClient["10.0.0.0"] == 1 && perClient["10.0.41.3"] == 1 && perClient["10.0.41.4"] == nil)
        #expect(f.chains.chainedQueries == 2 * clients && f.chains.windows.count <= CoreDNSLogFacts.maxClients)
    }
}
