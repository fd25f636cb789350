"""Helpers of the release-artifact tests: where `make dist` put the artifacts, a user's
environment without cargo or rustc, and the till examples built and run against an
installed libspread (the tarball's tree, or the Debian packages)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from harness import REPO_ROOT, Sandbox

DIST = REPO_ROOT / "dist"
DIST_VENV = REPO_ROOT / ".venv-dist"
VERSION = subprocess.run(["sh", str(REPO_ROOT / "scripts" / "version.sh")], capture_output=True, text=True,
                         check=True).stdout.strip()
MAJOR = VERSION.split(".")[0]
GLIBC = "2.17"  # what scripts/dist.sh builds for
EXAMPLES = REPO_ROOT / "examples"
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]


def dist_file(name: str) -> Path:
    path = DIST / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make dist`")
    return path


def run(cmd, *, env: dict, cwd: Path | None = None, timeout: float = 300, check: bool = True):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# Variables that would point a program at this checkout, a toolchain or another library.
_DROPPED = ("CARGO", "RUST", "SPREAD_", "VIRTUAL_ENV", "PYTHON", "LD_", "PKG_CONFIG", "CMAKE_", "COMPOSER",
            "PHP_INI", "MAKE", "MFLAGS")
_RUST_TOOLS = ("cargo", "rustc", "rustup")


def user_environment() -> dict:
    """This process's environment as a user without Rust has it: no folder of PATH holds
    cargo, rustc or rustup (~/.cargo/bin goes), and nothing points at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    env["PATH"] = os.pathsep.join(
        d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if d and not any(os.access(os.path.join(d, tool), os.X_OK) for tool in _RUST_TOOLS))
    probe = subprocess.run(["sh", "-c", "command -v cargo || command -v rustc"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0, f"a Rust toolchain is still on PATH: {probe.stdout}"
    return env


def assert_cli_counts_an_empty_spool(spread: str | Path, env: dict, tmp: Path) -> None:
    """`spread status` as a cron job's health check runs it: a spool folder made first,
    the keys in the environment (they say which entries are this shop's)."""
    spool = tmp / "spool"
    spool.mkdir(mode=0o700)
    keys = {**env, "SPREAD_PUBLIC_KEY": "dist-public", "SPREAD_PRIVATE_KEY": "dist-private"}
    out = run([spread, "status", "--spool", spool], env=keys).stdout
    assert out.startswith("pending 0, foreign 0,"), out


def glibc_needed(*elf_files: Path) -> str:
    """The newest GLIBC_x.y symbol version that the files need."""
    out = run(["readelf", "-V", "--wide", *elf_files], env=user_environment()).stdout
    versions = set(re.findall(r"Name: GLIBC_([0-9.]+)", out))
    return max(versions, key=lambda v: tuple(map(int, v.split("."))))


# ----------------------------------------------------------------------------- the tills

def build_tills(out: Path, env: dict, *, rpath: bool, cmake_prefix: Path | None) -> dict[str, Path]:
    """examples/till.c and till.cpp against the libspread that pkg-config (as `env` sets it up)
    and CMake's find_package(spread) find: name -> executable."""
    built = {}
    flags = run(["pkg-config", "--cflags", "--libs", "spread"], env=env).stdout.split()
    if rpath:  # a tree outside the loader's paths
        flags.append("-Wl,-rpath," + run(["pkg-config", "--variable=libdir", "spread"], env=env).stdout.strip())
    for name, compiler, std, source in (("pkgconfig_c", "cc", "-std=c11", "till.c"),
                                        ("pkgconfig_cpp", "c++", "-std=c++17", "till.cpp")):
        run([compiler, std, *WARNINGS, EXAMPLES / source, *flags, "-o", out / name], env=env)
        built[name] = out / name

    build = out / "cmake"
    configure = ["cmake", "-S", EXAMPLES, "-B", build, "-DCMAKE_BUILD_TYPE=Release"]
    if cmake_prefix is not None:
        configure.append(f"-DCMAKE_PREFIX_PATH={cmake_prefix}")
    run(configure, env=env)
    run(["cmake", "--build", build, "-j2"], env=env)
    for name, target in (("cmake_c", "till"), ("cmake_cpp", "till_cpp"),
                         ("cmake_c_static", "till_static"), ("cmake_cpp_static", "till_cpp_static")):
        built[name] = build / target
    return built


def assert_till_delivers(binary: Path, sb: Sandbox, spool: Path, env: dict, libdir: Path | None) -> None:
    """The afternoon shift of examples/till.c against the sandbox: both sales delivered.
    libdir: where the loader must have found libspread.so.MAJOR (None: linked statically)."""
    proc = run([binary, sb.base_url, spool, "afternoon"], env={**env, "LD_DEBUG": "libs"}, timeout=60)
    assert proc.stdout.splitlines() == [
        f"libspread {VERSION}, afternoon shift",
        "flush: 0 delivered, 0 waiting",
        "sale T-1003: delivered (HTTP 200)",
        "sale T-1004: delivered (HTTP 200)",
        "closing: 0 order(s) waiting for SPREAD",
    ], proc.stdout + proc.stderr
    # The loader's own word on which file it ran (the folder as found: through ../ or /lib).
    loaded = [Path(p) for p in re.findall(r"calling init: (\S*libspread\S*)", proc.stderr)]
    if libdir is None:
        assert loaded == []
    else:
        assert [(p.parent.resolve(), p.name) for p in loaded] == [(libdir.resolve(), f"libspread.so.{MAJOR}")], loaded
    received = [parse_qs(q["raw"].decode())["data[order_idorder]"][0] for q in sb.requests()]
    assert received == ["T-1003", "T-1004"]
    assert {o["order_state"] for o in sb.state()["orders"].values()} == {"20"}
