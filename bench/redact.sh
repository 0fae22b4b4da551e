#!/usr/bin/env bash
# redact.sh - the cost of `netautopsy redact` on one capture against two baselines measured in the
# same run: libpcap copying the capture (`tcpdump -r F -w OUT`) and cutting it by hand
# (`editcap -s 96 F OUT`, what one would do without netautopsy). Written to docs/performance.md
# between its "redact:begin" and "redact:end" markers.
#
# Usage: bench/redact.sh [DIR]   (default: .bench, made by `sudo bench/make-inputs.sh`; uses
#                                 bulk-300m.pcap, TCP bulk transfer, and dns.pcap, DNS lookups)
# Environment: RUNS (default 5) timed runs per command after one warm-up (medians are quoted);
#              NETAUTOPSY (default .build/release/netautopsy, built here).
# Needs: hyperfine, tcpdump, editcap, capinfos, GNU time (/usr/bin/time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$(cd "${1:-.bench}" && pwd)"
RUNS="${RUNS:-5}"
if [ -z "${NETAUTOPSY:-}" ]; then swift build -c release --product netautopsy >&2; NETAUTOPSY="$(swift build -c release --show-bin-path)/netautopsy"; fi
inputs="bulk-300m dns"
for f in $inputs; do
  [ -s "$DIR/$f.pcap" ] || { echo "redact.sh: $DIR/$f.pcap is missing: run sudo bench/make-inputs.sh first" >&2; exit 1; }
done
tmp="$(mktemp -d /tmp/netautopsy-redact-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
log() { echo "redact.sh: $*" >&2; }
time_cmd() { # NAME COMMAND
  local name=$1; shift
  log "timing $name ($RUNS runs): $*"
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/$name.json" "$@" >/dev/null 2>&1
}
for f in $inputs; do
  time_cmd "copy-$f" "tcpdump -r $DIR/$f.pcap -w $tmp/copy.pcap"
  time_cmd "editcap-$f" "editcap -s 96 $DIR/$f.pcap $tmp/cut.pcap"
  time_cmd "redact-$f" "$NETAUTOPSY redact $DIR/$f.pcap -o $tmp/redacted.pcap"
  /usr/bin/time -f '%M' -o "$tmp/redact-$f.rss" "$NETAUTOPSY" redact "$DIR/$f.pcap" -o "$tmp/redacted.pcap" 2>"$tmp/redact-$f.err" >/dev/null
  capinfos -Mc "$tmp/redacted.pcap" | sed -n 's/^Number of packets: *//p' >"$tmp/redact-$f.frames"
  stat -c %s "$tmp/redacted.pcap" >"$tmp/redact-$f.size"
done
python3 - "$tmp" "$DIR" "$RUNS" "$NETAUTOPSY" "$inputs" <<'PY'
import json, os, re, statistics, subprocess, sys
tmp, d, runs, na, inputs = sys.argv[1:6]
med = lambda n: statistics.median(json.load(open(f"{tmp}/{n}.json"))["results"][0]["times"])
read = lambda p: open(p).read().split()[-1]
def frames(f):
    out = subprocess.run(["capinfos", "-Mc", f"{d}/{f}.pcap"], capture_output=True, text=True).stdout
    return int(re.search(r"Number of packets:\s*(\d+)", out).group(1))
version = subprocess.run([na, "--version"], capture_output=True, text=True).stdout.strip()
lines = [f"`bench/redact.sh`, {subprocess.run(['date', '-u', '+%Y-%m-%d'], capture_output=True, text=True).stdout.strip()}, "
         f"{os.cpu_count()} cores, {version} (release build); medians of {runs} runs after a warm-up. "
         "`netautopsy redact` reads the capture once, writes it into its scratch directory and then moves it into place.", "",
         "| capture | frames | copy (`tcpdump -r F -w O`) | cut (`editcap -s 96`) | `netautopsy redact` | vs copy | vs cut | per frame | peak RSS | output size |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for f in inputs.split():
    c, e, r, n = med(f"copy-{f}"), med(f"editcap-{f}"), med(f"redact-{f}"), frames(f)
    out_frames = int(read(f"{tmp}/redact-{f}.frames"))
    assert out_frames == n, f"{f}: the redacted capture has {out_frames} frames, the original {n}"
    size = int(read(f"{tmp}/redact-{f}.size")) / os.path.getsize(f"{d}/{f}.pcap")
    lines.append(f"| {f}.pcap ({os.path.getsize(f'{d}/{f}.pcap') / 1e6:.0f} MB) | {n:,} | {c:.2f} s | {e:.2f} s | {r:.2f} s | "
                 f"{r / c:.2f}× | {r / e:.2f}× | {r / n * 1e9:.0f} ns | {int(read(f'{tmp}/redact-{f}.rss')) / 1024:.0f} MiB | {size:.1%} of the original |")
sys.path.insert(0, "bench")
import figures
figures.put("docs/performance.md", "redact", lines, heading="Redaction")
PY
