"""The Composer package: a fresh project outside the repository requires libspread/spread
from an artifact repository (dist/, offline: packagist.org off) with Debian's composer,
then sends the seed order from the PHP CLI and from a real php-fpm that loads the
installed copy with opcache.preload, with no environment variable and no Rust toolchain."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness.seed import SEED_POST_DATA, php_http_build_query
from support import DIST, REPO_ROOT, VERSION, dist_file, run

SEED_PHP = REPO_ROOT / "tests" / "php" / "Support" / "Seed.php"
FPM_APP = REPO_ROOT / "tests" / "php" / "scripts" / "fpm_app.php"  # FpmPreloadTest's app, reused

# The shop's CLI script: Composer's autoloader, the seed's $post_data, the binding.
SEND_PHP = """<?php
require __DIR__ . '/vendor/autoload.php';
require $argv[2];
$client = new Spread\\Client('PUBLIC_KEY', 'PRIVATE_KEY', ['base_url' => $argv[1]]);
$response = $client->updateOrder(Spread\\Tests\\Support\\Seed::postData());
echo json_encode(['status' => $response->status(), 'library' => Spread\\Library::get()->path]), "\\n";
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory, user_env) -> tuple[Path, dict]:
    """`composer require libspread/spread` in a new project: (project folder, environment)."""
    dist_file(f"libspread-spread-{VERSION}.zip")
    home = tmp_path_factory.mktemp("composer-home")
    env = {**user_env, "COMPOSER_HOME": str(home), "COMPOSER_CACHE_DIR": str(home / "cache"),
           "COMPOSER_NO_INTERACTION": "1", "COMPOSER_ALLOW_SUPERUSER": "1"}
    project = tmp_path_factory.mktemp("shop")
    (project / "composer.json").write_text(json.dumps({
        "name": "example/shop",
        "repositories": [{"type": "artifact", "url": str(DIST)}, {"packagist.org": False}],
    }, indent=4))
    run(["composer", "require", "--no-progress", "libspread/spread"], env=env, cwd=project)
    return project, env


def test_composer_installs_the_released_version(shop):
    project, _env = shop
    assert json.loads((project / "composer.json").read_text())["require"] == {"libspread/spread": f"^{VERSION}"}
    [package] = json.loads((project / "composer.lock").read_text())["packages"]
    assert (package["name"], package["version"], package["dist"]["type"]) == ("libspread/spread", VERSION, "zip")
    installed = project / "vendor" / "libspread" / "spread"
    for name in ("lib/libspread.so", "lib/spread_ffi.h", "src/Client.php", "preload.php"):
        assert (installed / name).is_file(), name


def test_cli_sends_the_seed_order(shop, sb):
    project, env = shop
    (project / "send.php").write_text(SEND_PHP)
    out = run(["php", "send.php", sb.base_url, SEED_PHP], env=env, cwd=project).stdout
    report = json.loads(out)
    assert report == {"status": 200,
                      "library": str((project / "vendor/libspread/spread/lib/libspread.so").resolve())}
    [request] = sb.requests()
    assert request["raw"] == php_http_build_query(SEED_POST_DATA)
    assert sb.state()["orders"]["0000001"]["order_state"] == "10"


# ----------------------------------------------------------------------------- php-fpm

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _php_fpm(env: dict) -> str:
    version = run(["php", "-r", 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;'], env=env).stdout
    for candidate in (f"php-fpm{version}", f"/usr/sbin/php-fpm{version}", "php-fpm"):
        path = shutil.which(candidate, path=env["PATH"] + ":/usr/sbin") if "/" not in candidate else candidate
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail(f"php-fpm is missing (apt-get install php{version}-fpm)")


def test_php_fpm_sends_through_the_preloaded_package(shop, sb, tmp_path):
    """As tests/php/FpmPreloadTest.php, with the Composer-installed copy: PHP's default
    ffi.enable=preload, opcache.preload=vendor/libspread/spread/preload.php; a root master
    needs ffi.preload with the header vendor/bin/spread-ffi-header writes."""
    project, env = shop
    if shutil.which("cgi-fcgi", path=env["PATH"]) is None:
        pytest.fail("cgi-fcgi is missing (apt-get install libfcgi-bin)")
    package = project / "vendor" / "libspread" / "spread"
    ini = {"ffi.enable": "preload", "opcache.enable": "1", "opcache.preload": str(package / "preload.php")}
    root = os.geteuid() == 0
    if root:
        header = tmp_path / "spread_ffi.h"
        run([project / "vendor" / "bin" / "spread-ffi-header", header], env=env, cwd=project)
        assert f'#define FFI_LIB "{(package / "lib" / "libspread.so").resolve()}"' in header.read_text()
        ini |= {"ffi.preload": str(header), "opcache.preload_user": "root"}

    port = _free_port()
    (tmp_path / "fpm.conf").write_text(
        f"[global]\nerror_log = {tmp_path}/fpm.log\ndaemonize = no\n\n"
        f"[app]\nlisten = 127.0.0.1:{port}\npm = static\npm.max_children = 1\ncatch_workers_output = yes\n")
    command = [_php_fpm(env), "-F", "-y", tmp_path / "fpm.conf", *(["-R"] if root else [])]
    for key, value in ini.items():
        command += ["-d", f"{key}={value}"]
    with open(tmp_path / "fpm.out", "wb") as log:
        fpm = subprocess.Popen([str(c) for c in command], env=env, cwd=project, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if fpm.poll() is not None or time.monotonic() > deadline:
                pytest.fail("php-fpm did not start:\n" + (tmp_path / "fpm.out").read_text(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        request_env = {"SCRIPT_FILENAME": str(FPM_APP), "REQUEST_METHOD": "GET", "SANDBOX_URL": sb.base_url,
                       "ORDER_ID": "FPM-COMPOSER", "PATH": env["PATH"]}
        out = run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"], env=request_env, timeout=30).stdout
    finally:
        fpm.send_signal(signal.SIGQUIT)
        try:
            fpm.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fpm.kill()
            fpm.wait()

    headers, _, body = out.partition("\n\n")  # text mode: CGI's \r\n read as \n
    assert "Content-Type: application/json" in headers, out
    report = json.loads(body)
    assert "error" not in report, report
    assert (report["sapi"], report["ffi.enable"], report["status"]) == ("fpm-fcgi", "preload", 200)
    assert report["library"] == "scope:SPREAD"  # the preloaded FFI scope
    assert {"Spread\\Client", "Spread\\Library"} <= set(report["preloaded_classes"])
    assert report["batch"] == [0, 0]
    orders = sb.state()["orders"]
    assert {"FPM-COMPOSER", "FPM-COMPOSER-B1", "FPM-COMPOSER-B2"} <= set(orders)
    assert orders["FPM-COMPOSER"]["order_state"] == "10"
