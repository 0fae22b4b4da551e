#!/usr/bin/env bash
# batch.sh - bundles per minute of `netautopsy batch` with --jobs 1 and --jobs 2, measured in one
# run, written to docs/performance.md between its "batch:begin" and "batch:end" markers.
#
# Usage: bench/batch.sh        (no root: the bundles are the repo's fixtures)
# Environment: COPIES (default 12) distinct copies of each of the 4 fixture bundles (48 bundles);
#              RUNS (default 5) timed runs per setting after one warm-up (medians are quoted);
#              NETAUTOPSY (default .build/release/netautopsy, built here).
# Each copy is repacked with one extra file naming it, so every bundle has its own content hash
# and none is skipped as a duplicate; every timed run starts from an empty output directory.
# Needs: hyperfine, tar, gzip, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES="${COPIES:-12}" RUNS="${RUNS:-5}"
if [ -z "${NETAUTOPSY:-}" ]; then swift build -c release >/dev/null; NETAUTOPSY="$(swift build -c release --show-bin-path)/netautopsy"; fi
tmp="$(mktemp -d /tmp/netautopsy-batch-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
log() { echo "batch.sh: $*" >&2; }

mkdir -p "$tmp/src" "$tmp/archive"
tar -xzf fixtures/incident-bundle.tar.gz -C "$tmp/src"
tar -xzf fixtures/conntrack-full-bundle.tar.gz -C "$tmp/src"
tar -xzf fixtures/sample-bundle.tar.gz -C "$tmp/src"
cp -r fixtures/overlay-node "$tmp/src/overlay-node"
for b in "$tmp"/src/*; do
  name="$(basename "$b")"
  for i in $(seq 1 "$COPIES"); do
    echo "batch benchmark copy $i" >"$b/batch-copy.txt"
    tar -C "$tmp/src" -cf - "$name" | gzip -1 >"$tmp/archive/$name-$i.tar.gz"
  done
done
bundles=$(find "$tmp/archive" -name '*.tar.gz' | wc -l)
bytes=$(du -sb "$tmp/archive" | cut -f1)
log "$bundles bundles, $bytes bytes"
for j in 1 2; do
  log "timing --jobs $j ($RUNS runs)"
  hyperfine --style none --warmup 1 --runs "$RUNS" --prepare "rm -rf $tmp/out" --export-json "$tmp/j$j.json" \
    "$NETAUTOPSY batch $tmp/archive -o $tmp/out --jobs $j --no-progress" >/dev/null 2>&1 || true
done
python3 - "$tmp" "$bundles" "$bytes" "$RUNS" <<'PY'
import json, statistics, sys
tmp, n, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
med = lambda j: statistics.median(json.load(open(f"{tmp}/j{j}.json"))["results"][0]["times"])
one, two = med(1), med(2)
lines = [f"`bench/batch.sh`: {n} distinct bundles (the 4 fixture bundles, each repacked {n // 4} times; {size / 1e6:.1f} MB in all), "
         f"a fresh output directory each run, medians of {runs} runs:", "",
         "| `--jobs` | time | bundles per minute |", "|---|---|---|",
         f"| 1 | {one:.2f} s | {n / one * 60:.0f} |", f"| 2 | {two:.2f} s | {n / two * 60:.0f} |", "",
         f"Speed-up with 2 jobs: {one / two:.2f}×."]
sys.path.insert(0, "bench")
import figures
figures.put("docs/performance.md", "batch", lines, heading="Batch")
PY
