"""Issue 22: no rule in the bindings that the library could own. The same input through
PHP (tests/fixtures/binding_parity.php, php itself) and Python gets the same outcome,
because both hand it to one C call and the library decides:

- a structured field (tags, custom_fields, consents, product_attributes) through PHP's
  Order::field() and Python's Order.set(): spread_order_set_value (Python's set() used to
  raise TypeError for all of them while PHP's field() took them);
- a consent through Order::consent() / Order.consent(): the library's 1/0 rule, the
  drop-in's, and its words (each binding used to write its own rule and message);
- a keys file through Client::fromEnv() / Client.from_env() and the `spread` command:
  spread_client_new_from_env reads it (there were three readers, which disagreed on
  `export` lines, non-UTF-8 files and a line whose "name" held a key)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import spread
from spread_test_helpers import minimal_order

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SECRET = "s3cr3t-Pk9=="

FIELDS: List[List[Any]] = [
    ["add_tag", ["vip", "newsletter"]],
    ["custom_fields", {"327": "blue", "12": 2.5}],
    ["consents", {"NewsEmail": True, "Sms": 0, "Post": "1"}],
    ["product_attributes", [["size:xl", "type:shirt"], ["size:s"]]],
    ["add_tag", []],
    ["consents", {"News": 2}],
    ["consents", {"News": "yes"}],
    ["consents", {"a[b]": True}],
    ["add_tag", {"3": "x"}],
    ["add_tag", ["a", ""]],
    ["add_tag", ["a", None]],
    ["add_tag", [["nested"]]],
    ["custom_fields", {"0": "x"}],
    ["custom_fields", {"007": "x"}],
    ["product_attributes", [["size:xl"], ["xl"]]],
    ["product_attributes", ["size:xl"]],
    ["extra", {"a": 1}],
]
CONSENTS: List[List[Any]] = [
    ["NewsEmail", True], ["NewsEmail", False], ["NewsEmail", 1], ["NewsEmail", 0], ["NewsEmail", "1"],
    ["NewsEmail", "0"], ["NewsEmail", 1.0], ["NewsEmail", 2], ["NewsEmail", "yes"], ["NewsEmail", "true"],
    ["news[x]", True], ["", True],
]
KEYS_FILES = {  # name: (text, mode); the CLI reads the same files
    "good": (f"SPREAD_PUBLIC_KEY=pub\nSPREAD_PRIVATE_KEY={SECRET}\n", 0o600),
    "others may read it": (f"SPREAD_PUBLIC_KEY=pub\nSPREAD_PRIVATE_KEY={SECRET}\n", 0o644),
    "an export line": (f"export SPREAD_PUBLIC_KEY=pub\nSPREAD_PRIVATE_KEY={SECRET}\n", 0o600),
    "a key where the name goes": (f"SPREAD_PUBLIC_KEY=pub\nSPREAD_PRIVATE_KEY {SECRET}\n", 0o600),
    "not UTF-8": ("SPREAD_PUBLIC_KEY=p\xe9\n", 0o600),
    "an unknown name": ("SPREAD_BASE_URL=http://x\n", 0o640),
    "no private key": ("SPREAD_PUBLIC_KEY=pub\n", 0o600),
}


def outcome(make: Callable[[], Any]) -> Dict[str, Any]:
    try:
        return {"ok": make()}
    except spread.SpreadError as e:
        return {"status": e.status, "message": str(e)}


def order() -> spread.Order:
    return spread.Order(**minimal_order())


@pytest.fixture(scope="module")
def keys_files(tmp_path_factory) -> Dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    paths = {}
    for name, (text, mode) in KEYS_FILES.items():
        path = folder / name.replace(" ", "-")
        path.write_bytes(text.encode("latin-1"))
        path.chmod(mode)
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def php(libspread: Path, keys_files: Dict[str, Path]) -> Dict[str, List[Dict[str, Any]]]:
    cases = {"fields": FIELDS, "consents": CONSENTS, "keys_files": [str(p) for p in keys_files.values()]}
    run = subprocess.run(["php", str(FIXTURES / "binding_parity.php")], input=json.dumps(cases).encode(),
                         capture_output=True, env=dict(os.environ, SPREAD_LIBRARY=str(libspread)))
    assert run.returncode == 0, run.stderr.decode() + run.stdout.decode()
    return json.loads(run.stdout)


@pytest.mark.parametrize("i", range(len(FIELDS)), ids=[f"{n}={json.dumps(v)}" for n, v in FIELDS])
def test_a_structured_field_gets_the_same_outcome_from_both_bindings(php, i):
    name, value = FIELDS[i]
    python = outcome(lambda: order().set(name, value).encode())
    assert python == php["fields"][i]


def test_structured_fields_are_taken_as_the_seed_holds_them(php):
    # Accepted in both (Python's set() used to raise TypeError for each of them).
    bodies = [o.get("ok", "") for o in php["fields"][:4]]
    assert "data%5Badd_tag%5D%5B0%5D=vip&data%5Badd_tag%5D%5B1%5D=newsletter" in bodies[0]
    assert "data%5Bcustom_fields%5D%5B327%5D=blue&data%5Bcustom_fields%5D%5B12%5D=2.5" in bodies[1]
    assert "data%5Bconsents%5D%5BNewsEmail%5D=1&data%5Bconsents%5D%5BSms%5D=0&data%5Bconsents%5D%5BPost%5D=1" in bodies[2]
    assert "data%5Bproduct_attributes%5D%5B1%5D%5B0%5D=size%3As" in bodies[3]
    assert php["fields"][5] == {"status": 12, "message": 'consents[News]: "2" is not 1 (accepted) or 0 (refused)'}


@pytest.mark.parametrize("i", range(len(CONSENTS)), ids=[f"{n}={json.dumps(v)}" for n, v in CONSENTS])
def test_a_consent_gets_the_same_outcome_from_both_bindings(php, i):
    name, accepted = CONSENTS[i]
    python = outcome(lambda: order().consent(name, accepted).encode())
    assert python == php["consents"][i]


def test_the_consent_rule_is_the_librarys(php):
    words = [o.get("message") for o in php["consents"]]
    assert words[7:10] == [f'consents[NewsEmail]: {v} is not 1 (accepted) or 0 (refused)' for v in ('"2"', '"yes"', '"true"')]
    assert all("ok" in o for o in php["consents"][:7])  # True/False, 1/0, "1"/"0", 1.0 (sent as PHP sends it: 1)


def test_a_keys_file_gets_the_same_outcome_from_both_bindings_and_the_cli(php, keys_files, libspread):
    cli = libspread.parent / "spread"
    assert cli.exists(), f"{cli} is missing: cargo build --release builds it"
    for i, (name, path) in enumerate(keys_files.items()):
        python = outcome(lambda: spread.Client.from_env(environ={"SPREAD_KEYS_FILE": str(path)}) and "client")
        assert python == php["keys_files"][i], name
        assert SECRET not in json.dumps(python), name
        if name in ("good", "no private key"):
            continue  # the CLI says a missing key in its own words (it names --keys-file)
        assert python.get("status") == 14, (name, python)  # SPREAD_ERR_CONFIG
        run = subprocess.run([str(cli), "status", "--keys-file", str(path), "--spool", str(path.parent)],
                             capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")})
        assert run.returncode == 3 and python["message"] in run.stderr, (name, run.stderr)
    assert php["keys_files"][0] == {"ok": "client"}
    assert php["keys_files"][2]["message"].endswith("line 1: not NAME=value")
    assert php["keys_files"][3]["message"].endswith("line 2: not NAME=value")
    assert php["keys_files"][4]["message"].endswith("is not UTF-8 text")
    assert php["keys_files"][6]["message"].startswith("SPREAD_PRIVATE_KEY is not set")
