"""Bad input, each case in a child process of its own (tests/badinput_child.py
has the cases): wrong types, None, str for bytes, read-only and non-contiguous
buffers, lengths beyond the buffer, negative or above INT_MAX, huge and
negative handles, out-of-range how/flags/levels/options, NUL bytes and 1 MB
host and service names, for the mirror and the Pythonic layer.

Every case must end with its Winsock error return or a TypeError/ValueError
(as badinput_child.CASES says), and its process must exit normally within
CASE_TIMEOUT: a crash (a signal) or a hang fails the case. The children run a
few at a time, all started by the first test that needs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

import badinput_child
import pytest
from badinput_child import CASES, Case

CHILD = os.path.abspath(badinput_child.__file__)
CASE_TIMEOUT = 60.0
PARALLEL = max(2, min(8, 2 * (os.cpu_count() or 1)))


def _run_one(case: Case) -> Dict[str, Any]:
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, CHILD, case.name], capture_output=True, text=True,
                              timeout=CASE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"status": "hang", "seconds": CASE_TIMEOUT}
    out: Dict[str, Any] = {"status": proc.returncode, "seconds": round(time.monotonic() - t0, 2),
                           "stderr": proc.stderr[-2000:]}
    if proc.returncode == 0:
        out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


@pytest.fixture(scope="module")
def outcomes() -> Dict[str, Dict[str, Any]]:
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip((c.name for c in CASES), pool.map(_run_one, CASES)))


def test_there_are_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.name, marks=[pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else [])
    for c in CASES])
def test_bad_input(case: Case, outcomes: Dict[str, Dict[str, Any]]) -> None:
    result = outcomes[case.name]
    # Whatever the outcome, the process survived and ended on its own.
    assert result["status"] == 0, "child %s: %r" % (result["status"], result.get("stderr"))
    assert result["ok"], "expected %r, got %r" % (case.expected, result["got"])


def test_no_case_ends_in_an_overflow_attribute_or_raw_cffi_error(outcomes: Dict[str, Dict[str, Any]]) -> None:
    """Wrong types are TypeError and out-of-range values ValueError (or the
    Winsock error return): never what leaks from a conversion inside."""
    leaked = {name: got for name, result in outcomes.items() for got in [result.get("got") or {}]
              if got.get("raised") in ("OverflowError", "AttributeError")
              or "ctype" in got.get("message", "") or "cdata" in got.get("message", "")}
    assert not leaked


def _takes_arguments(fn: Any) -> bool:
    import inspect
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):   # a C function (WSAGetLastError)
        return False
    return any(p.name != "self" for p in params)


def test_every_public_function_taking_arguments_is_in_the_table() -> None:
    """Each public function and method of the mirror and the Pythonic layer
    that takes arguments is run over bad ones by at least one case."""
    import portsock
    from portsock import winsock as ws
    exprs = " ".join(c.expr for c in CASES)
    # Not functions of the API: typing names the mirror's __all__ lets through, and the trace recorder.
    exempt = {"Any", "Callable", "List", "Optional", "Tuple", "Type", "TypeVar", "Union", "trace", "Trace"}
    missing = [name for name in ws.__all__ if name not in exempt and not name.isupper()
               and callable(getattr(ws, name)) and _takes_arguments(getattr(ws, name))
               and "ws.%s(" % name not in exprs]
    missing += [name for name in portsock.__all__ if callable(getattr(portsock, name)) and name != "winsock"
                and _takes_arguments(getattr(portsock, name)) and "portsock.%s(" % name not in exprs]
    for cls, var in ((portsock.Connection, "conn"), (portsock.Listener, "listener")):
        for name in dir(cls):
            attr = getattr(cls, name)
            if name.startswith("_"):
                continue
            if isinstance(attr, property):
                if attr.fset is not None and "setattr(%s, '%s'" % (var, name) not in exprs:
                    missing.append("%s.%s (set)" % (cls.__name__, name))
            elif callable(attr) and _takes_arguments(attr) and name != "from_socket" \
                    and "%s.%s(" % (var, name) not in exprs:
                missing.append("%s.%s" % (cls.__name__, name))
    assert "portsock.Connection.from_socket(" in exprs
    assert not missing, missing
