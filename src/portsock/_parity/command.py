"""`portsock parity`: a user's own Winsock program, scenario file or mirror script,
run the ways portsock can run it, the differences shown side by side.

    portsock parity PROGRAM.c [MORE.c ...] [--peer CMD] [-- ARGS ...]
    portsock parity SCENARIOS.txt [-- NAME ...]
    portsock parity SCRIPT.py [--peer CMD] [-- ARGS ...]
    portsock parity DIRECTORY            every .c, .txt and .py in it, one by one

What each input compares (docs/testing.md, "portsock parity"):

  C program   built three ways, each run with the same arguments (and its own
              peer): through the shim with gcc on the POSIX core; with mingw
              against real Winsock, under Wine; with mingw and
              PORTSOCK_USE_CORE on the core's Windows backend, under Wine.
              Compared: stdout and exit status of all three, and the core's
              traces (PORTSOCK_TRACE) of the two core builds. The real Winsock
              build has no core and so no trace; the Windows backend is a
              pass-through to the same ws2_32, so its trace is what Winsock
              returned.
  scenarios   the scenario language of tests/native/scenarios.txt, run as the
              parity suite runs it: the Python mirror and the shim driver on
              Linux against Windows (real Winsock under Wine, the declared Wine
              8 differences applied), and the core's Windows backend against
              real Winsock.
  script      a Python program on portsock.winsock, run twice on Linux: its
              mirror calls recorded by portsock.winsock.trace(), and every
              call the core sees recorded by PORTSOCK_TRACE; stdout, exit
              status and the two records compared. No Windows Python runs
              here, so this shows what the script does on the core, call by
              call, and that the mirror and the core agree on it, not what
              Windows would do.

A difference where Wine gives the value the table of known Wine 8 deviations
(wine_differences.py) declares, and the POSIX core gives Windows' value, is
marked with the table's reason and is not counted.

Exit status: 0 no difference; 1 a real difference; 2 usage; 3 a tool is
missing (gcc, mingw or Wine: the message names the Debian packages); 4 a
build failed or a run could not be made (a compile error, a peer that never
listened, a timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, TextIO, Tuple

from portsock._parity import native, scenarios as sc, wine_differences as wd

EXIT_SAME = 0
EXIT_DIFFERENT = 1
EXIT_USAGE = 2
EXIT_MISSING_TOOL = 3
EXIT_CANNOT_RUN = 4

# The runs of a C program, in the order they are shown.
C_RUNS = ("posix", "wine", "core_wine")
TITLES = {
    "posix": "POSIX core (shim, gcc)",
    "wine": "real Winsock (Wine)",
    "core_wine": "core's Windows backend (Wine)",
    "mirror": "mirror's trace()",
    "core": "core's PORTSOCK_TRACE",
}
DEBIAN = {"cc": "gcc", "mingw": "gcc-mingw-w64-x86-64", "wine": "wine64"}
PEER_WAIT = 15.0    # seconds a peer has to start listening
PEER_ATTEMPTS = 3   # ports tried for a peer that ends without listening
COLUMN = 34


class CannotRun(RuntimeError):
    """A build failed, or a program could not be run: exit status 4."""


class PeerExited(CannotRun):
    """The peer ended before it listened: on a port taken meanwhile, or for good."""


class Run(NamedTuple):
    stdout: List[str]
    status: int
    trace: Optional[List[str]]
    stderr: str


# -- the tools -------------------------------------------------------------------------

def missing_tools(tools: native.Tools) -> List[str]:
    """What is missing, each with the Debian package to install."""
    out = []
    for attr, what in (("cc", "a C compiler"), ("mingw", "x86_64-w64-mingw32-gcc"), ("wine", "Wine (wine64)")):
        if getattr(tools, attr) is None:
            out.append("%s (Debian: apt install %s)" % (what, DEBIAN[attr]))
    return out


class Toolbox:
    """The compilers and Wine, and one Wine prefix for the whole command
    (created on first use: wineboot takes seconds), removed by close()."""

    def __init__(self) -> None:
        self.tools = native.Tools()
        self._wine: Optional[native.WinePrefix] = None

    def need_all(self) -> None:
        missing = missing_tools(self.tools)
        if missing:
            raise MissingTool(missing)

    def wine(self) -> native.WinePrefix:
        if self._wine is None:
            prefix = native.WinePrefix(self.tools)
            prefix.init().wait(timeout=120)
            if prefix.tools.wineserver:
                # Kept running between the runs (each would start its own);
                # close() ends it with the prefix.
                subprocess.run([prefix.tools.wineserver, "-p"], env=prefix.env, timeout=30,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._wine = prefix
        return self._wine

    def close(self) -> None:
        if self._wine is not None:
            self._wine.close()
            self._wine = None


# -- peers and ports -------------------------------------------------------------------

def _ephemeral_range() -> Tuple[int, int]:
    """The ports the system hands out for bind(0) and for a connect's own
    end (Linux's setting; IANA's range elsewhere)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(w) for w in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 49152, 65535


def free_port() -> int:
    """A free port for a peer, below the ephemeral range where one can be
    found: a port from bind(0) is free only until it is closed, and any
    connect on the machine may take it for its own end meanwhile, which
    makes the peer's bind fail with WSAEADDRINUSE."""
    import random
    low, _ = _ephemeral_range()
    if low > 20000:
        for _ in range(50):
            port = random.randrange(20000, low)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, found without connecting
    to it (a one-client peer must keep its client for the program): a bind
    there fails only then (SO_REUSEADDR lets one pass a closed port's
    TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def with_port(words: Sequence[str], port: int) -> List[str]:
    return [w.replace("{port}", str(port)) for w in words]


def start_peer(command: str, port: int, uses_port: bool) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("PORTSOCK_TRACE", None)   # the program's trace is the program's alone
    peer = subprocess.Popen(with_port(shlex.split(command), port), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + PEER_WAIT
    while uses_port and not listening(port):
        exited = peer.poll() is not None
        if exited or time.monotonic() > deadline:
            output = stop(peer)
            raise (PeerExited if exited else CannotRun)(
                "the peer %r %s on port %d:\n%s" % (command, "ended without listening" if exited
                                                   else "did not listen within %.0f s" % PEER_WAIT,
                                                   port, output))
        time.sleep(0.02)
    if not uses_port:
        time.sleep(0.5)   # no port to watch: give it a moment
    return peer


def kill(proc: subprocess.Popen[Any]) -> None:
    """Ends proc and whatever it started (its own process group)."""
    if sys.platform == "win32":
        proc.kill()
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def stop(proc: subprocess.Popen[str], grace: float = 5.0) -> str:
    """Waits a little for proc to end, then ends its process group; its output."""
    try:
        out, _ = proc.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        kill(proc)
        out, _ = proc.communicate()
    return out or ""


# -- running ---------------------------------------------------------------------------

def run_one(cmd: List[str], args: Sequence[str], env: Dict[str, str], cwd: str, timeout: float,
            peer: Optional[str], trace_path: Optional[str]) -> Run:
    uses_port = peer is not None and "{port}" in peer
    port, peer_proc = free_port(), None
    if peer is not None:
        for attempt in range(PEER_ATTEMPTS):
            try:
                peer_proc = start_peer(peer, port, uses_port)
                break
            except PeerExited:
                # its port was taken between our check and its bind: another one
                if attempt == PEER_ATTEMPTS - 1:
                    raise
                port = free_port()
    env = dict(env)
    env.pop("PORTSOCK_TRACE", None)
    if trace_path is not None:
        env["PORTSOCK_TRACE"] = trace_path
    try:
        proc = subprocess.Popen(cmd + with_port(args, port), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
            proc.communicate()
            raise CannotRun("%s did not finish within %.0f s (--timeout)" % (" ".join(cmd), timeout)) from None
    finally:
        if peer_proc is not None:
            stop(peer_proc)
    trace = None
    if trace_path is not None:
        trace = read_trace(trace_path)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    return Run(text.splitlines(), proc.returncode, trace, err.decode("utf-8", "replace"))


def read_trace(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\r\n") for line in f if line.strip()]
    except FileNotFoundError:
        return []


def case_aliases(sources: Sequence[str], directory: str) -> str:
    """Headers spelled as the programs spell them (<WinSock2.h>, <Windows.h>),
    each including mingw-w64's lower-case one, for the mingw builds: Windows'
    file system ignores case, mingw-w64's headers on Linux are all lower case.
    (The shim takes those spellings itself: native.write_shim_aliases.)"""
    os.makedirs(directory, exist_ok=True)
    for path in sources:
        with open(path, encoding="utf-8", errors="replace") as f:
            for header in re.findall(r"^\s*#\s*include\s*<([^>]+)>", f.read(), re.M):
                if header != header.lower() and "/" not in header and ".." not in header:
                    with open(os.path.join(directory, header), "w") as alias:
                        alias.write("#include <%s>\n" % header.lower())
    return directory


def build_c(tools: native.Tools, sources: List[str], out: str, cflags: List[str]) -> Dict[str, List[str]]:
    """The three builds of a C program; run -> the command to run it."""
    cc, mingw, wine = tools.need("cc"), tools.need("mingw"), tools.need("wine")
    flags = ["-std=gnu11", "-Wno-unknown-pragmas"] + cflags
    native.write_shim_aliases()
    spelled = ["-I" + case_aliases(sources, os.path.join(out, "spellings"))]
    shim = ["-I" + native.SHIM_DIR, "-I" + native.CSRC]
    exes = {"posix": os.path.join(out, "program_posix"), "wine": os.path.join(out, "program_winsock.exe"),
            "core_wine": os.path.join(out, "program_core.exe")}
    steps = {
        "posix": [cc, *flags, *shim, "-o", exes["posix"], *sources, *native.CORE_POSIX, "-lpthread"],
        "wine": [mingw, *flags, *spelled, "-o", exes["wine"], *sources, "-lws2_32", "-static"],
        "core_wine": [mingw, *flags, "-DPORTSOCK_USE_CORE", *shim, *spelled, "-o", exes["core_wine"], *sources,
                      *native.CORE_WIN32, "-lws2_32", "-static"],
    }
    procs = {run: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for run, cmd in steps.items()}
    failures = []
    for run, proc in procs.items():
        output, _ = proc.communicate(timeout=native.BUILD_TIMEOUT)
        if proc.returncode != 0:
            failures.append("the %s build failed:\n$ %s\n%s"
                            % (TITLES[run], " ".join(steps[run]), output.decode(errors="replace")))
    if failures:
        raise CannotRun("\n".join(failures))
    return {"posix": [exes["posix"]], "wine": [wine, exes["wine"]], "core_wine": [wine, exes["core_wine"]]}


# -- showing differences ---------------------------------------------------------------

def cell(text: Optional[str]) -> str:
    if text is None:
        text = "(none)"
    return text if len(text) <= COLUMN else text[:COLUMN - 3] + "..."


def short(line: Optional[str]) -> Optional[str]:
    """A trace line as 'call ret err'."""
    if line is None:
        return None
    try:
        e = json.loads(line)
        return "%s %s %s" % (e.get("call"), e.get("ret"), e.get("err"))
    except ValueError:
        return line


def known_wine_difference(posix: Optional[str], wine: Optional[str]) -> Optional[wd.WineDifference]:
    """The table's entry that explains a trace line where Wine gives `wine` and the
    POSIX core `posix`: the same call, Wine's declared value, Windows' value."""
    if posix is None or wine is None:
        return None
    try:
        p, w = json.loads(posix), json.loads(wine)
    except ValueError:
        return None
    if p.get("call") != w.get("call"):
        return None
    for d in wd.WINE_DIFFERENCES:
        if (op_call(d.op) == w.get("call") and {"ret": w.get("ret"), "err": w.get("err")} == d.wine
                and {"ret": p.get("ret"), "err": p.get("err")} == d.windows):
            return d
    return None


def known_message_line(posix: Optional[str], wine_runs: Sequence[Optional[str]]) -> Optional[str]:
    """The reason, when the Wine runs print the same line and it is the POSIX
    run's with Wine 8's text of a message (WINE_MESSAGE_DIFFERENCES) where
    the POSIX run has Windows' text from the core's table, or Wine's 317 (no
    text) where the POSIX run has the text; else None."""
    if posix is None or len(set(wine_runs)) != 1 or wine_runs[0] is None:
        return None
    wine = wine_runs[0]
    for m in wd.WINE_MESSAGE_DIFFERENCES:
        windows = wd.windows_message(m.code)
        if windows is None or windows not in posix:
            continue
        if m.wine is not None and m.wine in wine and wine.replace(m.wine, windows) == posix:
            return wd.MESSAGE_REASON
        head = posix[:posix.index(windows)].rstrip(" :")
        if m.wine is None and "317" in wine and wine.startswith(head) and str(m.code) in head:
            return wd.MESSAGE_REASON
    return None


def op_call(op: str) -> str:
    """The Winsock call of a scenario op ("recv C 512" -> recv)."""
    word = op.split()[0]
    return {"cleanup": "WSACleanup", "startup": "WSAStartup", "wsapoll": "WSAPoll", "close": "closesocket",
            "close_value": "closesocket"}.get(word, word)


class Report:
    """Collects what differs; prints it as it goes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.real = 0
        self.known = 0

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def table(self, title: str, columns: Sequence[str], rows: List[Tuple[str, List[Optional[str]], str]]) -> None:
        self.say("%s:" % title)
        self.say("  %-6s %s" % ("", " | ".join("%-*s" % (COLUMN, c) for c in columns)))
        for where, cells, note in rows:
            self.say("  %-6s %s%s" % (where, " | ".join("%-*s" % (COLUMN, cell(c)) for c in cells),
                                      "   " + note if note else ""))

    def lines(self, title: str, runs: Sequence[str], columns: Dict[str, List[str]], explained: bool = False) -> None:
        """Lines that must be equal in every run (stdout). With explained, a
        difference of the POSIX run alone (the Wine runs agreeing) follows from
        the known Wine 8 differences of the trace, and is not counted. A line
        where the Wine runs agree and print Wine 8's text of a message where
        the POSIX run prints Windows' (FormatMessage) is marked with the
        table's reason and not counted either."""
        n = max(len(columns[r]) for r in runs)
        rows: List[Tuple[str, List[Optional[str]], str]] = []
        known: List[Tuple[str, List[Optional[str]], str]] = []
        reasons: List[str] = []
        for i in range(n):
            cells = [columns[r][i] if i < len(columns[r]) else None for r in runs]
            if len(set(cells)) > 1:
                reason = known_message_line(cells[0], cells[1:]) if len(runs) > 1 and runs[0] == "posix" else None
                if reason is not None:
                    known.append((str(i + 1), cells, "known"))
                    reasons += [reason] if reason not in reasons else []
                else:
                    rows.append((str(i + 1), cells, ""))
        if known:
            self.table("%s: %d line(s) differ as known Wine 8 differences (not counted): %s"
                       % (title, len(known), " ".join(reasons)), [TITLES[r] for r in runs], known)
        if not rows:
            self.say("%-10s same in every run (%d lines%s)"
                     % (title + ":", n, ", but the known differences above" if known else ""))
            return
        if explained and all(len(set(c[1:])) == 1 for _, c, _ in rows):
            self.table("%s differs on %d line(s), as the known Wine 8 difference(s) in the trace make it"
                       % (title, len(rows)), [TITLES[r] for r in runs], rows)
            return
        self.real += len(rows)
        self.table("%s differs on %d line(s)" % (title, len(rows)), [TITLES[r] for r in runs], rows)

    def statuses(self, runs: Sequence[str], got: Dict[str, int], explained: bool = False) -> None:
        text = ", ".join("%s %d" % (TITLES[r], got[r]) for r in runs)
        if len(set(got[r] for r in runs)) == 1:
            self.say("%-10s same in every run (%d)" % ("exit:", got[runs[0]]))
        elif explained and len(set(got[r] for r in runs[1:])) == 1:
            self.say("exit status differs: %s, as the known Wine 8 difference(s) in the trace make it" % text)
        else:
            self.real += 1
            self.say("exit status differs: %s   <- differs" % text)


def aligned(a: List[str], b: List[str]) -> List[Tuple[str, Optional[str], Optional[str]]]:
    """The differing steps of two traces, a call missing from one side shown
    against nothing (difflib's alignment): (where, a's line, b's line)."""
    import difflib
    out: List[Tuple[str, Optional[str], Optional[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            x = a[i1 + k] if i1 + k < i2 else None
            y = b[j1 + k] if j1 + k < j2 else None
            where = "%s/%s" % (i1 + k + 1 if x is not None else "-", j1 + k + 1 if y is not None else "-")
            out.append((where, x, y))
    return out


def unnumbered(line: str) -> str:
    """A trace line with its socket number taken out ("S3" -> "S")."""
    return re.sub(r'"S[0-9]+"', '"S"', line)


class TraceComparison:
    """Two traces compared; where the second is the Wine side, the known Wine 8
    deviations among the differences."""

    def __init__(self, a: List[str], b: List[str], wine_side: bool) -> None:
        self.count = len(a)
        self.rows: List[Tuple[str, List[Optional[str]], str]] = []
        self.known = self.real = 0
        # A program's threads interleave their calls differently from run to
        # run (the trace is one, in the order the calls ended): the same calls
        # with the same results in another order, socket numbers aside, are
        # no difference.
        self.interleaved = a != b and Counter(map(unnumbered, a)) == Counter(map(unnumbered, b))
        for where, x, y in ([] if self.interleaved else aligned(a, b)):
            known = known_wine_difference(x, y) if wine_side else None
            if known is not None:
                self.known += 1
                self.rows.append((where, [short(x), short(y)], "known Wine 8 difference: " + known.reason))
            else:
                self.real += 1
                self.rows.append((where, [short(x), short(y)], "<- differs"))

    @property
    def only_known(self) -> bool:
        return self.known > 0 and self.real == 0

    def show(self, report: Report, first: str, second: str) -> None:
        report.known += self.known
        report.real += self.real
        if self.interleaved:
            report.say("%-10s the same calls and results in %s and %s (%d calls), in another order: the "
                       "program's threads interleaved differently" % ("trace:", TITLES[first], TITLES[second],
                                                                     self.count))
            return
        if not self.rows:
            report.say("%-10s same in %s and %s (%d calls)" % ("trace:", TITLES[first], TITLES[second], self.count))
            return
        report.table("trace: %d step(s) differ (steps numbered in each trace)" % len(self.rows),
                     [TITLES[first], TITLES[second]], self.rows)


# -- the inputs --------------------------------------------------------------------------

def parity_c(box: Toolbox, sources: List[str], args: List[str], peer: Optional[str], opts: argparse.Namespace,
             report: Report) -> None:
    box.need_all()
    with tempfile.TemporaryDirectory(prefix="portsock-parity-") as out:
        cmds = build_c(box.tools, [os.path.abspath(s) for s in sources], out, shlex.split(opts.cflags or ""))
        runs: Dict[str, Run] = {}
        for run in C_RUNS:
            trace = os.path.join(out, run + ".jsonl") if run != "wine" else None
            env = box.wine().env if run != "posix" else dict(os.environ)
            runs[run] = run_one(cmds[run], args, env, os.getcwd(), opts.timeout, peer, trace)
    traces = TraceComparison(runs["posix"].trace or [], runs["core_wine"].trace or [], True)
    only_known = traces.only_known and not opts.no_trace
    report.statuses(C_RUNS, {r: runs[r].status for r in C_RUNS}, only_known)
    report.lines("stdout", C_RUNS, {r: runs[r].stdout for r in C_RUNS}, only_known)
    if opts.no_trace:
        report.say("%-10s not compared (--no-trace)" % "trace:")
    else:
        traces.show(report, "posix", "core_wine")
    for run in C_RUNS:
        if runs[run].stderr.strip() and opts.verbose:
            report.say("stderr of %s:\n%s" % (TITLES[run], runs[run].stderr.rstrip()))


MIRROR_RUNNER = r"""
import runpy, sys
from portsock import winsock as ws
script, record = sys.argv[1], sys.argv[2]
sys.argv = [script] + sys.argv[3:]
status = 0
recorder = ws.trace(all_threads=True)
with recorder as t:
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
sys.stdout.flush()
with open(record, "w", encoding="utf-8") as f:
    f.write("\n".join(t.lines()) + ("\n" if len(t) else ""))
sys.exit(status)
"""


def parity_py(script: str, args: List[str], peer: Optional[str], opts: argparse.Namespace,
              report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="portsock-parity-") as out:
        record = os.path.join(out, "mirror.jsonl")
        env = dict(os.environ)
        mirror = run_one([sys.executable, "-c", MIRROR_RUNNER, os.path.abspath(script), record], args, env,
                         os.getcwd(), opts.timeout, peer, None)
        mirror = mirror._replace(trace=read_trace(record))
        core = run_one([sys.executable, os.path.abspath(script)], args, env, os.getcwd(), opts.timeout, peer,
                       os.path.join(out, "core.jsonl"))
    runs = ("mirror", "core")
    report.statuses(runs, {"mirror": mirror.status, "core": core.status})
    report.lines("stdout", runs, {"mirror": mirror.stdout, "core": core.stdout})
    TraceComparison(mirror.trace or [], core.trace or [], False).show(report, "mirror", "core")
    report.say("(a Python script runs on Linux only: the mirror's record against the core's; "
               "no Windows Python here)")


def parity_scenarios(box: Toolbox, path: str, names: List[str], report: Report) -> None:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        chosen = [s for s in sc.parse_text(text, path) if not names or s.name in names]
    except ValueError as e:
        raise CannotRun("%s: %s" % (path, e)) from None
    if not chosen:
        raise CannotRun("%s: no scenario%s" % (path, " named " + " ".join(names) if names else ""))
    box.need_all()
    with tempfile.TemporaryDirectory(prefix="portsock-parity-") as out:
        try:
            native.build(box.tools, out)
        except native.ParityError as e:
            raise CannotRun(str(e)) from None
        selected = "\n".join(_scenario_text(text, s) for s in chosen)
        results = native.run_all(box.tools, out, selected, box.wine(), native.RUNS)
    for problem in results.problems:
        report.say(problem)
        report.real += 1
    for scenario in chosen:
        report.say("scenario %s:" % scenario.name)
        wine_trace = [json.dumps(e, separators=(", ", ": ")) for e in results.traces["wine"].get(scenario.name, [])]
        table = wd.by_step()
        windows = []
        for step, line in enumerate(wine_trace, 1):
            d = table.get((scenario.name, step))
            op = scenario.ops[step - 1].text if step <= len(scenario.ops) else ""
            entry = json.loads(line)
            if d is not None and d.op == op and {"ret": entry.get("ret"), "err": entry.get("err")} == d.wine:
                report.known += 1
                report.say("  step %d (%s): known Wine 8 difference, Windows' value used: %s"
                           % (step, op, d.reason))
                entry = dict(entry, **d.windows)
            windows.append(json.dumps(entry, separators=(", ", ": ")))
        for run in ("python", "shim"):
            got = [json.dumps(e, separators=(", ", ": ")) for e in results.traces[run].get(scenario.name, [])]
            _scenario_steps(report, scenario, run, got, windows, "Windows (Wine, known differences applied)")
        core = [json.dumps(e, separators=(", ", ": ")) for e in results.traces["core_wine"].get(scenario.name, [])]
        _scenario_steps(report, scenario, "core_wine", core, wine_trace, TITLES["wine"])


def _scenario_text(text: str, scenario: sc.Scenario) -> str:
    """The lines of one scenario, from its header to the next."""
    lines = text.splitlines()
    end = len(lines)
    for i in range(scenario.line, len(lines)):
        if lines[i].split("#", 1)[0].split()[:1] == ["scenario"]:
            end = i
            break
    return "\n".join(lines[scenario.line - 1:end])


def _scenario_steps(report: Report, scenario: sc.Scenario, run: str, got: List[str], expected: List[str],
                    expected_title: str) -> None:
    title = native.RUN_TITLES[run]
    rows: List[Tuple[str, List[Optional[str]], str]] = []
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g != e:
            op = scenario.ops[i].text if i < len(scenario.ops) else "?"
            rows.append((str(i + 1), [op, short(g), short(e)], "<- differs"))
    if not rows:
        report.say("  %s: same as %s (%d steps)" % (title, expected_title, len(expected)))
        return
    report.real += len(rows)
    report.table("  %s differs from %s" % (title, expected_title), ["op", title, expected_title], rows)


class MissingTool(RuntimeError):
    def __init__(self, missing: List[str]) -> None:
        super().__init__("portsock parity needs " + "; ".join(missing))


# -- the command -------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="portsock parity", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a Winsock C program, a scenario file or a portsock.winsock script the ways\n"
                    "portsock can run it, and show the differences side by side.",
        epilog="""\
inputs:
  PROGRAM.c ...     built with gcc through the shim (the POSIX core), with mingw against real
                    Winsock (Wine), and with mingw on the core's Windows backend (Wine); stdout,
                    exit status and the core builds' traces compared
  SCENARIOS.txt     the parity scenario language (tests/native/scenarios.txt): the mirror and
                    the shim driver against Windows, the Windows backend against Winsock
  SCRIPT.py         on Linux: the mirror's trace() against the core's PORTSOCK_TRACE
  DIRECTORY         each .c, .txt and .py in it, one by one; X.c's arguments and peer may be
                    given in X.c.parity (lines "args: ..." and "peer: ...")

Arguments after -- go to the program ({port} becomes a free port the peer is given
too); for a scenario file they name the scenarios to run.

exit status:
  0    no difference (known Wine 8 deviations are marked and not counted)
  1    a real difference
  2    usage error
  3    a tool is missing: gcc, x86_64-w64-mingw32-gcc (Debian: gcc-mingw-w64-x86-64),
       Wine (Debian: wine64)
  4    a build failed or a run could not be made

examples:
  portsock parity client.c --peer "portsock server --port {port}" -- 127.0.0.1 {port}
  portsock parity tests/native/scenarios.txt -- graceful_lifecycle
  portsock parity my_corpus/""")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="C files, a scenario file, a script or a directory")
    p.add_argument("--peer", help="a command started before each run (and ended after it); "
                                  "{port} is the run's port, waited for until it listens")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a run may take (default: %(default)s)")
    p.add_argument("--cflags", default="", help="extra compiler flags for every C build")
    p.add_argument("-v", "--verbose", action="store_true", help="also show each run's stderr")
    p.add_argument("--no-trace", action="store_true",
                   help="compare stdout and exit status only, not the traces: for a program whose calls "
                        "depend on timing (a select loop serving its own threads makes as many rounds as "
                        "the scheduler gives it); a sidecar's 'trace: off' line says the same")
    return p


def sidecar(path: str) -> Tuple[List[str], Optional[str], bool]:
    """X.c.parity: "args: ...", "peer: ..." and "trace: off" (as --no-trace)
    lines, for a directory's programs; {python} is this Python, {dir} the
    program's directory ({port} is left for each run)."""
    args: List[str] = []
    peer: Optional[str] = None
    no_trace = False
    here = shlex.quote(os.path.dirname(os.path.abspath(path)))
    try:
        with open(path + ".parity", encoding="utf-8") as f:
            for raw in f:
                line = raw.replace("{python}", shlex.quote(sys.executable)).replace("{dir}", here)
                key, _, value = line.partition(":")
                if key.strip() == "args":
                    args = shlex.split(value)
                elif key.strip() == "peer":
                    peer = value.strip() or None
                elif key.strip() == "trace":
                    no_trace = value.strip() == "off"
    except FileNotFoundError:
        pass
    return args, peer, no_trace


def one_input(box: Toolbox, kind: str, files: List[str], args: List[str], peer: Optional[str],
              opts: argparse.Namespace, out: TextIO) -> int:
    report = Report(out)
    started = time.monotonic()
    shown = " ".join(files) + (" -- " + " ".join(args) if args else "")
    report.say("== portsock parity %s%s" % (shown, " (peer: %s)" % peer if peer else ""))
    try:
        if kind == "c":
            parity_c(box, files, args, peer, opts, report)
        elif kind == "txt":
            parity_scenarios(box, files[0], args, report)
        else:
            parity_py(files[0], args, peer, opts, report)
    except MissingTool as e:
        report.say(str(e))
        return EXIT_MISSING_TOOL
    except CannotRun as e:
        report.say("cannot run: %s" % e)
        return EXIT_CANNOT_RUN
    known = " (%d known Wine 8 difference(s) marked, not counted)" % report.known if report.known else ""
    took = " [%.1f s]" % (time.monotonic() - started)
    if report.real:
        report.say("result: %d difference(s)%s%s" % (report.real, known, took))
        return EXIT_DIFFERENT
    report.say("result: no difference%s%s" % (known, took))
    return EXIT_SAME


def kind_of(path: str) -> Optional[str]:
    ext = os.path.splitext(path)[1].lower()
    return {".c": "c", ".txt": "txt", ".py": "py"}.get(ext)


def main(argv: Optional[List[str]] = None, out: Optional[TextIO] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stream = out or sys.stdout
    args: List[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, args = argv[:i], argv[i + 1:]
    p = parser()
    try:
        opts = p.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_SAME
    inputs: List[str] = opts.inputs
    box = Toolbox()
    try:
        if len(inputs) == 1 and os.path.isdir(inputs[0]):
            return directory(box, inputs[0], opts, stream)
        return files(box, inputs, args, opts, stream, p)
    finally:
        box.close()


def files(box: Toolbox, inputs: List[str], args: List[str], opts: argparse.Namespace, stream: TextIO,
          p: argparse.ArgumentParser) -> int:
    kinds = {kind_of(f) for f in inputs}
    bad = [f for f in inputs if not os.path.isfile(f)]
    if bad or None in kinds or len(kinds) != 1 or (kinds != {"c"} and len(inputs) > 1):
        p.print_usage(sys.stderr)
        print("portsock parity: error: give one or more .c files, one .txt scenario file, one .py script "
              "or one directory%s" % ("; not a file: " + ", ".join(bad) if bad else ""), file=sys.stderr)
        return EXIT_USAGE
    return one_input(box, kinds.pop() or "c", inputs, args, opts.peer, opts, stream)


def directory(box: Toolbox, path: str, opts: argparse.Namespace, out: TextIO) -> int:
    """Every input in a directory, one by one, and a summary; the worst status."""
    names = sorted(n for n in os.listdir(path) if kind_of(n) and os.path.isfile(os.path.join(path, n)))
    if not names:
        print("portsock parity: error: no .c, .txt or .py file in %s" % path, file=sys.stderr)
        return EXIT_USAGE
    statuses: Dict[str, int] = {}
    for name in names:
        full = os.path.join(path, name)
        args, peer, no_trace = sidecar(full)
        these = argparse.Namespace(**vars(opts))
        these.no_trace = opts.no_trace or no_trace
        statuses[name] = one_input(box, kind_of(name) or "c", [full], args, peer or opts.peer, these, out)
        out.write("\n")
    words = {EXIT_SAME: "same", EXIT_DIFFERENT: "DIFFERENT", EXIT_MISSING_TOOL: "missing tool",
             EXIT_CANNOT_RUN: "cannot run"}
    out.write("summary of %s:\n" % path)
    for name, status in statuses.items():
        out.write("  %-40s %s\n" % (name, words.get(status, str(status))))
    out.flush()
    # The worst: a missing tool or a failed build hides the comparison itself.
    for status in (EXIT_MISSING_TOOL, EXIT_CANNOT_RUN, EXIT_DIFFERENT):
        if status in statuses.values():
            return status
    return EXIT_SAME

