"""No call of the core changes errno: Winsock never sets it, so Windows code
that reads errno around socket calls must print the same lines on POSIX
(docs/winsock-rules.md, "Signals, fork and errno").

tests/native/errno_core.c makes every kind of ps_* call, succeeding and
failing, blocking and not, with errno set to a sentinel, and checks it after
each; here it is built against the core's sources (csrc/SOURCES) and run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from parity import native

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the POSIX core's rule; ws2_32 is the Windows backend")


def test_no_core_call_changes_errno(tmp_path: "os.PathLike[str]") -> None:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = os.path.join(str(tmp_path), "errno_core")
    build = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + native.CSRC, "-o", exe,
         os.path.join(HERE, "native", "errno_core.c")] + native.CORE_POSIX + ["-lpthread"],
        capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("passed, 0 failed"), run.stdout
    passed = int(run.stdout.split()[-4])
    assert passed >= 60, "the program made fewer checks than it should: %s" % run.stdout
