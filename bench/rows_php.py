"""PHP: the seed's curl block (bench/seed_curl.php) against the PHP binding
(bench/binding.php), on loopback (rows 1a-1c) and over the 20 ms link (rows 5a-5e).
5e: a new process's first client loads the host's CA store (issue 16), even with
ca_file set; the same cold sends with a one-certificate store show what that costs."""

from __future__ import annotations

from measure import Bench
from report import Row, speedup
from servers import PRIVATE_KEY, PUBLIC_KEY


def measure_loopback(b: Bench) -> None:
    for scheme in ("https", "http"):
        url, ca = b.url[(scheme, "lo")], str(b.ca) if scheme == "https" else None
        seed = b.add(f"php_seed_{scheme}_lo", lambda url=url, ca=ca, scheme=scheme: b.php("seed_curl.php", {
            "url": url + "/updateOrder", "userpwd": f"{PUBLIC_KEY}:{PRIVATE_KEY}", "cainfo": ca,
            "n": b.n(f"seed_{scheme}"), "warmup": 1}))
        group = [seed, b.add(f"php_binding_{scheme}_lo", lambda url=url, ca=ca: b.php("binding.php", {
            "base_url": url, "ca_file": ca, "n": b.n("binding"), "warmup": 1, "mode": "reuse"}))]
        if scheme == "https":
            group.append(b.add("php_binding_per_client_https_lo", lambda url=url, ca=ca: b.php("binding.php", {
                "base_url": url, "ca_file": ca, "n": b.n("binding_per_client"), "warmup": 1,
                "mode": "per_order_client"})))
        b.measure(group, b.n("rounds_loopback"), f"1 PHP {scheme} loopback")


def measure_link(b: Bench) -> None:
    for scheme in ("http", "https"):
        url, ca = b.url[(scheme, "link")], str(b.ca) if scheme == "https" else None

        def cold(url: str = url, ca: str | None = ca, env: dict | None = None) -> tuple[float, int]:
            # A new process per order: no kept connection (a shop whose orders are
            # further apart than the server's keep-alive timeout).
            n = b.n("link_cold")
            total = sum(b.php("binding.php", {"base_url": url, "ca_file": ca, "n": 1, "warmup": 0,
                                                 "mode": "reuse"}, env=env)[0] for _ in range(n))
            return total / n, n

        group = [
            b.add(f"php_seed_{scheme}_link", lambda url=url, ca=ca: b.php("seed_curl.php", {
                "url": url + "/updateOrder", "userpwd": f"{PUBLIC_KEY}:{PRIVATE_KEY}", "cainfo": ca,
                "n": b.n("link_seed"), "warmup": 1})),
            b.add(f"php_binding_{scheme}_link", lambda url=url, ca=ca: b.php("binding.php", {
                "base_url": url, "ca_file": ca, "n": b.n("link_binding"), "warmup": 1, "mode": "reuse"})),
            b.add(f"php_binding_cold_{scheme}_link", cold),
        ]
        if scheme == "https":
            # Where OpenSSL (and rustls-native-certs) look: a file holding the test CA, an empty folder.
            (one_ca := b.tmp / "one-ca-store").mkdir(exist_ok=True)
            group.append(b.add("php_binding_cold_https_link_one_ca", lambda: cold(env={
                "SSL_CERT_FILE": str(b.ca), "SSL_CERT_DIR": str(one_ca)})))
        b.measure(group, b.n("rounds_link"), f"5 PHP {scheme} over the 20 ms link")


def rows(b: Bench) -> list[Row]:
    return [
        *speedup(b, "1a", "PHP seed curl block -> PHP binding, HTTPS, loopback", "php_seed_https_lo",
                 "php_binding_https_lo", 10),
        *speedup(b, "1b", "PHP seed curl block -> PHP binding, HTTP, loopback", "php_seed_http_lo",
                 "php_binding_http_lo", 2.5),
        *speedup(b, "1c", "  same, new Spread\\Client per order (php-fpm style), HTTPS", "php_seed_https_lo",
                 "php_binding_per_client_https_lo", None),
        *speedup(b, "5a", "PHP seed curl block -> PHP binding, HTTP, 20 ms link", "php_seed_http_link",
                 "php_binding_http_link", 2.7),
        *speedup(b, "5b", "PHP seed curl block -> PHP binding, HTTPS, 20 ms link", "php_seed_https_link",
                 "php_binding_https_link", 3.5),
        *speedup(b, "5c", "  binding cold (new process+connection per order), HTTP", "php_seed_http_link",
                 "php_binding_cold_http_link", None),
        *speedup(b, "5d", "  binding cold (new process+connection per order), HTTPS", "php_seed_https_link",
                 "php_binding_cold_https_link", None),
        *speedup(b, "5e", "    5d with a one-certificate host CA store: what loading the store costs", "php_binding_cold_https_link",
                 "php_binding_cold_https_link_one_ca", None),
    ]
