#!/usr/bin/env bash
# Installs Schemathesis, pinned with everything it pulls in by
# scripts/fuzz-requirements.txt, into the ignored .cache/venv-schemathesis
# (for scripts/fuzz-api.sh). The venv is reused while the requirements file
# and Python are the same; otherwise it is made anew.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
PYTHON=${PYTHON:-python3}
VENV=.cache/venv-schemathesis
REQUIREMENTS=scripts/fuzz-requirements.txt
die() { echo "install-fuzz-tools: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "cannot run $PYTHON"
pins="python=$PY_VERSION requirements=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [[ -x $VENV/bin/st && -f $VENV/.pins && "$(cat "$VENV/.pins")" == "$pins" ]]; then
  echo "reusing $VENV ($pins)"
  exit 0
fi
echo "installing $REQUIREMENTS into $VENV ($pins)"
rm -rf "$VENV"
mkdir -p .cache
"$PYTHON" -m venv "$VENV" || die "python venv $VENV failed"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip || die "pip upgrade in $VENV failed"
# --no-deps: the file pins every dependency itself, so nothing unpinned slips in.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS" \
  || die "pip install into $VENV failed"
"$VENV/bin/python" -m pip check >/dev/null || die "$REQUIREMENTS does not pin a consistent set: pip check in $VENV"
echo "$pins" > "$VENV/.pins"
