#!/usr/bin/env python3
"""Writes docs/reference.md, the C API reference, from include/spread.h and the library.

Every declaration of the header with its doc comment, as written, grouped per C type;
the status codes with the exception class each binding raises, read from the library
itself (spread_status_class, spread_status_parent_class), which also confirms that the
header's numbers and names are the library's. Standard library only.

    python3 scripts/gen_reference.py [--library PATH] [--check]

The library is --library, else SPREAD_LIBRARY, else target/release/libspread.so.
tests/integration/test_reference.py fails when docs/reference.md is stale;
SPREAD_BLESS=1 there rewrites it, as `make headers` does for the headers.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "include" / "spread.h"
REFERENCE = ROOT / "docs" / "reference.md"

# Functions whose name says their group better than their first argument does.
PREFIX_GROUPS = (
    ("spread_last_", "SpreadStatus"),
    ("spread_status_", "SpreadStatus"),
    ("spread_class_", "SpreadStatus"),
    ("spread_spool_", "SpreadSpoolStatus"),
)
LIBRARY_GROUP = "The library"
# Types shown together with the group they serve, not as groups of their own.
TYPE_GROUPS = {"SpreadLogLevel": "SpreadClient", "SpreadLogFn": "SpreadClient",
               "SpreadProgressFn": "SpreadBatch"}
ORDER = ("SpreadClient", "SpreadOrder", "SpreadResponse", "SpreadBatch", "SpreadSpoolStatus",
         "SpreadStatus", LIBRARY_GROUP)
SKIP_NOTE = "<!-- doc-test: skip (a declaration of include/spread.h, not a program) -->"


@dataclass
class Item:
    kind: str  # "function", "enum", "struct", "opaque", "callback"
    name: str
    decl: str
    doc: str
    must_use: bool = False
    members: list[tuple[str, str, str]] | None = None  # (name, value or type, doc)


def doc_text(comment: str) -> str:
    """The text of a `/** … */` comment, line by line as written."""
    lines = []
    for line in comment.strip().removeprefix("/**").removesuffix("*/").splitlines():
        line = line.strip()
        lines.append(line[1:].removeprefix(" ") if line.startswith("*") else line)
    return "\n".join(lines).strip()


def parse(header: str) -> tuple[str, dict[str, str], list[Item]]:
    """The header's opening comment, its version macros and its declarations, in order."""
    preamble = doc_text(re.match(r"\s*/\*(.*?)\*/", header, re.S).group(0).replace("/*", "/**", 1))
    macros = dict(re.findall(r"^#define (SPREAD_(?:\w*VERSION\w*)) (.+)$", header, re.M))
    # Preprocessor lines and the C++ guard are not declarations.
    body = re.sub(r"^#.*$", "", header, flags=re.M)
    body = re.sub(r'^extern "C" \{$|^\}  // extern "C"$', "", body, flags=re.M)
    body = body.split("*/", 1)[1]  # after the opening comment
    items: list[Item] = []
    token = re.compile(r"\s*(?:/\*\*(?P<doc>.*?)\*/\s*)?(?P<decl>typedef\s+(?:enum|struct)\s+\w+\s*\{.*?\}\s*\w+\s*;"
                       r"|typedef[^;{]*;|SPREAD_API[^;]*;|/\*.*?\*/)", re.S)
    pos = 0
    while body[pos:].strip():
        m = token.match(body, pos)
        if not m:
            raise SystemExit(f"include/spread.h: cannot read the declaration at: {body[pos:pos + 80]!r}")
        pos = m.end()
        decl = " ".join(m.group("decl").split()) if m.group("decl").startswith("SPREAD_API") else m.group("decl").strip()
        if decl.startswith("/*"):  # a plain comment (cbindgen's autogen line)
            continue
        doc = doc_text("/**" + m.group("doc") + "*/") if m.group("doc") is not None else ""
        items.append(item(decl, doc))
    return preamble, macros, items


def item(decl: str, doc: str) -> Item:
    if decl.startswith("SPREAD_API"):
        must_use = "SPREAD_WARN_UNUSED_RESULT" in decl
        shown = decl.removeprefix("SPREAD_API ").replace("SPREAD_WARN_UNUSED_RESULT ", "")
        name = re.search(r"(\w+)\(", shown).group(1)
        return Item("function", name, shown, doc, must_use)
    m = re.match(r"typedef\s+(enum|struct)\s+(\w+)\s*\{(.*)\}\s*(\w+)\s*;", decl, re.S)
    if m:
        kind, name, inner = m.group(1), m.group(4), m.group(3)
        members = []
        for mm in re.finditer(r"(?:/\*\*(?P<doc>.*?)\*/\s*)?(?P<member>[^;,/]+?)\s*[;,]", inner, re.S):
            member = " ".join(mm.group("member").split())
            mdoc = " ".join(doc_text("/**" + mm.group("doc") + "*/").split()) if mm.group("doc") else ""
            if kind == "enum":
                label, value = [p.strip() for p in member.split("=")]
            else:
                value, label = member.rsplit(" ", 1)
            members.append((label, value, mdoc))
        # The members' comments go to the table under the declaration, not in it.
        shown = re.sub(r"\n\s*/\*\*.*?\*/", "", decl, flags=re.S)
        return Item(kind, name, shown, doc, members=members)
    m = re.match(r"typedef struct (\w+) (\w+);", decl)
    if m:
        return Item("opaque", m.group(2), decl, doc)
    m = re.match(r"typedef .*\(\*(\w+)\)", decl)
    if m:
        return Item("callback", m.group(1), " ".join(decl.split()), doc)
    raise SystemExit(f"include/spread.h: a declaration of an unknown kind: {decl!r}")


def group_of(fn: Item, types: set[str]) -> str:
    for prefix, group in PREFIX_GROUPS:
        if fn.name.startswith(prefix):
            return group
    params = fn.decl[fn.decl.index("(") + 1:]
    first = re.match(r"\s*(?:const\s+)?(?:struct\s+)?(\w+)\s*\*", params)
    if first and first.group(1) in types:
        return first.group(1)
    returned = re.match(r"(?:const\s+)?(?:struct\s+)?(\w+)\s*\*", fn.decl)
    if returned and returned.group(1) in types:
        return returned.group(1)
    return LIBRARY_GROUP


def status_classes(library: Path, statuses: list[tuple[str, str, str]]) -> dict[int, tuple[str, str]]:
    """Each status's (class, parent class) stems, as the library names them."""
    lib = ctypes.CDLL(str(library))
    for fn in ("spread_status_name", "spread_status_class", "spread_status_parent_class"):
        getattr(lib, fn).restype = ctypes.c_char_p
        getattr(lib, fn).argtypes = [ctypes.c_int]
    classes = {}
    for name, value, _ in statuses:
        code = int(value)
        said = lib.spread_status_name(code).decode()
        if said != name:
            raise SystemExit(f"{library}: status {code} is {said}, include/spread.h says {name}: "
                             f"rebuild the library or regenerate the header (make headers)")
        classes[code] = (lib.spread_status_class(code).decode(), lib.spread_status_parent_class(code).decode())
    return classes


def anchor(title: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def exception_names(stem: str) -> tuple[str, str, str]:
    """PHP, Python and C++ spellings of one class stem; `Error` is each one's root."""
    if stem == "Error":
        return "Spread\\Exception", "spread.SpreadError", "spread::Error"
    return f"Spread\\{stem}Exception", f"spread.{stem}Error", f"spread::{stem}"


def paragraphs(text: str) -> str:
    """The header's opening comment, a paragraph for each line that starts with a topic ("Threads:")."""
    return re.sub(r"\n+(?=[A-Z]\w*: )", "\n\n", text)


def markdown(text: str) -> str:
    """Comment text shown as written: `*` and `<` outside code spans escaped for Markdown."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else p.replace("*", "\\*").replace("<", "&lt;") for p in parts)


def code(text: str) -> list[str]:
    return [SKIP_NOTE, "```c", text, "```", ""]


def render(preamble: str, macros: dict[str, str], items: list[Item], classes: dict[int, tuple[str, str]]) -> str:
    types = {i.name for i in items if i.kind != "function"}
    groups: dict[str, list[Item]] = {g: [] for g in ORDER}
    type_items: dict[str, list[Item]] = {g: [] for g in ORDER}
    for i in items:
        if i.kind == "function":
            groups.setdefault(group_of(i, types), []).append(i)
        else:
            type_items.setdefault(TYPE_GROUPS.get(i.name, i.name), []).append(i)
    for g, fns in groups.items():  # the functions that make the type first (stable: header order)
        fns.sort(key=lambda fn: 0 if re.match(rf"(?:struct\s+)?{g}\s*\*", fn.decl) else 1)
    for g, ts in type_items.items():  # the type itself first, then those that serve it
        ts.sort(key=lambda t: t.name != g)
    order = [g for g in ORDER if groups.get(g) or type_items.get(g)]
    order += [g for g in groups if g not in order and (groups[g] or type_items.get(g))]

    out = ["# C API reference", "",
           "<!-- Generated by scripts/gen_reference.py from include/spread.h and the library's status",
           "     classes: do not edit. tests/integration/test_reference.py fails when it is stale;",
           "     SPREAD_BLESS=1 there (or `python3 scripts/gen_reference.py`) rewrites it. -->", "",
           "Every declaration of `include/spread.h`, with its comment as the header has it, "
           "grouped by the C type it works on. The C and C++ quick starts are in "
           "[README.md](../README.md#c) and [c-and-cpp.md](c-and-cpp.md).", "",
           "## Rules for every function", "", markdown(paragraphs(preamble)), "",
           "Version macros: " + ", ".join(f"`{k}` {v}" for k, v in macros.items()) + ".", "",
           "## Contents", ""]
    for g in order:
        count = len(groups.get(g, []))
        out.append(f"- [{g}](#{anchor(g)}): {count} function{'s' if count != 1 else ''}")
    out.append("")

    for g in order:
        out += [f"## {g}", ""]
        for t in type_items.get(g, []):
            if t.name != g:
                out += [f"### {t.name}", ""]
            out += code(t.decl)
            if t.doc:
                out += [markdown(t.doc), ""]
            if t.name == "SpreadStatus":
                out += ["| number | name | meaning | PHP | Python | C++ | under |",
                        "|---:|---|---|---|---|---|---|"]
                for name, value, mdoc in t.members or []:
                    stem, parent = classes[int(value)]
                    names = exception_names(stem) if stem else ("-", "-", "-")
                    under = f"`{parent}`" if parent else "-"
                    out.append(f"| {value} | `{name}` | {markdown(mdoc)} | " + " | ".join(
                        f"`{n}`" if n != "-" else n for n in names) + f" | {under} |")
                out += ["", "The PHP, Python and C++ classes are the library's (`spread_status_class`, "
                        "`spread_status_parent_class`); \"under\" is the class each derives from, "
                        "`Error` the root of each binding's tree (PHP `Spread\\Exception`, Python "
                        "`spread.SpreadError`, C++ `spread::Error`); `Api` groups the answers of SPREAD.", ""]
            elif t.kind == "enum" and t.members:
                if any(d for _, _, d in t.members):
                    out += ["| value | name | meaning |", "|---:|---|---|"]
                    out += [f"| {v} | `{n}` | {d} |" for n, v, d in t.members]
                else:
                    out += ["| value | name |", "|---:|---|"]
                    out += [f"| {v} | `{n}` |" for n, v, _ in t.members]
                out.append("")
            elif t.kind == "struct" and t.members:
                out += ["| field | type | meaning |", "|---|---|---|"]
                out += [f"| `{n}` | `{v}` | {d} |" for n, v, d in t.members]
                out.append("")
        for fn in groups.get(g, []):
            out += [f"### {fn.name}", ""]
            out += code(fn.decl)
            out += [markdown(fn.doc) if fn.doc else "(no comment in the header)", ""]
            if fn.must_use:
                out += ["Declared `SPREAD_WARN_UNUSED_RESULT`: its result must not be ignored.", ""]
    return "\n".join(out).rstrip() + "\n"


def generate(library: Path | None = None) -> str:
    if library is None:
        library = Path(os.environ.get("SPREAD_LIBRARY") or ROOT / "target" / "release" / "libspread.so")
    if not library.exists():
        raise SystemExit(f"{library} is missing: run `cargo build --release` (the status classes come from it)")
    preamble, macros, items = parse(HEADER.read_text())
    status = next(i for i in items if i.name == "SpreadStatus")
    return render(preamble, macros, items, status_classes(library, status.members or []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, help="libspread.so to read the status classes from")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/reference.md is stale")
    args = parser.parse_args()
    text = generate(args.library)
    if args.check:
        have = REFERENCE.read_text() if REFERENCE.exists() else ""
        if have != text:
            print(f"{REFERENCE} is stale: run python3 scripts/gen_reference.py", file=sys.stderr)
            return 1
        return 0
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(text)
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
