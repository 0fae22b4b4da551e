import Artifacts

/// `etcd-fdatasync-slow`: the disk is too slow for etcd's write-ahead log.
public struct EtcdFdatasyncCheck: Check {
    public init() {}

    public var description: CheckDescription {
        CheckDescription(
            id: "etcd-fdatasync-slow", title: "Disk too slow for etcd (fdatasync p99)",
            rationale: """
                etcd calls fdatasync on its write-ahead log for every commit; its guidance is a 99th percentile under \
                10 ms (`etcd_disk_wal_fsync_duration_seconds`). Slower disks make the leader miss heartbeats: leader \
                elections, API-server timeouts and watch delays that look like network flakiness. The fio test \
                (`--rw=write --ioengine=sync --fdatasync=1 --bs=2300 --size=22m`) measures the same thing; between \
                8 and 10 ms is marginal.
                """,
            severity: .high,
            evidence: "p99 / p99.9 / max fdatasync latency, the job options, and fio's percentile line.",
            fix: """
                Put etcd's data (at least the WAL, `--wal-dir`) on a dedicated SSD/NVMe or provisioned-IOPS volume, \
                away from noisy neighbours; monitor `etcd_disk_wal_fsync_duration_seconds`.
                """,
            parameters: [
                CheckParameter("fail_ms", 10, unit: "ms", "p99 fdatasync latency at or above which the disk fails (high)"),
                CheckParameter("marginal_ms", 8, unit: "ms", "p99 at or above which the disk is marginal (medium)"),
            ],
            passingExamples: [
                CheckExample("fast SSD (fio 3.x JSON)", "disk/fio-fdatasync.json", Self.fioJSON(p99: 2_375_680, samples: 10_029)),
                CheckExample("no sync samples is not 'fast' (see fio-no-sync-samples)", "disk/fio-fdatasync.json", Self.fioJSON(p99: nil, samples: 0)),
            ],
            failingExamples: [
                CheckExample("p99 11.7 ms in fio's text output (real NVMe, raw device)", "disk/fio.txt", [
                    "mytest: (g=0): rw=write, bs=(R) 4096B-4096B, (W) 4096B-4096B, (T) 4096B-4096B, ioengine=sync, iodepth=1",
                    "fio-3.25",
                    "mytest: (groupid=0, jobs=1): err= 0: pid=669986: Wed Jun 28 00:10:39 2023",
                    "  fsync/fdatasync/sync_file_range:",
                    "    sync (usec): min=5415, max=23256, avg=6926.11, stdev=970.04",
                    "    sync percentiles (usec):",
                    "     |  1.00th=[ 5800],  5.00th=[ 6063], 10.00th=[ 6194], 20.00th=[ 6390],",
                    "     | 99.00th=[11731], 99.50th=[12387], 99.90th=[16188], 99.95th=[16909],",
                ], mustCite: [8]),
                CheckExample("marginal 9 ms after a fio warning", "disk/fio-fdatasync.json",
                             ["fio: this platform does not support process shared mutexes, forcing use of threads."] + Self.fioJSON(p99: 9_109_504, samples: 9_630),
                             mustCite: [5]),
            ])
    }

    /// A fio 3.x JSON document shaped like fio's own output (the parts the check reads).
    static func fioJSON(p99: Int?, samples: Int) -> [String] {
        let percentile = p99.map { ", \"percentile\" : { \"50.000000\" : 1400000, \"99.000000\" : \($0), \"99.900000\" : \($0 * 2) }" } ?? ""
        return [
            "{",
            "  \"fio version\" : \"fio-3.33\",",
            "  \"jobs\" : [ { \"jobname\" : \"etcd-fdatasync\", \"job options\" : { \"rw\" : \"write\", \"ioengine\" : \"sync\", \"fdatasync\" : \"1\", \"bs\" : \"2300\", \"size\" : \"22m\" },",
            "    \"sync\" : { \"total_ios\" : 0, \"lat_ns\" : { \"min\" : 500000, \"max\" : 30000000, \"mean\" : 1500000.0, \"stddev\" : 1.0, \"N\" : \(samples)\(percentile) } } } ]",
            "}",
        ]
    }

    public func findings(in facts: Facts, parameters: CheckParameters) -> [Finding] {
        facts.fio.flatMap { result in
            result.value.jobs.filter(\.hasSyncLatency).compactMap { job -> Finding? in
                guard let p99 = job.percentile(99) else { return nil }
                let ms = p99 / 1e6
                let severity: Severity
                if ms >= parameters["fail_ms"] { severity = .high } else if ms >= parameters["marginal_ms"] { severity = .medium } else { return nil }
                // fio reports nanoseconds; Format.ms takes seconds.
                var figures = "p99 \(Format.ms(p99 / 1e9))"
                if let p999 = job.percentile(99.9) { figures += ", p99.9 \(Format.ms(p999 / 1e9))" }
                if let max = job.syncMaxNs { figures += ", max \(Format.ms(max / 1e9))" }
                let options = ["bs", "size", "ioengine", "fdatasync", "directory"].compactMap { k in job.options[k].map { "\(k)=\($0)" } }
                let verdict = severity == .high ? "at or above \(Int(parameters["fail_ms"])) ms: too slow for etcd" : "marginal for etcd"
                var evidence: [Evidence] = [.value("fio job \(job.name): sync (fdatasync) latency\(result.value.version.map { ", \($0)" } ?? "").",
                                                   file: result.file, text: figures)]
                if !options.isEmpty { evidence.append(.value("Job options.", file: result.file, text: options.joined(separator: " "))) }
                if let line = result.value.percentileLine { evidence.append(.line("fio's percentile line.", file: result.file, line)) }
                return finding(severity, summary: "fio job \(job.name): fdatasync \(figures), \(verdict).", evidence: evidence)
            }
        }
    }
}
