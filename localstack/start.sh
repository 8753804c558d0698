#!/usr/bin/env bash
# Starts LocalStack in the background (no Docker) on 127.0.0.1:4566, writing
# .cache/localstack/localstack.pid and .cache/localstack/localstack.log, and
# waits until it is healthy. Reuses a LocalStack this script started earlier
# (pid file alive). Runs install.sh first (instant when up to date).
# Env: LOCALSTACK_START_TIMEOUT (s, default 90), LOCALSTACK_SERVICES (-> SERVICES,
# default: all, loaded lazily), LOCALSTACK_DEBUG=1 (-> DEBUG=1),
# LOCALSTACK_WARM_DYNAMODB=0 (skip starting DynamoDB Local now).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$LS_DIR/install.sh"
"$LS_DIR/localstripe/run.sh" start
T0=$(date +%s.%N)

health_ok() {
  # every service LocalStack lists is "available" or "running" (none "error")
  curl -fsS --max-time 2 "$LS_URL/_localstack/health" 2>/dev/null | "$LS_VENV/bin/python" -c '
import json, sys
h = json.load(sys.stdin)
s = h.get("services", {})
need = ["cloudformation", "dynamodb", "lambda", "apigateway", "stepfunctions", "events", "sqs", "logs", "s3"]
bad = {k: s.get(k) for k in need if s.get(k) not in ("available", "running")}
sys.exit(1 if bad or any(v == "error" for v in s.values()) else 0)' 2>/dev/null
}

warm_dynamodb() {
  # the first DynamoDB call starts DynamoDB Local (Java): do it now, not in the first test
  [ "${LOCALSTACK_WARM_DYNAMODB:-1}" = 1 ] || return 0
  curl -fsS --max-time 60 -o /dev/null "$LS_URL/" -X POST \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' || note "warning: DynamoDB warm-up call failed (see $LS_LOG)"
}

if pid="$(ls_running_pid)"; then
  if health_ok; then
    note "already running (pid $pid), reusing it: $LS_URL"
    exit 0
  fi
  note "pid $pid is running but not healthy yet; waiting"
else
  rm -f "$LS_PIDFILE"
  if curl -fsS --max-time 2 -o /dev/null "$LS_URL/_localstack/health" 2>/dev/null \
     || (exec 3<>"/dev/tcp/127.0.0.1/$LS_PORT") 2>/dev/null; then
    die "port $LS_PORT is in use by a process this script did not start; stop it first"
  fi
  # tmp: LocalStack unzips function code to $TMPDIR/lambda/...; each function process gets a TMPDIR below it
  rm -rf "$LS_CACHE/tmp"
  mkdir -p "$LS_FS" "$LS_CACHE/xdg-cache" "$LS_CACHE/tmp"
  cd "$LS_CACHE"
  : >"$LS_LOG"
  # The storefront's local origin (spa/server.mjs, the stack's AllowedOrigin):
  # LocalStack itself refuses cross-origin calls to function URLs (the order
  # stream) from origins it does not know.
  spa_port=${SPA_PORT:-$(( 8080 + LS_PORT - 4566 ))}
  # a clean environment: the caller's AWS_* must not leak into LocalStack
  env -i \
    HOME="$HOME" PATH="$LS_VENV/bin:/usr/local/bin:/usr/bin:/bin" LANG="${LANG:-C.UTF-8}" \
    XDG_CACHE_HOME="$LS_CACHE/xdg-cache" TMPDIR="$LS_CACHE/tmp" \
    OVERRIDE_IN_DOCKER=0 \
    GATEWAY_LISTEN="127.0.0.1:$LS_PORT" \
    LOCALSTACK_HOST="${LOCALSTACK_HOST:-localhost:$LS_PORT}" \
    SQS_ENDPOINT_STRATEGY=path \
    DNS_ADDRESS=0 \
    FILESYSTEM_ROOT="$LS_FS" \
    LAMBDA_RUNTIME_EXECUTOR="$EXECUTOR_NAME" \
    ${LOCALSTACK_SERVICES:+SERVICES="$LOCALSTACK_SERVICES"} \
    DEBUG="${LOCALSTACK_DEBUG:-0}" \
    PERSISTENCE=0 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    DISABLE_EVENTS=1 \
    EXTRA_CORS_ALLOWED_ORIGINS="http://127.0.0.1:$spa_port,http://localhost:$spa_port" \
    setsid "$LS_VENV/bin/python" -m localstack.runtime.main </dev/null >>"$LS_LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$LS_PIDFILE"
  note "started LocalStack $LOCALSTACK_VERSION (pid $pid), log: $LS_LOG"
fi

deadline=$(( $(date +%s) + ${LOCALSTACK_START_TIMEOUT:-90} ))
until health_ok; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "---- last lines of $LS_LOG ----" >&2; tail -n 40 "$LS_LOG" >&2
    rm -f "$LS_PIDFILE"
    die "LocalStack exited during start-up"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "---- last lines of $LS_LOG ----" >&2; tail -n 40 "$LS_LOG" >&2
    die "LocalStack not healthy after ${LOCALSTACK_START_TIMEOUT:-90} s (still running as pid $pid; localstack/stop.sh stops it)"
  fi
  sleep 0.2
done
T1=$(date +%s.%N)
warm_dynamodb
T2=$(date +%s.%N)
note "ready: $LS_URL (healthy after $(awk "BEGIN{printf \"%.1f\", $T1 - $T0}") s, DynamoDB Local warm after $(awk "BEGIN{printf \"%.1f\", $T2 - $T1}") s more)"
