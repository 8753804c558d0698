#!/usr/bin/env bash
# The README's test command: every test this checkout has.
#   1. unit tests, no network          cargo test --profile local --workspace
#   2. template and state machine      scripts/check-infra.sh
#   3. end to end on LocalStack        scripts/up.sh, then the ignored
#      scenarios of tests/ (integration-tests) against the deployed stack
#   4. the storefront in Chromium      spa/test.sh against the same stack
# Stops the LocalStack it started (one already running is left running).
# SKIP_STACK=1 runs 1 and 2 only.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== unit tests (no network)"
cargo test --profile local --workspace --locked

echo "== infrastructure checks"
scripts/check-infra.sh

if [[ ${SKIP_STACK:-0} == 1 ]]; then
  echo "== SKIP_STACK=1: no end-to-end tests"
  exit 0
fi

echo "== end to end on LocalStack"
# shellcheck source=../localstack/lib.sh
. localstack/lib.sh
ls_stop_on_exit_unless_running
scripts/up.sh
# shellcheck source=../localstack/env.sh
. localstack/env.sh
# The integration-tests targets by name, with --workspace: `-p` would resolve
# other features and rebuild half the dependencies.
cargo test --profile local --workspace --locked --test scenarios --test dead_letters --test function_logs --test stores --test accounts --test privacy --test stream \
  -- --ignored --test-threads "${E2E_THREADS:-4}"

echo "== storefront in Chromium"
spa/test.sh "$(cat .cache/localstack/api-url)"
