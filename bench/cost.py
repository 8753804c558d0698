"""Cost per 1,000 orders on AWS, from the per-order counts bench/stack.py
measured on the local stack (nothing here is typed in by hand except prices).

  python3 bench/cost.py stack.json [--architecture arm64] [--json cost.json]

Prices: public on-demand list prices, us-east-1, as published on the AWS
pricing pages in 2025 (DynamoDB after its November 2024 on-demand cut).
No free tier is applied. Re-check them before relying on the result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REGION, PRICES_AS_OF = "us-east-1", "2025"
PRICE = {
    "sfn_transition": 0.025 / 1_000,  # Standard workflows, per state transition
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_s": {"arm64": 0.0000133334, "x86_64": 0.0000166667},
    "dynamodb_write_unit": 0.625 / 1_000_000,  # on-demand write request unit
    "dynamodb_read_unit": 0.125 / 1_000_000,  # on-demand read request unit
    "eventbridge_event": 1.00 / 1_000_000,  # custom events (64 KB chunks)
    "sqs_request": 0.40 / 1_000_000,  # standard queue
    "api_gateway_request": 3.50 / 1_000_000,  # REST API, first 333 M
    "logs_gb_ingested": 0.50,  # CloudWatch Logs, standard class
    "ses_email": 0.10 / 1_000,
    "cloudfront_https_request": 0.0100 / 10_000,
}
# The live order stream (functions/order-stream): OrderStreamFunction's
# MemorySize in infra/template.yaml, and StreamTimes::default's one
# consistent GetItem a second (an order item is under 4 KB: one read unit;
# the function is busy the whole time a page watches).
STREAM_MEMORY_GB = 128 / 1024
STREAM_READS_PER_SECOND = 1
STREAM_CAP_SECONDS = 60
# What the storefront did before, and does when the stream is unavailable:
# a GET of the order a second, through API Gateway to the orders function
# (its measured warm duration is a few ms; 10 ms at 256 MB is generous).
POLL_FUNCTION_GB_S = 0.010 * 256 / 1024
# Our TransactWriteItems write 2-3 items for a one-line order and a
# transactional write costs 2 units per item; the request log does not show
# item counts, so count 3 items (the larger case).
TRANSACT_ITEMS = 3
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
# Every lifecycle event goes to the notification queue: EventBridge's send,
# the poller's receive and the delete are three requests per message at most.
SQS_REQUESTS_PER_MESSAGE = 3


def per_order_lines(counts: dict, architecture: str) -> list[tuple[str, str, float]]:
    """(item, how it was counted, dollars per order)"""
    sdk = counts["sdk_calls_per_order"]
    integrations = counts["integrations_per_order"]
    functions = counts["functions"]

    def sdk_ops(service: str, ops: set[str]) -> float:
        return sum(v for k, v in sdk.items() if k.split(".")[0] == service and k.split(".")[1] in ops)

    def integration(service: str, action: str) -> float:
        return sum(v for k, v in integrations.items() if k == f"{service}.{action}")

    invocations = sum(f["invocations_per_order"] for f in functions.values())
    gb_s = sum(f["gb_s_per_order"] for f in functions.values())
    reads = sdk_ops("dynamodb", READS) + integration("dynamodb", "getItem")
    writes = (
        sdk_ops("dynamodb", WRITES)
        + 2 * TRANSACT_ITEMS * sdk_ops("dynamodb", {"TransactWriteItems"})
        + integration("dynamodb", "updateItem")
        + integration("dynamodb", "putItem")
    )
    events = sdk_ops("events", {"PutEvents"}) + integration("events", "putEvents")
    log_gb = sum(f["log_bytes_per_order"] for f in functions.values()) / 1e9
    emails = sdk_ops("ses", {"SendEmail", "SendRawEmail"})
    return [
        ("Step Functions transitions", f"{counts['transitions_per_order']:.1f}", counts["transitions_per_order"] * PRICE["sfn_transition"]),
        ("Lambda requests", f"{invocations:.2f}", invocations * PRICE["lambda_request"]),
        (f"Lambda GB-s ({architecture})", f"{gb_s:.4f}", gb_s * PRICE["lambda_gb_s"][architecture]),
        ("DynamoDB writes (units)", f"{writes:.1f}", writes * PRICE["dynamodb_write_unit"]),
        ("DynamoDB reads (units)", f"{reads:.1f}", reads * PRICE["dynamodb_read_unit"]),
        ("EventBridge events", f"{events:.1f}", events * PRICE["eventbridge_event"]),
        ("SQS requests", f"{events * SQS_REQUESTS_PER_MESSAGE:.1f}", events * SQS_REQUESTS_PER_MESSAGE * PRICE["sqs_request"]),
        ("API Gateway requests", f"{counts['api_requests_per_order']}", counts["api_requests_per_order"] * PRICE["api_gateway_request"]),
        ("CloudWatch Logs (GB)", f"{log_gb * 1e6:.1f} KB", log_gb * PRICE["logs_gb_ingested"]),
        ("SES emails (not in the target)", f"{emails:.1f}", emails * PRICE["ses_email"]),
    ]


def watch_per_minute(architecture: str) -> dict[str, float]:
    """Dollars per minute a shopper watches an order page: the stream, and
    the one-a-second polling it replaces."""
    stream = (
        60 * STREAM_MEMORY_GB * PRICE["lambda_gb_s"][architecture]
        + (60 / STREAM_CAP_SECONDS) * (PRICE["lambda_request"] + PRICE["cloudfront_https_request"])
        + 60 * STREAM_READS_PER_SECOND * PRICE["dynamodb_read_unit"]
    )
    polling = 60 * (
        PRICE["api_gateway_request"] + PRICE["cloudfront_https_request"] + PRICE["lambda_request"]
        + POLL_FUNCTION_GB_S * PRICE["lambda_gb_s"][architecture] + PRICE["dynamodb_read_unit"]
    )
    return {"stream": stream, "polling": polling}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack_json", type=Path)
    parser.add_argument("--architecture", choices=sorted(PRICE["lambda_gb_s"]), default="arm64")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--watch-minutes", type=float, default=1.0,
                        help="minutes a shopper watches each order's page live (default 1)")
    args = parser.parse_args()
    counts = json.loads(args.stack_json.read_text())["counts"]
    lines = per_order_lines(counts, args.architecture)
    without_email = sum(cost for item, _, cost in lines if not item.startswith("SES"))
    total = sum(cost for _, _, cost in lines)
    print(f"cost per 1,000 orders, {REGION} list prices ({PRICES_AS_OF}), from {counts['orders']} measured orders")
    print(f"{'item':<34} {'per order':>12} {'$ / 1,000 orders':>17}")
    for item, quantity, cost in lines:
        print(f"{item:<34} {quantity:>12} {cost * 1000:>17.4f}")
    print(f"{'total without email':<34} {'':>12} {without_email * 1000:>17.4f}")
    print(f"{'total with email':<34} {'':>12} {total * 1000:>17.4f}")
    watch = watch_per_minute(args.architecture)
    print(f"watching an order live, per minute: "
          f"stream ${watch['stream']:.7f}, polling ${watch['polling']:.7f}; "
          f"{args.watch_minutes:g} min per order adds ${watch['stream'] * args.watch_minutes * 1000:.4f} per 1,000 orders")
    if args.json:
        args.json.write_text(json.dumps({
            "region": REGION, "prices_as_of": PRICES_AS_OF, "architecture": args.architecture,
            "lines": [{"item": i, "per_order": q, "usd_per_1000": c * 1000} for i, q, c in lines],
            "usd_per_1000_without_email": without_email * 1000, "usd_per_1000_with_email": total * 1000,
            "watch": {"minutes_per_order": args.watch_minutes, "usd_per_minute": watch,
                      "usd_per_1000_orders": watch["stream"] * args.watch_minutes * 1000},
        }, indent=1))


if __name__ == "__main__":
    main()
