#!/usr/bin/env bash
# Query-side throughput and memory, measured in this run: a synthetic zstd log of N realistic records
# (default 1,000,000) read by prec in-process, by the four-process shell pipeline, and by
# `zstdcat | jq -c 'select(.uid>=1000)'` as the baseline. Prints records/s and ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-1000000}
need=()
command -v jq >/dev/null || need+=(jq)
command -v zstd >/dev/null || need+=(zstd)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi

dir=$(mktemp -d /tmp/prec-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bin/" ./cmd/... ./tests/bench/gen
B=$dir/bin
"$B/gen" -n "$N" -o "$dir/prec.log"
"$B/gen" -n $((N * 2)) -o "$dir/prec2.log"
raw=$(zstdcat "$dir/prec.log" | wc -c)
printf 'log: %d records, %d MB as JSON, %d MB zstd (%.1fx)\n' "$N" $((raw >> 20)) $(($(stat -c %s "$dir/prec.log") >> 20)) \
  "$(echo "$raw / $(stat -c %s "$dir/prec.log")" | bc -l)"

# run NAME COMMAND: best of 3 wall times; prints seconds and max RSS
run() {
  local best="" rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$dir/t" bash -o pipefail -c "$2" > "$dir/out.$1"
    read -r s m < "$dir/t"
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}
read -r jq_s jq_m < <(run jq "zstdcat $dir/prec.log | jq -c 'select(.uid>=1000)'")
read -r prec_s prec_m < <(run prec "$B/prec -A -q 'uid>=1000' -o json -i $dir/prec.log")
read -r pipe_s _ < <(run pipe "$B/prec-cat $dir/prec.log | $B/prec-join | $B/prec-filter 'uid>=1000' | $B/prec-fmt -o json")
read -r cjf_s _ < <(run cjf "$B/prec-cat $dir/prec.log | $B/prec-join | $B/prec-filter 'uid>=1000'")
read -r prec2_s prec2_m < <(run prec2 "$B/prec -A -q 'uid>=1000' -o json -i $dir/prec2.log")
# prec's cat, join and filter stages in-process, without formatting (a Go benchmark: no such flag)
cjf_in=$(BENCH_LOG="$dir/prec.log" go test -run '^$' -bench BenchmarkCatJoinFilter -benchtime 3x ./cmd/prec |
  awk '/records\/s/ {for (i = 1; i < NF; i++) if ($(i+1) == "records/s") print $i}')

line() { printf '%-58s %7.2f s %10.0f records/s %6.2fx jq\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" "$(echo "$jq_s / $2" | bc -l)"; }
echo
line "zstdcat | jq -c 'select(.uid>=1000)' (baseline)" "$jq_s"
line "prec -A -q 'uid>=1000' -o json (in-process)" "$prec_s"
line "prec-cat | prec-join | prec-filter | prec-fmt -o json" "$pipe_s"
line "prec-cat | prec-join | prec-filter" "$cjf_s"
line "prec's cat+join+filter in-process (target: 1,000,000/s)" "$(echo "$N / $cjf_in" | bc -l)"
echo
printf 'memory, prec in-process: %d MB max RSS for %d records, %d MB for %d (jq: %d MB)\n' \
  $((prec_m >> 10)) "$N" $((prec2_m >> 10)) $((N * 2)) $((jq_m >> 10))
printf 'rows out: prec %d, jq %d records (jq filters raw records; prec joins starts and ends first)\n' \
  "$(wc -l < "$dir/out.prec")" "$(wc -l < "$dir/out.jq")"
