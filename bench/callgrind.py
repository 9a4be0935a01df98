"""Instructions and syscalls per operation, counted rather than timed.

    python bench/callgrind.py [--src DIR[=LABEL] ...] [--variants connection,mirror,stdlib,c]
                              [--percall] [--n1 100 --n2 300] [--no-syscalls]
    python bench/callgrind.py --variants shim-untraced,shim,shim-traced,stdlib,c --no-syscalls
                              (the cost of the trace: csrc/trace.c)

For each portsock source tree (--src: a directory holding the `portsock`
package, built in place; default: this checkout's src/) and each variant of
bench/worker.py (and the plain C client), runs the lifecycle of bench/run.py
under valgrind's callgrind twice, with n1 and n2 lifecycles after the same
warm-up, and reports (Ir(n2) - Ir(n1)) / (n2 - n1): the instructions one
lifecycle costs, start-up and warm-up cancelled out. The same difference under
`strace -f -c` gives the syscalls per lifecycle, by name. --percall does the
same for the per-call error loops (send after shutdown(SD_SEND), recv on a
non-blocking socket with nothing to read, each followed by WSAGetLastError()),
per call.

The shim variants are bench/client_winsock.c (the Winsock sample's lifecycle,
WSAStartup ... WSACleanup each time) built through the shim against the core:
shim-untraced with the trace compiled out (-DPS_TRACE_COMPILED_OUT: the core
as it was before the trace), shim as shipped (the trace compiled in, off),
shim-traced with it on (PORTSOCK_TRACE=/dev/null: every line formatted and
written).

Instruction counts do not vary with the machine's load as CPU times do, so
they measure what a change to the code bought; bench/run.py measures what
that is worth in time. Needs valgrind, strace and gcc; Linux only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The child: one variant of bench/worker.py, `n` operations after a warm-up.
CHILD = r"""
import sys
sys.path.insert(0, %(bench)r)
import worker
what, variant, n, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
v = worker.VARIANTS[variant]()
if what == "lifecycle":
    for _ in range(50):
        v.lifecycle(port)
    for _ in range(n):
        v.lifecycle(port)
else:
    v.percall(what, 1000, port, True)
    v.percall(what, n, port, True)
"""


def run(cmd: List[str], env: Dict[str, str], stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    return r


# The shim client's builds: variant -> (executable, extra compiler flags, environment).
SHIM_VARIANTS = {
    "shim-untraced": ("client_shim_untraced", ["-DPS_TRACE_COMPILED_OUT"], {}),
    "shim": ("client_shim", [], {}),
    "shim-traced": ("client_shim", [], {"PORTSOCK_TRACE": "/dev/null"}),
}


def child_cmd(what: str, variant: str, n: int, port: int, tmp: str,
              exes: Dict[str, str]) -> Tuple[List[str], Optional[str]]:
    if variant == "c" or variant in SHIM_VARIANTS:
        exe = exes["client"] if variant == "c" else exes[SHIM_VARIANTS[variant][0]]
        return [exe], "lifecycle 50 %d\nlifecycle %d %d\nquit\n" % (port, n, port)
    path = os.path.join(tmp, "child.py")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(CHILD % {"bench": HERE})
    return [sys.executable, path, what, variant, str(n), str(port)], None


def instructions(what: str, variant: str, n: int, port: int, src: str, tmp: str, exes: Dict[str, str]) -> int:
    cmd, stdin = child_cmd(what, variant, n, port, tmp, exes)
    env = dict(os.environ, PYTHONPATH=src, **SHIM_VARIANTS.get(variant, ("", [], {}))[2])
    r = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd, env, stdin)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if not m:
        sys.exit("no callgrind total in:\n%s" % r.stderr[-2000:])
    return int(m.group(1))


def syscalls(what: str, variant: str, n: int, port: int, src: str, tmp: str, exes: Dict[str, str]) -> Dict[str, int]:
    cmd, stdin = child_cmd(what, variant, n, port, tmp, exes)
    env = dict(os.environ, PYTHONPATH=src, **SHIM_VARIANTS.get(variant, ("", [], {}))[2])
    out = os.path.join(tmp, "strace.txt")
    run(["strace", "-f", "-c", "-o", out] + cmd, env, stdin)
    counts: Dict[str, int] = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            # % time, seconds, usecs/call, calls, [errors,] syscall
            if len(parts) >= 5 and re.fullmatch(r"[\d.]+", parts[0]) and parts[-1] != "total":
                counts[parts[-1]] = int(parts[3])
    return counts


def start_peer(tmp: str) -> Tuple[subprocess.Popen, int, Dict[str, str]]:
    cc = os.environ.get("CC", "gcc")
    exes = {}
    for name, extra in (("peer", ["-pthread"]), ("client", [])):
        exes[name] = os.path.join(tmp, name)
        subprocess.run([cc, "-O2", "-o", exes[name], os.path.join(HERE, name + ".c")] + extra, check=True)
    csrc = os.path.join(ROOT, "csrc")
    with open(os.path.join(csrc, "SOURCES")) as f:
        core = [os.path.join(csrc, name) for line in f if line.startswith("posix:")
                for name in line.partition(":")[2].split()]
    for exe, flags, _ in SHIM_VARIANTS.values():
        if exe not in exes:
            exes[exe] = os.path.join(tmp, exe)
            subprocess.run([cc, "-O2", "-std=c11", *flags, "-I", os.path.join(csrc, "include", "portsock"),
                            "-I", csrc, "-o", exes[exe], os.path.join(HERE, "client_winsock.c"), *core,
                            "-pthread"], check=True)
    peer = subprocess.Popen([exes["peer"], "16"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert peer.stdout is not None
    m = re.match(r"PORT (\d+)", peer.stdout.readline())
    if not m:
        peer.kill()
        sys.exit("the peer did not start")
    return peer, int(m.group(1)), exes


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python bench/callgrind.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--src", action="append", default=None,
                   help="DIR[=LABEL]: a directory holding the portsock package (default: this checkout's src)")
    p.add_argument("--variants", default="connection,mirror,stdlib,c")
    p.add_argument("--percall", action="store_true", help="also the per-call error loops (mirror and stdlib)")
    p.add_argument("--n1", type=int, default=100)
    p.add_argument("--n2", type=int, default=300)
    p.add_argument("--calls1", type=int, default=10000)
    p.add_argument("--calls2", type=int, default=30000)
    p.add_argument("--no-syscalls", action="store_true")
    args = p.parse_args(argv)
    for tool in ("valgrind",) + (() if args.no_syscalls else ("strace",)):
        if shutil.which(tool) is None:
            sys.exit("%s is needed" % tool)
    srcs = []
    for item in args.src or [os.path.join(ROOT, "src")]:
        path, _, label = item.partition("=")
        srcs.append((os.path.abspath(path), label or os.path.basename(os.path.dirname(os.path.abspath(path)))))
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]

    tmp = tempfile.mkdtemp(prefix="portsock-callgrind-")
    peer, port, exes = start_peer(tmp)
    try:
        print("| tree | variant | instructions / lifecycle | syscalls / lifecycle | syscalls by name |")
        print("|:--|:--|--:|--:|:--|")
        for src, label in srcs:
            for v in variants:
                if (v == "c" or v in SHIM_VARIANTS) and src != srcs[0][0]:
                    continue   # no Python in it: once is enough
                a = instructions("lifecycle", v, args.n1, port, src, tmp, exes)
                b = instructions("lifecycle", v, args.n2, port, src, tmp, exes)
                ir = (b - a) / (args.n2 - args.n1)
                sc = names = ""
                if not args.no_syscalls:
                    ca = syscalls("lifecycle", v, args.n1, port, src, tmp, exes)
                    cb = syscalls("lifecycle", v, args.n2, port, src, tmp, exes)
                    per = {k: (cb.get(k, 0) - ca.get(k, 0)) / (args.n2 - args.n1) for k in set(ca) | set(cb)}
                    per = {k: x for k, x in per.items() if x >= 0.05}
                    sc = "%.1f" % sum(per.values())
                    names = ", ".join("%s %.1f" % (k, x) for k, x in sorted(per.items(), key=lambda kv: -kv[1]))
                tree = "c" if v == "c" else "c + core" if v in SHIM_VARIANTS else label
                print("| %s | %s | %.0f | %s | %s |" % (tree, v, ir, sc, names), flush=True)
        if args.percall:
            print()
            print("| tree | call | variant | instructions / call |")
            print("|:--|:--|:--|--:|")
            for src, label in srcs:
                for kind in ("send_shutdown", "recv_wouldblock"):
                    for v in ("mirror", "stdlib"):
                        a = instructions(kind, v, args.calls1, port, src, tmp, exes)
                        b = instructions(kind, v, args.calls2, port, src, tmp, exes)
                        print("| %s | %s | %s | %.0f |" % (label, kind, v, (b - a) / (args.calls2 - args.calls1)),
                              flush=True)
    finally:
        assert peer.stdin is not None
        peer.stdin.close()
        try:
            peer.wait(10)
        except subprocess.TimeoutExpired:
            peer.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
