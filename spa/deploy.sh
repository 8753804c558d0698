#!/usr/bin/env bash
# Publishes the storefront to the stack's S3 bucket, with the API base URL
# written into config.js at deploy time (nothing is hard-coded in the files).
#
#   spa/deploy.sh <bucket> <api-base-url> [cloudfront-distribution-id]
#
# ORDER_STREAM_URL (optional) goes into config.js too: the live order stream
# (StorefrontStreamUrl; without it order pages poll the API), and
# PAYMENT_PROVIDER (the stack output PaymentProvider) picks the checkout's test cards.
#
# Typically, after `sam deploy` (names from the stack outputs):
#   spa/deploy.sh "$(out SpaBucketName)" "$(out StorefrontApiUrl)" "$(out SpaDistributionId)"
# (StorefrontApiUrl: on AWS the distribution itself, which sends /api/* to the API.)
# On LocalStack (scripts/up.sh) the same script uploads to the local bucket;
# AWS_ENDPOINT_URL from localstack/env.sh is passed to the CLI.
set -euo pipefail
SPA=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bucket=${1:?usage: spa/deploy.sh <bucket> <api-base-url> [distribution-id]}
api=${2:?usage: spa/deploy.sh <bucket> <api-base-url> [distribution-id]}
distribution=${3:-}
endpoint=()
[[ -n ${AWS_ENDPOINT_URL:-} ]] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$SPA/public/." "$stage/"
node --input-type=module -e '
  import { configScript } from "'"$SPA"'/server.mjs";
  process.stdout.write(configScript(process.argv[1], process.argv[2], process.argv[3]));
' "$api" "${ORDER_STREAM_URL:-}" "${PAYMENT_PROVIDER:-}" > "$stage/config.js"

# Assets: short cache (names are not fingerprinted); the entry points: revalidate.
aws "${endpoint[@]}" s3 sync "$stage/" "s3://$bucket/" --delete --only-show-errors \
  --exclude index.html --exclude config.js --cache-control "public, max-age=300"
for f in index.html config.js; do
  aws "${endpoint[@]}" s3 cp "$stage/$f" "s3://$bucket/$f" --only-show-errors \
    --cache-control "no-cache" --content-type "$([[ $f == *.html ]] && echo 'text/html; charset=utf-8' || echo 'text/javascript; charset=utf-8')"
done
if [[ -n $distribution ]]; then
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/index.html" "/config.js" >/dev/null
fi
echo "storefront uploaded to s3://$bucket (API $api)"
