#!/usr/bin/env bash
# Every benchmark figure of BENCHMARKS.md, in one command. Prints figures; never
# passes or fails on time. Results: target/bench/*.json, and the "Results"
# section of BENCHMARKS.md is rewritten from them.
#
#   scripts/bench.sh                 # all (about 40 min from cold on 2 cores)
#   BENCH_SKIP_ARM64=1 scripts/bench.sh
#   BENCH_SKIP_STACK=1 scripts/bench.sh
#
#   1. release build, host (x86_64): functions, the floor, the bench binaries
#   2. package size: zipped bootstrap per function, x86_64 and arm64
#      (arm64 through cargo-lambda and zig; its Rust target is added by rustup)
#   3. cold start: target/release/cold_start against its Runtime API stub
#   4. warm handler latency in-process: target/release/warm
#   5. the local stack with release binaries (STORE_PROFILE=release up.sh):
#      pipeline p50/p95, its no-op floor, throughput, catalog RPS, warm API
#      latency, per-order counts (bench/stack.py); cost per 1,000 orders
#      (bench/cost.py)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
step() { printf '\n==> %s\n' "$*"; }

# The function crates, and every function binary (orders also builds order-sweeper).
packages=(auth catalog orders reserve-inventory release-inventory charge-payment refund-payment
  create-shipment await-delivery shipping-webhook payment-webhook notify order-stream)
functions=("${packages[@]}" order-sweeper)

step "machine"
python3 - "$out/machine.json" <<'PY'
import json, os, platform, subprocess, sys, datetime
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
        "cores": os.cpu_count(), "memory_gib": round(mem / 1024 / 1024), "kernel": platform.release(), "rustc": rustc}
json.dump(info, open(sys.argv[1], "w"), indent=1)
print(info)
PY

step "release build (host)"
# The functions as deployed (without shared's `testing` feature), then the
# bench binaries, which run the handlers on the in-memory adapters.
cargo build --release --workspace --exclude bench --locked
cargo build --release -p bench --locked

step "package size"
python3 bench/package_size.py x86_64 'target/release/{}' "${functions[@]}" >"$out/size-x86_64.json"
if [[ ${BENCH_SKIP_ARM64:-0} != 1 ]]; then
  scripts/install-cargo-lambda.sh
  rustup target add aarch64-unknown-linux-gnu
  # Only the function crates: what SAM builds.
  # The venv first on PATH: cargo-lambda finds zig as its python's ziglang.
  PATH="$PWD/.cache/venv-tools/bin:$PATH" cargo-lambda lambda build --release --arm64 --locked \
    $(printf -- '-p %s ' "${packages[@]}")
  python3 bench/package_size.py arm64 'target/lambda/{}/bootstrap' "${functions[@]}" >"$out/size-arm64.json"
fi

step "cold start (Runtime API stub, 25 runs per function)"
target/release/cold_start --bin-dir target/release --events bench/events --runs "${BENCH_COLD_RUNS:-25}" \
  --json "$out/cold-start.json"

step "warm handler latency, in-process (in-memory adapters)"
# stdout carries the handlers' own metric lines; the table is on stderr.
target/release/warm --json "$out/warm.json" >/dev/null

if [[ ${BENCH_SKIP_STACK:-0} != 1 ]]; then
  step "the local stack, release binaries"
  # shellcheck source=../localstack/lib.sh
  . localstack/lib.sh
  ls_stop_on_exit_unless_running
  STORE_PROFILE=release scripts/up.sh
  # shellcheck source=../localstack/env.sh
  . localstack/env.sh
  .cache/localstack/venv/bin/python bench/stack.py --json "$out/stack.json"
  python3 bench/cost.py "$out/stack.json" --json "$out/cost.json"
fi

step "BENCHMARKS.md"
python3 bench/report.py "$out" BENCHMARKS.md
