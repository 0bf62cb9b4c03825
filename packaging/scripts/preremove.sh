#!/bin/sh
# Before removal (not upgrade): stop and disable precd under systemd.
set -e
case "$1" in
  remove|purge|0) ;;   # deb remove/purge, rpm 0 = last version removed
  *) exit 0 ;;
esac
[ -d /run/systemd/system ] || exit 0
systemctl disable --now precd.service || true
