"""What a C or C++ program gets from include/spread.h beyond the calls: the
SPREAD_API visibility and SPREAD_WARN_UNUSED_RESULT macros, the spool's counts
in a struct, and app_info in the User-Agent (tests/c/idioms.c)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT, Sandbox
from cbuild import CFLAGS, CRATE_VERSION, compile_program, ensure_soname_link

INCLUDE = REPO_ROOT / "include"
CC = os.environ.get("CC", "cc")


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


def compile_c(source: str, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess:
    path = tmp_path / "unit.c"
    path.write_text(source)
    return subprocess.run([CC, *CFLAGS, f"-I{INCLUDE}", *flags, "-c", str(path), "-o", str(tmp_path / "unit.o")],
                          capture_output=True, text=True, timeout=120)


IGNORES_A_STATUS = """
#include "spread.h"
void configure(SpreadClient *c) { spread_client_set_timeout_ms(c, 5000); }
"""


def test_an_ignored_status_is_a_compiler_warning(tmp_path):
    proc = compile_c(IGNORES_A_STATUS, tmp_path)
    assert proc.returncode != 0, "ignoring spread_client_set_timeout_ms's status compiled without a warning"
    assert "spread_client_set_timeout_ms" in proc.stderr and "unused" in proc.stderr, proc.stderr
    # A program that means it defines the macro empty.
    proc = compile_c(IGNORES_A_STATUS, tmp_path, "-DSPREAD_WARN_UNUSED_RESULT=")
    assert proc.returncode == 0, proc.stderr


def test_an_unchecked_new_object_is_a_compiler_warning(tmp_path):
    proc = compile_c('#include "spread.h"\nvoid leak(void) { spread_order_new(); }\n', tmp_path)
    assert proc.returncode != 0 and "spread_order_new" in proc.stderr, proc.stderr


def test_the_calls_stay_visible_under_hidden_visibility(tmp_path, libspread):
    """A plugin built with its symbols hidden (-fvisibility=hidden and a visibility
    pragma around its includes, as many do) still links against libspread.so: each
    declaration carries SPREAD_API, default visibility."""
    ensure_soname_link(libspread.resolve())
    source = tmp_path / "plugin.c"
    source.write_text(
        '#pragma GCC visibility push(hidden)\n#include "spread.h"\n#pragma GCC visibility pop\n'
        '__attribute__((visibility("default"))) const char *plugin_version(void) { return spread_version(); }\n'
    )
    lib_dir = libspread.resolve().parent
    proc = subprocess.run(
        [CC, *CFLAGS, "-fPIC", "-shared", "-fvisibility=hidden", f"-I{INCLUDE}", str(source), "-o", str(tmp_path / "plugin.so"),
         f"-L{lib_dir}", f"-l:{libspread.name}", f"-Wl,-rpath,{lib_dir}"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(tmp_path / "plugin.so")], capture_output=True, text=True, check=True).stdout
    assert "plugin_version" in symbols


def test_the_macros_can_be_predefined_and_stay_out_of_the_php_header(tmp_path):
    proc = compile_c('#define SPREAD_API\n#define SPREAD_WARN_UNUSED_RESULT\n#include "spread.h"\n'
                     'int f(SpreadClient *c) { return spread_client_set_timeout_ms(c, 1); }\n', tmp_path)
    assert proc.returncode == 0, proc.stderr
    php = (INCLUDE / "spread_ffi.h").read_text()
    assert "SPREAD_API" not in php and "SPREAD_WARN_UNUSED_RESULT" not in php


def test_spool_status_struct_and_app_info(sb: Sandbox, libspread, tmp_path):
    program = compile_program("idioms", tmp_path, libspread)
    spool = tmp_path / "spool"
    proc = subprocess.run([str(program), sb.base_url, closed_port_url(), str(spool)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and " checks, 0 failed" in proc.stdout, proc.stdout + proc.stderr
    assert "pending: 1" in proc.stdout
    agents = [(q["body"].split("order_idorder%5D=")[1].split("&")[0], q["user_agent"]) for q in sb.requests()]
    assert agents == [("ua-1", f"libspread/{CRATE_VERSION} TillShop/1.0"), ("ua-2", f"libspread/{CRATE_VERSION}")]
    assert len(list(spool.glob("*.req"))) == 1
