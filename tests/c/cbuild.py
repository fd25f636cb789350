"""Compiles the C test programs of tests/c with the system compiler against
include/spread.h and libspread (shared, with an rpath, or the static archive)."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

C_DIR = Path(__file__).resolve().parent
REPO_ROOT = C_DIR.parents[1]
# What spread_version() and the User-Agent must say.
CRATE_VERSION = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())["package"]["version"]
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-g", "-O1"]


def soname(library: Path) -> str | None:
    """The SONAME of a shared library (readelf), or None when it has none."""
    out = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return match.group(1) if match else None


def ensure_soname_link(library: Path) -> None:
    """A program linked against libspread.so records its SONAME (libspread.so.0) and the
    loader looks for that name: next to a bare cargo build it is missing, so link it."""
    name = soname(library)
    link = library.parent / name if name else None
    if link is None or name == library.name or os.path.lexists(link):
        return
    try:
        link.symlink_to(library.name)
    except FileExistsError:  # made meanwhile by another test run
        pass


def compile_program(name: str, out_dir: Path, library: Path, static: bool = False) -> Path:
    """tests/c/<name>.c + common.c -> out_dir/<name>[_static]; raises with the compiler's output."""
    out = out_dir / (f"{name}_static" if static else name)
    if static:
        archive = library.parent / "libspread.a"
        if not archive.exists():
            archive = REPO_ROOT / "target" / "release" / "libspread.a"
        # What Rust's std needs from the C runtime when linked statically.
        link = [str(archive), "-lpthread", "-ldl", "-lm"]
    else:
        ensure_soname_link(library.resolve())
        lib_dir = library.resolve().parent
        link = [f"-L{lib_dir}", f"-l:{library.name}", f"-Wl,-rpath,{lib_dir}", "-lpthread", "-lm"]
    cmd = [os.environ.get("CC", "cc"), *CFLAGS, f"-I{REPO_ROOT / 'include'}", f"-I{C_DIR}",
           str(C_DIR / "common.c"), str(C_DIR / f"{name}.c"), "-o", str(out), *link]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"compiling {name} failed:\n{' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return out
