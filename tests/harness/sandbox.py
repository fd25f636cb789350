"""Start/stop the SPREAD sandbox from Python tests, the demo and scripts, through
sandbox/serve.php (the launcher every language's tests share: php -S with
sandbox/router.php on a free loopback port, in its own process group, stopped with
it or by itself when this process is gone).

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
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVE = REPO_ROOT / "sandbox" / "serve.php"

# Started and not yet stopped; stopped at interpreter exit (the launcher would also stop
# them when this process dies, but an interpreter may outlive its tests).
_live: "set[Sandbox]" = set()


@atexit.register
def _stop_all() -> None:
    for sb in list(_live):
        sb.stop()


class SandboxError(RuntimeError):
    pass


class Sandbox:
    """A running sandbox. Usable as a context manager, or start()/stop() by hand."""

    def __init__(
        self,
        public_key: str = "PUBLIC_KEY",
        private_key: str = "PRIVATE_KEY",
        workers: int | None = None,
        php: str = "php",
        port: int | None = None,
    ) -> None:
        self.public_key = public_key
        self.private_key = private_key
        self.workers = workers
        self.php = php
        self.requested_port = port  # None: a free one, chosen at each start
        self.port: int | None = None
        self._launcher: subprocess.Popen | None = None
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
        return Path(self._tmp) / "server.log"

    def start(self) -> "Sandbox":
        if self._launcher is not None:
            return self
        self._tmp = tempfile.mkdtemp(prefix="spread-sandbox-")
        cmd = [self.php, str(SERVE), "--dir", self._tmp]
        if self.requested_port:
            cmd += ["--port", str(self.requested_port)]
        if self.workers:
            cmd += ["--workers", str(self.workers)]
        env = dict(os.environ, SPREAD_SANDBOX_PUBLIC_KEY=self.public_key, SPREAD_SANDBOX_PRIVATE_KEY=self.private_key)
        _live.add(self)
        self._launcher = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        # One line: the port once the sandbox answers, or "error: ..." and the reason.
        line = self._launcher.stdout.readline()
        if not line.strip().isdigit():
            reason = line + self._launcher.stdout.read()
            self.stop()
            raise SandboxError(f"the sandbox did not start: {reason}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        launcher, self._launcher = self._launcher, None
        if launcher is not None:
            try:
                os.killpg(launcher.pid, signal.SIGKILL)  # the launcher leads php -S and its workers
            except ProcessLookupError:
                pass
            launcher.wait()
            launcher.stdout.close()
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
        return f"<Sandbox {self.base_url if self._launcher else '(stopped)'}>"
