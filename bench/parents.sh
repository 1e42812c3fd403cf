#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks parent and child streams: the Stripe configuration of
# docs/parents-and-children.md (the block marked `<!-- tested: stripe -->`, read from
# the page itself) against tsync-mock-api's Stripe invoices and their lines, and
# prints a table of the cases and their targets, each PASS or MISS.
#
#   bench/parents.sh                 the three cases below at their sizes: about three
#                                    minutes, one of them the sequential sync
#   bench/parents.sh --smoke         tiny sizes and 2 ms of latency, one run each:
#                                    checks the script works (the targets are not for
#                                    so few, so a MISS there means nothing)
#   bench/parents.sh --runs N        runs of the max_concurrency 8 case (3; the
#                                    median is reported)
#   bench/parents.sh --no-sequential leaves out the max_concurrency 1 comparison
#   bench/parents.sh --invoices 1000 --lines 300 --latency-ms 20 --partitions 100000
#   bench/parents.sh --build-dir DIR the release build in DIR (build by default)
#
# 1. Partitions in flight: $invoices invoices of $lines lines each (pages of 100),
#    $latency_ms ms added to every response, "max_concurrency": 8 and "parents":
#    "all", into a new replica. The requests are the run's (the sum of `requests` in
#    `_sync_log`); the floor the latency sets is requests x latency / 8. Target: the
#    sync within 1.25x the floor. Checked: every line and every invoice in the
#    replica, one `_partition` row per invoice. The same with max_concurrency 1,
#    once, for comparison.
# 2. A changed-parents night: on the replica of 1, ten invoices change (a line
#    added to each: POST /admin/stripe/change?count=10), then a sync with the
#    documented "parents": "changed". Target: the invoices' pages and at most the
#    ten changed invoices' chains of lines (their lines now take one page more);
#    checked: exactly ten partitions read, and the added lines in the replica.
# 3. Many partitions: $partitions invoices of one line each, no latency,
#    "max_concurrency": 4 (the default), into a new replica. Targets: the sync's
#    peak RSS under 100 MB, then `tsync status` under 1 s. Checked: one
#    `_partition` row per invoice and every line in the replica.
#
# Every case runs the release build against tsync-mock-api on 127.0.0.1. Wall time
# is measured around the process with bash's own clock; peak memory is the
# process's max RSS from GNU time. The mock's own count of the requests it served
# is printed beside tsync's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=build
smoke=false
runs=3
sequential=true
invoices=1000
lines=300
latency_ms=20
partitions=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --no-sequential) sequential=false; shift ;;
    --invoices) invoices=$2; shift 2 ;;
    --lines) lines=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --smoke) smoke=true; runs=1; invoices=40; lines=250; latency_ms=2; partitions=2000; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$invoices" -ge 10 ] || { echo "bench: --invoices takes at least 10 (ten of them change)" >&2; exit 2; }

case "$build" in /*) ;; *) build="$root/$build" ;; esac
tsync="$build/tsync"
mock_bin="$build/tsync-mock-api"
[ -x "$tsync" ] && [ -x "$mock_bin" ] || { echo "bench: build $build first (cmake --build $build --target tsync tsync-mock-api)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (scripts/install-deps.sh --bench)" >&2; exit 1; }

work=$(mktemp -d)
mock_pid=""
stop_mock() {
  if [ -n "$mock_pid" ]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    mock_pid=""
  fi
}
trap 'stop_mock; rm -rf "$work"' EXIT

# start_mock OPTION...: a mock serving what the options say (--stripe ...); sets $api
# (http://127.0.0.1:PORT). It is ready once it names the invoices' lines.
start_mock() {
  stop_mock
  "$mock_bin" --users 1 --port 0 "$@" >"$work/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 2400); do
    grep -q 'invoice lines' "$work/mock.log" && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
    sleep 0.05
  done
  grep -q 'invoice lines' "$work/mock.log" || { echo "bench: the mock did not start" >&2; exit 1; }
  api=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -1)
}

# mock_requests: the data requests the mock has served since it started.
mock_requests() { curl -fsS "$api/admin/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'; }
# in_flight: the most data requests the mock had in flight at once since it started.
in_flight() { curl -fsS "$api/admin/load" | sed 's/.*"peak_concurrent_requests":\([0-9]*\).*/\1/'; }

# write_config MAX_CONCURRENCY PARENTS: the documented Stripe configuration in
# $work/config.json, at the mock's address, its database $work/replica.db, with
# max_concurrency and the lines' "parents" set.
write_config() {
  awk '/<!-- tested: stripe -->/ { marked = 1; next }
       marked && /^```json$/ { inside = 1; next }
       inside && /^```$/ { exit }
       inside { print }' docs/parents-and-children.md \
    | sed -e "s#http://127\.0\.0\.1:5001#$api#g" \
          -e "s#^{\"database\": \"[^\"]*\",#{\"database\": \"$work/replica.db\", \"max_concurrency\": $1,#" \
          -e "s#\"parents\": \"changed\"#\"parents\": \"$2\"#" >"$work/config.json"
  grep -q "\"max_concurrency\": $1," "$work/config.json" && grep -q "\"parents\": \"$2\"" "$work/config.json" \
    || { echo "bench: the Stripe configuration of docs/parents-and-children.md changed shape; fix write_config" >&2; exit 1; }
}

fresh_replica() { rm -f "$work"/replica.db*; }
sync_cmd=("$tsync" sync --quiet --config "$work/config.json")
q() { sqlite3 -cmd '.timeout 5000' "$work/replica.db" "$1"; }
fail() { echo "bench: $*" >&2; exit 1; }

# timed COMMAND...: runs COMMAND under GNU time; sets $seconds (wall time) and $kib
# (peak RSS); shows its output and stops if it fails.
timed() {
  local start end
  start=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$* failed"; }
  end=$EPOCHREALTIME
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  kib=$(tail -1 "$work/rss")
}

# check_first_sync N_INVOICES N_LINES: the replica holds every invoice and line, one
# partition per invoice, each read whole, and every run ended ok.
check_first_sync() {
  [ "$(q 'SELECT count(*) FROM invoices')" = "$1" ] || fail "the replica holds $(q 'SELECT count(*) FROM invoices') invoices, not $1"
  [ "$(q 'SELECT count(*) FROM lines')" = "$2" ] || fail "the replica holds $(q 'SELECT count(*) FROM lines') lines, not $2"
  [ "$(q "SELECT count(*) FROM _partition WHERE stream = 'lines'")" = "$1" ] \
    || fail "_partition holds $(q "SELECT count(*) FROM _partition WHERE stream = 'lines'") partitions of lines, not $1"
  [ "$(q "SELECT count(*) FROM _partition WHERE status <> 'ok' OR parent_version IS NULL")" = 0 ] \
    || fail "some partitions were not read whole: $(q "SELECT status, count(*) FROM _partition GROUP BY status")"
  [ "$(q "SELECT count(*) FROM _sync_log WHERE status <> 'ok'")" = 0 ] \
    || fail "a run did not end ok: $(q "SELECT stream, status, error FROM _sync_log WHERE status <> 'ok'")"
  [ "$(q "SELECT count(DISTINCT invoices_id) FROM lines")" = "$1" ] || fail "some invoices have no lines in the replica"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pages() { echo $(( ($1 + 99) / 100 )); }
# Stripe's last_record paging: a chain of N records at 100 a page ends on the page
# whose has_more is false; N a multiple of 100 needs no empty page after it.
chain() { local p; p=$(pages "$1"); [ "$p" -gt 0 ] || p=1; echo "$p"; }

echo "bench: parents and children: $(nproc) cores; $invoices invoices x $lines lines, $latency_ms ms a response; $partitions partitions$($smoke && echo ' (smoke: the targets are not for so few)')"
: >"$work/table"
: >"$work/targets"
row() { printf '%-64s %9s %9s %9s %9s %9s\n' "$@" >>"$work/table"; }
target() { printf '%-4s %s\n' "$1" "$2" >>"$work/targets"; }
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi; }
row "case" "seconds" "peak MiB" "requests" "mock saw" "in flight"

# 1. Partitions in flight.
start_mock --stripe "$invoices:$lines" --latency-ms "$latency_ms"
expected_requests=$(( $(pages "$invoices") + invoices * $(chain "$lines") ))
if $sequential; then
  write_config 1 all
  fresh_replica
  before=$(mock_requests)
  timed "${sync_cmd[@]}"
  check_first_sync "$invoices" $((invoices * lines))
  seq_seconds=$seconds
  seq_requests=$(q 'SELECT sum(requests) FROM _sync_log')
  row "$invoices invoices x $lines lines, max_concurrency 1" "$seconds" \
    "$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')" "$seq_requests" \
    "$(( $(mock_requests) - before ))" "$(in_flight)"
fi
write_config 8 all
: >"$work/times8"
for _ in $(seq 1 "$runs"); do
  fresh_replica
  before=$(mock_requests)
  timed "${sync_cmd[@]}"
  check_first_sync "$invoices" $((invoices * lines))
  echo "$seconds $kib" >>"$work/times8"
  mock_saw=$(( $(mock_requests) - before ))
done
requests=$(q 'SELECT sum(requests) FROM _sync_log')
[ "$requests" = "$expected_requests" ] \
  || echo "bench: note: the sync made $requests requests, where the pages are $expected_requests" >&2
t8=$(cut -d' ' -f1 "$work/times8" | median)
kib8=$(cut -d' ' -f2 "$work/times8" | sort -n | tail -1)
row "$invoices invoices x $lines lines, max_concurrency 8$([ "$runs" -gt 1 ] && echo " (median of $runs)")" \
  "$(printf '%.3f' "$t8")" "$(awk -v k="$kib8" 'BEGIN { printf "%.1f", k / 1024 }')" "$requests" "$mock_saw" "$(in_flight)"
floor=$(awk -v r="$requests" -v ms="$latency_ms" 'BEGIN { printf "%.3f", r * ms / 1000 / 8 }')
ratio=$(awk -v t="$t8" -v f="$floor" 'BEGIN { printf "%.2f", t / f }')
target "$(verdict "$(awk -v x="$ratio" 'BEGIN { print (x <= 1.25) }')")" \
  "partitions in flight: $(printf '%.3f' "$t8") s against a floor of $requests requests x $latency_ms ms / 8 = $floor s: ${ratio}x (target: at most 1.25x); runs: $(cut -d' ' -f1 "$work/times8" | tr '\n' ' ')"
if $sequential; then
  seq_floor=$(awk -v r="$seq_requests" -v ms="$latency_ms" 'BEGIN { printf "%.3f", r * ms / 1000 }')
  target "    " "max_concurrency 1: $seq_seconds s against a floor of $seq_requests x $latency_ms ms = $seq_floor s ($(awk -v t="$seq_seconds" -v f="$seq_floor" 'BEGIN { printf "%.2f", t / f }')x); 8 in flight is $(awk -v a="$seq_seconds" -v b="$t8" 'BEGIN { printf "%.2f", a / b }')x faster"
fi

# 2. A changed-parents night, on the replica of the last run of 1.
write_config 8 changed
last_run=$(q 'SELECT max(run_id) FROM _sync_log')
curl -fsS --data '' "$api/admin/stripe/change?count=10" >/dev/null
before=$(mock_requests)
timed "${sync_cmd[@]}"
mock_saw=$(( $(mock_requests) - before ))
inv_requests=$(q "SELECT coalesce(sum(requests), 0) FROM _sync_log WHERE run_id > $last_run AND stream = 'invoices'")
line_requests=$(q "SELECT coalesce(sum(requests), 0) FROM _sync_log WHERE run_id > $last_run AND stream = 'lines'")
lines_run=$(q "SELECT max(run_id) FROM _sync_log WHERE run_id > $last_run AND stream = 'lines'")
read_partitions=$(q "SELECT count(*) FROM _partition WHERE stream = 'lines' AND run_id = $lines_run")
[ "$(q "SELECT count(*) FROM _sync_log WHERE run_id > $last_run AND status <> 'ok'")" = 0 ] \
  || fail "a run of the changed night did not end ok: $(q "SELECT stream, status, error FROM _sync_log WHERE run_id > $last_run AND status <> 'ok'")"
[ "$(q 'SELECT count(*) FROM lines')" = $((invoices * lines + 10)) ] \
  || fail "after the changed night the replica holds $(q 'SELECT count(*) FROM lines') lines, not $((invoices * lines + 10))"
[ "$read_partitions" = 10 ] || fail "the changed night read $read_partitions partitions of lines, not the 10 that changed"
row "changed night: 10 of $invoices invoices changed, max_concurrency 8" "$seconds" \
  "$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')" "$((inv_requests + line_requests))" "$mock_saw" "-"
inv_target=$(pages "$invoices")
line_target=$((10 * $(chain $((lines + 1)))))
target "$(verdict $(( inv_requests <= inv_target && line_requests <= line_target )))" \
  "changed night: invoices $inv_requests requests (target: $inv_target pages), lines $line_requests requests in $read_partitions partitions (target: at most 10 chains of $(chain $((lines + 1))) pages, $line_target)"
stop_mock

# 3. Many partitions.
start_mock --stripe "$partitions:1"
write_config 4 all
fresh_replica
before=$(mock_requests)
timed "${sync_cmd[@]}"
check_first_sync "$partitions" "$partitions"
many_seconds=$seconds
many_kib=$kib
row "$partitions invoices x 1 line, max_concurrency 4" "$seconds" \
  "$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')" "$(q 'SELECT sum(requests) FROM _sync_log')" \
  "$(( $(mock_requests) - before ))" "$(in_flight)"
stop_mock
# tsync status: three runs, the median; its peak RSS from a fourth under GNU time.
: >"$work/status-times"
for _ in 1 2 3; do
  start=$EPOCHREALTIME
  "$tsync" status --db "$work/replica.db" >"$work/status.out" 2>&1 || { cat "$work/status.out" >&2; fail "tsync status failed"; }
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/status-times"
done
grep -q "\($partitions\|$(echo "$partitions" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta')\) partitions" "$work/status.out" \
  || { cat "$work/status.out" >&2; fail "tsync status does not count $partitions partitions"; }
status_seconds=$(median <"$work/status-times")
timed "$tsync" status --db "$work/replica.db"
row "tsync status, $partitions partitions (median of 3)" "$(printf '%.3f' "$status_seconds")" \
  "$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')" "-" "-" "-"
target "$(verdict "$(awk -v k="$many_kib" 'BEGIN { print (k * 1024 < 100000000) }')")" \
  "$partitions partitions: peak RSS $(awk -v k="$many_kib" 'BEGIN { printf "%.1f MB (%.1f MiB)", k * 1024 / 1000000, k / 1024 }') in a sync of $many_seconds s (target: under 100 MB)"
target "$(verdict "$(awk -v s="$status_seconds" 'BEGIN { print (s < 1) }')")" \
  "$partitions partitions: tsync status in $(printf '%.3f' "$status_seconds") s, runs: $(tr '\n' ' ' <"$work/status-times")(target: under 1 s)"

echo
cat "$work/table"
echo
cat "$work/targets"
