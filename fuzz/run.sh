#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...] - builds the libFuzzer binaries (ASan + libFuzzer, -D FUZZING)
# and runs each fuzz target for SECONDS (default 300; the text target runs SECONDS/4 per parser),
# seeded from fixtures/ and fuzz/regressions/. Prints one line per run and appends it to
# .build-fuzz/runs.tsv; a crash leaves its input in .build-fuzz/artifacts/ and the script fails.
# FUZZ_RUNS=N runs each target N inputs with a fixed seed instead (repeatable: what CI does).
# Copy a crash input to fuzz/regressions/TARGET/ once fixed: the test suite replays that folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-300}
[ $# -gt 0 ] && shift
ALL=(capture packet dns archive manifest fio text classify redact)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
SCRATCH=.build-fuzz
FLAGS=(-Xswiftc "-sanitize=fuzzer,address" -Xswiftc -DFUZZING -Xswiftc -use-ld=lld --scratch-path "$SCRATCH")
for t in "${TARGETS[@]}"; do swift build --product "fuzz-$t" "${FLAGS[@]}" 2>&1 | grep -v "Cannot export local symbol" | tail -1; done
BIN=$(swift build "${FLAGS[@]}" --show-bin-path)
CORPUS=$SCRATCH/corpus
ART=$SCRATCH/artifacts
mkdir -p "$CORPUS" "$ART"
[ -d "$CORPUS/.seeded" ] || python3 fuzz/seed.py "$CORPUS" && mkdir -p "$CORPUS/.seeded"
KINDS=(sysctl sysctl-json interfaces-json dns-debug-json syslog sockstat dmesg coredns-log ip-link ip-addr ip-route resolv-conf tracepath ping proc-stat softnet-stat ss nstat snmp
       conntrack-stats iptables iptables-counts ipvs kube-proxy kubelet-config tcpdump-stats hostname uname)
status=0
run() { # name binary corpus seconds [env]
    local name=$1 bin=$2 corpus=$3 secs=$4 log="$SCRATCH/$1.log"
    mkdir -p "$corpus" "fuzz/regressions/${name%%:*}"
    local rc=0
    local budget=(-max_total_time="$secs")
    [ -n "${FUZZ_RUNS:-}" ] && budget=(-runs="$FUZZ_RUNS" -seed=1)
    env ${5:+"$5"} "$bin" "$corpus" "fuzz/regressions/${name%%:*}" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$ART/${name//:/-}-" >"$log" 2>&1 || rc=$?
    local runs units
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    units=$(find "$corpus" -type f | wc -l)
    local result=ok
    if [ "$rc" != 0 ]; then result="FAILED (exit $rc, see $log)"; status=1; fi
    local spent="$secs s"
    [ -n "${FUZZ_RUNS:-}" ] && spent="seed 1"
    printf '%s\t%s\t%s runs\t%s corpus units\t%s\n' "$name" "$spent" "${runs:-?}" "$units" "$result" | tee -a "$SCRATCH/runs.tsv"
}
for t in "${TARGETS[@]}"; do
    if [ "$t" = text ]; then
        for k in "${KINDS[@]}"; do run "text:$k" "$BIN/fuzz-text" "$CORPUS/text-$k" $(( BUDGET / 4 > 0 ? BUDGET / 4 : 1 )) "NETAUTOPSY_FUZZ_KIND=$k"; done
    else
        run "$t" "$BIN/fuzz-$t" "$CORPUS/$t" "$BUDGET"
    fi
done
exit $status
