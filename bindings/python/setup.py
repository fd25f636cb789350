"""Builds libspread with cargo and bundles it in the package as spread/<library file>,
so an installed `spread` needs no environment variable.

Run by pip from a checkout of the repository (`pip install ./bindings/python`: the Rust
crate is two levels up; cargo reuses target/, so a rebuild only costs what changed) or
from the sdist, which carries the crate in crate/ (see SdistWithCrate).
`make dist` builds the wheel from a library it built already, portably
(SPREAD_PREBUILT_LIBRARY=<path>): then no cargo runs here.
The metadata lives in pyproject.toml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
# What cargo needs to build the library, relative to the crate root: the sdist carries these.
CRATE_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "src", "include", "benches", "LICENSE"]
SDIST_CRATE = "crate"
# The crate: crate/ inside an sdist, else the checkout this package sits in.
REPO = HERE / SDIST_CRATE if (HERE / SDIST_CRATE / "Cargo.toml").is_file() else HERE.parent.parent
CARGO_TOML = REPO / "Cargo.toml"


def crate_version() -> str:
    """The package is versioned with the library it carries."""
    match = re.search(r'^\[package\][^\[]*?^version\s*=\s*"([^"]+)"', CARGO_TOML.read_text(), re.M | re.S)
    if not match:
        raise SystemExit(f"no [package] version in {CARGO_TOML}")
    return match.group(1)


def cargo_build() -> Path:
    """`cargo build --release` in the repository; the cdylib's path as cargo reports it."""
    cargo = os.environ.get("CARGO") or shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    if not Path(cargo).is_file() and not shutil.which(cargo):
        raise SystemExit("cargo not found: install Rust (rustup) to build libspread")
    proc = subprocess.run(
        [cargo, "build", "--release", "--lib", "--message-format=json-render-diagnostics"],
        cwd=REPO, stdout=subprocess.PIPE, check=False, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"cargo build --release failed ({proc.returncode}); see its messages above")
    for line in proc.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and "cdylib" in msg["target"]["kind"]:
            for name in msg["filenames"]:
                if name.endswith((".so", ".dylib", ".dll")):
                    return Path(name)
    raise SystemExit("cargo built no cdylib for libspread")


class BuildWithLibrary(build_py):
    """build_py, plus the freshly built (or the given prebuilt) libspread copied into the package."""

    def run(self) -> None:
        super().run()
        prebuilt = os.environ.get("SPREAD_PREBUILT_LIBRARY")
        library = Path(prebuilt) if prebuilt else cargo_build()
        if not library.is_file():
            raise SystemExit(f"SPREAD_PREBUILT_LIBRARY={prebuilt}: no such file")
        target = Path(self.build_lib) / "spread" / library.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        target.chmod(0o755)


class BinaryDistribution(Distribution):
    """The package carries a native library: a platform wheel, installed in platlib."""

    def has_ext_modules(self) -> bool:
        return True


class SdistWithCrate(sdist):
    """sdist, plus the Rust crate in crate/, so `pip install libspread-X.tar.gz` builds it where cargo exists."""

    def make_release_tree(self, base_dir: str, files: list) -> None:
        super().make_release_tree(base_dir, files)
        for name in CRATE_FILES:
            source, target = REPO / name, Path(base_dir) / SDIST_CRATE / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("target", "__pycache__"))
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


cmdclass = {"build_py": BuildWithLibrary, "sdist": SdistWithCrate}

try:  # setuptools >= 70.1 has bdist_wheel; older ones get it from `wheel` (pip provides it)
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    try:
        from wheel.bdist_wheel import bdist_wheel
    except ImportError:
        bdist_wheel = None

if bdist_wheel is not None:

    class PlatformWheel(bdist_wheel):
        """Tagged py3-none-<platform>: ctypes loads the library, so any Python 3 fits."""

        def get_tag(self) -> tuple:
            return ("py3", "none", super().get_tag()[2])

    cmdclass["bdist_wheel"] = PlatformWheel

if not CARGO_TOML.is_file():
    raise SystemExit(f"{CARGO_TOML} not found: build the Python package from a libspread checkout")

setup(version=crate_version(), cmdclass=cmdclass, distclass=BinaryDistribution)
