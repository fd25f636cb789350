"""Start/stop the SPREAD sandbox (``php -S … sandbox/router.php``) from Python tests.

    with Sandbox() as sb:
        ...  # send orders to sb.base_url with sb.public_key / sb.private_key
        assert sb.state()["orders"]["0000001"]["order_state"] == "10"

Stdlib only. Each Sandbox has its own port and its own temporary SQLite file.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUTER = REPO_ROOT / "sandbox" / "router.php"

# Started and not yet stopped; stopped at interpreter exit so no php -S outlives the tests.
_live: "set[Sandbox]" = set()


@atexit.register
def _stop_all() -> None:
    for sb in list(_live):
        sb.stop()


class SandboxError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Direct children of pid (Linux /proc); php -S workers are children of the master."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


class Sandbox:
    """A running sandbox. Usable as a context manager, or start()/stop() by hand."""

    def __init__(
        self,
        public_key: str = "PUBLIC_KEY",
        private_key: str = "PRIVATE_KEY",
        workers: int | None = None,
        php: str = "php",
        start_timeout: float = 10.0,
    ) -> None:
        self.public_key = public_key
        self.private_key = private_key
        self.workers = workers
        self.php = php
        self.start_timeout = start_timeout
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None
        self._tmp: str | None = None

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def db_path(self) -> Path:
        assert self._tmp is not None, "sandbox not started"
        return Path(self._tmp) / "sandbox.sqlite"

    @property
    def log_path(self) -> Path:
        """php -S's own access/error log (stderr and stdout)."""
        assert self._tmp is not None, "sandbox not started"
        return Path(self._tmp) / "php-server.log"

    def start(self) -> "Sandbox":
        if self._proc is not None:
            return self
        self._tmp = tempfile.mkdtemp(prefix="spread-sandbox-")
        env = dict(os.environ)
        env.update(
            SPREAD_SANDBOX_DB=str(self.db_path),
            SPREAD_SANDBOX_PUBLIC_KEY=self.public_key,
            SPREAD_SANDBOX_PRIVATE_KEY=self.private_key,
        )
        env.pop("PHP_CLI_SERVER_WORKERS", None)
        if self.workers:
            env["PHP_CLI_SERVER_WORKERS"] = str(self.workers)
        _live.add(self)
        last_error = ""
        for _attempt in range(5):  # the free port may be taken between probe and bind
            self.port = _free_port()
            with open(self.log_path, "ab") as log:
                # cwd = the temp dir, which is also php -S's document root: nothing to serve
                # statically. Same session as us (start_new_session=False) so a Ctrl-C reaches it.
                self._proc = subprocess.Popen(
                    [self.php, "-S", f"127.0.0.1:{self.port}", str(ROUTER)],
                    cwd=self._tmp, env=env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=False,
                )
            if self._wait_ready():
                return self
            last_error = self.log_path.read_text(errors="replace")[-2000:]
            self._kill()
        self.stop()
        raise SandboxError(f"php -S did not start:\n{last_error}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                self._control("GET", "/_sandbox/fault", timeout=1)
                return True
            except (OSError, SandboxError):
                time.sleep(0.02)
        return False

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # With PHP_CLI_SERVER_WORKERS the workers survive their master's SIGTERM: stop them too.
        workers = _children(proc.pid)
        for pid in [proc.pid, *workers]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in workers:  # not our children: cannot wait(); just make sure they are gone
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        self._kill()
        _live.discard(self)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ---------------------------------------------------------------- URLs
    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client is configured with (the seed's https://social-sb.com/api)."""
        return f"{self.root_url}/api"

    def url(self, path: str = "/api/updateOrder") -> str:
        return self.root_url + (path if path.startswith("/") else "/" + path)

    # ---------------------------------------------------------------- control API
    def _control(self, method: str, path: str, doc: Any = None, timeout: float = 10) -> Any:
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            raise SandboxError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}") from None

    def state(self) -> dict:
        """{"orders": {idorder: {...}}, "profiles": {key: {...}}}, keys sorted."""
        return self._control("GET", "/_sandbox/state")

    def state_json(self) -> bytes:
        """The state exactly as served (canonical JSON): compare two sandboxes byte for byte."""
        with urllib.request.urlopen(self.url("/_sandbox/state"), timeout=10) as resp:
            return resp.read()

    def requests(self) -> list[dict]:
        """Logged /api/ requests, oldest first; "raw" holds the body as received (bytes)."""
        rows = self._control("GET", "/_sandbox/requests")
        for r in rows:
            r["raw"] = base64.b64decode(r["body_b64"])
        return rows

    def reset(self) -> None:
        self._control("POST", "/_sandbox/reset", {})

    def fault(self, **cfg: Any) -> dict:
        """Configure a fault, e.g. fault(mode="status", code=503, times=2); returns active faults."""
        return self._control("POST", "/_sandbox/fault", cfg)

    def faults(self) -> dict:
        return self._control("GET", "/_sandbox/fault")

    def __repr__(self) -> str:
        return f"<Sandbox {self.base_url if self.port else '(stopped)'}>"
