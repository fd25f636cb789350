"""The Debian packages: their control data; `apt-get install ./libspread0_*.deb
./libspread-dev_*.deb` (root, as CI runs); the till examples built with plain
`pkg-config spread` and `find_package(spread)`, run and sending to the sandbox; the CLI on
PATH; and `apt-get purge` leaving nothing behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support import GLIBC, MAJOR, VERSION, assert_cli_counts_an_empty_spool, assert_till_delivers, build_tills, dist_file, run

RUNTIME, DEV = f"libspread{MAJOR}", "libspread-dev"
DEBS = {name: f"{name}_{VERSION}_amd64.deb" for name in (RUNTIME, DEV)}
LIBDIR = Path("/usr/lib/x86_64-linux-gnu")
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]  # other apt users may hold the lock a while


def control(package: str) -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "--field", dist_file(DEBS[package])], capture_output=True, text=True,
                         check=True).stdout
    fields, key = {}, None
    for line in out.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def test_control_fields():
    runtime, dev = control(RUNTIME), control(DEV)
    for fields, package, section in ((runtime, RUNTIME, "libs"), (dev, DEV, "libdevel")):
        assert (fields["Package"], fields["Version"], fields["Architecture"], fields["Section"]) == \
            (package, VERSION, "amd64", section)
        assert "<" in fields["Maintainer"] and fields["Maintainer"].endswith(">")
        assert fields["Description"].count("\n") >= 2  # a synopsis and a long description
        assert int(fields["Installed-Size"]) > 0
    assert runtime["Depends"] == f"libc6 (>= {GLIBC})"
    assert dev["Depends"] == f"{RUNTIME} (= {VERSION})"


def test_control_files():
    members = subprocess.run(["dpkg-deb", "--ctrl-tarfile", dist_file(DEBS[RUNTIME])], capture_output=True,
                             check=True).stdout
    names = subprocess.run(["tar", "-t"], input=members, capture_output=True, check=True).stdout.decode().split()
    assert {"./control", "./md5sums", "./triggers", "./shlibs"} <= set(names)
    triggers = subprocess.run(["dpkg-deb", "--info", dist_file(DEBS[RUNTIME]), "triggers"], capture_output=True,
                              text=True, check=True).stdout
    assert triggers.strip() == "activate-noawait ldconfig"


def test_the_runtime_package_carries_the_systemd_units(tmp_path):
    listing = subprocess.run(["dpkg-deb", "--contents", dist_file(DEBS[RUNTIME])], capture_output=True, text=True,
                             check=True).stdout
    for path in ("./usr/lib/systemd/system/spread-flush.service", "./usr/lib/systemd/system/spread-flush.timer",
                 "./usr/lib/tmpfiles.d/spread.conf", "./usr/bin/spread", f"./usr/share/doc/{RUNTIME}/README.md",
                 f"./usr/share/doc/{RUNTIME}/docs/operations.md"):
        assert path in listing, listing
    subprocess.run(["dpkg-deb", "-x", dist_file(DEBS[RUNTIME]), tmp_path], check=True)
    units = tmp_path / "usr/lib/systemd/system"
    assert "ExecStart=/usr/bin/spread flush" in (units / "spread-flush.service").read_text()
    # systemd-analyze checks ExecStart's program exists: point it at the unpacked one.
    for unit in ("spread-flush.service", "spread-flush.timer"):
        text = (units / unit).read_text().replace("/usr/bin/spread", str(tmp_path / "usr/bin/spread"))
        (tmp_path / unit).write_text(text)
    out = subprocess.run(["systemd-analyze", "verify", tmp_path / "spread-flush.service", tmp_path / "spread-flush.timer"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr


@pytest.fixture(scope="module")
def installed(user_env):
    if os.geteuid() != 0:
        pytest.skip("apt-get install needs root (CI runs as root)")
    env = {**user_env, "DEBIAN_FRONTEND": "noninteractive"}
    debs = [f"./{DEBS[p]}" for p in (RUNTIME, DEV)]
    run([*APT, "install", "--no-install-recommends", *debs], env=env, cwd=dist_file(DEBS[RUNTIME]).parent)
    try:
        yield env
    finally:
        run([*APT, "purge", RUNTIME, DEV], env=env)
    for path in (LIBDIR / f"libspread.so.{MAJOR}", LIBDIR / "libspread.so", Path("/usr/bin/spread"),
                 Path("/usr/include/spread.h"), LIBDIR / "pkgconfig" / "spread.pc", LIBDIR / "cmake" / "spread"):
        assert not os.path.lexists(path), f"{path} is left after the purge"
    assert "libspread" not in run(["ldconfig", "-p"], env=env).stdout  # the trigger ran again


def test_installed_files_verify_and_the_loader_knows_the_library(installed):
    # dpkg --verify checks every installed file against the package's md5sums.
    assert run(["dpkg", "--verify", RUNTIME, DEV], env=installed).stdout == ""
    cache = run(["ldconfig", "-p"], env=installed).stdout  # refreshed by the ldconfig trigger
    assert f"libspread.so.{MAJOR} (libc6,x86-64) => " in cache


def test_cli_on_path(installed, tmp_path):
    assert run(["sh", "-c", "command -v spread"], env=installed).stdout.strip() == "/usr/bin/spread"
    assert_cli_counts_an_empty_spool("spread", installed, tmp_path)


@pytest.fixture(scope="module")
def tills(installed, tmp_path_factory) -> dict[str, Path]:
    """The tills built with plain `pkg-config spread` and find_package(spread): no paths given."""
    assert run(["pkg-config", "--modversion", "spread"], env=installed).stdout.strip() == VERSION
    assert run(["pkg-config", "--libs", "spread"], env=installed).stdout.split() == ["-lspread"]
    return build_tills(tmp_path_factory.mktemp("tills"), installed, rpath=False, cmake_prefix=None)


@pytest.mark.parametrize("variant", ["pkgconfig_c", "pkgconfig_cpp", "cmake_c", "cmake_cpp",
                                     "cmake_c_static", "cmake_cpp_static"])
def test_till_built_against_the_packages_sends(tills, installed, variant, sb, tmp_path):
    libdir = None if variant.endswith("_static") else LIBDIR
    assert_till_delivers(tills[variant], sb, tmp_path / "spool", installed, libdir)
