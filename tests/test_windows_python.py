"""tools/windows_python.py's own logic, and the Python suite's Wine table, checked on every
platform (the run itself is CI's last step: docs/platforms.md, "The Python suite on Windows")."""

from __future__ import annotations

import ast
import os
import sys

import pytest

from parity.wine_differences import SUITE_DIFFERENCES

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import windows_python  # noqa: E402


def _test_functions(filename: str) -> set:
    with open(os.path.join(HERE, filename), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    # test functions, and the test classes a module makes by assignment (a hypothesis state
    # machine's TestCase), whose runTest is the test
    return ({node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)} |
            {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
             if isinstance(target, ast.Name) and target.id.startswith("Test")})


def test_every_suite_difference_names_a_test_that_exists() -> None:
    assert SUITE_DIFFERENCES
    for d in SUITE_DIFFERENCES:
        filename, _, name = d.test.partition("::")
        assert d.kind in ("differs", "hangs", "may differ"), d
        assert name.split("[", 1)[0].split("::", 1)[0] in _test_functions(filename), d.test
        assert d.wine and d.windows and d.reason and d.source, d.test
    tests = [d.test for d in SUITE_DIFFERENCES]
    assert len(tests) == len(set(tests)), "one entry per test"


def test_progress_tells_finished_tests_from_the_one_that_hung(tmp_path) -> None:
    progress = tmp_path / "progress.txt"
    progress.write_text("start a.py::t1\nresult passed a.py::t1\nstart a.py::t2\n"
                        "result failed a.py::t2\nstart a.py::t3[x y]\n", encoding="utf-8")
    outcomes, started = windows_python.read_progress(str(progress))
    assert outcomes == {"a.py::t1": "passed", "a.py::t2": "failed"}
    assert started == "a.py::t3[x y]"
    with progress.open("a", encoding="utf-8") as f:
        f.write("result skipped a.py::t3[x y]\n")
    outcomes, started = windows_python.read_progress(str(progress))
    assert started is None and outcomes["a.py::t3[x y]"] == "skipped"
    assert windows_python.read_progress(str(tmp_path / "none.txt")) == ({}, None)


@pytest.mark.skipif(sys.platform == "win32", reason="converts a Unix path of the host running Wine")
def test_winpath_is_wines_z_drive() -> None:
    assert windows_python.winpath("/tmp/a b/c") == "Z:\\tmp\\a b\\c"


def test_entry_points_come_from_pyproject() -> None:
    version, entry_points = windows_python.project_metadata()
    assert version
    assert "[console_scripts]\nportsock = portsock._cli:main" in entry_points
    assert "[pytest11]\nportsock = portsock.testing.plugin" in entry_points
