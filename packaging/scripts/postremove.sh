#!/bin/sh
# After removal: the records stay in /var/log/prec (a purge of the deb removes them too).
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "$1" = purge ]; then rm -rf /var/log/prec; fi
exit 0
