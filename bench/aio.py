"""portsock.aio against asyncio streams: N concurrent lifecycles on one loop.

    python bench/aio.py [--rounds R] [--quick] [--loop asyncio|uvloop] [--pin] [--output FILE] [--no-write]

One lifecycle is connect, send 14 bytes, the graceful disconnect, against the
C peer (bench/peer.c, built with gcc into a temporary directory, which echoes
the request after the client's FIN and closes). Two variants, each in its own
client process on one event loop (asyncio's default unless --loop):

  aio      conn = await portsock.aio.connect(); await conn.sendall(m); await conn.disconnect()
  streams  open_connection(); write(m); write_eof(); read() to EOF; close(); wait_closed()

For N = 1, 100 and 1000 lifecycles in flight at once (N tasks, each doing
its share of the round's lifecycles one after another), a round runs the same
number of lifecycles through each variant; rounds are interleaved (aio, streams,
streams, aio, ...). Each client process measures its own CPU with
getrusage(RUSAGE_SELF) and the round's wall time. Reported: CPU per lifecycle
and lifecycles per second, medians with their min-max over the rounds, and the
target verdict (issue 14: at most 0.8x the CPU per lifecycle of asyncio
streams, and a throughput at least theirs). The table is printed and, unless
--no-write, written to docs/benchmarks-aio.md with the machine, the date and
the command. --quick: tiny rounds, for tests/test_bench_aio_quick.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

# bench/run.py's peer start-up, statistics and table (this script's folder is on sys.path).
from run import Stat, machine, start_peer, table

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks-aio.md")
MESSAGE = b"this is a test"   # 14 bytes, not "B...": the peer echoes it
CONCURRENCY = [1, 100, 1000]
LABELS = {"aio": "portsock.aio", "streams": "asyncio streams"}
CPU_TARGET = 0.8


# --------------------------------------------------------------------------
# The client processes

async def aio_lifecycle(port: int) -> bytes:
    import portsock.aio
    conn = await portsock.aio.connect("127.0.0.1", port)
    await conn.sendall(MESSAGE)
    return await conn.disconnect()


async def streams_lifecycle(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(MESSAGE)
    writer.write_eof()
    reply = await reader.read()   # to EOF: the peer's FIN
    writer.close()
    await writer.wait_closed()
    return reply


async def one_round(variant: str, port: int, n: int, total: int) -> Dict[str, Any]:
    lifecycle = aio_lifecycle if variant == "aio" else streams_lifecycle
    shares = [total // n + (1 if i < total % n else 0) for i in range(n)]
    bad = 0

    async def task(count: int) -> None:
        nonlocal bad
        for _ in range(count):
            if await lifecycle(port) != MESSAGE:
                bad += 1

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(task(c) for c in shares))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    if bad:
        return {"error": "%d of %d replies were wrong" % (bad, total)}
    return {"n": total, "wall": wall, "user": after.ru_utime - before.ru_utime, "sys": after.ru_stime - before.ru_stime}


def worker(variant: str, loop_kind: str) -> None:
    """Answers one JSON line per command on stdin: {"port", "n", "total"} runs a round."""
    if loop_kind == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    if variant == "aio":
        import portsock.aio  # noqa: F401  (imported before the first round is timed)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            break
        try:
            res = loop.run_until_complete(one_round(variant, cmd["port"], cmd["n"], cmd["total"]))
        except Exception as e:   # reported to the parent, which stops
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(res), flush=True)
    loop.close()


# --------------------------------------------------------------------------
# The parent

class Client:
    def __init__(self, variant: str, loop_kind: str, timeout: float) -> None:
        self.variant = variant
        self.timeout = timeout
        # The worker imports the portsock this Python has (installed, or an
        # editable checkout), as bench/run.py's workers do: a clean checkout's
        # src/ has no compiled extension to put first on the path.
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", variant,
                                      "--loop", loop_kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, cwd=ROOT)

    def round(self, port: int, n: int, total: int) -> Dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"port": port, "n": n, "total": total}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            raise RuntimeError("%s: no answer within %.0f s" % (self.variant, self.timeout))
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("%s: exited (status %s)" % (self.variant, self.proc.wait()))
        res: Dict[str, Any] = json.loads(line)
        if res.get("error"):
            raise RuntimeError("%s, N=%d: %s" % (self.variant, n, res["error"]))
        return res

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait()


def build_peer(tmp: str) -> str:
    cc = os.environ.get("CC", "gcc")
    exe = os.path.join(tmp, "peer")
    cmd = [cc, "-O2", "-Wall", "-o", exe, os.path.join(HERE, "peer.c"), "-pthread"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("building the peer failed:\n%s\n%s" % (" ".join(cmd), r.stderr))
    return exe


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=None, help="rounds per N (default 7; --quick 2)")
    p.add_argument("--total", type=int, default=None,
                   help="lifecycles per round and variant, at least N (default 5000; --quick: N, 20 for N=1)")
    p.add_argument("--quick", action="store_true", help="tiny rounds: checks that everything runs")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the clients' event loop")
    p.add_argument("--pin", action="store_true",
                   help="the peer on the first CPU, the clients on the others (Linux; 2 CPUs or more): the "
                        "peer's threads then never preempt a client inside its system calls")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="the Markdown file to write")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds one round may take")
    p.add_argument("--worker", choices=sorted(LABELS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 2 if args.quick else 7
    if args.rounds < 1:
        p.error("--rounds must be positive")
    return args


def lifecycles_per_round(args: argparse.Namespace, n: int) -> int:
    if args.total is not None:
        return max(n, args.total)
    return max(n, 20) if args.quick else max(n, 5000)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse(argv)
    if args.worker:
        worker(args.worker, args.loop)
        return 0
    if sys.platform == "win32":
        sys.exit("the bench's peer is a POSIX program")
    command = "python bench/aio.py" + ("".join(" " + a for a in (argv if argv is not None else sys.argv[1:])))
    tmp = tempfile.mkdtemp(prefix="portsock-bench-aio-")
    peer = None
    clients: Dict[str, Client] = {}
    samples: Dict[Tuple[int, str], List[Dict[str, Any]]] = {}
    try:
        exe = build_peer(tmp)
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if args.pin and len(cpus) >= 2:
            # Started from here, the peer's threads and the clients inherit
            # these CPU sets: the peer on the first CPU, the clients on the rest.
            os.sched_setaffinity(0, cpus[:1])
            peer, port = start_peer(exe)
            os.sched_setaffinity(0, cpus[1:])
        else:
            peer, port = start_peer(exe)
        clients = {v: Client(v, args.loop, args.timeout) for v in LABELS}
        for n in CONCURRENCY:   # one untimed round each, so both processes are warm
            for v in LABELS:
                clients[v].round(port, n, n)
        for r in range(args.rounds):
            for n in CONCURRENCY:
                order = list(LABELS) if (r + CONCURRENCY.index(n)) % 2 == 0 else list(LABELS)[::-1]
                for v in order:
                    res = clients[v].round(port, n, lifecycles_per_round(args, n))
                    samples.setdefault((n, v), []).append(res)
                    print("round %d/%d N=%-4d %-8s %7.1f µs CPU per lifecycle, %7.0f lifecycles/s" % (
                        r + 1, args.rounds, n, v, (res["user"] + res["sys"]) / res["n"] * 1e6,
                        res["n"] / res["wall"]), flush=True)
    finally:
        for c in clients.values():
            c.close()
        if peer is not None:
            try:
                peer.communicate(timeout=10)   # it exits when its stdin closes
            except subprocess.TimeoutExpired:
                peer.kill()
                peer.communicate()
        shutil.rmtree(tmp, ignore_errors=True)

    lines = report(args, samples, command)
    print("\n".join(lines))
    if not args.no_write:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


def report(args: argparse.Namespace, samples: Dict[Tuple[int, str], List[Dict[str, Any]]], command: str) -> List[str]:
    cpu = {k: Stat([(s["user"] + s["sys"]) / s["n"] * 1e6 for s in ss]) for k, ss in samples.items()}
    user = {k: Stat([s["user"] / s["n"] * 1e6 for s in ss]) for k, ss in samples.items()}
    system = {k: Stat([s["sys"] / s["n"] * 1e6 for s in ss]) for k, ss in samples.items()}
    rate = {k: Stat([s["n"] / s["wall"] for s in ss]) for k, ss in samples.items()}
    rows, verdicts = [], []
    for n in CONCURRENCY:
        for v in LABELS:
            rows.append([str(n), LABELS[v], cpu[n, v].fmt(), "%.1f / %.1f" % (user[n, v].median, system[n, v].median),
                         rate[n, v].fmt(0),
                         "%.2f×" % (cpu[n, v].median / cpu[n, "streams"].median),
                         "%.2f×" % (rate[n, v].median / rate[n, "streams"].median)])
        cpu_ratio = cpu[n, "aio"].median / cpu[n, "streams"].median
        rate_ratio = rate[n, "aio"].median / rate[n, "streams"].median
        met = cpu_ratio <= CPU_TARGET and rate_ratio >= 1.0
        verdicts.append((n, cpu_ratio, rate_ratio, met))
    out = ["# Benchmarks: portsock.aio against asyncio streams", "",
           "- command: `%s`" % command,
           "- machine: {nproc} cores ({cpu}), {kernel}, {python}".format(**machine()),
           "- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "- loop: %s; the peer: bench/peer.c (16 threads, started as bench/run.py starts it), on the same "
           "machine, %s" % (args.loop, "pinned to the first CPU and the clients to the others" if args.pin
                            else "sharing the CPUs with the clients (not pinned)"),
           "- rounds: %d per N, interleaved; lifecycles per round and variant: %s" % (
               args.rounds, ", ".join("%d (N=%d)" % (lifecycles_per_round(args, n), n) for n in CONCURRENCY)),
           "",
           "One lifecycle: connect, send 14 bytes, the graceful disconnect (portsock.aio: `connect`, `sendall`, "
           "`disconnect()`; asyncio streams: `open_connection`, `write`, `write_eof`, `read()` to EOF, `close`, "
           "`wait_closed`). N lifecycles in flight at once on one loop. CPU is the client process's "
           "(getrusage: user + system); medians, with the min–max over the rounds in brackets.", ""]
    out += table(["N", "variant", "CPU per lifecycle (µs)", "user / system (µs)", "lifecycles/s", "CPU vs streams",
                  "throughput vs streams"], rows, align="llrrrrr")
    out += ["", "## Target", "",
            "At most %.1f× the CPU per lifecycle of asyncio streams, and a throughput at least theirs:" % CPU_TARGET,
            ""]
    for n, cpu_ratio, rate_ratio, met in verdicts:
        out.append("- N=%d: CPU %.2f×, throughput %.2f× — %s" % (n, cpu_ratio, rate_ratio,
                                                                  "MET" if met else "NOT MET"))
    out.append("- overall: %s" % ("MET" if all(v[3] for v in verdicts) else "NOT MET"))
    return out


if __name__ == "__main__":
    sys.exit(main())
