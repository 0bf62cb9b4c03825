#!/usr/bin/env bash
# Forwarding throughput, measured in this run: lib/forward sending N precd-like records (default
# 200,000) over tcp, tls, relp and relp+tls to a real rsyslogd running the shipped collector
# configuration on loopback, against a bare TCP write of the same framed bytes to the same rsyslogd.
# Prints records/s, the ratio to the bare write, and the CPU per record of the sender and of rsyslogd.
# Target (issue 9): relp+tls >= 40,000 records/s sustained.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
RUNS=${RUNS:-3}
if [ ! -x /usr/sbin/rsyslogd ] || ! ls /usr/lib/*/rsyslog/imrelp.so /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog rsyslog-gnutls rsyslog-relp >/dev/null
fi
dir=$(mktemp -d /tmp/prec-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/forward" ./tests/bench/forward
"$dir/forward" -n "$N" -runs "$RUNS" "$@"
