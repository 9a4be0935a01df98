"""The corpus: Winsock programs in tests/corpus/, written as Windows programmers
write them, compiled UNCHANGED four ways and each compared with what Windows
prints (tests/corpus/<name>.expected), with its Python port beside it:

    shim        gcc through the shim on the POSIX core, ASan + UBSan, leaks checked
    wine        mingw against the real ws2_32, under Wine; Windows' output is Wine's
                with the declared differences (parity/wine_differences.py, CORPUS_DIFFERENCES)
    core_wine   mingw with -DPORTSOCK_USE_CORE on the core's Windows backend (a
                pass-through: it prints what the wine run prints, differences included)
    python      tests/corpus/<name>.py, the port on portsock.winsock

A program that needs a peer gets a scripted one from portsock.testing on
127.0.0.1, on a port the system chose, passed as an argument; the servers run
their clients as threads of their own. Every run has a time limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

import pytest

from portsock._parity import command
from portsock.testing import EchoPeer, Peer

from conftest import under_wine
from parity import native
from parity.wine_differences import CORPUS_DIFFERENCES, corpus_windows_expected

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
RUN_TIMEOUT = 60.0
PEER_TIMEOUT = 20.0


class Program(NamedTuple):
    args: Tuple[str, ...] = ()     # "{port}" is the peer's port
    peer: Optional[type] = None    # a portsock.testing peer class


PROGRAMS: Dict[str, Program] = {
    "select_server": Program(),
    "nonblocking_connect": Program(),
    "wsapoll_server": Program(),
    "gethostbyname_client": Program(("127.0.0.1", "{port}"), EchoPeer),
    "udp_timeout": Program(),
    "format_message": Program(),
    "wsasend_client": Program(("127.0.0.1", "{port}"), EchoPeer),
    "complete_client": Program(("127.0.0.1", "{port}"), EchoPeer),
}

RUNS = ("shim", "wine", "core_wine", "python")

# gcc, as the brief for C programs through the shim has it: every warning an
# error (but the MSVC-only `#pragma comment(lib, ...)`), both sanitizers fatal.
SHIM_FLAGS = [*native.CFLAGS, "-Werror", "-Wno-unknown-pragmas", "-fsanitize=address,undefined",
              "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"]
MINGW_FLAGS = [*native.CFLAGS, "-Werror", "-Wno-unknown-pragmas"]
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
                 "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}


def source(name: str) -> str:
    return os.path.join(CORPUS, name + ".c")


def expected(name: str) -> str:
    with open(os.path.join(CORPUS, name + ".expected"), encoding="utf-8") as f:
        return f.read()


def _case_aliases(directory: str) -> str:
    """Headers spelled as the programs spell them, for the mingw builds (the
    parity command's own: portsock._parity.command.case_aliases)."""
    return command.case_aliases([source(name) for name in PROGRAMS], directory)


def _run(cmd: List[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=native.BUILD_TIMEOUT)
    if done.returncode != 0:
        pytest.fail("building %s failed:\n$ %s\n%s%s" % (what, " ".join(cmd), done.stdout, done.stderr),
                    pytrace=False)


class Builds:
    """Builds each program once per session, on first use; the core's objects
    (one set per toolchain) are compiled once and linked into every program."""

    def __init__(self, tools: native.Tools, out: str) -> None:
        self.tools = tools
        self.out = out
        self.aliases = _case_aliases(os.path.join(out, "case-aliases"))
        self.core_objects: Dict[str, List[str]] = {}
        self.built: Dict[Tuple[str, str], str] = {}

    def _write_shim_spellings(self) -> None:
        """The shim's other header spellings (<WinSock2.h>, ...) are generated,
        never committed (tools/shim_aliases.py); the helper that writes them
        comes with them."""
        write = getattr(native, "write_shim_aliases", None)
        if write is not None:
            write()

    def _core(self, run: str) -> List[str]:
        if run not in self.core_objects:
            if run == "shim":
                cc, flags, files = self.tools.cc, SHIM_FLAGS, native.CORE_POSIX
            else:
                cc, flags, files = self.tools.mingw, [*MINGW_FLAGS, "-DPORTSOCK_USE_CORE"], native.CORE_WIN32
            objdir = os.path.join(self.out, run + "-core")
            os.makedirs(objdir, exist_ok=True)
            objects = []
            for path in files:
                obj = os.path.join(objdir, os.path.basename(path)[:-2] + ".o")
                _run([cc, *flags, "-I" + native.SHIM_DIR, "-I" + native.CSRC, "-c", "-o", obj, path],
                     "the core for " + run)
                objects.append(obj)
            self.core_objects[run] = objects
        return self.core_objects[run]

    def binary(self, name: str, run: str) -> str:
        key = (name, run)
        if key in self.built:
            return self.built[key]
        exe = os.path.join(self.out, "%s-%s%s" % (name, run, "" if run == "shim" else ".exe"))
        if run == "shim":
            self._write_shim_spellings()
            cmd = [self.tools.cc, *SHIM_FLAGS, "-I" + native.SHIM_DIR, "-I" + native.CSRC, "-o", exe,
                   source(name), *self._core(run), "-lpthread"]
        elif run == "wine":
            cmd = [self.tools.mingw, *MINGW_FLAGS, "-I" + self.aliases, "-o", exe, source(name),
                   "-lws2_32", "-static"]
        else:
            cmd = [self.tools.mingw, *MINGW_FLAGS, "-DPORTSOCK_USE_CORE", "-I" + native.SHIM_DIR,
                   "-I" + native.CSRC, "-I" + self.aliases, "-o", exe, source(name), *self._core(run),
                   "-lws2_32", "-static"]
        _run(cmd, "%s for %s" % (name, run))
        self.built[key] = exe
        return exe


def _require(missing: List[str]) -> None:
    if missing:
        message = "needs " + "; ".join(missing)
        if os.environ.get("PORTSOCK_REQUIRE_WINE") == "1":
            pytest.fail(message + " (and PORTSOCK_REQUIRE_WINE=1)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def tools() -> native.Tools:
    return native.Tools()


@pytest.fixture(scope="module")
def builds(tools: native.Tools, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(tools, str(tmp_path_factory.mktemp("corpus")))


@pytest.fixture(scope="module")
def wine_env(tools: native.Tools) -> Iterator[Dict[str, str]]:
    """One Wine prefix for every program of the module."""
    _require([m for m in tools.missing() if "mingw" in m or "Wine" in m])
    prefix = native.WinePrefix(tools)
    try:
        prefix.init().wait(timeout=120)
        if tools.wineserver:
            # One wineserver for the whole module (WinePrefix.close ends it):
            # each program would otherwise start its own, seconds each.
            subprocess.run([tools.wineserver, "-p"], env=prefix.env, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(prefix.env)
        env.pop("LD_PRELOAD", None)
        yield env
    finally:
        prefix.close()


class Outcome(NamedTuple):
    stdout: str
    stderr: str
    returncode: int


def run_program(name: str, command: List[str], env: Dict[str, str]) -> Outcome:
    """Runs one build of a program with its peer, if it has one; the peer must
    have seen the program's request and its FIN, never a reset."""
    program = PROGRAMS[name]
    peer: Optional[Peer] = program.peer(timeout=PEER_TIMEOUT) if program.peer else None
    try:
        args = list(program.args)
        if peer is not None:
            peer.start()
            args = [a.replace("{port}", str(peer.address[1])) for a in args]
        # Files, not pipes: the wineserver a Wine program starts inherits its
        # stdout and stderr, and would hold a pipe open for seconds after.
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            done = subprocess.run([*command, *args], stdout=stdout, stderr=stderr, timeout=RUN_TIMEOUT,
                                  env=env, stdin=subprocess.DEVNULL)
            stdout.seek(0)
            stderr.seek(0)
            printed, errors = stdout.read(), stderr.read()
        if peer is not None and done.returncode == 0:
            report = peer.wait(PEER_TIMEOUT)
            assert report.accepted and report.saw_fin and not report.saw_reset, report
            assert report.received, report
    finally:
        if peer is not None:
            peer.stop()
    out = printed.decode(errors="replace").replace("\r\n", "\n")
    return Outcome(out, errors.decode(errors="replace"), done.returncode)


def _shown(outcome: Outcome) -> str:
    return "exit %d\n--- stdout\n%s--- stderr\n%s" % (outcome.returncode, outcome.stdout, outcome.stderr[-4000:])


def _windows(name: str, wine_output: str) -> str:
    lines = corpus_windows_expected(name, wine_output.splitlines())
    return "".join(line + "\n" for line in lines)


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_what_windows_prints(name: str, run: str, tools: native.Tools,
                                            request: pytest.FixtureRequest) -> None:
    if run == "python":
        env = dict(os.environ)
        command = [sys.executable, os.path.join(CORPUS, name + ".py")]
    elif run == "shim":
        _require([m for m in tools.missing() if "C compiler" in m])
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        # The program is a process of its own: not one the sanitizer runtime
        # that tools/native_checks.sh preloads into this Python belongs in
        # (its ASan build links its own).
        env.update(SANITIZER_ENV)
        command = [request.getfixturevalue("builds").binary(name, run)]
    else:
        env = request.getfixturevalue("wine_env")
        command = [str(tools.wine), request.getfixturevalue("builds").binary(name, run)]
    outcome = run_program(name, command, env)
    if run == "shim":
        assert "Sanitizer" not in outcome.stderr and "runtime error" not in outcome.stderr, _shown(outcome)
    # A port on the mirror under a Windows Python in Wine formats its messages with Wine's kernel32.
    on_wine = run in ("wine", "core_wine") or (run == "python" and under_wine())
    printed = _windows(name, outcome.stdout) if on_wine else outcome.stdout
    assert (printed, outcome.returncode) == (expected(name), 0), _shown(outcome)


def test_every_wine_difference_still_occurs(tools: native.Tools, builds: Builds,
                                            wine_env: Dict[str, str]) -> None:
    """The corpus' entries of the one table hold for this Wine, line for line,
    so none can go stale; each also changes the line into the expected one."""
    for program in sorted({d.program for d in CORPUS_DIFFERENCES}):
        outcome = run_program(program, [str(tools.wine), builds.binary(program, "wine")], wine_env)
        lines = outcome.stdout.splitlines()
        wanted = expected(program).splitlines()
        for d in (d for d in CORPUS_DIFFERENCES if d.program == program):
            assert d.line <= len(lines) and lines[d.line - 1] == d.wine, (d, _shown(outcome))
            assert wanted[d.line - 1] == d.windows, d


def test_every_program_has_its_port_and_expected_output() -> None:
    found = {f[:-2] for f in os.listdir(CORPUS) if f.endswith(".c")}
    assert found == set(PROGRAMS)
    for name in found:
        for suffix in (".py", ".expected"):
            assert os.path.exists(os.path.join(CORPUS, name + suffix)), name + suffix
