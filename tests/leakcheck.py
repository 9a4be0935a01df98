"""Descriptor and memory readings for the reliability tests (Linux /proc)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from typing import Dict

# A Windows Python under Wine sees the host's /proc through the Z: drive, and it describes the
# Unix process Wine runs, not this Windows process's handles: it counts only on Linux itself.
HAVE_PROC = sys.platform != "win32" and os.path.isdir("/proc/self/fd")


def fd_count() -> int:
    """How many descriptors this process has open (the listing's own included,
    the same in every reading)."""
    return len(os.listdir("/proc/self/fd"))


def fd_kinds() -> Dict[str, int]:
    """Open descriptors by kind: socket, eventfd (which the core must not
    make), other."""
    kinds = {"socket": 0, "eventfd": 0, "other": 0}
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue   # the listing's own descriptor, closed already
        if target.startswith("socket:"):
            kinds["socket"] += 1
        elif "eventfd" in target:
            kinds["eventfd"] += 1
        else:
            kinds["other"] += 1
    return kinds


def rss_bytes() -> int:
    """The resident set size now."""
    with open("/proc/self/statm") as f:
        resident = int(f.read().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE")


_libc = None


def settle() -> None:
    """Collects garbage and hands free heap pages back to the kernel (glibc's
    malloc_trim), so that RSS shows live memory rather than the allocator's
    caches."""
    global _libc
    gc.collect()
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name) if name else False
    if _libc and hasattr(_libc, "malloc_trim"):
        _libc.malloc_trim(0)
