"""A LocalStack Lambda runtime executor that runs the function's ``bootstrap`` as a
local process behind a small Lambda Runtime API (no Docker).

One executor instance = one Lambda execution environment = one ``bootstrap``
process with its own Runtime API server on 127.0.0.1:<free port>. LocalStack
creates one environment per concurrent invocation, so concurrency works the way
it does on Lambda.

What it does for each environment (see ../../README.md for the full list):

* runs ``<unzipped code>/bootstrap`` (``provided.*`` runtimes) in the code
  directory with a clean environment: LocalStack's Lambda variables (function
  name/version/memory/log group/stream, region, the function role's
  credentials, ``_HANDLER``, ``AWS_ENDPOINT_URL``, ...) + the function's own
  variables + ``AWS_LAMBDA_RUNTIME_API`` + ``LAMBDA_TASK_ROOT`` (= the code
  directory) + a private ``TMPDIR``;
* enforces the function timeout: on overrun the process group is killed, the
  invocation fails with ``Sandbox.Timedout`` and the next invocation starts a
  fresh process (like Lambda resetting the sandbox);
* memory: samples the RSS of the process tree (every 20 ms while the
  environment initialises or handles an invocation; between invocations Lambda
  freezes it, and 60 idle environments polling /proc took a whole core from
  LocalStack) and kills it when it exceeds ``MemorySize`` (``Runtime.OutOfMemory``); reports the peak as
  ``Max Memory Used`` (kernel high-water mark of the main process, or the
  sampled tree sum if higher). No hard RLIMIT_AS: virtual-memory limits break
  Rust/tokio and glibc arenas long before the resident size is near the limit;
* collects stdout and stderr and returns them with START/END/REPORT lines as
  the invocation's logs; LocalStack writes them to the function's log group
  (``install_patches`` makes that ``LoggingConfig.LogGroup`` as on AWS, not
  always ``/aws/lambda/<name>``).
"""

from __future__ import annotations

import collections
import json
import logging
import math
import os
import platform
import queue
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from localstack import config
from localstack.services.lambda_.invocation.lambda_models import (
    FunctionVersion,
    InvocationResult,
)
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)

API_PREFIX = "/2018-06-01/runtime"
HOST = "127.0.0.1"
# Lambda gives a custom runtime 10 s to reach its first /next (init phase).
INIT_TIMEOUT_S = float(os.environ.get("LOCAL_LAMBDA_INIT_TIMEOUT", "10"))
MEMORY_POLL_S = float(os.environ.get("LOCAL_LAMBDA_MEMORY_POLL_MS", "20")) / 1000
# How often an idle environment's watcher checks that the process still lives.
IDLE_CHECK_S = 1.0
ENFORCE_MEMORY = os.environ.get("LOCAL_LAMBDA_ENFORCE_MEMORY", "1") not in ("0", "false", "")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/opt/bin"
ARCH_OF_MACHINE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def install_patches() -> None:
    """Make LocalStack write a function's logs to ``LoggingConfig.LogGroup``.

    LocalStack (2026.3.0) keeps ``LoggingConfig`` but always logs to
    ``/aws/lambda/<function name>``; AWS logs to the configured group. The same
    method also feeds ``AWS_LAMBDA_LOG_GROUP_NAME``.
    """
    from localstack.services.lambda_.invocation import execution_environment as ee

    if getattr(ee.ExecutionEnvironment, "_local_process_patched", False):
        return

    def get_log_group_name(self) -> str:
        logging_config = self.function_version.config.logging_config or {}
        return logging_config.get("LogGroup") or f"/aws/lambda/{self.function_version.id.function_name}"

    ee.ExecutionEnvironment.get_log_group_name = get_log_group_name
    ee.ExecutionEnvironment._local_process_patched = True


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _read_status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _process_tree(pid: int) -> list[int]:
    """pid and all its descendants (via /proc/<pid>/task/<tid>/children)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{tid}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
                except OSError:
                    pass
        except OSError:
            pass
    return pids


class _Invocation:
    def __init__(self, payload: dict):
        self.request_id: str = payload["invoke-id"]
        self.arn: str = payload.get("invoked-function-arn") or ""
        self.trace_id: str = payload.get("trace-id") or ""
        body = payload.get("payload") or ""
        self.body: bytes = body.encode() if isinstance(body, str) else body
        self.client_context = payload.get("client-context")
        self.deadline_ms = 0
        self.delivered_at: float | None = None
        self.done = threading.Event()
        self.is_error = False
        self.result: bytes = b""


class _Generation:
    """One bootstrap process and the invocation queue its /next calls read."""

    def __init__(self):
        self.queue: queue.Queue[_Invocation | None] = queue.Queue()
        self.proc: subprocess.Popen | None = None
        self.ready = threading.Event()  # the runtime called /next for the first time
        self.init_error: bytes | None = None
        self.oom_killed = False
        self.started_at = time.perf_counter()
        self.init_ms: float | None = None


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_RuntimeApiServer"

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler API
        LOG.debug("runtime api %s: " + format, self.server.executor.id, *args)

    def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _read_body(self) -> tuple[bytes, dict]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data, trailers = b"", {}
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            while True:  # trailers (streaming responses put errors there)
                line = self.rfile.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                trailers[k.strip().lower()] = v.strip()
            return data, trailers
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), {}

    def do_GET(self):  # noqa: N802
        if self.path != f"{API_PREFIX}/invocation/next":
            return self._reply(404, b'{"errorType":"NotFound"}')
        inv = self.server.executor._next_invocation(self.server.generation)
        if inv is None:  # environment shutting down / process replaced
            self.close_connection = True
            return self._reply(500, b'{"errorType":"Runtime.Shutdown"}')
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        self._reply(200, inv.body, headers)

    def do_POST(self):  # noqa: N802
        body, trailers = self._read_body()
        path = self.path
        ex = self.server.executor
        if path == f"{API_PREFIX}/init/error":
            ex._init_failed(self.server.generation, body)
            return self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        if path.startswith(f"{API_PREFIX}/invocation/"):
            parts = path[len(API_PREFIX) + len("/invocation/") :].split("/")
            if len(parts) == 2 and parts[1] in ("response", "error"):
                is_error = parts[1] == "error" or "lambda-runtime-function-error-type" in trailers
                if is_error and trailers.get("lambda-runtime-function-error-body"):
                    import base64

                    body = base64.b64decode(trailers["lambda-runtime-function-error-body"])
                if ex._complete(parts[0], body, is_error):
                    return self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
                return self._reply(
                    400,
                    b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}',
                    {"Content-Type": "application/json"},
                )
        self._reply(404, b'{"errorType":"NotFound"}')


class _RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, executor: "LocalProcessRuntimeExecutor"):
        self.executor = executor
        self.generation: _Generation | None = None
        super().__init__((HOST, 0), _RuntimeApiHandler)

    def handle_error(self, request, client_address):
        # the runtime process was killed (timeout, out of memory, stop) while a call was open
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        LOG.warning("runtime api %s: error handling a request", self.executor.id, exc_info=True)


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._server: _RuntimeApiServer | None = None
        self._gen: _Generation | None = None
        self._env: dict[str, str] = {}
        self._tmpdir: str | None = None
        self._stopped = threading.Event()
        self._busy = threading.Event()  # initialising or handling an invocation
        self._invoke_lock = threading.Lock()
        self._current: _Invocation | None = None
        self._log_lock = threading.Lock()
        self._pending: list[str] = []  # output not yet attached to an invocation
        self._partial = ""
        self._all_logs: collections.deque[str] = collections.deque(maxlen=5000)
        self._peak_kb = 0
        self._reader_fd: int | None = None

    # ------------------------------------------------------------ properties
    @property
    def _code_dir(self) -> str:
        return str(self.function_version.config.code.get_unzipped_code_location())

    @property
    def _timeout_s(self) -> int:
        return int(self.function_version.config.timeout or 3)

    @property
    def _memory_mb(self) -> int:
        return int(self.function_version.config.memory_size or 128)

    # ------------------------------------------------------ RuntimeExecutor
    def start(self, env_vars: dict[str, str]) -> None:
        self._server = _RuntimeApiServer(self)
        threading.Thread(
            target=self._server.serve_forever,
            # only how soon stop() is noticed; dozens of idle environments
            # waking 20 times a second each cost LocalStack CPU
            kwargs={"poll_interval": 0.5},
            name=f"lambda-rapi-{self.id}",
            daemon=True,
        ).start()
        self._tmpdir = tempfile.mkdtemp(prefix=f"lambda-{self.id[:8]}-")
        code_dir = self._code_dir
        env = {"PATH": DEFAULT_PATH, "LANG": "en_US.UTF-8"}
        env.update({k: str(v) for k, v in env_vars.items() if v is not None})
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": f"{HOST}:{self._server.server_address[1]}",
                "LAMBDA_TASK_ROOT": code_dir,
                "LAMBDA_RUNTIME_DIR": code_dir,
                "LD_LIBRARY_PATH": env.get("LD_LIBRARY_PATH") or f"{code_dir}/lib:{code_dir}",
                "TMPDIR": self._tmpdir,
                "HOME": self._tmpdir,
            }
        )
        self._env = env
        self._busy.set()
        self._spawn()
        err = self._wait_ready(self._gen)
        self._busy.clear()
        if err:
            logs = "\n".join(self._all_logs)
            self.stop()
            raise LambdaRuntimeException(f"{err}\n{logs}")

    def stop(self) -> None:
        self._stopped.set()
        self._kill(self._gen)
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def get_address(self) -> str:
        return HOST

    def get_endpoint_from_executor(self) -> str:
        host = config.GATEWAY_LISTEN[0].host
        return HOST if host in ("", "0.0.0.0", "::") else host

    def get_runtime_endpoint(self) -> str:
        port = self._server.server_address[1] if self._server else 0
        return f"http://{HOST}:{port}"

    def get_logs(self) -> str:
        with self._log_lock:
            return "\n".join(self._all_logs)

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        cfg = function_version.config
        if cfg.code:
            cfg.code.prepare_for_execution()
        arch = (cfg.architectures or ["x86_64"])[0]
        host_arch = ARCH_OF_MACHINE.get(platform.machine().lower(), platform.machine())
        if arch != host_arch:
            LOG.warning(
                "Function %s is built for %s but this machine is %s: its bootstrap runs natively and will "
                "fail to start. Deploy with the host's architecture.",
                function_version.id.function_name,
                arch,
                host_arch,
            )

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # ------------------------------------------------------------ invoke
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with self._invoke_lock:
            self._busy.set()
            try:
                return self._invoke(_Invocation(payload))
            finally:
                self._busy.clear()

    def _invoke(self, inv: _Invocation) -> InvocationResult:
        gen = self._gen
        init_ms = None
        if gen is None or gen.proc is None or gen.proc.poll() is not None:
            # the process ended (timeout, crash, out of memory): start a fresh one, like Lambda
            self._spawn()
            gen = self._gen
            err = self._wait_ready(gen)
            if err:
                return self._finish(inv, gen, None, "Runtime.ExitError", err)
        if gen.init_ms is not None:
            init_ms, gen.init_ms = gen.init_ms, None  # reported with the first invocation only

        with self._log_lock:
            pre_logs, self._pending = self._pending, []
        inv.deadline_ms = int(time.time() * 1000) + self._timeout_s * 1000
        self._current = inv
        started = time.perf_counter()
        gen.queue.put(inv)
        failure = None
        while not inv.done.wait(0.02):
            if self._stopped.is_set():
                failure = ("Runtime.Shutdown", "environment stopped during the invocation")
                break
            if time.perf_counter() - started >= self._timeout_s:
                self._kill(gen)
                failure = ("Sandbox.Timedout", None)
                break
            if gen.proc.poll() is not None:
                inv.done.wait(0.05)  # a response posted just before exiting
                if inv.done.is_set():
                    break
                code = gen.proc.returncode
                if gen.oom_killed:
                    failure = ("Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
                elif code < 0:
                    failure = ("Runtime.ExitError", f"Runtime exited with error: signal: {signal.Signals(-code).name}")
                else:
                    failure = ("Runtime.ExitError", f"Runtime exited with error: exit status {code}")
                break
        duration_ms = (time.perf_counter() - (inv.delivered_at or started)) * 1000
        self._current = None
        self._drain_output(gen)
        return self._finish(inv, gen, duration_ms, *(failure or (None, None)), pre_logs=pre_logs, init_ms=init_ms)

    def _finish(self, inv, gen, duration_ms, error_type, error_detail, pre_logs=(), init_ms=None):
        rid = inv.request_id
        with self._log_lock:
            lines, self._pending = self._pending, []
        out = list(pre_logs)
        out.append(f"START RequestId: {rid} Version: {self.function_version.id.qualifier}")
        out.extend(lines)
        if error_type == "Sandbox.Timedout":
            out.append(f"{_utc_now()} {rid} Task timed out after {self._timeout_s:.2f} seconds")
            message = f"RequestId: {rid} Error: Task timed out after {self._timeout_s:.2f} seconds"
        elif error_type:
            message = f"RequestId: {rid} Error: {error_detail}"
            out.append(f"{_utc_now()} {rid} Error: {error_detail}")
        out.append(f"END RequestId: {rid}")
        duration_ms = duration_ms or 0.0
        billed = math.ceil(duration_ms + (init_ms or 0.0))
        report = (
            f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {self._memory_mb} MB\tMax Memory Used: {math.ceil(self._peak_kb / 1024)} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        if error_type == "Sandbox.Timedout":
            report += "\tStatus: timeout"
        elif error_type:
            report += f"\tStatus: error\tError Type: {error_type}"
        out.append(report)
        logs = "\n".join(out) + "\n"
        if error_type:
            body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
            return InvocationResult(rid, body, is_error=True, logs=logs)
        return InvocationResult(rid, inv.result, is_error=inv.is_error, logs=logs)

    # ------------------------------------------------------- Runtime API side
    def _next_invocation(self, gen: _Generation | None) -> _Invocation | None:
        if gen is None:
            return None
        if not gen.ready.is_set():
            gen.init_ms = (time.perf_counter() - gen.started_at) * 1000
            gen.ready.set()
        inv = gen.queue.get()
        if inv is not None:
            inv.delivered_at = time.perf_counter()
        return inv

    def _complete(self, request_id: str, body: bytes, is_error: bool) -> bool:
        inv = self._current
        if inv is None or inv.request_id != request_id or inv.done.is_set():
            return False
        inv.result, inv.is_error = body, is_error
        inv.done.set()
        return True

    def _init_failed(self, gen: _Generation | None, body: bytes) -> None:
        if gen is not None:
            gen.init_error = body or b'{"errorType":"Runtime.InitError"}'

    # ------------------------------------------------------------ process
    def _spawn(self) -> None:
        code_dir = self._code_dir
        bootstrap = os.path.join(code_dir, "bootstrap")
        if not os.path.isfile(bootstrap):
            raise LambdaRuntimeException(
                f"no bootstrap in {code_dir}: the local-process executor runs provided.* (custom runtime) "
                f"functions only (runtime of {self.function_version.id.function_name}: "
                f"{self.function_version.config.runtime})"
            )
        if not os.access(bootstrap, os.X_OK):
            os.chmod(bootstrap, 0o755)
        self._kill(self._gen)  # before the new generation: no old /next may take its invocations
        gen = _Generation()
        self._gen = gen
        if self._server:
            self._server.generation = gen
        gen.proc = subprocess.Popen(
            [bootstrap],
            cwd=code_dir,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: timeout/oom kill the whole tree
            close_fds=True,
        )
        LOG.debug("lambda %s: started bootstrap pid %s", self.function_version.id.function_name, gen.proc.pid)
        threading.Thread(target=self._read_output, args=(gen,), name=f"lambda-out-{self.id}", daemon=True).start()
        threading.Thread(target=self._watch_memory, args=(gen,), name=f"lambda-mem-{self.id}", daemon=True).start()

    def _wait_ready(self, gen: _Generation) -> str | None:
        """Wait for the first /next (end of the init phase). Returns an error or None."""
        deadline = time.perf_counter() + INIT_TIMEOUT_S
        while not gen.ready.wait(0.01):
            if gen.init_error is not None:
                self._kill(gen)
                return f"init error: {gen.init_error.decode(errors='replace')}"
            if gen.proc.poll() is not None:
                self._drain_output(gen)
                return f"Runtime exited during init: exit status {gen.proc.returncode}"
            if self._stopped.is_set():
                return "environment stopped during init"
            if time.perf_counter() > deadline:
                self._kill(gen)
                return f"init did not finish in {INIT_TIMEOUT_S:.0f} s (no call to /runtime/invocation/next)"
        return None

    def _kill(self, gen: _Generation | None) -> None:
        if gen is None:
            return
        proc = gen.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                LOG.warning("lambda process %s did not exit after SIGKILL", proc.pid)
        gen.queue.put(None)  # release a /next handler still waiting for this process

    def _read_output(self, gen: _Generation) -> None:
        fd = gen.proc.stdout.fileno()
        partial = ""
        name = self.function_version.id.function_name
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            text = partial + chunk.decode("utf-8", errors="replace")
            *lines, partial = text.split("\n")
            with self._log_lock:
                self._pending.extend(lines)
                self._all_logs.extend(lines)
            for line in lines:
                LOG.debug("[lambda %s] %s", name, line)
        if partial:
            with self._log_lock:
                self._pending.append(partial)
                self._all_logs.append(partial)
        try:
            gen.proc.stdout.close()
        except OSError:
            pass

    def _drain_output(self, gen: _Generation) -> None:
        """Give the reader thread a moment to pick up output written before the response."""
        try:
            fd = gen.proc.stdout.fileno()
        except (ValueError, AttributeError):
            return
        deadline = time.perf_counter() + 0.1
        while time.perf_counter() < deadline:
            try:
                readable, _, _ = select.select([fd], [], [], 0)
            except (OSError, ValueError):
                return
            if not readable:
                time.sleep(0.002)  # the reader may hold a chunk it has not appended yet
                return
            time.sleep(0.002)

    def _watch_memory(self, gen: _Generation) -> None:
        limit_kb = self._memory_mb * 1024
        pid = gen.proc.pid
        while gen.proc.poll() is None and not self._stopped.is_set():
            if not self._busy.wait(IDLE_CHECK_S):
                continue  # frozen between invocations: it cannot grow
            tree = _process_tree(pid)
            rss = sum(_read_status_kb(p, "VmRSS") for p in tree)
            hwm = _read_status_kb(pid, "VmHWM")
            self._peak_kb = max(self._peak_kb, rss, hwm)
            if ENFORCE_MEMORY and rss > limit_kb:
                LOG.warning(
                    "lambda %s: RSS %d MB exceeds MemorySize %d MB: killing the process",
                    self.function_version.id.function_name,
                    rss // 1024,
                    self._memory_mb,
                )
                gen.oom_killed = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return
            time.sleep(MEMORY_POLL_S)
