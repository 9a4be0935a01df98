"""bench/aio.py runs end to end (tiny rounds): it builds the C peer, runs both
variants at N = 1, 100 and 1000 and prints the table and the verdicts. No time
is asserted here."""

from __future__ import annotations

import os
import subprocess
import sys

from test_bench_quick import ROOT, pytestmark  # noqa: F401  (the same skips: a POSIX peer built with gcc)

BENCH = os.path.join(ROOT, "bench", "aio.py")


def test_quick_aio_bench_prints_the_table_and_the_verdicts(tmp_path):
    out_file = tmp_path / "benchmarks-aio.md"
    proc = subprocess.run([sys.executable, BENCH, "--quick", "--output", str(out_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, "bench failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:])
    out = proc.stdout
    for n in ("| 1 ", "| 100 ", "| 1000 "):
        assert out.count(n) == 2, n   # both variants at each N
    assert out.count("portsock.aio") >= 3 and out.count("asyncio streams") >= 3
    for n in (1, 100, 1000):
        assert "- N=%d: CPU " % n in out
    assert "- overall: " in out and ("MET" in out)
    text = out_file.read_text()
    for needle in ("# Benchmarks: portsock.aio against asyncio streams", "- command: `python bench/aio.py --quick",
                   "- machine:", "- date:", "## Target"):
        assert needle in text, needle


def test_no_write_leaves_the_file_alone(tmp_path):
    out_file = tmp_path / "benchmarks-aio.md"
    proc = subprocess.run([sys.executable, BENCH, "--quick", "--rounds", "1", "--no-write", "--output", str(out_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not out_file.exists()
