"""libspread as C and C++ developers get it: `make install` into a temporary
prefix (layout, SONAME, spread.pc, the CMake package), the till examples
built against that tree with pkg-config and with CMake, dynamically and
statically, and run through an outage against the sandbox; and the C++
wrapper (include/spread.hpp) through tests/cpp/wrapper.cpp under valgrind."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from harness import REPO_ROOT, Sandbox
from harness.seed import SEED_BODY_FILE
from harness.tunnel import Tunnel
from cbuild import CRATE_VERSION, soname  # tests/c (conftest.py puts it on sys.path)

MAJOR = CRATE_VERSION.split(".")[0]
EXAMPLES = REPO_ROOT / "examples"
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
VALGRIND = ["valgrind", "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=1"]
SALES = {  # examples/till.c and till.cpp: receipt -> (shift, amount, product attributes)
    "T-1001": ("morning", "24.90", ["type:coffee beans", "size:1kg"]),
    "T-1002": ("morning", "7.50", ["type:croissant"]),
    "T-1003": ("afternoon", "158.31", ["type:grinder", "color:black"]),
    "T-1004": ("afternoon", "3.20", ["type:espresso"]),
}

TOOLS = ("make", "cc", "c++", "pkg-config", "cmake", "readelf", "ldd", "valgrind")


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Real tools only: a missing one fails (`make setup` installs them), it is not skipped."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: apt-get install cmake pkg-config g++ valgrind")


def run(cmd, *, env: dict | None = None, cwd: Path | None = None, timeout: float = 120, check: bool = True):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def clean_env(**extra: str) -> dict:
    """The environment without what could point a program or a nested make elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PKG_CONFIG_PATH")}
    env.update(extra)
    return env


def make(*args: str):
    return run(["make", "-s", *args], cwd=REPO_ROOT, env=clean_env(), timeout=900)


def closed_port_url() -> str:
    with socket.socket() as s:  # bound then released: nothing listens there for the next moments
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api"


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


INSTALLED = {
    "bin/spread", "include/spread.h", "include/spread.hpp",
    f"lib/libspread.so.{CRATE_VERSION}", f"lib/libspread.so.{MAJOR}", "lib/libspread.so", "lib/libspread.a",
    "lib/pkgconfig/spread.pc", "lib/cmake/spread/spreadConfig.cmake", "lib/cmake/spread/spreadConfigVersion.cmake",
    # The flush's systemd units and its tmpfiles.d line (docs/operations.md).
    "lib/systemd/system/spread-flush.service", "lib/systemd/system/spread-flush.timer", "lib/tmpfiles.d/spread.conf",
}


@pytest.fixture(scope="module")
def prefix(tmp_path_factory, libspread) -> Path:
    """`make install PREFIX=<tmp>`: what a developer's /usr/local would hold."""
    prefix = tmp_path_factory.mktemp("install") / "prefix"
    make("install", f"PREFIX={prefix}")
    return prefix


def pkg_config(prefix: Path, *args: str) -> str:
    env = clean_env(PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    return run(["pkg-config", *args, "spread"], env=env).stdout.strip()


# ----------------------------------------------------------------------------- the installed tree

def test_layout_soname_and_symlinks(prefix):
    assert files_under(prefix) == INSTALLED
    lib = prefix / "lib"
    real = lib / f"libspread.so.{CRATE_VERSION}"
    assert real.is_file() and not real.is_symlink()
    assert os.readlink(lib / f"libspread.so.{MAJOR}") == real.name
    assert os.readlink(lib / "libspread.so") == real.name
    assert soname(real) == f"libspread.so.{MAJOR}"  # set at link time by build.rs
    for header in ("spread.h", "spread.hpp"):
        assert (prefix / "include" / header).read_bytes() == (REPO_ROOT / "include" / header).read_bytes()
    archive_members = run(["ar", "t", lib / "libspread.a"]).stdout
    assert ".o" in archive_members
    symbols = run(["nm", "-D", "--defined-only", real]).stdout
    assert re.search(r"\bT spread_send\b", symbols) and re.search(r"\bT spread_version\b", symbols)


def spread_status(prefix: Path, spool: Path, base_url: str = "https://social-sb.com/api") -> str:
    """`spread status` as cron or a monitor runs it: the public key names the destination."""
    env = clean_env(SPREAD_PUBLIC_KEY="PUBLIC_KEY")
    return run([prefix / "bin" / "spread", "status", "--spool", spool, "--base-url", base_url], env=env).stdout


def test_installed_cli_runs(prefix, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir(mode=0o700)
    assert spread_status(prefix, spool).startswith("pending 0,")


def test_pkg_config_file(prefix):
    assert pkg_config(prefix, "--modversion") == CRATE_VERSION
    assert pkg_config(prefix, "--variable=prefix") == str(prefix)
    assert pkg_config(prefix, "--cflags") == f"-I{prefix}/include"
    assert pkg_config(prefix, "--libs") == f"-L{prefix}/lib -lspread"
    static = pkg_config(prefix, "--static", "--libs").split()
    assert static[:2] == [f"-L{prefix}/lib", "-lspread"] and {"-lpthread", "-ldl", "-lm"} <= set(static[2:])
    pc = (prefix / "lib" / "pkgconfig" / "spread.pc").read_text()
    assert re.search(r"^Libs\.private: .*-lpthread", pc, re.M)
    assert "libdir=${prefix}/lib" in pc  # relocatable with pkg-config --define-prefix


@pytest.mark.parametrize(("requested", "compatible", "exact"), [
    (CRATE_VERSION, True, True),
    (f"{MAJOR}.0", True, False),
    (f"{int(MAJOR) + 1}.0", False, False),  # a later major may break the ABI
    ("9999.0", False, False),
])
def test_cmake_version_file(prefix, tmp_path, requested, compatible, exact):
    major = requested.split(".")[0]
    script = tmp_path / "check.cmake"
    script.write_text(
        f'set(PACKAGE_FIND_VERSION "{requested}")\nset(PACKAGE_FIND_VERSION_MAJOR "{major}")\n'
        f'include("{prefix}/lib/cmake/spread/spreadConfigVersion.cmake")\n'
        'message("${PACKAGE_VERSION} compatible=${PACKAGE_VERSION_COMPATIBLE} exact=${PACKAGE_VERSION_EXACT}")\n'
    )
    out = run(["cmake", "-P", script]).stderr.strip()
    assert out == f"{CRATE_VERSION} compatible={'TRUE' if compatible else 'FALSE'} exact={'TRUE' if exact else ''}"


def test_destdir_stages_and_uninstall_removes_everything(tmp_path):
    stage, final = tmp_path / "stage", "/opt/spread-test"
    make("install", f"DESTDIR={stage}", f"PREFIX={final}")
    root = stage / final.lstrip("/")
    assert files_under(root) == INSTALLED
    assert not Path(final).exists()  # nothing written outside DESTDIR
    pc = (root / "lib" / "pkgconfig" / "spread.pc").read_text()
    assert f"prefix={final}\n" in pc  # the files name where they will live, not the stage
    make("uninstall", f"DESTDIR={stage}", f"PREFIX={final}")
    assert files_under(stage) == set()
    assert not (root / "lib" / "cmake" / "spread").exists()


# ----------------------------------------------------------------------------- the tills, built four ways

@pytest.fixture(scope="module")
def tills(prefix, tmp_path_factory) -> dict[str, Path]:
    """examples/till.c and till.cpp against the installed tree: name -> executable."""
    out = tmp_path_factory.mktemp("tills")
    env = clean_env(PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    flags = pkg_config(prefix, "--cflags", "--libs").split()
    static_flags = pkg_config(prefix, "--cflags", "--libs", "--static").split()
    rpath = f"-Wl,-rpath,{pkg_config(prefix, '--variable=libdir')}"
    built = {}
    for lang, compiler, std, source in (("c", "cc", "-std=c11", "till.c"), ("cpp", "c++", "-std=c++17", "till.cpp")):
        dyn, static = out / f"pkgconfig_{lang}", out / f"pkgconfig_{lang}_static"
        run([compiler, std, *WARNINGS, EXAMPLES / source, *flags, rpath, "-o", dyn], env=env)
        # pkg-config --static is for a fully static link: its Libs.private complete it.
        run([compiler, "-static", std, *WARNINGS, EXAMPLES / source, *static_flags, "-o", static], env=env)
        built[dyn.name], built[static.name] = dyn, static

    build = out / "cmake"
    cflags = " ".join(WARNINGS)
    run(["cmake", "-S", EXAMPLES, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_C_FLAGS={cflags}", f"-DCMAKE_CXX_FLAGS={cflags}"], env=env)
    run(["cmake", "--build", build, "-j2"], env=env, timeout=300)
    for name, target in (("cmake_c", "till"), ("cmake_cpp", "till_cpp"),
                         ("cmake_c_static", "till_static"), ("cmake_cpp_static", "till_cpp_static")):
        built[name] = build / target
    return built


VARIANTS = ["pkgconfig_c", "pkgconfig_cpp", "pkgconfig_c_static", "pkgconfig_cpp_static",
            "cmake_c", "cmake_cpp", "cmake_c_static", "cmake_cpp_static"]


def needed(binary: Path) -> list[str]:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", binary]).stdout)


def till(binary: Path, sb: Sandbox, spool: Path, shift: str, **env: str):
    return run([binary, sb.base_url, spool, shift], env=clean_env(**env), timeout=60)


def order_id(request: dict) -> str:
    return parse_qs(request["raw"].decode())["data[order_idorder]"][0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_till_keeps_sales_through_an_outage(sb, prefix, tills, tmp_path, variant):
    binary = tills[variant]
    lib = prefix / "lib"
    if variant.endswith("_static"):
        assert not any("spread" in name for name in needed(binary))  # libspread.a is inside
    else:
        # Linked against the installed tree, by SONAME, found through the RUNPATH.
        assert f"libspread.so.{MAJOR}" in needed(binary)
        assert str(lib) in run(["readelf", "-d", binary]).stdout.split("RUNPATH", 1)[1].split("\n", 1)[0]
        ldd = run(["ldd", binary], env=clean_env()).stdout
        assert re.search(rf"libspread\.so\.{MAJOR} => {re.escape(str(lib))}/libspread\.so\.{MAJOR} ", ldd), ldd

    spool = tmp_path / "spool"
    # Morning: SPREAD is down (503 on every request); the sales are kept.
    sb.fault(mode="status", code=503)
    morning = till(binary, sb, spool, "morning")
    assert morning.stdout.splitlines() == [
        f"libspread {CRATE_VERSION}, morning shift",  # spread_version() is the crate's
        "flush: 0 delivered, 0 waiting",
        "sale T-1001: kept in the spool, SPREAD is unreachable",
        "sale T-1002: kept in the spool, SPREAD is unreachable",
        "closing: 2 order(s) waiting for SPREAD",
    ]
    assert sb.state()["orders"] == {}
    morning_log = sb.requests()
    assert morning_log and {q["status"] for q in morning_log} == {503}

    # Afternoon: SPREAD is back; the till catches up first, then sells.
    sb.fault(mode="none")
    afternoon = till(binary, sb, spool, "afternoon", LD_DEBUG="libs")
    assert afternoon.stdout.splitlines() == [
        f"libspread {CRATE_VERSION}, afternoon shift",
        "flush: 2 delivered, 0 waiting",
        "sale T-1003: delivered (HTTP 200)",
        "sale T-1004: delivered (HTTP 200)",
        "closing: 0 order(s) waiting for SPREAD",
    ]
    if not variant.endswith("_static"):  # the loader's own word: it ran the installed copy
        assert f"calling init: {lib}/libspread.so.{MAJOR}" in afternoon.stderr
        assert "target/release" not in afternoon.stderr

    delivered = sb.requests()[len(morning_log):]
    assert [(order_id(q), q["status"]) for q in delivered] == [(r, 200) for r in SALES]  # oldest first
    # The spool kept the morning's exact bytes.
    assert delivered[0]["raw"] == next(q["raw"] for q in morning_log if order_id(q) == "T-1001")

    orders = sb.state()["orders"]
    assert set(orders) == set(SALES)
    for receipt, (_shift, amount, attributes) in SALES.items():
        o = orders[receipt]
        assert (o["order_state"], o["order_amount"], o["product_attributes"], o["tags"]) == \
            ("20", amount, [attributes], ["till"])
    assert spread_status(prefix, spool, sb.base_url).startswith("pending 0,")


# ----------------------------------------------------------------------------- the C++ wrapper

def test_spread_hpp_wraps_every_c_function():
    """Each function of spread.h is reachable from C++ without the C API: one added to
    the header needs its method here too."""
    header = (REPO_ROOT / "include" / "spread.h").read_text()
    wrapper = (REPO_ROOT / "include" / "spread.hpp").read_text()
    functions = set(re.findall(r"^\w[\w ]*\**\s*\b(spread_\w+)\(", header, re.M))
    assert len(functions) > 40
    assert sorted(f for f in functions if not re.search(rf"\b{f}\b", wrapper)) == []


@pytest.fixture(scope="module")
def wrapper_test(prefix, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cpp") / "wrapper"
    flags = pkg_config(prefix, "--cflags", "--libs").split()
    run(["c++", "-std=c++17", *WARNINGS, "-Wshadow", "-Wconversion", "-Wsign-conversion", "-Wold-style-cast",
         "-Wnon-virtual-dtor", "-g", "-O1", REPO_ROOT / "tests" / "cpp" / "wrapper.cpp", *flags,
         f"-Wl,-rpath,{prefix / 'lib'}", "-o", out])
    return out


def run_phase(program: Path, *args) -> subprocess.CompletedProcess:
    proc = run([*VALGRIND, program, *args], env=clean_env(), timeout=300, check=False)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert re.search(r"^\d+ checks, 0 failed$", proc.stdout, re.M), proc.stdout
    assert "definitely lost" not in proc.stderr and "indirectly lost" not in proc.stderr, proc.stderr
    assert "Invalid read" not in proc.stderr and "Invalid write" not in proc.stderr, proc.stderr
    return proc


def test_cpp_wrapper(sb, wrapper_test, tmp_path):
    spool = tmp_path / "spool"
    ca_file = "/etc/ssl/certs/ca-certificates.crt"
    if not Path(ca_file).exists():
        pytest.skip(f"{ca_file} is missing (apt-get install ca-certificates)")

    # Everything without a server: setters, encoding, each local error, moves; two orders spooled.
    offline = run_phase(wrapper_test, "offline", closed_port_url(), spool, SEED_BODY_FILE,
                        ca_file)
    assert f"version: {CRATE_VERSION}\n" in offline.stdout
    header = (REPO_ROOT / "include" / "spread.h").read_text()
    scalar_setters = re.findall(r"\bspread_order_set_(\w+)\(struct SpreadOrder \*o, (?:const char \*v|int32_t|double)",
                                header)
    fields = offline.stdout.split("fields: ", 1)[1].split("\n", 1)[0].split()
    assert sorted(fields) == sorted(scalar_setters)  # spread::field_names() lists what spread.h can set
    assert sb.requests() == []

    # SPREAD answers: offline's entries (another destination's, the closed URL's) are
    # left alone, the orders are sent, wrong keys and a 404 raise.
    with Tunnel(sb.port) as tunnel:  # any_order: a base URL that is not loopback, reaching the sandbox
        run_phase(wrapper_test, "online", sb.base_url, spool, tunnel.url)
    assert set(sb.state()["orders"]) == {"0000001", "0000002", "0000003", "0000006", "0000007"}
    assert [q["status"] for q in sb.requests()][:2] == [200, 200]  # 0000001 and 0000002 sent again
    agents = {q["user_agent"] for q in sb.requests()}
    assert agents == {f"libspread/{CRATE_VERSION}", f"libspread/{CRATE_VERSION} CppTill/1.0"}  # Options::app_info

    sb.reset()
    sb.fault(mode="slow", delay_ms=3000, times=1)
    run_phase(wrapper_test, "timeout", sb.base_url)

    sb.reset()
    sb.fault(mode="status", code=503)
    run_phase(wrapper_test, "server", sb.base_url)
    assert [q["status"] for q in sb.requests()] == [503, 503]  # max_attempts(1): no retry
