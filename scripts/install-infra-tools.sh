#!/usr/bin/env bash
# Installs the pinned template tools, cfn-lint and aws-sam-cli, into the
# ignored .cache/venv-infra, once; reused while the pins and Python match.
# Used by check-infra.sh and up.sh (its build step reads templates with SAM's
# own YAML helper).
set -uo pipefail

CFN_LINT_VERSION=1.58.0
SAM_CLI_VERSION=1.170.0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
PYTHON=${PYTHON:-python3}
VENV=.cache/venv-infra
die() { echo "install-infra-tools: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "cannot run $PYTHON"
PINS="python=$PY_VERSION cfn-lint==$CFN_LINT_VERSION aws-sam-cli==$SAM_CLI_VERSION"
if [[ -x $VENV/bin/cfn-lint && -x $VENV/bin/sam && -f $VENV/.pins && "$(cat "$VENV/.pins")" == "$PINS" ]]; then
  echo "reusing $VENV ($PINS)"
else
  echo "installing $PINS into $VENV"
  rm -rf "$VENV"
  mkdir -p .cache
  "$PYTHON" -m venv "$VENV" || die "python venv failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip || die "pip upgrade failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION" || die "pip install failed"
  echo "$PINS" > "$VENV/.pins"
fi

