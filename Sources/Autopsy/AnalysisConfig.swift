import Diagnosis
import Foundation
import Yams

/// A `--config` file (YAML): which checks to disable and which thresholds to override.
///
/// ```yaml
/// disable: [socket-buffers-small, tcp-tw-reuse]
/// checks:
///   cpu-steal:
///     steal_percent: 15
///   etcd-fdatasync-slow:
///     fail_ms: 20
///   link-flap:
///     enabled: false
/// ```
/// Unknown keys, check ids and parameter names are errors that name them, so a typo never
/// silently leaves a default in place.
public enum AnalysisConfig {
    public static let maxBytes = 1 << 20

    public static func load(_ path: String) throws(ConfigError) -> CheckSettings {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        guard data.count <= maxBytes else { throw .invalid(path, "larger than \(maxBytes >> 10) KiB") }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String = "config") throws(ConfigError) -> CheckSettings {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw .invalid(path, "not YAML: \(error)") }
        guard let root else { return CheckSettings() }
        guard let top = root as? [String: Any] else { throw .invalid(path, "expected a mapping with `disable` and/or `checks`") }
        var settings = CheckSettings()
        for key in top.keys.sorted() {
            switch key {
            case "disable":
                guard let ids = top[key] as? [Any] else { throw .invalid(path, "`disable` must be a list of check ids") }
                for case let id as String in ids {
                    guard CheckCatalog.check(id: CheckID(id)) != nil else { throw .unknownCheck(path, id, "disable") }
                    settings.disabled.insert(CheckID(id))
                }
            case "checks":
                guard let checks = top[key] as? [String: Any] else { throw .invalid(path, "`checks` must map check ids to settings") }
                for id in checks.keys.sorted() {
                    try apply(checks[id], id: id, to: &settings, path: path)
                }
            default:
                throw .unknownKey(path, key, "top level (expected `disable` or `checks`)")
            }
        }
        return settings
    }

    static func apply(_ value: Any?, id: String, to settings: inout CheckSettings, path: String) throws(ConfigError) {
        guard let check = CheckCatalog.check(id: CheckID(id)) else { throw .unknownCheck(path, id, "checks") }
        guard let map = value as? [String: Any] else { throw .invalid(path, "checks.\(id) must be a mapping") }
        let names = check.description.parameters.map(\.name)
        for key in map.keys.sorted() {
            if key == "enabled" {
                guard let on = map[key] as? Bool else { throw .invalid(path, "checks.\(id).enabled must be true or false") }
                if !on { settings.disabled.insert(CheckID(id)) }
                continue
            }
            guard names.contains(key) else {
                let known = (["enabled"] + names).joined(separator: ", ")
                throw .unknownKey(path, key, "checks.\(id) (it has: \(known))")
            }
            let number: Double? = switch map[key] {
            case let d as Double: d
            case let i as Int: Double(i)
            default: nil
            }
            guard let number, number.isFinite else { throw .invalid(path, "checks.\(id).\(key) must be a number") }
            settings.overrides[CheckID(id), default: [:]][key] = number
        }
    }
}

/// Why a config file was rejected; every case names the file and the offending key.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)
    case unknownKey(String, String, String)
    case unknownCheck(String, String, String)

    public var description: String {
        switch self {
        case .unreadable(let p): "\(p): cannot read the config file"
        case .invalid(let p, let why): "\(p): \(why)"
        case .unknownKey(let p, let key, let place): "\(p): unknown key '\(key)' in \(place)"
        case .unknownCheck(let p, let id, let place): "\(p): unknown check '\(id)' in \(place); `netautopsy checks` lists them"
        }
    }
}
