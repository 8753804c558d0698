"""Peak memory of every function on the stack scripts/up.sh deployed, after
a burst of argon2 work on the auth function.

Sends --rounds of (register, login, login with an unknown email) to auth,
then prints per function its invocations and the highest `Max Memory Used`
of its REPORT lines over the stack's whole life, and how often LocalStack's
executor killed an environment for exceeding its MemorySize. Run it after
the e2e and browser suites on the same stack to cover their traffic too
(BENCHMARKS.md, "Auth memory", gives the sequence). Prints figures only.

  .cache/localstack/venv/bin/python bench/auth_memory.py [--rounds 150]
"""

from __future__ import annotations

import argparse
import uuid
from collections import Counter

from stack import OUT, Stack, function_reports

KILLED = "exceeds MemorySize"


def burst(stack: Stack, rounds: int) -> Counter:
    statuses = Counter()
    for _ in range(rounds):
        email = f"memory-{uuid.uuid4().hex[:12]}@store.test"
        calls = [
            ("/api/auth/register", {"email": email, "password": "bench-password-1", "name": "M"}),
            ("/api/auth/login", {"email": email, "password": "bench-password-1"}),
            ("/api/auth/login", {"email": f"nobody-{email}", "password": "bench-password-1"}),
        ]
        for path, body in calls:
            status, _ = stack.api.call("POST", path, body)
            statuses[status] += 1
    return statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()
    stack = Stack()
    statuses = burst(stack, args.rounds)
    print(f"auth burst: {args.rounds} x (register, login, unknown login): HTTP {dict(sorted(statuses.items()))}")
    reports = function_reports(stack, 0, 2**62)
    print(f"{'function':20} {'invocations':>11} {'max memory used':>16}")
    for name, data in sorted(reports.items()):
        used = [r["used"] for r in data["reports"]]
        if used:
            print(f"{name:20} {len(used):11d} {max(used):13d} MB")
    log = OUT / "localstack.log"
    kills = [line for line in log.read_text(errors="replace").splitlines() if KILLED in line] if log.exists() else []
    print(f"environments killed for exceeding MemorySize: {len(kills)}")
    for line in kills:
        print("  " + line.split(" : ", 1)[-1])


if __name__ == "__main__":
    main()
