#!/bin/sh
# After install or upgrade: the directories exist with their modes; under systemd, precd is enabled and
# started on first install and restarted on upgrade. Without systemd (a container, a chroot) nothing
# else is done.
set -e
install -d -m 0750 /etc/prec /var/log/prec
[ -d /run/systemd/system ] || exit 0
systemctl daemon-reload || true
first=no
case "$1" in
  configure) [ -z "$2" ] && first=yes ;; # deb: configure <old version>, empty on first install
  1) first=yes ;;                       # rpm: 1 = first install, 2 = upgrade
esac
if [ "$first" = yes ]; then
  systemctl enable --now precd.service || echo "prec: could not start precd: see journalctl -u precd" >&2
else
  systemctl try-restart precd.service || true
fi
