#!/usr/bin/env bash
# Stops the LocalStack that start.sh started (the pid in .cache/localstack/localstack.pid)
# and its child processes (DynamoDB Local's java, Lambda function processes), and
# the localstripe started with it. Nothing else.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$LS_DIR/localstripe/run.sh" stop
if ! pid="$(ls_running_pid)"; then
  rm -f "$LS_PIDFILE"
  note "not running (no live LocalStack started by start.sh)"
  exit 0
fi
# collect the tree before LocalStack exits (children are re-parented after that)
tree="$(ls_descendants "$pid" | tr '\n' ' ')"
note "stopping LocalStack pid $pid${tree:+ and its children: $tree}"
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do   # LocalStack shuts its services and function processes down itself
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && { note "still running after 10 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
for child in $tree; do
  kill -0 "$child" 2>/dev/null && kill -KILL "$child" 2>/dev/null || true
done
rm -f "$LS_PIDFILE"
note "stopped"
