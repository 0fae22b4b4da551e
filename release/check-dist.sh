#!/usr/bin/env bash
# check-dist.sh - the release tarball works where no Swift is installed (`make dist-check`, run by CI):
# verifies SHA256SUMS, unpacks the tarball into an empty directory with the README's Install command,
# then runs the analyzer on the sample bundle in a clean environment (`env -i PATH=/usr/bin:/bin`,
# no LD_LIBRARY_PATH) with the toolchain's library directory hidden: the dynamic loader is told to
# ignore it (LD_PRELOAD-free; the binary's own RUNPATH is checked to name no toolchain directory).
# Fails on any difference from what the report must say.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
tarball="${1:?usage: check-dist.sh dist/netautopsy-VERSION-linux-ARCH.tar.gz}"
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"
fail() { printf '[dist-check] FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf '[dist-check] ok: %s\n' "$*" >&2; }

(cd "$(dirname "$tarball")" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not match the tarball"
ok "SHA256SUMS"

prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
# The README's Install command, into an empty prefix.
tar -xzf "$tarball" --strip-components=1 -C "$prefix"
(cd "$prefix" && sha256sum -c --quiet SHA256SUMS) || fail "the files in the tarball do not match its SHA256SUMS"
ok "unpacked into $prefix, contents match SHA256SUMS"
for f in bin/netautopsy share/netautopsy/netautopsy-collect.sh share/netautopsy/collector-daemonset.yaml \
         share/bash-completion/completions/netautopsy share/zsh/site-functions/_netautopsy \
         share/fish/vendor_completions.d/netautopsy.fish share/man/man1/netautopsy.1 share/man/man1/netautopsy.analyze.1 INSTALL.txt; do
  [ -s "$prefix/$f" ] || fail "missing or empty: $f"
done
ok "every file is there"

bin="$prefix/bin/netautopsy"
# No run-time path into a toolchain, and no Swift library among what the loader resolves.
if readelf -d "$bin" | grep -E 'R(UN)?PATH' | grep -q -i -E 'swift|toolchain|usr/lib/swift'; then fail "RUNPATH names the toolchain: $(readelf -d "$bin" | grep -E 'R(UN)?PATH')"; fi
if ldd "$bin" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|_FoundationICU'; then fail "needs Swift libraries (above)"; fi
ok "needs only: $(ldd "$bin" | awk '{print $1}' | grep -v -E '^(linux-vdso|/lib64/ld-linux)' | tr '\n' ' ')"

# A clean environment: no PATH into the toolchain, no LD_LIBRARY_PATH, HOME and TMPDIR of our own.
run() { env -i PATH=/usr/bin:/bin HOME="$prefix" TMPDIR="$prefix" "$@"; }
run "$bin" --version | grep -q . || fail "--version printed nothing"
out="$(run "$bin" analyze "$root/fixtures/sample-bundle.tar.gz" --format json --no-progress)" || fail "analyze failed"
echo "$out" | grep -q '"schema" : "netautopsy.report/' || echo "$out" | grep -q '"schema": "netautopsy.report/' || fail "not a JSON report"
for id in overlay-mtu-mismatch syn-without-synack; do
  echo "$out" | grep -q "\"$id\"" || fail "the sample's report lacks $id"
done
md="$(run "$bin" analyze "$root/fixtures/sample-bundle.tar.gz" --no-progress)" || fail "analyze (Markdown) failed"
echo "$md" | grep -q '^# netautopsy autopsy' || fail "no Markdown report"
ok "the sample bundle is analyzed in a clean environment"
run "$bin" collector | cmp -s - "$prefix/share/netautopsy/netautopsy-collect.sh" || fail "share/netautopsy/netautopsy-collect.sh is not the collector the binary embeds"
ok "the collector script is the one the binary prints"
grep -q '^\.Dt NETAUTOPSY 1' "$prefix/share/man/man1/netautopsy.1" || fail "netautopsy.1 is not a man page"
bash -c "source '$prefix/share/bash-completion/completions/netautopsy' && complete -p netautopsy" >/dev/null || fail "the bash completion does not load"
ok "bash completion loads"
printf '[dist-check] all good: %s\n' "$(basename "$tarball")" >&2
