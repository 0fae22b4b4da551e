import ArgumentParser
import Artifacts
import Foundation
import Redaction

/// `netautopsy redact BUNDLE -o OUT`: a copy of the bundle that can be shared (docs/security.md).
struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Write a copy of a bundle with IP addresses, MACs and host names replaced by consistent tokens.",
        discussion: """
            Text files get tokens in place of addresses and names; captures get the same mapping in their \
            headers (checksums corrected) and lose their payloads after the headers, but for DNS, whose \
            names are tokenised. The same address is the same token everywhere, so `netautopsy analyze` \
            on the copy finds what it finds on the original. Files that are neither text nor capture are \
            left out. The mapping from tokens back to the originals is written only with --mapping.
            """)

    @Argument(help: "The bundle, bundle directory or capture to redact.")
    var path: String

    @Option(name: .shortAndLong, help: "The redacted bundle to write (.tar.gz; a capture when PATH is one capture).")
    var output: String

    @Flag(help: "Keep subnet structure: addresses that share a prefix get tokens that share it (keyed, prefix-preserving).")
    var keepSubnets = false

    @Option(name: .long, help: "Write the mapping (original → token) to this JSON file; keep it private.")
    var mapping: String?

    @Option(name: .long, help: "A secret that makes --keep-subnets tokens the same across runs (default: random each run).")
    var key: String?

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        let out = URL(fileURLWithPath: output).standardizedFileURL.path, input = URL(fileURLWithPath: path).standardizedFileURL.path
        if out == input { throw ValidationError("--output must not be the input") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("--output is a directory: give the file to write")
        }
        if let mapping, [out, input].contains(URL(fileURLWithPath: mapping).standardizedFileURL.path) {
            throw ValidationError("--mapping must be neither the input nor the output")
        }
    }

    func run() throws {
        var redactor = Redactor(keepSubnets: keepSubnets, key: key)
        redactor.walker.limits = limits.limits
        let outcome: Redactor.Outcome
        do {
            outcome = try redactor.redact(path, to: output)
        } catch {
            FileHandle.standardError.write(Data("netautopsy: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.unreadableInput)
        }
        for p in outcome.left { FileHandle.standardError.write(Data("netautopsy: \(p.path): \(p.message)\n".utf8)) }
        if let mapping {
            let encoder = SnakeCaseJSON.encoder([.prettyPrinted, .sortedKeys])
            // Created 0600 from the start (never readable by others), not through a symbolic link.
            let fd = open(mapping, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0, fchmod(fd, 0o600) == 0, let data = try? encoder.encode(redactor.names.mapping) else {
                if fd >= 0 { close(fd) }
                throw ValidationError("cannot write \(mapping): \(String(cString: strerror(errno)))")
            }
            let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == data.count else { throw ValidationError("cannot write \(mapping): \(String(cString: strerror(errno)))") }
        }
        let left = outcome.left.isEmpty ? "" : "; \(outcome.left.count) left out or read in part (listed above)"
        FileHandle.standardError.write(Data(
            "netautopsy: redacted \(outcome.files) files (\(outcome.captures) captures, \(outcome.frames) frames) into \(output)\(left)\n".utf8))
    }
}
