"""The Python artifacts: the manylinux wheel, pip-installed into a fresh virtualenv outside
the repository without a Rust toolchain, sends the seed order; auditwheel confirms its tag;
the sdist carries the crate."""

from __future__ import annotations

import tarfile
import zipfile

from harness.seed import SEED_POST_DATA, php_http_build_query
from support import DIST_VENV, GLIBC, REPO_ROOT, VERSION, dist_file, run

TAG = f"py3-none-manylinux_{GLIBC.replace('.', '_')}_x86_64"
WHEEL = f"libspread-{VERSION}-{TAG}.whl"


def test_auditwheel_confirms_the_manylinux_tag(user_env):
    out = run([DIST_VENV / "bin" / "auditwheel", "show", dist_file(WHEEL)], env=user_env).stdout
    words = " ".join(out.split())
    assert f'is consistent with the following platform tag: "manylinux_{GLIBC.replace(".", "_")}_x86_64"' in words, out
    with zipfile.ZipFile(dist_file(WHEEL)) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"libspread-{VERSION}.dist-info/WHEEL").decode()
    assert "spread/libspread.so" in names and "spread/__init__.py" in names
    assert f"Tag: {TAG}\n" in metadata and "Root-Is-Purelib: false" in metadata  # platlib: it carries a library


def test_wheel_installs_and_sends_the_seed_order(sb, user_env, tmp_path):
    venv = tmp_path / "venv"
    run(["python3", "-m", "venv", venv], env=user_env, cwd=tmp_path)
    run([venv / "bin" / "pip", "install", "--no-index", "--disable-pip-version-check", dist_file(WHEEL)],
        env=user_env, cwd=tmp_path)
    where = run([venv / "bin" / "python", "-c", "import spread; print(spread.library_path()); print(spread.library_version())"],
                env=user_env, cwd=tmp_path).stdout.split()
    assert where[0].startswith(f"{venv}/lib/") and where[0].endswith("/site-packages/spread/libspread.so"), where
    assert where[1] == VERSION

    # The binding's own example (not on the venv's path: `import spread` is the installed one).
    proc = run([venv / "bin" / "python", REPO_ROOT / "bindings" / "python" / "examples" / "send_seed_order.py",
                sb.base_url], env=user_env, cwd=tmp_path)
    assert proc.stdout.splitlines()[0] == "200", proc.stdout
    [request] = sb.requests()
    assert request["raw"] == php_http_build_query(SEED_POST_DATA)  # the bytes PHP's http_build_query makes
    assert sb.state()["orders"]["0000001"]["order_state"] == "10"


def test_sdist_carries_the_crate():
    with tarfile.open(dist_file(f"libspread-{VERSION}.tar.gz")) as sdist:
        names = set(sdist.getnames())
        pkg_info = sdist.extractfile(f"libspread-{VERSION}/PKG-INFO").read().decode()
    top = f"libspread-{VERSION}"
    for name in ("setup.py", "pyproject.toml", "spread/__init__.py", "spread/_native.py",
                 "crate/Cargo.toml", "crate/Cargo.lock", "crate/build.rs", "crate/src/lib.rs",
                 "crate/src/bin/spread/main.rs", "crate/include/spread.h"):
        assert f"{top}/{name}" in names, name
    assert not any("/target/" in n or n.endswith(".so") for n in names)
    assert f"\nVersion: {VERSION}\n" in pkg_info
