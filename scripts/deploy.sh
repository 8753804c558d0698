#!/usr/bin/env bash
# Builds and deploys the store to the AWS account of your credentials with
# SAM, as infra/README.md describes: `sam build` (cargo-lambda, arm64 by
# default), then `sam deploy --guided` the first time (no such stack in the
# account yet: it asks for every parameter and saves them in
# infra/samconfig.toml) and `sam deploy` afterwards. SAM CLI and cargo-lambda
# are the pinned ones in .cache/. Afterwards: the seed catalog and the
# storefront (infra/README.md, spa/README.md "Deploying to AWS").
#
#   scripts/deploy.sh                  # make deploy
#   DEPLOY_GUIDED=1 scripts/deploy.sh  # ask for the parameters again
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ${AWS_ENDPOINT_URL:-} == *127.0.0.1* || ${AWS_ENDPOINT_URL:-} == *localhost* ]]; then
  echo "deploy: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL points at LocalStack (localstack/env.sh): use a shell without it" >&2
  exit 2
fi
scripts/install-infra-tools.sh
scripts/install-cargo-lambda.sh
export PATH="$PWD/.cache/venv-tools/bin:$PWD/.cache/venv-infra/bin:$PATH"
python=$PWD/.cache/venv-infra/bin/python
# The stack name samconfig.toml deploys to.
stack=$(sed -n 's/^stack_name = "\(.*\)"$/\1/p' infra/samconfig.toml | head -1)

# First run: the stack is not in the account (boto3 comes with SAM CLI).
# Missing credentials count as a first run too; the guided deploy says so.
guided=${DEPLOY_GUIDED:-}
if [[ -z $guided ]]; then
  if "$python" -c 'import sys, boto3; boto3.client("cloudformation").describe_stacks(StackName=sys.argv[1])' \
    "$stack" >/dev/null 2>&1; then
    guided=0
  else
    guided=1
  fi
fi

cd infra
sam build
if [[ $guided == 1 ]]; then
  echo "== sam deploy --guided (first deploy of $stack, or DEPLOY_GUIDED=1)"
  sam deploy --guided
else
  echo "== sam deploy ($stack)"
  sam deploy
fi
