"""The documentation, run as a reader runs it: every code block of README.md,
CONTRIBUTING.md, docs/*.md, bindings/php/README.md, bindings/python/README.md and
examples/README.md either runs against the sandbox, or is marked in the Markdown as not
runnable, with the reason. A block that is neither fails, and so does a runnable block
that stops working.

CONTRIBUTING.md, "The documentation test", states the rules this file applies: the
`<!-- doc-test: … -->` directives, the working folder, what is substituted in a
block and the environment it runs in. `.venv/bin/python tests/integration/test_docs.py` lists
every block and what becomes of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

TESTS = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
from harness import REPO_ROOT, Sandbox  # noqa: E402

DOCS = ("README.md", "CONTRIBUTING.md", *sorted(f"docs/{p.name}" for p in (REPO_ROOT / "docs").glob("*.md")),
        "bindings/php/README.md", "bindings/python/README.md", "examples/README.md")

SANDBOX_ADDRESS = "127.0.0.1:8080"
CHECKOUT = "/path/to/libspread"
REROOTED = ("/opt/spread", "/var/spool/spread", "/tmp/till-spool")
SANDBOX_COMMAND = "SPREAD_SANDBOX_DB=/tmp/sandbox.sqlite php -S 127.0.0.1:8080 sandbox/router.php"

RUN = {"sh": "sh", "bash": "sh", "php": "php", "python": "python"}
TIMEOUT = 300  # one block; `make install` and the static links are the slow ones


def _seed_php() -> str:
    """The seed's $post_data, as bindings/php/examples/send_seed_order.php writes it."""
    text = (REPO_ROOT / "bindings/php/examples/send_seed_order.php").read_text()
    return text.split("// ---- the seed's $post_data, unchanged ----")[1].split("// ---- instead of the curl block ----")[0]


# Names a block's `with` may list: code run before the block, per language.
PRELUDES = {
    "php": {
        "autoload": lambda: "require_once getenv('SPREAD_DOCS_CHECKOUT') . '/bindings/php/autoload.php';\n",
        "post_data": _seed_php,
        "client": lambda: (
            "$client = new Spread\\Client('PUBLIC_KEY', 'PRIVATE_KEY',\n"
            "    ['base_url' => getenv('SPREAD_BASE_URL'), 'spool_dir' => 'spool']);\n"),
        "logger": lambda: (
            "$logger = new class {\n"
            "    public function log($level, $message, array $context = []): void {\n"
            "        fwrite(STDERR, \"$level: $message \" . json_encode($context) . \"\\n\");\n"
            "    }\n"
            "};\n"),
        "orders": lambda: (
            "$orders = [$post_data, Spread\\Order::fromArray($post_data)->orderIdorder('0000002'),\n"
            "           ['data' => ['customer_email' => 'x@example.com', 'order_idorder' => '3']]];\n"),
    },
    "python": {
        "keys": lambda: (
            "import os\nimport spread\n"
            "public_key, private_key = 'PUBLIC_KEY', 'PRIVATE_KEY'\n"
            "base_url = os.environ['SPREAD_BASE_URL']\n"),
        "client": lambda: (
            "import os\nimport spread\n"
            "client = spread.Client('PUBLIC_KEY', 'PRIVATE_KEY', base_url=os.environ['SPREAD_BASE_URL'],\n"
            "                       spool_dir='spool')\n"),
        "post_data": lambda: (
            "import os, sys\nsys.path.insert(0, os.path.join(os.environ['SPREAD_DOCS_CHECKOUT'], 'bindings/python/examples'))\n"
            "from send_seed_order import POST_DATA as post_data\n"),
        "order": lambda: (
            "order = spread.Order(customer_email='john@doe.com', order_idorder='0000001', order_state=20,\n"
            "                     order_amount=158.31, order_crea_dt='2014-06-21 14:31:08')\n"),
        "orders": lambda: (
            "import copy\nlater = copy.deepcopy(post_data); later['data']['order_idorder'] = '0000002'\n"
            "orders = [post_data, spread.Order.from_dict(later),\n"
            "          {'data': {'customer_email': 'x@example.com', 'order_idorder': '3'}}]\n"),
        "log": lambda: "import logging\nlog = logging.getLogger('shop')\n",
    },
}

# What every PHP block starts with: a notice or a warning is a failure, as an exception.
PHP_STRICT = ("error_reporting(E_ALL);\n"
              "set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {\n"
              "    throw new ErrorException($msg, 0, $no, $file, $line);\n"
              "});\n")

ITEM = re.compile(r"""\s*(?:
      skip \s* \( (?P<skip> [^()]* (?:\([^()]*\)[^()]*)* ) \)
    | except \s+ (?:"(?P<except>[^"]+)"|'(?P<except_q>[^']+)') \s* \( (?P<except_why> [^()]* (?:\([^()]*\)[^()]*)* ) \)
    | file \s+ (?P<file>[\w.-]+)
    | in \s+ (?P<where>[\w./-]+)
    | with \s+ (?P<with>[\w-]+ (?:\s*,\s*[\w-]+)*)
    | expect \s+ (?:"(?P<expect>[^"]+)"|'(?P<expect_q>[^']+)')
    )\s*(?:;|$)""", re.X)
DIRECTIVE = re.compile(r"\A\s*<!--\s*doc-test:(.*?)-->\s*\Z", re.S)


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    code: str
    skip: str | None = None
    file: str | None = None
    where: str = "."
    with_: list[str] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)
    except_: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.doc}:{self.line} ({self.lang or 'no language'})"

    @property
    def fate(self) -> str:
        if self.skip is not None:
            return f"not run: {self.skip}"
        where = f" in {self.where}/" if self.where != "." else ""
        after = f" after {', '.join(self.with_)}" if self.with_ else ""
        if self.file:
            return f"saved as {self.file}{where}{after}"
        how = f"run{where}{after}"
        if self.except_:
            how += ", except lines starting " + ", ".join(f'"{p}"' for p in self.except_)
        if self.expect:
            how += ", expecting " + ", ".join(repr(text) for text in self.expect)
        return how


def parse_directive(text: str) -> tuple[dict, list[str]]:
    """The items of one `<!-- doc-test: … -->`, and what is wrong with it."""
    items: dict = {"with": [], "expect": [], "except": []}
    rest, problems = text.strip(), []
    while rest:
        m = ITEM.match(rest)
        if not m:
            problems.append(f"cannot read the directive from: {rest!r}")
            break
        for key, value in m.groupdict().items():
            if value is None or key == "except_why":
                continue
            key = key.removesuffix("_q")
            if key == "with":
                items["with"] += [n.strip() for n in value.split(",")]
            elif key in ("expect", "except"):
                items[key].append(value)
            else:
                items[key] = value.strip()
        if (m.group("except") or m.group("except_q")) and not m.group("except_why").strip():
            problems.append("except needs a reason in parentheses")
        rest = rest[m.end():].strip()
    if "skip" in items and not items["skip"].strip():
        problems.append("skip needs a reason in parentheses")
    return items, problems


def blocks_of(doc: str) -> tuple[list[Block], list[str]]:
    """The code blocks of one Markdown file with their directives, and what is wrong."""
    tokens = MarkdownIt("commonmark").parse((REPO_ROOT / doc).read_text())
    blocks, problems = [], []
    for i, token in enumerate(tokens):
        if token.type == "html_block" and "doc-test:" in token.content:
            line = token.map[0] + 1
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if not DIRECTIVE.match(token.content):
                problems.append(f"{doc}:{line}: a doc-test directive must be one HTML comment, alone")
            elif following is None or following.type not in ("fence", "code_block"):
                problems.append(f"{doc}:{line}: a doc-test directive not right before a code block")
        if token.type not in ("fence", "code_block"):
            continue
        lang = token.info.split()[0] if token.info.strip() else ""
        block = Block(doc, token.map[0] + 1, lang, token.content)
        if token.type == "code_block":
            problems.append(f"{block.name}: an indented code block; write it fenced, with its language")
        before = tokens[i - 1] if i else None
        m = DIRECTIVE.match(before.content) if before is not None and before.type == "html_block" else None
        if m:
            items, wrong = parse_directive(m.group(1))
            problems += [f"{doc}:{before.map[0] + 1}: {w}" for w in wrong]
            block.skip, block.file = items.get("skip"), items.get("file")
            block.where = items.get("where", ".")
            block.with_, block.expect, block.except_ = items["with"], items["expect"], items["except"]
        blocks.append(block)
    return blocks, problems


def check(block: Block) -> list[str]:
    """Why this block can be neither run nor skipped as it is marked."""
    if block.skip is not None:
        return []
    problems = []
    runner = RUN.get(block.lang)
    if not block.file and runner is None:
        problems.append(f"{block.name}: a block in {block.lang or 'no language'} is neither run nor marked: "
                        f"give it `file NAME` or `skip (WHY)`")
    for name in block.with_:
        if name not in PRELUDES.get(block.lang, {}):
            problems.append(f"{block.name}: no {block.lang} prelude named {name!r}")
    if block.file and (block.expect or block.except_):
        problems.append(f"{block.name}: a file is not run: expect/except mean nothing there")
    return problems


# ----------------------------------------------------------------------------- running a file's blocks

class WorkingFolder:
    """A copy of the checkout where one Markdown file's blocks run, in order."""

    def __init__(self, tmp: Path, sandbox: Sandbox) -> None:
        self.tmp, self.sandbox = tmp, sandbox
        self.root = tmp / "libspread"
        self.rerooted = tmp / "rooted"
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
        for name in filter(None, files):
            source = REPO_ROOT / name
            if source.is_file():  # a file deleted in the work tree stays deleted
                (self.root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.root / name)
        (self.root / "target").symlink_to(REPO_ROOT / "target")
        for path in REROOTED:
            (self.rerooted / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        cargo = bin_dir / "cargo"  # make's $(CARGO): builds the checkout, whose target/ this copy links
        cargo.write_text(f'#!/bin/sh\ncd "{REPO_ROOT}" && exec cargo "$@"\n')
        cargo.chmod(0o755)
        composer = tmp / "composer"
        composer.mkdir()
        (composer / "config.json").write_text('{"repositories": {"packagist.org": false}}\n')
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("SPREAD_", "MAKE", "PKG_CONFIG", "LD_", "PYTHON", "COMPOSER"))
                and k not in ("MFLAGS", "CARGO")}
        self.env = {
            **keep,
            "SPREAD_BASE_URL": sandbox.base_url,
            "SPREAD_DOCS_CHECKOUT": str(self.root),  # for the preludes only
            "PATH": f"{self.rerooted}/opt/spread/bin:{keep.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(self.root / "bindings" / "python"),
            "CARGO": str(cargo),
            "COMPOSER_HOME": str(composer),
            "COMPOSER_ALLOW_SUPERUSER": "1",
            "COMPOSER_NO_INTERACTION": "1",
        }
        self.count = 0

    def substitute(self, code: str) -> str:
        code = code.replace(SANDBOX_ADDRESS, f"127.0.0.1:{self.sandbox.port}")
        code = code.replace(CHECKOUT, str(self.root))
        for path in REROOTED:
            code = re.sub(re.escape(path) + r"(?![\w.-])", f"{self.rerooted}{path}", code)
        return code

    def run(self, block: Block) -> str | None:
        """Runs or saves one block; what went wrong, or None."""
        where = self.root / block.where
        where.mkdir(parents=True, exist_ok=True)
        code = self.substitute(block.code)
        preludes = [PRELUDES[block.lang][name]() for name in block.with_]
        if block.file:
            (where / block.file).write_text("".join(preludes) + code)
            return None
        lines = [l for l in code.splitlines(keepends=True)
                 if not any(l.lstrip().startswith(p) for p in block.except_)]
        code = "".join(lines)
        self.count += 1
        script = self.tmp / "blocks" / f"{self.count:02d}-{block.line}.{block.lang}"
        script.parent.mkdir(exist_ok=True)
        kind = RUN[block.lang]
        exported = self.tmp / "exported"
        if kind == "sh":  # what it exports stays for the next blocks, as in one terminal
            script.write_text(f"set -e -o pipefail\ntrap 'env -0 > \"{exported}\"' EXIT\n" + code)
            cmd = ["bash", str(script)]
        elif kind == "php":
            body = code.removeprefix("<?php\n")
            script.write_text("<?php\n" + PHP_STRICT + "".join(preludes) + body)
            cmd = ["php", str(script)]
        else:
            script.write_text("".join(preludes) + code)
            cmd = [sys.executable, "-W", "error", str(script)]
        try:
            proc = subprocess.run(cmd, cwd=where, env=self.env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"{block.name}: still running after {TIMEOUT} s ({script})"
        if kind == "sh" and proc.returncode == 0 and exported.exists():
            variables = dict(v.split("=", 1) for v in exported.read_text().split("\0") if "=" in v)
            self.env = {k: v for k, v in variables.items() if k not in ("PWD", "OLDPWD", "SHLVL", "_")}
        output = proc.stdout + proc.stderr
        missing = [text for text in block.expect if text not in output]
        if proc.returncode == 0 and not missing:
            return None
        why = f"exited {proc.returncode}" if proc.returncode else f"printed no {missing!r}"
        return (f"{block.name}: {why}\n--- as run ({script}, in {where}):\n{script.read_text()}"
                f"--- stdout:\n{proc.stdout[-4000:]}--- stderr:\n{proc.stderr[-4000:]}")


# ----------------------------------------------------------------------------- the tests

def test_every_block_is_run_or_marked():
    problems = []
    for doc in DOCS:
        blocks, wrong = blocks_of(doc)
        problems += wrong
        for block in blocks:
            problems += check(block)
    assert not problems, "\n".join(problems)


def test_the_sandbox_is_started_the_same_way_everywhere():
    """One command, one database path, in every document that shows it."""
    places = [*DOCS, "sandbox/README.md", "sandbox/router.php", "bindings/php/examples/send_seed_order.php"]
    different = []
    for doc in places:
        for number, line in enumerate((REPO_ROOT / doc).read_text().splitlines(), 1):
            if "sandbox/router.php" in line and "php -S" in line and SANDBOX_COMMAND not in line:
                different.append(f"{doc}:{number}: {line.strip()}")
    assert not different, f"not `{SANDBOX_COMMAND}`:\n" + "\n".join(different)


def test_the_dependency_list_names_every_crate():
    """CONTRIBUTING.md's list of dependencies once said "serde_json: tests only" and
    missed eight run-time crates: it must name every crate Cargo.toml does."""
    import tomllib
    cargo = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())
    crates = [*cargo.get("dependencies", {}), *cargo.get("dev-dependencies", {})]
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text()
    section = text.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    missing = [crate for crate in crates if f"`{crate}`" not in section]
    assert not missing, f"CONTRIBUTING.md, Dependencies, does not name: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_the_blocks_run(doc, tmp_path, libspread):
    blocks, wrong = blocks_of(doc)
    assert not wrong, "\n".join(wrong)
    if all(block.skip is not None or check(block) for block in blocks):
        return  # nothing to run (the reference's declarations): no copy, no sandbox
    with Sandbox() as sandbox:
        folder = WorkingFolder(tmp_path, sandbox)
        failures = []
        for block in blocks:
            if block.skip is None and not check(block):
                failure = folder.run(block)
                if failure:
                    failures.append(failure)
    assert not failures, "\n\n".join(failures)


if __name__ == "__main__":
    for doc in DOCS:
        blocks, wrong = blocks_of(doc)
        for block in blocks:
            print(f"{block.name}: {block.fate}")
            for problem in check(block):
                print(f"PROBLEM {problem}")
        for w in wrong:
            print(f"PROBLEM {w}")
