"""The ctypes prototypes of the Python binding (spread._native) against the C header
(include/spread.h): each declared function's restype and argtypes are the C types'
ctypes, by one fixed mapping, and every function of the header is declared or on the
commented skip list below. ctypes checks nothing itself: a uint32_t declared c_uint16
silently truncates, an owned char * declared c_char_p leaks (ctypes copies the text and
drops the pointer that spread_string_free needed).

The header is read with the standard library only (cbindgen writes one declaration per
line; comments are dropped first, so a wrapped one parses too)."""

from __future__ import annotations

import ctypes
import re
from ctypes import (POINTER, c_bool, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint16, c_uint32, c_uint64,
                    c_void_p)
from typing import Any, Dict, List, Tuple

import pytest
from harness import REPO_ROOT

from spread import _native

HEADER = REPO_ROOT / "include" / "spread.h"

#: The header's functions the binding does not call, each with why.
SKIPPED = {
    # Two-step or struct forms of what the binding does another way:
    "spread_send_many": "send_many() uses spread_send_batch (per-order messages and HTTP statuses, progress)",
    "spread_spool_status": "fills a C struct; spool_status() reads spread_spool_status_json",
    "spread_client_set_log_queue": "for callers without callbacks; the binding sets a logger callback",
    "spread_client_next_log": "the log queue's reader (see spread_client_set_log_queue)",
    "spread_order_set_order_state": "Order sets order_state by name through spread_order_set_field",
    "spread_order_set_order_amount_str": "Order passes a Decimal's text through spread_order_set_field",
    "spread_order_add_product": "Order adds a product in one call with spread_order_add_product_with",
    "spread_order_add_product_attribute": "likewise spread_order_add_product_with",
    "spread_order_from_form": "the binding builds orders from dicts or JSON (spread_order_from_json)",
}
#: The typed setter of each scalar field, spread_order_set_<field>(o, const char *v): Order
#: sets every scalar field by name (spread_order_set_field), so none is declared.
FIELD_SETTER = re.compile(r"spread_order_set_\w+\(struct SpreadOrder\*o, const char\*v\)")

SCALARS: Dict[str, Any] = {
    "int": c_int, "int32_t": c_int32, "uint16_t": c_uint16, "uint32_t": c_uint32, "uint64_t": c_uint64,
    "size_t": c_size_t, "double": c_double, "bool": c_bool,
}


def normalize(c_type: str) -> str:
    """One spelling per C type: "const char *const *" -> "const char*const*"."""
    return re.sub(r"\s*\*\s*", "*", " ".join(c_type.split())).strip()


def split_params(params: str) -> List[Tuple[str, str]]:
    """(type, name) of each parameter; [] for (void)."""
    if params.strip() in ("", "void"):
        return []
    out = []
    for param in params.split(","):
        match = re.fullmatch(r"(.*?)(\w+)", param.strip(), re.S)
        assert match, param
        out.append((normalize(match[1]), match[2]))
    return out


class Header:
    """The functions, callback typedefs and opaque structs of include/spread.h."""

    def __init__(self, text: str) -> None:
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        self.opaque = set(re.findall(r"typedef struct (\w+) \1;", text))
        self.callbacks: Dict[str, Tuple[str, List[Tuple[str, str]]]] = {
            name: (normalize(ret), split_params(params))
            for ret, name, params in re.findall(r"typedef\s+([^;{}()]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", text)}
        self.functions: Dict[str, Tuple[str, List[Tuple[str, str]]]] = {}
        self.signatures: Dict[str, str] = {}
        for ret, name, params in re.findall(
                r"SPREAD_API\s+(?:SPREAD_WARN_UNUSED_RESULT\s+)?([^;{}()]+?)\b(spread_\w+)\s*\(([^)]*)\)\s*;", text):
            self.functions[name] = (normalize(ret), split_params(params))
            self.signatures[name] = f"{name}({', '.join(t + n for t, n in split_params(params))})"

    def ctype(self, c_type: str, result: bool = False) -> Any:
        """The ctypes type the binding must declare for `c_type`."""
        if c_type == "void":
            assert result, "void is only a result"
            return None
        if c_type in SCALARS:
            return SCALARS[c_type]
        if c_type == "const char*":
            return c_char_p  # borrowed text in or out: ctypes copies it to bytes
        if c_type == "char*":
            return c_void_p  # owned text: kept as an address, for spread_string_free
        if c_type == "void*":
            return c_void_p  # user_data
        struct = re.fullmatch(r"(?:const )?struct (\w+)\*", c_type)
        if struct and struct[1] in self.opaque:
            return c_void_p  # opaque handle: an int to ctypes
        if c_type in self.callbacks:
            return ("callback", c_type)
        if c_type.endswith("*"):  # an out-pointer or an array: a pointer to the pointee's type
            pointee = re.sub(r"\s*const$", "", c_type[:-1])
            return POINTER(self.ctype(pointee))
        raise AssertionError(f"no ctypes mapping for the C type {c_type!r}: add one to this test")


def matches(header: Header, expected: Any, declared: Any) -> bool:
    """`declared` is `expected`; for a callback, a CFUNCTYPE of the typedef's own types."""
    if isinstance(expected, tuple) and expected[0] == "callback":
        ret, params = header.callbacks[expected[1]]
        return (isinstance(declared, type) and issubclass(declared, ctypes._CFuncPtr)
                and matches(header, header.ctype(ret, result=True), declared._restype_)
                and len(declared._argtypes_) == len(params)
                and all(matches(header, header.ctype(t), d) for (t, _), d in zip(params, declared._argtypes_)))
    return declared is expected


def describe(declared: Any) -> str:
    if isinstance(declared, type) and issubclass(declared, ctypes._CFuncPtr):
        return f"CFUNCTYPE({declared._restype_}, {', '.join(map(str, declared._argtypes_))})"
    return str(declared)


HEADER_FUNCTIONS = Header(HEADER.read_text())
DECLARED: Dict[str, Tuple[Any, List[Any]]] = {**_native._ABI_PROTOTYPES, **_native._PROTOTYPES}


def test_the_header_is_read():
    """Guards the parse itself: an empty or misread header would make every check below pass."""
    functions = HEADER_FUNCTIONS.functions
    assert len(functions) >= 90
    assert functions["spread_abi_version"] == ("int", [])
    assert functions["spread_spool_adopt"][1][-1] == ("size_t*", "adopted")
    assert functions["spread_order_add_to_list"][1][2] == ("const char*const*", "values")
    assert set(HEADER_FUNCTIONS.callbacks) == {"SpreadProgressFn", "SpreadLogFn"}
    assert {"SpreadClient", "SpreadOrder", "SpreadResponse", "SpreadBatch"} <= HEADER_FUNCTIONS.opaque


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_prototype_has_the_header_types(name):
    assert name in HEADER_FUNCTIONS.functions, f"{name} is declared by the binding but not in include/spread.h"
    ret, params = HEADER_FUNCTIONS.functions[name]
    restype, argtypes = DECLARED[name]
    signature = HEADER_FUNCTIONS.signatures[name]
    assert matches(HEADER_FUNCTIONS, HEADER_FUNCTIONS.ctype(ret, result=True), restype), \
        f"{name}: restype {restype} for the C result {ret!r}"
    assert len(argtypes) == len(params), f"{name}: {len(argtypes)} argtypes for {signature}"
    for i, ((c_type, param), declared) in enumerate(zip(params, argtypes)):
        assert matches(HEADER_FUNCTIONS, HEADER_FUNCTIONS.ctype(c_type), declared), \
            f"{name}: argument {i} ({c_type} {param}) declared {describe(declared)}"


def test_every_header_function_is_declared_or_skipped():
    header = set(HEADER_FUNCTIONS.functions)
    setters = {name for name in header if FIELD_SETTER.fullmatch(HEADER_FUNCTIONS.signatures[name])}
    assert len(setters) > 20, "the typed field setters were not recognised"
    missing = header - set(DECLARED) - set(SKIPPED) - setters
    assert not missing, f"header functions neither declared in spread/_native.py nor skipped here: {sorted(missing)}"
    assert not set(SKIPPED) - header, f"skipped functions the header no longer has: {sorted(set(SKIPPED) - header)}"
    assert not set(SKIPPED) & set(DECLARED), f"skipped but declared: {sorted(set(SKIPPED) & set(DECLARED))}"
