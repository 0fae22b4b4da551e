import Artifacts

/// `fio-no-sync-samples`: a fio result that cannot say whether the disk suits etcd.
public struct FioNoSyncSamplesCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "fio-no-sync-samples", title: "fio ran without measuring fdatasync",
            rationale: """
                The etcd disk check needs fio's sync latencies (`sync.lat_ns` percentiles). A job without \
                `--fdatasync=1`/`--fsync=1`, a job that wrote nothing, or fio 2.x output (no sync latencies in its JSON) \
                says nothing about etcd's WAL: it is reported so that nobody reads it as "the disk is fine".
                """,
            severity: .info,
            evidence: "Each job without sync latencies: its sample count and options.",
            fix: """
                Re-run in the etcd data directory: `fio --rw=write --ioengine=sync --fdatasync=1 --directory=/var/lib/etcd/fio \
                --size=22m --bs=2300 --name=etcd --output-format=json` (the collector does this unless `--no-fio`).
                """,
            passingExamples: [
                CheckExample("a job with sync percentiles", "disk/fio-fdatasync.json", EtcdFdatasyncCheck.fioJSON(p99: 2_375_680, samples: 10_029)),
            ],
            failingExamples: [
                CheckExample("N = 0: no fdatasync issued", "disk/fio-fdatasync.json", EtcdFdatasyncCheck.fioJSON(p99: nil, samples: 0)),
                CheckExample("fio 2.x JSON", "disk/fio.json", [
                    "{ \"fio version\" : \"fio-2.2.10\", \"jobs\" : [ { \"jobname\" : \"mytest\", \"write\" : { \"io_bytes\" : 22528, \"clat\" : { \"min\" : 5, \"max\" : 300 } } } ] }",
                ]),
            ])
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        facts.fio.compactMap { result in
            let missing = result.value.jobs.filter { !$0.hasSyncLatency }
            guard !missing.isEmpty else { return nil }
            let why = result.value.format == .json2
                ? "\(result.value.version ?? "fio 2.x") JSON has no sync latencies"
                : "\(Format.plural(missing.count, "job")) (\(missing.map(\.name).joined(separator: ", "))) recorded no fdatasync samples"
            return finding(.info, summary: "\(result.file): \(why); the etcd disk check could not run.",
                           evidence: missing.prefix(5).map { j in
                               .value("Job \(j.name): sync samples and options.", file: result.file,
                                      text: "N=\(j.syncSamples.map(String.init) ?? "?") " + j.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
                           })
        }
    }
}
