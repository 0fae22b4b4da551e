import Testing
@testable import Wire

/// The connection state as a pure function of an attempt's opening (`ConnectionAttempt.State(_:)`,
/// Zeek's conn_state in our terms), first as its table of cases, then the same cases as packets
/// through the conversation table, so that what the table records is what the function reads.
@Suite struct ConnectionStateTests {
    typealias State = ConnectionAttempt.State

    /// Every row of the function's table, and the orders in which its conditions are tried.
    @Test(arguments: [
        // (SYN-ACK, handshake ACK, responder packets, responder RST) → state
        (ConnectionOpening(synAck: true, handshakeAck: true, responderPackets: 1, responderRST: false), State.established),
        (ConnectionOpening(synAck: true, handshakeAck: true, responderPackets: 9, responderRST: true), .established),  // RSTR later
        (ConnectionOpening(synAck: true, handshakeAck: false, responderPackets: 1, responderRST: false), .synAckOnly),
        (ConnectionOpening(synAck: true, handshakeAck: false, responderPackets: 2, responderRST: true), .synAckOnly),  // SYN-ACK, then RST
        (ConnectionOpening(synAck: false, handshakeAck: false, responderPackets: 0, responderRST: false), .unanswered),
        (ConnectionOpening(synAck: false, handshakeAck: false, responderPackets: 1, responderRST: true), .refused),
        (ConnectionOpening(synAck: false, handshakeAck: false, responderPackets: 3, responderRST: true), .refused),  // ACKs, then RST
        (ConnectionOpening(synAck: false, handshakeAck: false, responderPackets: 2, responderRST: false), .other),
    ])
    func tableOfCases(_ opening: ConnectionOpening, _ state: State) {
        #expect(State(opening) == state)
    }

    /// The function's inputs are total: every combination has a state, and the SYN-ACK decides
    /// before anything else.
    @Test func everyCombinationHasOneState() {
        for synAck in [false, true] {
            for ack in [false, true] {
                for packets in [0, 1, 5] {
                    for rst in [false, true] {
                        let s = State(ConnectionOpening(synAck: synAck, handshakeAck: ack, responderPackets: packets, responderRST: rst))
                        if synAck { #expect(s == (ack ? .established : .synAckOnly)) }
                        if !synAck && packets == 0 { #expect(s == .unanswered) }
                    }
                }
            }
        }
    }

    static let client: UInt32 = 0x0af4_0105, server: UInt32 = 0x0a60_000a

    /// The same cases as packets: what the conversation table hands the function.
    @Test func packetsGiveTheStatesOfTheTable() {
        func attempt(_ build: (inout FlowTableTests.Feeder) -> Void) -> (State?, completed: Int) {
            var f = FlowTableTests.Feeder()
            build(&f)
            f.table.finish()
            return (f.table.notableAttempts.first?.state, f.table.handshakesCompleted)
        }
        let c = Self.client, s = Self.server
        // SYN, nothing back, the client gives up with a RST (Zeek RSTOS0): unanswered.
        #expect(attempt { f in
            f.send(0, c, 40000, s, 443, .syn, seq: 100)
            f.send(1, c, 40000, s, 443, .syn, seq: 100)
            f.send(3, c, 40000, s, 443, .rst, seq: 101)
        }.0 == .unanswered)
        // SYN answered by RST/ACK (REJ): refused.
        #expect(attempt { f in
            f.send(0, c, 40001, s, 443, .syn, seq: 100)
            f.send(0.001, s, 443, c, 40001, [.rst, .ack], seq: 0, ack: 101)
        }.0 == .refused)
        // SYN-ACK that the client never acknowledges: synAckOnly, however the server ends it.
        #expect(attempt { f in
            f.send(0, c, 40002, s, 443, .syn, seq: 100)
            f.send(0.001, s, 443, c, 40002, [.syn, .ack], seq: 500, ack: 101)
            f.send(3, s, 443, c, 40002, .rst, seq: 501)
        }.0 == .synAckOnly)
        // The responder answers with a bare ACK (no SYN-ACK, no RST): other.
        #expect(attempt { f in
            f.send(0, c, 40003, s, 443, .syn, seq: 100)
            f.send(0.001, s, 443, c, 40003, .ack, seq: 500, ack: 101)
        }.0 == .other)
        // A full handshake after a retransmitted SYN: established (kept because the SYN was resent).
        let done = attempt { f in
            f.send(0, c, 40004, s, 443, .syn, seq: 100)
            f.send(1, c, 40004, s, 443, .syn, seq: 100)
            f.send(1.001, s, 443, c, 40004, [.syn, .ack], seq: 500, ack: 101)
            f.send(1.002, c, 40004, s, 443, .ack, seq: 101, ack: 501)
        }
        #expect(done.0 == .established && done.completed == 1)
        // An ACK of the wrong number does not complete the handshake.
        #expect(attempt { f in
            f.send(0, c, 40005, s, 443, .syn, seq: 100)
            f.send(0.001, s, 443, c, 40005, [.syn, .ack], seq: 500, ack: 101)
            f.send(0.002, c, 40005, s, 443, .ack, seq: 101, ack: 999)
        }.0 == .synAckOnly)
    }
}
