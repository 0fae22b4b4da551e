import Testing
@testable import Wire

/// The TCP conversation table's memory bounds: openings for lone SYNs, flushing of closed and
/// inactive conversations, and the record of resumptions that make tcp.stream numbers differ.
@Suite struct FlowTableTests {
    /// Feeds hand-built segments to a `TCPConversations`, one frame number each.
    struct Feeder {
        var table = TCPConversations()
        var frame = 0

        init(settings: TCPAnalysisSettings = .init()) { table.settings = settings }

        @discardableResult
        mutating func send(_ at: Double, _ src: UInt32, _ sport: UInt16, _ dst: UInt32, _ dport: UInt16, _ flags: TCPFlags,
                           seq: UInt32 = 1000, ack: UInt32 = 0, payload: Int = 0) -> Int {
            frame += 1
            let ip = IPHeader(version: 4, source: IPAddress(ipv4: src), destination: IPAddress(ipv4: dst), protocolNumber: 6,
                              ttl: 64, totalLength: 40 + payload, headerLength: 20, dontFragment: true, fragment: nil)
            let tcp = TCPHeader(sourcePort: sport, destinationPort: dport, sequence: seq, acknowledgment: ack, flags: flags,
                                window: 65535, headerLength: 20, payloadLength: payload, mss: flags.contains(.syn) ? 1460 : 0)
            table.add(tcp, ip: ip, frame: frame, time: Int64(at * 1e9))
            return frame
        }

        /// A whole connection: handshake, one request, FINs from both sides, the last ACK (7 frames).
        mutating func connection(at t: Double, client: UInt32, port: UInt16, server: UInt32) {
            send(t, client, port, server, 80, .syn, seq: 100)
            send(t + 0.0001, server, 80, client, port, [.syn, .ack], seq: 500, ack: 101)
            send(t + 0.0002, client, port, server, 80, .ack, seq: 101, ack: 501)
            send(t + 0.0003, client, port, server, 80, [.ack, .psh], seq: 101, ack: 501, payload: 10)
            send(t + 0.0004, server, 80, client, port, [.fin, .ack], seq: 501, ack: 111)
            send(t + 0.0005, client, port, server, 80, [.fin, .ack], seq: 111, ack: 502)
            send(t + 0.0006, server, 80, client, port, .ack, seq: 502, ack: 112)
        }
    }

    static let client: UInt32 = 0x0af4_0105, server: UInt32 = 0x0a60_000a

    /// The positions of a table's entries (not its holes).
    func live<K, V>(_ table: FlowTable<K, V>) -> [Int] { (0..<table.endPosition).filter { table.isLive($0) } }

    /// The open-addressing table against `Dictionary` as the model: a long random run of inserts, finds
    /// and removals, one at a time and in bulk (backward-shift deletion and the rebuilt index must keep every
    /// remaining key findable), with IPv4 and IPv6
    /// keys that share addresses and differ only in ports, and a table grown (once by a reservation) and emptied
    /// several times.
    /// With `recencyOrder`, removals leave holes that insertions fill, and nothing moves.
    @Test(arguments: [false, true]) func hashTableAgreesWithADictionaryThroughChurn(recencyOrder: Bool) {
        var table = FlowTable<EndpointPair, Int>(recencyOrder: recencyOrder)
        var model: [EndpointPair: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        var disagreements = 0
        func key(_ n: Int) -> EndpointPair {
            let v6 = n % 3 == 0
            let a = v6 ? IPAddress(ipv6High: 0xfd00_0000_0000_0000, low: UInt64(n % 7)) : IPAddress(ipv4: 0x0a00_0001 &+ UInt32(n % 5))
            let b = v6 ? IPAddress(ipv6High: 0xfd00_0000_0000_0001, low: 9) : IPAddress(ipv4: 0x0a00_0063)
            return EndpointPair(Endpoint(a, UInt16(1024 + n % 50_000)), Endpoint(b, UInt16(443 + n / 50_000)))
        }
        for round in 0..<3 {
            for step in 0..<60_000 {
                // Once, room reserved for more than the table holds: the index is rebuilt larger mid-run.
                if round == 2 && step == 30_000 { table.reserveCapacity(100_000) }
                let n = Int.random(in: 0..<(round == 1 ? 2_000 : 40_000), using: &rng)
                let k = key(n)
                let position = table.find(k)
                if position.map({ table.values[$0] }) != model[k] { disagreements += 1 }
                if step % 5_000 == 4_999 {
                    // Now and then a share removed at once, as an eviction does (an eighth, removed in one batch),
                    // or half (an idle sweep may), or a few (removed one by one).
                    let odds = step % 20_000 == 9_999 ? 2 : step % 10_000 == 4_999 ? 8 : 500
                    let doomed = Set(live(table).filter { _ in Int.random(in: 0..<odds, using: &rng) == 0 })
                    for p in doomed { model[table.keys[p]] = nil }
                    table.remove(sortedPositions: doomed.sorted())
                    if table.count != model.count { disagreements += 1 }
                    continue
                }
                if let position {
                    if step % 3 == 0 { table.values[position] += 1; model[k]! += 1 } else {
                        if table.remove(at: position) != model.removeValue(forKey: k) { disagreements += 1 }
                    }
                } else {
                    table.insert(k, hash: table.hash(k), step)
                    model[k] = step
                }
                if table.count != model.count { disagreements += 1 }
            }
            #expect(disagreements == 0)
            #expect(model.count > (round == 1 ? 500 : 10_000))
            #expect(Dictionary(uniqueKeysWithValues: live(table).map { (table.keys[$0], table.values[$0]) }) == model)
            for (k, v) in model { #expect(table.find(k).map { table.values[$0] } == v) }
            table.removeAll()
            model.removeAll()
        }
    }

    /// A table made with `recencyOrder` gives its least recently touched entries in the order of their last touch
    /// (insertion or `touch`), against an ordered list as the model: through touches enough to compact the log
    /// many times, removals one at a time and in batches of every size (each leaving a hole that a later
    /// insertion fills), and a table emptied and filled again.
    @Test func leastRecentlyTouchedFollowsTheLastTouches() {
        var table = FlowTable<EndpointPair, Int>(recencyOrder: true)
        var model: [EndpointPair] = []   // least recently touched first
        var rng = SystemRandomNumberGenerator()
        var disagreements = 0, checks = 0
        func key(_ n: Int) -> EndpointPair {
            EndpointPair(Endpoint(IPAddress(ipv4: 0x0a00_0001 &+ UInt32(n % 3)), UInt16(1024 + n)), Endpoint(IPAddress(ipv4: 0x0a00_0063), 443))
        }
        func check() {
            checks += 1
            for n in [1, 7, model.count / 3, model.count, model.count + 5] {
                if table.leastRecentlyTouched(n).map({ table.keys[$0] }) != Array(model.prefix(n)) { disagreements += 1 }
            }
        }
        for _ in 0..<2 {
            for step in 0..<30_000 {
                let k = key(Int.random(in: 0..<1_000, using: &rng))
                if step % 3_000 == 2_999 {
                    let odds = [2, 8, 300][step / 3_000 % 3]
                    let doomed = Set(live(table).filter { _ in Int.random(in: 0..<odds, using: &rng) == 0 })
                    let doomedKeys = Set(doomed.map { table.keys[$0] })
                    model.removeAll { doomedKeys.contains($0) }
                    table.remove(sortedPositions: doomed.sorted())
                    check()
                    continue
                }
                if let position = table.find(k) {
                    if Int.random(in: 0..<4, using: &rng) == 0 {
                        table.remove(at: position)
                        model.removeAll { $0 == k }
                    } else {
                        table.touch(position)
                        model.removeAll { $0 == k }
                        model.append(k)
                    }
                } else {
                    table.insert(k, hash: table.hash(k), step)
                    model.append(k)
                }
                if step % 499 == 0 { check() }
            }
            check()
            table.removeAll()
            model.removeAll()
            #expect(table.leastRecentlyTouched(3).isEmpty)
        }
        #expect(disagreements == 0)
        #expect(checks > 80)
    }

    /// The closing queue (in-order closings first-in first-out, the rest in a heap) yields what one heap would:
    /// times that mostly rise, some that step back, ties broken by stream.
    @Test func closingQueueYieldsTheLeastFirstLikeAHeap() {
        var queue = TCPConversations.ClosingQueue()
        var model: [TCPConversations.Closing] = []
        var rng = SystemRandomNumberGenerator()
        var clock: Int64 = 0, popped = 0, disagreements = 0
        for stream in 0..<4_000 {
            clock += Int64.random(in: 0..<3, using: &rng)
            let due = Int.random(in: 0..<10, using: &rng) == 0 ? clock - Int64.random(in: 0..<50, using: &rng) : clock
            let c = TCPConversations.Closing(due: due, stream: stream, place: stream)
            queue.insert(c)
            model.append(c)
            while Int.random(in: 0..<3, using: &rng) == 0, let least = model.min() {
                if queue.min != least { disagreements += 1 }
                queue.removeMin()
                model.remove(at: model.firstIndex(of: least)!)
                popped += 1
            }
            if queue.unordered.count != model.count { disagreements += 1 }
        }
        while let least = model.min() {
            if queue.min != least { disagreements += 1 }
            queue.removeMin()
            model.remove(at: model.firstIndex(of: least)!)
        }
        #expect(disagreements == 0)
        #expect(queue.min == nil)
        #expect(popped > 500)
    }

    @Test func synFloodIsCountedInOpeningsAndEveryAttemptReported() {
        var f = Feeder()
        let n = 30_000
        for i in 0..<n { f.send(Double(i) / 10_000, Self.client &+ UInt32(i / 60_000), UInt16(1024 + i % 60_000), Self.server, 443, .syn) }
        // One of them is answered after all: the SYN-ACK promotes its opening, and the client completes it.
        f.send(3.5, Self.server, 443, Self.client, 1024 + 7, [.syn, .ack], seq: 9, ack: 1001)
        f.send(3.6, Self.client, 1024 + 7, Self.server, 443, .ack, seq: 1001, ack: 10)
        f.table.finish()
        #expect(f.table.unansweredAttempts == n - 1)
        #expect(f.table.handshakesCompleted == 1)
        #expect(f.table.peakLiveConversations == n)
        #expect(f.table.flushedConversations == 0)
        let attempts = f.table.notableAttempts
        #expect(attempts.count == n - 1)
        #expect(attempts.map(\.stream) == Array(0..<7) + Array(8..<n))
        #expect(attempts.allSatisfy { $0.state == .unanswered && $0.synCount == 1 && $0.synFrames == [$0.stream + 1] && $0.mss == 1460 })
    }

    /// The capture timeline finds the gaps and steps back its documentation defines, checked against that definition
    /// computed directly (the frames counted in each whole second, `t / 1e9`, of the window before a silence) on random
    /// timestamps: bursts and silences, steps back small and large, negative times and seconds around zero.
    @Test func captureTimelineAgreesWithItsDefinition() {
        var rng = SplitMix64(seed: 7)
        var mismatches = 0
        for round in 0..<60 {
            var timeline = CaptureTimeline()
            var counted: [Int64] = []   // the seconds of the frames counted (not steps back)
            var latest: Int64?
            var latestFrame = 0
            var expectedGaps: [CaptureGap] = []
            var reversals = 0
            var t: Int64 = round % 3 == 0 ? -5_000_000_000 : Int64.random(in: 0..<4_000_000_000, using: &rng)
            for frame in 1...2_000 {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<2: t += Int64.random(in: 1_000_000_000..<25_000_000_000, using: &rng)    // a silence
                case 2..<4: t -= Int64.random(in: 0..<3_000_000_000, using: &rng)                // a step back
                default: t += Int64.random(in: 0..<(round % 2 == 0 ? 20_000_000 : 300_000_000), using: &rng)
                }
                timeline.add(t, frame: frame)
                guard let last = latest else {
                    latest = t; latestFrame = frame; counted.append(t / 1_000_000_000)
                    continue
                }
                if t < last {
                    if last - t >= CaptureTimeline.reversalMinimum { reversals += 1 }
                    continue
                }
                if t - last >= CaptureTimeline.gapMinimum {
                    let now = counted.last!, first = counted.first!
                    let inWindow = counted.filter { $0 > now - Int64(CaptureTimeline.rateWindow) }.count
                    let covered = Swift.min(Int64(CaptureTimeline.rateWindow), Swift.max(1, now - first + 1))
                    let expected = Double(inWindow) / Double(covered) * Double(t - last) / 1e9
                    if expected >= CaptureTimeline.gapExpectedFrames {
                        expectedGaps.append(CaptureGap(frameBefore: latestFrame, frameAfter: frame, start: last, end: t, expectedFrames: expected))
                    }
                }
                latest = t; latestFrame = frame; counted.append(t / 1_000_000_000)
            }
            let byDuration = expectedGaps.sorted { $0.duration > $1.duration }
            if timeline.finished() != byDuration || timeline.reversals != reversals { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// The bounded list of attempts keeps the lowest streams offered, in stream order, and counts the rest, whatever
    /// the order they come in: checked against sorting them all, with orders that are sorted, sorted but for one late
    /// stream (the list fills in order, then a lower stream comes), reversed and shuffled.
    @Test func keptAttemptsHoldTheLowestStreamsInAnyOrder() {
        var rng = SplitMix64(seed: 24)
        let capacity = 40
        func attempt(_ stream: Int) -> ConnectionAttempt {
            ConnectionAttempt(stream: stream, client: Endpoint(IPAddress(ipv4: 1), 1), server: Endpoint(IPAddress(ipv4: 2), 2),
                              isn: 0, state: .unanswered, syns: Sends(frame: stream + 1, time: 0), synCount: 1, synAckFrame: nil,
                              synAckTime: nil, rstFrame: nil, rstTime: nil, rstTTL: nil, mss: 0, lastTime: 0)
        }
        var orders: [[Int]] = []
        for n in [0, 1, 39, 40, 41, 50, 51, 120] {
            orders.append(Array(0..<n))
            orders.append(Array((0..<n).reversed()))
            for late in [0, 5, 39, 45] where late < n {
                orders.append(Array(0..<n).filter { $0 != late } + [late])
            }
            for _ in 0..<20 { orders.append(Array(0..<n).shuffled(using: &rng)) }
        }
        var mismatches = 0
        for order in orders {
            var kept = KeptAttempts(capacity: capacity)
            var built = 0
            for stream in order { kept.offer(stream: stream, { built += 1; return attempt(stream) }()) }
            kept.finish()
            let expected = Array(order.sorted().prefix(capacity))
            if kept.attempts.map(\.stream) != expected || kept.notKept != order.count - expected.count { mismatches += 1 }
            // In stream order, nothing past the first `capacity` is built.
            if order == order.sorted() && built != expected.count { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Past `maxKeptAttempts`, the lowest streams are kept whatever order they retire in: here a flood's
    /// lone SYNs retire by eviction, in stream order, while the first 20 attempts (SYNs resent throughout)
    /// stay live and retire only at the end.
    @Test func keptAttemptsAreTheLowestStreamsWhenAFloodOverflowsThem() {
        var settings = TCPAnalysisSettings()
        settings.maxLiveConversations = 10_000
        var f = Feeder(settings: settings)
        let early = 20, flood = 200_000
        for i in 0..<early { f.send(0, Self.client, UInt16(2000 + i), Self.server, 443, .syn) }
        for i in 0..<flood {
            let t = 0.001 + Double(i) / 1_000_000
            f.send(t, Self.client &+ 1 &+ UInt32(i / 50_000), UInt16(10_000 + i % 50_000), Self.server, 443, .syn)
            if i % 4_000 == 0 { for j in 0..<early { f.send(t, Self.client, UInt16(2000 + j), Self.server, 443, .syn) } }
        }
        f.table.finish()
        let kept = f.table.notableAttempts
        #expect(f.table.unansweredAttempts == early + flood)
        #expect(kept.map(\.stream) == Array(0..<TCPConversations.maxKeptAttempts))
        #expect(f.table.notableAttemptsNotKept == early + flood - TCPConversations.maxKeptAttempts)
        #expect(kept.prefix(early).allSatisfy { $0.synCount == 51 && $0.synFrames.count == TCPConversations.maxSynFrames })
        #expect(kept.dropFirst(early).allSatisfy { $0.synCount == 1 && $0.synFrames.count == 1 && $0.synTimes.count == 1 })
    }

    /// A limit set far beyond the default (to mean "none") does not trap when the table grows past the point where a
    /// default-sized one is reserved (16,384 live): reserving for `Int.max` overflowed before the reservation's cap.
    @Test func aLimitOfIntMaxOnLiveConversationsDoesNotTrapWhereTablesAreReserved() {
        var settings = TCPAnalysisSettings()
        settings.maxLiveConversations = .max
        var f = Feeder(settings: settings)
        let n = 20_000
        for i in 0..<n { f.send(Double(i) / 10_000, Self.client &+ UInt32(i / 50_000), UInt16(1024 + i % 50_000), Self.server, 443, .syn) }
        f.table.finish()
        #expect(f.table.unansweredAttempts == n)
        #expect(f.table.evictedConversations == 0)
        #expect(f.table.peakLiveConversations == n)
    }

    @Test func aRetransmittedSYNPromotesAndCountsBothSends() {
        var f = Feeder()
        f.send(0, Self.client, 40000, Self.server, 443, .syn)
        f.send(1, Self.client, 40000, Self.server, 443, .syn)
        f.send(3, Self.client, 40000, Self.server, 443, .syn, seq: 7000) // a new ISN: a new stream
        f.table.finish()
        let attempts = f.table.notableAttempts
        #expect(attempts.map(\.stream) == [0, 1])
        #expect(attempts.map(\.synFrames) == [[1, 2], [3]])
        #expect(attempts.map(\.synCount) == [2, 1])
        #expect(f.table.unansweredAttempts == 2)
    }

    @Test func closedConnectionsAreFlushedSoMemoryFollowsTheLiveOnes() {
        var f = Feeder()
        // 5,000 connections at 100 a second, each closed within a millisecond.
        for i in 0..<5_000 { f.connection(at: Double(i) / 100, client: Self.client, port: UInt16(10_000 + i), server: Self.server) }
        f.table.finish()
        #expect(f.table.handshakesCompleted == 5_000)
        // Closed ones go 5 s after their last packet: about 500 live at once, never all 5,000.
        #expect(f.table.peakLiveConversations <= 600)
        #expect(f.table.flushedConversations >= 4_400)
        #expect(f.table.resumedConversations == 0)
        #expect(f.table.notableAttempts.isEmpty)
    }

    @Test func aLateSegmentOfAFlushedConnectionIsCountedAsResumed() {
        var f = Feeder()
        f.connection(at: 0, client: Self.client, port: 40000, server: Self.server)
        f.send(4, Self.client, 40001, Self.server, 80, .syn) // within the linger: nothing flushed yet
        #expect(f.table.flushedConversations == 0)
        let late = f.send(6, Self.server, 80, Self.client, 40000, [.rst, .ack], seq: 502, ack: 112)
        #expect(f.table.flushedConversations == 1)
        #expect(f.table.resumedConversations == 1)
        #expect(f.table.firstResumedFrame == late)
        // A new SYN on the flushed ports is a new stream in tshark too: not a resumption.
        f.send(20, Self.client, 40000, Self.server, 80, .syn, seq: 9000)
        f.table.finish()
        #expect(f.table.resumedConversations == 1)
    }

    @Test func inactiveConversationsAreFlushedAfterTheTimeout() {
        var s = TCPAnalysisSettings()
        s.inactivityTimeout = 10_000_000_000
        var f = Feeder(settings: s)
        f.send(0, Self.client, 40000, Self.server, 443, .syn)
        f.send(0.5, Self.client, 40001, Self.server, 443, [.ack, .psh], seq: 1, ack: 1, payload: 100)
        f.send(9, Self.client, 40002, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 0)
        f.send(12, Self.client, 40003, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 2)
        // The flushed attempt is still reported as unanswered.
        #expect(f.table.unansweredAttempts == 1)
        f.table.finish()
        #expect(f.table.unansweredAttempts == 3)
        #expect(f.table.notableAttempts.map(\.stream) == [0, 2, 3])
    }

    @Test func absurdTimestampsAreClampedAndDoNotTrap() {
        let bytes: [UInt8] = []
        let times: [Int64] = bytes.withUnsafeBytes { b in
            [Int64.min, -1, 0, 1 << 62, .max].map {
                PacketRecord(frameNumber: 1, timestamp: $0, capturedLength: 0, originalLength: 0, linkTypeValue: 101,
                             interfaceID: 0, bytes: b).timestamp!
            }
        }
        #expect(times == [0, 0, 0, 1 << 62, 1 << 62])
        var f = Feeder()
        for (i, t) in times.enumerated() {
            f.send(Double(t) / 1e9, Self.client, 40000, Self.server, 443, i == 0 ? .syn : [.fin, .ack], seq: 1000 &+ UInt32(i), ack: 1)
        }
        f.table.finish()
        // The conversation's own far-future packets confirm the jump: it is live there, not idle.
        #expect(f.table.flushedConversations == 0)
    }

    @Test func oneFarFutureTimestampDoesNotFlushEverything() {
        var f = Feeder()
        f.send(0, Self.client, 40000, Self.server, 443, .syn)
        f.send(0.1, Self.client, 40001, Self.server, 443, .syn)
        f.send(10_000, Self.client, 40002, Self.server, 443, .syn) // a corrupt timestamp, hours ahead
        f.send(1, Self.server, 443, Self.client, 40000, [.syn, .ack], seq: 9, ack: 1001)
        #expect(f.table.flushedConversations == 0)
        #expect(f.table.resumedConversations == 0)
        // A real jump (two packets agree) flushes what went idle, and the clock goes on from there.
        f.send(20_000, Self.client, 40003, Self.server, 443, .syn)
        f.send(20_000.5, Self.client, 40004, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 3)
        f.connection(at: 20_001, client: Self.client, port: 40005, server: Self.server)
        f.send(20_007, Self.client, 40006, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 4)
    }

    @Test func concatenatedCapturesRestartTheClock() {
        var f = Feeder()
        f.connection(at: 10_000, client: Self.client, port: 40000, server: Self.server)
        f.connection(at: 10_001, client: Self.client, port: 40001, server: Self.server)
        // The second file starts hours earlier: the first file's closed conversations go at once,
        // and the clock runs on from the earlier time.
        f.connection(at: 0, client: Self.client, port: 40002, server: Self.server)
        #expect(f.table.flushedConversations == 2)
        f.send(4, Self.client, 50000, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 2)
        f.send(6, Self.client, 50001, Self.server, 443, .syn)
        #expect(f.table.flushedConversations == 3)
    }

    @Test func aConversationClosedByItsFirstPacketIsFlushedToo() {
        var f = Feeder()
        for i in 0..<1_000 { f.send(Double(i) / 100, Self.server, 443, Self.client, UInt16(20_000 + i), [.rst, .ack], seq: 1, ack: 1) }
        #expect(f.table.peakLiveConversations <= 600)
        // A SYN that carries RST too is a full conversation with a reset, not an opening.
        f.send(11, Self.client, 40000, Self.server, 443, [.syn, .rst])
        f.table.finish()
        #expect(f.table.flows.count == 1_001)
        #expect(f.table.flows.last?.clientToServer.resets == 1)
    }

    @Test func bloomFilterNeverForgetsAndRarelyInvents() {
        func key(_ i: Int) -> EndpointPair {
            EndpointPair(Endpoint(IPAddress(ipv4: Self.client &+ UInt32(i >> 16)), UInt16(truncatingIfNeeded: i)),
                         Endpoint(IPAddress(ipv4: Self.server), 443))
        }
        var filter = BloomFilter()
        #expect(!filter.mayContain(key(1)))
        for i in 0..<100_000 { filter.insert(key(i)) }
        #expect((0..<100_000).allSatisfy { filter.mayContain(key($0)) })
        let invented = (100_000..<200_000).count { filter.mayContain(key($0)) }
        #expect(invented < 100) // ≈ 0.001 % expected at 100k keys in 2^23 bits
        // At a million keys, what the documentation says: about 2.5 % false positives (a filter whose four bits
        // fell in fewer places, or that lost its blocks' spread, would be far off).
        for i in 200_000..<1_100_000 { filter.insert(key(i)) }
        let atAMillion = (2_000_000..<2_100_000).count { filter.mayContain(key($0)) }
        #expect(atAMillion > 1_000 && atAMillion < 3_500, "\(atAMillion) of 100,000")
    }
    /// Flows of large packets are kept on as many interfaces as their sizes are (`maxInterfaces`), no more.
    @Test func largePacketFlowsStopAtTheInterfaceCap() {
        var sizes = PacketSizes()
        let flow = InnerFlow(source: IPAddress("10.244.1.5")!, destination: IPAddress("10.244.2.7")!, protocolNumber: 6,
                             sourcePort: 40000, destinationPort: 8080)
        let n = PacketSizes.maxInterfaces + 6
        for i in 0..<n {
            sizes.add(1500, interface: .init(capture: UInt32(i), ifindex: nil), frame: i + 1, time: nil, flow: flow)
        }
        let kept = (0..<n).filter { !sizes.flows(above: 1450, on: .init(capture: UInt32($0), ifindex: nil)).isEmpty }
        #expect(kept == Array(0..<PacketSizes.maxInterfaces))
        #expect(sizes.byInterface.count == PacketSizes.maxInterfaces)
        #expect(sizes.packetsOfFlowsNotKept == 6)
    }
}
