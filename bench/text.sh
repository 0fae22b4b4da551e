#!/usr/bin/env bash
# text.sh - times netautopsy's text side against the tools that only read the same bytes, in one
# run: a 100 MB kernel log and a 100 MB CoreDNS log against `grep -c 'table full'`, and a 2 GiB log
# inside a .tar.gz against `gzip -dc`; peak memory of each. Writes the figures to
# docs/performance.md between its "text:begin" and "text:end" markers.
#
# Usage: bench/text.sh [DIR]     (default .bench; inputs made there by bench/make-text-inputs.py)
# Environment: RUNS (default 5) timed runs after one warm-up (medians quoted);
#              SOSREPORT: an unpacked sosreport tree to time as well (against reading all its
#              files with tar), e.g. hotsos's tests/unit/fake_data_root/kubernetes (docs/performance.md);
#              MUSTGATHER: the same for an unpacked must-gather, e.g. must-gather-clean's
#              test/files/must-gather-aws.tar.xz unpacked;
#              NETAUTOPSY (default .build/release/netautopsy, built here).
# Needs: hyperfine, grep, gzip, GNU time (/usr/bin/time), python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
DIR="${1:-$root/.bench}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
RUNS="${RUNS:-5}"
NA="${NETAUTOPSY:-$root/.build/release/netautopsy}"
DOC="$root/docs/performance.md"
log() { printf '[bench] %s\n' "$*" >&2; }
for tool in hyperfine grep gzip python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { log "needs $tool (apt-get install hyperfine time)"; exit 1; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ -z "${NETAUTOPSY:-}" ]; then
  log "building netautopsy (release)"
  (cd "$root" && swift build -c release --product netautopsy >&2)
fi
python3 "$here/make-text-inputs.py" "$DIR"
# Bundles as a node's would hold them (hard links, no extra disk).
mkdir -p "$DIR/kern-bundle/var/log" "$DIR/coredns-bundle/pods/logs/kube-system/coredns-5d78c9869d-x7wq2"
ln -f "$DIR/kern-100m.log" "$DIR/kern-bundle/var/log/kern.log"
ln -f "$DIR/coredns-100m.log" "$DIR/coredns-bundle/pods/logs/kube-system/coredns-5d78c9869d-x7wq2/coredns.log"

analyze() { printf '%q analyze %q --format json --output /dev/null --no-progress' "$NA" "$1"; }
time_cmd() {
  local name=$1; shift
  log "timing $name ($RUNS runs): $*"
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/$name.json" "$@" >/dev/null 2>&1
}
peak() {
  local name=$1; shift
  /usr/bin/time -f '%M' -o "$tmp/$name.rss" sh -c "$*" >/dev/null 2>&1
}

time_cmd grep-kern "grep -c 'table full' $DIR/kern-100m.log || true"
time_cmd na-kern "$(analyze "$DIR/kern-bundle")"
time_cmd grep-coredns "grep -c 'table full' $DIR/coredns-100m.log || true"
time_cmd na-coredns "$(analyze "$DIR/coredns-bundle")"
time_cmd gunzip-big "gzip -dc $DIR/big-log.tar.gz > /dev/null"
time_cmd na-big "$(analyze "$DIR/big-log.tar.gz")"
if [ -n "${SOSREPORT:-}" ]; then
  time_cmd tar-sos "tar -cf - -C $(printf %q "$SOSREPORT") . | cat > /dev/null"
  time_cmd na-sos "$(analyze "$SOSREPORT")"
  peak na-sos "$(analyze "$SOSREPORT")"
  find "$SOSREPORT" -type f | wc -l > "$tmp/sos-files"
fi
if [ -n "${MUSTGATHER:-}" ]; then
  time_cmd tar-mg "tar -cf - -C $(printf %q "$MUSTGATHER") . | cat > /dev/null"
  time_cmd na-mg "$(analyze "$MUSTGATHER")"
  peak na-mg "$(analyze "$MUSTGATHER")"
  find "$MUSTGATHER" -type f | wc -l > "$tmp/mg-files"
fi
peak na-kern "$(analyze "$DIR/kern-bundle")"
peak na-coredns "$(analyze "$DIR/coredns-bundle")"
peak na-big "$(analyze "$DIR/big-log.tar.gz")"
"$NA" analyze "$DIR/coredns-bundle" --format json --no-progress --output "$tmp/coredns-report.json" 2>/dev/null || true

python3 - "$tmp" "$DIR" "$DOC" "$RUNS" "$NA" <<'PY'
import json, os, platform, statistics, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[3])) + "/../bench")
import figures
tmp, d, doc, runs, na = sys.argv[1:6]
def med(name):
    return statistics.median(json.load(open(f"{tmp}/{name}.json"))["results"][0]["times"])
def rss(name):
    return int(open(f"{tmp}/{name}.rss").read().split()[-1]) / 1024
def lines(f):
    return sum(1 for _ in open(f"{d}/{f}", "rb"))
def cmd(*a):
    return subprocess.run(a, capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
report = json.load(open(f"{tmp}/coredns-report.json")) if os.path.exists(f"{tmp}/coredns-report.json") else {}
ids = sorted({f.get("check", f.get("id", "?")) for f in report.get("findings", [])})
out = []
w = out.append
w(f"Measured {cmd('date', '-u', '+%Y-%m-%d %H:%M UTC')} by `bench/text.sh` on {os.cpu_count()} × {cpu}, "
  f"Linux {platform.release()}; {cmd(na, '--version')} (release build); medians of {runs} runs after a warm-up.")
w("")
w("| input | baseline | baseline median | netautopsy median | ratio | netautopsy peak RSS |")
w("|---|---|---:|---:|---:|---:|")
for name, base, label, f in [("kern", "grep-kern", "`grep -c 'table full'`", "kern-100m.log"),
                             ("coredns", "grep-coredns", "`grep -c 'table full'`", "coredns-100m.log")]:
    size = os.path.getsize(f"{d}/{f}") / 1e6
    w(f"| {f} ({size:.0f} MB, {lines(f):,} lines) | {label} | {med(base):.3f} s | {med('na-' + name):.3f} s | "
      f"{med('na-' + name) / med(base):.1f}× | {rss('na-' + name):.0f} MB |")
big = os.path.getsize(f"{d}/big-log.tar.gz") / 1e6
w(f"| big-log.tar.gz ({big:.0f} MB holding a 2 GiB kernel log) | `gzip -dc` | {med('gunzip-big'):.2f} s | "
  f"{med('na-big'):.2f} s | {med('na-big') / med('gunzip-big'):.2f}× | {rss('na-big'):.0f} MB |")
if os.path.exists(f"{tmp}/na-sos.json"):
    n = int(open(f"{tmp}/sos-files").read())
    w(f"| a sosreport tree ({n:,} files, `SOSREPORT=`) | `tar -cf -` of the tree | {med('tar-sos'):.2f} s | "
      f"{med('na-sos'):.2f} s | {med('na-sos') / med('tar-sos'):.1f}× | {rss('na-sos'):.0f} MB |")
if os.path.exists(f"{tmp}/na-mg.json"):
    n = int(open(f"{tmp}/mg-files").read())
    w(f"| an OpenShift must-gather tree ({n:,} files, `MUSTGATHER=`) | `tar -cf -` of the tree | {med('tar-mg'):.2f} s | "
      f"{med('na-mg'):.2f} s | {med('na-mg') / med('tar-mg'):.1f}× | {rss('na-mg'):.0f} MB |")
w("")
w(f"The CoreDNS report's findings: {', '.join(ids) if ids else 'none'}.")
figures.put(doc, "text", out, heading="Text at the speed of reading (bench/text.sh)")
PY
