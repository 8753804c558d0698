#!/usr/bin/env bash
# Serves the HTTP functions (auth, catalog, orders) locally with
# `cargo lambda watch`, hot-reloading on change, against AWS APIs at
# $AWS_ENDPOINT_URL (LocalStack by default).
#
#   scripts/watch.sh     # then: curl http://127.0.0.1:9000/api/products
#
# Table names, bus and state machine come from the environment; the
# defaults match the stack that `localstack/` deploys.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-cargo-lambda.sh
venv=.cache/venv-tools

env_file=.cache/watch.env
stack="${STACK_NAME:-serverless-store}"
region="${AWS_REGION:-us-east-1}"
cat > "$env_file" <<ENV
AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}
AWS_REGION=$region
AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}
AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
# Local only: deployed functions read the key from Secrets Manager (JWT_SECRET_ARN).
JWT_SECRET=${JWT_SECRET:-local-development-signing-key-change-me}
ORDERS_TABLE=${ORDERS_TABLE:-$stack-orders}
PRODUCTS_TABLE=${PRODUCTS_TABLE:-$stack-products}
USERS_TABLE=${USERS_TABLE:-$stack-users}
IDEMPOTENCY_TABLE=${IDEMPOTENCY_TABLE:-$stack-idempotency}
RESERVATIONS_TABLE=${RESERVATIONS_TABLE:-$stack-reservations}
EVENT_BUS_NAME=${EVENT_BUS_NAME:-$stack-orders}
STATE_MACHINE_ARN=${STATE_MACHINE_ARN:-arn:aws:states:$region:000000000000:stateMachine:$stack-order-processing}
NOTIFY_SENDER=${NOTIFY_SENDER:-orders@example.com}
ENV

# Routes: [workspace.metadata.lambda.watch.router] in Cargo.toml.
exec "$venv/bin/cargo-lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port "${PORT:-9000}" --env-file "$env_file"
