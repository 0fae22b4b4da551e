#!/usr/bin/env bash
# make-inputs.sh - the benchmark's inputs, captured from real traffic (root: network namespaces,
# veth, tcpdump). Inputs already present are kept; delete them (or the directory) to re-make.
#
# Usage: sudo bench/make-inputs.sh [DIR]      (default: .bench beside this folder; git-ignored)
#
# Writes into DIR:
#   bulk.pcap         about 1.2 GB: 4 parallel bulk TCP transfers (300 MB each, each paced at
#                     $BULK_MBIT, default 100 Mbit/s, so that tcpdump keeps up) through a veth pair
#                     with offloads off (wire-sized segments), full snap length
#   bulk-300m.pcap, bulk-600m.pcap   the first quarter and half of bulk.pcap (for the growth curve)
#   bulk.tar.gz       a collector-like bundle holding bulk.pcap (gzip -1)
#   short.pcap        1,000,000 short TCP connections (connect, the server closes, the client closes)
#                     captured with -s 96
#   synflood.pcap     1,000,000 SYNs with distinct 4-tuples to a port whose answers are dropped
#                     (half-open attempts), -s 96
#   dns.pcap          200,000 DNS lookups (a quarter NXDOMAIN) against dnsmasq, full snap length
#   *.tcpdump-stderr.txt  tcpdump's statistics for each capture (kernel drops, if any)
# Needs: ip tcpdump capinfos dnsmasq cc python3 ethtool iptables.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$here/../.bench}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "make-inputs.sh: needs root (network namespaces)" >&2; exit 1; }
log() { printf '[make-inputs] %s\n' "$*" >&2; }
# captures are written to memory first (tcpdump writing a gigabyte straight to a slow disk drops packets)
tmp="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
C=bn-client
S=bn-server
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del $C 2>/dev/null || true
  ip netns del $S 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cc -O2 -Wall -o "$tmp/traffic" "$here/traffic.c"
ip netns del $C 2>/dev/null || true
ip netns del $S 2>/dev/null || true
ip netns add $C
ip netns add $S
ip link add bn-c0 netns $C type veth peer name bn-s0 netns $S
for pair in "$C bn-c0 10.40.0.1/16" "$S bn-s0 10.40.255.254/16"; do
  # shellcheck disable=SC2086  # split on purpose: namespace, device, address
  set -- $pair
  nsx "$1" ip link set lo up
  nsx "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true
  nsx "$1" ip addr add "$3" dev "$2"
  nsx "$1" ip link set "$2" up
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv4.ip_local_port_range="1024 65535" \
    net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
done
SRV=10.40.255.254

bg() { local ns=$1; shift; ip netns exec "$ns" "$@" >/dev/null 2>&1 & PIDS+=($!); }

capture() { # file snaplen filter, then the command to capture (run in the client namespace)
  local file=$1 snap=$2 filter=$3; shift 3
  local mem err
  mem="$tmp/$(basename "$file")"
  err="${file%.pcap}.tcpdump-stderr.txt"
  ip netns exec $C tcpdump -i bn-c0 -n -U -B 262144 -s "$snap" -Z root -w "$mem" "$filter" 2>"$err" &
  local pid=$!
  for _ in $(seq 50); do grep -q 'listening on' "$err" && break; sleep 0.1; done
  sleep 0.3
  "$@"
  sleep 1
  kill -INT "$pid"
  wait "$pid" || true
  mv "$mem" "$file"
  log "$(basename "$file"): $(du -h "$file" | cut -f1), $(grep -h 'captured\|dropped by kernel' "$err" | tr '\n' ' ')"
}

if [ ! -s "$OUT/bulk.pcap" ]; then
  log "bulk: 4 × 300 MB of TCP through the veth pair"
  bg $S "$tmp/traffic" sink 5001
  sleep 0.3
  bulk() {
    local senders=()
    for _ in 1 2 3 4; do
      nsx $C "$tmp/traffic" send $SRV 5001 300000000 "${BULK_MBIT:-100}" &
      senders+=($!)
    done
    wait "${senders[@]}"
  }
  capture "$OUT/bulk.pcap" 0 "tcp port 5001" bulk
  rm -f "$OUT/bulk-300m.pcap" "$OUT/bulk-600m.pcap" "$OUT/bulk.tar.gz"
fi
if [ ! -s "$OUT/bulk-600m.pcap" ]; then
  frames=$(capinfos -Mc "$OUT/bulk.pcap" | awk '/Number of packets/ {print $NF}')
  tcpdump -r "$OUT/bulk.pcap" -c $((frames / 4)) -w "$OUT/bulk-300m.pcap" 2>/dev/null
  tcpdump -r "$OUT/bulk.pcap" -c $((frames / 2)) -w "$OUT/bulk-600m.pcap" 2>/dev/null
fi
if [ ! -s "$OUT/bulk.tar.gz" ]; then
  log "bulk.tar.gz: a bundle holding bulk.pcap (gzip -1, as the collector writes it)"
  mkdir -p "$tmp/bundle/captures"
  ln "$OUT/bulk.pcap" "$tmp/bundle/captures/eth0.pcap" 2>/dev/null || cp "$OUT/bulk.pcap" "$tmp/bundle/captures/eth0.pcap"
  tar -C "$tmp/bundle" -cf - captures | gzip -1 >"$OUT/bulk.tar.gz"
fi

if [ ! -s "$OUT/short.pcap" ]; then
  log "short: 1,000,000 short TCP connections"
  bg $S "$tmp/traffic" closer 5002
  sleep 0.3
  capture "$OUT/short.pcap" 96 "tcp port 5002" nsx $C "$tmp/traffic" storm $SRV 5002 1000000
fi

if [ ! -s "$OUT/synflood.pcap" ]; then
  log "synflood: 1,000,000 SYNs whose answers never return"
  nsx $S iptables -A INPUT -p tcp --dport 5003 -j DROP
  capture "$OUT/synflood.pcap" 96 "tcp port 5003" nsx $C "$tmp/traffic" synflood 10.40.1.1 $SRV 5003 1000000
  nsx $S iptables -D INPUT -p tcp --dport 5003 -j DROP
fi

if [ ! -s "$OUT/dns.pcap" ]; then
  log "dns: 200,000 lookups against dnsmasq"
  command -v dnsmasq >/dev/null || apt-get install -y -qq dnsmasq-base >/dev/null
  bg $S dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=$SRV --port=53 \
    --local=/cluster.local/ --address=/svc.cluster.local/10.96.0.1 --cache-size=10000
  sleep 1
  cat >"$tmp/dns.py" <<'PY'
import random, socket, struct, sys
server, n = sys.argv[1], int(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(64)]
for s in socks:
    s.settimeout(1)
for i in range(n):
    # three in four resolve (svc.cluster.local), one in four is NXDOMAIN (the search-path misses)
    name = f"svc{i % 5000}.ns{i % 40}." + ("svc.cluster.local" if i % 4 else "cluster.local")
    q = struct.pack(">HHHHHH", random.getrandbits(16), 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socks[i % len(socks)]
    s.sendto(q, (server, 53))
    try:
        s.recv(512)
    except socket.timeout:
        pass
PY
  capture "$OUT/dns.pcap" 0 "port 53" nsx $C python3 "$tmp/dns.py" $SRV 200000
fi
chmod a+r "$OUT"/*
ls -la "$OUT" >&2
