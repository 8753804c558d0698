#!/usr/bin/env bash
# End-to-end probe of the local stack: installs, starts LocalStack, deploys
# localstack/probe/template.yaml (SAM transform) with awscli
# (`cloudformation package` + `deploy`), then checks
#   - the REST API (proxy integration) invokes the function through the
#     local-process executor, with the template's environment variables;
#   - concurrent requests (several execution environments);
#   - the function timeout is enforced (Sandbox.Timedout -> 502) and the next
#     request gets a fresh process;
#   - DynamoDB put/get on the stack's table;
#   - START/END/REPORT lines and the function's stdout/stderr reach the log
#     group of LoggingConfig.LogGroup.
# Prints PASS or FAIL (exit 1). Stops LocalStack afterwards if it started it
# (LOCALSTACK_KEEP=1 keeps it running); deletes the stack unless PROBE_KEEP_STACK=1.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STACK=ls-probe
WORK="$LS_CACHE/probe"
mkdir -p "$WORK"
FAILS=0
ok() { echo "  ok    $*"; }
bad() { echo "  FAIL  $*"; FAILS=$((FAILS + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now) - $1}"; }
py() { "$LS_VENV/bin/python" "$@"; }
json_get() { py -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

started_here=0
ls_running_pid >/dev/null || started_here=1
cleanup() {
  if [ "${PROBE_KEEP_STACK:-0}" != 1 ] && ls_running_pid >/dev/null; then
    aws cloudformation delete-stack --stack-name "$STACK" >/dev/null 2>&1 || true
  fi
  if [ "$started_here" = 1 ] && [ "${LOCALSTACK_KEEP:-0}" != 1 ]; then "$LS_DIR/stop.sh"; fi
}
trap cleanup EXIT

t=$(now)
"$LS_DIR/start.sh" || { echo FAIL; exit 1; }
echo "probe: LocalStack ready in $(since "$t") s"
. "$LS_DIR/env.sh"

# ------------------------------------------------------------------ deploy
t=$(now)
"$LS_DIR/cfn-deploy.sh" "$LS_DIR/probe/template.yaml" "$STACK" || { echo FAIL; exit 1; }
echo "probe: package + deploy (localstack/cfn-deploy.sh) in $(since "$t") s"
aws cloudformation describe-stacks --stack-name "$STACK" >"$WORK/stack.json"
out() { json_get "{o['OutputKey']: o['OutputValue'] for o in d['Stacks'][0]['Outputs']}['$1']" <"$WORK/stack.json"; }
API_ID="$(out ApiId)"; STAGE="$(out StageName)"; TABLE="$(out TableName)"
FN="$(out FunctionName)"; LOG_GROUP="$(out LogGroupName)"
check "stack CREATE/UPDATE_COMPLETE" '[[ "$(json_get "d[\"Stacks\"][0][\"StackStatus\"]" <"$WORK/stack.json")" == *_COMPLETE ]]'
check "SAM transform expanded (ApiId=$API_ID, function=$FN)" '[ -n "$API_ID" ] && [ -n "$FN" ]'
BASE="$LS_URL/_aws/execute-api/$API_ID/$STAGE"
OLD_BASE="$LS_URL/restapis/$API_ID/$STAGE/_user_request_"   # deprecated since LocalStack 3.8, still served
echo "probe: API base $BASE (the ApiUrl output names AWS: $(out ApiUrl))"

# ------------------------------------------------------------------ API -> Lambda
t=$(now)
code=$(curl -sS -o "$WORK/echo.json" -w '%{http_code}' "$BASE/echo/hello?x=1" -H 'X-Probe: yes')
echo "probe: first (cold) request: HTTP $code in $(since "$t") s"
check "GET /echo/hello -> 200" '[ "$code" = 200 ]'
RID="$(json_get 'd["requestId"]' <"$WORK/echo.json" 2>/dev/null)"
check "event reached the function (path, query, header)" \
  '[ "$(json_get "(d[\"event\"][\"path\"], d[\"event\"][\"queryStringParameters\"][\"x\"], {k.lower(): v for k, v in d[\"event\"][\"headers\"].items()}[\"x-probe\"])" <"$WORK/echo.json")" = "('"'"'/echo/hello'"'"', '"'"'1'"'"', '"'"'yes'"'"')" ]'
check "template env vars (PROBE_SETTING, TABLE_NAME)" \
  '[ "$(json_get "d[\"probeSetting\"] + \" \" + d[\"table\"]" <"$WORK/echo.json")" = "from-the-template $TABLE" ]'
check "Lambda env (function name, memory 128, JSON log format, log group $LOG_GROUP, handler, region, role credentials)" \
  '[ "$(json_get "\" \".join([d[\"functionName\"], d[\"memory\"], d[\"logFormat\"], d[\"logGroup\"], d[\"handler\"], d[\"region\"], d[\"hasCredentials\"]])" <"$WORK/echo.json")" = "$FN 128 JSON $LOG_GROUP bootstrap us-east-1 yes" ]'
t=$(now)
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/echo/again")
echo "probe: warm request: HTTP $code in $(since "$t") s"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$OLD_BASE/echo/old-path")
check "deprecated .../restapis/<id>/<stage>/_user_request_/... path -> 200" '[ "$code" = 200 ]'

# concurrent requests: LocalStack starts one execution environment (process) per concurrent invocation
t=$(now)
for i in 1 2 3 4 5 6; do
  curl -sS -o "$WORK/par$i.json" -w '%{http_code}\n' "$BASE/echo/parallel$i" >"$WORK/par$i.code" &
done
wait
n200=$(cat "$WORK"/par*.code | grep -c '^200$')
check "6 concurrent requests -> 6 x 200 ($(since "$t") s)" '[ "$n200" = 6 ]'

# timeout: the function sleeps past its 3 s timeout
t=$(now)
code=$(curl -sS -o "$WORK/sleep.json" -w '%{http_code}' --max-time 30 "$BASE/echo/sleep")
el=$(since "$t")
check "timeout enforced: /echo/sleep -> 502 after ${el} s (Timeout 3 s)" \
  '[ "$code" = 502 ] && awk "BEGIN{exit !($el >= 2.9 && $el < 10)}"'
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/echo/after-timeout")
check "next request after the timeout -> 200 (fresh process)" '[ "$code" = 200 ]'
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/echo/crash")
check "process exit during an invocation -> 502" '[ "$code" = 502 ]'
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/echo/after-crash")
check "next request after the crash -> 200" '[ "$code" = 200 ]'

code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$BASE/echo/oom")
check "memory enforced: /echo/oom (200 MB, MemorySize 128) -> 502" '[ "$code" = 502 ]'
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/echo/after-oom")
check "next request after the out-of-memory kill -> 200" '[ "$code" = 200 ]'

# Step Functions task -> Lambda
SM="$(out StateMachineArn)"
EXEC="$(aws stepfunctions start-execution --state-machine-arn "$SM" --input '{"path":"/echo/from-sfn"}' --query executionArn --output text)"
sfn_status=""
for _ in $(seq 1 60); do
  sfn_status="$(aws stepfunctions describe-execution --execution-arn "$EXEC" --query status --output text 2>/dev/null)"
  [ "$sfn_status" = RUNNING ] || break
  sleep 0.5
done
check "Step Functions lambda:invoke task -> SUCCEEDED with the function's answer"   '[ "$sfn_status" = SUCCEEDED ] && aws stepfunctions describe-execution --execution-arn "$EXEC" --query output --output text | grep -q from-sfn'

# EventBridge -> SQS -> event source mapping -> Lambda
MARK="probe-$(date +%s%N)"
aws events put-events --entries "[{\"Source\":\"probe.local\",\"DetailType\":\"probe\",\"Detail\":\"{\\\"mark\\\":\\\"$MARK\\\"}\",\"EventBusName\":\"$(out BusName)\"}]" >/dev/null

# direct invoke: FunctionError for the timeout
aws lambda invoke --function-name "$FN" \
  --payload '{"path":"/echo/sleep"}' "$WORK/invoke.json" >"$WORK/invoke.meta" 2>&1
check "lambda invoke of a timeout -> FunctionError, Sandbox.Timedout" \
  'grep -q FunctionError "$WORK/invoke.meta" && grep -q "Sandbox.Timedout" "$WORK/invoke.json"'

# ------------------------------------------------------------------ DynamoDB
t=$(now)
aws dynamodb put-item --table-name "$TABLE" --item '{"pk":{"S":"probe"},"v":{"N":"42"}}' >/dev/null 2>&1
v="$(aws dynamodb get-item --table-name "$TABLE" --key '{"pk":{"S":"probe"}}' --consistent-read \
  --query 'Item.v.N' --output text 2>&1)"
check "DynamoDB put/get on $TABLE -> 42 ($(since "$t") s)" '[ "$v" = 42 ]'

# ------------------------------------------------------------------ logs
logs_have() {  # $1: substring; waits up to 30 s for it in the log group
  local deadline=$(( $(date +%s) + 30 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    aws logs filter-log-events --log-group-name "$LOG_GROUP" --query 'events[].message' --output text \
      >"$WORK/logs.txt" 2>/dev/null && grep -qF -- "$1" "$WORK/logs.txt" && return 0
    sleep 0.5
  done
  return 1
}
check "REPORT line of the first request in $LOG_GROUP" 'logs_have "REPORT RequestId: $RID"'
grep -F "REPORT RequestId: $RID" "$WORK/logs.txt" | head -1 | sed 's/^/        /'
check "REPORT has Duration, Billed Duration, Memory Size: 128 MB, Max Memory Used" \
  'grep -F "REPORT RequestId: $RID" "$WORK/logs.txt" | grep -qE "Duration: [0-9.]+ ms.*Billed Duration: [0-9]+ ms.*Memory Size: 128 MB.*Max Memory Used: [0-9]+ MB"'
check "START and END lines" 'grep -qF "START RequestId: $RID" "$WORK/logs.txt" && grep -qF "END RequestId: $RID" "$WORK/logs.txt"'
check "function stdout and stderr" 'grep -qF "probe: got event for request $RID" "$WORK/logs.txt" && grep -qF "probe: a line on stderr" "$WORK/logs.txt"'
t=$(now)
check "EventBridge -> SQS -> event source mapping -> function ($MARK in the function's log)" 'logs_have "$MARK"'
echo "        (event reached the function's log $(since "$t") s after the logs check started)"
check "out-of-memory logged (Runtime.OutOfMemory)" 'logs_have "Error Type: Runtime.OutOfMemory"'
check "timeout logged (Task timed out after 3.00 seconds, Status: timeout)" \
  'logs_have "Task timed out after 3.00 seconds" && grep -q "Status: timeout" "$WORK/logs.txt"'
aws logs describe-log-groups --log-group-name-prefix "/aws/lambda/$FN" --query 'logGroups[].logGroupName' --output text >"$WORK/default-groups.txt" 2>&1
check "nothing written to the default group /aws/lambda/$FN" '! grep -q . "$WORK/default-groups.txt"'

echo
if [ "$FAILS" = 0 ]; then echo "PASS"; exit 0; else echo "FAIL ($FAILS checks failed)"; exit 1; fi
