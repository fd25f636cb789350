#!/usr/bin/env python3
"""What a Python shop writes without libspread: `requests` the usual way, one
requests.post() per order with auth=(public, private) (Basic up front, a new
connection each time), or, as a better baseline, a requests.Session kept for the
whole run. The body is the seed's $post_data flattened as http_build_query does.

stdin: JSON {"url", "ca_file"?, "n", "warmup", "mode": "post"|"session"}
stdout: JSON {"n", "seconds"}; exit 1 on any answer but 200.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness.seed import SEED_POST_DATA  # noqa: E402


def flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """post_data as the (key, value) pairs http_build_query would send."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        if value is None:
            return []
        if isinstance(value, bool):
            return [(prefix, "1" if value else "0")]
        return [(prefix, str(value))]
    out: list[tuple[str, str]] = []
    for k, v in items:
        out += flatten(v, f"{prefix}[{k}]" if prefix else str(k))
    return out


def main() -> None:
    cfg = json.load(sys.stdin)
    url, n, warmup = cfg["url"], int(cfg["n"]), int(cfg.get("warmup", 1))
    verify = cfg.get("ca_file") or True
    auth = ("PUBLIC_KEY", "PRIVATE_KEY")
    post_data = json.loads(json.dumps(SEED_POST_DATA))  # a copy
    session = requests.Session() if cfg.get("mode") == "session" else None
    if session is not None:
        session.auth = auth
        session.verify = verify
    t0 = time.perf_counter()
    for i in range(warmup + n):
        if i == warmup:
            t0 = time.perf_counter()
        post_data["data"]["order_idorder"] = post_data["request"]["order_idorder"] = f"{i + 1:07d}"
        if session is None:
            r = requests.post(url, data=flatten(post_data), auth=auth, verify=verify, timeout=30)
        else:
            r = session.post(url, data=flatten(post_data), timeout=30)
        if r.status_code != 200:
            sys.exit(f"order {i}: HTTP {r.status_code}")
    print(json.dumps({"n": n, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
