"""portsock benchmarks: the Winsock client lifecycle from Python, side by side.

    python bench/run.py [--n N] [--rounds R] [--bulk-size SIZE] [--quick] [--no-write]

Compares, in one run, with rounds interleaved (A B C D A B C D ...):

  connection  portsock.connect() -> Connection.sendall() -> Connection.disconnect()
  mirror      portsock.winsock, line by line as the Winsock sample client
  stdlib      socket.create_connection, sendall, shutdown(SHUT_WR), recv_into loop, close
  c           plain C on POSIX sockets (bench/client.c), the same lifecycle

Sections: lifecycle (connect, send 14 bytes, shutdown(SD_SEND), drain to the peer's
FIN, close: client CPU per lifecycle and lifecycles/s), bulk (the peer sends
SIZE bytes after the client's FIN: CPU per GiB and throughput), percall (the
mirror's error returns against the stdlib's raising calls, ns per call),
threads (1, 2, 4, 8 threads of lifecycles in one process) and gil (a thread
blocked in Connection.recv does not stop the others).

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
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks.md")
GIB = 1 << 30
MIB = 1 << 20

LIFECYCLE_VARIANTS = ["connection", "mirror", "stdlib", "c"]
LABELS = {
    "connection": "portsock Connection",
    "mirror": "portsock.winsock (mirror)",
    "stdlib": "stdlib socket",
    "c": "plain C (POSIX)",
    "stdlib-keep": "stdlib socket, keeping the reply (info)",
    "connection-discard": "portsock Connection, disconnect(discard=True)",
}
SECTIONS = ["lifecycle", "bulk", "percall", "threads", "gil"]
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
                   help="bytes the peer sends in the bulk section (default 1GiB; --quick 4MiB)")
    p.add_argument("--calls", type=int, default=None,
                   help="calls per per-call measurement (default 200000; --quick 5000)")
    p.add_argument("--threads-n", type=int, default=None,
                   help="lifecycles per threads measurement (default 4000; --quick 80)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the bench runs, measures little")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help="comma-separated subset of: %s" % ", ".join(SECTIONS))
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="the Markdown file to write")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds one measurement may take before the bench gives up (default 900)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {"n": (5000, 100), "rounds": (7, 2), "bulk_size": (GIB, 4 * MIB),
                "calls": (200000, 5000), "threads_n": (4000, 80), "timeout": (900.0, 60.0)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    for s in args.sections:
        if s not in SECTIONS:
            p.error("unknown section %r" % s)
    if args.n < 1 or args.rounds < 1 or args.calls < 1 or args.threads_n < max(THREAD_COUNTS):
        p.error("--n, --rounds and --calls must be positive, --threads-n at least %d" % max(THREAD_COUNTS))
    return args


# --------------------------------------------------------------------------
# Processes

def build(tmp: str) -> Dict[str, str]:
    cc = os.environ.get("CC", "gcc")
    out = {}
    for name, extra in (("peer", ["-pthread"]), ("client", [])):
        exe = os.path.join(tmp, name)
        cmd = [cc, "-O2", "-Wall", "-o", exe, os.path.join(HERE, name + ".c")] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("building %s failed:\n%s\n%s" % (name, " ".join(cmd), r.stderr))
        out[name] = exe
    return out


class Worker:
    """A client process answering one JSON (or, for C, text) line per command."""

    def __init__(self, name: str, argv: List[str], timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, cwd=ROOT)

    def _send(self, cmd: Dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        if self.name == "c":
            if cmd["cmd"] == "lifecycle":
                line = "lifecycle %d %d" % (cmd["n"], cmd["port"])
            elif cmd["cmd"] == "bulk":
                line = "bulk %d %d" % (cmd["size"], cmd["port"])
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
                self._send({"cmd": "quit"}) if self.name != "c" else self.proc.stdin.write("quit\n")  # type: ignore
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


def bulk_order(workers: Dict[str, Worker]) -> List[str]:
    """The bulk rows: the four variants, the stdlib keeping the reply, and
    Connection.disconnect(discard=True) where this portsock has it."""
    order = LIFECYCLE_VARIANTS + ["stdlib-keep"]
    if workers["connection"].call(cmd="caps").get("discard"):
        order.insert(1, "connection-discard")
    return order


def run_bulk(workers: Dict[str, Worker], port: int, args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    order = bulk_order(workers)
    samples: Dict[str, List[Dict[str, Any]]] = {v: [] for v in order}
    gib = args.bulk_size / GIB
    for r in range(args.rounds):
        for v in order:
            if v == "stdlib-keep":
                res = workers["stdlib"].call(cmd="bulkkeep", size=args.bulk_size, port=port)
            elif v == "connection-discard":
                res = workers["connection"].call(cmd="bulkdiscard", size=args.bulk_size, port=port)
            else:
                res = workers[v].call(cmd="bulk", size=args.bulk_size, port=port)
            samples[v].append(res)
            log("bulk round %d/%d %-11s %6.3f s CPU/GiB, %6.2f GiB/s" % (
                r + 1, args.rounds, v, (res["user"] + res["sys"]) / gib, gib / res["wall"]))
    out = {}
    for v, ss in samples.items():
        out[v] = {
            "cpu_s": Stat([(s["user"] + s["sys"]) / gib for s in ss]),
            "user_s": Stat([s["user"] / gib for s in ss]),
            "sys_s": Stat([s["sys"] / gib for s in ss]),
            "gibps": Stat([gib / s["wall"] for s in ss]),
        }
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


def targets(res: Dict[str, Any]) -> List[Tuple[str, str, float, str, bool]]:
    """(target, measured as, ratio, limit text, met) for every target whose data is in res."""
    out = []
    if "lifecycle" in res:
        lc = res["lifecycle"]
        cpu = {v: lc[v]["cpu_us"].median for v in lc}
        out.append(("Connection lifecycle CPU ≤ 0.9× stdlib", "CPU per lifecycle, medians",
                    ratio(cpu["connection"], cpu["stdlib"]), "≤ 0.90", ratio(cpu["connection"], cpu["stdlib"]) <= 0.9))
        out.append(("Connection lifecycle CPU ≤ 1.3× plain C", "CPU per lifecycle, medians",
                    ratio(cpu["connection"], cpu["c"]), "≤ 1.30", ratio(cpu["connection"], cpu["c"]) <= 1.3))
        out.append(("mirror lifecycle CPU ≤ 1.0× stdlib", "CPU per lifecycle, medians",
                    ratio(cpu["mirror"], cpu["stdlib"]), "≤ 1.00", ratio(cpu["mirror"], cpu["stdlib"]) <= 1.0))
    if "bulk" in res:
        b = res["bulk"]
        # The stdlib and C rows drain into one reused buffer and keep nothing:
        # the like-for-like Connection row is disconnect(discard=True), where
        # this portsock has it (see BULK_TARGET_ROW).
        row, what = bulk_target_row(b)
        r1 = ratio(b[row]["cpu_s"].median, b["stdlib"]["cpu_s"].median)
        r2 = ratio(b[row]["gibps"].median, b["c"]["gibps"].median)
        out.append(("bulk: %s CPU per GiB ≤ 1.0× stdlib" % what, "CPU per GiB, medians",
                    r1, "≤ 1.00", r1 <= 1.0))
        out.append(("bulk: %s throughput ≥ 0.95× plain C" % what, "GiB/s, medians",
                    r2, "≥ 0.95", r2 >= 0.95))
    if "percall" in res:
        pc = res["percall"]
        for kind, title, _, _ in PERCALL_KINDS:
            r = ratio(pc[(kind, True, "mirror")]["cpu_ns"].median, pc[(kind, True, "stdlib")]["cpu_ns"].median)
            out.append(("mirror error return ≤ 0.6× stdlib raising call: %s" % title,
                        "ns per call incl. reading the code, medians", r, "≤ 0.60", r <= 0.6))
    return out


def bulk_target_row(b: Dict[str, Any]) -> Tuple[str, str]:
    """The bulk row the targets are evaluated on, and its name."""
    if "connection-discard" in b:
        return "connection-discard", "Connection.disconnect(discard=True)"
    return "connection", "Connection.disconnect()"


BULK_TARGET_ROW = (
    "The bulk targets are evaluated on the `disconnect(discard=True)` row: like the stdlib's `recv_into` "
    "loop and C's `recv` loop it compares with, it receives the whole reply and keeps none of it (the core "
    "drains into one reused buffer). `disconnect()` without `discard` returns the reply as one `bytes` "
    "object, so it must materialise the whole %s in memory: that costs page faults and copies whatever the "
    "library (the stdlib does the same work in the \"keeping the reply\" row), and it is compared with "
    "that row instead, for information: %s.")


def render(res: Dict[str, Any], args: argparse.Namespace, info: Dict[str, Any]) -> Tuple[str, str]:
    """(the console table, the Markdown document)."""
    body: List[str] = []

    if "lifecycle" in res:
        lc = res["lifecycle"]
        body += ["## Lifecycle", "",
                 "getaddrinfo(\"127.0.0.1\") → socket → connect → send 14 bytes → shutdown(SD_SEND) → receive "
                 "until the peer's FIN (the peer echoes the 14 bytes) → close; %d lifecycles per variant per "
                 "round, %d rounds. CPU is the client process's user + system time (getrusage) per lifecycle."
                 % (args.n, args.rounds), ""]
        rows = []
        for v in LIFECYCLE_VARIANTS:
            d = lc[v]
            rows.append([LABELS[v], d["cpu_us"].fmt(1), d["user_us"].fmt(1), d["sys_us"].fmt(1),
                         d["rate"].fmt(0), "%.2f×" % ratio(d["cpu_us"].median, lc["stdlib"]["cpu_us"].median),
                         "%.2f×" % ratio(d["cpu_us"].median, lc["c"]["cpu_us"].median)])
        body += table(["variant", "CPU µs / lifecycle", "user µs", "system µs", "lifecycles / s",
                       "CPU vs stdlib", "CPU vs C"], rows) + [""]

    if "bulk" in res:
        b = res["bulk"]
        body += ["## Bulk", "",
                 "One lifecycle in which the peer sends %s after the client's FIN; %d rounds. Connection: "
                 "`disconnect()` (returns the whole reply as bytes); mirror: `recv` loop into one 64 KiB "
                 "bytearray; stdlib: `recv_into` loop into one 64 KiB bytearray; C: `recv` loop into one 64 KiB "
                 "buffer. The last row (information, no target) is the stdlib keeping the reply as "
                 "`disconnect()` does: `recv(65536)` chunks joined into bytes. Where the Connection has "
                 "`disconnect(discard=True)` (drain without keeping), it has its own row."
                 % (human_size(args.bulk_size), args.rounds), ""]
        rows = []
        for v in [v for v in LIFECYCLE_VARIANTS[:1] + ["connection-discard"] + LIFECYCLE_VARIANTS[1:] + ["stdlib-keep"]
                  if v in b]:
            d = b[v]
            rows.append([LABELS[v], d["cpu_s"].fmt(3), d["user_s"].fmt(3), d["sys_s"].fmt(3), d["gibps"].fmt(2),
                         "%.2f×" % ratio(d["cpu_s"].median, b["stdlib"]["cpu_s"].median),
                         "%.2f×" % ratio(d["gibps"].median, b["c"]["gibps"].median)])
        body += table(["variant", "CPU s / GiB", "user s / GiB", "system s / GiB", "GiB / s",
                       "CPU vs stdlib", "throughput vs C"], rows) + [""]
        if bulk_target_row(b)[0] == "connection-discard":
            keep = "CPU per GiB %.2f× the stdlib keeping the reply, throughput %.2f× it" % (
                ratio(b["connection"]["cpu_s"].median, b["stdlib-keep"]["cpu_s"].median),
                ratio(b["connection"]["gibps"].median, b["stdlib-keep"]["gibps"].median))
            body += [BULK_TARGET_ROW % (human_size(args.bulk_size), keep), ""]

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

    tg = targets(res)
    tgt: List[str] = []
    if tg:
        tgt += ["## Targets", "", "Ratios of the medians in the tables below, all from this one run.", ""]
        tgt += table(["target", "measured", "ratio", "limit", "result"],
                     [[t, m, "%.2f" % r, lim, "MET" if ok else "NOT MET"] for t, m, r, lim, ok in tg],
                     align="llrll") + [""]

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
            "- settings: %d lifecycles per variant per round, %d rounds, bulk %s, %d calls per per-call "
            "measurement, %d lifecycles per threads measurement" % (
                args.n, args.rounds, human_size(args.bulk_size), args.calls, args.threads_n),
            "",
            "How it measures: each variant is its own client process (`bench/worker.py` for the three Python "
            "variants, `bench/client.c` for plain C), commanded one measurement at a time, so rounds are "
            "interleaved (A B C D A B C D ...) and each process's `getrusage(RUSAGE_SELF)` delta is that "
            "variant's CPU alone. The peer (`bench/peer.c`) is a multi-threaded C server on 127.0.0.1 in "
            "another process: it reads the request until the client's FIN, then echoes it (or, for a "
            "request `B<size>`, sends that many bytes) and closes. Figures are medians with the (min–max) "
            "over the rounds. The C programs are built with `gcc -O2` into a temporary directory.", "",
            "The variants:", "",
            "- **portsock Connection**: `conn = portsock.connect(\"127.0.0.1\", port)`, "
            "`conn.sendall(msg)`, `conn.disconnect()` (shutdown, drain, close in one native call).",
            "- **portsock.winsock (mirror)**: the Winsock sample client line by line — `getaddrinfo`, "
            "`socket`, `connect`, `freeaddrinfo`, `send`, `shutdown(SD_SEND)`, `recv` into a 512-byte "
            "`bytearray` until 0, `closesocket` (one `WSAStartup` for the process).",
            "- **stdlib socket**: `socket.create_connection`, `sendall`, `shutdown(SHUT_WR)`, `recv_into` a "
            "512-byte `bytearray` until 0, `close`.",
            "- **plain C (POSIX)**: the same as the mirror, in C on the OS's sockets.", ""]
    md = "\n".join(head + tgt + body + NOTES + changes_section())
    return console, md


NOTES = """## Reading the figures

- CPU is user + system time of the client process alone (`getrusage(RUSAGE_SELF)` deltas around the
  measured loop, in the variant's own process). Linux splits it into user and system by sampling at timer
  ticks, so those two columns are estimates; their sum, which every ratio uses, is not.
- The machine may be shared: the load averages before and after the run are given above. Ratios compare
  variants measured in the same interleaved rounds, so a busy spell affects all of them; it widens the
  spreads.
- Bulk: `Connection.disconnect()` returns the whole reply as one `bytes` object; the mirror, stdlib and C
  rows drain into one reused buffer and keep nothing, as `disconnect(discard=True)` does (its row is the
  one the bulk targets use). Keeping a reply of that size costs the page faults of the result and of a
  temporary copy, whatever the library: the information row (the stdlib keeping the reply) shows the
  same work done with the `socket` module.
- Per call: the stdlib makes a syscall on every call (send after `SHUT_WR` fails with EPIPE, recv with
  EAGAIN), then raises. The mirror's send after `shutdown(SD_SEND)` is answered from the core's socket
  state (WSAESHUTDOWN) without a syscall; its recv makes the syscall, as Winsock must.
- Threads: the core releases the GIL in every native call (cffi does), so threads overlap their waits;
  on a 2-core machine shared with the peer, throughput stops growing at about 2-4 threads.
""".splitlines()


CHANGES = os.path.join(HERE, "what-each-change-bought.md")


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
        worker_py = os.path.join(HERE, "worker.py")
        for v in ("connection", "mirror", "stdlib"):
            workers[v] = Worker(v, [sys.executable, worker_py, v], args.timeout)
        workers["c"] = Worker("c", [exes["client"]], args.timeout)
        # Warm-up: imports, first connections, the allocator.
        for w in workers.values():
            w.call(cmd="lifecycle", n=min(args.n, 200), port=port)
            w.call(cmd="bulk", size=min(args.bulk_size, 4 * MIB), port=port)
        runners = {"lifecycle": run_lifecycle, "bulk": run_bulk, "percall": run_percall,
                   "threads": run_threads, "gil": run_gil}
        for section in SECTIONS:
            if section in args.sections:
                print("== %s" % section, flush=True)
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
