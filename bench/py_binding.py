#!/usr/bin/env python3
"""The Python binding's side of `make bench`: the seed's post_data sent with
spread.Client.update_order() (one client for the run), or spread.Client.send_many().

stdin: JSON {"base_url", "ca_file"?, "n", "warmup", "mode": "reuse"|"many", "concurrency"?}
stdout: JSON {"n", "seconds"}; exit 1 on any failure.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
sys.path.insert(0, str(ROOT / "tests"))
import spread  # noqa: E402
from harness.seed import SEED_POST_DATA  # noqa: E402


def order(i: int) -> dict:
    post_data = copy.deepcopy(SEED_POST_DATA)
    post_data["data"]["order_idorder"] = post_data["request"]["order_idorder"] = f"{i + 1:07d}"
    return post_data


def main() -> None:
    cfg = json.load(sys.stdin)
    n, warmup = int(cfg["n"]), int(cfg.get("warmup", 1))
    options = {"base_url": cfg["base_url"], "max_attempts": 1}  # a retry would hide a failure
    if cfg.get("ca_file"):
        options["ca_file"] = cfg["ca_file"]
    if cfg.get("mode") == "many":
        orders = [order(i) for i in range(n)]
        t0 = time.perf_counter()
        with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", **options) as client:
            results = client.send_many(orders, concurrency=int(cfg["concurrency"]))
        seconds = time.perf_counter() - t0
        failed = [r for r in results if not r.delivered]
        if failed or len(results) != n:
            sys.exit(f"{len(failed)} orders failed: {failed[0].error if failed else 'count'}")
    else:
        post_data = copy.deepcopy(SEED_POST_DATA)
        with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", **options) as client:
            t0 = time.perf_counter()
            for i in range(warmup + n):
                if i == warmup:
                    t0 = time.perf_counter()
                post_data["data"]["order_idorder"] = post_data["request"]["order_idorder"] = f"{i + 1:07d}"
                if client.update_order(post_data).status != 200:
                    sys.exit(f"order {i}: not 200")
            seconds = time.perf_counter() - t0
    print(json.dumps({"n": n, "seconds": seconds}))


if __name__ == "__main__":
    main()
