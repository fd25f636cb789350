"""Outside input inside the host process (issue 21): a deep form body is an error, not a
crash (items 4); big bodies parse in linear time (5); a logging handler that raises
changes no outcome, is reported once and skipped for the rest of the call (6).

Items 4 and 5 call the C ABI in this very process through ctypes, as the PHP binding's
FFI does: a stack overflow would kill pytest itself."""

from __future__ import annotations

import ctypes
import logging
import time
import warnings
from pathlib import Path

import pytest
from spread_test_helpers import minimal_order

import spread


@pytest.fixture(scope="module")
def c_abi(spread_library: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(spread_library))
    lib.spread_order_from_form.restype = ctypes.c_void_p
    lib.spread_order_from_form.argtypes = [ctypes.c_char_p, ctypes.c_bool]
    lib.spread_order_free.argtypes = [ctypes.c_void_p]
    lib.spread_last_error.restype = ctypes.c_char_p
    return lib


def from_form(lib: ctypes.CDLL, body: str, strict: bool = False):
    """(order pointer or None, the error message)."""
    ptr = lib.spread_order_from_form(body.encode(), strict)
    if ptr:
        lib.spread_order_free(ptr)
        return True, ""
    return False, lib.spread_last_error().decode()


SEED = ("data%5Bcustomer_email%5D=john%40doe.com&data%5Border_idorder%5D=0000001&data%5Border_state%5D=10"
        "&data%5Border_amount%5D=158.310&data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08"
        "&request%5Border_idorder%5D=0000001")


def test_the_600_kb_body_of_item_4_is_a_clear_error(c_abi):
    body = "x" + "[a]" * 200_000 + "=1"
    for strict in (False, True):
        ok, error = from_form(c_abi, body, strict)
        assert not ok
        assert error.startswith("post_data: ") and "200000 levels" in error and "64" in error, error
    # Still alive, and an order nested as PHP allows is taken.
    assert from_form(c_abi, SEED + "&x" + "[a]" * 64 + "=1") == (True, "")
    assert not from_form(c_abi, SEED + "&x" + "[a]" * 65 + "=1")[0]


def test_the_binding_s_json_path_refuses_deep_data_too():
    def nested(levels: int) -> object:
        deep: object = "1"
        for _ in range(levels):
            deep = [deep]
        return deep

    spread.Order.from_dict(minimal_order("H-1", x=nested(63))).close()  # data[x] and 63 more: 64
    with pytest.raises(spread.InvalidValueError, match="65 levels"):
        spread.Order.from_dict(minimal_order("H-1", x=nested(64)))


def test_big_bodies_parse_in_linear_time(c_abi):
    tags = SEED + "&data%5Badd_tag%5D%5B%5D=tag-000001" * 80_000
    xs = "x[]=1&" * 200_000  # no data[...]: the whole array is parsed (then refused: no order in it)
    assert len(tags) > 2_500_000
    for what, body, want in (("80,000 tags, 2.5 MB", tags, ""), ("200,000 x[]", xs, "customer_email: ")):
        started = time.perf_counter()
        ok, error = from_form(c_abi, body)
        took = time.perf_counter() - started
        print(f"{what}: {took * 1000:.1f} ms")
        assert (ok, error[:len(want)]) == (not want, want), error
        assert took < 1.0, f"{what}: {took:.2f} s"


class Broken(logging.Handler):
    """A handler whose emit raises (a file that cannot be opened), counting its calls."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.calls = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.calls += 1
        raise OSError("[Errno 13] Permission denied: '/var/log/shop.log'")


@pytest.fixture
def broken():
    logger = logging.getLogger("spread")
    handler, level = Broken(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_handler_that_raises_changes_no_outcome_and_is_reported_once(sb, broken, tmp_path):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=10) as client:
        sb.fault(mode="status", code=503, times=1)  # attempt, retry, attempt: three records
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert client.update_order(minimal_order("H-L1")).status == 200
        assert broken.calls == 1, "skipped for the rest of the call"
        reports = [w for w in caught if "Permission denied" in str(w.message)]
        assert len(reports) == 1 and issubclass(reports[0].category, RuntimeWarning), [str(w.message) for w in caught]
        # The next call tries the handler again.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert client.update_order(minimal_order("H-L2")).status == 200
        assert broken.calls == 2 and len(caught) == 1


@pytest.mark.filterwarnings("ignore:spread. a logging handler raised:RuntimeWarning")  # the delivery thread's
def test_warnings_as_errors_change_no_outcome_either(sb, broken, tmp_path, capfd):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=10,
                       spool_dir=tmp_path / "spool", max_attempts=1) as client:
        sb.fault(mode="status", code=503)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert client.update_order(minimal_order("H-L3")).queued
            assert client.enqueue(minimal_order("H-L4")).queued
    assert "Permission denied" in capfd.readouterr().err
