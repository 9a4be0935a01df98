"""pytest plugin of tools/windows_python.py: the progress of a run, so that a run a hang ended
can resume after the test that hung.

PORTSOCK_WINPY_PROGRESS names a file that gets a "start NODEID" line when a test starts and a
"result OUTCOME NODEID" line when it ends (flushed to disk at once: the process may end at any
moment, by pytest-timeout's thread method or the runner's watchdog). PORTSOCK_WINPY_DONE names
a file of node ids, one a line, that this run deselects: those that ran, and the one that hung.
PORTSOCK_WINPY_ONLY names a file of the node ids a run keeps (the runner's second run of the
tests that failed).
"""

from __future__ import annotations

import os
from typing import IO, Dict, List, Optional

import pytest

_progress: Optional[IO[str]] = None
_outcome: Dict[str, str] = {}


def _write(line: str) -> None:
    global _progress
    path = os.environ.get("PORTSOCK_WINPY_PROGRESS")
    if not path:
        return
    if _progress is None:
        _progress = open(path, "a", encoding="utf-8")
    _progress.write(line + "\n")
    _progress.flush()
    os.fsync(_progress.fileno())


def _node_ids(variable: str) -> Optional[set]:
    path = os.environ.get(variable)
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n") for line in f}


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    done, only = _node_ids("PORTSOCK_WINPY_DONE"), _node_ids("PORTSOCK_WINPY_ONLY")

    def runs(item: pytest.Item) -> bool:
        return (done is None or item.nodeid not in done) and (only is None or item.nodeid in only)

    gone = [item for item in items if not runs(item)]
    if gone:
        config.hook.pytest_deselected(items=gone)
        items[:] = [item for item in items if runs(item)]


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _outcome[nodeid] = "passed"
    _write("start " + nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    current = _outcome.get(report.nodeid, "passed")
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.failed:
        outcome = "failed" if report.when == "call" else "error"
    elif report.skipped:
        outcome = "skipped"
    else:
        return
    # The worst phase decides: an error in teardown after a pass is an error.
    rank = ["passed", "skipped", "xfailed", "xpassed", "failed", "error"]
    if rank.index(outcome) > rank.index(current):
        _outcome[report.nodeid] = outcome


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _write("result %s %s" % (_outcome.pop(nodeid, "passed"), nodeid))
