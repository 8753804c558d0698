#!/usr/bin/env bash
# Brings the store up on this machine, as it runs on AWS: builds the
# functions, starts LocalStack (no Docker), deploys infra/template.yaml into
# it, verifies the mail sender, seeds the catalog, uploads the storefront
# (spa/) to the stack's bucket and prints the API and storefront URLs.
# Safe to re-run: reuses the build, the running LocalStack and the stack.
#
#   scripts/up.sh          # then: curl "$(cat .cache/localstack/api-url)/api/products"
#   scripts/down.sh        # stops what this started
#
# Payments go to localstripe (the fake Stripe localstack/start.sh starts);
# PAYMENT_PROVIDER=simulated deploys the simulated gateway instead.
# STACK_NAME picks the stack (default serverless-store, the demo store;
# scripts/test.sh deploys serverless-store-test next to it). Its outputs go to
# the folder scripts/stacks.sh names: stack-outputs.json, api-url, spa-url.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=stacks.sh
. scripts/stacks.sh
STACK=${STACK_NAME:-$DEMO_STACK}
SENDER=orders@example.com
# The local admin, made by scripts/local-admin.py (it signs in with TOTP).
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@store.test}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-local-admin-password}
BUILD=.cache/localstack/build
OUT=$(stack_dir "$STACK")
mkdir -p "$OUT"
step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "tools (pinned, into .cache/)"
localstack/install.sh
scripts/install-infra-tools.sh

# STORE_PROFILE=release deploys what AWS gets (scripts/bench.sh does).
profile=${STORE_PROFILE:-local}
step "build the functions (profile $profile, host architecture)"
# The workspace but the bench crate: the bench turns on shared's `testing`
# feature (the in-memory adapters), which deployed binaries must not carry.
# The dependencies are the ones scripts/test.sh's `cargo test --profile local
# --workspace` builds, so the two share one build of them (Cargo.toml,
# [profile.local]).
cargo build --profile "$profile" --workspace --exclude bench --locked
.cache/venv-infra/bin/python scripts/build-template.py infra/template.yaml "target/$profile" "$BUILD"

step "start LocalStack"
localstack/start.sh

step "deploy $STACK"
# Every difference from an AWS deploy is a parameter (infra/README.md).
localstack/cfn-deploy.sh "$BUILD/template.yaml" "$STACK" --parameter-overrides \
  LocalStack=true LocalStackEndpoint="http://127.0.0.1:${LS_PORT:-4566}" Architecture=x86_64 NotificationSender="$SENDER" \
  AllowedOrigin="http://127.0.0.1:${SPA_PORT:-$(( 8080 + ${LS_PORT:-4566} - 4566 ))}" DeleteDataWithStack=true \
  CarrierDeliveryDelaySeconds=0 NotificationVisibilityTimeout=10 NotificationMaxReceiveCount=2 \
  'StalledOrderSweepSchedule=rate(1 minute)' LogLevel=info LoginClientFailureLimit=200 \
  PaymentProvider="${PAYMENT_PROVIDER:-stripe}" StripeApiBase="http://127.0.0.1:${STRIPE_PORT:-$(( 8420 + ${LS_PORT:-4566} - 4566 ))}"

# shellcheck source=../localstack/env.sh
. localstack/env.sh
aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output json \
  | python3 -c 'import json,sys; print(json.dumps({o["OutputKey"]: o["OutputValue"] for o in json.load(sys.stdin)}, indent=1))' \
  > "$OUT/stack-outputs.json"
api_url=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["ApiUrl"])' "$OUT/stack-outputs.json")
echo "$api_url" > "$OUT/api-url"

step "localstripe sends this stack's Stripe events to its webhook"
# The endpoint's signing secret is the one the stack generated (StripeSecret);
# localstripe signs with it as Stripe would with the dashboard's.
stripe_secret=$(aws secretsmanager get-secret-value --query SecretString --output text \
  --secret-id "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["StripeSecretArn"])' "$OUT/stack-outputs.json")")
STRIPE_SECRET="$stripe_secret" python3 - "$api_url/api/payments/stripe/webhook" "$STACK" \
  "http://127.0.0.1:${STRIPE_PORT:-$(( 8420 + ${LS_PORT:-4566} - 4566 ))}" <<'PY'
import json, os, sys, urllib.parse, urllib.request
url, stack, stripe = sys.argv[1:]
secret = json.loads(os.environ["STRIPE_SECRET"])["webhookSecret"]
events = ["charge.refunded", "payment_intent.canceled", "payment_intent.payment_failed"]
form = {"url": url, "secret": secret} | {f"events[{i}]": e for i, e in enumerate(events)}
body = urllib.parse.urlencode(form).encode()
urllib.request.urlopen(urllib.request.Request(f"{stripe}/_config/webhooks/{stack}", data=body), timeout=10)
print(f"localstripe: webhook {stack} -> {url}")
PY

step "mail sender and seed catalog"
aws ses verify-email-identity --email-address "$SENDER"
PRODUCTS_TABLE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ProductsTableName"])' "$OUT/stack-outputs.json") \
  "target/$profile/seed-products"

step "local admin ($ADMIN_EMAIL: registered, verified, TOTP, granted by store-admin)"
STORE_ADMIN="target/$profile/store-admin" STACK_OUTPUTS="$OUT/stack-outputs.json" \
  .cache/venv-infra/bin/python scripts/local-admin.py \
  "$ADMIN_EMAIL" "$ADMIN_PASSWORD" --out "$OUT/admin.json" >/dev/null

step "storefront (spa/ into the stack's bucket, config.js with the API and stream URLs)"
output() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT/stack-outputs.json" "$1"; }
ORDER_STREAM_URL=$(output StorefrontStreamUrl) PAYMENT_PROVIDER=$(output PaymentProvider) \
  spa/deploy.sh "$(output SpaBucketName)" "$api_url"
spa_url=$(output SpaUrl)
echo "$spa_url" > "$OUT/spa-url"

step "the store is up ($(( $(date +%s) - started )) s)"
# What a newcomer needs next; one line per fact, so more can be added.
summary=(
  "Storefront: $spa_url"
  "API:        $api_url"
  "            try: curl $api_url/api/products"
  "Admin:      $ADMIN_EMAIL / $ADMIN_PASSWORD (TOTP secret, hex: $OUT/admin.json)"
)
printf '%s\n' "${summary[@]}"
if [[ $STACK == "$DEMO_STACK" ]]; then
  # make passes LS_PORT on from the environment; say it when it is not the default.
  port=""
  [[ ${LS_PORT:-4566} != 4566 ]] && port="LS_PORT=$LS_PORT "
  printf '\nNext:\n'
  printf '  %-24s %s\n' \
    "${port}make test" "every test, in a stack of their own (this store stays as it is)" \
    "${port}make reset" "this store back to the seed catalog, no orders" \
    "${port}make down" "stop LocalStack (make help: every command)"
fi
