"""Many orders at once over the 20 ms HTTPS link: a sequential loop against
send_many(8), from C (bench/c_send.c), PHP and Python (rows 6a-6c)."""

from __future__ import annotations

import subprocess
import sys
from typing import Callable

from measure import ROOT, Bench
from report import Row, speedup


def measure(b: Bench) -> None:
    url, ca = b.url[("https", "link")], str(b.ca)

    def c_bulk(conc: int) -> Callable[[], tuple[float, int]]:
        def run() -> tuple[float, int]:
            n = b.n("bulk_c")
            out = b.c("bulk", url, ca, n, conc)
            return out["seconds"] / n, n
        return run

    b.measure([b.add("c_bulk_seq_https_link", c_bulk(0)), b.add("c_bulk_many8_https_link", c_bulk(8))],
              b.n("rounds_bulk"), "6 bulk, C, https over the 20 ms link")
    php_has = subprocess.run(["php", "-r", f"require '{ROOT}/bindings/php/autoload.php';"
                              "exit(method_exists('Spread\\Client', 'sendMany') ? 0 : 1);"],
                             capture_output=True).returncode == 0
    measure_binding(b, "php", "PHP", lambda cfg: b.php("binding.php", cfg),
                    None if php_has else "no Client::sendMany() in the PHP binding")
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    try:
        import spread
        py_has = hasattr(spread.Client, "send_many")
    except Exception:  # noqa: BLE001 - a broken binding shows in its own rows
        py_has = False
    measure_binding(b, "py", "Python", lambda cfg: b.py("py_binding.py", cfg),
                    None if py_has else "no Client.send_many() in the Python binding")


def measure_binding(b: Bench, key: str, language: str, driver: Callable[[dict], tuple[float, int]],
                    skipped: str | None) -> None:
    """A binding's loop of single sends against its send_many(8), same orders, same link."""
    cfg = {"base_url": b.url[("https", "link")], "ca_file": str(b.ca), "n": b.n("bulk_binding")}
    b.measure([
        b.add(f"{key}_bulk_seq_https_link", lambda: driver({**cfg, "warmup": 0, "mode": "reuse"}), skipped=skipped),
        b.add(f"{key}_bulk_many8_https_link", lambda: driver({**cfg, "mode": "many", "concurrency": 8}),
              skipped=skipped),
    ], b.n("rounds_bulk"), f"6 bulk, {language}, https over the 20 ms link")


def rows(b: Bench) -> list[Row]:
    bn, bb = b.n("bulk_c"), b.n("bulk_binding")
    return [
        *speedup(b, "6a", f"bulk {bn} orders, C: sequential -> send_many(8), HTTPS, 20 ms", "c_bulk_seq_https_link",
                 "c_bulk_many8_https_link", 6, wire=False),
        *speedup(b, "6b", f"  PHP, {bb} orders: updateOrder loop -> sendMany(8)", "php_bulk_seq_https_link",
                 "php_bulk_many8_https_link", None, wire=False),
        *speedup(b, "6c", f"  Python, {bb} orders: update_order loop -> send_many(8)", "py_bulk_seq_https_link",
                 "py_bulk_many8_https_link", None, wire=False),
    ]
