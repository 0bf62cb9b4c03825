#!/usr/bin/env bash
# Builds the deb and rpm; runs lintian on the deb (any E: or W: fails: what is deliberate is overridden
# in packaging/deb/lintian-overrides, each with its reason) and checks the rpm's metadata; installs the
# deb with dpkg (maintainer scripts run without systemd here), checks files, modes, docs, the
# copyright against the Go modules linked in, `prec --version`, `man -w prec` and the unit with
# systemd-analyze; upgrades to a second build (revision 2) and reinstalls it; then removes the
# package, checks that the logs stay, and purges it. Needs root; changes the machine (CI's, or a
# scratch one).
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
command -v lintian >/dev/null || need+=(lintian)
command -v rpm >/dev/null || need+=(rpm)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
# Debian's minimal images exclude manual pages from packages; let this one's in.
rm -f /etc/dpkg/dpkg.cfg.d/excludes.prec-test
if grep -rqs 'path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
  echo 'path-include=/usr/share/man/man[158]/prec*' > /etc/dpkg/dpkg.cfg.d/excludes.prec-test
  echo 'path-include=/usr/share/man/man[158]/precd*' >> /etc/dpkg/dpkg.cfg.d/excludes.prec-test
fi
# Records already here (a `make install`, a demo) are moved aside, since purge removes /var/log/prec,
# and put back at the end, whatever happens.
saved=; if [ -e /var/log/prec ]; then saved=$(mktemp -u /var/log/prec.kept-by-package-test.XXXXXX); mv /var/log/prec "$saved"; fi
etc_existed=no; [ -e /etc/prec ] && etc_existed=yes
upgrade=$(mktemp -d)
cleanup() {
  if dpkg -s prec >/dev/null 2>&1; then dpkg -P prec >/dev/null 2>&1 || true; fi
  rm -rf "$upgrade" /etc/dpkg/dpkg.cfg.d/excludes.prec-test
  if [ -n "$saved" ]; then rm -rf /var/log/prec; mv "$saved" /var/log/prec; fi
}
trap cleanup EXIT

# packaging/changelog.sh: a release needs its entry, a snapshot gets one, a long change is refused.
cl=$(mktemp); printf 'unreleased\n- next\n0.2.0 2026-12-10\n- two\n0.1.0 2026-12-01\n- one\n' > "$cl"
m='prec developers <prec-dev@users.noreply.github.com>'
check "changelog: a release shows its entry and older ones" "[ \"\$(sh packaging/changelog.sh $cl 0.1.0 1 '$m' | grep -c semver)\" = 1 ] && [ \"\$(sh packaging/changelog.sh $cl 0.2.0 1 '$m' | grep -c semver)\" = 2 ] && sh packaging/changelog.sh $cl 0.2.0 1 '$m' | head -1 | grep -qx -- \"- semver: '0.2.0-1'\""
check "changelog: a snapshot gets its own entry with the unreleased changes" "sh packaging/changelog.sh $cl 0.2.0-3-gabcdef0 1 '$m' | head -9 | grep -q \"note: 'next'\""
check "changelog: a release without an entry fails" "! sh packaging/changelog.sh $cl 0.3.0 1 '$m' >/dev/null 2>&1"
printf 'unreleased\n- %s\n' "$(printf '%073d' 0)" > "$cl"
check "changelog: a change over 72 characters fails" "! sh packaging/changelog.sh $cl 0.0.0+git1.abc 1 '$m' >/dev/null 2>&1"
rm -f "$cl"

wants=/etc/systemd/system/multi-user.target.wants/precd.service
wants_existed=no; [ -e $wants ] && wants_existed=yes

# The upgrade target first: the same version, the next package revision.
make package RELEASE=2 >/dev/null
mv dist/prec_*_amd64.deb "$upgrade"/
deb2=$(ls "$upgrade"/prec_*_amd64.deb)
make package
deb=$(ls dist/prec_*_amd64.deb); rpm=$(ls dist/prec-*.x86_64.rpm)
version=$(dpkg-deb -f "$deb" Version)
check "rpm built: $rpm" "[ -s $rpm ]"
check "rpm: License MIT, requires logrotate" "[ \"\$(rpm -qp --qf '%{LICENSE}' $rpm 2>/dev/null)\" = MIT ] && rpm -qp --requires $rpm 2>/dev/null | grep -qx logrotate"
check "rpm: %changelog for $version" "rpm -qp --changelog $rpm 2>/dev/null | head -1 | grep -qF -- '- $version'"
check "rpm: scripts in the %systemd_* way" "rpm -qp --scripts $rpm 2>/dev/null | grep -q 'systemctl --no-reload preset precd.service'"

# lintian: exit status 0 and no E: or W: line; overridden tags are listed (O:) to show what is waived.
lintian --fail-on error,warning --show-overrides "$deb" 2>/dev/null | tee dist/lintian.txt | grep -v '^N:' || true
check "lintian: no E: or W:" "lintian --fail-on error,warning \"$deb\" >/dev/null 2>&1 && ! grep -q '^[EW]:' dist/lintian.txt"
# Each group of overrides (lines up to a blank line) opens with its reason, as comment lines.
check "lintian overrides have reasons" "awk '/^\$/ { r = 0; next } /^#/ { r = 1; next } !r { print \"no reason: \" \$0; bad = 1 } END { exit bad }' packaging/deb/lintian-overrides"

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

check "doc: copyright (DEP-5), changelog.Debian.gz, README" "head -1 /usr/share/doc/prec/copyright | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' && [ -f /usr/share/doc/prec/README.md.gz ] && zcat /usr/share/doc/prec/changelog.Debian.gz | head -1 | grep -q '^prec ($version) '"
# The binaries are static: the copyright must carry the notices of every Go module linked in.
missing=$(for m in $(go version -m /usr/bin/prec /usr/bin/prec-cat /usr/bin/prec-join /usr/bin/prec-filter /usr/bin/prec-fmt /usr/sbin/precd | awk '$1 == "dep" { print $2 }' | sort -u); do
  grep -qx "Files: $m/\*" /usr/share/doc/prec/copyright || echo "$m"; done)
check "copyright names every linked Go module${missing:+ (missing: $(echo $missing))}" "[ -z '$missing' ]"
check "lintian overrides installed" "[ -f /usr/share/lintian/overrides/prec ]"
check "depends: recommends logrotate" "dpkg-query -W -f='\${Recommends}' prec | grep -qx logrotate"
if [ "$wants_existed" = no ]; then
  check "unit enabled for the next boot (deb-systemd-helper)" "[ -L $wants ]"
fi

# The maintainer scripts' systemd branches, which this host (no systemd as PID 1) never takes under
# dpkg: each script runs in a private mount namespace whose /run has systemd/system (or not), with
# systemctl and the deb-systemd tools replaced by stubs that log their arguments. Run while the
# package is installed, so the scripts' `install -d` of the directories changes nothing.
stubs="$upgrade/stubs"; mkdir -p "$stubs"
for t in systemctl deb-systemd-helper deb-systemd-invoke; do
  printf '#!/bin/sh\necho "%s $*" >> "$STUB_LOG"\n' "$t" > "$stubs/$t"; chmod +x "$stubs/$t"
done
# sim LABEL systemd|none "EXPECTED CALLS (; between)" SCRIPT ARGS...
sim() {
  local label=$1 init=$2 want=$3 got; shift 3
  : > "$upgrade/calls"
  STUB_LOG="$upgrade/calls" PATH="$stubs:$PATH" unshare -m sh -c '
    mount -t tmpfs tmpfs /run && if [ "$0" = systemd ]; then mkdir -p /run/systemd/system; fi
    exec sh "$@"' "$init" "$@" >/dev/null 2>&1 || { echo "FAIL $label: $* exited $?"; fail=1; return; }
  got=$(paste -sd';' "$upgrade/calls" | sed 's/;/; /g')
  if [ "$got" = "$want" ]; then echo "ok   $label"; else echo "FAIL $label: calls [$got], want [$want]"; fail=1; fi
}
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
  info=/var/lib/dpkg/info/prec
  sim "deb postinst, systemd, install" systemd "deb-systemd-helper --quiet was-enabled precd.service; deb-systemd-helper enable precd.service; systemctl --system daemon-reload; deb-systemd-invoke start precd.service" $info.postinst configure ""
  sim "deb postinst, systemd, upgrade" systemd "deb-systemd-helper --quiet was-enabled precd.service; deb-systemd-helper enable precd.service; systemctl --system daemon-reload; deb-systemd-invoke restart precd.service" $info.postinst configure 0.0.0-1
  sim "deb postinst, no systemd" none "deb-systemd-helper --quiet was-enabled precd.service; deb-systemd-helper enable precd.service" $info.postinst configure ""
  sim "deb prerm, systemd, remove" systemd "deb-systemd-invoke stop precd.service" $info.prerm remove
  sim "deb prerm, systemd, upgrade" systemd "" $info.prerm upgrade 0.0.0-2
  sim "deb prerm, no systemd" none "" $info.prerm remove
  sim "deb postrm, systemd, remove" systemd "systemctl --system daemon-reload" $info.postrm remove
  sim "deb postrm, no systemd" none "" $info.postrm remove
  sim "rpm post, systemd, install" systemd "systemctl --no-reload preset precd.service; systemctl daemon-reload" packaging/scripts/rpm/post 1
  sim "rpm post, systemd, upgrade" systemd "systemctl daemon-reload; systemctl try-restart precd.service" packaging/scripts/rpm/post 2
  sim "rpm post, no systemd" none "systemctl --no-reload preset precd.service" packaging/scripts/rpm/post 1
  sim "rpm preun, systemd, erase" systemd "systemctl --no-reload disable --now precd.service" packaging/scripts/rpm/preun 0
  sim "rpm preun, systemd, upgrade" systemd "" packaging/scripts/rpm/preun 1
  sim "rpm preun, no systemd, erase" none "systemctl --no-reload disable precd.service" packaging/scripts/rpm/preun 0
  sim "rpm postun, systemd" systemd "systemctl daemon-reload" packaging/scripts/rpm/postun 0
else
  echo "FAIL maintainer scripts under systemd: unshare -m is not available (util-linux, root)"; fail=1
fi

# Upgrade: a changed configuration, the logs and the modes survive; the same deb again is harmless.
echo '{"record_type":"start"}' > /var/log/prec/prec.log.test-keep
echo '# changed by package.sh' >> /etc/prec/precd.conf
dpkg -i "$deb2"
check "upgrade to $(dpkg-deb -f "$deb2" Version)" "[ \"\$(dpkg-query -W -f='\${Version}' prec)\" = '$(dpkg-deb -f "$deb2" Version)' ]"
check "upgrade keeps the changed config" "grep -q 'changed by package.sh' /etc/prec/precd.conf"
check "upgrade keeps the logs and modes" "[ -f /var/log/prec/prec.log.test-keep ] && [ \$(stat -c %a /var/log/prec) = 750 ] && [ \$(stat -c %a /etc/prec/precd.conf) = 640 ]"
dpkg -i "$deb2"
check "reinstall the same deb" "dpkg-query -W -f='\${Status}' prec | grep -qx 'install ok installed'"

dpkg -r prec
check "binaries removed" "[ ! -e /usr/bin/prec ]"
check "logs kept after remove" "[ -f /var/log/prec/prec.log.test-keep ]"
check "config kept after remove" "[ -f /etc/prec/precd.conf ]"
dpkg -P prec
check "purge removes the logs" "[ ! -e /var/log/prec ]"
if [ "$etc_existed" = no ]; then
  check "purge removes the config" "[ ! -e /etc/prec ]"
fi
if [ "$wants_existed" = no ]; then
  check "purge forgets the unit's enablement" "[ ! -e $wants ] && [ ! -e /var/lib/systemd/deb-systemd-helper-enabled/precd.service.dsh-also ]"
fi
[ $fail = 0 ] && echo "package: all checks passed" || { echo "package: checks failed"; exit 1; }
