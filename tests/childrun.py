"""Runs a test module's child-process scenarios in parallel (test_signals,
test_fork, test_descriptors).

Each scenario is `python SCRIPT ARGS...`, bounded by a timeout after which
the child is killed and the test fails with what it printed. A module's
autouse fixture calls prefetch(), which starts every selected scenario of
the module at once (JOBS at a time); each test then waits for its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

JOBS = int(os.environ.get("PORTSOCK_TEST_JOBS", "6"))
HERE = os.path.dirname(os.path.abspath(__file__))

_pool: Optional[ThreadPoolExecutor] = None
_futures: Dict[Tuple[str, Tuple[str, ...]], Future[ChildResult]] = {}


@dataclass
class ChildResult:
    argv: List[str]
    returncode: Optional[int]
    stdout: str
    stderr: str
    seconds: float
    killed: bool      # still running at the timeout

    @property
    def data(self) -> Dict[str, Any]:
        """The child's last JSON line ({} if it printed none)."""
        for line in reversed(self.stdout.strip().splitlines()):
            if line.startswith("{"):
                try:
                    found = json.loads(line)
                except ValueError:
                    continue
                if isinstance(found, dict):
                    return found
        return {}

    def __str__(self) -> str:
        state = ("KILLED after %.1f s (hung)" % self.seconds if self.killed
                 else "exit status %s after %.1f s" % (self.returncode, self.seconds))
        return "%s: %s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(os.path.basename(a) for a in self.argv[1:]), state, self.stdout[-3000:], self.stderr[-3000:])


def scenarios(script: str, timeout: float) -> Tuple[Any, Callable[[str], Dict[str, Any]]]:
    """For a test module whose cases are scenarios of one child script: the
    autouse fixture that starts them all (assign it to a module-level name),
    and the function a test calls for its scenario's report."""
    @pytest.fixture(scope="module", autouse=True)
    def start_children(request: pytest.FixtureRequest) -> None:
        prefetch(request, script, timeout)

    def child(scenario: str) -> Dict[str, Any]:
        return data_of(result(script, scenario, timeout))

    return start_children, child


def run(argv: List[str], timeout: float) -> ChildResult:
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, cwd=HERE)
    killed = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = True
        proc.kill()
        out, err = proc.communicate(timeout=30)
    return ChildResult(argv, None if killed else proc.returncode, out, err, time.monotonic() - t0, killed)


def submit(script: str, args: Tuple[str, ...], timeout: float) -> Future[ChildResult]:
    global _pool
    key = (script, args)
    if key not in _futures:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=JOBS, thread_name_prefix="childrun")
        argv = [sys.executable, os.path.join(HERE, script), *args]
        _futures[key] = _pool.submit(run, argv, timeout)
    return _futures[key]


def result(script: str, scenario: str, timeout: float) -> ChildResult:
    """The result of `python SCRIPT scenario...` (started now if prefetch did not)."""
    return submit(script, tuple(scenario.split()), timeout).result()


def prefetch(request: pytest.FixtureRequest, script: str, timeout: float) -> None:
    """Starts the scenarios of every selected test of request's module: the
    tests parametrized with a "scenario" argument."""
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and callspec is not None \
                and "scenario" in callspec.params:
            submit(script, tuple(str(callspec.params["scenario"]).split()), timeout)


def data_of(res: ChildResult) -> Dict[str, Any]:
    """The child's report, once it is known the child finished its scenario."""
    assert not res.killed, str(res)
    hung = res.data.get("hung")
    assert not hung, "%s\n%s" % (hung, res)
    assert res.returncode == 0 and res.data and "hung" not in res.data, str(res)
    return res.data
