#!/usr/bin/env python3
"""fuzz/seed.py CORPUS - seed corpora for the fuzz targets from fixtures/ (stdlib only).

capture: the fixture captures; packet, redact: their first frames with the link type in front;
dns: the UDP port 53 payloads among them; archive: small fixture archives; manifest, fio: the
fixture manifests and fio results; text-KIND: every fixture text file (coverage sorts them out).
"""
import glob, hashlib, os, struct, sys, tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = sys.argv[1]
KINDS = ["sysctl", "sysctl-json", "interfaces-json", "dns-debug-json", "syslog", "sockstat", "dmesg", "coredns-log", "ip-link", "ip-addr", "ip-route", "resolv-conf", "tracepath", "ping",
         "proc-stat", "softnet-stat", "ss", "nstat", "snmp", "conntrack-stats", "iptables", "iptables-counts", "ipvs",
         "kube-proxy", "kubelet-config", "tcpdump-stats"]


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as fh:
        fh.write(data)


def frames(data):
    """(linktype, frame) of a classic pcap (either byte order)."""
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return []
    link = struct.unpack_from(e + "I", data, 20)[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data) and len(out) < 200:
        cap = struct.unpack_from(e + "I", data, off + 8)[0]
        out.append((link, data[off + 16: off + 16 + cap]))
        off += 16 + cap
    return out


def dns_payload(link, f):
    ip = {1: 14, 113: 16, 276: 20, 101: 0}.get(link)
    if ip is None or len(f) < ip + 28 or f[ip] >> 4 != 4 or f[ip + 9] != 17:
        return None
    udp = ip + (f[ip] & 15) * 4
    sport, dport = struct.unpack_from(">HH", f, udp)
    return f[udp + 8:] if 53 in (sport, dport) else None


for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/captures/*"))):
    data = open(path, "rb").read()
    if len(data) <= 1 << 20:
        put("capture", data)
    for link, f in frames(data)[:60]:
        put("packet", struct.pack(">H", link) + f)
        put("redact", struct.pack(">H", link) + f)
        p = dns_payload(link, f)
        if p:
            put("dns", p)
for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/hostile/*")) + [os.path.join(ROOT, "fixtures/sample-bundle.tar.gz")]):
    if os.path.getsize(path) <= 100_000:
        put("archive", open(path, "rb").read())
texts = [p for p in glob.glob(os.path.join(ROOT, "fixtures/**/*"), recursive=True)
         if os.path.isfile(p) and (p.endswith((".txt", ".log", ".conf", ".json", ".yaml")) or "/layouts/" in p)
         and os.path.getsize(p) <= 200_000]
for path in sorted(texts):
    data = open(path, "rb").read()
    if path.endswith("manifest.json"):
        put("manifest", data)
    if "fio" in os.path.basename(path):
        put("fio", data)
    for k in KINDS:
        put("text-" + k, data)
    put("classify", os.path.relpath(path, ROOT).encode() + b"\n" + data[:4096])
# Troubleshoot's dns/debug.json (and its sysctl.json-like neighbours) from the real bundle
with tarfile.open(os.path.join(ROOT, "fixtures/layouts/troubleshoot/baseline.tar.gz")) as tf:
    for m in tf.getmembers():
        if m.isfile() and m.name.endswith(("dns/debug.json", "dns/debug.txt")):
            put("text-dns-debug-json", tf.extractfile(m).read())
for bundle in glob.glob(os.path.join(ROOT, "fixtures/*.tar.gz")):
    with tarfile.open(bundle) as tf:
        for m in tf.getmembers():
            if m.isfile() and m.name.endswith("manifest.json"):
                put("manifest", tf.extractfile(m).read())
            if m.isfile() and "fio" in m.name and m.name.endswith(".json"):
                put("fio", tf.extractfile(m).read())
for d in sorted(os.listdir(OUT)):
    print("%-22s %5d seeds" % (d, len(os.listdir(os.path.join(OUT, d)))))
