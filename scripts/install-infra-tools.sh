#!/usr/bin/env bash
# Installs the pinned template tools into the ignored .cache/, once; each
# venv is reused while its pins and Python match:
#   .cache/venv-infra     cfn-lint, aws-sam-cli (check-infra.sh; up.sh's build
#                         step reads templates with SAM's own YAML helper)
#   .cache/venv-checkov   checkov (check-infra.sh). A venv of its own: checkov
#                         and aws-sam-cli pin boto3 versions that pip cannot
#                         install side by side.
set -uo pipefail

CFN_LINT_VERSION=1.58.0
SAM_CLI_VERSION=1.170.0
CHECKOV_VERSION=3.3.30

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
PYTHON=${PYTHON:-python3}
die() { echo "install-infra-tools: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "cannot run $PYTHON"

# venv DIR EXECUTABLE... -- REQUIREMENT...: (re)creates DIR with the
# requirements unless it has the executables and the same pins.
venv() {
  local dir=$1
  shift
  local executables=()
  while [[ $1 != -- ]]; do executables+=("$1"); shift; done
  shift
  local pins="python=$PY_VERSION $*"
  local ready=1
  for exe in "${executables[@]}"; do [[ -x $dir/bin/$exe ]] || ready=0; done
  if (( ready )) && [[ -f $dir/.pins && "$(cat "$dir/.pins")" == "$pins" ]]; then
    echo "reusing $dir ($pins)"
    return
  fi
  echo "installing $pins into $dir"
  rm -rf "$dir"
  mkdir -p .cache
  "$PYTHON" -m venv "$dir" || die "python venv $dir failed"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip || die "pip upgrade in $dir failed"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" || die "pip install into $dir failed"
  echo "$pins" > "$dir/.pins"
}

venv .cache/venv-infra cfn-lint sam -- "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
venv .cache/venv-checkov checkov -- "checkov==$CHECKOV_VERSION"
