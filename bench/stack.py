"""Benchmarks against the stack scripts/up.sh deployed into LocalStack.

Prints figures and writes them as JSON (--json); never passes or fails on time.

  pipeline   order placed -> terminal status, one order at a time (p50/p95)
  floor      the same state machine with every Task replaced by a Pass that
             returns what the real task returned (recorded from a real
             execution), run on the same stack: LocalStack's own share
  throughput orders placed by N concurrent clients, placed -> all terminal
  catalog    GET /api/products requests per second with N concurrent clients
  warm       client-side latency of API calls through API Gateway, and each
             function's own Duration from its REPORT lines (warm calls)
  counts     per order: state transitions, Lambda invocations and billed
             GB-seconds per function, DynamoDB and other AWS calls (from
             LocalStack's request log and the execution history), log bytes:
             the input of bench/cost.py

Run with the LocalStack venv's python (boto3): scripts/bench.sh does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import re
import statistics
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import boto3

from package_size import bootstrap_zip  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".cache" / "localstack"
STACK_NAME = os.environ.get("STACK_NAME", "serverless-store")
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
ADMIN = {"email": "admin@store.test", "password": "admin-password-for-tests", "name": "Admin"}
SHIPPING = {"address": "1 Bench Street", "city": "Springfield", "state": "CA", "zip": "94102"}


def quantile(samples: list[float], q: float) -> float:
    """Nearest rank, like bench::quantile in Rust."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50": quantile(samples, 0.5),
        "p95": quantile(samples, 0.95),
        "p99": quantile(samples, 0.99),
        "mean": statistics.fmean(samples),
        "max": max(samples),
    }


class Api:
    """Keep-alive HTTP to the REST API (one connection per thread)."""

    def __init__(self, base_url: str):
        url = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.prefix = url.hostname, url.port or 80, url.path.rstrip("/")
        self.local = threading.local()

    def call(self, method: str, path: str, body=None, token: str | None = None, headers=None):
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):  # one retry when a kept-alive connection was closed
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                conn.request(method, self.prefix + path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, (json.loads(data) if data else None)
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


class Stack:
    def __init__(self):
        self.outputs = json.loads((OUT / "stack-outputs.json").read_text())
        self.api = Api((OUT / "api-url").read_text().strip())
        session = boto3.session.Session(region_name="us-east-1")
        self.sfn = session.client("stepfunctions")
        self.logs = session.client("logs")
        self.sqs = session.client("sqs")
        self.lambdas = session.client("lambda")
        self.dynamodb = session.client("dynamodb")
        self.machine = self.outputs["StateMachineArn"]

    def wait_notifications_sent(self, timeout_s: float = 90) -> None:
        """Until the notification queue is empty (its event source mapping
        polls slowly after idle, so this can take seconds)."""
        url = self.outputs["NotificationQueueUrl"]
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        deadline, empty_since = time.time() + timeout_s, None
        while time.time() < deadline:
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            if all(attributes[n] == "0" for n in names):
                empty_since = empty_since or time.time()
                if time.time() - empty_since >= 1.0:  # empty, and no late event arrived
                    return
            else:
                empty_since = None
            time.sleep(0.2)
        raise TimeoutError("notification queue not drained")

    def execution_arn(self, order_id: str, machine: str | None = None) -> str:
        return (machine or self.machine).replace(":stateMachine:", ":execution:") + ":" + order_id

    def customer(self) -> str:
        email = f"bench-{uuid.uuid4().hex[:12]}@store.test"
        body = {"email": email, "password": "bench-password-1", "name": "Bench"}
        status, json_body = self.api.call("POST", "/api/auth/register", body)
        assert status == 201, (status, json_body)
        return json_body["token"]

    def admin(self) -> str:
        status, body = self.api.call("POST", "/api/auth/register", ADMIN)
        if status == 201:
            return body["token"]
        status, body = self.api.call("POST", "/api/auth/login", {k: ADMIN[k] for k in ("email", "password")})
        assert status == 200, (status, body)
        return body["token"]

    def product(self, stock: int) -> str:
        product_id = f"bench-{uuid.uuid4().hex[:12]}"
        body = {"id": product_id, "name": f"Bench item {product_id}", "price": 9.99, "category": "Bench", "stock": stock}
        status, json_body = self.api.call("POST", "/api/products", body, self.admin())
        assert status == 201, (status, json_body)
        return product_id

    def place(self, token: str, product_id: str) -> tuple[str, float]:
        """Places an order; returns its id and the wall-clock time it was sent."""
        order = {"items": [{"productId": product_id, "quantity": 1}], "shipping": SHIPPING, "paymentToken": "tok_visa"}
        sent = time.time()
        status, body = self.api.call("POST", "/api/orders", order, token, {"Idempotency-Key": str(uuid.uuid4())})
        assert status == 201, (status, body)
        return body["id"], sent

    def wait_terminal(self, execution_arn: str, timeout_s: float = 120) -> dict:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                description = self.sfn.describe_execution(executionArn=execution_arn)
            except self.sfn.exceptions.ExecutionDoesNotExist:
                description = {"status": "PENDING"}
            if description["status"] in TERMINAL:
                return description
            time.sleep(0.01)
        raise TimeoutError(execution_arn)


def pipeline(stack: Stack, orders: int) -> tuple[dict, list[str]]:
    token, product = stack.customer(), stack.product(stock=orders + 10)
    latencies, order_ids, statuses = [], [], Counter()
    for _ in range(orders):
        order_id, sent = stack.place(token, product)
        done = stack.wait_terminal(stack.execution_arn(order_id))
        latencies.append((done["stopDate"].timestamp() - sent) * 1000)
        statuses[done["status"]] += 1
        order_ids.append(order_id)
    status, body = stack.api.call("GET", f"/api/orders/{order_ids[-1]}", token=token)
    final = body["state"]  # the seed API's order shape: {id, data, state}
    assert status == 200 and final == "delivered", (status, body)
    return {"orders": orders, "executions": dict(statuses), "last_order_status": final,
            "placed_to_terminal_ms": summary(latencies)}, order_ids


def noop_definition(stack: Stack, order_id: str, echo_function: str | None) -> str:
    """The real definition with every Task made a no-op that outputs what
    that Task's state output was in a real (happy) execution: a Pass state
    (echo_function None: the engine alone), or a Lambda task calling an echo
    function (the engine plus a task round trip on this stack)."""
    definition = json.loads(stack.sfn.describe_state_machine(stateMachineArn=stack.machine)["definition"])
    outputs = {}
    history = stack.sfn.get_execution_history(executionArn=stack.execution_arn(order_id), maxResults=1000)
    for event in history["events"]:
        exited = event.get("stateExitedEventDetails")
        if exited:
            outputs[exited["name"]] = json.loads(exited["output"])
    for name, state in definition["States"].items():
        if state["Type"] != "Task":
            continue
        recorded = outputs.get(name, {})
        if echo_function:
            noop = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": echo_function, "Payload": recorded}, "OutputPath": "$.Payload"}
        else:
            noop = {"Type": "Pass", "Result": recorded, "ResultPath": "$"}
        noop.update({k: state[k] for k in ("Next", "End") if k in state})
        definition["States"][name] = noop
    return json.dumps(definition)


def echo_function(stack: Stack, binary: Path) -> str:
    """Deploys the floor binary (returns its event) as a Lambda function."""
    name = f"bench-echo-{uuid.uuid4().hex[:8]}"
    arn = stack.lambdas.create_function(
        FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", MemorySize=128,
        Role="arn:aws:iam::000000000000:role/bench", Code={"ZipFile": bootstrap_zip(binary.read_bytes())},
    )["FunctionArn"]
    stack.lambdas.get_waiter("function_active_v2").wait(FunctionName=name)
    stack.lambdas.invoke(FunctionName=name, Payload=b"{}")  # warm, like the real functions
    return arn


def run_floor(stack: Stack, definition: str, runs: int) -> dict:
    machine = stack.sfn.create_state_machine(
        name=f"bench-noop-{uuid.uuid4().hex[:8]}", definition=definition,
        roleArn="arn:aws:iam::000000000000:role/bench", type="STANDARD",
    )["stateMachineArn"]
    try:
        latencies = []
        for i in range(runs):
            sent = time.time()
            arn = stack.sfn.start_execution(stateMachineArn=machine, name=f"run-{i}", input=json.dumps({"orderId": f"noop-{i}"}))["executionArn"]
            done = stack.wait_terminal(arn)
            assert done["status"] == "SUCCEEDED", done
            latencies.append((done["stopDate"].timestamp() - sent) * 1000)
        return {"runs": runs, "start_to_terminal_ms": summary(latencies)}
    finally:
        stack.sfn.delete_state_machine(stateMachineArn=machine)


def floor(stack: Stack, order_id: str, runs: int, floor_binary: Path) -> dict:
    echo = echo_function(stack, floor_binary)
    try:
        return {
            "pass_states": run_floor(stack, noop_definition(stack, order_id, None), runs),
            "noop_tasks": run_floor(stack, noop_definition(stack, order_id, echo), runs),
        }
    finally:
        stack.lambdas.delete_function(FunctionName=echo)


class LocalStackProbe:
    """Times one trivial call to LocalStack (a DynamoDB GetItem of a missing
    key) every 0.5 s in the background: how responsive the emulator itself
    is under the load, which every AWS call of every function pays."""

    def __init__(self, stack: Stack):
        self.stack, self.samples, self.done = stack, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done.wait(0.5):
            t0 = time.perf_counter()
            self.stack.dynamodb.get_item(TableName=self.stack.outputs["OrdersTableName"], Key={"id": {"S": "probe"}})
            self.samples.append((time.perf_counter() - t0) * 1000)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def throughput(stack: Stack, clients: int, per_client: int) -> dict:
    product = stack.product(stock=clients * per_client + 10)
    tokens = [stack.customer() for _ in range(clients)]
    placed: list[tuple[str, float]] = []
    post_ms: list[float] = []
    errors = Counter()
    lock = threading.Lock()

    def client(token: str):
        for _ in range(per_client):
            t0 = time.perf_counter()
            try:
                order = stack.place(token, product)
            except AssertionError as refused:  # counted and reported, not fatal
                with lock:
                    errors[str(refused.args[0][0])] += 1
                continue
            finally:
                with lock:
                    post_ms.append((time.perf_counter() - t0) * 1000)
            with lock:
                placed.append(order)

    with LocalStackProbe(stack) as probe:
        started = time.time()
        threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        all_placed = time.time()
        stops, statuses = [], Counter()
        for order_id, _ in placed:
            done = stack.wait_terminal(stack.execution_arn(order_id), timeout_s=600)
            stops.append(done["stopDate"].timestamp())
            statuses[done["status"]] += 1
        finished = max(stops)
    return {
        "clients": clients, "orders": len(placed), "executions": dict(statuses), "refused": dict(errors),
        "post_orders_ms": summary(post_ms), "localstack_getitem_ms": summary(probe.samples),
        "placed_per_s": len(placed) / (all_placed - started),
        "completed_per_s": len(placed) / (finished - started),
        "wall_s": finished - started,
    }


def catalog_rps(stack: Stack, clients: int, seconds: float) -> dict:
    stop = time.time() + seconds
    latencies: list[float] = []
    errors = Counter()
    lock = threading.Lock()

    def client():
        mine = []
        while time.time() < stop:
            t0 = time.perf_counter()
            status, _ = stack.api.call("GET", "/api/products")
            mine.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                errors[status] += 1
        with lock:
            latencies.extend(mine)

    started = time.time()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"clients": clients, "requests": len(latencies), "errors": dict(errors),
            "rps": len(latencies) / (time.time() - started), "latency_ms": summary(latencies)}


def warm_api(stack: Stack, calls: int) -> dict:
    token = stack.customer()
    product = stack.product(stock=10)
    email = f"bench-login-{uuid.uuid4().hex[:8]}@store.test"
    stack.api.call("POST", "/api/auth/register", {"email": email, "password": "bench-password-1", "name": "B"})
    requests = {
        "catalog GET /api/products": ("GET", "/api/products", None, None, calls),
        "catalog GET /api/products/{id}": ("GET", f"/api/products/{product}", None, None, calls),
        "auth GET /api/auth/profile": ("GET", "/api/auth/profile", None, token, calls),
        "auth POST /api/auth/login (argon2id)": ("POST", "/api/auth/login", {"email": email, "password": "bench-password-1"}, None, max(10, calls // 5)),
        "orders GET /api/orders": ("GET", "/api/orders", None, token, calls),
    }
    results = {}
    for label, (method, path, body, auth, n) in requests.items():
        stack.api.call(method, path, body, auth)  # warm
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            status, response = stack.api.call(method, path, body, auth)
            samples.append((time.perf_counter() - t0) * 1000)
            assert status == 200, (label, status, response)
        results[label] = summary(samples)
    return results


REPORT = re.compile(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: ([\d.]+) ms)?")


def function_reports(stack: Stack, since_ms: int, until_ms: int) -> dict:
    """Per function: REPORT lines and log bytes written in [since, until]."""
    functions = {}
    for page in stack.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/"):
        for group in page["logGroups"]:
            name = group["logGroupName"].rsplit("/", 1)[-1]
            reports, log_bytes = [], 0
            kwargs = {"logGroupName": group["logGroupName"], "startTime": since_ms, "endTime": until_ms}
            while True:
                page_events = stack.logs.filter_log_events(**kwargs)
                for event in page_events["events"]:
                    log_bytes += len(event["message"].encode()) + 26  # AWS bills 26 bytes of metadata per event
                    match = REPORT.search(event["message"])
                    if match:
                        duration, billed, memory, used, init = match.groups()
                        reports.append({"duration": float(duration), "billed": int(billed), "memory": int(memory),
                                        "used": int(used), "init": float(init) if init else None})
                token = page_events.get("nextToken")
                if not token:
                    break
                kwargs["nextToken"] = token
            if reports or log_bytes:
                functions[short_name(name)] = {"reports": reports, "log_bytes": log_bytes}
    return functions


def short_name(function_name: str) -> str:
    """serverless-store-charge-payment -> charge-payment (the template names
    functions <stack>-<crate>)."""
    return function_name.removeprefix(STACK_NAME + "-")


LOG_LINE = re.compile(r"^(\S+)\s+INFO .*localstack\.request\.aws\s+: AWS (\w+)\.(\w+) =>")


def aws_calls(since: float, until: float) -> Counter:
    """External AWS calls (the functions' own SDK calls) in LocalStack's request log."""
    calls = Counter()
    for line in (OUT / "localstack.log").read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        stamp = dt.datetime.fromisoformat(match.group(1)).replace(tzinfo=dt.timezone.utc).timestamp()
        if since <= stamp <= until:
            calls[f"{match.group(2)}.{match.group(3)}"] += 1
    return calls


def history_counts(stack: Stack, order_ids: list[str]) -> dict:
    """Per execution: state transitions and the service integrations it called."""
    transitions, integrations = [], Counter()
    for order_id in order_ids:
        events = stack.sfn.get_execution_history(executionArn=stack.execution_arn(order_id), maxResults=1000)["events"]
        transitions.append(sum(1 for e in events if e["type"].endswith("StateEntered")))
        for event in events:
            scheduled = event.get("taskScheduledEventDetails")
            if scheduled:
                integrations[f"{scheduled['resourceType']}.{scheduled['resource']}"] += 1
    n = len(order_ids)
    return {"transitions_per_order": statistics.fmean(transitions),
            "integrations_per_order": {k: v / n for k, v in sorted(integrations.items())}}


def counts(stack: Stack, reports: dict, order_ids: list[str], since: float, until: float,
           api_calls_per_order: int) -> dict:
    n = len(order_ids)
    per_function = {}
    for name, data in sorted(reports.items()):
        rows = data["reports"]
        per_function[name] = {
            "invocations_per_order": len(rows) / n,
            "billed_ms_per_order": sum(r["billed"] for r in rows) / n,
            "memory_mb": rows[0]["memory"] if rows else 0,
            "gb_s_per_order": sum(r["billed"] * r["memory"] for r in rows) / 1024 / 1000 / n,
            "log_bytes_per_order": data["log_bytes"] / n,
            "max_memory_used_mb": max((r["used"] for r in rows), default=0),
        }
    calls = aws_calls(since, until)
    return {
        "orders": n,
        "api_requests_per_order": api_calls_per_order,
        "functions": per_function,
        "sdk_calls_per_order": {k: v / n for k, v in sorted(calls.items())},
        **history_counts(stack, order_ids),
    }


def warm_durations(reports: dict) -> dict:
    """Each function's own handler time (REPORT Duration, warm calls only)."""
    out = {}
    for name, data in sorted(reports.items()):
        warm = [r["duration"] for r in data["reports"] if r["init"] is None]
        cold = [r["init"] for r in data["reports"] if r["init"] is not None]
        if warm:
            out[name] = {"warm_duration_ms": summary(warm), "init_ms": summary(cold) if cold else None}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--catalog-seconds", type=float, default=15)
    parser.add_argument("--warm-calls", type=int, default=200)
    parser.add_argument("--floor-runs", type=int, default=20)
    parser.add_argument("--floor-binary", type=Path, default=ROOT / "target" / "release" / "floor")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    stack = Stack()
    results = {}

    # One order first: every function of the pipeline is warm, like a shop
    # with traffic (cold starts are measured on their own).
    warm_order, _ = stack.place(stack.customer(), stack.product(stock=5))
    stack.wait_terminal(stack.execution_arn(warm_order))
    stack.wait_notifications_sent()
    print(f"pipeline: {args.orders} orders, one at a time", flush=True)
    since = time.time()
    results["pipeline"], order_ids = pipeline(stack, args.orders)
    stack.wait_notifications_sent()  # the notify calls these orders caused belong to the window
    until = time.time()
    # Counts come from this window: one order at a time, nothing else running.
    # Per order the client made 1 POST /api/orders (the final GET is one per run).
    reports = function_reports(stack, int(since * 1000), int(until * 1000) + 2000)
    results["counts"] = counts(stack, reports, order_ids, since, until, api_calls_per_order=1)
    results["stack_durations"] = warm_durations(reports)

    print("floor: the same state machine with no-op tasks", flush=True)
    results["floor"] = floor(stack, order_ids[-1], args.floor_runs, args.floor_binary)
    p50 = results["pipeline"]["placed_to_terminal_ms"]["p50"]
    floor_p50 = results["floor"]["noop_tasks"]["start_to_terminal_ms"]["p50"]
    results["own_share"] = {"total_p50_ms": p50, "floor_p50_ms": floor_p50, "ours_p50_ms": p50 - floor_p50,
                            "ours_fraction": (p50 - floor_p50) / p50}

    print(f"warm API latency: {args.warm_calls} calls each", flush=True)
    results["warm_api"] = warm_api(stack, args.warm_calls)

    print(f"throughput: {args.clients} clients x {args.per_client} orders", flush=True)
    results["throughput"] = throughput(stack, args.clients, args.per_client)

    print(f"catalog: {args.clients} clients for {args.catalog_seconds} s", flush=True)
    results["catalog"] = catalog_rps(stack, args.clients, args.catalog_seconds)

    print(json.dumps(results, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
