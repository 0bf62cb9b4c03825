#!/usr/bin/env bash
# make demo: precd records a few commands into a scratch log, and prec shows them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: precd loads BPF programs: run as root (sudo make demo)" >&2; exit 1; }
dir=$(mktemp -d /tmp/prec-demo.XXXXXX)
printf 'log_path = "%s/prec.log"\nflush_interval = "200ms"\n' "$dir" > "$dir/precd.conf"
bin/precd -c "$dir/precd.conf" 2> "$dir/precd.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'msg=recording' "$dir/precd.err" 2>/dev/null && break; sleep 0.1; done
grep -q 'msg=recording' "$dir/precd.err" || { cat "$dir/precd.err" >&2; exit 1; }
(
  cd /tmp
  ls / >/dev/null
  /bin/echo 'hello world' "$(printf 'esc\033[31m')" '' >/dev/null
  sh -c 'exit 3' || true
  bash -c "sh -c 'kill -KILL \$\$'" 2>/dev/null || true # (bash would report the kill on stderr)
  /no/such/program 2>/dev/null || true
  bash -c 'sleep 0.1 & wait'
)
sleep 0.5
kill -TERM $pid; wait $pid || true
trap - EXIT
echo "== prec -A -i $dir/prec.log -q cwd=/tmp -f +exit_status,duration_ns,record_type --tree"
bin/prec -A -i "$dir/prec.log" -q "cwd=/tmp" -f +exit_status,duration_ns,record_type --tree
echo "== raw records: bin/prec-cat $dir/prec.log; precd's log: $dir/precd.err"
