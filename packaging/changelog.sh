#!/bin/sh
# Renders packaging/changelog as the chglog YAML that nfpm turns into the deb's changelog.Debian.gz
# and the rpm's %changelog, for the version being built:
#   packaging/changelog.sh packaging/changelog VERSION RELEASE 'Name <address>' > dist/changelog.yml
# VERSION is the Makefile's (git describe): a release X.Y.Z must have its entry in the file; a
# snapshot (X.Y.Z-N-gHASH past a tag, 0.0.0+gitN.HASH before any) gets its own entry, dated by its
# commit, holding the unreleased changes. Exit 1, with a message, on a malformed file.
set -eu
[ $# = 4 ] || { echo "usage: changelog.sh FILE VERSION RELEASE MAINTAINER" >&2; exit 2; }
file=$1 version=$2 release=$3 maintainer=$4
case $version in
  *+git*|*-[0-9]*-g*) snapshot=yes ;;
  *) snapshot=no ;;
esac
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
  date -u +%Y-%m-%dT%H:%M:%SZ)

awk -v file="$file" -v version="$version" -v release="$release" -v maintainer="$maintainer" \
    -v snapshot="$snapshot" -v commit="$commit" -v date="$date" '
function fail(msg) { printf "changelog.sh: %s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
function q(s) { gsub(/\047/, "\047\047", s); return "\047" s "\047" } # a YAML single-quoted scalar
function entry(v, d) {
  printf "- semver: %s\n  date: %s\n  packager: %s\n", q(v "-" release), d, q(maintainer)
  printf "  deb:\n    urgency: medium\n    distributions: [unstable]\n  changes:\n"
}
function change(c) { printf "    - note: %s\n", q(c) }
/^#/ || /^[ \t]*$/ { next }
/^unreleased$/ {
  if (n > 0) fail("\"unreleased\" must be the first entry")
  cur = "unreleased"; n++; next
}
/^[0-9][^ ]* [0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]$/ {
  cur = $1; n++
  if (cur == version) found = 1 # a release build shows its own entry and the older ones
  printing = found
  if (snapshot == "yes" && !started) { snapshot_entry(); started = 1 }
  if (printing || snapshot == "yes") { entry(cur, $2 "T00:00:00Z"); printed++ }
  next
}
/^- / {
  if (cur == "") fail("a change before the first entry")
  c = substr($0, 3)
  if (length(c) > 72) fail("change longer than 72 characters")
  if (cur == "unreleased") { pending[++np] = c; next }
  if (printing || snapshot == "yes") change(c)
  next
}
{ fail("neither an entry line, a change (\"- ...\") nor a comment") }
function snapshot_entry() {
  entry(version, date)
  for (i = 1; i <= np; i++) change(pending[i])
  change("Snapshot of git commit " commit)
}
END {
  if (bad) exit 1
  if (snapshot == "yes" && !started) snapshot_entry()
  if (snapshot == "no" && !found) {
    printf "changelog.sh: %s: no entry for release %s (rename \"unreleased\" to \"%s YYYY-MM-DD\")\n", file, version, version > "/dev/stderr"
    exit 1
  }
}' "$file"
