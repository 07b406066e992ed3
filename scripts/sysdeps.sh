#!/usr/bin/env bash
# Make sure the Debian packages a target needs are installed.
# Usage: scripts/sysdeps.sh run|test|bench|cluster
# As root the missing ones are installed; otherwise the exact apt-get line is printed.
set -euo pipefail

RUN_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"
# clamav-daemon: tests/test_virus_scan.py starts its own clamd (offline, own signature file);
# postgresql-client: pg_dump/pg_restore for manage.py backup/restore; age: encrypted backups;
# redis-server, nginx, openssl: the scale-out tests (tests/test_cluster_*.py).
TEST_PACKAGES="$RUN_PACKAGES chromium postgresql postgresql-client age poppler-utils zbar-tools clamav-daemon redis-server nginx openssl"

case "${1:-run}" in
  run) wanted=$RUN_PACKAGES ;;
  test) wanted=$TEST_PACKAGES ;;
  bench) wanted="$RUN_PACKAGES postgresql wrk" ;;
  # make test-cluster: Redis (broker, cache, sessions) and nginx (X-Accel-Redirect) beside them.
  cluster) wanted="$RUN_PACKAGES postgresql redis-server nginx openssl" ;;
  *) echo "usage: $0 run|test|bench|cluster" >&2; exit 2 ;;
esac

missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
