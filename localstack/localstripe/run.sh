#!/usr/bin/env bash
# localstripe, the stateful fake Stripe the local stack's payments go to.
#   run.sh install   pinned into .cache/localstack/venv-stripe (requirements.txt)
#   run.sh start     on 127.0.0.1:$STRIPE_PORT (8420 + LS_PORT - 4566), fresh state
#   run.sh stop      the one start began (pid file), nothing else
# localstack/start.sh and stop.sh call it, so it lives and dies with LocalStack;
# its state is in memory, like LocalStack's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE="$LS_DIR/localstripe"
VENV="$LS_CACHE/venv-stripe"
PIDFILE="$LS_CACHE/localstripe.pid"
LOG="$LS_CACHE/localstripe.log"
STAMP="$LS_CACHE/localstripe.stamp"
PORT="$STRIPE_PORT"

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "localstripe/serve.py" || return 1
  echo "$pid"
}

install() {
  local want; want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  local py; py="$("$LS_VENV/bin/python" -c 'import sys; print(sys._base_executable)')"
  note "localstripe: installing the pins into $VENV"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip --disable-pip-version-check --quiet install -r "$HERE/requirements.txt"
  echo "$want" >"$STAMP"
}

start() {
  install
  if running_pid >/dev/null; then
    note "localstripe: already running on 127.0.0.1:$PORT"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "localstripe: port $PORT is in use by a process this script did not start"
  fi
  : >"$LOG"
  setsid "$VENV/bin/python" "$HERE/serve.py" "$PORT" </dev/null >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if curl -fsS --max-time 1 -o /dev/null -u sk_test_local: "http://127.0.0.1:$PORT/v1/balance" 2>/dev/null; then
      note "localstripe: ready on 127.0.0.1:$PORT (log: $LOG)"
      return 0
    fi
    running_pid >/dev/null || { tail -n 20 "$LOG" >&2; die "localstripe: exited during start-up"; }
    sleep 0.1
  done
  die "localstripe: not answering after 10 s (log: $LOG)"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    note "localstripe: stopped"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 install|start|stop" ;;
esac
