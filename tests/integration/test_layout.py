"""The crate's layout, checked: folders say the design, imports flow one way.

- no import circle between the files of src/ (a `use` or a `crate::`/`super::`
  path naming another file's module is an arrow; a crate's root, lib.rs or the
  CLI's main.rs, only declares modules and re-exports, and is left out);
- the folders keep their order: a folder uses only folders listed before it in
  LAYERS (`send` may use `spool`, never the other way);
- no Rust file over MAX_LINES lines.

Standard library only: the same reading of `use` trees a newcomer would do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Set

SRC = Path(__file__).resolve().parents[2] / "src"

# Lower first. A file at the top of src/ is its own layer (its stem).
LAYERS = ["error", "fork", "log", "php", "order", "spool", "send", "ffi", "fuzzing", "bin"]
MAX_LINES = 400

# A `pub use` is left out: a folder's mod.rs re-exporting its children is its front
# door, not a dependency of its logic on theirs.
USE = re.compile(r"^\s*use\s+([^;]+);", re.M | re.S)
PUB_USE = re.compile(r"^\s*pub(?:\([a-z]+\))?\s+use\s+([^;]+);", re.M | re.S)
TESTS = re.compile(r"^#\[cfg\(test\)\]\s*mod tests \{.*", re.M | re.S)
INLINE = re.compile(r"\b((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def module_dir(file: Path) -> Path:
    """The folder holding this file's child modules."""
    return file.parent if file.name in ("mod.rs", "lib.rs", "main.rs") else file.with_suffix("")


def parent_file(file: Path) -> Optional[Path]:
    """The file of the module that declares this one (`super`)."""
    home = file.parent.parent if file.name == "mod.rs" else file.parent
    for candidate in (home / "mod.rs", home.with_suffix(".rs"), home / "lib.rs"):
        if candidate.exists() and candidate != file:
            return candidate
    return None


def resolve(file: Path, path: str, hops: int = 0) -> Optional[Path]:
    """The file a `crate::a::b::Item`, `super::x` or `self::x` path names: its module's
    file, or, when that module only re-exports the item (`pub use child::Item`), the
    file the re-export leads to."""
    parts = path.split("::")
    if parts[0] == "crate":
        current, parts = crate_root(file), parts[1:]
    elif parts[0] == "self":
        current, parts = file, parts[1:]
    else:
        current = file
        while parts and parts[0] == "super":
            parent = parent_file(current)
            if parent is None:
                return None
            current, parts = parent, parts[1:]
    while parts:
        folder = module_dir(current)
        child = next((c for c in (folder / f"{parts[0]}.rs", folder / parts[0] / "mod.rs") if c.exists()), None)
        if child is None:
            break
        current, parts = child, parts[1:]
    if parts and hops < 8:
        via = reexports(current).get(parts[0])
        if via is not None:
            return resolve(current, via, hops + 1) or current
    return current


def crate_root(file: Path) -> Path:
    """lib.rs, or the main.rs of the binary (src/bin/NAME/) the file belongs to."""
    rel_parts = file.relative_to(SRC).parts
    return SRC / "bin" / rel_parts[1] / "main.rs" if rel_parts[0] == "bin" and len(rel_parts) > 2 else SRC / "lib.rs"


def reexports(file: Path) -> Dict[str, str]:
    """`pub use a::b::{C, D}` in `file`: C -> `a::b::C` (relative paths made `self::`)."""
    out = {}
    for m in PUB_USE.finditer(re.sub(r"//[^\n]*", "", file.read_text())):
        for path in expand(m.group(1)):
            name = path.split("::")[-1]
            first = path.split("::")[0]
            out[name] = path if first in ("crate", "super", "self") else "self::" + path
    return out


def expand(tree: str) -> List[str]:
    """`a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e (`self` is the prefix)."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"(::self)?(as\w+)?$", "", tree)]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rindex("}")]
    items, depth, start = [], 0, 0
    for i, ch in enumerate(inner + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            if inner[start:i]:
                items.append(inner[start:i])
            start = i + 1
    out = []
    for item in items:
        out.extend(expand(prefix + item) if item != "self" else [prefix.rstrip(":")])
    return out


def code_of(text: str) -> str:
    """The file's code: without comments, its inline unit tests and its re-exports."""
    text = re.sub(r"//[^\n]*", "", text)
    return PUB_USE.sub("", TESTS.sub("", text))


def arrows() -> Dict[Path, Set[Path]]:
    graph: Dict[Path, Set[Path]] = {}
    for file in sorted(SRC.rglob("*.rs")):
        if file == crate_root(file):
            continue
        text = code_of(file.read_text())
        paths = [p for m in USE.finditer(text) for p in expand(m.group(1))]
        paths += INLINE.findall(text)
        targets = set()
        for path in paths:
            if not path.startswith(("crate::", "super::")):
                # A bare `use child::x` inside a module names its own child.
                first = path.split("::")[0]
                child = module_dir(file)
                if (child / f"{first}.rs").exists() or (child / first / "mod.rs").exists():
                    path = "self::" + path
                else:
                    continue
            target = resolve(file, path)
            if target is not None and target != file and target != crate_root(file):
                targets.add(target)
        graph[file] = targets
    return graph


def cycles(graph: Dict[Path, Set[Path]]) -> List[List[Path]]:
    found, state, stack = [], {}, []

    def visit(node: Path) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def layer(file: Path) -> str:
    first = file.relative_to(SRC).parts[0]
    return first[:-3] if first.endswith(".rs") else first


def rel(p: Path) -> str:
    return str(p.relative_to(SRC.parent))


def test_the_reader_sees_imports():
    """The checker itself: known arrows are found (a reader that sees none passes everything)."""
    graph = arrows()
    assert SRC / "send/core.rs" in graph[SRC / "send/client.rs"]
    assert SRC / "php/array.rs" in graph[SRC / "php/build_query.rs"]
    assert SRC / "order/mod.rs" in graph[SRC / "order/dropin.rs"]
    assert SRC / "spool/mod.rs" in graph[SRC / "send/flush.rs"]
    assert SRC / "bin/spread/text.rs" in graph[SRC / "bin/spread/status.rs"]  # the CLI's own crate
    assert expand("crate::a::{b, c::{d, e as f}, self}") == ["crate::a::b", "crate::a::c::d", "crate::a::c::e", "crate::a"]


def test_no_import_circle_in_src():
    found = cycles(arrows())
    assert found == [], "import circles:\n" + "\n".join(" -> ".join(rel(p) for p in c) for c in found)


def test_folders_use_only_the_layers_below_them():
    wrong = []
    for file, targets in arrows().items():
        here = layer(file)
        for target in targets:
            there = layer(target)
            if there != here and LAYERS.index(there) > LAYERS.index(here):
                wrong.append(f"{rel(file)} ({here}) uses {rel(target)} ({there})")
    assert wrong == [], "arrows that run back up (LAYERS is the order):\n" + "\n".join(sorted(wrong))


def test_every_top_level_module_has_a_layer():
    missing = {layer(f) for f in SRC.rglob("*.rs") if f != SRC / "lib.rs"} - set(LAYERS)
    assert missing == set(), f"add these to LAYERS at their place: {missing}"


def test_no_rust_file_over_the_limit():
    long = {rel(f): n for f in SRC.rglob("*.rs") if (n := len(f.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these by concern (limit {MAX_LINES} lines): {long}"
