"""C programs on the POSIX core, each checking a rule C code relies on; each is
built against the core's sources (csrc/SOURCES) and run, and prints
"N passed, N failed" (docs/porting.md, "7. Signals, fork, errno and descriptors").

- tests/native/errno_core.c: no call of the core changes errno (Winsock never
  sets it, so Windows code that reads errno around socket calls must print the
  same lines on POSIX). Every kind of ps_* call, succeeding and failing,
  blocking and not, runs with errno at a sentinel.
- tests/native/signals_core.c: a signal never surfaces in a C program (the
  call goes on with what is left of its timeout) unless it opts in with
  ps_set_signal_hook, whose hook can stop recv, sendall, disconnect and
  accept with WSAEINTR, the socket left usable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from parity import native

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the POSIX core's rules; ws2_32 is the Windows backend")

# Each program, and the fewest checks it must have made (so that one which
# stopped early cannot pass).
PROGRAMS = {"errno_core.c": 60, "signals_core.c": 20}


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_core_program(program: str, tmp_path: os.PathLike[str]) -> None:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = os.path.join(str(tmp_path), program[:-2])
    build = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + native.CSRC, "-o", exe,
         os.path.join(HERE, "native", program)] + native.CORE_POSIX + ["-lpthread"],
        capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("passed, 0 failed"), run.stdout
    passed = int(run.stdout.split()[-4])
    assert passed >= PROGRAMS[program], "the program made fewer checks than it should: %s" % run.stdout


@pytest.mark.parametrize("backend", ["posix", "win32"])
def test_core_exports_only_ps_names(backend: str, tmp_path: os.PathLike[str]) -> None:
    """A program linked with the core keeps its own names: every symbol the
    core's objects define globally starts with ps_ (a program with its own
    fail() or wait_ready() must link, and never call into the core by
    accident)."""
    cc, nm = ("gcc", "nm") if backend == "posix" else ("x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-nm")
    if shutil.which(cc) is None or shutil.which(nm) is None:
        if os.environ.get("PORTSOCK_REQUIRE_WINE") == "1":
            pytest.fail("%s or %s is missing" % (cc, nm))
        pytest.skip("no %s" % cc)
    sources = native.CORE_POSIX if backend == "posix" else native.CORE_WIN32
    assert len(sources) >= 3
    foreign = []
    for source in sources:
        obj = os.path.join(str(tmp_path), os.path.basename(source) + ".o")
        build = subprocess.run([cc, "-std=c11", "-c", "-I" + native.CSRC, "-o", obj, source],
                               capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stderr
        symbols = subprocess.run([nm, "-g", "--defined-only", obj], capture_output=True, text=True,
                                 timeout=60, check=True).stdout.split("\n")
        # mingw's .refptr.NAME is its pointer to NAME, made by the compiler.
        names = [line.split()[-1].replace(".refptr.", "", 1) for line in symbols if line.strip()]
        assert names, "%s defines nothing?" % source
        foreign += ["%s: %s" % (os.path.basename(source), n) for n in names if not n.startswith("ps_")]
    assert foreign == []
