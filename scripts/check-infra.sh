#!/usr/bin/env bash
# Lints and tests the infrastructure code: infra/template.yaml (cfn-lint,
# sam validate, Checkov) and statemachine/order-processing.asl.json
# (asl-validator, structural and simulated-path tests). Run by CI; works on a
# fresh clone.
#
# Tools are pinned and installed into the repository's ignored .cache/ and
# statemachine/node_modules/, never globally, and reused while the pins match:
#   .cache/venv-infra            python venv: cfn-lint, aws-sam-cli (scripts/install-infra-tools.sh)
#   .cache/venv-checkov          python venv: checkov (same script)
#   statemachine/node_modules    npm ci from statemachine/package-lock.json (asl-validator, yaml)
# Nothing here talks to AWS or to Checkov's platform: sam validate runs offline
# with dummy credentials, Checkov with --skip-download and BC_SKIP_MAPPING.
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
scripts/install-infra-tools.sh || die "installing cfn-lint / aws-sam-cli / checkov failed"

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

CHECKOV=.cache/venv-checkov/bin/checkov
echo "tools: $("$VENV/bin/cfn-lint" --version), $("$VENV/bin/sam" --version), checkov $("$CHECKOV" --version), node $(node --version), asl-validator $(statemachine/node_modules/.bin/asl-validator --version)"

run "cfn-lint infra/template.yaml" \
  "$VENV/bin/cfn-lint" infra/template.yaml
run "sam validate --lint" \
  "$VENV/bin/sam" validate --lint --template-file infra/template.yaml
run "sam validate (SAM transform)" \
  "$VENV/bin/sam" validate --template-file infra/template.yaml

# checkov_scan NAME TEMPLATE [checkov args...]: Checkov's CloudFormation
# checks; prints passed/failed/skipped and each failure; fails on any failure
# or parsing error. Skips are only those written in the template
# (Metadata: checkov: skip), each with its reason.
checkov_scan() {
  local name=$1 template=$2
  shift 2
  local report=.cache/checkov-$name.json
  mkdir -p .cache
  BC_SKIP_MAPPING=TRUE "$CHECKOV" --quiet --skip-download --framework cloudformation \
    --file "$template" --output json "$@" > "$report" 2> ".cache/checkov-$name.log"
  "$PYTHON" - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
reports = report if isinstance(report, list) else [report]
summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
failures = []
for r in reports:
    for key in summary:
        summary[key] += r.get("summary", {}).get(key, 0)
    failures += r.get("results", {}).get("failed_checks", [])
for f in failures:
    print(f"  FAILED {f['check_id']} {f['resource']}: {f['check_name']}")
print("checkov: {passed} passed, {failed} failed, {skipped} skipped, {parsing_errors} parsing errors".format(**summary))
sys.exit(1 if summary["failed"] or summary["parsing_errors"] or not summary["passed"] else 0)
PY
}

# The template as SAM expands it (offline, SAM's own translator): the IAM
# roles SAM generates from each function's Policies, which the template
# itself does not show.
EXPANDED=.cache/template.expanded.json
expand() {
  "$VENV/bin/python" - infra/template.yaml "$EXPANDED" <<'PY'
import json, sys
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform
template = yaml_parse(open(sys.argv[1]).read())
# LanguageExtensions only resolves the tables' !If policies; the Serverless
# transform is the one that makes the roles.
template["Transform"] = "AWS::Serverless-2016-10-31"
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/function.zip"
    elif resource["Type"] == "AWS::Serverless::StateMachine":
        resource["Properties"]["DefinitionUri"] = "s3://bucket/definition.json"
class NoManagedPolicies:
    def load(self):
        return {}
json.dump(transform(template, {}, NoManagedPolicies()), open(sys.argv[2], "w"), indent=1)
PY
}

run "checkov infra/template.yaml" checkov_scan template infra/template.yaml
run "expand the template with the SAM translator" expand
# IAM checks only: the rest of the expanded template is the template's
# resources again, scanned above with their skips.
run "checkov: IAM of the roles SAM generates" checkov_scan roles "$EXPANDED" \
  --check CKV_AWS_60,CKV_AWS_61,CKV_AWS_62,CKV_AWS_63,CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,CKV_AWS_111

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
