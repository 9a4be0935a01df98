"""The Python test suite under a real Windows CPython (win_amd64, the MSVC build) in Wine.

    python tools/windows_python.py [--cache DIR] [--setup-only] [PYTEST ARGS ...]

Assembles a Windows CPython 3.11 from the package registries, builds portsock's extension for
Windows (csrc/win32.c over ws2_32, cross-compiled with mingw), installs it and the test
dependencies, and runs the suite under Wine; prints the pass/fail/skip counts and exits 0 only
if nothing failed or hung. docs/platforms.md, "The Python suite on Windows", has the why of each
step and what remains.

Where the parts come from (nothing of them is committed):
  - python311.dll, the standard library's extension modules and the C runtime: the win_amd64
    wheel of panda3d 1.10 for cp311, which ships them in deploy_libs/ (PyPI);
  - the pure-Python standard library, the headers and Windows' PC/pyconfig.h: Debian's
    python3.11 source package (apt-get source, with a deb-src list of our own);
  - python.exe: a wmain -> Py_Main launcher, built here with mingw;
  - pip (ensurepip), then cffi, pytest and the rest as win_amd64 or pure wheels that pip
    downloads on this machine.

The cache (--cache, or $PORTSOCK_WINPY_CACHE; a temporary directory removed at the end
otherwise) keeps the downloads, the assembled tree and the Wine prefix, so a second run only
rebuilds the extension and runs the tests. Every step that assembles something leaves a stamp
and is skipped when its stamp is there.

Hangs cannot stall the run: every test has a timeout (pytest-timeout, the thread method, the
one that works on Windows; it ends the whole pytest process), a watchdog kills a pytest that
stops making progress, and the run then resumes after the test that hung, which counts as a
failure. tools/windows_pytest_plugin.py records the progress.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WINE = os.environ.get("PORTSOCK_WINE", "/usr/lib/wine/wine64")
WINESERVER = os.environ.get("PORTSOCK_WINESERVER", "/usr/lib/wine/wineserver")
MINGW_GCC = "x86_64-w64-mingw32-gcc"
PY_TAG = "311"                       # python311.dll; the headers and Lib/ must be 3.11 too
RUNTIME_WHEEL = "panda3d==1.10.*"
# The Debian release whose source package is Python 3.11, whatever this machine runs.
DEBIAN_SUITE = "bookworm"
TEST_REQUIREMENTS = ["cffi>=1.15", "pytest>=7", "pytest-timeout>=2", "hypothesis>=6",
                     "pytest-asyncio>=0.23",
                     # pytest needs it on Windows; pip on Linux evaluates markers for Linux
                     "colorama"]
# The project's own per-test timeout (pyproject.toml) unless told otherwise: under Wine every
# child process costs a Windows process start, and test_bad_input's fixture starts 230 of them.
TEST_TIMEOUT_S = int(os.environ.get("PORTSOCK_WINPY_TEST_TIMEOUT", "300"))
# No line of progress for this long: pytest is stuck where its own timeout cannot reach.
WATCHDOG_S = TEST_TIMEOUT_S + 60
MAX_RESUMES = 12                     # each hang costs one resume; more than this is a failure
SERVER_ABORT_RETRIES = 2             # runs again of a test during which the Wine server aborted
RERUN_MAX = 500                      # failed tests run once more; more than this is a broken build
# The Wine parity tests build and run their own Windows programs from Linux, and packaging
# builds wheels with the host's toolchain: neither applies inside the Windows Python.
DEFAULT_MARKERS = "not parity and not packaging"


def log(msg: str) -> None:
    print("windows_python: " + msg, flush=True)


def run(cmd: List[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


class Runtime:
    """The cache's layout, and how to run the Windows Python in it."""

    def __init__(self, cache: str) -> None:
        self.cache = cache
        self.dl = os.path.join(cache, "downloads")
        self.wheels = os.path.join(cache, "wheels")
        self.tree = os.path.join(cache, "python")          # the Windows CPython
        self.prefix = os.path.join(cache, "wineprefix")
        self.build = os.path.join(cache, "build")
        self.python_exe = os.path.join(self.tree, "python.exe")

    def stamp(self, name: str) -> str:
        return os.path.join(self.cache, "stamp-" + name)

    def done(self, name: str) -> bool:
        return os.path.exists(self.stamp(name))

    def mark(self, name: str) -> None:
        with open(self.stamp(name), "w") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S\n"))

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(WINEPREFIX=self.prefix, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
                   # console scripts (portsock.exe, pytest.exe) are found through WINEPATH
                   WINEPATH=winpath(os.path.join(self.tree, "Scripts")),
                   PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
        # PORTSOCK_REQUIRE_WINE (set by .ci/run) says gcc, mingw and Wine are on
        # this Linux machine; inside Wine they are not, and the tests that build
        # with them skip there as on any Windows without them.
        for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PORTSOCK_REQUIRE_WINE"):
            env.pop(name, None)
        return env

    def python(self, args: List[str], timeout: float = 600, cwd: Optional[str] = None,
               env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        """python.exe ARGS under Wine. Its stdout is always a pipe: Windows Python cannot
        use a regular file there under Wine (init_sys_streams: Invalid handle)."""
        return run([WINE, self.python_exe] + args, cwd=cwd or ROOT, env=env or self.env(),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                   errors="replace", timeout=timeout, check=False)

    def python_checked(self, args: List[str], **kw) -> str:
        cp = self.python(args, **kw)
        if cp.returncode != 0:
            sys.stdout.write(cp.stdout)
            raise SystemExit("windows_python: python.exe %s failed (exit %d)"
                             % (" ".join(args[:3]), cp.returncode))
        return cp.stdout


def winpath(path: str) -> str:
    """A Unix path as Wine's Z: drive shows it."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


# ---- assembling the runtime ----------------------------------------------------------------

def fetch_runtime_wheel(rt: Runtime) -> str:
    found = glob.glob(os.path.join(rt.dl, "panda3d-*-cp%s-*win_amd64.whl" % PY_TAG))
    if not found:
        log("downloading %s (win_amd64, cp%s) for its deploy_libs" % (RUNTIME_WHEEL, PY_TAG))
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", rt.dl,
             "--platform", "win_amd64", "--python-version", "3." + PY_TAG[1:], "--implementation",
             "cp", "--abi", "cp" + PY_TAG, "--only-binary=:all:", RUNTIME_WHEEL])
        found = glob.glob(os.path.join(rt.dl, "panda3d-*-cp%s-*win_amd64.whl" % PY_TAG))
    return sorted(found)[-1]


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (deb.debian.org when it names none)."""
    texts = []
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
        if path.endswith((".list", ".sources")) and os.path.isfile(path):
            with open(path, errors="replace") as f:
                texts.append(f.read())
    for text in texts:
        m = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", text, re.M) or \
            re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", text, re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def fetch_cpython_source(rt: Runtime) -> str:
    found = glob.glob(os.path.join(rt.dl, "python3.11_*.orig.tar.*"))
    if found:
        return sorted(found)[-1]
    apt = os.path.join(rt.cache, "apt")
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(apt, sub), exist_ok=True)
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    signed = "[signed-by=%s] " % keyring if os.path.exists(keyring) else "[trusted=yes] "
    sources = os.path.join(apt, "sources.list")
    with open(sources, "w") as f:
        f.write("deb-src %s%s %s main\n" % (signed, debian_mirror(), DEBIAN_SUITE))
    opts = ["-q", "-o", "Dir::Etc::sourcelist=" + sources, "-o", "Dir::Etc::sourceparts=-",
            "-o", "Dir::State::Lists=" + os.path.join(apt, "lists"),
            "-o", "Dir::Cache=" + os.path.join(apt, "cache"), "-o", "APT::Sandbox::User=root"]
    log("downloading Debian's python3.11 source package (%s) for Lib/, Include/ and PC/pyconfig.h"
        % DEBIAN_SUITE)
    run(["apt-get"] + opts + ["update"], stdout=subprocess.DEVNULL)
    run(["apt-get"] + opts + ["source", "--download-only", "python3.11"], cwd=rt.dl,
        stdout=subprocess.DEVNULL)
    found = glob.glob(os.path.join(rt.dl, "python3.11_*.orig.tar.*"))
    if not found:
        raise SystemExit("windows_python: apt-get source python3.11 left no .orig tarball")
    return sorted(found)[-1]


LAUNCHER_C = """\
/* python.exe: the interpreter is python311.dll; this is all a launcher does. */
#include <wchar.h>
__declspec(dllimport) int Py_Main(int argc, wchar_t **argv);
int wmain(int argc, wchar_t **argv) { return Py_Main(argc, argv); }
"""


def assemble_tree(rt: Runtime) -> None:
    if rt.done("tree"):
        return
    wheel = fetch_runtime_wheel(rt)
    source = fetch_cpython_source(rt)
    log("assembling the Windows CPython in %s" % rt.tree)
    shutil.rmtree(rt.tree, ignore_errors=True)
    dlls = os.path.join(rt.tree, "DLLs")
    os.makedirs(dlls)
    os.makedirs(os.path.join(rt.tree, "Scripts"))
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            base = name.rsplit("/", 1)[-1]
            if not name.startswith("deploy_libs/") or not base:
                continue
            low = base.lower()
            if low.startswith(("python3", "vcruntime", "api-ms-win-")):
                dest = rt.tree                 # beside python.exe, as the installer puts them
            elif low.endswith((".pyd", ".dll")):
                dest = dlls                    # the extension modules and what they load
            else:
                continue
            with z.open(name) as src, open(os.path.join(dest, base), "wb") as out:
                shutil.copyfileobj(src, out)
    unpack = os.path.join(rt.cache, "unpack")
    shutil.rmtree(unpack, ignore_errors=True)
    os.makedirs(unpack)
    # The test suites and IDLE are most of Lib/ and none of them is needed.
    run(["tar", "xf", source, "-C", unpack, "--wildcards",
         "--exclude=*/Lib/test", "--exclude=*/Lib/idlelib", "--exclude=*/Lib/*/tests",
         "--exclude=*/Lib/tkinter/test", "*/Lib", "*/Include", "*/PC/pyconfig.h"])
    top = glob.glob(os.path.join(unpack, "Python-3.11*"))[0]
    shutil.move(os.path.join(top, "Lib"), os.path.join(rt.tree, "Lib"))
    shutil.move(os.path.join(top, "Include"), os.path.join(rt.tree, "include"))
    shutil.copy(os.path.join(top, "PC", "pyconfig.h"), os.path.join(rt.tree, "include"))
    shutil.rmtree(unpack)
    launcher = os.path.join(rt.cache, "launcher.c")
    with open(launcher, "w") as f:
        f.write(LAUNCHER_C)
    run([MINGW_GCC, "-municode", "-O2", "-s", "-o", rt.python_exe, launcher,
         "-L" + rt.tree, "-lpython" + PY_TAG])
    rt.mark("tree")


def install_test_dependencies(rt: Runtime) -> None:
    if rt.done("deps"):
        return
    log("pip under Wine (ensurepip), then the test dependencies")
    rt.python_checked(["-m", "ensurepip", "--default-pip"], timeout=600)
    os.makedirs(rt.wheels, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "-q", "-d", rt.wheels, "--platform", "win_amd64",
         "--python-version", "3." + PY_TAG[1:], "--implementation", "cp", "--abi", "cp" + PY_TAG,
         "--only-binary=:all:"] + TEST_REQUIREMENTS)
    rt.python_checked(["-m", "pip", "install", "-q", "--no-warn-script-location",
                       "--disable-pip-version-check", "--no-index", "--find-links",
                       winpath(rt.wheels)] + TEST_REQUIREMENTS, timeout=900)
    rt.mark("deps")


# ---- the extension and the package ---------------------------------------------------------

def project_metadata() -> Tuple[str, str]:
    """The version and the entry points, from their one definition each."""
    with open(os.path.join(ROOT, "src", "portsock", "_version.py")) as f:
        version = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        pyproject = f.read()
    sections = []
    for table, group in (("project.scripts", "console_scripts"),
                         ('project.entry-points.pytest11', "pytest11")):
        m = re.search(r"^\[%s\]\n((?:[^\[\n].*\n)+)" % re.escape(table), pyproject, re.M)
        if m:
            sections.append("[%s]\n%s" % (group, m.group(1).replace('"', "")))
    return version, "\n".join(sections)


def build_and_install_package(rt: Runtime) -> None:
    """build.py under the Windows Python takes its win32 branch; its C is compiled with mingw
    against python311.dll and ws2_32. The package is then installed in place, as the Linux
    venv has it (an editable install): src/portsock/_core.pyd next to the Linux build's
    _core.abi3.so (each Python loads only its own; *.pyd is ignored by git and the sdist), and
    a wheel of our own holding a .pth for src/ and the entry points. The suite and
    portsock._parity find the source tree (tests/native/scenarios.txt, csrc/) where they
    find it on Linux."""
    shutil.rmtree(rt.build, ignore_errors=True)
    os.makedirs(rt.build)
    core_c = os.path.join(rt.build, "_core.c")
    out = rt.python_checked(["-c", "import build, sys; build.ffibuilder.emit_c_code(sys.argv[1]); "
                             "print('SOURCES', *build.core_sources(build.BACKEND)); "
                             "print('LIBRARIES', *build.LIBRARIES)", winpath(core_c)])
    sources = re.search(r"^SOURCES (.*)$", out, re.M).group(1).split()
    libraries = re.search(r"^LIBRARIES ?(.*)$", out, re.M).group(1).split()
    pyd = os.path.join(rt.build, "_core.pyd")
    log("compiling the extension: %s" % " ".join(sources))
    run([MINGW_GCC, "-shared", "-O2", "-DNDEBUG", "-std=c11", "-Wall", "-Werror",
         # cffi's generated C has unused helpers; the core's own files are compiled strictly
         "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
         "-I" + os.path.join(rt.tree, "include"), "-I" + os.path.join(ROOT, "csrc"),
         "-o", pyd, core_c] + [os.path.join(ROOT, s) for s in sources] +
        ["-L" + rt.tree, "-lpython" + PY_TAG] + ["-l" + lib for lib in libraries] +
        ["-static-libgcc"], cwd=ROOT)
    shutil.copyfile(pyd, os.path.join(ROOT, "src", "portsock", "_core.pyd"))

    version, entry_points = project_metadata()
    tag = "cp%s-cp%s-win_amd64" % (PY_TAG, PY_TAG)
    wheel = os.path.join(rt.build, "portsock-%s-%s.whl" % (version, tag))
    info = "portsock-%s.dist-info/" % version
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("__editable__.portsock.pth", winpath(os.path.join(ROOT, "src")) + "\n")
        z.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: portsock\nVersion: %s\n"
                   "Requires-Dist: cffi>=1.15\n" % version)
        z.writestr(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: tools/windows_python.py\n"
                   "Root-Is-Purelib: false\nTag: %s\n" % tag)
        z.writestr(info + "entry_points.txt", entry_points)
        z.writestr(info + "RECORD", "")
    rt.python_checked(["-m", "pip", "install", "-q", "--no-warn-script-location",
                       "--disable-pip-version-check", "--no-deps", "--no-index",
                       "--force-reinstall", winpath(wheel)], timeout=600)


def smoke(rt: Runtime) -> None:
    out = rt.python_checked(
        ["-c", "import sys, portsock, portsock._core as c; from portsock import winsock as ws; "
               "d = ws.WSADATA(); rc = ws.WSAStartup(ws.MAKEWORD(2, 2), d); "
               "print('smoke', sys.platform, portsock.__version__, c.__file__, rc, ws.WSACleanup())"],
        cwd=rt.build)
    line = [x for x in out.splitlines() if x.startswith("smoke ")]
    if not line or not line[0].endswith(" 0 0"):
        sys.stdout.write(out)
        raise SystemExit("windows_python: the smoke import failed")
    log(line[0])


# ---- running the suite ---------------------------------------------------------------------

def read_progress(path: str) -> Tuple[Dict[str, str], Optional[str]]:
    """The outcomes recorded so far, and the test that started without finishing."""
    outcomes: Dict[str, str] = {}
    started: Optional[str] = None
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                kind, _, rest = line.rstrip("\n").partition(" ")
                if kind == "start":
                    started = rest
                elif kind == "result":
                    outcome, _, nodeid = rest.partition(" ")
                    outcomes[nodeid] = outcome
                    if nodeid == started:
                        started = None
    return outcomes, started


def failures(outcomes: Dict[str, str]) -> List[str]:
    """The tests that fail the run. A strict xfail that passes is reported
    "failed" by pytest itself; "xpassed" is a non-strict one (a Wine 8
    deviation that a run may or may not meet), which is no failure."""
    return sorted(n for n, o in outcomes.items() if o in ("failed", "error"))


def rerun_failures(rt: Runtime, args: List[str], env: Dict[str, str], progress: str, done_list: str,
                   first: List[str], hung: List[str]) -> Tuple[Optional[int], List[str]]:
    """Runs the tests that failed once more, alone: under Wine a test now and then fails for
    Wine's own reasons (a CreateProcess that gives ERROR_INTERNAL_ERROR, a peer thread starved
    of time), and a test that passes the second time is reported as flaky rather than failed.
    Returns the run's exit status and the tests that passed the second time."""
    log("running the %d test(s) that failed once more" % len(first))
    only = os.path.join(rt.cache, "only.txt")
    with open(only, "w", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in first))
    if os.path.exists(done_list):
        os.remove(done_list)
    rc, stalled, aborted = pytest_once(rt, args, dict(env, PORTSOCK_WINPY_ONLY=winpath(only)), progress)
    outcomes, started = read_progress(progress)
    if started is not None and (stalled or aborted):
        hung.append(started)
    still = set(failures(outcomes))
    return rc, [n for n in first if n not in still]


def run_suite(rt: Runtime, pytest_args: List[str]) -> int:
    progress = os.path.join(rt.cache, "progress.txt")
    done_list = os.path.join(rt.cache, "done.txt")
    for path in (progress, done_list):
        if os.path.exists(path):
            os.remove(path)
    env = rt.env()
    env.update(PYTHONPATH=winpath(os.path.join(ROOT, "tools")),
               PORTSOCK_WINPY_PROGRESS=winpath(progress), PORTSOCK_WINPY_DONE=winpath(done_list))
    args = ["-m", "pytest", "-p", "windows_pytest_plugin", "-p", "no:cacheprovider",
            "-o", "timeout=%d" % TEST_TIMEOUT_S, "-o", "timeout_method=thread", "-q", "-rfE"]
    if not any(a == "-m" for a in pytest_args):
        args += ["-m", DEFAULT_MARKERS]
    args += pytest_args
    hung: List[str] = []
    crashed: Dict[str, int] = {}
    t0 = time.time()
    resumed = ""
    for _ in range(MAX_RESUMES + 1):
        log("pytest under Wine%s" % resumed)
        rc, stalled, aborted = pytest_once(rt, args, env, progress)
        outcomes, started = read_progress(progress)
        if started is None and not stalled and not aborted:
            break
        if started is None:
            started = "<between tests>"
        if aborted and crashed.get(started, 0) < SERVER_ABORT_RETRIES:
            # Wine's own server failed, not the test: the test runs again.
            crashed[started] = crashed.get(started, 0) + 1
            log("%s: the Wine server aborted on an assertion of its own; running the test again" % started)
            resumed = " (again from %s, after the Wine server's abort)" % started
        else:
            hung.append(started)
            log("%s: %s; resuming after it" % (started, "no progress for %d s, killed" % WATCHDOG_S
                                                if stalled else "the Wine server aborted again" if aborted
                                                else "ended the run (exit %s)" % rc))
            resumed = " (resumed after %s)" % started
        with open(done_list, "w", encoding="utf-8") as f:
            f.write("".join(n + "\n" for n in list(outcomes) + hung))
    else:
        log("more than %d hangs: giving up" % MAX_RESUMES)
        rc = 1
    outcomes, _ = read_progress(progress)
    first = failures(outcomes)
    flaky: List[str] = []
    if first and len(first) <= RERUN_MAX and len(hung) <= MAX_RESUMES:
        rc, flaky = rerun_failures(rt, args, env, progress, done_list, first, hung)
        outcomes, _ = read_progress(progress)
    counts: Dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    failed = failures(outcomes)
    for nodeid in failed:
        print("FAILED " + nodeid)
    for nodeid in hung:
        print("HUNG " + nodeid)
    for nodeid in flaky:
        log("failed, then passed when run again: %s" % nodeid)
    for nodeid, times in sorted(crashed.items()):
        log("the Wine server aborted %d time(s) during %s, which then ran again: %s"
            % (times, nodeid, outcomes.get(nodeid, "did not finish")))
    summary = ", ".join("%d %s" % (counts[k], k) for k in sorted(counts)) or "no tests"
    log("%s, %d hung, in %.0f s" % (summary, len(hung), time.time() - t0))
    if not outcomes:
        return 1
    return 1 if failed or hung or rc not in (0, 1) else rc


def pytest_once(rt: Runtime, args: List[str], env: Dict[str, str],
                progress: str) -> Tuple[Optional[int], bool, bool]:
    """One pytest process, its output passed through (a pipe, never a file). Returns its exit
    status, whether the watchdog had to kill it, and whether the Wine server aborted (then
    every process of the prefix is ended at once: none of them can go on)."""
    proc = subprocess.Popen([WINE, rt.python_exe] + args, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    last = time.time()
    stalled = aborted = False
    tail = b""
    while True:
        chunk = None
        try:
            chunk = proc.stdout.read(65536)
        except BlockingIOError:
            pass
        if chunk:
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            tail = (tail + chunk)[-4096:]
            if server_aborted(tail):
                aborted = True
                stop_wine(rt, proc)
                break
        elif chunk == b"" and proc.poll() is not None:
            break
        else:
            time.sleep(0.2)
        if os.path.exists(progress):
            last = max(last, os.path.getmtime(progress))
        if chunk:
            last = max(last, time.time())
        if time.time() - last > WATCHDOG_S:
            stalled = True
            stop_wine(rt, proc)
            break
    return proc.wait(), stalled, aborted


def server_aborted(output: bytes) -> bool:
    """Whether Wine's server printed its own failed assertion: Wine 8's wineserver
    aborts now and then in sock_poll_event ("Assertion `sock->obj.ops == &sock_ops'
    failed") under test_bad_input's many children. Every process of the prefix is
    then stuck, none for a reason of its own."""
    return re.search(rb"wineserver\S*: [^\n]*Assertion [^\n]* failed", output) is not None


def stop_wine(rt: Runtime, proc: subprocess.Popen) -> None:
    """Ends our pytest and every Windows process of our own Wine prefix."""
    proc.kill()
    subprocess.run([WINESERVER, "-k"], env=rt.env(), check=False)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", default=os.environ.get("PORTSOCK_WINPY_CACHE"),
                        help="keep the runtime here and reuse it (default: $PORTSOCK_WINPY_CACHE, "
                             "else a temporary directory)")
    parser.add_argument("--setup-only", action="store_true",
                        help="assemble, build, install and import; run no tests")
    opts, pytest_args = parser.parse_known_args()
    for tool in (WINE, shutil.which(MINGW_GCC)):
        if not tool or not os.path.exists(tool):
            raise SystemExit("windows_python: needs wine64 (%s) and %s" % (WINE, MINGW_GCC))
    temporary = opts.cache is None
    cache = opts.cache or tempfile.mkdtemp(prefix="portsock-winpy.")
    os.makedirs(cache, exist_ok=True)
    rt = Runtime(os.path.abspath(cache))
    t0 = time.time()
    try:
        os.makedirs(rt.dl, exist_ok=True)
        assemble_tree(rt)
        install_test_dependencies(rt)
        build_and_install_package(rt)
        smoke(rt)
        log("runtime ready in %.0f s" % (time.time() - t0))
        if opts.setup_only:
            return 0
        return run_suite(rt, pytest_args)
    finally:
        log("total %.0f s" % (time.time() - t0))
        if temporary:
            subprocess.run([WINESERVER, "-k"], env=rt.env(), check=False,
                           stderr=subprocess.DEVNULL)
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
