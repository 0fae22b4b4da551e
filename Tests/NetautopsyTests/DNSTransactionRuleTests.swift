import Testing
@testable import Wire

/// tshark's DNS transaction rule (packet-dns.c, 4.0), the one behind `dns_unanswered`, on hand-built
/// messages: what answers a transaction and what does not, across resends, reused ids, conversations,
/// transports and idle conversations. The oracle tests check the same counts against tshark on real captures.
@Suite struct DNSTransactionRuleTests {
    struct Feed {
        var dns = DNSLookups()
        var frame = 0
        let client = IPAddress(ipv4: 0x0af4_0105), server = IPAddress(ipv4: 0x0a60_000a)

        mutating func query(_ at: Double, id: UInt16, port: UInt16 = 40_000, tcp: Bool = false) {
            frame += 1
            dns.add(DNSMessage(id: id, isResponse: false, rcode: 0, name: "web.default.svc.cluster.local", qtype: 1),
                    source: Endpoint(client, port), destination: Endpoint(server, 53), tcp: tcp, frame: frame, time: Int64(at * 1e9))
        }

        mutating func response(_ at: Double, id: UInt16, port: UInt16 = 40_000, tcp: Bool = false) {
            frame += 1
            dns.add(DNSMessage(id: id, isResponse: true, rcode: 0, name: nil, qtype: 0),
                    source: Endpoint(server, 53), destination: Endpoint(client, port), tcp: tcp, frame: frame, time: Int64(at * 1e9))
        }
    }

    @Test func answersFollowTsharksRule() {
        var f = Feed()
        // An answer, then the same answer again: one transaction answered.
        f.query(0, id: 1)
        f.response(1, id: 1)
        f.response(2, id: 1)
        #expect(f.dns.answeredTransactions == 1)
        // A resend within 5 s is no new transaction; one after 5 s unanswered is. The answer takes the latest.
        f.query(10, id: 2)
        f.query(12, id: 2)
        f.query(20, id: 2)
        f.response(21, id: 2)
        #expect(f.dns.answeredTransactions == 2)
        // An id used again after its answer starts a new transaction, answered 70 s later (the conversation
        // is not idle for 120 s).
        f.query(30, id: 1)
        f.query(40, id: 3, port: 40_001)      // another conversation, to run the idle sweep in between
        f.query(95, id: 4, port: 40_001)
        f.response(100, id: 1)
        #expect(f.dns.answeredTransactions == 3)
        // Nothing left to answer.
        f.response(101, id: 1)
        #expect(f.dns.answeredTransactions == 3)
        // An answer in another conversation, or over the other transport, answers nothing here.
        f.query(110, id: 7, port: 40_002)
        f.response(111, id: 7, port: 40_003)
        f.response(112, id: 7, port: 40_002, tcp: true)
        #expect(f.dns.answeredTransactions == 3)
        f.response(113, id: 7, port: 40_002)
        #expect(f.dns.answeredTransactions == 4)
        // A conversation idle for 120 s is forgotten with its transactions: a later answer matches nothing.
        f.query(200, id: 5, port: 40_004)
        f.query(325, id: 6, port: 40_005)     // runs the sweep, 125 s after the query
        f.response(330, id: 5, port: 40_004)
        #expect(f.dns.answeredTransactions == 4)
        // Queries are every query sent; unanswered = queries − answered transactions, as tshark counts them.
        #expect(f.dns.queries == 10 && f.dns.responses == 9)
    }
}
