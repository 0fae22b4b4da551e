/// What a TCP connection attempt's packets showed, as far as its state depends on them: the
/// input of `ConnectionAttempt.State(_:)`. Only attempts whose first packet is the originator's
/// SYN have a state (a conversation first seen midstream is Zeek's `OTH` and is not an attempt).
public struct ConnectionOpening: Sendable, Equatable {
    /// The responder sent a SYN-ACK.
    public var synAck: Bool
    /// The originator acknowledged that SYN-ACK (ACK without SYN or RST, ack = its sequence + 1).
    public var handshakeAck: Bool
    /// Packets the responder sent, of any kind.
    public var responderPackets: Int
    /// One of them was a RST.
    public var responderRST: Bool

    public init(synAck: Bool, handshakeAck: Bool, responderPackets: Int, responderRST: Bool) {
        self.synAck = synAck
        self.handshakeAck = handshakeAck
        self.responderPackets = responderPackets
        self.responderRST = responderRST
    }
}

extension ConnectionAttempt.State {
    /// The state of an attempt, a function of its opening alone, in this order (the first case that
    /// holds), and how it maps to Zeek's `conn_state` (domain reference §1.3):
    ///
    /// | opening | state | Zeek `conn_state` |
    /// |---|---|---|
    /// | SYN-ACK, then the originator's ACK | `established` | S1, SF, S2, S3, RSTO, RSTR (how it ended) |
    /// | SYN-ACK, no ACK from the originator | `synAckOnly` | S1, or RSTR/S3 when the responder gave up |
    /// | nothing at all from the responder | `unanswered` | S0, or RSTOS0/SH when the originator gave up with a RST/FIN |
    /// | a RST from the responder, no SYN-ACK | `refused` | REJ |
    /// | other packets from the responder, no SYN-ACK, no RST | `other` | OTH |
    ///
    /// What the originator does after its SYNs (retransmit, give up with RST or FIN) does not change
    /// the state: an attempt nobody answered is `unanswered` however the client ended it, which is
    /// what "SYN without SYN-ACK" needs. Retransmitted SYNs with the attempt's first ISN are the same
    /// attempt (`ConnectionAttempt.synCount`); a new ISN is a new attempt and a new `tcp.stream`.
    public init(_ o: ConnectionOpening) {
        if o.synAck {
            self = o.handshakeAck ? .established : .synAckOnly
        } else if o.responderPackets == 0 {
            self = .unanswered
        } else if o.responderRST {
            self = .refused
        } else {
            self = .other
        }
    }
}
