"""Finds the toolchains, builds tests/native/driver.c three ways, and runs every
scenario in each of the five interpreters, all at once (tests/test_parity.py,
tools/gen_semantics.py and `portsock parity`).

The runs (names used everywhere in the parity machinery):
    python      the Python mirror (portsock.winsock) on this machine  portsock/_parity/interp.py
    shim        driver.c against the shim headers, on the POSIX core  gcc
    wine        driver.c against the real <winsock2.h>: real Winsock  mingw, under Wine
    core_wine   driver.c mapped onto the core's Windows backend       mingw + csrc/win32.c, under Wine
    raw         plain POSIX sockets through the stdlib (docs only)    tests/parity/raw.py

Each native binary runs the whole scenario file in ONE process (Wine's start-up
costs seconds), with a watchdog inside and a timeout outside.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

from portsock._parity import scenarios as sc

# The C the builds need: the core (csrc/, the shim headers in it) and the
# scenario driver. In a source tree, its own files; in an installed package,
# the copies the wheel carries in portsock/_native/ (setup.py puts them there:
# the tree keeps one copy of each).
PARITY = os.path.dirname(os.path.abspath(__file__))
_SHIPPED = os.path.join(os.path.dirname(PARITY), "_native")
if os.path.isfile(os.path.join(sc.ROOT, "csrc", "portsock.h")):
    ROOT = sc.ROOT
    CSRC = os.path.join(ROOT, "csrc")
    DRIVER = os.path.join(ROOT, "tests", "native", "driver.c")
else:
    ROOT = _SHIPPED
    CSRC = os.path.join(_SHIPPED, "csrc")
    DRIVER = os.path.join(_SHIPPED, "driver.c")
NATIVE = os.path.dirname(DRIVER)
# raw.py (docs only) stays in the source tree's tests/parity.
RAW = os.path.join(sc.ROOT, "tests", "parity", "raw.py")

RUNS = ("python", "shim", "wine", "core_wine")   # compared by tests/test_parity.py
ALL_RUNS = RUNS + ("raw",)
RUN_TITLES = {
    "python": "Python mirror on Linux (portsock.winsock)",
    "shim": "C via the shim on Linux (the POSIX core)",
    "wine": "real Winsock under Wine (ws2_32)",
    "core_wine": "the core's Windows backend under Wine (csrc/win32.c)",
    "raw": "plain POSIX sockets (stdlib)",
}

RUN_TIMEOUT = 120.0     # seconds for one interpreter to run the whole file
BUILD_TIMEOUT = 120.0
WINE_CANDIDATES = ("/usr/lib/wine/wine64", "/usr/lib64/wine/wine64", "wine64", "wine")
CFLAGS = ["-std=c11", "-Wall", "-Wextra"]


def core_sources(backend: str) -> List[str]:
    """The core's C files for a backend, from csrc/SOURCES (the one list)."""
    with open(os.path.join(CSRC, "SOURCES")) as f:
        lines = [line.partition(":") for line in f if not line.startswith("#")]
    return [os.path.join(CSRC, file) for name, _, files in lines if name.strip() == backend
            for file in files.split()]


CORE_POSIX = core_sources("posix")
CORE_WIN32 = core_sources("win32")


class ParityError(RuntimeError):
    """A build or a run failed; the message says which and shows its output."""


def _which(name: str) -> Optional[str]:
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    return shutil.which(name)


class Tools:
    """The compilers and Wine, from PORTSOCK_CC / PORTSOCK_MINGW / PORTSOCK_WINE or
    the usual places (Wine's wine64 is not on PATH on Debian)."""

    def __init__(self) -> None:
        self.cc = _which(os.environ.get("PORTSOCK_CC", "")) if os.environ.get("PORTSOCK_CC") \
            else (_which("gcc") or _which("cc"))
        self.mingw = _which(os.environ.get("PORTSOCK_MINGW", "x86_64-w64-mingw32-gcc"))
        wine = os.environ.get("PORTSOCK_WINE")
        candidates = (wine,) if wine else WINE_CANDIDATES
        self.wine = next((p for p in (_which(c) for c in candidates) if p), None)
        self.wineserver = None
        if self.wine:
            here = os.path.join(os.path.dirname(os.path.realpath(self.wine)), "wineserver")
            self.wineserver = _which(here) or _which("wineserver")

    def need(self, tool: str) -> str:
        """The path of tool ("cc", "mingw" or "wine"); ParityError when it is missing."""
        path: Optional[str] = getattr(self, tool)
        if path is None:
            raise ParityError("missing: " + "; ".join(self.missing()))
        return path

    def missing(self) -> List[str]:
        out = []
        if not self.cc:
            out.append("a C compiler (gcc or cc; or set PORTSOCK_CC)")
        if not self.mingw:
            out.append("x86_64-w64-mingw32-gcc (Debian: gcc-mingw-w64-x86-64; or set PORTSOCK_MINGW)")
        if not self.wine:
            out.append("Wine (/usr/lib/wine/wine64; Debian: wine64; or set PORTSOCK_WINE)")
        return out


class WinePrefix:
    """A throw-away WINEPREFIX, created once (a session), removed by close()."""

    def __init__(self, tools: Tools) -> None:
        self.tools = tools
        self.path = tempfile.mkdtemp(prefix="portsock-wine-")
        self.env = dict(os.environ)
        self.env.update({
            "WINEPREFIX": self.path,
            "WINEDEBUG": "-all",
            # No Mono or Gecko installer dialogs while the prefix is created.
            "WINEDLLOVERRIDES": "mscoree=d;mshtml=d",
            "WINEARCH": "win64",
        })
        self.env.pop("DISPLAY", None)

    def init(self) -> subprocess.Popen[bytes]:
        """Starts creating the prefix (wineboot); wait() on the result."""
        return subprocess.Popen([self.tools.need("wine"), "wineboot", "--init"], env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def close(self) -> None:
        if self.tools.wineserver:
            try:
                subprocess.run([self.tools.wineserver, "-k"], env=self.env, timeout=30,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.path, ignore_errors=True)


SHIM_DIR = os.path.join(CSRC, "include", "portsock")


def build_commands(tools: Tools, out: str) -> Dict[str, List[List[str]]]:
    """The three builds of driver.c, as the comment at its top gives them."""
    core_exe = os.path.join(out, "driver_core.exe")
    cc, mingw = tools.need("cc"), tools.need("mingw")
    core = [[mingw, *CFLAGS, "-DPORTSOCK_USE_CORE", "-I" + SHIM_DIR, "-I" + CSRC,
             "-o", core_exe, DRIVER, *CORE_WIN32, "-lws2_32", "-static"]]
    return {
        "shim": [[cc, *CFLAGS, "-I" + SHIM_DIR, "-I" + CSRC,
                  "-o", os.path.join(out, "driver_shim"), DRIVER, *CORE_POSIX, "-lpthread"]],
        "wine": [[mingw, *CFLAGS, "-o", os.path.join(out, "driver_winsock.exe"), DRIVER,
                  "-lws2_32", "-static"]],
        "core_wine": core,
    }


def binaries(out: str) -> Dict[str, str]:
    return {"shim": os.path.join(out, "driver_shim"),
            "wine": os.path.join(out, "driver_winsock.exe"),
            "core_wine": os.path.join(out, "driver_core.exe")}


def build(tools: Tools, out: str) -> Dict[str, float]:
    """Builds the three binaries in parallel; returns seconds per build."""
    os.makedirs(out, exist_ok=True)
    steps = build_commands(tools, out)
    started = {name: time.monotonic() for name in steps}
    procs = {name: subprocess.Popen(cmds[0], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
             for name, cmds in steps.items()}
    taken: Dict[str, float] = {}
    for name, cmds in steps.items():
        proc = procs[name]
        for i, cmd in enumerate(cmds):
            if i > 0:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
            output, _ = proc.communicate(timeout=BUILD_TIMEOUT)
            if proc.returncode != 0:
                raise ParityError("building the %s driver failed:\n$ %s\n%s"
                                  % (name, " ".join(cmd), output.decode(errors="replace")))
        taken[name] = time.monotonic() - started[name]
    return taken


def _command(run: str, tools: Tools, out: str) -> List[str]:
    if run == "python":
        return [sys.executable, "-m", "portsock._parity.interp", "-"]
    if run == "raw":
        return [sys.executable, RAW, "-"]
    exe = binaries(out)[run]
    if run == "shim":
        return [exe, "-"]
    return [tools.need("wine"), exe, "-"]


def run_all(tools: Tools, out: str, text: str, wine: Optional[WinePrefix],
            runs: Sequence[str] = ALL_RUNS) -> Results:
    """Runs every scenario of `text` in each run, all runs at once."""
    procs: Dict[str, Any] = {}
    started: Dict[str, float] = {}
    files: Dict[str, Any] = {}
    env_py = dict(os.environ)
    # raw.py imports tests/parity as `parity`.
    env_py["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(os.path.dirname(RAW)),
                                                        env_py.get("PYTHONPATH")]))
    for run in runs:
        env = wine.env if run in ("wine", "core_wine") and wine else env_py
        stdout = tempfile.TemporaryFile()
        stderr = tempfile.TemporaryFile()
        stdin = tempfile.TemporaryFile()
        stdin.write(text.encode())
        stdin.seek(0)
        files[run] = (stdin, stdout, stderr)
        started[run] = time.monotonic()
        procs[run] = subprocess.Popen(_command(run, tools, out), stdin=stdin, stdout=stdout,
                                      stderr=stderr, env=env, cwd=out)
    results = Results()
    problems = []
    pending = set(runs)
    while pending:
        for run in sorted(pending):
            proc = procs[run]
            if proc.poll() is None and time.monotonic() - started[run] > RUN_TIMEOUT:
                proc.kill()
                proc.wait()
            if proc.poll() is not None:
                results.seconds[run] = round(time.monotonic() - started[run], 2)
                pending.discard(run)
        time.sleep(0.02)
    for run in runs:
        proc = procs[run]
        stdin, stdout, stderr = files[run]
        stdout.seek(0)
        stderr.seek(0)
        output = stdout.read().decode(errors="replace")
        errors = stderr.read().decode(errors="replace")
        for f in (stdin, stdout, stderr):
            f.close()
        results.traces[run] = {name: [json.loads(text) if text.startswith("{")
                                      else {"call": "garbage", "ret": text, "err": 0}
                                      for text in lines]
                               for name, lines in sc.split_output(output).items()}
        if proc.returncode != 0:
            problems.append("%s (%s) exited with %s after %.1f s:\n%s"
                            % (run, " ".join(_command(run, tools, out)), proc.returncode,
                               results.seconds[run], errors[-4000:]))
    results.problems = problems
    return results


class Results:
    """traces[run][scenario] = the list of trace entries; seconds[run]."""

    def __init__(self) -> None:
        self.traces: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
        self.seconds: Dict[str, float] = {}
        self.problems: List[str] = []

    def to_json(self) -> Dict[str, Any]:
        return {"traces": self.traces, "seconds": self.seconds, "problems": self.problems}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Results:
        r = cls()
        r.traces, r.seconds, r.problems = data["traces"], data.get("seconds", {}), data.get("problems", [])
        return r

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=1)

    @classmethod
    def load(cls, path: str) -> Results:
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


def collect(out: str, text: Optional[str] = None, runs: Sequence[str] = ALL_RUNS) -> Results:
    """Everything in one call (for tools/gen_semantics.py): find the tools, make
    a Wine prefix, build, run, clean up. Raises ParityError if a tool is missing."""
    tools = Tools()
    missing = tools.missing()
    if missing:
        raise ParityError("missing: " + "; ".join(missing))
    if text is None:
        with open(sc.SCENARIOS_FILE, encoding="utf-8") as f:
            text = f.read()
    wine = WinePrefix(tools)
    try:
        boot = wine.init()
        build(tools, out)
        boot.wait(timeout=120)
        return run_all(tools, out, text, wine, runs)
    finally:
        wine.close()


# --------------------------------------------------------------------------
# Small C programs built through the shim and run (tests/test_select.py,
# tests/test_shim.py)

def build_and_run(cmd: List[str], exe: str, env: Optional[Dict[str, str]] = None,
                  runner: Sequence[str] = ()) -> str:
    """Builds with cmd, runs exe (under runner: Wine), and returns what it
    printed, "\\r" dropped; asserts that both worked and that no sanitizer
    spoke."""
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert build.returncode == 0, build.stderr
    # The program is a process of its own: not one the sanitizer runtime that
    # tools/native_checks.sh preloads into this Python belongs in (an ASan
    # build of it links its own; Wine cannot start with one).
    env = dict(os.environ if env is None else env)
    env.pop("LD_PRELOAD", None)
    run = subprocess.run([*runner, exe], capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "runtime error" not in run.stderr and "Sanitizer" not in run.stderr, run.stderr
    return run.stdout.replace("\r", "")


def write_shim_aliases() -> List[str]:
    """The shim's other header spellings (tools/shim_aliases.py), written if
    missing; returns the names written."""
    tools = os.path.join(ROOT, "tools")
    if not os.path.isfile(os.path.join(tools, "shim_aliases.py")):
        return []   # an installed package: the wheel's copy of the shim has them already
    if tools not in sys.path:
        sys.path.insert(0, tools)
    written: List[str] = importlib.import_module("shim_aliases").generate()
    return written


def build_and_run_under_wine(source: str, exe: str, flags: Sequence[str] = ()) -> str:
    """build_and_run for Windows: source built by mingw against the real
    ws2_32, run under Wine in a prefix of its own. Skips the calling test
    without mingw or Wine (fails it with PORTSOCK_REQUIRE_WINE=1)."""
    import pytest

    tools = Tools()
    if not tools.mingw or not tools.wine:
        if os.environ.get("PORTSOCK_REQUIRE_WINE") == "1":
            pytest.fail("needs mingw and Wine (PORTSOCK_REQUIRE_WINE=1)")
        pytest.skip("needs mingw and Wine")
    prefix = WinePrefix(tools)
    try:
        return build_and_run([tools.mingw, *flags, "-o", exe, source, "-lws2_32", "-static"], exe,
                             env=prefix.env, runner=[tools.wine])
    finally:
        prefix.close()
