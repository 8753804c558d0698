#!/usr/bin/env python3
"""Makes an admin of a local stack the way a real shop gets one: the account
registers through the API, confirms its address with the code LocalStack's
SES recorded, sets up TOTP, and is then granted the role by the operator's
command (`store-admin grant`, with AWS credentials). Standard library only.

  scripts/local-admin.py EMAIL PASSWORD [--out FILE]

Needs the stack's outputs (`.cache/localstack/stack-outputs.json`, or
$STACK_OUTPUTS), the AWS environment of `localstack/env.sh`, and the built
`store-admin` ($STORE_ADMIN, default target/local/store-admin). Prints (and
with --out writes) {"email", "password", "totpSecret", "lastStep"} as JSON:
the secret is the hex key an authenticator app would hold, for the tests to
compute codes, and lastStep the 30-second step whose code this script used.
Re-running for an admin that exists checks it can sign in and reprints it.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def totp(secret_hex: str, at: float) -> str:
    """RFC 6238: SHA-1, six digits, 30-second steps."""
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(bytes.fromhex(secret_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_totp(secret_hex: str, admin: dict, after: int = -1) -> str:
    """A code of a step later than `after` and not near its end (a code is
    good once); the step goes into `admin["lastStep"]`, so the next sign-in
    (spa/tests/sign-in-admin.mjs) takes a later one."""
    while True:
        now = time.time()
        step_left = 30 - now % 30
        if step_left >= 2 and int(now) // 30 > after:
            admin["lastStep"] = int(now) // 30
            return totp(secret_hex, now)
        time.sleep(step_left + 0.1)


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def mailed_code(endpoint: str, to: str, deadline: float) -> str:
    """The code of the newest mail LocalStack's SES holds for `to`."""
    while True:
        with urllib.request.urlopen(f"{endpoint}/_aws/ses", timeout=30) as response:
            messages = json.loads(response.read()).get("messages", [])
        mine = [m for m in messages if to in m.get("Destination", {}).get("ToAddresses", [])]
        for message in reversed(mine):
            text = message.get("Body", {}).get("text_part") or ""
            words = [w for w in text.replace(".", " ").split() if len(w) == 6 and w.isdigit()]
            if words:
                return words[0]
        if time.time() > deadline:
            sys.exit(f"local-admin: no code was mailed to {to}")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("email")
    parser.add_argument("password")
    parser.add_argument("--out")
    args = parser.parse_args()
    outputs_path = os.environ.get("STACK_OUTPUTS", os.path.join(ROOT, ".cache/localstack/stack-outputs.json"))
    outputs = json.load(open(outputs_path))
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566").rstrip("/")
    api = Api(f"{endpoint}/_aws/execute-api/{outputs['ApiId']}/{outputs['StageName']}")
    store_admin = os.environ.get("STORE_ADMIN", os.path.join(ROOT, "target/local/store-admin"))
    admin = {"email": args.email.strip().lower(), "password": args.password}

    previous = json.load(open(args.out)) if args.out and os.path.exists(args.out) else None
    if previous and previous.get("email") == admin["email"]:
        status, body = api.call("POST", "/api/auth/login", {
            "email": admin["email"], "password": admin["password"],
            "totpCode": fresh_totp(previous["totpSecret"], previous, previous.get("lastStep", -1))})
        if status == 200 and body["user"]["role"] == "admin":
            with open(args.out, "w") as f:
                json.dump(previous, f)
            print(json.dumps(previous))
            return

    status, body = api.call("POST", "/api/auth/register", {
        "email": admin["email"], "password": admin["password"], "name": "Store admin"})
    if status == 409:
        sys.exit(f"local-admin: {admin['email']} is registered already, and not as the admin "
                 f"this script made (its --out file). Use another address, or reset the store.")
    if status != 201:
        sys.exit(f"local-admin: register answered {status}: {body}")
    token = body["token"]
    code = mailed_code(endpoint, admin["email"], time.time() + 60)
    status, body = api.call("POST", "/api/auth/verify-email", {"email": admin["email"], "code": code})
    if status != 200:
        sys.exit(f"local-admin: verify-email answered {status}: {body}")
    status, setup = api.call("POST", "/api/auth/totp/setup", {}, token)
    if status != 200:
        sys.exit(f"local-admin: totp/setup answered {status}: {setup}")
    padded = setup["secret"] + "=" * (-len(setup["secret"]) % 8)
    admin["totpSecret"] = base64.b32decode(padded).hex()
    status, body = api.call("POST", "/api/auth/totp/confirm", {"code": fresh_totp(admin["totpSecret"], admin)}, token)
    if status != 200:
        sys.exit(f"local-admin: totp/confirm answered {status}: {body}")
    env = dict(os.environ, USERS_TABLE=outputs["UsersTableName"])
    subprocess.run([store_admin, "grant", admin["email"]], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(admin, f)
    print(json.dumps(admin))


if __name__ == "__main__":
    main()
