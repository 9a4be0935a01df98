"""tools/windows_python.py's own logic, and the Python suite's Wine table, checked on every
platform (the run itself is CI's last step: docs/platforms.md, "The Python suite on Windows")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from parity.wine_differences import SUITE_DIFFERENCES

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import windows_python  # noqa: E402


def _collected(files: set) -> set:
    """The node ids pytest collects from files (under tests/, parameters
    included): an entry naming a parametrized case by its id (an index into
    a document's blocks, say) must still name that case."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          *sorted(files)], cwd=HERE, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return {line.split("tests/", 1)[-1] for line in out.stdout.splitlines() if "::" in line}


def test_every_suite_difference_names_a_test_that_exists() -> None:
    assert SUITE_DIFFERENCES
    collected = _collected({d.test.partition("::")[0] for d in SUITE_DIFFERENCES})
    functions = {nodeid.split("[", 1)[0] for nodeid in collected}
    for d in SUITE_DIFFERENCES:
        assert d.kind in ("differs", "hangs", "may differ"), d
        # a parametrized case by its id, or a test function for all of its cases
        assert d.test in collected or ("[" not in d.test and d.test in functions), d.test
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


_XFAILS = """
import pytest

@pytest.mark.xfail(strict=False, reason="may differ")
def test_may_differ_and_passes():
    pass

@pytest.mark.xfail(strict=False, reason="may differ")
def test_may_differ_and_fails():
    assert False

@pytest.mark.xfail(strict=True, reason="differs")
def test_differs_but_passes():
    pass

def test_fails():
    assert False
"""


def _run_with_plugin(tmp_path, **files: str) -> subprocess.CompletedProcess:
    """_XFAILS under a real pytest with the runner's plugin; each keyword names
    a PORTSOCK_WINPY_* variable (PROGRESS, ONLY, DONE) and the lines of its file."""
    (tmp_path / "test_xfails.py").write_text(_XFAILS, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(os.path.dirname(HERE), "tools"),
                                                        os.environ.get("PYTHONPATH", "")]))
    for variable, text in files.items():
        path = tmp_path / (variable.lower() + ".txt")
        path.write_text(text, encoding="utf-8")
        env["PORTSOCK_WINPY_" + variable] = str(path)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "windows_pytest_plugin", "-p",
                           "no:cacheprovider", "-p", "no:randomly", "test_xfails.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_only_failures_and_strict_xpasses_fail_the_run(tmp_path) -> None:
    """The plugin's outcomes from a real pytest run, and which of them the runner counts."""
    _run_with_plugin(tmp_path, PROGRESS="")
    outcomes, started = windows_python.read_progress(str(tmp_path / "progress.txt"))
    assert started is None
    assert {n.split("::")[1]: o for n, o in outcomes.items()} == {
        "test_may_differ_and_passes": "xpassed", "test_may_differ_and_fails": "xfailed",
        "test_differs_but_passes": "failed", "test_fails": "failed"}
    assert [n.split("::")[1] for n in windows_python.failures(outcomes)] == ["test_differs_but_passes", "test_fails"]


def test_a_second_run_keeps_only_the_tests_named(tmp_path) -> None:
    """The plugin's PORTSOCK_WINPY_ONLY (the runner's second run of what failed), with
    PORTSOCK_WINPY_DONE, in a real pytest run; a later outcome replaces an earlier one."""
    out = _run_with_plugin(
        tmp_path, PROGRESS="start test_xfails.py::test_fails\nresult passed test_xfails.py::test_fails\n",
        ONLY="test_xfails.py::test_fails\ntest_xfails.py::test_differs_but_passes\n",
        DONE="test_xfails.py::test_differs_but_passes\n")
    assert "1 failed, 3 deselected" in out.stdout, out.stdout
    outcomes, _ = windows_python.read_progress(str(tmp_path / "progress.txt"))
    assert outcomes == {"test_xfails.py::test_fails": "failed"}


def test_an_abort_of_the_wine_server_is_told_from_a_tests_output() -> None:
    seen = (b"...s.wineserver64: server/sock.c:1331: sock_poll_event: Assertion "
            b"`sock->obj.ops == &sock_ops' failed.\n")
    assert windows_python.server_aborted(seen)
    # (pieces on lines of their own: a traceback of this test must not look like an abort itself)
    assert windows_python.server_aborted(b"wineserver: server/fd.c:10: f: " +
                                         b"Assertion `x' failed.")
    assert not windows_python.server_aborted(b"AssertionError: wineserver failed\n")
    assert not windows_python.server_aborted(b"E   assert 'Assertion failed' in out\n")


@pytest.mark.skipif(sys.platform == "win32", reason="converts a Unix path of the host running Wine")
def test_winpath_is_wines_z_drive() -> None:
    assert windows_python.winpath("/tmp/a b/c") == "Z:\\tmp\\a b\\c"


def test_entry_points_come_from_pyproject() -> None:
    version, entry_points = windows_python.project_metadata()
    assert version
    assert "[console_scripts]\nportsock = portsock._cli:main" in entry_points
    assert "[pytest11]\nportsock = portsock.testing.plugin" in entry_points
