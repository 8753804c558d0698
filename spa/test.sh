#!/usr/bin/env bash
# The storefront's browser tests, in Debian's Chromium driven by playwright-core,
# against a deployed API: by default the tests' own LocalStack stack,
# serverless-store-test (scripts/test.sh deploys it), never the demo store.
#
#   spa/test.sh [API_BASE_URL]      # default: the api-url of STACK_DIR
#
# STACK_DIR (default .cache/localstack/stacks/serverless-store-test) holds
# the stack's files scripts/up.sh wrote: api-url, stack-outputs.json (the
# order stream's StorefrontStreamUrl) and admin.json (the local admin, whom
# this script signs in once, with a TOTP code, for every test file).
#
# Installs what it needs: the pinned npm dependencies (npm ci, skipped while
# package-lock.json is unchanged) and the chromium package (apt) when
# /usr/bin/chromium is missing. Serves spa/public on the loopback port whose
# origin the stack allows for CORS (SPA_PORT, default 8080 + LS_PORT - 4566) with
# a config.js pointing at the API, runs the tests (node --test), stops the
# server, prints "N passed, N failed" and exits non-zero on any failure.
# Screenshots go to target/screenshots/ (SCREENSHOT_DIR elsewhere, SCREENSHOTS=0
# none; scripts/screenshots.sh refreshes docs/screenshots/).
# SPA_TEST_CONCURRENCY (default 2) test files run at once; SPA_TEST_FILES
# (default tests/*.test.mjs) and SPA_TEST_NAME_PATTERN pick which tests run.
set -euo pipefail
SPA=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SPA/.." && pwd)
cd "$SPA"

api=${1:-}
STACK_DIR=${STACK_DIR:-$ROOT/.cache/localstack/stacks/serverless-store-test}
if [[ -z $api && -f $STACK_DIR/api-url ]]; then
  api=$(cat "$STACK_DIR/api-url")
fi
if [[ -z $api ]]; then
  echo "spa/test.sh: no API URL: pass it as \$1 or deploy the tests' stack (STACK_NAME=serverless-store-test scripts/up.sh)" >&2
  exit 2
fi
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$ROOT/target/screenshots}
api=${api%/}

echo "== npm dependencies (pinned)"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f node_modules/.lock-hash && $(cat node_modules/.lock-hash) == "$lock_hash" && -d node_modules/playwright-core ]]; then
  echo "reusing node_modules (package-lock.json unchanged)"
else
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

echo "== chromium"
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
[[ -x $CHROMIUM_PATH ]] || CHROMIUM_PATH=/usr/bin/chromium
if [[ ! -x $CHROMIUM_PATH ]]; then
  echo "installing Debian's chromium package"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
"$CHROMIUM_PATH" --version 2>/dev/null | head -1 || true
export CHROMIUM_PATH

echo "== API $api"
if ! curl -fsS --max-time 15 -o /dev/null "$api/healthz"; then
  echo "spa/test.sh: the API does not answer at $api/healthz (is the stack up? scripts/up.sh)" >&2
  exit 2
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# On server.mjs's default port: its origin is the one scripts/up.sh allows
# for CORS (AllowedOrigin: SPA_PORT, else 8080 + LS_PORT - 4566).
stream=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("StorefrontStreamUrl", ""))' "$STACK_DIR/stack-outputs.json")
echo "== order stream ${stream:-(none: order pages poll)}"
payments=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("PaymentProvider", "simulated"))' "$STACK_DIR/stack-outputs.json")
echo "== payments: $payments"
export PAYMENT_PROVIDER=$payments
node server.mjs --host 127.0.0.1 --api "$api" --stream "$stream" --payments "$payments" --port-file "$work/port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  [[ -s $work/port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "spa/test.sh: cannot serve the storefront on its port (in use? set SPA_PORT, and deploy with the same)" >&2; exit 1; }
  sleep 0.1
done
spa_url="http://127.0.0.1:$(cat "$work/port")"
echo "== storefront $spa_url"

echo "== the admin signs in (once, with TOTP)"
export ADMIN_FILE=$STACK_DIR/admin.json TOTP_CLAIMS_DIR=$work
ADMIN_SESSION_FILE=$work/admin-session.json
STORE_API_URL="$api" node tests/sign-in-admin.mjs > "$ADMIN_SESSION_FILE"
export ADMIN_SESSION_FILE

echo "== browser tests"
started=$(date +%s)
set +e
pattern=()
[[ -n ${SPA_TEST_NAME_PATTERN:-} ]] && pattern=(--test-name-pattern="$SPA_TEST_NAME_PATTERN")
# shellcheck disable=SC2086 # SPA_TEST_FILES is a list of globs
SPA_URL="$spa_url" STORE_API_URL="$api" \
  node --test --test-reporter=spec --test-concurrency="${SPA_TEST_CONCURRENCY:-2}" --test-timeout=300000 \
  "${pattern[@]}" ${SPA_TEST_FILES:-tests/*.test.mjs} 2>&1 | tee "$work/report.txt"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

# node's spec reporter ends with "ℹ pass N" / "ℹ fail N".
passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$work/report.txt" | tail -1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$work/report.txt" | tail -1)
passed=${passed:-0}
failed=${failed:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "== browser suite: ${elapsed} s"
echo "${passed} passed, ${failed} failed"
[[ $status -eq 0 && $passed -gt 0 ]]
