#!/usr/bin/env bash
# Stops the LocalStack that scripts/up.sh started (and only that): the demo
# store and the tests' stack with it (their state lives in LocalStack's memory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
localstack/stop.sh
