#!/usr/bin/env bash
# Exec-path cost of recording, measured in this run (needs root):
#  1. overhead: a fork+exec loop of /bin/true, timed without and with precd, alternating; median ratio
#  2. precd's CPU time per recorded exec (utime+stime of precd over the loop / records written)
#  3. the highest exec rate this machine produces (one loop per core), and what precd lost at it
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "exec.sh: needs root (precd loads BPF)"; exit 1; }
PAIRS=${PAIRS:-7}
EXECS=${EXECS:-3000}
dir=$(mktemp -d /tmp/prec-bench.XXXXXX)
trap 'pkill -TERM -f "$dir/bin/precd" 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/bin/" ./cmd/...
B=$dir/bin

loop() { # EXECS fork+execs of /bin/true; prints seconds
  local t0 t1
  t0=$(date +%s%N)
  bash -c "for ((i=0; i<$1; i++)); do /bin/true; done"
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 ))" # microseconds
}
start_precd() {
  rm -rf "$dir/log"; printf 'log_path = "%s/log/prec.log"\n' "$dir" > "$dir/precd.conf"
  "$B/precd" -c "$dir/precd.conf" 2> "$dir/precd.err" & PRECD=$!
  for _ in $(seq 200); do grep -q msg=recording "$dir/precd.err" && return; sleep 0.05; done
  cat "$dir/precd.err"; exit 1
}
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; } # all threads, ns
stop_precd() { kill -TERM "$PRECD"; wait "$PRECD" || true; }

ratios=(); per_exec=()
for p in $(seq "$PAIRS"); do
  base1=$(loop "$EXECS")
  start_precd
  sleep 1
  c0=$(cpu_ns "$PRECD")
  with=$(loop "$EXECS")
  c1=$(cpu_ns "$PRECD")
  sleep 1.2 # the records reach the log
  stop_precd
  base2=$(loop "$EXECS")
  recorded=$("$B/prec-cat" "$dir/log/prec.log" | grep -c '"argv":\["/bin/true"\]' || true)
  r=$(echo "$with * 2 / ($base1 + $base2)" | bc -l)
  us=$(echo "($c1 - $c0) / 1000 / $recorded" | bc -l) # includes precd's idle work during the loop
  ratios+=("$r"); per_exec+=("$us")
  printf 'pair %d: baseline %.0f/%.0f us, with precd %.0f us: ratio %.3f; %d of %d execs recorded; precd CPU %.1f us per exec\n' \
    "$p" "$base1" "$base2" "$with" "$r" "$recorded" "$EXECS" "$us"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '\nexec overhead, median ratio with/without precd: %.3f (target <= 1.05)\n' "$(median "${ratios[@]}")"
printf 'precd CPU per recorded exec, median: %.1f us (target <= 10 us)\n' "$(median "${per_exec[@]}")"

# 3. as fast as this machine execs: one worker per core, vfork+exec of a tiny static program (C, built
#    here with gcc), else bash loops of /bin/true
workers=$(nproc)
n=$((EXECS * 5))
if gcc -O2 -o "$dir/forkexec" tests/bench/forkexec.c 2>/dev/null && gcc -O2 -static -nostdlib -o "$dir/tiny" tests/bench/tiny.c 2>/dev/null; then
  what="vfork+exec of a tiny static binary"
  base_rate=$("$dir/forkexec" "$n" "$workers" "$dir/tiny")
  start_precd
  rate=$("$dir/forkexec" "$n" "$workers" "$dir/tiny")
  marker='"argv":\["[^"]*/tiny","forkexec-bench"\]'
else
  what="bash loops of /bin/true (no gcc)"
  n=$EXECS
  base_rate=""
  start_precd
  t0=$(date +%s%N)
  for w in $(seq "$workers"); do bash -c "for ((i=0; i<$n; i++)); do /bin/true; done" & done
  wait $(jobs -p | grep -v "^$PRECD\$") 2>/dev/null || true
  t1=$(date +%s%N)
  rate=$(echo "$workers * $n * 1000000000 / ($t1 - $t0)" | bc)
  marker='"argv":\["/bin/true"\]'
fi
sleep 1.5
stop_precd
total=$((workers * n))
recorded=$("$B/prec-cat" "$dir/log/prec.log" | grep -cE "$marker" || true)
lost=$("$B/prec-cat" "$dir/log/prec.log" | "$B/prec-filter" 'record_type=loss' | wc -l)
printf 'max rate (%s, %d workers): %s execs/s with precd%s; recorded %d of %d, %d loss records\n' \
  "$what" "$workers" "$rate" "${base_rate:+ ($base_rate without)}" "$recorded" "$total" "$lost"
