/// 64-bit FNV-1a (Fowler–Noll–Vo): a hash that is the same in every run, unlike Swift's seeded
/// `Hasher`, for keys that must compare across captures and runs, and cheap enough for per-packet use.
public struct FNV1a {
    /// The hash of what was mixed so far (the offset basis before anything is).
    public var value: UInt64 = 0xcbf2_9ce4_8422_2325

    @inlinable public init() {}

    @inlinable public mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// The eight bytes of `word`, lowest first.
    @inlinable public mutating func mix(word: UInt64) {
        var x = word
        for _ in 0..<8 {
            mix(UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
    }
}
