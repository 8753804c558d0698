#!/usr/bin/env bash
# The README's test command: every test this checkout has.
#   1. unit tests, no network          cargo test --profile local --workspace
#   2. template and state machine      scripts/check-infra.sh
#   3. end to end on LocalStack        scripts/up.sh (the demo store), then the
#      same template as a stack of the tests' own (serverless-store-test) and
#      the ignored scenarios of tests/ (integration-tests) against it
#   4. the storefront in Chromium      spa/test.sh against the tests' stack
#   5. the API fuzzed                  scripts/fuzz-api.sh: Schemathesis against
#      infra/openapi.yaml on the tests' stack, no 5xx, no contract violation
#   6. the scenarios on the simulated  the tests' stack redeployed with
#      payment gateway                 PaymentProvider=simulated, 3's order and
#                                      dead-letter scenarios and 4's tests of
#                                      the simulated gateway's triggers
#   7. the demo store is untouched     its catalog and table counts as before 3;
#      when this run started LocalStack, exactly the seed catalog and no orders
# Stops the LocalStack it started (one already running is left running, with
# both stacks deployed: a re-run only redeploys what changed).
# SKIP_STACK=1 runs 1 and 2 only.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
# "== stage (at N s)": where the run's time goes.
stage() { echo "== $* (at $(( $(date +%s) - started )) s)"; }

# The pinned tools download and install while the unit tests compile (one
# is network, the other CPU); each script returns at once when already done.
mkdir -p target
tools_log=target/tool-install.log
tools=(scripts/install-infra-tools.sh)
[[ ${SKIP_STACK:-0} == 1 ]] || tools+=(localstack/install.sh scripts/install-fuzz-tools.sh)
( for tool in "${tools[@]}"; do "$tool" || exit 1; done ) > "$tools_log" 2>&1 &
tools_pid=$!

stage "unit tests (no network)"
cargo test --profile local --workspace --locked

if ! wait "$tools_pid"; then
  cat "$tools_log" >&2
  echo "test.sh: installing the pinned tools failed (above)" >&2
  exit 1
fi

stage "infrastructure checks"
scripts/check-infra.sh

if [[ ${SKIP_STACK:-0} == 1 ]]; then
  echo "== SKIP_STACK=1: no end-to-end tests"
  exit 0
fi

stage "end to end on LocalStack"
# shellcheck source=../localstack/lib.sh
. localstack/lib.sh
# shellcheck source=stacks.sh
. scripts/stacks.sh
fresh=1
ls_running_pid >/dev/null && fresh=0
ls_stop_on_exit_unless_running
scripts/up.sh
# shellcheck source=../localstack/env.sh
. localstack/env.sh
demo=$(stack_dir "$DEMO_STACK")
mkdir -p target
"$LS_VENV/bin/python" scripts/store_state.py snapshot "$demo/stack-outputs.json" target/demo-store-before.json

stage "the tests' own stack: $TEST_STACK"
STACK_NAME=$TEST_STACK scripts/up.sh
test_dir=$(stack_dir "$TEST_STACK")
# The integration-tests target by name, with --workspace: `-p` would resolve
# other features and rebuild half the dependencies.
e2e() {
  STACK_NAME=$TEST_STACK STACK_OUTPUTS=$PWD/$test_dir/stack-outputs.json \
    cargo test --profile local --workspace --locked --test stack -- --ignored --test-threads "${E2E_THREADS:-6}" "$@"
}
e2e

stage "storefront in Chromium"
spa/test.sh "$(cat "$test_dir/api-url")"

stage "the API fuzzed against infra/openapi.yaml ($TEST_STACK)"
scripts/fuzz-api.sh "$(cat "$test_dir/api-url")" "$test_dir/admin.json"

stage "the order scenarios again, on the simulated gateway ($TEST_STACK)"
# The stack pays with localstripe above. Redeployed with the simulated
# gateway (only the payment steps' environment changes), the scenarios run
# again: its transient failures are the ones Stripe cannot be made to give,
# and the concurrency and dead-letter scenarios are checked without Stripe.
STACK_NAME=$TEST_STACK PAYMENT_PROVIDER=simulated scripts/up.sh
e2e --skip stripe scenarios:: dead_letters::
SPA_TEST_FILES=tests/order-pipeline.test.mjs SPA_TEST_NAME_PATTERN='\(simulated gateway\)$' \
  spa/test.sh "$(cat "$test_dir/api-url")"

stage "the demo store after the tests ($DEMO_STACK)"
exact=()
[[ $fresh == 1 ]] && exact=(--exact)
"$LS_VENV/bin/python" scripts/store_state.py check "$demo/stack-outputs.json" target/demo-store-before.json \
  shared/seed/products.json "${exact[@]}"
stage "all passed"
