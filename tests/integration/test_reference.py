"""docs/reference.md, the C API reference, is what scripts/gen_reference.py makes of
include/spread.h and the library today: a stale reference fails, as a stale header
fails tests/headers.rs. SPREAD_BLESS=1 rewrites it (commit the result)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys

from harness import REPO_ROOT

_spec = importlib.util.spec_from_file_location("gen_reference", REPO_ROOT / "scripts" / "gen_reference.py")
gen = importlib.util.module_from_spec(_spec)
sys.modules["gen_reference"] = gen  # dataclasses look their module up there
_spec.loader.exec_module(gen)

REFERENCE = REPO_ROOT / "docs" / "reference.md"


def test_the_reference_is_current(libspread):
    want = gen.generate(libspread)
    if os.environ.get("SPREAD_BLESS"):
        REFERENCE.write_text(want)
        return
    have = REFERENCE.read_text() if REFERENCE.exists() else ""
    assert have == want, ("docs/reference.md is stale: run `SPREAD_BLESS=1 .venv/bin/python -m pytest "
                          "tests/integration/test_reference.py` (or scripts/gen_reference.py) and commit it")


def test_every_function_is_in_the_reference_with_its_comment():
    header = (REPO_ROOT / "include" / "spread.h").read_text()
    _, _, items = gen.parse(header)
    functions = {i.name: i for i in items if i.kind == "function"}
    # The parser found every declaration the header has, not a subset.
    assert set(functions) == set(re.findall(r"^SPREAD_API .*?(\w+)\(", header, re.M))
    undocumented = [name for name, fn in functions.items() if not fn.doc]
    assert not undocumented, f"functions without a doc comment in src/ffi: {undocumented}"
    reference = REFERENCE.read_text()
    missing = [name for name in functions if f"\n### {name}\n" not in reference]
    assert not missing, f"not in docs/reference.md: {missing}"


def test_the_header_declares_only_the_c_api():
    """Every type of spread.h is a Spread* type: a Rust type that cbindgen picks up
    (`typedef struct Field Field;` did, through fields.rs's constants) is not C API."""
    for name in ("spread.h", "spread_ffi.h"):
        text = (REPO_ROOT / "include" / name).read_text()
        types = re.findall(r"typedef\s+(?:enum|struct)\s+(\w+)|typedef[^;(]*\(\*(\w+)\)", text)
        foreign = sorted({a or b for a, b in types} - {""})
        foreign = [t for t in foreign if not t.startswith("Spread")]
        assert not foreign, f"include/{name} declares types that are not libspread's: {foreign}"
