#!/usr/bin/env bash
# Start the web server and the django-q2 cluster together; one Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
addr=${RUN_ADDR:-127.0.0.1:8000}

"$py" manage.py qcluster &
cluster=$!
"$py" manage.py runserver "$addr" &
web=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$web" "$cluster" 2>/dev/null || true
  wait "$web" "$cluster" 2>/dev/null || true
}
trap stop INT TERM EXIT
echo "Portal: http://$addr  ·  job cluster pid $cluster  ·  Ctrl-C stops both"
# If either one dies, stop the other too.
wait -n "$web" "$cluster" || true
