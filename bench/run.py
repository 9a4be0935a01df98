"""portsock benchmarks: the Winsock client lifecycle from Python, side by side.

    python bench/run.py [--n N] [--rounds R] [--bulk-size SIZE] [--quick] [--no-write]

Compares, in one run, with rounds interleaved (A B C D E A B C D E ...):

  connection  portsock.connect() -> Connection.sendall() -> Connection.disconnect()
  mirror      portsock.winsock, line by line as the Winsock sample client
  stdlib      socket.create_connection, sendall, shutdown(SHUT_WR), recv_into loop, close
  c           plain C on POSIX sockets (bench/client.c), the same lifecycle
  shim        the Winsock sample's lifecycle in plain Winsock C (bench/client_winsock.c:
              WSAStartup ... WSACleanup each time), built through the shim headers
              against the portsock core

Sections: lifecycle (connect, send 14 bytes, shutdown(SD_SEND), drain to the peer's
FIN, close: client CPU per lifecycle and lifecycles/s), syscalls (strace -f of
each variant's process: the syscalls of one lifecycle, counted and listed),
bulk (the peer sends SIZE bytes after the client's FIN: CPU per GiB and
throughput, receiving into one reused buffer and keeping the whole reply),
percall (the mirror's error returns against the stdlib's raising calls, ns per
call), threads (1, 2, 4, 8 threads of lifecycles in one process) and gil (a
thread blocked in Connection.recv does not stop the others).

Every variant runs in its own process (bench/worker.py, or the C client), which
measures its own CPU with getrusage(RUSAGE_SELF); the peer (bench/peer.c) is a
C server in another process. The C programs are built with gcc into a temporary
directory. Medians are reported with their min-max spread over the rounds;
the table is printed and, unless --no-write, written to docs/benchmarks.md with
the targets, the machine, the date and the command.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks.md")
GIB = 1 << 30
MIB = 1 << 20
BULK_TARGET_MIN = 256 * MIB   # the bulk targets are defined over a reply of at least this
SYSCALL_LIMIT = 7             # the stdlib's and C's count: socket connect sendto shutdown recvfrom×2 close
MARKER = "/portsock-bench-lifecycle-marker"   # the syscall marker of worker.py and the C clients
BULK_BUFLEN = 65536           # worker.py's bulk buffer (the C clients' too)

PYTHON_VARIANTS = ["connection", "mirror", "stdlib"]
C_VARIANTS = ["c", "shim"]    # text commands (client.c, client_winsock.c)
LIFECYCLE_VARIANTS = PYTHON_VARIANTS + C_VARIANTS
LABELS = {
    "connection": "portsock Connection",
    "mirror": "portsock.winsock (mirror)",
    "stdlib": "stdlib socket",
    "c": "plain C (POSIX)",
    "shim": "Winsock C via the shim (core)",
}
SECTIONS = ["lifecycle", "syscalls", "bulk", "percall", "threads", "gil"]

# The bulk rows: (key, worker, worker command, label, what it keeps, the row it
# is compared with). The first two pairs are the targets: a recv_into loop into
# one reused buffer against the stdlib's, and the whole reply kept as bytes
# against the stdlib's recv chunks joined.
BULK_ROWS = [
    ("connection-recvinto", "connection", "bulkrecvinto", "portsock Connection, recv_into loop", "nothing",
     "stdlib"),
    ("stdlib", "stdlib", "bulk", "stdlib socket, recv_into loop", "nothing", "stdlib"),
    ("connection", "connection", "bulk", "portsock Connection, disconnect()", "the reply", "stdlib-keep"),
    ("stdlib-keep", "stdlib", "bulkkeep", "stdlib socket, recv(65536) chunks + b\"\".join", "the reply",
     "stdlib-keep"),
    ("connection-discard", "connection", "bulkdiscard", "portsock Connection, disconnect(discard=True) (info)",
     "nothing", "stdlib"),
    ("mirror", "mirror", "bulk", "portsock.winsock (mirror), recv loop (info)", "nothing", "stdlib"),
    ("c", "c", "bulk", "plain C (POSIX), recv loop (info)", "nothing", "stdlib"),
    ("shim", "shim", "bulk", "Winsock C via the shim (core), recv loop (info)", "nothing", "stdlib"),
]
BULK_BASE_LABELS = {"stdlib": "stdlib recv_into loop", "stdlib-keep": "stdlib recv + join"}
THREAD_COUNTS = [1, 2, 4, 8]
PERCALL_KINDS = [
    ("send_shutdown", "send after shutdown(SD_SEND)",
     "-1 / WSAESHUTDOWN", "BrokenPipeError raised and caught"),
    ("recv_wouldblock", "recv on a non-blocking socket, nothing to read",
     "-1 / WSAEWOULDBLOCK", "BlockingIOError raised and caught"),
]


# --------------------------------------------------------------------------
# Options

def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError("not a size: %r (e.g. 1G, 64MiB, 1048576)" % text)
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    size = int(float(m.group(1)) * mult)
    if size <= 0:
        raise argparse.ArgumentTypeError("size must be positive")
    return size


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=None,
                   help="lifecycles per variant per round (default 5000; --quick 100)")
    p.add_argument("--rounds", type=int, default=None,
                   help="interleaved rounds per section (default 7; --quick 2)")
    p.add_argument("--bulk-size", type=parse_size, default=None,
                   help="bytes the peer sends in the bulk section (default 256MiB, the targets' minimum; "
                        "--quick 4MiB)")
    p.add_argument("--calls", type=int, default=None,
                   help="calls per per-call measurement (default 200000; --quick 5000)")
    p.add_argument("--threads-n", type=int, default=None,
                   help="lifecycles per threads measurement (default 4000; --quick 80)")
    p.add_argument("--syscalls-n", type=int, default=None,
                   help="lifecycles counted under strace per variant, after as many of warm-up "
                        "(default 100; --quick 10)")
    p.add_argument("--strace", default=None,
                   help="the strace program (default: strace on PATH, else /usr/bin/strace)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the bench runs, measures little")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help="comma-separated subset of: %s" % ", ".join(SECTIONS))
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="the Markdown file to write")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds one measurement may take before the bench gives up (default 900)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {"n": (5000, 100), "rounds": (7, 2), "bulk_size": (BULK_TARGET_MIN, 4 * MIB),
                "calls": (200000, 5000), "threads_n": (4000, 80), "syscalls_n": (100, 10),
                "timeout": (900.0, 60.0)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    for s in args.sections:
        if s not in SECTIONS:
            p.error("unknown section %r" % s)
    if args.n < 1 or args.rounds < 1 or args.calls < 1 or args.syscalls_n < 1 or \
            args.threads_n < max(THREAD_COUNTS):
        p.error("--n, --rounds, --calls and --syscalls-n must be positive, --threads-n at least %d"
                % max(THREAD_COUNTS))
    return args


# --------------------------------------------------------------------------
# Processes

def core_sources() -> List[str]:
    """The portsock core's C sources for a POSIX build, which the shim client
    links with: the one place this script names them."""
    with open(os.path.join(ROOT, "csrc", "SOURCES")) as f:
        lines = [line.partition(":") for line in f if not line.startswith("#")]
    return [os.path.join(ROOT, "csrc", file) for name, _, files in lines if name.strip() == "posix"
            for file in files.split()]


def build(tmp: str) -> Dict[str, str]:
    """The peer, the plain C client, and the Winsock C client built unchanged
    through the shim headers (csrc/include/portsock first on the include path)
    against the core's sources."""
    cc = os.environ.get("CC", "gcc")
    csrc = os.path.join(ROOT, "csrc")
    plan = [
        ("peer", [os.path.join(HERE, "peer.c"), "-pthread"]),
        ("client", [os.path.join(HERE, "client.c")]),
        ("shim", ["-std=c11", "-I", os.path.join(csrc, "include", "portsock"), "-I", csrc,
                  os.path.join(HERE, "client_winsock.c")] + core_sources() + ["-pthread"]),
    ]
    out = {}
    for name, extra in plan:
        exe = os.path.join(tmp, name)
        cmd = [cc, "-O2", "-Wall", "-o", exe] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("building %s failed:\n%s\n%s" % (name, " ".join(cmd), r.stderr))
        out[name] = exe
    return out


def worker_argv(variant: str, exes: Dict[str, str]) -> List[str]:
    if variant == "c":
        return [exes["client"]]
    if variant == "shim":
        return [exes["shim"]]
    return [sys.executable, os.path.join(HERE, "worker.py"), variant]


class Worker:
    """A client process answering one JSON (or, for the C clients, text) line per command."""

    def __init__(self, name: str, argv: List[str], timeout: float) -> None:
        self.name = name
        self.text = name in C_VARIANTS
        self.timeout = timeout
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, cwd=ROOT)

    def _send(self, cmd: Dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        if self.text:
            if cmd["cmd"] in ("lifecycle", "syscalls"):
                line = "%s %d %d" % (cmd["cmd"], cmd["n"], cmd["port"])
            elif cmd["cmd"] == "bulk":
                line = "bulk %d %d" % (cmd["size"], cmd["port"])
            elif cmd["cmd"] == "quit":
                line = "quit"
            else:
                raise ValueError(cmd)
        else:
            line = json.dumps(cmd)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def call(self, **cmd: Any) -> Dict[str, Any]:
        self._send(cmd)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            raise RuntimeError("%s: no answer to %r within %.0f s" % (self.name, cmd, self.timeout))
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("%s: exited (status %s) during %r" % (self.name, self.proc.wait(), cmd))
        res = json.loads(line)
        if "error" in res and res["error"]:
            raise RuntimeError("%s: %r failed: %s" % (self.name, cmd, res["error"]))
        return res

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send({"cmd": "quit"})
                self.proc.stdin.close()  # type: ignore[union-attr]
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait()


def start_peer(exe: str) -> Tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([exe, "16"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    m = re.match(r"PORT (\d+)", line)
    if not m:
        proc.kill()
        sys.exit("the peer did not start: %r" % line)
    return proc, int(m.group(1))


# --------------------------------------------------------------------------
# Statistics and formatting

class Stat:
    """The median of some samples, with their spread."""

    def __init__(self, values: Sequence[float]) -> None:
        self.values = sorted(values)
        self.median = statistics.median(self.values)
        self.lo = self.values[0]
        self.hi = self.values[-1]

    def fmt(self, digits: int = 1, scale: float = 1.0) -> str:
        f = "%%.%df" % digits
        if len(self.values) == 1:
            return f % (self.median * scale)
        return (f + " (" + f + "–" + f + ")") % (self.median * scale, self.lo * scale, self.hi * scale)


def table(headers: List[str], rows: List[List[str]], align: Optional[str] = None) -> List[str]:
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(cells: List[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            out.append(str(c).ljust(widths[i]) if align[i] == "l" else str(c).rjust(widths[i]))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":" if a == "r" else ":" + "-" * (w + 1))
                         for w, a in zip(widths, align)) + "|"
    return [line(headers), sep] + [line(r) for r in rows]


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


# --------------------------------------------------------------------------
# Sections

def run_lifecycle(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    samples: Dict[str, List[Dict[str, Any]]] = {v: [] for v in LIFECYCLE_VARIANTS}
    for r in range(args.rounds):
        for v in LIFECYCLE_VARIANTS:
            res = workers[v].call(cmd="lifecycle", n=args.n, port=port)
            samples[v].append(res)
            log("lifecycle round %d/%d %-10s %6.1f µs CPU, %7.0f /s" % (
                r + 1, args.rounds, v, (res["user"] + res["sys"]) / res["n"] * 1e6, res["n"] / res["wall"]))
    out = {}
    for v, ss in samples.items():
        out[v] = {
            "cpu_us": Stat([(s["user"] + s["sys"]) / s["n"] * 1e6 for s in ss]),
            "user_us": Stat([s["user"] / s["n"] * 1e6 for s in ss]),
            "sys_us": Stat([s["sys"] / s["n"] * 1e6 for s in ss]),
            "rate": Stat([s["n"] / s["wall"] for s in ss]),
        }
    return out


def bulk_rows(workers: Dict[str, Worker]) -> List[Tuple[str, str, str, str, str, str]]:
    """BULK_ROWS, without Connection.disconnect(discard=True) where this
    portsock does not have it."""
    discard = bool(workers["connection"].call(cmd="caps").get("discard"))
    return [row for row in BULK_ROWS if row[0] != "connection-discard" or discard]


def run_bulk(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    rows = bulk_rows(workers)
    samples: Dict[str, List[Dict[str, Any]]] = {row[0]: [] for row in rows}
    gib = args.bulk_size / GIB
    for r in range(args.rounds):
        for key, worker, cmd, *_ in rows:
            res = workers[worker].call(cmd=cmd, size=args.bulk_size, port=port)
            samples[key].append(res)
            log("bulk round %d/%d %-19s %6.3f s CPU/GiB, %6.2f GiB/s" % (
                r + 1, args.rounds, key, (res["user"] + res["sys"]) / gib, gib / res["wall"]))
    out: Dict[str, Any] = {}
    for v, ss in samples.items():
        out[v] = {
            "cpu_s": Stat([(s["user"] + s["sys"]) / gib for s in ss]),
            "user_s": Stat([s["user"] / gib for s in ss]),
            "sys_s": Stat([s["sys"] / gib for s in ss]),
            "gibps": Stat([gib / s["wall"] for s in ss]),
        }
    return out


def find_strace(args: argparse.Namespace) -> Optional[str]:
    if args.strace:
        return shutil.which(args.strace) or (args.strace if os.access(args.strace, os.X_OK) else None)
    return shutil.which("strace") or ("/usr/bin/strace" if os.access("/usr/bin/strace", os.X_OK) else None)


def parse_strace(path: str) -> List[List[str]]:
    """The syscall names of each lifecycle in an `strace -f -o` log: the calls
    between two consecutive markers (access(MARKER)). A call strace split into
    "<unfinished ...>" and "<... resumed>" counts once; signals and exits are
    not calls."""
    lifecycles: List[List[str]] = []
    current: Optional[List[str]] = None
    call = re.compile(r"^(?:\[pid\s+)?\d+\]?\s+([a-z_][a-z0-9_]*)\(")
    with open(path, errors="replace") as f:
        for line in f:
            m = call.match(line)
            if not m:
                continue   # "<... x resumed>", "--- SIGxxx", "+++ exited", strace's own notes
            if MARKER in line:
                if current is not None:
                    lifecycles.append(current)
                current = []
            elif current is not None:
                current.append(m.group(1))
    return lifecycles   # what follows the last marker is not a lifecycle


def call_list(calls: Sequence[str]) -> str:
    """["socket", "connect", "recvfrom", "recvfrom"] -> "socket connect recvfrom×2"."""
    out: List[str] = []
    for name in calls:
        if out and out[-1].split("×")[0] == name:
            base, _, k = out[-1].partition("×")
            out[-1] = "%s×%d" % (base, int(k or 1) + 1)
        else:
            out.append(name)
    return " ".join(out)


def summarise_syscalls(lifecycles: List[List[str]]) -> Dict[str, Any]:
    counted = [[c for c in lc if c != "futex"] for lc in lifecycles]
    common, times = Counter(tuple(c) for c in counted).most_common(1)[0]
    totals: Counter = Counter()
    for c in counted:
        totals.update(c)
    return {
        "count": Stat([float(len(c)) for c in counted]),
        "mean": sum(len(c) for c in counted) / len(counted),
        "common": call_list(common), "common_n": len(common), "common_share": times / len(counted),
        "futex": sum(lc.count("futex") for lc in lifecycles) / len(lifecycles),
        "by_name": {k: v / len(counted) for k, v in totals.items()},
        "lifecycles": len(counted),
    }


def run_syscalls(exes: Dict[str, str], port: int, args: argparse.Namespace, tmp: str, log: Any) -> Dict[str, Any]:
    """Each variant's client process under `strace -f`: --syscalls-n lifecycles
    of warm-up (first startup, imports, first connections), then --syscalls-n
    lifecycles each preceded by a marker syscall; each stretch between two
    markers is one lifecycle."""
    strace = find_strace(args)
    if strace is None:
        return {"skipped": "strace not found (install it, or pass --strace PATH): syscalls not counted"}
    out: Dict[str, Any] = {"strace": strace}
    for v in LIFECYCLE_VARIANTS:
        log_path = os.path.join(tmp, "strace-%s.txt" % v)
        w = Worker(v, [strace, "-f", "-o", log_path] + worker_argv(v, exes), args.timeout)
        try:
            w.call(cmd="lifecycle", n=args.syscalls_n, port=port)
            w.call(cmd="syscalls", n=args.syscalls_n, port=port)
        finally:
            w.close()
        if w.proc.returncode != 0:
            return {"skipped": "strace failed for %s (exit status %s): syscalls not counted"
                    % (v, w.proc.returncode)}
        lifecycles = parse_strace(log_path)
        if len(lifecycles) != args.syscalls_n:
            return {"skipped": "the strace log of %s holds %d marked lifecycles, not %d: syscalls not counted"
                    % (v, len(lifecycles), args.syscalls_n)}
        out[v] = summarise_syscalls(lifecycles)
        log("syscalls %-10s %5.2f per lifecycle: %s" % (v, out[v]["mean"], out[v]["common"]))
    return out


def run_percall(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    samples: Dict[Tuple[str, bool, str], List[Dict[str, Any]]] = {}
    for r in range(args.rounds):
        for kind, *_ in PERCALL_KINDS:
            for geterr in (False, True):
                for v in ("mirror", "stdlib"):
                    res = workers[v].call(cmd="percall", kind=kind, calls=args.calls, port=port, geterr=geterr)
                    samples.setdefault((kind, geterr, v), []).append(res)
                    log("percall round %d/%d %-15s %-6s geterr=%d %7.1f ns" % (
                        r + 1, args.rounds, kind, v, geterr, res["ns_cpu"]))
    return {key: {"cpu_ns": Stat([s["ns_cpu"] for s in ss]), "wall_ns": Stat([s["ns_wall"] for s in ss])}
            for key, ss in samples.items()}


def run_threads(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    samples: Dict[Tuple[str, int], List[Dict[str, Any]]] = {}
    for r in range(args.rounds):
        for t in THREAD_COUNTS:
            for v in ("connection", "stdlib"):
                res = workers[v].call(cmd="threads", threads=t, n=args.threads_n, port=port)
                samples.setdefault((v, t), []).append(res)
                log("threads round %d/%d %-10s x%d %7.0f /s, %.2f cores" % (
                    r + 1, args.rounds, v, t, res["n"] / res["wall"], (res["user"] + res["sys"]) / res["wall"]))
    return {key: {"rate": Stat([s["n"] / s["wall"] for s in ss]),
                  "cores": Stat([(s["user"] + s["sys"]) / s["wall"] for s in ss]),
                  "cpu_us": Stat([(s["user"] + s["sys"]) / s["n"] * 1e6 for s in ss])}
            for key, ss in samples.items()}


def run_gil(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    res = workers["connection"].call(cmd="gilcheck", port=port, seconds=0.1 if args.quick else 0.5)
    log("gil: %d iterations alone, %d while another thread is blocked in recv" % (res["alone"], res["during"]))
    return res


# --------------------------------------------------------------------------
# The report

def machine() -> Dict[str, str]:
    info: Dict[str, str] = {}
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    info["nproc"] = str(affinity)
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor() or "?"
    info["cpu"] = model
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory"] = "%.1f GiB" % (int(line.split()[1]) / (1 << 20))
    except OSError:
        pass
    info["kernel"] = "%s %s" % (platform.system(), platform.release())
    info["python"] = "%s %s" % (platform.python_implementation(), platform.python_version())
    try:
        import cffi
        info["cffi"] = cffi.__version__
    except ImportError:
        pass
    try:
        info["gcc"] = subprocess.run([os.environ.get("CC", "gcc"), "-dumpfullversion"], capture_output=True,
                                     text=True).stdout.strip()
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=ROOT).stdout.strip()
        if rev:
            info["commit"] = rev + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        pass
    return info


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def targets(res: Dict[str, Any], args: argparse.Namespace) -> List[Tuple[str, str, str, str, bool]]:
    """(target, measured as, value, limit text, met) for every target whose data is in res."""
    out = []

    def ratio_target(name: str, what: str, r: float, limit: float) -> None:
        out.append((name, what, "%.2f×" % r, "≤ %.2f×" % limit, r <= limit))

    if "lifecycle" in res:
        lc = res["lifecycle"]
        cpu = {v: lc[v]["cpu_us"].median for v in lc}
        ratio_target("Connection lifecycle CPU ≤ 0.9× stdlib", "CPU per lifecycle, medians",
                     ratio(cpu["connection"], cpu["stdlib"]), 0.9)
        ratio_target("mirror lifecycle CPU ≤ 1.0× stdlib", "CPU per lifecycle, medians",
                     ratio(cpu["mirror"], cpu["stdlib"]), 1.0)
        ratio_target("shim C client lifecycle CPU ≤ 1.1× plain C", "CPU per lifecycle, medians",
                     ratio(cpu["shim"], cpu["c"]), 1.1)
    if "bulk" in res:
        b = res["bulk"]
        size = human_size(args.bulk_size)
        if args.bulk_size < BULK_TARGET_MIN:
            size += " (the targets are over ≥ %s)" % human_size(BULK_TARGET_MIN)
        ratio_target("bulk: Connection.recv_into loop over %s ≤ 1.0× stdlib recv_into loop" % size,
                     "CPU per GiB, medians", ratio(b["connection-recvinto"]["cpu_s"].median,
                                                   b["stdlib"]["cpu_s"].median), 1.0)
        ratio_target("bulk: disconnect() keeping %s ≤ 1.0× stdlib recv + join" % size,
                     "CPU per GiB, medians", ratio(b["connection"]["cpu_s"].median,
                                                   b["stdlib-keep"]["cpu_s"].median), 1.0)
    sc = res.get("syscalls")
    if sc and "skipped" not in sc:
        for v in ("connection", "mirror"):
            out.append(("syscalls per lifecycle ≤ %d: %s" % (SYSCALL_LIMIT, LABELS[v]),
                        "strace -f, all but futex, mean", "%.1f" % sc[v]["mean"], "≤ %d" % SYSCALL_LIMIT,
                        sc[v]["mean"] <= SYSCALL_LIMIT + 0.05))
    return out


def gaps_anchor() -> Optional[Tuple[str, str]]:
    """(heading, Markdown anchor) of "The remaining gaps" section of
    bench/what-each-change-bought.md, where each target not met gets its
    measured cause and next step."""
    try:
        with open(CHANGES, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"#+\s+(The remaining gaps.*?)\s*$", line)
                if m:
                    slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
                    return m.group(1), "#" + slug
    except OSError:
        pass
    return None


def render(res: Dict[str, Any], args: argparse.Namespace, info: Dict[str, Any]) -> Tuple[str, str]:
    """(the console table, the Markdown document)."""
    body: List[str] = []

    if "lifecycle" in res:
        lc = res["lifecycle"]
        body += ["## Lifecycle", "",
                 "getaddrinfo(\"127.0.0.1\") → socket → connect → send 14 bytes → shutdown(SD_SEND) → receive "
                 "until the peer's FIN (the peer echoes the 14 bytes) → close; %d lifecycles per variant per "
                 "round, %d rounds. CPU is the client process's user + system time (getrusage) per lifecycle. "
                 "The shim C client also calls `WSAStartup` and `WSACleanup` in every lifecycle, as the "
                 "Winsock sample does once per run." % (args.n, args.rounds), ""]
        rows = []
        for v in LIFECYCLE_VARIANTS:
            d = lc[v]
            rows.append([LABELS[v], d["cpu_us"].fmt(1), d["user_us"].fmt(1), d["sys_us"].fmt(1),
                         d["rate"].fmt(0), "%.2f×" % ratio(d["cpu_us"].median, lc["stdlib"]["cpu_us"].median),
                         "%.2f×" % ratio(d["cpu_us"].median, lc["c"]["cpu_us"].median)])
        body += table(["variant", "CPU µs / lifecycle", "user µs", "system µs", "lifecycles / s",
                       "CPU vs stdlib", "CPU vs C"], rows) + [""]

    if "syscalls" in res:
        sc = res["syscalls"]
        body += ["## Syscalls", ""]
        if "skipped" in sc:
            body += ["Not counted in this run: %s." % sc["skipped"], ""]
        else:
            body += ["Each variant's client process under `strace -f`, running the lifecycle of the Lifecycle "
                     "section: %d lifecycles of warm-up (imports, the first startup, the first connections), then %d "
                     "lifecycles, each preceded by a marker syscall (`access()` of a path that does not exist) "
                     "and the last followed by one; the calls between two markers are one lifecycle. Every "
                     "syscall is counted except `futex` (its count per lifecycle is in the last column, not in "
                     "the total). The calls listed are the most common lifecycle's, in order (the column "
                     "before last: how many of the lifecycles were that one). A lifecycle in which the peer's "
                     "echo and its FIN arrive apart makes one more `recvfrom`, in any variant, so a mean may be "
                     "a little above the common lifecycle's count; the syscall targets allow 0.05 for it."
                     % (args.syscalls_n, args.syscalls_n), ""]
            rows = []
            for v in LIFECYCLE_VARIANTS:
                d = sc[v]
                rows.append([LABELS[v], "%.2f" % d["mean"], "%.0f–%.0f" % (d["count"].lo, d["count"].hi),
                             "%.2f×" % ratio(d["mean"], sc["stdlib"]["mean"]),
                             "%d: %s" % (d["common_n"], d["common"]), "%.0f%%" % (100 * d["common_share"]),
                             "%.2f" % d["futex"]])
            body += table(["variant", "syscalls / lifecycle", "min–max", "vs stdlib",
                           "most common lifecycle: count and calls", "of lifecycles", "futex"],
                          rows, align="lrrrlrr") + [""]

    if "bulk" in res:
        b = res["bulk"]
        body += ["## Bulk", "",
                 "One lifecycle in which the peer sends %s after the client's FIN; %d rounds. Every row "
                 "receives the whole reply; CPU is the client process's per GiB received, throughput the "
                 "reply over the lifecycle's wall time. The targets are two pairs: the Connection's "
                 "`recv_into` loop into one reused %s `bytearray` (after `sendall` and `shutdown(SD_SEND)`, "
                 "then `close()`) against the stdlib's `recv_into` loop into the same size of buffer, both "
                 "keeping nothing; and `Connection.disconnect()`, which returns the whole reply as one "
                 "`bytes`, against the stdlib keeping it too: `recv(65536)` chunks, then `b\"\".join`. The "
                 "rows marked (info) have no target: the mirror's `recv` loop and the C clients' `recv` "
                 "loops into one 64 KiB buffer%s."
                 % (human_size(args.bulk_size), args.rounds, human_size(BULK_BUFLEN),
                    ", and `disconnect(discard=True)`, which drains in the core and keeps nothing"
                    if "connection-discard" in b else ""), ""]
        rows = []
        for key, _, _, label, keeps, base in BULK_ROWS:
            if key not in b:
                continue
            d, bd = b[key], b[base]
            rows.append([label, keeps, d["cpu_s"].fmt(3), d["user_s"].fmt(3), d["sys_s"].fmt(3), d["gibps"].fmt(2),
                         BULK_BASE_LABELS[base], "%.2f×" % ratio(d["cpu_s"].median, bd["cpu_s"].median),
                         "%.2f×" % ratio(d["gibps"].median, bd["gibps"].median)])
        body += table(["variant", "keeps", "CPU s / GiB", "user s / GiB", "system s / GiB", "GiB / s",
                       "compared with", "CPU", "throughput"], rows, align="llrrrrlrr") + [""]

    if "percall" in res:
        pc = res["percall"]
        body += ["## Per-call cost of an error", "",
                 "A loop of %d calls on a connected socket, %d rounds; ns per call of process CPU time "
                 "(wall-clock ns in the last column). \"+ code\" also reads the error code: "
                 "`WSAGetLastError()` after the mirror's -1, `e.errno` of the caught exception."
                 % (args.calls, args.rounds), ""]
        rows = []
        for kind, title, mret, sret in PERCALL_KINDS:
            for geterr in (False, True):
                m, s = pc[(kind, geterr, "mirror")], pc[(kind, geterr, "stdlib")]
                suffix = " + code" if geterr else ""
                rows.append(["%s: mirror, %s%s" % (title, mret, suffix), m["cpu_ns"].fmt(0),
                             "%.2f×" % ratio(m["cpu_ns"].median, s["cpu_ns"].median), m["wall_ns"].fmt(0)])
                rows.append(["%s: stdlib, %s%s" % (title, sret, suffix), s["cpu_ns"].fmt(0), "1.00×",
                             s["wall_ns"].fmt(0)])
        body += table(["call", "CPU ns / call", "vs stdlib", "wall ns / call"], rows) + [""]

    if "threads" in res:
        th = res["threads"]
        body += ["## Threads", "",
                 "%d lifecycles split over 1, 2, 4 and 8 threads in one process, %d rounds. \"cores\" is the "
                 "process's CPU time over wall time: above 1.0, threads ran Python-side work at the same time "
                 "as others were in native calls, which needs the GIL released there. (This machine has %s "
                 "cores, shared with the peer.)" % (args.threads_n, args.rounds, info["nproc"]), ""]
        rows = []
        for t in THREAD_COUNTS:
            c, s = th[("connection", t)], th[("stdlib", t)]
            rows.append([str(t), c["rate"].fmt(0),
                         "%.2f×" % ratio(c["rate"].median, th[("connection", 1)]["rate"].median),
                         c["cores"].fmt(2), c["cpu_us"].fmt(1), s["rate"].fmt(0),
                         "%.2f×" % ratio(s["rate"].median, th[("stdlib", 1)]["rate"].median),
                         s["cores"].fmt(2), s["cpu_us"].fmt(1)])
        body += table(["threads", "Connection / s", "vs 1 thread", "cores", "CPU µs / lifecycle",
                       "stdlib / s", "vs 1 thread", "cores", "CPU µs / lifecycle"], rows) + [""]

    if "gil" in res:
        g = res["gil"]
        body += ["## GIL", "",
                 "A pure-Python counting loop in the main thread, alone and then while another thread is "
                 "blocked in `Connection.recv(1)` (the peer sends nothing until the main thread's "
                 "`shutdown(SD_SEND)`):", "",
                 "- alone: %d iterations; while the other thread is blocked: %d (%.0f%%); the blocked call "
                 "returned %.3f s after it started, once the main thread shut down its side."
                 % (g["alone"], g["during"], 100.0 * g["during"] / max(g["alone"], 1), g["blocked_s"] or -1), ""]

    tg = targets(res, args)
    tgt: List[str] = []
    if tg:
        gaps = gaps_anchor()
        cause = "[%s](%s)" % gaps if gaps else "not written yet (no \"The remaining gaps\" section in %s)" % (
            os.path.relpath(CHANGES, ROOT))
        tgt += ["## Targets", "",
                "Ratios of the medians (and syscall counts) in the tables below, all from this one run. For "
                "each target not met, its measured cause and the next step are in the last section's "
                "\"The remaining gaps\" (kept in `%s`, not written by this run)." % os.path.relpath(CHANGES, ROOT),
                ""]
        tgt += table(["target", "measured", "value", "limit", "result", "measured cause and next step"],
                     [[t, m, v, lim, "MET" if ok else "NOT MET", "" if ok else cause]
                      for t, m, v, lim, ok in tg],
                     align="llrlll") + [""]

    console = "\n".join(tgt + body)

    cmd = "python bench/run.py" + ("" if not info["argv"] else " " + " ".join(info["argv"]))
    head = ["# Benchmarks", "",
            "Written by `python bench/run.py` (options: `python bench/run.py --help`); every figure below comes "
            "from the run described here, except in the last section, \"What each change bought\": instruction "
            "and syscall counts from `python bench/callgrind.py`, kept in `bench/what-each-change-bought.md` and "
            "copied in by each run. Rerun it to refresh this page.", "",
            "- command: `%s`" % cmd,
            "- date: %s" % info["date"],
            "- duration: %.0f s" % info["duration"],
            "- machine: %s CPUs (%s), %s memory, %s, %s, cffi %s, gcc %s" % (
                info["nproc"], info["cpu"], info.get("memory", "?"), info["kernel"], info["python"],
                info.get("cffi", "?"), info.get("gcc", "?")),
            "- portsock commit: %s" % info.get("commit", "?"),
            "- load average (1, 5, 15 min) before: %s; after: %s" % (info["load_before"], info["load_after"]),
            "- settings: %d lifecycles per variant per round, %d rounds, bulk %s, %d lifecycles counted "
            "under strace per variant, %d calls per per-call measurement, %d lifecycles per threads "
            "measurement" % (args.n, args.rounds, human_size(args.bulk_size), args.syscalls_n, args.calls,
                             args.threads_n),
            "",
            "How it measures: each variant is its own client process (`bench/worker.py` for the three Python "
            "variants, `bench/client.c` for plain C, `bench/client_winsock.c` for the shim), commanded one "
            "measurement at a time, so rounds are interleaved (A B C D E A B C D E ...) and each process's "
            "`getrusage(RUSAGE_SELF)` delta is that variant's CPU alone. The peer (`bench/peer.c`) is a "
            "multi-threaded C server on 127.0.0.1 in another process: it reads the request until the client's "
            "FIN, then echoes it (or, for a request `B<size>`, sends that many bytes) and closes. Figures are "
            "medians with the (min–max) over the rounds. The C programs are built with `gcc -O2` into a "
            "temporary directory; the shim client with `-std=c11 -Icsrc/include/portsock -Icsrc` and the "
            "core's sources (%s) compiled in." % ", ".join("`%s`" % os.path.relpath(f, ROOT) for f in core_sources()),
            "",
            "The variants:", "",
            "- **portsock Connection**: `conn = portsock.connect(\"127.0.0.1\", port)`, "
            "`conn.sendall(msg)`, `conn.disconnect()` (shutdown, drain, close in one native call).",
            "- **portsock.winsock (mirror)**: the Winsock sample client line by line — `getaddrinfo`, "
            "`socket`, `connect`, `freeaddrinfo`, `send`, `shutdown(SD_SEND)`, `recv` into a 512-byte "
            "`bytearray` until 0, `closesocket` (one `WSAStartup` for the process).",
            "- **stdlib socket**: `socket.create_connection`, `sendall`, `shutdown(SHUT_WR)`, `recv_into` a "
            "512-byte `bytearray` until 0, `close`.",
            "- **plain C (POSIX)**: the same as the mirror, in C on the OS's sockets.",
            "- **Winsock C via the shim (core)**: `bench/client_winsock.c`, the Winsock sample client's "
            "lifecycle in plain Winsock C (`WSAStartup`, `getaddrinfo`, `socket`, `connect`, `send`, "
            "`shutdown(SD_SEND)`, `recv` until 0, `closesocket`, `WSACleanup`, each lifecycle), compiled "
            "unchanged through the shim headers (`csrc/include/portsock/winsock2.h`) against the core; the "
            "same file builds with `x86_64-w64-mingw32-gcc ... -lws2_32` for real Winsock.", ""]
    md = "\n".join(head + tgt + body + aio_section() + NOTES + changes_section())
    return console, md


NOTES = """## Reading the figures

- CPU is user + system time of the client process alone (`getrusage(RUSAGE_SELF)` deltas around the
  measured loop, in the variant's own process). Linux splits it into user and system by sampling at timer
  ticks, so those two columns are estimates; their sum, which every ratio uses, is not.
- The machine may be shared: the load averages before and after the run are given above. Ratios compare
  variants measured in the same interleaved rounds, so a busy spell affects all of them; it widens the
  spreads.
- Bulk: each row is compared with the stdlib row doing the same work. The `recv_into` loops (and the
  mirror's and C's `recv` loops, and `disconnect(discard=True)`) drain into one reused buffer and keep
  nothing. `Connection.disconnect()` returns the whole reply as one `bytes` object, so it is compared
  with the stdlib keeping the reply as well (`recv(65536)` chunks, then `b"".join`): keeping a reply of
  that size costs the page faults of the result and of the chunks, whatever the library.
- Syscalls: strace slows the traced process down but does not change which calls it makes; the counts
  are per lifecycle after a warm-up, so one-time costs (imports, the first startup, the first socket's
  setup) are not in them. The shim client's `WSAStartup` and `WSACleanup` are in every one of its
  lifecycles.
- Per call: the stdlib makes a syscall on every call (send after `SHUT_WR` fails with EPIPE, recv with
  EAGAIN), then raises. The mirror's send after `shutdown(SD_SEND)` is answered from the core's socket
  state (WSAESHUTDOWN) without a syscall; its recv makes the syscall, as Winsock must.
- Threads: the core releases the GIL in every native call (cffi does), so threads overlap their waits;
  on a 2-core machine shared with the peer, throughput stops growing at about 2-4 threads.
""".splitlines()


CHANGES = os.path.join(HERE, "what-each-change-bought.md")
AIO_RESULTS = os.path.join(ROOT, "docs", "benchmarks-aio.md")


def aio_section() -> List[str]:
    """docs/benchmarks-aio.md (written by bench/aio.py, its own run: portsock.aio
    against asyncio streams), copied in under a heading of this page."""
    try:
        with open(AIO_RESULTS, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    # Its title becomes a section here; its own headings go one level down.
    body = ["#" + line if line.startswith("## ") else line for line in lines if not line.startswith("# ")]
    return ["## asyncio: portsock.aio against asyncio streams", "",
            "Copied from `docs/benchmarks-aio.md`, which `python bench/aio.py` writes from a run of its own "
            "(its command and date are in it)."] + body + [""]


def changes_section() -> List[str]:
    """bench/what-each-change-bought.md (instruction counts from bench/callgrind.py,
    not from this run), copied in as it is."""
    try:
        with open(CHANGES, encoding="utf-8") as f:
            return [""] + f.read().rstrip("\n").splitlines()
    except OSError:
        return []


def human_size(n: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return "%d %s" % (n // size, unit)
    if n >= MIB:
        return "%.1f MiB" % (n / MIB)
    return "%d bytes" % n


# --------------------------------------------------------------------------

def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    info: Dict[str, Any] = {"argv": argv, "load_before": loadavg(),
                            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    info.update(machine())
    started = time.monotonic()

    def log(msg: str) -> None:
        print("  " + msg, file=sys.stderr, flush=True)

    tmp = tempfile.mkdtemp(prefix="portsock-bench-")
    peer = None
    workers: Dict[str, Worker] = {}
    results: Dict[str, Any] = {}
    try:
        exes = build(tmp)
        peer, port = start_peer(exes["peer"])
        print("portsock bench: peer on 127.0.0.1:%d, load average %s" % (port, info["load_before"]), flush=True)
        for v in LIFECYCLE_VARIANTS:
            workers[v] = Worker(v, worker_argv(v, exes), args.timeout)
        # Warm-up: imports, first connections, the allocator; every bulk row once.
        for w in workers.values():
            w.call(cmd="lifecycle", n=min(args.n, 200), port=port)
        if "bulk" in args.sections:
            for _, worker, cmd, *_ in bulk_rows(workers):
                workers[worker].call(cmd=cmd, size=min(args.bulk_size, 4 * MIB), port=port)
        runners = {"lifecycle": run_lifecycle, "bulk": run_bulk, "percall": run_percall,
                   "threads": run_threads, "gil": run_gil}
        for section in SECTIONS:
            if section in args.sections:
                print("== %s" % section, flush=True)
                if section == "syscalls":
                    results[section] = run_syscalls(exes, port, args, tmp, log)
                    if "skipped" in results[section]:
                        print("  note: %s" % results[section]["skipped"], flush=True)
                else:
                    results[section] = runners[section](workers, port, args, log)
    finally:
        for w in workers.values():
            w.close()
        if peer is not None:
            try:
                peer.stdin.close()  # type: ignore[union-attr]
                peer.wait(10)
            except Exception:
                peer.kill()
                peer.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    info["duration"] = time.monotonic() - started
    info["load_after"] = loadavg()
    console, md = render(results, args, info)
    print()
    print(console)
    print("load average before: %s; after: %s; %.0f s" % (info["load_before"], info["load_after"], info["duration"]))
    if not args.no_write:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(md + "\n")
        print("wrote %s" % os.path.relpath(args.output, os.getcwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
