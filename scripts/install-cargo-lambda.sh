#!/usr/bin/env bash
# Installs cargo-lambda (pinned; the pip package ships the binary and zig)
# into .cache/venv-tools. Used by scripts/watch.sh and scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2
venv=.cache/venv-tools
if [[ ! -x "$venv/bin/cargo-lambda" ]] || ! "$venv/bin/cargo-lambda" lambda --version | grep -q "$CARGO_LAMBDA_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
