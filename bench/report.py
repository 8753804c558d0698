"""Rewrites the generated part of BENCHMARKS.md from scripts/bench.sh's JSON.

  python3 bench/report.py target/bench BENCHMARKS.md

Everything between the results markers is replaced; the rest of the file
(what was optimised, before/after) is written by hand.
"""

import json
import sys
from pathlib import Path

BEGIN, END = "<!-- results:begin (bench/report.py writes this part) -->", "<!-- results:end -->"
FOUR_MB = 4_000_000  # decimal MB: the stricter reading of "4 MB"


def load(directory: Path, name: str):
    path = directory / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def mb(n: int) -> str:
    return f"{n / 1e6:.2f}"


def render(d: Path) -> str:
    machine = load(d, "machine")
    parts = [f"Measured {machine['date']} on {machine['cpu']}, {machine['cores']} cores, "
             f"{machine['memory_gib']} GiB, Linux {machine['kernel']}, {machine['rustc']}; "
             "a shared, noisy machine: compare medians and ratios, not single runs.\n"]
    targets = []

    cold = load(d, "cold-start")
    if cold:
        floor = next(r for r in cold if r["function"] == "floor")
        rows = [[r["function"], f"{r['median_ms']:.2f}", f"{r['p95_ms']:.2f}", f"{r['ratio_to_floor']:.2f}×",
                 f"{r['peak_rss_mb']:.1f}", r["first_result"]] for r in cold]
        parts.append(f"### Cold start (process start → first event handled, {floor['runs']} runs each)\n\n"
                     + table(["function", "median ms", "p95 ms", "× floor", "peak RSS MB", "first event ended in"], rows))
        worst = max((r for r in cold if r["function"] != "floor"), key=lambda r: r["ratio_to_floor"])
        targets.append(["cold start ≤ 1.3× the floor", f"worst {worst['function']} {worst['ratio_to_floor']:.2f}×",
                        "met" if worst["ratio_to_floor"] <= 1.3 else "missed"])

    warm = load(d, "warm")
    if warm:
        rows = [[r["function"], r["operation"], r["iterations"], f"{r['median_us']:.1f}", f"{r['p99_us']:.1f}"] for r in warm]
        parts.append("### Warm handler latency, in-process (in-memory adapters)\n\n"
                     + table(["function", "operation", "calls", "median µs", "p99 µs"], rows))

    sizes = {}
    for arch in ("x86_64", "arm64"):
        for r in load(d, f"size-{arch}") or []:
            sizes.setdefault(r["function"], {})[arch] = r
    if sizes:
        rows = []
        for name, by_arch in sizes.items():
            cells = [name]
            for arch in ("x86_64", "arm64"):
                r = by_arch.get(arch)
                cells.append(f"{mb(r['zipped_bytes'])} ({mb(r['binary_bytes'])})" if r else "not built")
            rows.append(cells)
        parts.append("### Package size: zipped `bootstrap` in MB (10⁶ bytes; unzipped in brackets)\n\n" + table(["function", "x86_64", "arm64"], rows))
        largest = max((r for a in sizes.values() for r in a.values()), key=lambda r: r["zipped_bytes"])
        targets.append(["each zipped package < 4 MB", f"largest {largest['function']} {largest['arch']} {mb(largest['zipped_bytes'])} MB",
                        "met" if largest["zipped_bytes"] < FOUR_MB else "missed"])

    stack = load(d, "stack")
    if stack:
        p, f, share = stack["pipeline"], stack["floor"], stack["own_share"]
        t, c = stack["throughput"], stack["catalog"]
        noop, passes = f["noop_tasks"], f["pass_states"]
        rows = [
            ["order placed → terminal (real pipeline)", p["orders"], f"{p['placed_to_terminal_ms']['p50']:.0f}", f"{p['placed_to_terminal_ms']['p95']:.0f}"],
            ["same state machine, every Task a no-op Lambda (start → terminal)", noop["runs"], f"{noop['start_to_terminal_ms']['p50']:.0f}", f"{noop['start_to_terminal_ms']['p95']:.0f}"],
            ["same state machine, every Task a Pass state (the engine alone)", passes["runs"], f"{passes['start_to_terminal_ms']['p50']:.0f}", f"{passes['start_to_terminal_ms']['p95']:.0f}"],
        ]
        parts.append("### Pipeline on the local stack (release binaries)\n\n"
                     + table(["what", "runs", "p50 ms", "p95 ms"], rows)
                     + f"\n\nOur share of the p50: {share['ours_p50_ms']:.0f} ms of {share['total_p50_ms']:.0f} ms "
                       f"({share['ours_fraction'] * 100:.0f}%); the rest is LocalStack running the same states with no-op tasks. "
                       f"Outcomes: {p['executions']}.\n\n"
                     + table(["load", "clients", "result"], [
                         ["orders placed → all terminal", t["clients"], f"{t['orders']} orders, {t['completed_per_s']:.1f} orders/s completed, "
                          f"{t['placed_per_s']:.1f} orders/s accepted by the API ({t['executions']}; refused by status: {t.get('refused') or 'none'})"
                          + (f"; POST /api/orders p50 {t['post_orders_ms']['p50']:.0f} ms, p95 {t['post_orders_ms']['p95']:.0f} ms; "
                             f"meanwhile one DynamoDB GetItem to LocalStack took p50 {t['localstack_getitem_ms']['p50']:.0f} ms, "
                             f"p95 {t['localstack_getitem_ms']['p95']:.0f} ms, max {t['localstack_getitem_ms']['max']:.0f} ms"
                             if "post_orders_ms" in t else "")],
                         ["GET /api/products", c["clients"], f"{c['rps']:.0f} requests/s, p50 {c['latency_ms']['p50']:.0f} ms, "
                          f"p99 {c['latency_ms']['p99']:.0f} ms, errors {c['errors'] or 'none'}"],
                     ]))
        targets.append(["placed → delivered p50 < 1 s (local stack)", f"{p['placed_to_terminal_ms']['p50']:.0f} ms",
                        "met" if p["placed_to_terminal_ms"]["p50"] < 1000 else "missed"])
        targets.append(["our share of it < 20%", f"{share['ours_fraction'] * 100:.0f}%",
                        "met" if share["ours_fraction"] < 0.2 else "missed"])
        rows = [[label, s["n"], f"{s['p50']:.1f}", f"{s['p99']:.1f}"] for label, s in stack["warm_api"].items()]
        parts.append("### Warm latency through the local stack\n\nClient side, through API Gateway (LocalStack) to the function and back:\n\n"
                     + table(["request", "calls", "p50 ms", "p99 ms"], rows)
                     + "\n\nEach function's own `Duration` (REPORT lines, warm calls during the pipeline run):\n\n"
                     + table(["function", "calls", "p50 ms", "p99 ms"], [
                         [name, s["warm_duration_ms"]["n"], f"{s['warm_duration_ms']['p50']:.1f}", f"{s['warm_duration_ms']['p99']:.1f}"]
                         for name, s in stack["stack_durations"].items()]))

    cost = load(d, "cost")
    if cost:
        rows = [[r["item"], r["per_order"], f"{r['usd_per_1000']:.4f}"] for r in cost["lines"]]
        rows.append(["**total without email**", "", f"**{cost['usd_per_1000_without_email']:.4f}**"])
        rows.append(["total with email", "", f"{cost['usd_per_1000_with_email']:.4f}"])
        parts.append(f"### Cost per 1,000 orders on AWS ({cost['region']} list prices, {cost['prices_as_of']}; Lambda on {cost['architecture']})\n\n"
                     "Per-order counts measured in the pipeline run above (`bench/cost.py` has the prices and the counting rules).\n\n"
                     + table(["item", "per order", "$ per 1,000 orders"], rows))
        targets.append(["< $0.30 per 1,000 orders", f"${cost['usd_per_1000_without_email']:.3f}",
                        "met" if cost["usd_per_1000_without_email"] < 0.30 else "missed"])
        transitions = next(r for r in cost["lines"] if r["item"].startswith("Step Functions"))
        others = cost["usd_per_1000_without_email"] - transitions["usd_per_1000"]
        per_transition = transitions["usd_per_1000"] / float(transitions["per_order"])
        budget = int((0.30 - others) / per_transition)
        parts[-1] += (f"\n\nState transitions are {transitions['usd_per_1000'] / cost['usd_per_1000_without_email'] * 100:.0f}% of it, "
                      f"${per_transition:.3f} per 1,000 orders each. With everything else as measured (${others:.3f}), "
                      f"$0.30 leaves room for {budget} transitions per order; the happy path takes {transitions['per_order']}.")

    parts.insert(1, "### Targets\n\n" + table(["target", "measured", ""], targets))
    return "\n\n".join(parts)


def main():
    directory, document = Path(sys.argv[1]), Path(sys.argv[2])
    text = document.read_text() if document.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    document.write_text(f"{head}{BEGIN}\n\n{render(directory)}\n\n{END}{tail}")
    print(f"{document}: results rewritten from {directory}")


if __name__ == "__main__":
    main()
