"""The benchmark runs end to end (tiny sizes): it builds its C peer and clients
(the plain C one and the Winsock one through the shim), measures every section
and prints every table. No time is asserted here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "bench", "run.py")

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="the bench's peer and C client are POSIX programs"),
    pytest.mark.skipif(shutil.which(os.environ.get("CC", "gcc")) is None, reason="the bench builds with gcc"),
]


def test_quick_bench_completes_and_prints_every_section(tmp_path):
    out_file = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, RUN, "--quick", "--no-write", "--output", str(out_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, "bench failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:])
    out = proc.stdout
    for heading in ("## Targets", "## Lifecycle", "## Syscalls", "## Bulk", "## Per-call cost of an error",
                    "## Threads", "## GIL"):
        assert heading in out, "missing %r in:\n%s" % (heading, out)
    for variant in ("portsock Connection", "portsock.winsock (mirror)", "stdlib socket", "plain C (POSIX)",
                    "Winsock C via the shim (core)"):
        assert out.count(variant) >= 2, "variant %r missing from a table" % variant   # lifecycle and bulk
    assert "Connection, recv_into loop" in out and "recv(65536) chunks" in out
    assert "send after shutdown(SD_SEND): mirror" in out
    assert "recv on a non-blocking socket, nothing to read: stdlib" in out
    for threads in ("| 1 ", "| 2 ", "| 4 ", "| 8 "):
        assert threads in out
    # Every target is reported with its verdict: three lifecycle, two bulk, and
    # two syscall targets unless strace is missing (the section then says so).
    verdicts = out.count("| MET ") + out.count("| NOT MET ")
    assert verdicts == (5 if "syscalls not counted" in out else 7), out
    # --no-write leaves the Markdown file alone.
    assert not out_file.exists()


def test_bench_writes_markdown_when_asked(tmp_path):
    out_file = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, RUN, "--quick", "--sections", "lifecycle,percall", "--rounds", "1", "--n", "20",
         "--calls", "200", "--output", str(out_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out_file.read_text()
    for needle in ("# Benchmarks", "- command: `python bench/run.py --quick", "- machine:", "- date:",
                   "## Targets", "## Lifecycle", "## Per-call cost of an error"):
        assert needle in text, needle
