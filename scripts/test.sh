#!/usr/bin/env bash
# Runs every test this checkout has: formatting and lints are in .ci/run;
# this is the README's test command.
#   unit tests (no network)  -> cargo test --workspace
#   infra checks             -> scripts/check-infra.sh (template + state machine)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== unit tests (no network)"
cargo test --workspace --locked

if [[ -x scripts/check-infra.sh ]]; then
  echo "== infrastructure checks"
  scripts/check-infra.sh
fi
