import Testing
@testable import Wire

/// DNS names from the wire: labels joined by dots, bytes outside printable ASCII, dots and backslashes
/// inside a label written `\DDD` (as tshark and dig show them), compression pointers followed.
@Suite struct DNSNameTests {
    static func query(_ labels: [[UInt8]]) -> [UInt8] {
        var m: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for l in labels { m += [UInt8(l.count)] + l }
        return m + [0, 0, 1, 0, 1]
    }

    @Test func namesAreReadAndEscaped() {
        let plain = Self.query([Array("web".utf8), Array("default".utf8), Array("svc".utf8)])
        #expect(plain.withUnsafeBytes { DNSMessage.parse(ByteReader($0), at: 0, end: $0.count)?.name } == "web.default.svc")
        let odd = Self.query([[0x61, 0x20, 0x62, 0x2e, 0x63, 0x5c, 0xff, 0x00], Array("x".utf8)])
        #expect(odd.withUnsafeBytes { DNSMessage.parse(ByteReader($0), at: 0, end: $0.count)?.name } == "a\\032b\\046c\\092\\255\\000.x")
        let root: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
        #expect(root.withUnsafeBytes { DNSMessage.parse(ByteReader($0), at: 0, end: $0.count)?.name } == ".")
    }

    @Test func firstLabelsCompareWithoutCase() {
        #expect(DNSSearchList.firstLabelsMatch("WEB.default", "web.other"))
        #expect(DNSSearchList.firstLabelsMatch("web", "web.default"))
        #expect(!DNSSearchList.firstLabelsMatch("web2.default", "web.default"))
        #expect(!DNSSearchList.firstLabelsMatch("we", "web"))
        #expect(DNSSearchList.firstLabelsMatch("", "."))
    }

    /// The first-label key that search chains compare first agrees with the comparison it stands for.
    @Test func firstLabelKeysAgreeWithTheComparison() {
        let names = ["WEB.default", "web.other", "web", "web2.default", "we", "", ".", "Web.ns1.svc.cluster.local",
                     "api.example.com", "API", "api.example.com.default.svc.cluster.local", "a.b", "b.a", "xn--bcher-kva.example"]
        for x in names {
            for y in names {
                #expect((DNSSearchList.firstLabelKey(x) == DNSSearchList.firstLabelKey(y)) == DNSSearchList.firstLabelsMatch(x, y),
                        "\(x) / \(y)")
            }
        }
    }
}
