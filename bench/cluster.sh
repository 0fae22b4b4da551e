#!/usr/bin/env bash
# cluster.sh - a cluster report of 50 node bundles holding 1 GB of captures in all (issue 23 §5),
# timed and measured (peak RSS) against reading the same captures with tcpdump in the same run.
#
# Usage: sudo bench/cluster.sh [RUNS]       (default 3; medians are reported)
#
# Inputs (made once into $STAGE, default /dev/shm/netautopsy-cluster-bench; delete it to re-make):
# a real capture of TCP traffic through a veth pair in two network namespaces (offloads off,
# full snap length): 8 parallel bulk transfers and a stream of short connections, about 1 GB,
# cut into 50 consecutive slices of about 20 MB, one per node, each in a node bundle with the
# real `ip addr`/`ip route`/`ip -d link` of fixtures/cluster/node-a (hostname node-NN). Nodes 00
# and 01 also carry the two-ended captures of fixtures/cluster (node-a, node-b), so packets are
# followed across nodes as well. Needs: ip tcpdump python3 ethtool, and a release build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
RUNS="${1:-3}"
STAGE="${STAGE:-/dev/shm/netautopsy-cluster-bench}"
NODES=50
BIN="${BIN:-$(cd "$root" && swift build -c release --show-bin-path)/netautopsy}"
[ -x "$BIN" ] || { echo "cluster.sh: no release build at $BIN (make build)" >&2; exit 1; }
log() { printf '[cluster-bench] %s\n' "$*" >&2; }

make_inputs() {
  [ "$(id -u)" -eq 0 ] || { echo "cluster.sh: making the inputs needs root (network namespaces)" >&2; exit 1; }
  command -v ethtool >/dev/null || { echo "cluster.sh: needs ethtool (offloads off: wire-sized packets)" >&2; exit 1; }
  local C=cb-client S=cb-server tmp="$STAGE/raw"
  mkdir -p "$tmp"
  cleanup() { ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
  trap cleanup EXIT
  cleanup
  ip netns add $C; ip netns add $S
  ip link add cb-c0 netns $C type veth peer name cb-s0 netns $S
  for ns in "$C cb-c0 10.60.0.1" "$S cb-s0 10.60.0.2"; do
    # shellcheck disable=SC2086
    set -- $ns
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null
    ip netns exec "$1" ip addr add "$3/24" dev "$2"
    ip netns exec "$1" ip link set "$2" up
  done
  ip netns exec $S python3 -c '
import socket, threading
def serve(port, bulk):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.60.0.2", port)); s.listen(512)
    while True:
        c, _ = s.accept()
        def run(c=c):
            try:
                if bulk:
                    while c.recv(1 << 16): pass
                else:
                    c.recv(64); c.sendall(b"ok\n")
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()
threading.Thread(target=serve, args=(9000, True), daemon=True).start()
serve(9001, False)
' &
  local server=$!
  sleep 0.5
  ip netns exec $C tcpdump -i cb-c0 -n -U -w "$tmp/all.pcap" tcp 2>"$tmp/tcpdump.err" &
  local tap=$!
  for _ in $(seq 50); do grep -q 'listening on' "$tmp/tcpdump.err" && break; sleep 0.1; done
  ip netns exec $C python3 -c '
import socket, threading, time
def bulk():
    s = socket.create_connection(("10.60.0.2", 9000)); chunk = b"x" * 65536
    for _ in range(2000): s.sendall(chunk); time.sleep(0.004)
    s.close()
def short():
    for _ in range(20000):
        s = socket.create_connection(("10.60.0.2", 9001)); s.sendall(b"GET\n"); s.recv(10); s.close()
threads = [threading.Thread(target=bulk) for _ in range(8)] + [threading.Thread(target=short)]
for t in threads: t.start()
for t in threads: t.join()
'
  sleep 0.5
  kill -INT $tap; wait $tap || true
  kill $server 2>/dev/null || true
  cat "$tmp/tcpdump.err" >&2
  # 50 consecutive slices, each a node's capture (pcap records copied as they are).
  python3 - "$tmp/all.pcap" "$STAGE/nodes" "$NODES" "$root/fixtures/cluster" <<'EOF'
import os, shutil, struct, sys
src, out, n, fixtures = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = open(src, "rb").read()
header, records, at = data[:24], [], 24
while at + 16 <= len(data):
    length = struct.unpack_from("<I", data, at + 8)[0]
    records.append((at, 16 + length)); at += 16 + length
per = (len(records) + n - 1) // n
for i in range(n):
    d = os.path.join(out, "node-%02d" % i)
    os.makedirs(os.path.join(d, "captures"), exist_ok=True)
    with open(os.path.join(d, "captures", "eth0.pcap"), "wb") as f:
        f.write(header)
        for off, size in records[i * per:(i + 1) * per]: f.write(data[off:off + size])
    for sub in ("net", "node"):
        shutil.copytree(os.path.join(fixtures, "node-a", sub), os.path.join(d, sub), dirs_exist_ok=True)
    open(os.path.join(d, "node", "hostname.txt"), "w").write("node-%02d\n" % i)
    if i < 2:
        name = "node-a" if i == 0 else "node-b"
        shutil.copy(os.path.join(fixtures, name, "captures", "eth0.pcap"), os.path.join(d, "captures", "path.pcap"))
        for sub in ("net",):
            shutil.copytree(os.path.join(fixtures, name, sub), os.path.join(d, sub), dirs_exist_ok=True)
EOF
  rm -rf "$tmp"
  trap - EXIT
  cleanup
}

[ -d "$STAGE/nodes" ] || { log "making the inputs in $STAGE"; make_inputs; }
total=$(du -cb "$STAGE"/nodes/*/captures/*.pcap | tail -1 | cut -f1)
packets=0
log "$NODES node bundles, $((total / 1000000)) MB of captures"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() { # prints "seconds peak-KiB"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$STAGE/rss" "$@" >/dev/null 2>"$STAGE/stderr" || { cat "$STAGE/stderr" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc) $(cat "$STAGE/rss")"
}
: >"$STAGE/cluster.txt"; : >"$STAGE/tcpdump.txt"; : >"$STAGE/one.txt"
for r in $(seq "$RUNS"); do
  measure "$BIN" analyze --cluster "$STAGE/nodes" -f json -o "$STAGE/cluster.json" --no-progress >>"$STAGE/cluster.txt"
  measure sh -c "for f in $STAGE/nodes/*/captures/*.pcap; do tcpdump -r \$f -w /dev/null 2>/dev/null; done" >>"$STAGE/tcpdump.txt"
  measure "$BIN" analyze "$STAGE/nodes/node-00" -f json -o /dev/null --no-progress >>"$STAGE/one.txt"
  log "run $r: cluster $(tail -1 "$STAGE/cluster.txt"), tcpdump $(tail -1 "$STAGE/tcpdump.txt"), one node $(tail -1 "$STAGE/one.txt")"
done
c=$(cut -d' ' -f1 "$STAGE/cluster.txt" | median); t=$(cut -d' ' -f1 "$STAGE/tcpdump.txt" | median)
cm=$(cut -d' ' -f2 "$STAGE/cluster.txt" | median); om=$(cut -d' ' -f2 "$STAGE/one.txt" | median); o=$(cut -d' ' -f1 "$STAGE/one.txt" | median)
packets=$(python3 -c "import json,sys; r=json.load(open('$STAGE/cluster.json')); print(sum(n['captures']['packets'] for n in r['reports']))" 2>/dev/null || echo "?")
findings=$(python3 -c "import json; r=json.load(open('$STAGE/cluster.json')); print(','.join(f['id'] for f in r['findings']))" 2>/dev/null || echo "?")
printf '%s nodes, %s MB of captures, %s packets, medians of %s runs\n' "$NODES" "$((total / 1000000))" "$packets" "$RUNS"
printf 'cluster report:        %6.2f s, peak %6d MB\n' "$c" "$((${cm%.*} / 1024))"
printf 'tcpdump -r, each file: %6.2f s   (cluster / tcpdump = %.2f)\n' "$t" "$(echo "$c / $t" | bc -l)"
printf 'one node alone:        %6.2f s, peak %6d MB\n' "$o" "$((${om%.*} / 1024))"
printf 'findings between nodes: %s\n' "$findings"
