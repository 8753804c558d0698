#!/usr/bin/env bash
# Stops the LocalStack that scripts/up.sh started (and only that).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
localstack/stop.sh
