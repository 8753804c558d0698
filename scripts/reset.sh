#!/usr/bin/env bash
# Puts the demo store (the stack scripts/up.sh deployed) back to the seed
# catalog with nothing else in it, without redeploying: stops running order
# executions, empties the notification queue and its DLQ, deletes every item
# of the seven tables (products, orders, users, idempotency, reservations,
# payments, shipments), then loads the seed products (seed-products).
#
#   scripts/reset.sh               # the demo store
#   scripts/reset.sh --seed-only   # only load the seed products that are missing (make seed)
#   STACK_NAME=serverless-store-test scripts/reset.sh   # another stack scripts/up.sh deployed
#
# Accounts go too; the admin of ADMIN_EMAILS is registered again on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=stacks.sh
. scripts/stacks.sh
# shellcheck source=../localstack/lib.sh
. localstack/lib.sh
STACK=${STACK_NAME:-$DEMO_STACK}
outputs=$(stack_dir "$STACK")/stack-outputs.json
seed_only=0
case ${1:-} in
  "") ;;
  --seed-only) seed_only=1 ;;
  *) echo "usage: $0 [--seed-only]" >&2; exit 2 ;;
esac

ls_running_pid >/dev/null || { echo "reset: LocalStack is not running on port $LS_PORT: scripts/up.sh first" >&2; exit 1; }
[[ -f $outputs ]] || { echo "reset: no $outputs: deploy $STACK first (STACK_NAME=$STACK scripts/up.sh)" >&2; exit 1; }
# shellcheck source=../localstack/env.sh
. localstack/env.sh
# The stack must be the one the outputs describe (a restarted LocalStack has none).
aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text >/dev/null 2>&1 \
  || { echo "reset: $STACK is not deployed in this LocalStack: scripts/up.sh" >&2; exit 1; }

if [[ $seed_only == 0 ]]; then
  echo "== emptying $STACK"
  "$LS_VENV/bin/python" scripts/store_state.py wipe "$outputs"
fi

echo "== seed catalog"
profile=${STORE_PROFILE:-local}
seed=target/$profile/seed-products
# --workspace: the feature set of up.sh's build, so nothing else rebuilds.
[[ -x $seed && -x target/$profile/store-admin ]] \
  || cargo build --profile "$profile" --workspace --exclude bench --locked --bin seed-products --bin store-admin
PRODUCTS_TABLE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ProductsTableName"])' "$outputs") "$seed"

if [[ $seed_only == 0 ]]; then
  # The store's admin went with the users: made again the way up.sh makes it.
  echo "== local admin"
  STORE_ADMIN="target/$profile/store-admin" STACK_OUTPUTS="$outputs" \
    "$LS_VENV/bin/python" scripts/local-admin.py "${ADMIN_EMAIL:-admin@store.test}" \
    "${ADMIN_PASSWORD:-local-admin-password}" --out "$(dirname "$outputs")/admin.json" >/dev/null
fi
