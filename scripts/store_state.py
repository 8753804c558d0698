"""The data of a deployed store on LocalStack: wipe it, or snapshot it and
check it. Run with the LocalStack venv's Python (boto3), with
localstack/env.sh sourced; the stack is named by its outputs file.

  store_state.py wipe OUTPUTS                stop running orders, empty the queues and all 7 tables
  store_state.py snapshot OUTPUTS FILE       the catalog (GET /api/products) and every table's item count
  store_state.py check OUTPUTS BEFORE SEED [--exact]
      fails unless the store is as BEFORE recorded it; with --exact, also
      unless the catalog is exactly the SEED products and no table other
      than products holds anything

The catalog is read through the API (what a visitor sees); counts come
straight from DynamoDB, which reading does not change.
"""

import json
import sys
import urllib.request

import boto3
from botocore.exceptions import ClientError

TABLES = ["Products", "Orders", "Users", "Idempotency", "Reservations", "Payments", "Shipments"]


def outputs(path):
    with open(path) as f:
        return json.load(f)


def tables(out):
    return {name: out[f"{name}TableName"] for name in TABLES}


def catalog(out):
    with urllib.request.urlopen(out["ApiUrl"].rstrip("/") + "/api/products", timeout=30) as r:
        return sorted(json.load(r), key=lambda p: p["id"])


def accounts(ddb, table):
    """Profiles in the users table (its other items are pointers, sessions, codes)."""
    n = 0
    pages = ddb.get_paginator("scan").paginate(
        TableName=table, Select="COUNT", FilterExpression="begins_with(pk, :user)",
        ExpressionAttributeValues={":user": {"S": "USER#"}})
    for page in pages:
        n += page["Count"]
    return n


def count(ddb, table):
    n = 0
    for page in ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        n += page["Count"]
    return n


def snapshot(out):
    ddb = boto3.client("dynamodb")
    return {
        "catalog": catalog(out),
        "items": {name: count(ddb, table) for name, table in tables(out).items()},
    }


def stop_executions(out):
    sfn = boto3.client("stepfunctions")
    stopped = 0
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=out["StateMachineArn"], statusFilter="RUNNING"
    ):
        for e in page["executions"]:
            try:
                sfn.stop_execution(executionArn=e["executionArn"], cause="store reset")
                stopped += 1
            except ClientError as err:
                # It may have finished between the listing and now.
                if err.response["Error"]["Code"] != "ExecutionDoesNotExist":
                    raise
    return stopped


def empty_queue(sqs, url):
    try:
        sqs.purge_queue(QueueUrl=url)
        return
    except ClientError as err:
        # One purge per queue per 60 s: take the visible messages instead.
        if err.response["Error"]["Code"] not in ("AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"):
            raise
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
        )


def empty_table(ddb, table):
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    names = {f"#k{i}": k for i, k in enumerate(keys)}
    deleted = 0
    for page in ddb.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
    ):
        items = page["Items"]
        for start in range(0, len(items), 25):
            requests = [{"DeleteRequest": {"Key": key}} for key in items[start : start + 25]]
            pending = {table: requests}
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
            deleted += len(requests)
    return deleted


def wipe(out):
    # Executions first: a running one would write its order back after the wipe.
    stopped = stop_executions(out)
    sqs = boto3.client("sqs")
    for key in ("NotificationQueueUrl", "NotificationDlqUrl"):
        empty_queue(sqs, out[key])
    ddb = boto3.client("dynamodb")
    deleted = {name: empty_table(ddb, table) for name, table in tables(out).items()}
    print(f"stopped {stopped} running orders; emptied the notification queue and its DLQ")
    print("deleted " + ", ".join(f"{n} {name.lower()}" for name, n in deleted.items()))


def seed_view(seed_path):
    """The seed products as GET /api/products shows them."""
    with open(seed_path) as f:
        seed = json.load(f)
    return sorted(
        (
            {
                "id": p["id"],
                "name": p["name"],
                "priceCents": p["priceCents"],
                "category": p["category"],
                "description": p["description"],
                "image": p["image"],
                "stock": p["stock"],
            }
            for p in seed
        ),
        key=lambda p: p["id"],
    )


def api_view(products):
    return [
        {
            "id": p["id"],
            "name": p["data"]["name"],
            "priceCents": round(p["data"]["price"] * 100),
            "category": p["data"]["category"],
            "description": p["data"].get("description"),
            "image": p["data"].get("image"),
            "stock": p["data"]["stock"],
        }
        for p in products
    ]


def check(out, before_path, seed_path, exact):
    with open(before_path) as f:
        before = json.load(f)
    now = snapshot(out)
    problems = []
    if now["catalog"] != before["catalog"]:
        added = sorted({p["id"] for p in now["catalog"]} - {p["id"] for p in before["catalog"]})
        problems.append(f"the catalog changed ({len(before['catalog'])} -> {len(now['catalog'])} products; new: {added[:10]})")
    for name, n in before["items"].items():
        if now["items"][name] != n:
            problems.append(f"{name.lower()}: {n} items before, {now['items'][name]} now")
    seed = seed_view(seed_path)
    is_seed = api_view(now["catalog"]) == seed
    if exact:
        if not is_seed:
            shown = {p["id"]: p for p in api_view(now["catalog"])}
            wanted = {p["id"]: p for p in seed}
            extra = sorted(shown.keys() - wanted.keys())
            differ = sorted(i for i in wanted if shown.get(i) != wanted[i])
            problems.append(
                f"the catalog is not the {len(seed)} seed products: extra {extra[:10]}"
                f"{' ...' if len(extra) > 10 else ''}, missing or different {differ}"
            )
        for name, n in now["items"].items():
            if name not in ("Products", "Users") and n:
                problems.append(f"{name.lower()}: {n} items, expected none")
        # The one account a fresh store has is its admin (scripts/local-admin.py).
        profiles = accounts(boto3.client("dynamodb"), tables(out)["Users"])
        if profiles > 1:
            problems.append(f"users: {profiles} accounts, expected only the local admin")
    if problems:
        print("the store changed:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    what = f"exactly the {len(seed)} seed products" if is_seed else f"{len(now['catalog'])} products, as before"
    print(f"catalog: {what}; item counts unchanged: {now['items']}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "wipe":
        wipe(outputs(argv[1]))
    elif len(argv) == 3 and argv[0] == "snapshot":
        with open(argv[2], "w") as f:
            json.dump(snapshot(outputs(argv[1])), f, indent=1)
    elif len(argv) in (4, 5) and argv[0] == "check":
        check(outputs(argv[1]), argv[2], argv[3], exact=argv[4:] == ["--exact"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
