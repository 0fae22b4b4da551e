// swift-tools-version:6.0
import PackageDescription

// The folders tell the pipeline: Input (the only code that touches C libraries) → Wire (pure-Swift packet
// decoding and flow tracking; CPrefetch holds two inlined memory hints: a cache prefetch, as Swift has no intrinsic, and huge pages) → Artifacts (text parsers) → Diagnosis (facts, checks, findings) →
// Reports (pure renderers) → Autopsy (runs the pipeline) → Batch (many bundles, one child process
// each); Redaction (rewrites a bundle to share it) → netautopsy (argument parsing only).
/// The fuzz targets, one per parser of untrusted input (fuzz/Harness/FuzzHarness.swift).
let fuzzTargets = ["capture", "packet", "dns", "archive", "manifest", "fio", "text", "classify", "redact"]

let package = Package(
    name: "netautopsy",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "netautopsy", targets: ["netautopsy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap", pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]),
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        .target(name: "CPrefetch"),
        .target(
            name: "Wire",
            dependencies: [
                "CPrefetch",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]),
        .target(name: "Artifacts"),
        .target(name: "CStreamShim"),
        .target(name: "Input", dependencies: ["CPcap", "CArchive", "CStreamShim", "Wire"]),
        .target(
            name: "Diagnosis",
            dependencies: ["Wire", "Artifacts", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .target(name: "Reports", dependencies: ["Wire", "Artifacts", "Diagnosis"]),
        .target(
            name: "Autopsy",
            dependencies: ["Input", "Wire", "Artifacts", "Diagnosis", "Reports", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Batch",
            dependencies: ["Artifacts", "Autopsy", "Input", "Reports", "Diagnosis", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Redaction",
            dependencies: ["Input", "Wire", "Artifacts", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "NetautopsyCLI",
            dependencies: ["Input", "Artifacts", "Diagnosis", "Reports", "Autopsy", "Batch", "Redaction",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "netautopsy", dependencies: ["NetautopsyCLI"]),
        // Fuzzing (fuzz/run.sh, docs/security.md): the harness, and one binary per target.
        .target(name: "FuzzHarness", dependencies: ["Wire", "Input", "Artifacts", "Diagnosis", "Redaction"], path: "fuzz/Harness"),
    ] + fuzzTargets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzHarness"], path: "fuzz/targets/\(name)")
    } + [
        .testTarget(
            name: "NetautopsyTests",
            dependencies: ["Autopsy", "Batch", "Input", "Wire", "Artifacts", "Diagnosis", "Reports", "NetautopsyCLI", "Redaction",
                           "FuzzHarness", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    ],
    swiftLanguageModes: [.v6]
)
