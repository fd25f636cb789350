#!/usr/bin/env python3
"""The demo (`make demo`): a local SPREAD sandbox, and the seed integration's
order sent to it through C, PHP and Python, then what the sandbox stored.

Each language sends the same order (order_idorder 0000001, so the second and
third sends update it); the sandbox parses every body with PHP itself and
logs it, so the demo also shows that the three bodies are byte-identical to
what the seed's curl block sends, and that each took one request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from harness import Sandbox  # noqa: E402
from harness.seed import SEED_POST_DATA, php_http_build_query  # noqa: E402

LIB_DIR = REPO / "target" / "release"


def run(title: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n== {title}\n$ {' '.join(cmd)}", flush=True)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    print((out.stdout + out.stderr).strip())
    if out.returncode != 0:
        sys.exit(f"{title} failed")


def main() -> int:
    with Sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        print(f"sandbox: {sb.base_url} (php -S, SQLite), keys {sb.public_key} / {sb.private_key}")
        c_program = Path(tmp) / "send_seed_order"
        subprocess.run(
            ["cc", "-std=c11", "-I", str(REPO / "include"), str(REPO / "scripts" / "send_seed_order.c"),
             "-L", str(LIB_DIR), "-lspread", f"-Wl,-rpath,{LIB_DIR}", "-o", str(c_program)],
            check=True,
        )
        run("C (include/spread.h, libspread.so)", [str(c_program), sb.base_url])
        run("PHP (bindings/php, FFI)", ["php", str(REPO / "bindings/php/examples/send_seed_order.php"), sb.base_url])
        env = dict(os.environ, PYTHONPATH=str(REPO / "bindings" / "python"))
        run("Python (bindings/python, ctypes)",
            [sys.executable, str(REPO / "bindings/python/examples/send_seed_order.py"), sb.base_url], env)

        seed_body = php_http_build_query(SEED_POST_DATA)
        print("\n== what the sandbox saw")
        for r in sb.requests():
            same = "identical to the seed's http_build_query" if r["raw"] == seed_body else "DIFFERS from the seed body"
            print(f"{r['method']} {r['path']} -> {r['status']}  auth {r['auth_scheme']}  "
                  f"{r['user_agent']}  body {len(r['raw'])} bytes, {same}")
        order = sb.state()["orders"]["0000001"]
        print("\n== stored order 0000001 (sent 3 times: created, then updated twice)")
        print(json.dumps(order, indent=2, ensure_ascii=False))
        ok = len(sb.requests()) == 3 and all(r["raw"] == seed_body for r in sb.requests()) and order["updates"] == 3
        print("\ndemo OK" if ok else "\ndemo FAILED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
