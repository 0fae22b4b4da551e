#!/bin/sh
# netautopsy-collect: gather a Kubernetes node's network-incident evidence into one .tar.gz
# for `netautopsy analyze`. POSIX sh; runs as root on the node (or in a privileged pod with the
# host's namespaces). Every tool is optional except mkdir, rm, mv, cat, sed, tr, wc, sleep, tar
# and gzip: a missing or failing tool is recorded in manifest.json and the collection goes on.
#
#   sh netautopsy-collect.sh --duration 60 --trace 10.96.0.10
#
# Bundle layout and manifest: docs/bundle-format.md (format netautopsy.bundle/1).
# Source of truth: collector/netautopsy-collect.sh in the netautopsy repository; the
# `netautopsy collector` command prints this exact file.

NA_VERSION=0.1.0
NA_FORMAT=netautopsy.bundle/1
export LC_ALL=C
umask 077

usage() {
	cat <<'EOF'
usage: netautopsy-collect.sh [options]

Collects sysctls, kernel log, packet captures, CoreDNS logs, an etcd-style fio
fdatasync test and network state into one .tar.gz for `netautopsy analyze`.

  --duration SECONDS       capture length (default 30; 0 = no capture)
  --interface IF           interface to capture on, repeatable or comma-separated
                           (default: any)
  --capture-filter EXPR    tcpdump filter expression (default: none)
  --max-capture-mb MB      size cap of all captures together, kept as a ring
                           buffer of the newest packets (default 200)
  --snaplen BYTES          bytes kept per packet (default: tcpdump's, 262144)
  --since DURATION         log window for kubectl logs / journalctl, e.g. 30m, 2h
                           (default 1h)
  --no-fio                 skip the fio fdatasync disk-latency test
  --fio-dir DIR            where fio writes its 22 MB test file (default: the etcd
                           data dir /var/lib/etcd if present, else /var/lib)
  --trace HOST             run `tracepath -n HOST` (repeatable)
  --coredns-logs PATH      CoreDNS log file or directory to include (otherwise
                           `kubectl logs` is tried when a kubeconfig is present)
  --redact                 replace IPs, MACs and this node's names in text files
                           with consistent tokens and keep only packet headers
                           (snaplen 128); see docs/bundle-format.md
  --command-timeout SECS   time limit for each command (default 30)
  --output PATH            bundle path or directory (default:
                           ./netautopsy-HOST-UTCSTAMP.tar.gz)
  --quiet                  no progress messages on stderr
  --version, --help

Ctrl-C (or SIGTERM) stops the capture early and still writes the bundle; a second
Ctrl-C aborts without one. The bundle's path is printed on stdout.
EOF
}

say() { [ "$quiet" = 1 ] || printf 'netautopsy-collect: %s\n' "$*" >&2; }
die() { printf 'netautopsy-collect: error: %s\n' "$*" >&2; exit 2; }
have() { command -v "$1" >/dev/null 2>&1; }
is_function() { case $(command -v "$1" 2>/dev/null) in */*) return 1 ;; *) return 0 ;; esac; }
is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

# ---------------------------------------------------------------------------- options
duration=30
interfaces=""
capture_filter=""
max_capture_mb=200
snaplen=""
since=1h
do_fio=1
fio_dir=""
traces=""
coredns_logs=""
redact=0
command_timeout=30
output=""
quiet=0

while [ $# -gt 0 ]; do
	opt=$1
	val=""
	inline=0
	case $opt in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		inline=1
		;;
	esac
	case $opt in
	--duration | --interface | --capture-filter | --max-capture-mb | --snaplen | --since | --fio-dir | \
		--trace | --coredns-logs | --command-timeout | --output)
		if [ "$inline" = 0 ]; then
			[ $# -ge 2 ] || die "$opt needs a value (see --help)"
			val=$2
			shift
		fi
		;;
	*) [ "$inline" = 0 ] || die "$opt takes no value" ;;
	esac
	case $opt in
	--duration) duration=$val ;;
	--interface) interfaces="$interfaces $(printf '%s' "$val" | tr ',' ' ')" ;;
	--capture-filter) capture_filter=$val ;;
	--max-capture-mb) max_capture_mb=$val ;;
	--snaplen) snaplen=$val ;;
	--since) since=$val ;;
	--no-fio) do_fio=0 ;;
	--fio-dir) fio_dir=$val ;;
	--trace) traces="$traces $val" ;;
	--coredns-logs) coredns_logs=$val ;;
	--redact) redact=1 ;;
	--command-timeout) command_timeout=$val ;;
	--output) output=$val ;;
	--quiet) quiet=1 ;;
	--version)
		printf 'netautopsy-collect %s (%s)\n' "$NA_VERSION" "$NA_FORMAT"
		exit 0
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option: $opt (see --help)" ;;
	esac
	shift
done

is_uint "$duration" || die "--duration must be a whole number of seconds, not '$duration'"
if ! is_uint "$max_capture_mb" || [ "$max_capture_mb" -lt 1 ]; then die "--max-capture-mb must be a whole number >= 1, not '$max_capture_mb'"; fi
[ -z "$snaplen" ] || is_uint "$snaplen" || die "--snaplen must be a whole number, not '$snaplen'"
if ! is_uint "$command_timeout" || [ "$command_timeout" -lt 1 ]; then die "--command-timeout must be a whole number >= 1, not '$command_timeout'"; fi
case $since in '' | *[!0-9smhd]* | [!0-9]*) die "--since must look like 30m, 2h or 90s, not '$since'" ;; esac
[ -n "$interfaces" ] || interfaces=any
for i in $interfaces; do
	case $i in *[!A-Za-z0-9._@:-]*) die "--interface: '$i' is not an interface name" ;; esac
done
for h in $traces; do
	case $h in -* | *[!A-Za-z0-9._:-]*) die "--trace: '$h' is not a host name or address" ;; esac
done
if [ "$redact" = 1 ]; then
	if [ -z "$snaplen" ] || [ "$snaplen" -gt 128 ] || [ "$snaplen" = 0 ]; then snaplen=128; fi
fi
for tool in mkdir rm mv cat sed tr wc sleep tar gzip; do
	have "$tool" || die "required tool not found on PATH: $tool"
done

# ---------------------------------------------------------------------------- helpers
# Wall-clock time in UTC: from date(1), else computed from the boot time in /proc/stat plus
# /proc/uptime (days-to-civil conversion after H. Hinnant), so that a node without date still
# gets a timeline.
utc_now() {
	date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null && return 0
	un_epoch=$(epoch_now)
	if [ -n "$un_epoch" ]; then utc_from_epoch "$un_epoch"; else printf 'unknown'; fi
}
epoch_now() {
	en_btime=""
	while read -r en_k en_v; do [ "$en_k" != btime ] || en_btime=$en_v; done </proc/stat 2>/dev/null
	en_up=""
	{ read -r en_up _ </proc/uptime; } 2>/dev/null
	[ -n "$en_btime" ] && [ -n "$en_up" ] && printf '%s' $((en_btime + ${en_up%.*}))
}
utc_from_epoch() {
	z=$(($1 / 86400 + 719468))
	sod=$(($1 % 86400))
	era=$((z / 146097))
	doe=$((z - era * 146097))
	yoe=$(((doe - doe / 1460 + doe / 36524 - doe / 146096) / 365))
	doy=$((doe - (365 * yoe + yoe / 4 - yoe / 100)))
	mp=$(((5 * doy + 2) / 153))
	day=$((doy - (153 * mp + 2) / 5 + 1))
	if [ "$mp" -lt 10 ]; then month=$((mp + 3)); else month=$((mp - 9)); fi
	year=$((yoe + era * 400))
	[ "$month" -gt 2 ] || year=$((year + 1))
	printf '%04d-%02d-%02dT%02d:%02d:%02dZ' "$year" "$month" "$day" $((sod / 3600)) $((sod % 3600 / 60)) $((sod % 60))
}

# Centiseconds since boot (from /proc/uptime): a clock for durations that cannot jump.
now_cs() {
	up=""
	{ read -r up _ </proc/uptime; } 2>/dev/null
	case $up in
	*.*)
		cs_frac=${up#*.}
		cs_frac=${cs_frac#0}
		printf '%s' $((${up%.*} * 100 + ${cs_frac:-0}))
		;;
	*) printf '0' ;;
	esac
}

# Prints $1 as a JSON string literal (control bytes and non-ASCII dropped).
json_str() {
	case $1 in
	*[![:print:]]* | *[\\\"]*)
		printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\010\013-\037\177-\377' |
			sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g')"
		;;
	*) printf '"%s"' "$1" ;;
	esac
}

file_bytes() { # bytes in file $1 (0 when absent)
	if [ -f "$1" ]; then
		fb=$(wc -c <"$1" 2>/dev/null) || fb=0
		printf '%s' $((fb + 0))
	else
		printf '0'
	fi
}

entry_count=0
# record ID KIND OUT STATUS COMMAND EXIT DURATION_MS STARTED REASON [EXTRA_JSON]
record() {
	rec_bytes=0
	[ -z "$3" ] || rec_bytes=$(file_bytes "$root/$3")
	{
		[ "$entry_count" = 0 ] || printf ',\n'
		printf '    {"id": %s, "kind": %s, "status": %s, "command": %s' \
			"$(json_str "$1")" "$(json_str "$2")" "$(json_str "$4")" "$(json_str "$5")"
		[ -z "$3" ] || printf ', "output": %s, "bytes": %s' "$(json_str "$3")" "$rec_bytes"
		[ -z "$6" ] || printf ', "exit_code": %s' "$6"
		[ -z "$7" ] || printf ', "duration_ms": %s' "$7"
		[ -z "$8" ] || printf ', "started_at": %s' "$(json_str "$8")"
		[ -z "$9" ] || printf ', "reason": %s' "$(json_str "$9")"
		[ -z "${10}" ] || printf ', %s' "${10}"
		printf '}'
	} >>"$work/entries"
	entry_count=$((entry_count + 1))
	case $4 in
	ok) n_ok=$((n_ok + 1)) ;;
	skipped) n_skipped=$((n_skipped + 1)) ;;
	*) n_failed=$((n_failed + 1)) ;;
	esac
}
n_ok=0
n_skipped=0
n_failed=0

skip() { # ID KIND COMMAND REASON
	record "$1" "$2" "" skipped "$3" "" "" "" "$4"
}

# Kills PID $1 (TERM, then KILL) if it is still running after $2 seconds, unless the marker file
# $3 is gone (the command ended: the PID may belong to someone else by then). Leaves a marker so
# that the caller can tell a timeout from a failure. Runs in the background; the caller signals
# it to stop early, and a signal lost in the fork window only leaves it sleeping harmlessly.
watchdog() {
	trap 'kill "$wd_sleep" 2>/dev/null; exit 0' TERM
	trap - EXIT INT HUP
	sleep "$2" &
	wd_sleep=$!
	wait "$wd_sleep"
	[ -e "$3" ] || exit 0
	: >"$work/timedout.$1"
	terminate "$1" TERM
	sleep 3 &
	wd_sleep=$!
	wait "$wd_sleep"
	[ -e "$3" ] || exit 0
	terminate "$1" KILL
	exit 0
}

# Commands run in a process group of their own when setsid is there, so that a timeout or
# Ctrl-C stops what they started too (a wrapper script's children, fio's workers).
if have setsid; then own_group=1; else own_group=0; fi
terminate() { # PID SIGNAL
	if [ "$own_group" = 1 ]; then kill -"$2" "-$1" 2>/dev/null || kill -"$2" "$1" 2>/dev/null; else kill -"$2" "$1" 2>/dev/null; fi
}

# Waits for PID $1; a trapped signal interrupts `wait`, so wait again while it still runs.
# (stderr: shells announce "Terminated" for a job stopped by a signal, which is expected here)
wait_for() {
	wait "$1" 2>/dev/null
	wf_rc=$?
	while [ "$wf_rc" -gt 128 ] && kill -0 "$1" 2>/dev/null; do
		wait "$1" 2>/dev/null
		wf_rc=$?
	done
	return "$wf_rc"
}

# run ID KIND OUT TIMEOUT CMD [ARGS...]: CMD's stdout goes to the bundle path OUT; the
# outcome goes to the manifest (with $run_label as the command, when set). Never fails.
run_label=""
run() {
	r_id=$1
	r_kind=$2
	r_out=$3
	r_limit=$4
	shift 4
	r_cmd=${run_label:-$*}
	run_label=""
	if ! have "$1"; then
		skip "$r_id" "$r_kind" "$r_cmd" "tool not found: $1"
		return 0
	fi
	mkdir -p "$root/${r_out%/*}"
	say "$r_id: $r_cmd"
	r_started=$(utc_now)
	r_t0=$(now_cs)
	if [ "$own_group" = 1 ] && ! is_function "$1"; then
		setsid "$@" >"$root/$r_out" 2>"$work/stderr" </dev/null &
	else
		"$@" >"$root/$r_out" 2>"$work/stderr" </dev/null &
	fi
	r_pid=$!
	current_pid=$r_pid
	: >"$work/running.$r_pid"
	watchdog "$r_pid" "$r_limit" "$work/running.$r_pid" 2>/dev/null &
	r_dog=$!
	wait_for "$r_pid"
	r_rc=$?
	current_pid=""
	rm -f "$work/running.$r_pid"
	kill "$r_dog" 2>/dev/null
	r_ms=$((($(now_cs) - r_t0) * 10))
	r_reason=""
	if [ -e "$work/timedout.$r_pid" ]; then
		r_status=timed-out
		r_reason="timed out after ${r_limit} s"
		rm -f "$work/timedout.$r_pid"
	elif [ "$r_rc" = 0 ]; then
		r_status=ok
	elif [ "$interrupted" = 1 ] && [ "$r_rc" -gt 128 ]; then
		r_status=interrupted
		r_reason="stopped by the user"
	else
		r_status=failed
		r_reason="exit code $r_rc"
	fi
	# a failed command's empty output says nothing the manifest does not
	[ "$r_status" = ok ] || [ -s "$root/$r_out" ] || {
		rm -f "$root/$r_out"
		r_out=""
	}
	if [ "$r_status" != ok ] && [ -s "$work/stderr" ]; then
		r_err=$(sed -n '1,4p' "$work/stderr")
		r_reason="$r_reason: $(printf '%.300s' "$r_err")"
	fi
	record "$r_id" "$r_kind" "$r_out" "$r_status" "$r_cmd" "$r_rc" "$r_ms" "$r_started" "$r_reason"
}

# copy ID KIND OUT SOURCE: a file (e.g. under /proc) into the bundle.
copy() {
	if [ ! -e "$4" ]; then
		skip "$1" "$2" "cat $4" "not present on this node: $4"
		return 0
	fi
	run "$1" "$2" "$3" "$command_timeout" cat "$4"
}

sleep_interruptibly() { # SECONDS: returns early on Ctrl-C
	[ "$1" -gt 0 ] 2>/dev/null || return 0
	sleep "$1" &
	si_pid=$!
	current_pid=$si_pid
	wait_for "$si_pid"
	current_pid=""
}

# ---------------------------------------------------------------------------- signals, work dir
interrupted=0
fio_base="" # where fio ran, for the manifest
current_pid=""
capture_entries="" # PID:NAME:INTERFACE of each running tcpdump
work=""

stop_capture_processes() {
	for e in $capture_entries; do kill -TERM "${e%%:*}" 2>/dev/null; done
}

# A background subshell (the watchdog) starts with this shell's traps until it sets its own; a
# signal in that window must not run them there (they would delete the work directory or stop
# the captures mid-run), so each handler first checks that it runs in the main shell.
# (/proc/self is the shell itself here: `read` is a builtin, so no process is started.)
main_pid=$$
in_main_shell() {
	{ read -r ims_pid _ </proc/self/stat; } 2>/dev/null || return 0
	[ "$ims_pid" = "$main_pid" ]
}

cleanup() {
	in_main_shell || exit 0
	stop_capture_processes
	[ -z "$current_pid" ] || terminate "$current_pid" TERM
	[ -z "$work" ] || rm -rf "$work"
	[ -z "$partial" ] || rm -f "$partial"
}

on_signal() {
	in_main_shell || exit 0
	if [ "$interrupted" = 1 ]; then
		say "aborted: no bundle written"
		cleanup
		trap - EXIT
		exit 130
	fi
	interrupted=1
	say "interrupted: stopping the capture and finishing the bundle with what was collected (Ctrl-C again to abort)"
	stop_capture_processes
	[ -z "$current_pid" ] || terminate "$current_pid" TERM
}

partial=""
trap cleanup EXIT
trap on_signal INT TERM HUP

host=""
{ read -r host </proc/sys/kernel/hostname; } 2>/dev/null
[ -n "$host" ] || host=$(uname -n 2>/dev/null)
[ -n "$host" ] || host=unknown
host_safe=$(printf '%s' "$host" | tr -c 'A-Za-z0-9._-' '_')
stamp=$(utc_now | tr -d ':-')
if [ "$redact" = 1 ]; then bundle_name="netautopsy-redacted-$stamp"; else bundle_name="netautopsy-$host_safe-$stamp"; fi

if [ -z "$output" ]; then
	output="./$bundle_name.tar.gz"
elif [ -d "$output" ]; then
	output="${output%/}/$bundle_name.tar.gz"
fi
case $output in */*) out_dir=${output%/*} ;; *) out_dir=. ;; esac
[ -n "$out_dir" ] || out_dir=/
[ -d "$out_dir" ] || die "output directory does not exist: $out_dir"
# The work dir sits beside the output (same filesystem as the final bundle, not a small tmpfs).
work="$out_dir/.netautopsy-collect.$$"
mkdir "$work" 2>/dev/null || {
	work=""
	die "cannot create a work directory in $out_dir (not writable?)"
}
root="$work/$bundle_name"
mkdir -p "$root"
started_at=$(utc_now)
t_start=$(now_cs)
say "collecting into $output (Ctrl-C to stop early)"

# ---------------------------------------------------------------------------- packet capture
capture_started=""
capture_t0=0

start_captures() {
	if [ "$duration" = 0 ]; then
		skip capture capture "tcpdump" "--duration 0"
		return 0
	fi
	if ! have tcpdump; then
		skip capture capture "tcpdump -i $interfaces" "tool not found: tcpdump"
		return 0
	fi
	mkdir -p "$root/captures"
	n_if=0
	for _ in $interfaces; do n_if=$((n_if + 1)); done
	per_if_mb=$((max_capture_mb / n_if))
	[ "$per_if_mb" -ge 1 ] || per_if_mb=1
	if [ "$per_if_mb" -ge 4 ]; then ring_files=4; else ring_files=$per_if_mb; fi
	ring_mb=$((per_if_mb / ring_files))
	# Immediate mode hands every packet to tcpdump at once: without it libpcap delivers in blocks
	# up to a second late, and the packets of the last block are lost when the capture is stopped.
	immediate=""
	if tcpdump --help 2>&1 | grep -q -- --immediate-mode; then immediate=--immediate-mode; fi
	capture_started=$(utc_now)
	capture_t0=$(now_cs)
	for i in $interfaces; do
		c_name=$(printf '%s' "$i" | tr -c 'A-Za-z0-9._-' '_')
		set -- -i "$i" -n -U -w "$root/captures/$c_name.pcap" -C "$ring_mb" -W "$ring_files"
		[ -z "$immediate" ] || set -- "$@" "$immediate"
		[ -z "$snaplen" ] || set -- "$@" -s "$snaplen"
		[ "$(id -u 2>/dev/null || echo 0)" != 0 ] || set -- "$@" -Z root
		# tcpdump joins its trailing arguments into one expression, so one argument will do
		[ -z "$capture_filter" ] || set -- "$@" "$capture_filter"
		say "capture: tcpdump $* (for ${duration} s)"
		tcpdump "$@" </dev/null 2>"$root/captures/$c_name.tcpdump-stderr.txt" &
		capture_entries="$capture_entries $!:$c_name:$i"
	done
}

stop_captures() {
	[ -n "$capture_entries" ] || return 0
	elapsed=$((($(now_cs) - capture_t0) / 100))
	if [ "$interrupted" = 0 ] && [ "$elapsed" -lt "$duration" ]; then
		say "capture: waiting $((duration - elapsed)) s more"
		sleep_interruptibly $((duration - elapsed))
	fi
	stop_capture_processes
	capture_ended=$(utc_now)
	c_ms=$((($(now_cs) - capture_t0) * 10))
	for e in $capture_entries; do
		c_pid=${e%%:*}
		c_rest=${e#*:}
		c_name=${c_rest%%:*}
		c_if=${c_rest#*:}
		wait_for "$c_pid"
		c_rc=$?
		files=$(name_ring_files "$c_name")
		if [ -z "$files" ]; then
			c_status=failed
			c_reason="tcpdump wrote no capture file (exit code $c_rc): $(printf '%.300s' "$(sed -n '1,3p' "$root/captures/$c_name.tcpdump-stderr.txt" 2>/dev/null)")"
		elif [ "$c_rc" = 0 ] || [ "$c_rc" = 143 ]; then
			c_status=ok
			c_reason=""
			[ "$interrupted" = 0 ] || c_reason="stopped early by the user; the partial capture is kept"
		else
			c_status=failed
			c_reason="tcpdump exit code $c_rc"
		fi
		c_files_json=""
		c_total=0
		for f in $files; do
			c_files_json="$c_files_json${c_files_json:+, }$(json_str "captures/$f")"
			c_total=$((c_total + $(file_bytes "$root/captures/$f")))
		done
		c_cmd="tcpdump -i $c_if -n -U -C $ring_mb -W $ring_files${immediate:+ $immediate}${snaplen:+ -s $snaplen}${capture_filter:+ $capture_filter}"
		first_file=${files%% *}
		record "capture-$c_name" capture "${first_file:+captures/$first_file}" "$c_status" "$c_cmd" "$c_rc" "$c_ms" \
			"$capture_started" "$c_reason" \
			"\"interface\": $(json_str "$c_if"), \"files\": [$c_files_json], \"total_bytes\": $c_total, \"stderr\": $(json_str "captures/$c_name.tcpdump-stderr.txt"), \"capture_started_at\": $(json_str "$capture_started"), \"capture_ended_at\": $(json_str "$capture_ended"), \"requested_duration_s\": $duration, \"max_capture_mb\": $max_capture_mb, \"snaplen\": ${snaplen:-262144}"
	done
	capture_entries=""
}

# tcpdump -C/-W names the ring NAME.pcap0..N; rename to NAME.pcap or NAME-1.pcap, NAME-2.pcap... in
# the order they were written (oldest first) and print the new names.
name_ring_files() {
	nr_dir="$root/captures"
	nr_base=$1
	set --
	for f in "$nr_dir/$nr_base".pcap[0-9]*; do [ -f "$f" ] && set -- "$@" "$f"; done
	[ $# -gt 0 ] || return 0
	if [ $# = 1 ]; then
		nr_new=$(basename_of "$1" | sed 's/\.pcap[0-9]*$/.pcap/')
		mv "$1" "$nr_dir/$nr_new"
		printf '%s' "$nr_new"
		return 0
	fi
	# oldest first: `ls -tr` when present, else numeric order (right unless the ring wrapped)
	if have ls; then
		# shellcheck disable=SC2012,SC2046 # our own file names: no spaces, newlines or globs
		set -- $(ls -tr "$@")
	fi
	nr_i=1
	nr_names=""
	for f in "$@"; do
		nr_new="$(basename_of "$f" | sed 's/\.pcap[0-9]*$//')-$nr_i.pcap"
		mv "$f" "$nr_dir/$nr_new"
		nr_names="$nr_names${nr_names:+ }$nr_new"
		nr_i=$((nr_i + 1))
	done
	printf '%s' "$nr_names"
}

basename_of() { printf '%s' "${1##*/}"; }

# ---------------------------------------------------------------------------- collectors
collect_node() {
	run uname uname node/uname.txt "$command_timeout" uname -a
	copy os-release text node/os-release.txt /etc/os-release
	run sysctl sysctl node/sysctl-a.txt "$command_timeout" sysctl -a
	run dmesg dmesg node/dmesg.txt "$command_timeout" dmesg
	if [ -s "$root/node/dmesg.txt" ]; then
		skip journalctl-kernel dmesg "journalctl -k" "not needed: dmesg was readable"
	else
		run journalctl-kernel dmesg node/journalctl-k.txt "$command_timeout" \
			journalctl -k --no-pager -o short-iso "--since=-$since"
	fi
	copy proc-stat-start proc-stat node/proc-stat-start.txt /proc/stat
	copy softnet-stat softnet-stat node/softnet_stat.txt /proc/net/softnet_stat
}

collect_network() {
	run ip-link ip-link net/ip-d-link.txt "$command_timeout" ip -d link show
	run ip-link-stats ip-link net/ip-s-link.txt "$command_timeout" ip -s link show
	run ip-addr ip-addr net/ip-d-addr.txt "$command_timeout" ip -d addr show
	run ip-route ip-route net/ip-route.txt "$command_timeout" ip route show table all
	run ip-6-route ip-route net/ip-6-route.txt "$command_timeout" ip -6 route show table all
	run ss-summary ss net/ss-s.txt "$command_timeout" ss -s
	run ss-tcp-info ss net/ss-tin.txt "$command_timeout" ss -tin
	run nstat nstat net/nstat-az.txt "$command_timeout" nstat -asz
	copy proc-net-snmp snmp net/proc-net-snmp.txt /proc/net/snmp
	copy proc-net-netstat snmp net/proc-net-netstat.txt /proc/net/netstat
	copy proc-net-snmp6 snmp net/proc-net-snmp6.txt /proc/net/snmp6
	copy proc-net-sockstat sockstat net/proc-net-sockstat.txt /proc/net/sockstat
	copy conntrack-stat conntrack-stats net/proc-net-stat-nf_conntrack.txt /proc/net/stat/nf_conntrack
	run conntrack-stats conntrack-stats net/conntrack-S.txt "$command_timeout" conntrack -S
	run conntrack-count conntrack-stats net/conntrack-C.txt "$command_timeout" conntrack -C
	saved=0
	for v in legacy nft; do
		if have "iptables-$v-save"; then
			run "iptables-$v" iptables "net/iptables-$v-save.txt" "$command_timeout" "iptables-$v-save"
			saved=1
		else
			skip "iptables-$v" iptables "iptables-$v-save" "tool not found: iptables-$v-save"
		fi
	done
	[ "$saved" = 1 ] || run iptables iptables net/iptables-save.txt "$command_timeout" iptables-save
	count_iptables_rules
	run ipvs ipvs net/ipvsadm-Ln.txt "$command_timeout" ipvsadm -Ln
	copy resolv-conf resolv-conf net/resolv.conf /etc/resolv.conf
	if [ -f /run/systemd/resolve/resolv.conf ]; then
		copy resolv-conf-systemd resolv-conf net/resolv-systemd.conf /run/systemd/resolve/resolv.conf
	fi
}

# Rule and chain counts per saved ruleset: the kube-proxy scale check reads these.
count_iptables_rules() {
	if ! have awk; then
		skip iptables-counts iptables-counts "awk" "tool not found: awk"
		return 0
	fi
	set --
	for f in "$root"/net/iptables*-save.txt; do [ -s "$f" ] && set -- "$@" "$f"; done
	if [ $# = 0 ]; then
		skip iptables-counts iptables-counts "awk (iptables rule counts)" "no iptables ruleset was saved"
		return 0
	fi
	run_label="awk (rules and chains per table in net/iptables*-save.txt)"
	# shellcheck disable=SC2016 # an awk program, not shell
	run iptables-counts iptables-counts net/iptables-counts.txt "$command_timeout" awk '
		FNR == 1 { file = FILENAME; sub(/.*\//, "", file) }
		/^\*/ { table = substr($0, 2) }
		/^:/ { chains[file " " table]++; if ($1 ~ /^:KUBE-SVC-/) svc[file]++; if ($1 ~ /^:KUBE-SEP-/) sep[file]++ }
		/^-A / { rules[file " " table]++; total[file]++ }
		END {
			for (k in rules) print k, "rules", rules[k]
			for (k in chains) print k, "chains", chains[k]
			for (f in total) print f, "all", "rules", total[f]
			for (f in svc) print f, "all", "kube-svc-chains", svc[f]
			for (f in sep) print f, "all", "kube-sep-chains", sep[f]
		}' "$@"
}

# kube-proxy mode: its command line and its /proxyMode endpoint. Runs before the capture starts,
# so that the probe of a closed port 10249 does not show up in it as a refused connection.
collect_kube_proxy_mode() {
	run_label="search /proc/*/cmdline for kube-proxy"
	run kube-proxy-mode kube-proxy k8s/kube-proxy-mode.txt "$command_timeout" kube_proxy_mode
	if have curl; then
		run kube-proxy-proxymode kube-proxy k8s/kube-proxy-proxyMode.txt "$command_timeout" \
			curl -s --max-time 5 http://127.0.0.1:10249/proxyMode
	else
		skip kube-proxy-proxymode kube-proxy "curl http://127.0.0.1:10249/proxyMode" "tool not found: curl"
	fi
}

collect_kubernetes() {
	mkdir -p "$root/k8s"
	# the kube-proxy configmap says the mode when the process could not be found
	pod_resolv=$(find_pod_resolv_conf)
	if [ -n "$pod_resolv" ]; then
		copy pod-resolv-conf resolv-conf k8s/pod-resolv.conf "$pod_resolv"
	else
		skip pod-resolv-conf resolv-conf "cat POD/etc/resolv.conf" "no pod resolv.conf found (no containerd/docker sandbox or pod process on this node)"
	fi
	if [ -f /var/lib/kubelet/config.yaml ]; then
		copy kubelet-config kubelet-config k8s/kubelet-config.yaml /var/lib/kubelet/config.yaml
	else
		skip kubelet-config kubelet-config "cat /var/lib/kubelet/config.yaml" "not present on this node: /var/lib/kubelet/config.yaml"
	fi
	kubeconfig=$(find_kubeconfig)
	if [ -n "$kubeconfig" ] && have kubectl; then
		run_label="kubectl -n kube-system get configmap kube-proxy -o yaml"
		run kube-proxy-configmap kube-proxy k8s/kube-proxy-configmap.yaml "$command_timeout" \
			kc get configmap kube-proxy -o yaml
	fi
	collect_coredns_logs
}

kube_proxy_mode() {
	if ! have grep; then
		printf 'grep not found: kube-proxy processes not searched\n'
		return 0
	fi
	found=0
	grep -l -a -s kube-proxy /proc/[0-9]*/cmdline >"$work/kube-proxy-pids"
	while read -r c; do
		args=$(tr '\000' ' ' <"$c" 2>/dev/null) || continue
		case ${args%% *} in
		*kube-proxy)
			printf 'cmdline: %s\n' "$args"
			found=1
			;;
		esac
	done <"$work/kube-proxy-pids"
	[ "$found" = 1 ] || printf 'no kube-proxy process found on this node\n'
}

# A pod's resolv.conf (what ndots and the search list really are for workloads): a containerd or
# docker sandbox's copy, else one seen through a pod process's root.
find_pod_resolv_conf() {
	have grep || return 0
	for f in /var/run/containerd/io.containerd.grpc.v1.cri/sandboxes/*/resolv.conf \
		/run/containerd/io.containerd.grpc.v1.cri/sandboxes/*/resolv.conf \
		/var/lib/docker/containers/*/resolv.conf /proc/[0-9]*/root/etc/resolv.conf; do
		[ -f "$f" ] || continue
		if grep -q 'svc\.' "$f" 2>/dev/null; then
			printf '%s' "$f"
			return 0
		fi
	done
}

# kubectl against kube-system with the kubeconfig that find_kubeconfig chose ($kubeconfig).
kc() {
	if [ "$kubeconfig" = in-cluster ]; then
		kubectl --request-timeout=10s -n kube-system "$@"
	else
		kubectl --kubeconfig "$kubeconfig" --request-timeout=10s -n kube-system "$@"
	fi
}

find_kubeconfig() {
	for k in "${KUBECONFIG:-}" "${HOME:-/root}/.kube/config" /etc/kubernetes/admin.conf; do
		if [ -n "$k" ] && [ -f "$k" ]; then
			printf '%s' "$k"
			return 0
		fi
	done
	if [ -n "${KUBERNETES_SERVICE_HOST:-}" ] && [ -f /var/run/secrets/kubernetes.io/serviceaccount/token ]; then
		printf 'in-cluster'
	fi
}

collect_coredns_logs() {
	if [ -n "$coredns_logs" ]; then
		if [ ! -e "$coredns_logs" ]; then
			skip coredns-logs coredns-log "cp $coredns_logs" "--coredns-logs path does not exist: $coredns_logs"
			return 0
		fi
		mkdir -p "$root/k8s/coredns"
		if [ -d "$coredns_logs" ]; then
			n=0
			for f in "$coredns_logs"/*; do
				[ -f "$f" ] || continue
				n=$((n + 1))
				copy "coredns-log-$n" coredns-log "k8s/coredns/$(basename_of "$f")" "$f"
			done
			[ "$n" -gt 0 ] || skip coredns-logs coredns-log "cp $coredns_logs/*" "no files in $coredns_logs"
		else
			copy coredns-log coredns-log "k8s/coredns/$(basename_of "$coredns_logs")" "$coredns_logs"
		fi
		return 0
	fi
	if [ "$interrupted" = 1 ]; then
		skip coredns-logs coredns-log "kubectl logs" "interrupted by the user"
		return 0
	fi
	if ! have kubectl; then
		skip coredns-logs coredns-log "kubectl logs -n kube-system -l k8s-app=kube-dns" "tool not found: kubectl (or pass --coredns-logs PATH)"
		return 0
	fi
	kubeconfig=$(find_kubeconfig)
	if [ -z "$kubeconfig" ]; then
		skip coredns-logs coredns-log "kubectl logs -n kube-system -l k8s-app=kube-dns" "no kubeconfig found (set KUBECONFIG, or pass --coredns-logs PATH)"
		return 0
	fi
	run_label="kubectl -n kube-system get pods -l k8s-app=kube-dns -o name"
	run dns-pods text k8s/dns-pods.txt "$command_timeout" kc get pods -l k8s-app=kube-dns -o name
	n=0
	pods_file="$root/k8s/dns-pods.txt"
	[ -f "$pods_file" ] || pods_file=/dev/null
	while read -r pod; do
		case $pod in pod/*) ;; *) continue ;; esac
		n=$((n + 1))
		run_label="kubectl -n kube-system logs $pod --all-containers --timestamps --since=$since"
		run "coredns-log-$n" coredns-log "k8s/coredns/${pod#pod/}.log" 120 \
			kc logs "$pod" --all-containers --timestamps "--since=$since"
	done <"$pods_file"
	[ "$n" -gt 0 ] || skip coredns-logs coredns-log "kubectl logs" "no pods with label k8s-app=kube-dns found"
}

collect_traces() {
	[ -n "$traces" ] || return 0
	t_n=1
	for h in $traces; do
		if [ "$interrupted" = 1 ]; then
			skip "tracepath-$h" tracepath "tracepath -n $h" "interrupted by the user"
			continue
		fi
		# a redacted bundle must not carry the target's name in a file name
		t_name=$h
		[ "$redact" = 0 ] || t_name=$t_n
		t_n=$((t_n + 1))
		run "tracepath-$t_name" tracepath "traces/tracepath-$t_name.txt" 60 tracepath -n "$h"
	done
}

collect_fio() {
	# etcd's WAL write pattern (docs/bundle-format.md); --runtime bounds it on a slow disk
	set -- --rw=write --ioengine=sync --fdatasync=1 --bs=2300 --size=22m --runtime=60 --output-format=json
	fio_cmd="fio $*"
	if [ "$do_fio" = 0 ]; then
		skip fio-fdatasync fio "$fio_cmd" "disabled with --no-fio"
		return 0
	fi
	if [ "$interrupted" = 1 ]; then
		skip fio-fdatasync fio "$fio_cmd" "interrupted by the user"
		return 0
	fi
	if ! have fio; then
		skip fio-fdatasync fio "$fio_cmd" "tool not found: fio"
		return 0
	fi
	base=$fio_dir
	if [ -z "$base" ]; then
		if [ -d /var/lib/etcd ]; then base=/var/lib/etcd; else base=/var/lib; fi
	fi
	fio_work="$base/netautopsy-fio.$$"
	if ! mkdir "$fio_work" 2>/dev/null; then
		skip fio-fdatasync fio "$fio_cmd" "cannot create a test directory in $base"
		return 0
	fi
	run fio-fdatasync fio disk/fio-fdatasync.json 120 fio --name=etcd-fdatasync "--directory=$fio_work" "$@"
	rm -rf "$fio_work"
	fio_base=$base
}

# ---------------------------------------------------------------------------- redaction
# One awk pass over every text file so that a value gets the same token in all of them:
# IPv4 -> 198.18.0.0/15 (RFC 2544), IPv6 -> 2001:db8::/32 (RFC 3849; link-local stays fe80::),
# MAC -> 02:00:00:xx:xx:xx, this node's names and --trace names -> host-N.
redact_text_files() {
	set --
	for f in "$root"/*/*.txt "$root"/*/*.conf "$root"/*/*.yaml "$root"/*/*.json "$root"/*/*.log "$root"/*/*/*.log "$root"/manifest.json; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	[ $# -gt 0 ] || return 0
	names="$host"
	fqdn=$(hostname -f 2>/dev/null) && [ "$fqdn" != "$host" ] && names="$names $fqdn"
	for h in $traces; do case $h in *[!0-9.:]*) names="$names $h" ;; esac; done
	awk -v names="$names" '
	function tok4(a) { if (!(a in m4)) { n4++; m4[a] = sprintf("198.%d.%d.%d", 18 + int(n4 / 65536) % 2, int(n4 / 256) % 256, n4 % 256) } return m4[a] }
	function tok6(a,  l) { l = tolower(a); if (!(l in m6)) { n6++; m6[l] = sprintf("%s::%x", (substr(l, 1, 4) == "fe80" ? "fe80" : "2001:db8"), n6) } return m6[l] }
	function tokm(a,  l) { l = tolower(a); if (!(l in mm)) { nm++; mm[l] = sprintf("02:00:00:%02x:%02x:%02x", int(nm / 65536) % 256, int(nm / 256) % 256, nm % 256) } return mm[l] }
	function isword(c) { return c ~ /[0-9A-Za-z_]/ }
	function v4(s,  out, pre, cand, n, o, i, ok, nxt) {
		out = ""
		while (match(s, /[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*/)) {
			pre = substr(s, 1, RSTART - 1); cand = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			n = split(cand, o, "."); ok = 1
			for (i = 1; i <= 4; i++) if (length(o[i]) > 3 || o[i] + 0 > 255) ok = 0
			if (pre != "" && substr(pre, length(pre), 1) ~ /[0-9A-Za-z_.]/) ok = 0
			nxt = substr(s, 1, 2); if (nxt ~ /^\.[0-9]/) ok = 0
			if (o[1] == "0" || o[1] == "127" || o[1] == "255" || cand == "169.254.169.254") ok = 0
			out = out pre (ok ? tok4(cand) : cand)
		}
		return out s
	}
	function v6(s,  out, pre, cand, n, g, i, ok, colons, tmp) {
		out = ""
		while (match(s, /[0-9A-Fa-f:][0-9A-Fa-f:]*:[0-9A-Fa-f:]*/)) {
			pre = substr(s, 1, RSTART - 1); cand = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			tmp = cand; colons = gsub(/:/, ":", tmp)
			ok = (index(cand, "::") > 0 || colons == 7) && index(cand, ":::") == 0 && cand ~ /[0-9A-Fa-f]/ && colons <= 7
			n = split(cand, g, ":"); for (i = 1; i <= n; i++) if (length(g[i]) > 4) ok = 0
			if (pre != "" && isword(substr(pre, length(pre), 1))) ok = 0
			if (isword(substr(s, 1, 1))) ok = 0
			if (cand == "::" || cand == "::1") ok = 0
			out = out pre (ok ? tok6(cand) : cand)
		}
		return out s
	}
	function mac(s,  out, pre, cand) {
		out = ""
		while (match(s, /[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]/)) {
			pre = substr(s, 1, RSTART - 1); cand = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			if (tolower(cand) == "00:00:00:00:00:00" || tolower(cand) == "ff:ff:ff:ff:ff:ff") out = out pre cand
			else out = out pre tokm(cand)
		}
		return out s
	}
	function hostnames(s,  i, p, out, rest, a, b) {
		for (i = 1; i <= nn; i++) {
			out = ""; rest = s
			while ((p = index(rest, hn[i])) > 0) {
				# a whole name only: not inside a longer word, a dotted key (vm.swappiness) or a domain
				a = substr(rest, p - 1, 1); b = substr(rest, p + length(hn[i]), 2)
				if ((p == 1 || !(isword(a) || a == "-" || a == ".")) && b !~ /^([0-9A-Za-z_-]|\.[0-9A-Za-z_-])/) out = out substr(rest, 1, p - 1) ht[i]
				else out = out substr(rest, 1, p - 1 + length(hn[i]))
				rest = substr(rest, p + length(hn[i]))
			}
			s = out rest
		}
		return s
	}
	BEGIN {
		nn = split(names, hn, " ")
		# longest first, so that the FQDN is replaced before the short name inside it
		for (i = 1; i <= nn; i++) for (j = i + 1; j <= nn; j++) if (length(hn[j]) > length(hn[i])) { t = hn[i]; hn[i] = hn[j]; hn[j] = t }
		for (i = 1; i <= nn; i++) ht[i] = "host-" i
	}
	FNR == 1 { if (out != "") close(out); out = FILENAME ".redacted" }
	{
		line = $0
		if (line ~ /[0-9A-Fa-f][0-9A-Fa-f]:[0-9A-Fa-f][0-9A-Fa-f]:/) line = mac(line)
		tmp = line
		if (index(line, "::") > 0 || gsub(/:/, ":", tmp) >= 7) line = v6(line)
		if (line ~ /[0-9]\.[0-9]/) line = v4(line)
		if (nn > 0) line = hostnames(line)
		print line > out
	}' "$@" || return 1
	for f in "$@"; do [ ! -f "$f.redacted" ] || mv "$f.redacted" "$f"; done
}

# ---------------------------------------------------------------------------- main
boot_epoch=""
while read -r k v; do
	if [ "$k" = btime ]; then boot_epoch=$v; fi
done </proc/stat 2>/dev/null
kernel=""
{ read -r kernel </proc/sys/kernel/osrelease; } 2>/dev/null

collect_kube_proxy_mode
start_captures
collect_node
collect_network
collect_kubernetes
collect_traces
collect_fio
stop_captures
copy proc-stat-end proc-stat node/proc-stat-end.txt /proc/stat
ended_at=$(utc_now)
t_total_ms=$((($(now_cs) - t_start) * 10))

traces_json=""
for h in $traces; do traces_json="$traces_json${traces_json:+, }$(json_str "$h")"; done
if_json=""
for i in $interfaces; do if_json="$if_json${if_json:+, }$(json_str "$i")"; done
if [ "$interrupted" = 1 ]; then interrupted_json=true; else interrupted_json=false; fi
if [ "$redact" = 1 ]; then redact_json=true; else redact_json=false; fi
{
	printf '{\n'
	printf '  "format": %s,\n' "$(json_str "$NA_FORMAT")"
	printf '  "collector": {"name": "netautopsy-collect", "version": %s},\n' "$(json_str "$NA_VERSION")"
	printf '  "hostname": %s,\n' "$(json_str "$host")"
	printf '  "kernel": %s,\n' "$(json_str "$kernel")"
	[ -z "$boot_epoch" ] || printf '  "boot_time_epoch": %s,\n' "$boot_epoch"
	printf '  "started_at": %s,\n' "$(json_str "$started_at")"
	printf '  "ended_at": %s,\n' "$(json_str "$ended_at")"
	printf '  "duration_ms": %s,\n' "$t_total_ms"
	printf '  "interrupted": %s,\n' "$interrupted_json"
	printf '  "redacted": %s,\n' "$redact_json"
	printf '  "options": {"duration_s": %s, "interfaces": [%s], "capture_filter": %s, "max_capture_mb": %s, "snaplen": %s, "since": %s, "fio": %s, "fio_dir": %s, "traces": [%s], "coredns_logs": %s, "command_timeout_s": %s},\n' \
		"$duration" "$if_json" "$(json_str "$capture_filter")" "$max_capture_mb" "${snaplen:-262144}" "$(json_str "$since")" \
		"$([ "$do_fio" = 1 ] && printf true || printf false)" "$(json_str "$fio_base")" "$traces_json" \
		"$(json_str "$coredns_logs")" "$command_timeout"
	printf '  "commands": [\n'
	cat "$work/entries" 2>/dev/null
	printf '\n  ]\n}\n'
} >"$root/manifest.json"

if [ "$redact" = 1 ]; then
	if have awk; then
		say "redacting addresses and names in text files"
		redact_text_files || die "redaction failed: no bundle written (nothing unredacted is kept)"
	else
		die "--redact needs awk, which is not on PATH: no bundle written"
	fi
fi

# manifest.json first, so that a reader streaming the archive meets it before the files it lists
set -- "$bundle_name/manifest.json"
for d in "$root"/*/; do [ -d "$d" ] && set -- "$@" "$bundle_name/$(basename_of "${d%/}")"; done
partial="$output.partial.$$"
if ! tar -C "$work" -czf "$partial" "$@" 2>"$work/tar.err"; then
	tar -C "$work" -cf - "$@" 2>"$work/tar.err" | gzip -c >"$partial" || die "tar failed: $(sed -n 1p "$work/tar.err")"
fi
mv "$partial" "$output" || die "cannot move the bundle to $output"
partial=""
say "done: $n_ok collected, $n_skipped skipped, $n_failed failed or timed out (details in manifest.json)"
printf '%s\n' "$output"
