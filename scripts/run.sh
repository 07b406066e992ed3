#!/usr/bin/env bash
# Start the web server and the django-q2 cluster together; one Ctrl-C stops both.
#
# Each of the two runs in a process group of its own (job control), so the terminal's Ctrl-C
# reaches only this script, which then stops each of them once: one SIGTERM to the main
# process (django-q2's cluster stops its own workers; a signal to the workers as well, or a
# second signal during its shutdown, left it hanging), and whatever is still alive after
# STOP_GRACE seconds is killed, workers and the autoreloader's child included.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
addr=${RUN_ADDR:-127.0.0.1:8000}
grace=${STOP_GRACE:-8}

set -m
"$py" manage.py qcluster &
cluster=$!
"$py" manage.py runserver "$addr" &
web=$!
set +m

alive() {
  kill -0 -- "-$cluster" 2>/dev/null || kill -0 -- "-$web" 2>/dev/null
}

stop() {
  trap - INT TERM EXIT
  kill -TERM "$web" "$cluster" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do
    alive || break
    sleep 0.1
  done
  if alive; then
    echo "Still running after ${grace} s; killing the web server and the job cluster." >&2
    kill -KILL -- "-$web" "-$cluster" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
echo "Portal: http://$addr  ·  job cluster pid $cluster  ·  Ctrl-C stops both"
# If either one dies, stop the other too.
wait -n "$web" "$cluster" || true
