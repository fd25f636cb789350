"""Python: `requests` (bench/py_requests.py), per order and with a kept Session,
against the Python binding (bench/py_binding.py), on loopback (rows 2a-2c)."""

from __future__ import annotations

from measure import Bench
from report import Row, speedup


def measure(b: Bench) -> None:
    try:
        import requests  # noqa: F401
        missing = None
    except ImportError:
        missing = "requests is not installed (pip install requests)"
    for scheme in ("http", "https"):
        url, ca = b.url[(scheme, "lo")], str(b.ca) if scheme == "https" else None
        group = [
            b.add(f"py_requests_post_{scheme}_lo", lambda url=url, ca=ca: b.py("py_requests.py", {
                "url": url + "/updateOrder", "ca_file": ca, "n": b.n("requests_post"), "warmup": 1,
                "mode": "post"}), skipped=missing),
            b.add(f"py_binding_{scheme}_lo", lambda url=url, ca=ca: b.py("py_binding.py", {
                "base_url": url, "ca_file": ca, "n": b.n("py_binding"), "warmup": 1, "mode": "reuse"})),
        ]
        if scheme == "http":
            group.append(b.add("py_requests_session_http_lo", lambda url=url: b.py("py_requests.py", {
                "url": url + "/updateOrder", "n": b.n("requests_session"), "warmup": 1,
                "mode": "session"}), skipped=missing))
        b.measure(group, b.n("rounds_loopback"), f"2 Python {scheme} loopback")


def rows(b: Bench) -> list[Row]:
    return [
        *speedup(b, "2a", "Python requests.post per order -> Python binding, HTTP, lo", "py_requests_post_http_lo",
                 "py_binding_http_lo", None),
        *speedup(b, "2b", "Python requests.post per order -> Python binding, HTTPS, lo", "py_requests_post_https_lo",
                 "py_binding_https_lo", None),
        *speedup(b, "2c", "  requests.Session (kept connection) -> binding, HTTP, lo", "py_requests_session_http_lo",
                 "py_binding_http_lo", None),
    ]
