"""Schemathesis hooks for scripts/fuzz-api.sh: who each request is signed
in as, and a count of every response's status.

Reads FUZZ_API_URL (the stage URL), FUZZ_ADMIN_JSON (a file with the
admin's email, password and hex TOTP secret) and FUZZ_STATS (where the
counts are written when the run ends). Signs in once, when loaded:

- admin routes get the admin's token;
- /api/auth/logout and /api/auth/password each get a customer of their
  own: a sign-out everywhere (or a password change, were one ever
  guessed) revokes every token of its account, which would turn the
  other routes' requests into 401s;
- every other route gets a fresh customer's token.
"""

import ast
import atexit
import hashlib
import hmac
import json
import os
import secrets
import struct
import threading
import time
from collections import Counter

import requests
import schemathesis

API = os.environ["FUZZ_API_URL"].rstrip("/")
ADMIN_JSON = os.environ.get("FUZZ_ADMIN_JSON", "")
STATS = os.environ["FUZZ_STATS"]

# (method, path) pairs that need the admin role.
ADMIN_ROUTES = {
    ("POST", "/api/products"),
    ("PUT", "/api/products/{id}"),
    ("DELETE", "/api/products/{id}"),
    ("POST", "/api/products/{id}/stock"),
    ("GET", "/api/admin/users"),
    ("POST", "/api/admin/users/grant"),
    ("POST", "/api/admin/users/revoke"),
    ("GET", "/api/admin/orders"),
}
# Routes that end sessions, each with an account of its own.
SESSION_ENDERS = {("POST", "/api/auth/logout"): "logout", ("POST", "/api/auth/password"): "password"}

# CPython 3.11's compile() fails now and then when two threads parse at
# once ("AST constructor recursion depth mismatch"); Hypothesis parses
# sources to describe lambdas while the workers generate. One at a time.
_parse = ast.parse
_parse_lock = threading.Lock()


def _one_parse_at_a_time(*args, **kwargs):
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time


def totp_code(secret_hex: str, unix_time: float) -> str:
    """RFC 6238: HMAC-SHA-1 over the 30-second step, 6 digits."""
    step = int(unix_time) // 30
    digest = hmac.new(bytes.fromhex(secret_hex), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _post(path: str, body: dict) -> requests.Response:
    return requests.post(f"{API}{path}", json=body, timeout=30)


def register_customer() -> str:
    email = f"fuzz-{secrets.token_hex(8)}@example.com"
    response = _post(
        "/api/auth/register",
        {"email": email, "password": secrets.token_urlsafe(18), "name": "Fuzz Customer"},
    )
    if response.status_code != 201:
        raise SystemExit(f"fuzz: registering {email}: {response.status_code} {response.text}")
    return response.json()["token"]


def admin_token() -> str | None:
    if not ADMIN_JSON:
        return None
    with open(ADMIN_JSON) as f:
        admin = json.load(f)
    # A code is accepted once per step: one that another sign-in used in
    # this step is refused, and the next step's code is not.
    for attempt in range(2):
        code = totp_code(admin["totpSecret"], time.time())
        response = _post(
            "/api/auth/login",
            {"email": admin["email"], "password": admin["password"], "totpCode": code},
        )
        if response.status_code == 200:
            body = response.json()
            if body["user"]["role"] != "admin":
                raise SystemExit(f"fuzz: {admin['email']} is not an admin")
            return body["token"]
        if attempt == 0 and response.status_code == 401 and response.json().get("mfaRequired"):
            time.sleep(30 - time.time() % 30 + 1)
            continue
        raise SystemExit(f"fuzz: admin sign-in: {response.status_code} {response.text}")
    return None


TOKENS = {
    "customer": register_customer(),
    **{name: register_customer() for name in SESSION_ENDERS.values()},
    "admin": admin_token(),
}


def role_of(method: str, path: str) -> str:
    route = (method.upper(), path)
    if route in ADMIN_ROUTES and TOKENS["admin"]:
        return "admin"
    if route in SESSION_ENDERS:
        return SESSION_ENDERS[route]
    return "customer"


@schemathesis.auth(refresh_interval=None, retry_on=[])
class StoreAuth:
    def get(self, case, context):
        return TOKENS[role_of(context.operation.method, context.operation.path)]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


_lock = threading.Lock()
_statuses: Counter = Counter()
# Schemathesis also tries each path with the methods it does not declare;
# API Gateway answers those itself (403, or 200 for a CORS preflight).
_probes: Counter = Counter()
_by_operation: dict = {}
_server_errors: list = []


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        declared = case.method.upper() == case.operation.method.upper()
        (_statuses if declared else _probes)[response.status_code] += 1
        operation = f"{case.method.upper()} {case.operation.path}"
        _by_operation.setdefault(operation, Counter())[response.status_code] += 1
        if response.status_code >= 500:
            _server_errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")


@atexit.register
def _write_stats():
    with _lock:
        stats = {
            "statuses": {str(k): v for k, v in sorted(_statuses.items())},
            "undeclaredMethods": {str(k): v for k, v in sorted(_probes.items())},
            "serverErrors": _server_errors[:50],
            "byOperation": {
                op: {str(k): v for k, v in sorted(counts.items())} for op, counts in sorted(_by_operation.items())
            },
        }
    with open(STATS, "w") as f:
        json.dump(stats, f, indent=1)
