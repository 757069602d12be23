#!/usr/bin/env bash
# shallot benchmarks: fio and small files through the FUSE mount against a
# plain directory of the same file system, S3 load against a trivial
# baseline server, and the objstore Go benchmarks against plain files; all
# in one run, reported as ratios (see bench/README.md).
#
#   bash bench/run.sh                 quick run (about 15-20 minutes)
#   BENCH_MODE=full bash bench/run.sh full run (2 GiB files, 20,000 small
#                                     files, 100,000 LIST keys)
#
# Knobs (environment): BENCH_MODE, BENCH_PHASES ("smallfiles fio s3 go"),
# BENCH_WORK (a directory on the file system to measure; default a new one
# under /var/tmp), BENCH_KEEP=1 (keep it), SEQ_SIZE, SEQ_RUNTIME, RUNTIME,
# SMALL_FILES, LIST_KEYS, S3_DURATION, GO_BENCHTIME, SHALLOT_BIN,
# BENCH_FLOOR=0 (skip the FUSE floor: go-fuse's loopback file system over
# the plain directory, without passthrough (bench/floor), run as a third
# column of the fio and small-file rows).
# Needs root for dropping caches (echo 3 > /proc/sys/vm/drop_caches) and
# for the FUSE mount; fio and jq.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

MODE=${BENCH_MODE:-quick}
case $MODE in
quick) : "${SEQ_SIZE:=1g}" "${SMALL_FILES:=5000}" "${LIST_KEYS:=10000}" "${GO_BENCHTIME:=3x}" ;;
full) : "${SEQ_SIZE:=2g}" "${SMALL_FILES:=20000}" "${LIST_KEYS:=100000}" "${GO_BENCHTIME:=10x}" ;;
*) echo "BENCH_MODE must be quick or full" >&2; exit 2 ;;
esac
: "${SEQ_RUNTIME:=180}" "${RUNTIME:=30}" "${S3_DURATION:=20s}"
# Small files run first, on a fresh daemon: after the fio jobs the daemon
# is still busy (see README) and small-file creates drop by ~40%.
PHASES=${BENCH_PHASES:-smallfiles fio s3 go}
SHALLOT_BIN=${SHALLOT_BIN:-$ROOT/bin/shallot}

for tool in fio jq mountpoint; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install fio jq util-linux)" >&2; exit 2; }
done
[ -x "$SHALLOT_BIN" ] || go build -o "$SHALLOT_BIN" ./cmd/shallot

WORK=${BENCH_WORK:-$(mktemp -d /var/tmp/shallot-bench.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data MNT=$WORK/mnt PLAIN=$WORK/plain
# The FUSE floor: go-fuse's loopback file system mounted as shallot mounts
# (bench/floor: 1 MiB requests, 1 s timeouts, no FUSE passthrough), at
# FLOOR over PLAIN/floor. What it reaches is what any FUSE file system built
# on go-fuse pays for the protocol alone on this machine, before doing any
# work of its own.
FLOOR=$WORK/floor
mkdir -p "$DATA" "$MNT" "$PLAIN/floor" "$FLOOR" "$WORK/bin" "$WORK/out"
DPID= FPID=
WITH_FLOOR=${BENCH_FLOOR:-1}

cleanup() {
	local rc=$?
	set +e
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		for _ in $(seq 1 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$DPID" 2>/dev/null && { echo "run.sh: daemon $DPID ignored SIGTERM; killing it" >&2; kill -KILL "$DPID"; }
		wait "$DPID" 2>/dev/null
	fi
	if [ -n "$FPID" ] && kill -0 "$FPID" 2>/dev/null; then
		kill -TERM "$FPID"
		for _ in $(seq 1 20); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$FPID" 2>/dev/null
		wait "$FPID" 2>/dev/null
	fi
	# The daemon's mount, the floor's, and any left by an interrupted
	# in-process mount benchmark (BenchmarkMount* mount under $WORK/gotmp).
	local m
	for m in "$MNT" "$FLOOR" $(findmnt -rn -o TARGET 2>/dev/null | grep "^$WORK/gotmp/" || true); do
		if mountpoint -q "$m"; then
			fusermount3 -u "$m" 2>/dev/null || fusermount -u "$m" 2>/dev/null || umount -l "$m"
		fi
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CAN_DROP=1
drop_caches() {
	sync
	if ! echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
		[ "$CAN_DROP" = 1 ] && echo "run.sh: cannot drop caches (not root?): cold reads are warm" >&2
		CAN_DROP=0
	fi
}

# ---- results table ---------------------------------------------------------
ROWS=() NOTES=()
add_row() { ROWS+=("$1|$2|$3|$4|${5:--}"); } # name|unit|mount|plain|floor
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf (a/b < 0.1 ? "%.3f" : "%.2f"), a/b; else print "-" }'; }
print_table() {
	printf '\n%-34s %-8s %12s %12s %8s %12s %8s\n' "job" "unit" "mount" "plain" "ratio" "fuse floor" "floor r."
	printf '%-34s %-8s %12s %12s %8s %12s %8s\n' "---" "----" "-----" "-----" "-----" "----------" "--------"
	local r name unit m p f
	for r in "${ROWS[@]}"; do
		IFS='|' read -r name unit m p f <<<"$r"
		printf '%-34s %-8s %12s %12s %8s %12s %8s\n' "$name" "$unit" "$m" "$p" "$(ratio "$m" "$p")" "$f" "$(ratio "$f" "$p")"
	done
}

# ---- the daemon --------------------------------------------------------------
export SHALLOT_ROOT_USER=benchadmin SHALLOT_ROOT_PASSWORD=bench-secret-0123456789abcdef
PORT=
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 20000))
	if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "run.sh: no free port" >&2; exit 1; }

start_daemon() {
	"$SHALLOT_BIN" serve --data "$DATA" --mount "$MNT" --s3-addr "127.0.0.1:$PORT" --log-level warn \
		>"$WORK/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 120); do
		if mountpoint -q "$MNT" && curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then return 0; fi
		if ! kill -0 "$DPID" 2>/dev/null; then
			echo "run.sh: daemon exited; its log:" >&2; tail -30 "$WORK/daemon.log" >&2; DPID=; exit 1
		fi
		sleep 0.25
	done
	echo "run.sh: daemon not ready after 30 s; its log:" >&2; tail -30 "$WORK/daemon.log" >&2; exit 1
}

start_floor() {
	[ "$WITH_FLOOR" = 1 ] || return 0
	go build -o "$WORK/bin/floor" ./bench/floor
	"$WORK/bin/floor" "$FLOOR" "$PLAIN/floor" >"$WORK/floor.log" 2>&1 &
	FPID=$!
	for _ in $(seq 1 40); do
		mountpoint -q "$FLOOR" && return 0
		kill -0 "$FPID" 2>/dev/null || break
		sleep 0.25
	done
	echo "run.sh: the FUSE floor did not mount (its log below); going on without it" >&2
	cat "$WORK/floor.log" >&2
	WITH_FLOOR=0 FPID=
}

# targets: the directories (labels) each fio and small-file job runs on.
targets() { if [ "$WITH_FLOOR" = 1 ]; then echo plain floor mount; else echo plain mount; fi; }
# target_dir LABEL: where that label's files go.
target_dir() { case $1 in plain) echo "$PLAIN" ;; floor) echo "$FLOOR" ;; mount) echo "$MNT/bench" ;; esac; }
# floor_value: its argument when the floor ran, else "-".
floor_value() { if [ "$WITH_FLOOR" = 1 ]; then echo "$1"; else echo -; fi; }

host_info() {
	echo "shallot bench, mode $MODE, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
	echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(fio --version)"
	echo "work dir $WORK on $(df --output=source "$WORK" | tail -1) ($(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK"))"
	echo "SEQ_SIZE=$SEQ_SIZE SEQ_RUNTIME=$SEQ_RUNTIME RUNTIME=$RUNTIME SMALL_FILES=$SMALL_FILES LIST_KEYS=$LIST_KEYS S3_DURATION=$S3_DURATION GO_BENCHTIME=$GO_BENCHTIME"
}

# settle waits (at most 120 s) until the daemon has used under 5% of a CPU
# for two seconds running, so that one phase's background work (ETags of
# files written at random offsets, freeing blobs) is not billed to the next;
# it reports how long that took.
settle() {
	[ -n "$DPID" ] && [ -r "/proc/$DPID/stat" ] || return 0
	local hz t0 prev cur quiet=0 i
	hz=$(getconf CLK_TCK)
	t0=$(date +%s)
	prev=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	for i in $(seq 1 120); do
		sleep 1
		cur=$(awk '{print $14 + $15}' "/proc/$DPID/stat" 2>/dev/null) || return 0
		if [ $((cur - prev)) -le $((hz / 20)) ]; then quiet=$((quiet + 1)); else quiet=0; fi
		prev=$cur
		[ $quiet -ge 2 ] && break
	done
	echo "== daemon settled after $(($(date +%s) - t0)) s" >&2
}

# ---- fio ---------------------------------------------------------------------
# run_fio JOB LABEL FILE: runs bench/fio/JOB.fio on FILE; prints nothing,
# leaves $WORK/out/JOB-LABEL.json; returns fio's status.
run_fio() {
	local job=$1 label=$2 file=$3 limit
	limit=$((SEQ_RUNTIME + RUNTIME + 300))
	BENCH_FILE=$file SEQ_SIZE=$SEQ_SIZE SEQ_RUNTIME=$SEQ_RUNTIME RUNTIME=$RUNTIME READ_SIZE=${READ_SIZE:-$SEQ_SIZE} \
		timeout -k 10 "$limit" fio --output-format=json --output="$WORK/out/$job-$label.json" "bench/fio/$job.fio" \
		2>"$WORK/out/$job-$label.err"
}

# fio_value JOB LABEL DIR(read|write) FIELD(bw_bytes|iops): MiB/s or IOPS,
# or a short reason when the job failed.
fio_value() {
	local job=$1 label=$2 dir=$3 field=$4 json=$WORK/out/$1-$2.json err
	err=$(jq -r '.jobs[0].error // 0' "$json" 2>/dev/null || echo parse)
	if [ "$err" != 0 ]; then
		if grep -qi 'invalid argument' "$WORK/out/$job-$label.err" 2>/dev/null && [ "$job" != seqwrite ] && [ "$job" != seqread ]; then
			echo "O_DIRECT-rejected"
		else
			echo "failed($err)"
		fi
		return
	fi
	if [ "$field" = bw_bytes ]; then
		jq -r ".jobs[0].$dir.bw_bytes / 1048576 | . * 10 | round / 10" "$json"
	else
		jq -r ".jobs[0].$dir.iops | round" "$json"
	fi
}

file_mib() { echo $(( $(stat -c %s "$1") >> 20 ))m; }

phase_fio() {
	local t
	mkdir -p "$MNT/bench"
	echo "== fio: sequential write $SEQ_SIZE" >&2
	for t in $(targets); do
		local f; f=$(target_dir $t)/fio.dat
		rm -f "$f"
		run_fio seqwrite $t "$f" || echo "run.sh: seqwrite on $t failed: $(tail -3 "$WORK/out/seqwrite-$t.err")" >&2
	done
	add_row "seq write 1M (end_fsync)" MiB/s "$(fio_value seqwrite mount write bw_bytes)" "$(fio_value seqwrite plain write bw_bytes)" \
		"$(floor_value "$(fio_value seqwrite floor write bw_bytes)")"

	local job label dir field name
	for job in seqread randread randwrite; do
		case $job in
		seqread) dir=read field=bw_bytes name="seq read 1M cold" ;;
		randread) dir=read field=iops name="rand read 4k x4 direct cold" ;;
		randwrite) dir=write field=iops name="rand write 4k x4 direct+fsync" ;;
		esac
		echo "== fio: $name" >&2
		for t in $(targets); do
			local f; f=$(target_dir $t)/fio.dat
			[ -f "$f" ] || { echo "run.sh: $f missing; skipping $job on $t" >&2; continue; }
			READ_SIZE=$(file_mib "$f")
			[ $job = randwrite ] || drop_caches
			READ_SIZE=$READ_SIZE run_fio $job $t "$f" || echo "run.sh: $job on $t failed: $(tail -3 "$WORK/out/$job-$t.err")" >&2
		done
		local unit=IOPS; [ $field = bw_bytes ] && unit=MiB/s
		add_row "$name" $unit "$(fio_value $job mount $dir $field)" "$(fio_value $job plain $dir $field)" \
			"$(floor_value "$(fio_value $job floor $dir $field)")"
	done
	for t in $(targets); do rm -f "$(target_dir $t)/fio.dat"; done
}

# ---- small files -------------------------------------------------------------
phase_smallfiles() {
	go build -o "$WORK/bin/smallfiles" ./bench/smallfiles
	local t dir
	for t in $(targets); do
		dir=$(target_dir $t)/small
		echo "== small files: $SMALL_FILES x 4 KiB on $t" >&2
		"$WORK/bin/smallfiles" -dir "$dir" -n "$SMALL_FILES" -drop-caches=$([ $CAN_DROP = 1 ] && echo true || echo false) \
			>"$WORK/out/small-$t.txt" 2>&1 || { echo "run.sh: smallfiles on $t failed:" >&2; cat "$WORK/out/small-$t.txt" >&2; }
	done
	local ph
	small_rate() { awk -v p="$1" '$2 == p { sub("rate=", "", $5); print $5 }' "$WORK/out/small-$2.txt"; }
	for ph in create stat read; do
		local name="$SMALL_FILES x 4k: $ph"
		[ $ph = create ] || name="$name (cold)"
		add_row "$name" files/s "$(small_rate $ph mount)" "$(small_rate $ph plain)" "$(floor_value "$(small_rate $ph floor 2>/dev/null)")"
	done
	for t in $(targets); do
		while read -r line; do NOTES+=("$t: $line"); done < <(grep -- '-calls' "$WORK/out/small-$t.txt" || true)
	done
}

# ---- S3 ------------------------------------------------------------------------
phase_s3() {
	go build -o "$WORK/bin/s3load" ./bench/s3load
	mkdir -p "$WORK/s3base"
	echo "== S3 load (shallot vs baseline server on $WORK/s3base)" >&2
	"$WORK/bin/s3load" -endpoint "http://127.0.0.1:$PORT" -baseline-dir "$WORK/s3base" \
		-duration "$S3_DURATION" -list-keys "$LIST_KEYS" -drop-caches=$([ $CAN_DROP = 1 ] && echo true || echo false) \
		2>&1 | tee "$WORK/out/s3load.txt" || echo "run.sh: s3load reported errors (above)" >&2
}

# ---- Go benchmarks -------------------------------------------------------------
# Runs in its own temp dirs (b.TempDir under TMPDIR=$WORK), not through the
# daemon; pairs each .../objstore or .../putobject row with its .../plainfile.
phase_go() {
	echo "== Go benchmarks (objstore on directory disks vs plain files), -benchtime $GO_BENCHTIME" >&2
	mkdir -p "$WORK/gotmp"
	TMPDIR=$WORK/gotmp go test -run '^$' -bench . -benchtime "$GO_BENCHTIME" -count 1 -timeout 30m ./bench/ \
		>"$WORK/out/gobench.txt" 2>&1 || { echo "run.sh: go benchmarks failed:" >&2; tail -20 "$WORK/out/gobench.txt" >&2; return; }
	grep -E '^(Benchmark|ok|PASS|FAIL)' "$WORK/out/gobench.txt"
	awk '
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			ns = 0; for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") ns = $i
			n = split(name, part, "/"); kind = part[n]
			base = substr(name, 1, length(name) - length(kind) - 1)
			if (kind == "plainfile") plain[base] = ns; else { sys[base] = ns; which[base] = kind; order[++k] = base }
		}
		END {
			printf "\n%-44s %14s %14s %8s\n", "Go benchmark", "store ns/op", "plain ns/op", "ratio"
			for (i = 1; i <= k; i++) { b = order[i]
				r = (sys[b] > 0 && plain[b] > 0) ? sprintf(plain[b] / sys[b] < 0.1 ? "%.3f" : "%.2f", plain[b] / sys[b]) : "-"
				printf "%-44s %14.0f %14.0f %8s\n", b "/" which[b], sys[b], plain[b], r }
			print "(ratio = plain time / store time: the store runs at that fraction of the plain file speed)"
		}' "$WORK/out/gobench.txt"
}

host_info
case " $PHASES " in *" fio "* | *" smallfiles "* | *" s3 "*) start_daemon ;; esac
case " $PHASES " in *" fio "* | *" smallfiles "*) start_floor ;; esac
for ph in $PHASES; do
	case $ph in
	fio) settle; phase_fio ;;
	smallfiles) settle; phase_smallfiles ;;
	s3) settle; phase_s3 ;;
	go) phase_go ;;
	*) echo "run.sh: unknown phase $ph" >&2; exit 2 ;;
	esac
done
if [ ${#ROWS[@]} -gt 0 ]; then
	print_table
	echo "(ratio = mount / plain; plain = the same job on $PLAIN, same file system;"
	echo " fuse floor = go-fuse's loopback file system without passthrough (bench/floor) over $PLAIN/floor, floor r. = floor / plain)"
	for n in "${NOTES[@]}"; do echo "  $n"; done
fi
if [ -n "$DPID" ]; then
	echo "daemon peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$DPID/status 2>/dev/null || echo '?')"
fi
