#!/usr/bin/env bash
# Serves the HTTP functions (auth, catalog, orders) locally with
# `cargo lambda watch`, hot-reloading on change, against AWS APIs at
# $AWS_ENDPOINT_URL (LocalStack by default).
#
#   scripts/watch.sh                # http://127.0.0.1:9000/lambda-url/<function>/api/...
#
# Table names, bus and state machine come from the environment; the
# defaults match the stack that `localstack/` deploys.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2
venv=.cache/venv-tools
if [[ ! -x "$venv/bin/cargo-lambda" ]] || ! "$venv/bin/cargo-lambda" --version | grep -q "$CARGO_LAMBDA_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
# Local only: the deployed functions read the key from Secrets Manager.
export JWT_SECRET="${JWT_SECRET:-local-development-signing-key-change-me}"
stack="${STACK_NAME:-serverless-store}"
export ORDERS_TABLE="${ORDERS_TABLE:-$stack-orders}"
export PRODUCTS_TABLE="${PRODUCTS_TABLE:-$stack-products}"
export USERS_TABLE="${USERS_TABLE:-$stack-users}"
export IDEMPOTENCY_TABLE="${IDEMPOTENCY_TABLE:-$stack-idempotency}"
export RESERVATIONS_TABLE="${RESERVATIONS_TABLE:-$stack-reservations}"
export EVENT_BUS_NAME="${EVENT_BUS_NAME:-$stack-orders}"
export STATE_MACHINE_ARN="${STATE_MACHINE_ARN:-arn:aws:states:$AWS_REGION:000000000000:stateMachine:$stack-order-processing}"

exec "$venv/bin/cargo-lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port 9000 \
  --env-vars "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL,AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY,JWT_SECRET=$JWT_SECRET,ORDERS_TABLE=$ORDERS_TABLE,PRODUCTS_TABLE=$PRODUCTS_TABLE,USERS_TABLE=$USERS_TABLE,IDEMPOTENCY_TABLE=$IDEMPOTENCY_TABLE,RESERVATIONS_TABLE=$RESERVATIONS_TABLE,EVENT_BUS_NAME=$EVENT_BUS_NAME,STATE_MACHINE_ARN=$STATE_MACHINE_ARN"
