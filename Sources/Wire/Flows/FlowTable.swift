import CPrefetch

/// A key of a `FlowTable`: up to five words that identify it (an address pair and its ports, say), which
/// the table's keyed hash mixes. Equal keys must have equal words.
protocol FlowTableKey: Equatable {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64) { get }
}

extension IPAddress: FlowTableKey {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64) { (high, low, 0, 0, isIPv6 ? 1 : 0) }
}

extension Endpoint: FlowTableKey {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64) {
        (address.high, address.low, 0, 0, UInt64(port) << 32 | (address.isIPv6 ? 1 : 0))
    }
}

/// The per-packet map from a flow's key (a TCP conversation, a DNS conversation or lookup) to what is live
/// at that key: an open-addressing hash table in the layout of Python's compact dict or Rust's `indexmap`.
///
/// - Entries live in two dense arrays, keys and values, so walking every entry (the idle sweep, the end of
///   the capture) reads memory in order. Removing an entry moves the last one into its place; in a
///   table made with `recencyOrder` (the TCP conversations') nothing moves: the entry leaves a hole, which
///   the next insertion fills, so a removal writes only its slot (a flood removes 738,000 entries at random).
/// - They are found through an index of 64-bit slots, a power of two long and at most three quarters full,
///   probed linearly; each entry knows its slot, for removal. A slot holds the entry's position plus one
///   (0: empty) and the upper 32 bits of its hash, so a probe compares a key only when those match.
///   Removal shifts the following slots back (Knuth's Algorithm R): no tombstones, so probes stay short
///   however many entries come and go.
/// - The hash mixes the key's five words with secrets drawn at random for each table (folded 128-bit
///   products, as wyhash does). A capture crafted so that its flows collide cannot know them. Nothing a
///   report says depends on them: the entries' order follows only the insertions and removals.
///
/// - A table made with `recencyOrder` also keeps its entries in the order they were last touched (inserted,
///   or passed to `touch`), so that the least recently touched can be found without looking at the rest: a
///   log of positions, one record per touch, where each entry knows its latest record and older ones are
///   skipped as stale. The log is compacted once it holds twice as many records as entries (amortised
///   constant time per touch). Its entries keep their positions (below), so a record never has to move.
/// - `reserveCapacity` sizes the arrays and the index at once and advises huge pages for them.
/// Swift's `Dictionary` would hash the key with SipHash and keep 48-byte keys and values in buckets at up
/// to 75 % load; here a SYN flood's table costs about 130 bytes per entry (key 48, value 48, index 16, slot 4,
/// recency 12) and a lookup one or two cache misses.
struct FlowTable<Key: FlowTableKey, Value> {
    private(set) var keys: [Key] = []
    /// The values, by position: mutate in place through `values[position]`.
    var values: [Value] = []
    private var slots: [UInt64] = []
    /// The slot that points at each position: removal needs no probing.
    private var slotOf: [Int32] = []
    private var mask = 0
    /// What hashes the keys; a copy hashes them the same, on another thread.
    let hasher: KeyHasher
    /// Whether the touch order is kept (`recencyOrder`), and with it stable positions: a removal leaves a hole
    /// that a later insertion fills, rather than moving the last entry into it.
    private let keepsRecency: Bool
    /// The holes, the next to fill last.
    private var holes: [Int32] = []
    /// Positions in the order they were touched, one record each time; a record is current when it is its
    /// position's latest (`latest[position]` is its index), stale otherwise. Those before `logStart` are stale.
    private var log: [Int32] = []
    private var logStart = 0
    /// The index in `log` of each position's latest record.
    private var latest: [UInt32] = []

    /// `recencyOrder`: the touch order is kept, and entries never move; a removed one leaves a hole in the arrays
    /// (`isLive` is false there, and `keys` and `values` hold what was removed) until an insertion fills it. For
    /// plain values only.
    init(recencyOrder: Bool = false) {
        hasher = KeyHasher()
        keepsRecency = recencyOrder
    }

    /// The table's keyed hash: five secrets drawn at random for each table, folded with the key's words.
    struct KeyHasher: Sendable {
        private let secrets: (UInt64, UInt64, UInt64, UInt64, UInt64)

        init() {
            var g = SystemRandomNumberGenerator()
            // Odd, so that no secret is zero and no product by a secret loses bits.
            secrets = (g.next() | 1, g.next() | 1, g.next() | 1, g.next() | 1, g.next() | 1)
        }

        @inline(__always)
        func hash(_ k: Key) -> UInt64 {
            let w = k.words
            let x = Self.fold(w.0 ^ secrets.0, w.1 ^ secrets.1)
            let y = Self.fold(w.2 ^ secrets.2, w.3 ^ secrets.3)
            return Self.fold(x ^ w.4, y ^ secrets.4)
        }

        @inline(__always)
        private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let p = a.multipliedFullWidth(by: b)
            return p.high ^ p.low
        }
    }

    /// The live entries.
    var count: Int { keys.count - holes.count }

    /// One past the last position an entry may be at: live entries and holes are below it.
    var endPosition: Int { keys.count }

    /// Whether an entry is at `position` (below `endPosition`), not a hole.
    @inline(__always)
    func isLive(_ position: Int) -> Bool { slotOf[position] >= 0 }

    /// The key's hash: compute it once per packet and pass it to `find` and `insert`.
    @inline(__always)
    func hash(_ k: Key) -> UInt64 { hasher.hash(k) }

    /// The slot's tag: the upper half of the hash, which also chooses the first slot probed.
    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt64 { hash >> 32 }

    /// The position of `key`, or nil.
    @inline(__always)
    func find(_ key: Key, hash: UInt64) -> Int? {
        guard !slots.isEmpty else { return nil }
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if s >> 32 == tag, keys[Int(s & 0xffff_ffff) - 1] == key { return Int(s & 0xffff_ffff) - 1 }
            i = (i + 1) & mask
        }
    }

    func find(_ key: Key) -> Int? { find(key, hash: hash(key)) }

    /// Starts loading the first slot a key of this hash probes, for a `find` a few packets later: the index is
    /// megabytes, so that slot is a cache miss, and misses started together overlap.
    @inline(__always)
    func prefetch(hash: UInt64) {
        slots.withUnsafeBufferPointer { slots in
            guard let base = slots.baseAddress else { return }
            netautopsy_prefetch(base + (Int(truncatingIfNeeded: Self.tag(hash)) & mask))
        }
    }

    /// The position of `key`, which is added with `value` when absent (at the last position, or in a hole).
    mutating func position(of key: Key, orInsert value: @autoclosure () -> Value) -> Int {
        let hash = hash(key)
        if let found = find(key, hash: hash) { return found }
        return insert(key, hash: hash, value())
    }

    /// Reserves room for `n` entries: the dense arrays are then not copied at each doubling (their pages are
    /// touched only as entries arrive), and the index, sized for them at once, is not rebuilt.
    /// The arrays, read and written at random, are advised huge pages (a table this large would otherwise miss the
    /// TLB on nearly every access).
    mutating func reserveCapacity(_ n: Int) {
        if n * 4 > slots.count * 3 { grow(toHold: n) }
        keys.reserveCapacity(n)
        Self.adviseHugePages(&keys)
        values.reserveCapacity(n)
        Self.adviseHugePages(&values)
        slotOf.reserveCapacity(n)
        Self.adviseHugePages(&slotOf)
        if keepsRecency {
            latest.reserveCapacity(n)
            Self.adviseHugePages(&latest)
            log.reserveCapacity(2 * n + 1024)
            Self.adviseHugePages(&log)
        }
    }

    /// Advises huge pages for the untouched part of the array's storage, up to its capacity.
    private static func adviseHugePages<T>(_ array: inout [T]) {
        let capacity = array.capacity, count = array.count
        array.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            netautopsy_advise_huge_pages(UnsafeMutableRawPointer(base + count), (capacity - count) * MemoryLayout<T>.stride)
        }
    }

    /// Adds `key`, which must not be present, with `value`, at the last position or, with `recencyOrder`, in the
    /// latest hole. Returns its position.
    @discardableResult
    mutating func insert(_ key: Key, hash: UInt64, _ value: Value) -> Int {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        if let hole = holes.popLast().map(Int.init) {
            // The hole filled next is a cache miss: started one insertion ahead, it lands in time.
            if let next = holes.last { prefetchEntry(Int(next)) }
            slotOf[hole] = Int32(place(tag: Self.tag(hash), position: hole))
            keys[hole] = key
            values[hole] = value
            touch(hole)
            return hole
        }
        slotOf.append(Int32(place(tag: Self.tag(hash), position: keys.count)))
        keys.append(key)
        values.append(value)
        if keepsRecency {
            latest.append(0)
            touch(keys.count - 1)
        }
        return keys.count - 1
    }

    /// Makes the entry at `position` the most recently touched (a table made with `recencyOrder`).
    @inline(__always)
    mutating func touch(_ position: Int) {
        latest[position] = UInt32(truncatingIfNeeded: log.count)
        log.append(Int32(truncatingIfNeeded: position))
        if log.count >= 2 * count + 1024 { compactLog() }
    }

    /// Whether the record at `index` of the log is its position's latest (a hole's is `UInt32.max`).
    @inline(__always)
    private func isCurrent(_ index: Int) -> Bool {
        let position = Int(log[index])
        return position < keys.count && Int(latest[position]) == index
    }

    /// Drops the stale records, keeping the current ones in order.
    private mutating func compactLog() {
        var kept = 0
        for index in logStart..<log.count where isCurrent(index) {
            let position = Int(log[index])
            latest[position] = UInt32(truncatingIfNeeded: kept)
            log[kept] = Int32(truncatingIfNeeded: position)
            kept += 1
        }
        log.removeLast(log.count - kept)
        logStart = 0
    }

    /// The positions of the `n` entries touched least recently, least recent first (a table made with
    /// `recencyOrder`). Time in proportion to `n` and the stale records passed over, not to the table.
    mutating func leastRecentlyTouched(_ n: Int) -> [Int] {
        while logStart < log.count && !isCurrent(logStart) { logStart += 1 }
        var found: [Int] = []
        found.reserveCapacity(Swift.min(n, keys.count))
        var index = logStart
        while found.count < n && index < log.count {
            if isCurrent(index) { found.append(Int(log[index])) }
            index += 1
        }
        return found
    }

    /// Starts loading the entry at `position` (its key and value), for a read or write a few entries later.
    @inline(__always)
    func prefetchEntry(_ position: Int) {
        keys.withUnsafeBufferPointer { netautopsy_prefetch_write($0.baseAddress! + position) }
        values.withUnsafeBufferPointer { netautopsy_prefetch_write($0.baseAddress! + position) }
    }

    @inline(__always)
    private func prefetchSlotOf(_ position: Int) {
        slotOf.withUnsafeBufferPointer { netautopsy_prefetch($0.baseAddress! + position) }
    }

    @inline(__always)
    private func prefetchSlot(of position: Int) {
        let slot = Int(slotOf[position])
        slots.withUnsafeBufferPointer { netautopsy_prefetch_write($0.baseAddress! + slot) }
    }

    /// Removes the entry at `position`; the last entry moves there (with `recencyOrder`, nothing moves and the
    /// position becomes a hole). Returns the removed value.
    @discardableResult
    mutating func remove(at position: Int) -> Value {
        unlink(slot: Int(slotOf[position]))
        if keepsRecency {
            slotOf[position] = -1
            latest[position] = .max
            holes.append(Int32(truncatingIfNeeded: position))
            return values[position]
        }
        let last = keys.count - 1
        if position != last {
            // The last entry's slot now points at the hole.
            let s = Int(slotOf[last])
            slots[s] = slots[s] & ~0xffff_ffff | UInt64(position + 1)
            slotOf[position] = Int32(s)
            // Copied, then the last dropped (`removeLast(1)`): the generic `removeLast()` returns the element
            // through a stack buffer it fills in pieces, and reading it back whole stalled each removal.
            keys[position] = keys[last]
            keys.removeLast(1)
            let removed = values[position]
            values[position] = values[last]
            values.removeLast(1)
            slotOf.removeLast()
            return removed
        }
        keys.removeLast()
        slotOf.removeLast()
        return values.removeLast()
    }

    /// Removes the entries at `positions` (ascending, distinct). With `recencyOrder`, each leaves a hole. Otherwise a
    /// few go one by one, last position first, so that what moves into a freed position (the last entry) is never
    /// one still to go.
    /// A share of 1/64 or more (an idle sweep may drop much of the table) goes in one batch: the last entries that
    /// stay move into the freed positions below the new count, and one sweep over the index in slot order drops
    /// the removed entries' slots, points the moved ones at their new positions and shifts back what followed a
    /// dropped slot. One by one, each removal would probe at random; rebuilding the index would hash and place
    /// every entry at random.
    mutating func remove(sortedPositions positions: [Int]) {
        guard !positions.isEmpty else { return }
        if keepsRecency {
            removeLeavingHoles(sortedPositions: positions)
            return
        }
        if positions.count < keys.count / 64 {
            removeOneByOne(sortedPositions: positions)
            return
        }
        let n = keys.count, kept = n - positions.count
        // What the sweep asks of each slot's position, in memory that stays in cache: a bit per position (removed),
        // and the new position of each one at or above `kept` that stays.
        var removed = [UInt64](repeating: 0, count: (n + 63) / 64)
        for p in positions { removed[p >> 6] |= 1 << UInt64(p & 63) }
        var movedTo = [Int32](repeating: -1, count: n - kept)
        var source = n - 1
        for hole in positions {
            guard hole < kept else { break }
            while removed[source >> 6] & (1 << UInt64(source & 63)) != 0 { source -= 1 }
            movedTo[source - kept] = Int32(hole)
            keys.swapAt(hole, source)
            values.swapAt(hole, source)
            source -= 1
        }
        keys.removeLast(n - kept)
        values.removeLast(n - kept)
        slotOf.removeLast(n - kept)
        sweep(removed: removed, movedTo: movedTo, kept: kept)
    }

    /// How many removals ahead a removal's slot and entry are prefetched (the slot's place twice as far).
    private static var removalPrefetchDistance: Int { 8 }

    /// Removes the entries at `positions` (ascending, distinct) one by one, last position first, so that what moves
    /// into a freed position (the last entry) is never one still to go. Each removal's slot and entry, and the entry
    /// that moves and its slot, are cache misses: started `d` removals ahead (the slot's place `2 d` ahead), they
    /// overlap.
    private mutating func removeOneByOne(sortedPositions positions: [Int]) {
        let d = Self.removalPrefetchDistance
        for k in positions.indices.reversed() {
            if k >= 2 * d { prefetchSlotOf(positions[k - 2 * d]) }
            if k >= d {
                prefetchSlot(of: positions[k - d])
                prefetchEntry(positions[k - d])
            }
            let last = keys.count - 1
            if last >= d {
                prefetchSlot(of: last - d)
                prefetchEntry(last - d)
            }
            remove(at: positions[k])
        }
    }

    /// `remove(sortedPositions:)` for a `recencyOrder` table: each position becomes a hole, the last first (so that
    /// the lowest is filled first), prefetched as in `removeOneByOne`. The arrays are borrowed once for all (a flood's
    /// eviction removes 32,768 entries), not checked for sharing at every write.
    private mutating func removeLeavingHoles(sortedPositions positions: [Int]) {
        let mask = self.mask, d = Self.removalPrefetchDistance
        slots.withUnsafeMutableBufferPointer { slots in
            slotOf.withUnsafeMutableBufferPointer { slotOf in
                latest.withUnsafeMutableBufferPointer { latest in
                    for k in positions.indices.reversed() {
                        if k >= 2 * d { netautopsy_prefetch(slotOf.baseAddress! + positions[k - 2 * d]) }
                        if k >= d { netautopsy_prefetch_write(slots.baseAddress! + Int(slotOf[positions[k - d]])) }
                        let position = positions[k]
                        // Unchecked writes follow: a hole (or a position given twice) would have slot -1.
                        assert(slotOf[position] >= 0, "removing a hole")
                        Self.unlink(slot: Int(slotOf[position]), slots: slots, slotOf: slotOf, mask: mask)
                        slotOf[position] = -1
                        latest[position] = .max
                    }
                }
            }
        }
        holes.reserveCapacity(holes.count + positions.count)
        for position in positions.reversed() { holes.append(Int32(truncatingIfNeeded: position)) }
    }

    /// Applies a batched removal to the index in one pass over the slots: drops the removed positions' slots,
    /// points the moved ones at their new positions, and moves each entry that followed an emptied slot back to
    /// the first empty slot from its home (Knuth's Algorithm R, batched). The pass starts after a slot that was
    /// empty, so no run of slots wraps around it.
    private mutating func sweep(removed: [UInt64], movedTo: [Int32], kept: Int) {
        let mask = self.mask
        slots.withUnsafeMutableBufferPointer { slots in
            slotOf.withUnsafeMutableBufferPointer { slotOf in
                var start = 0
                while slots[start] != 0 { start += 1 }
                var j = start
                for _ in 0..<mask {
                    j = (j + 1) & mask
                    let s = slots[j]
                    if s == 0 { continue }
                    var position = Int(s & 0xffff_ffff) - 1
                    if removed[position >> 6] & (1 << UInt64(position & 63)) != 0 {
                        slots[j] = 0
                        continue
                    }
                    var moved = false
                    if position >= kept {
                        position = Int(movedTo[position - kept])
                        moved = true
                    }
                    var slot = j
                    let home = Int(truncatingIfNeeded: s >> 32) & mask
                    if home != j {
                        var i = home
                        while i != j && slots[i] != 0 { i = (i + 1) & mask }
                        if i != j {
                            slots[j] = 0
                            slot = i
                            moved = true
                        }
                    }
                    if moved {
                        slots[slot] = s & ~0xffff_ffff | UInt64(position + 1)
                        slotOf[position] = Int32(slot)
                    }
                }
            }
        }
    }

    /// Removes every entry for which `shouldRemove` holds.
    mutating func removeAll(where shouldRemove: (Key, Value) -> Bool) {
        var positions: [Int] = []
        for position in keys.indices where isLive(position) && shouldRemove(keys[position], values[position]) { positions.append(position) }
        remove(sortedPositions: positions)
    }

    mutating func removeAll() {
        keys = []
        values = []
        slots = []
        slotOf = []
        holes = []
        mask = 0
        log = []
        logStart = 0
        latest = []
    }

    /// Empties slot `i`, moving back the slots after it that may then be found from an earlier slot.
    private mutating func unlink(slot i: Int) {
        let mask = self.mask
        slots.withUnsafeMutableBufferPointer { slots in
            slotOf.withUnsafeMutableBufferPointer { slotOf in
                Self.unlink(slot: i, slots: slots, slotOf: slotOf, mask: mask)
            }
        }
    }

    @inline(__always)
    private static func unlink(slot i: Int, slots: UnsafeMutableBufferPointer<UInt64>, slotOf: UnsafeMutableBufferPointer<Int32>,
                               mask: Int) {
        var hole = i, j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s == 0 { break }
            let home = Int(truncatingIfNeeded: s >> 32) & mask
            // Move the slot at j into the hole unless its home lies cyclically in (hole, j].
            if (j - home) & mask >= (j - hole) & mask {
                slots[hole] = s
                slotOf[Int(s & 0xffff_ffff) - 1] = Int32(hole)
                hole = j
            }
        }
        slots[hole] = 0
    }

    /// Points a free slot at `position`, probing from the tag's home; returns the slot.
    private mutating func place(tag: UInt64, position: Int) -> Int {
        var i = Int(truncatingIfNeeded: tag) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = tag << 32 | UInt64(position + 1)
        return i
    }

    /// Doubles the index, or makes it large enough for `entries` at most three quarters full, and places every
    /// entry again.
    private mutating func grow(toHold entries: Int = 0) {
        var size = Swift.max(16, slots.count * 2)
        while entries * 4 > size * 3 { size *= 2 }
        slots = [UInt64](unsafeUninitializedCapacity: size) { buffer, initialized in
            // Advised before it is zeroed, so that the zeroing faults huge pages in.
            if let base = buffer.baseAddress { netautopsy_advise_huge_pages(base, size * MemoryLayout<UInt64>.stride) }
            buffer.initialize(repeating: 0)
            initialized = size
        }
        mask = size - 1
        for position in keys.indices where isLive(position) {
            slotOf[position] = Int32(place(tag: Self.tag(hash(keys[position])), position: position))
        }
    }
}
