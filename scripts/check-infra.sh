#!/usr/bin/env bash
# Lints and tests the infrastructure code: infra/template.yaml (cfn-lint,
# sam validate) and statemachine/order-processing.asl.json (asl-validator,
# structural and simulated-path tests). Run by CI; works on a fresh clone.
#
# Tools are pinned and installed into the repository's ignored .cache/ and
# statemachine/node_modules/, never globally, and reused while the pins match:
#   .cache/venv-infra            python venv: cfn-lint, aws-sam-cli (pins below)
#   statemachine/node_modules    npm ci from statemachine/package-lock.json (asl-validator, yaml)
# Nothing here talks to AWS: sam validate runs offline with dummy credentials.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
PYTHON=${PYTHON:-python3}
VENV=.cache/venv-infra
PASSED=0
FAILED=0
FAILURES=()

say() { printf '\n==> %s\n' "$*"; }
die() { echo "check-infra: $*" >&2; exit 1; }

# run NAME CMD...: runs one check, prints the command, records the outcome.
run() {
  local name=$1
  shift
  say "$name"
  echo "+ $*"
  if "$@"; then
    PASSED=$((PASSED + 1))
  else
    echo "!! FAILED: $name" >&2
    FAILED=$((FAILED + 1))
    FAILURES+=("$name")
  fi
}

# ------------------------------------------------------------- python tools
say "python tools"
scripts/install-infra-tools.sh || die "installing cfn-lint / aws-sam-cli failed"

# ---------------------------------------------------------------- node tools
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
(( NODE_MAJOR >= 20 )) || die "node >= 20 needed for node --test, found $(node --version)"
LOCK_SUM=$(sha256sum statemachine/package-lock.json | cut -d' ' -f1)
NODE_STAMP=statemachine/node_modules/.check-infra-lock
if [[ -f $NODE_STAMP && "$(cat "$NODE_STAMP")" == "$LOCK_SUM" ]]; then
  say "reusing statemachine/node_modules (package-lock.json unchanged)"
else
  say "npm ci in statemachine/"
  (cd statemachine && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$LOCK_SUM" > "$NODE_STAMP"
fi

# ------------------------------------------------------------------- checks
# sam and cfn-lint need a region; sam validate wants credentials to exist (it
# calls nothing with them). Never touch a real account from here.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=check-infra AWS_SECRET_ACCESS_KEY=check-infra
unset AWS_SESSION_TOKEN AWS_PROFILE
export SAM_CLI_TELEMETRY=0 SAM_CLI_CONTAINER_CONNECTION_TIMEOUT=1

echo "tools: $("$VENV/bin/cfn-lint" --version), $("$VENV/bin/sam" --version), node $(node --version), asl-validator $(statemachine/node_modules/.bin/asl-validator --version)"

run "cfn-lint infra/template.yaml" \
  "$VENV/bin/cfn-lint" infra/template.yaml
run "sam validate --lint" \
  "$VENV/bin/sam" validate --lint --template-file infra/template.yaml
run "sam validate (SAM transform)" \
  "$VENV/bin/sam" validate --template-file infra/template.yaml

run "asl-validator (JSONPath definition as written)" \
  statemachine/node_modules/.bin/asl-validator --json-path statemachine/order-processing.asl.json

# The definition as deployed: every ${Placeholder} substituted the way the
# template's DefinitionSubstitutions does.
RENDERED=.cache/order-processing.rendered.asl.json
mkdir -p .cache
render() {
  node -e '
    const fs = require("fs");
    const raw = fs.readFileSync(process.argv[1], "utf8");
    const arn = (fn) => `arn:aws:lambda:us-east-1:123456789012:function:serverless-store-${fn}`;
    const values = {
      OrdersTableName: "serverless-store-OrdersTable-ABC123",
      EventBusName: "serverless-store-orders",
      DeliveryTimeoutSeconds: "604800",
    };
    const out = raw.replace(/\$\{(\w+)\}/g, (_, name) => {
      if (name in values) return values[name];
      const m = /^(\w+)FunctionArn$/.exec(name);
      if (m) return arn(m[1]);
      throw new Error(`no sample value for \${${name}}`);
    });
    JSON.parse(out);
    fs.writeFileSync(process.argv[2], out);
  ' statemachine/order-processing.asl.json "$RENDERED"
}
run "render the definition with sample substitutions" render
run "asl-validator (definition as deployed)" \
  statemachine/node_modules/.bin/asl-validator --json-path "$RENDERED"

run "state machine and contract tests (node --test)" \
  node --test --test-reporter=spec statemachine/test/*.test.mjs

echo
if (( FAILED > 0 )); then
  printf 'failed: %s\n' "${FAILURES[@]}" >&2
fi
echo "check-infra: $PASSED passed, $FAILED failed"
(( FAILED == 0 ))
