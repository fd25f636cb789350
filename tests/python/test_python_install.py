"""`pip install ./bindings/python` gives a package that carries libspread: in a fresh
venv, outside the repository and without SPREAD_LIBRARY, `import spread` loads the
bundled library and sends an order to the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from harness import REPO_ROOT

BINDING_DIR = REPO_ROOT / "bindings" / "python"

SEND = textwrap.dedent("""
    import json, sys
    import spread
    base_url = sys.argv[1]
    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=base_url, timeout=10) as client:
        response = client.update_order({
            "customer_email": "installed@example.com", "order_idorder": "INSTALLED-1",
            "order_state": 20, "order_amount": 9.99, "order_crea_dt": "2024-01-01 00:00:00",
        })
    print(json.dumps({"library": str(spread.library_path()), "module": spread.__file__,
                      "status": response.status, "body": response.json()}))
""")


def clean_env(**extra: str) -> dict:
    """The environment without anything that would point Python at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPREAD_LIBRARY", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with `pip install ./bindings/python` done in it, as a user would: its
    pip from ensurepip (python3-venv on Debian), nothing from the system's or the test
    environment's site-packages; pip fetches the build requirement (setuptools) from
    PyPI or its cache."""
    venv = tmp_path_factory.mktemp("install") / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         str(BINDING_DIR)], env=clean_env())
    return venv


def site_packages(venv: Path) -> Path:
    (site,) = venv.glob("lib/python3*/site-packages")
    return site


def test_wheel_is_platform_specific_and_carries_the_library(venv):
    (dist_info,) = site_packages(venv).glob("libspread-*.dist-info")
    wheel = (dist_info / "WHEEL").read_text()
    assert "Root-Is-Purelib: false" in wheel
    assert "Tag: py3-none-linux_" in wheel, wheel
    record = (dist_info / "RECORD").read_text()
    assert "spread/libspread.so," in record and "spread/py.typed," in record


def test_installed_package_loads_the_bundled_library(sb, venv, tmp_path):
    proc = run([str(venv / "bin" / "python"), "-c", SEND, sb.base_url], cwd=tmp_path, env=clean_env())
    result = json.loads(proc.stdout)
    site = str(site_packages(venv))
    assert result["module"].startswith(site), result
    assert result["library"] == f"{site}/spread/libspread.so", result
    assert result["status"] == 200 and result["body"]["order_idorder"] == "INSTALLED-1"
    assert "INSTALLED-1" in sb.state()["orders"]
