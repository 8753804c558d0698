#!/usr/bin/env bash
# Fuzzes a deployed store's API against its contract, infra/openapi.yaml,
# with Schemathesis (pinned: scripts/install-fuzz-tools.sh): examples,
# boundary values, random and invalid inputs, and request chains, as a
# fresh customer it registers and, on the admin routes, as the admin of
# ADMIN_JSON ({"email","password","totpSecret"}, the secret in hex).
#
#   scripts/fuzz-api.sh API_URL [ADMIN_JSON]
#   scripts/fuzz-api.sh "$(cat .cache/localstack/api-url)" .cache/localstack/admin.json
#
# Fails on any 5xx, any response that does not match the contract (body
# schema, status code, content type, headers), any Schemathesis error, or
# fewer than FUZZ_MIN_REQUESTS (1000) requests sent. Prints the requests
# sent, each status's count, the 5xx and the schema violations. Without
# ADMIN_JSON the admin routes are fuzzed as the customer (all 403).
#
# It leaves its marks: accounts, products, orders (scripts/reset.sh puts
# the demo store back to the seed catalog), and sign-in failures counted
# against this address (a lockout of up to 15 minutes here).
#
# Nothing is excluded: every route that ends sessions (sign-out, sign-out
# everywhere, a password change) runs as an account of its own
# (scripts/fuzz_hooks.py), so it cannot revoke the tokens the other routes
# use, and the admin token only goes to the admin routes, none of which can
# take it away (revoking one's own role is refused).
#
# Settings: FUZZ_MAX_EXAMPLES (20 per operation and phase), FUZZ_WORKERS
# (4), FUZZ_SEED (Schemathesis picks one and prints it; pass it back to
# repeat a run), FUZZ_MIN_REQUESTS (1000). Reports in .cache/fuzz/.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
die() { echo "fuzz-api: $*" >&2; exit 1; }

API_URL=${1:-}
ADMIN_JSON=${2:-}
[[ -n $API_URL ]] || die "usage: $0 API_URL [ADMIN_JSON]"
[[ -z $ADMIN_JSON || -f $ADMIN_JSON ]] || die "no such file: $ADMIN_JSON"
[[ -z $ADMIN_JSON ]] || ADMIN_JSON=$(cd "$(dirname "$ADMIN_JSON")" && pwd)/$(basename "$ADMIN_JSON")
API_URL=${API_URL%/}

scripts/install-fuzz-tools.sh || die "installing Schemathesis failed"
VENV=.cache/venv-schemathesis
OUT=.cache/fuzz
rm -rf "$OUT"
mkdir -p "$OUT"

curl -fsS -o /dev/null --max-time 30 "$API_URL/healthz" || die "$API_URL/healthz does not answer: is the stack up?"

# Checks: no 5xx; every status, body, content type and header the
# contract's. Not the checks that expect the API to take every value the
# schema allows (a valid-looking productId may not exist) or to refuse
# every value it does not (the ignored extra fields of an order line), nor
# API Gateway's own answer to undeclared methods (403, not 405).
CHECKS=not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance

args=(
  run "$ROOT/infra/openapi.yaml"
  --url "$API_URL"
  --checks "$CHECKS"
  --max-examples "${FUZZ_MAX_EXAMPLES:-20}"
  --workers "${FUZZ_WORKERS:-4}"
  --request-timeout 30
  --continue-on-failure
  # Nothing kept between runs: the worktree and .cache stay as they were.
  --generation-database none
  --report json --report-json-path "$ROOT/$OUT/report.json"
  --no-color
)
[[ -n ${FUZZ_SEED:-} ]] && args+=(--seed "$FUZZ_SEED")

echo "fuzz-api: fuzzing $API_URL against infra/openapi.yaml${ADMIN_JSON:+ (admin routes as the admin of $ADMIN_JSON)}"
# Run from .cache/fuzz: Schemathesis keeps a cache of crashes in the
# working directory.
(cd "$OUT" && FUZZ_API_URL=$API_URL FUZZ_ADMIN_JSON=$ADMIN_JSON FUZZ_STATS=$ROOT/$OUT/stats.json \
  PYTHONPATH=$ROOT/scripts SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONDONTWRITEBYTECODE=1 \
  "$ROOT/$VENV/bin/st" "${args[@]}" > schemathesis.log 2>&1)
st_status=$?
# The run's details (every failure with a curl line to repeat it).
sed -n '/^=* \(FAILURES\|ERRORS\|WARNINGS\|SUMMARY\) =*$/,$p' "$OUT/schemathesis.log"

"$VENV/bin/python" - "$OUT/stats.json" "$OUT/report.json" "$st_status" "${FUZZ_MIN_REQUESTS:-1000}" <<'PY'
import json, sys
stats_path, report_path, st_status, min_requests = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    stats = json.load(open(stats_path))
    report = json.load(open(report_path))
except (OSError, ValueError) as e:
    print(f"fuzz-api: no results ({e}); see .cache/fuzz/schemathesis.log", file=sys.stderr)
    sys.exit(1)
statuses = {int(k): v for k, v in stats["statuses"].items()}
probes = {int(k): v for k, v in stats["undeclaredMethods"].items()}
sent = sum(statuses.values()) + sum(probes.values())
server_errors = sum(v for k, v in [*statuses.items(), *probes.items()] if k >= 500)
failures = report.get("failures", [])
errors = report.get("errors", [])
schema = sum(f["count"] for f in failures if "schema" in f["title"].lower())
print()
print(f"fuzz-api: {sent} requests, {report['test_cases']['generated']} test cases, "
      f"{report['operations']['tested']}/{report['operations']['total']} operations, "
      f"{report['running_time']:.0f} s, seed {report['seed']}")
counts = lambda table: ", ".join(f"{k}: {v}" for k, v in sorted(table.items()))
print(f"fuzz-api: {sum(statuses.values())} to the documented operations, statuses {counts(statuses)}")
print(f"fuzz-api: {sum(probes.values())} with a method the path does not declare (API Gateway answers), statuses {counts(probes)}")
print(f"fuzz-api: {server_errors} 5xx, {schema} schema violations, "
      f"{sum(f['count'] for f in failures)} failures in all, {sum(e['count'] for e in errors)} errors")
for line in stats["serverErrors"]:
    print(f"  5xx: {line}")
for f in failures:
    print(f"  failure: {f['title']} x{f['count']}: {', '.join(f['operations'])}")
for e in errors:
    print(f"  error: {e['title']} x{e['count']}")
ok = True
if server_errors or failures or errors:
    ok = False
if sent < min_requests:
    print(f"fuzz-api: only {sent} requests sent, fewer than {min_requests}", file=sys.stderr)
    ok = False
if st_status != 0 and ok:
    print(f"fuzz-api: Schemathesis exited {st_status}; see .cache/fuzz/schemathesis.log", file=sys.stderr)
    ok = False
print("fuzz-api: " + ("passed" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
