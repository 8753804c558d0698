#!/usr/bin/env bash
# Deploys a CloudFormation/SAM template into the running LocalStack with awscli v1:
#   aws cloudformation package  (code to s3://$CFN_BUCKET, default localstack-artifacts)
#   aws cloudformation deploy --no-execute-changeset  (creates the change set)
#   aws cloudformation execute-change-set + polling every 0.5 s
# The plain `aws cloudformation deploy` works too but its waiter sleeps 30 s
# between polls, so a 5 s stack takes 35 s; this takes about 6-10 s.
# Usage: localstack/cfn-deploy.sh TEMPLATE STACK [extra `aws cloudformation deploy` args,
#        e.g. --parameter-overrides LocalStack=true Architecture=x86_64]
# Prints nothing but progress on stderr; exit 1 with the failed events on failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LS_DIR/env.sh"
[ $# -ge 2 ] || die "usage: $0 TEMPLATE STACK [aws cloudformation deploy args...]"
TEMPLATE="$1"; STACK="$2"; shift 2
BUCKET="${CFN_BUCKET:-localstack-artifacts}"
WORK="$LS_CACHE/deploy/$STACK"
mkdir -p "$WORK"

# A stack whose creation failed cannot be updated: delete it first.
if [ "$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text 2>/dev/null || true)" = ROLLBACK_COMPLETE ]; then
  note "deleting $STACK (ROLLBACK_COMPLETE from an earlier failed create)"
  aws cloudformation delete-stack --stack-name "$STACK"
  aws cloudformation wait stack-delete-complete --stack-name "$STACK" 2>/dev/null \
    || die "LocalStack could not delete the failed stack $STACK: restart it (scripts/down.sh, then again) - its state lives in memory"
fi

aws s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1 || aws s3 mb "s3://$BUCKET" >/dev/null
aws cloudformation package --template-file "$TEMPLATE" --s3-bucket "$BUCKET" \
  --output-template-file "$WORK/packaged.yaml" >"$WORK/package.log" 2>&1 \
  || { cat "$WORK/package.log" >&2; die "cloudformation package failed"; }

if ! aws cloudformation deploy --template-file "$WORK/packaged.yaml" --stack-name "$STACK" \
  --s3-bucket "$BUCKET" --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
  --no-execute-changeset "$@" >"$WORK/changeset.log" 2>&1; then
  cat "$WORK/changeset.log" >&2; die "creating the change set failed"
fi
CS="$(grep -o 'arn:aws:cloudformation:[^ ]*changeSet/[^ ]*' "$WORK/changeset.log" | head -1 || true)"
if [ -z "$CS" ]; then
  note "deploy $STACK: no changes"
  exit 0
fi
aws cloudformation execute-change-set --change-set-name "$CS" >/dev/null
deadline=$(( $(date +%s) + ${CFN_DEPLOY_TIMEOUT:-600} ))
while :; do
  status="$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo UNKNOWN)"
  case "$status" in
    *_IN_PROGRESS|UNKNOWN|REVIEW_IN_PROGRESS) ;;
    CREATE_COMPLETE|UPDATE_COMPLETE) note "deploy $STACK: $status"; exit 0 ;;
    *) aws cloudformation describe-stack-events --stack-name "$STACK" \
         --query 'StackEvents[?contains(ResourceStatus, `FAILED`)].[LogicalResourceId,ResourceType,ResourceStatus,ResourceStatusReason]' \
         --output text >&2 || true
       die "deploy $STACK: $status" ;;
  esac
  [ "$(date +%s)" -lt "$deadline" ] || die "deploy $STACK: still $status after ${CFN_DEPLOY_TIMEOUT:-600} s"
  sleep 0.5
done
