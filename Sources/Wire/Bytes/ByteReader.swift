/// A bounds-checked, big-endian reader over borrowed packet bytes.
///
/// Every read returns `nil` when the bytes run out (the packet was cut short by the snaplen or
/// is malformed); it never traps. `get` reads at an absolute offset without moving, `read` moves.
/// The buffer is borrowed: a `ByteReader` must not outlive the bytes it was made from.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int

    @inlinable public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable public var remaining: Int { Swift.max(0, bytes.count - offset) }

    @inlinable public func u8(at index: Int) -> UInt8? {
        guard index >= 0, index < bytes.count else { return nil }
        return bytes[index]
    }

    @inlinable public func u16(at index: Int) -> UInt16? {
        guard index >= 0, index + 2 <= bytes.count else { return nil }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    @inlinable public func u32(at index: Int) -> UInt32? {
        guard index >= 0, index + 4 <= bytes.count else { return nil }
        return UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    @inlinable public func u64(at index: Int) -> UInt64? {
        guard let hi = u32(at: index), let lo = u32(at: index + 4) else { return nil }
        return UInt64(hi) << 32 | UInt64(lo)
    }

    @inlinable public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        offset += count
        return true
    }

    @inlinable public mutating func readU8() -> UInt8? {
        guard let v = u8(at: offset) else { return nil }
        offset += 1
        return v
    }

    @inlinable public mutating func readU16() -> UInt16? {
        guard let v = u16(at: offset) else { return nil }
        offset += 2
        return v
    }

    @inlinable public mutating func readU32() -> UInt32? {
        guard let v = u32(at: offset) else { return nil }
        offset += 4
        return v
    }
}
