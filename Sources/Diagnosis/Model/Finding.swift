import Artifacts

/// How bad a finding is, ordered: info < low < medium < high < critical.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One piece of evidence a person can check: packets in a capture (frame numbers and a
/// Wireshark display filter), a line in a log, or a value read from the bundle.
public struct Evidence: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case packets, line, value }

    public var kind: Kind
    /// What this evidence shows, in a sentence.
    public var note: String
    public var file: String?
    /// 1-based frame numbers as Wireshark shows them.
    public var frames: [Int]?
    /// Timestamps of those frames, same order (null for a frame without one).
    public var times: [WallTime?]?
    /// A Wireshark/tshark display filter that shows the packets.
    public var displayFilter: String?
    public var line: Int?
    public var text: String?
    /// For a kernel log line: its time as the line gives it, seconds since boot (`[ 12.345678]`),
    /// which the timeline dates by the boot time…
    public var sinceBoot: Double?
    /// …or the local time `dmesg -T` printed (no time zone: not placed on the timeline).
    public var localTime: String?

    public static func packets(_ note: String, file: String, frames: [Int], times: [Int64?], filter: String) -> Evidence {
        Evidence(kind: .packets, note: note, file: file, frames: frames,
                 times: times.map { $0.map { WallTime(nanoseconds: $0) } }, displayFilter: filter)
    }

    public static func line(_ note: String, file: String, line: Int, text: String, kernelTime: KernelTime? = nil) -> Evidence {
        var e = Evidence(kind: .line, note: note, file: file, line: line, text: text)
        switch kernelTime {
        case .sinceBoot(let s)? where s.isFinite: e.sinceBoot = s
        case .wallClock(let local)?: e.localTime = local
        default: break
        }
        return e
    }

    /// The kernel time the evidence carries, as the kernel log line gave it.
    public var kernelTime: KernelTime? {
        if let sinceBoot { return .sinceBoot(sinceBoot) }
        return localTime.map { .wallClock($0) }
    }

    public static func value(_ note: String, file: String? = nil, text: String) -> Evidence {
        Evidence(kind: .value, note: note, file: file, text: text)
    }
}

extension Evidence {
    /// Reads every report of this schema: the ones written before times were `WallTime` values
    /// hold "" for a frame without a time, where they now hold null.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(Kind.self, forKey: .kind), note = try c.decode(String.self, forKey: .note)
        self.init(kind: kind, note: note, file: try c.decodeIfPresent(String.self, forKey: .file),
                  frames: try c.decodeIfPresent([Int].self, forKey: .frames))
        if let texts = try c.decodeIfPresent([String?].self, forKey: .times) {
            times = try texts.map { text in
                guard let text, !text.isEmpty else { return nil }
                guard let t = WallTime(reading: text) else {
                    throw DecodingError.dataCorruptedError(forKey: .times, in: c, debugDescription: "not an RFC 3339 time: \(text)")
                }
                return t
            }
        }
        displayFilter = try c.decodeIfPresent(String.self, forKey: .displayFilter)
        line = try c.decodeIfPresent(Int.self, forKey: .line)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        sinceBoot = try c.decodeIfPresent(Double.self, forKey: .sinceBoot)
        localTime = try c.decodeIfPresent(String.self, forKey: .localTime)
    }
}

/// A diagnosis: what went wrong, the evidence, and the fix. A value, never an error.
public struct Finding: Codable, Sendable, Equatable {
    /// The id of the check that produced it (`explain ID` describes it).
    public var id: CheckID
    public var severity: Severity
    public var title: String
    /// One paragraph: what was seen, in numbers.
    public var summary: String
    public var evidence: [Evidence]
    public var fix: String
    /// The first and last dated moments (RFC 3339 UTC) of the finding's evidence, as the timeline
    /// places them (`Timeline.build`); nil when none is dated.
    public var firstSeen: WallTime?
    public var lastSeen: WallTime?

    public init(id: CheckID, severity: Severity, title: String, summary: String, evidence: [Evidence], fix: String) {
        self.id = id
        self.severity = severity
        self.title = title
        self.summary = summary
        self.evidence = evidence
        self.fix = fix
    }
}
