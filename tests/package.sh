#!/usr/bin/env bash
# Builds the deb and rpm, installs the deb with dpkg (maintainer scripts run without systemd), checks
# files, modes, `prec --version`, `man -w prec` and the unit with systemd-analyze, then removes the
# package and checks that the logs stay. Needs root; changes the machine (CI's, or a scratch one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "package.sh: needs root (dpkg -i)"; exit 1; }
if dpkg -s prec >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then dpkg -P prec >/dev/null  # left by an interrupted run on this machine
  else echo "package.sh: prec is installed here already; not touching it (CI=true purges it)"; exit 1; fi
fi
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

need=()
command -v man >/dev/null || need+=(man-db)
command -v systemd-analyze >/dev/null || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
# Debian's minimal images exclude manual pages from packages; let this one's in.
rm -f /etc/dpkg/dpkg.cfg.d/excludes.prec-test
if grep -rqs 'path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
  echo 'path-include=/usr/share/man/man[158]/prec*' > /etc/dpkg/dpkg.cfg.d/excludes.prec-test
  echo 'path-include=/usr/share/man/man[158]/precd*' >> /etc/dpkg/dpkg.cfg.d/excludes.prec-test
fi
logs_existed=no; [ -e /var/log/prec ] && logs_existed=yes

make package
deb=$(ls dist/prec_*_amd64.deb); rpm=$(ls dist/prec-*.x86_64.rpm)
check "rpm built: $rpm" "[ -s $rpm ]"
dpkg -i "$deb"

check "file list" "dpkg -L prec | grep -qx /usr/sbin/precd && dpkg -L prec | grep -qx /usr/bin/prec-fmt && dpkg -L prec | grep -qx /etc/logrotate.d/prec && dpkg -L prec | grep -qx /lib/systemd/system/precd.service && dpkg -L prec | grep -qx /usr/share/bash-completion/completions/prec-cat"
check "conffiles" "dpkg-query -W -f='\${Conffiles}' prec | grep -q /etc/prec/precd.conf"
check "/etc/prec 0750" "[ \$(stat -c %a /etc/prec) = 750 ]"
check "/var/log/prec 0750" "[ \$(stat -c %a /var/log/prec) = 750 ]"
check "/etc/prec/precd.conf 0640" "[ \$(stat -c %a /etc/prec/precd.conf) = 640 ]"
check "/usr/sbin/precd 0755" "[ \$(stat -c %a /usr/sbin/precd) = 755 ]"
check "prec --version" "/usr/bin/prec --version | grep -q '^prec [0-9]'"
check "precd --version" "/usr/sbin/precd --version | grep -q '^precd [0-9]'"
check "man -w prec" "man -w prec >/dev/null && man -w 8 precd >/dev/null && man -w 5 precd.conf >/dev/null"
check "systemd-analyze verify" "systemd-analyze verify /lib/systemd/system/precd.service"
check "completion" "bash -c 'source /usr/share/bash-completion/completions/prec; COMP_WORDS=(prec --fiel); COMP_CWORD=1; _prec_complete; [ \"\${COMPREPLY[*]}\" = --fields ]'"

echo '{"record_type":"start"}' > /var/log/prec/prec.log.test-keep
dpkg -r prec
check "binaries removed" "[ ! -e /usr/bin/prec ]"
check "logs kept after remove" "[ -f /var/log/prec/prec.log.test-keep ]"
check "config kept after remove" "[ -f /etc/prec/precd.conf ]"
if [ "$logs_existed" = no ]; then
  dpkg -P prec
  check "purge removes the logs" "[ ! -e /var/log/prec ]"
else
  rm -f /var/log/prec/prec.log.test-keep
  dpkg -P prec >/dev/null 2>&1 || true
fi
rm -f /etc/dpkg/dpkg.cfg.d/excludes.prec-test
[ $fail = 0 ] && echo "package: all checks passed" || { echo "package: checks failed"; exit 1; }
