"""The C/C++ tarball: SHA256SUMS verifies; unpacked in a temporary folder (no install, no
root), the till examples build through its relocatable spread.pc and its CMake package,
run, and send to the sandbox; its libraries need nothing newer than glibc 2.17."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import (DIST, GLIBC, MAJOR, VERSION, assert_cli_counts_an_empty_spool, assert_till_delivers, build_tills, dist_file, glibc_needed, run)

TARBALL = f"libspread-{VERSION}-x86_64-linux-gnu.tar.gz"


def test_sha256sums_verify_every_artifact(user_env):
    listed = sorted(line.split()[1] for line in dist_file("SHA256SUMS").read_text().splitlines())
    assert listed == sorted(p.name for p in DIST.iterdir() if p.name != "SHA256SUMS")
    assert TARBALL in listed
    run(["sha256sum", "--check", "--strict", "SHA256SUMS"], env=user_env, cwd=DIST)


@pytest.fixture(scope="module")
def tree(tmp_path_factory, user_env) -> Path:
    """The tarball unpacked, as a user does: the folder libspread-V-x86_64-linux-gnu/."""
    where = tmp_path_factory.mktemp("unpacked")
    run(["tar", "-xzf", dist_file(TARBALL), "-C", where], env=user_env)
    [root] = where.iterdir()
    assert root.name == f"libspread-{VERSION}-x86_64-linux-gnu"
    return root


def test_layout(tree, user_env):
    lib = tree / "lib"
    files = {str(p.relative_to(tree)) for p in tree.rglob("*") if not p.is_dir()}
    assert files - {"LICENSE"} == {
        "bin/spread", "include/spread.h", "include/spread.hpp",
        f"lib/libspread.so.{VERSION}", f"lib/libspread.so.{MAJOR}", "lib/libspread.so", "lib/libspread.a",
        "lib/pkgconfig/spread.pc", "lib/cmake/spread/spreadConfig.cmake", "lib/cmake/spread/spreadConfigVersion.cmake",
        "lib/systemd/system/spread-flush.service", "lib/systemd/system/spread-flush.timer", "lib/tmpfiles.d/spread.conf",
    }
    # No absolute path fits a tree unpacked anywhere: the unit names the usual place (docs/operations.md).
    assert "ExecStart=/usr/local/bin/spread flush" in (lib / "systemd" / "system" / "spread-flush.service").read_text()
    assert os.readlink(lib / f"libspread.so.{MAJOR}") == f"libspread.so.{VERSION}"
    assert os.readlink(lib / "libspread.so") == f"libspread.so.{VERSION}"
    dynamic = run(["readelf", "-d", lib / f"libspread.so.{VERSION}"], env=user_env).stdout
    assert f"Library soname: [libspread.so.{MAJOR}]" in dynamic
    # Portable: built against glibc 2.17's symbols, and no path of the build machine inside.
    assert glibc_needed(lib / f"libspread.so.{VERSION}", tree / "bin" / "spread") == GLIBC
    pc = (lib / "pkgconfig" / "spread.pc").read_text()
    assert pc.startswith("prefix=${pcfiledir}/../..\n")
    for config in (lib / "cmake" / "spread").iterdir():
        assert "/tmp" not in config.read_text() and "/usr" not in config.read_text()


def test_cli_runs(tree, user_env, tmp_path):
    assert_cli_counts_an_empty_spool(tree / "bin" / "spread", user_env, tmp_path)


@pytest.fixture(scope="module")
def tills(tree, user_env, tmp_path_factory) -> dict[str, Path]:
    env = {**user_env, "PKG_CONFIG_PATH": str(tree / "lib" / "pkgconfig")}
    assert run(["pkg-config", "--modversion", "spread"], env=env).stdout.strip() == VERSION
    return build_tills(tmp_path_factory.mktemp("tills"), env, rpath=True, cmake_prefix=tree)


@pytest.mark.parametrize("variant", ["pkgconfig_c", "pkgconfig_cpp", "cmake_c", "cmake_cpp",
                                     "cmake_c_static", "cmake_cpp_static"])
def test_till_built_against_the_tarball_sends(tills, tree, variant, sb, user_env, tmp_path):
    libdir = None if variant.endswith("_static") else tree / "lib"
    assert_till_delivers(tills[variant], sb, tmp_path / "spool", user_env, libdir)
