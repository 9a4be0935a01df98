"""Shared by the child scripts of test_signals, test_fork and test_descriptors
(signal_child.py, fork_child.py, descriptor_child.py): one JSON line of what
the child saw, a watchdog that turns a hung call into a failure with a
report, loopback mirror sockets, and descriptor counts (Linux /proc).

A child prints exactly one JSON line on stdout and exits 0 when its scenario
ran to the end (right or wrong: the parent judges the values), or prints a
JSON line with "hung" and exits 3 when the watchdog fired.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Dict, Optional, Tuple

from leakcheck import fd_kinds

from portsock import winsock as ws

EXIT_HUNG = 3


def emit(result: Dict[str, Any]) -> None:
    """The child's one JSON line; os.write, so that a watchdog thread can
    print while the main thread is blocked in a call."""
    os.write(1, (json.dumps(result, default=repr) + "\n").encode())


class Watchdog:
    """Ends the process (exit status 3) with a JSON line naming the phase that
    overran. arm() before a phase that may hang, disarm() after it."""

    def __init__(self, report: Optional[Dict[str, Any]] = None) -> None:
        self.report: Dict[str, Any] = report if report is not None else {}
        self._deadline: Optional[float] = None
        self._label = ""
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="watchdog", daemon=True).start()

    def arm(self, seconds: float, label: str) -> None:
        with self._lock:
            self._deadline = time.monotonic() + seconds
            self._label = label

    def disarm(self) -> None:
        with self._lock:
            self._deadline = None

    def _run(self) -> None:
        while True:
            time.sleep(0.02)
            with self._lock:
                fired = self._deadline is not None and time.monotonic() > self._deadline
                label = self._label
            if fired:
                emit(dict(self.report, hung=label))
                os._exit(EXIT_HUNG)


def fd_count() -> Optional[int]:
    """How many descriptors this process has open (the listing's own
    included, the same in every reading); None when none is left to list them."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def core_fds() -> Dict[str, int]:
    """This process's sockets and eventfds (which the core no longer makes)."""
    kinds = fd_kinds()
    return {"socket": kinds["socket"], "eventfd": kinds["eventfd"]}


def describe(error: BaseException) -> Dict[str, Any]:
    """An exception as JSON: its type, every builtin it is, and its Winsock code."""
    return {"type": type(error).__name__,
            "is": sorted({c.__name__ for c in type(error).__mro__ if c.__module__ == "builtins"}),
            "winerror": getattr(error, "winerror", None),
            "text": str(error)[:200]}


# -- mirror sockets on loopback ------------------------------------------------

def startup() -> None:
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0


def tcp() -> int:
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()
    return s


def udp() -> int:
    s = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
    assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()
    return s


def listener(backlog: int = 16) -> Tuple[int, ws.sockaddr_in]:
    s = tcp()
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(s, addr, 16) == 0, ws.WSAGetLastError()
    assert ws.listen(s, backlog) == 0, ws.WSAGetLastError()
    bound = ws.sockaddr_in()
    assert ws.getsockname(s, bound, ws.c_int(16)) == 0
    return s, bound


def port_of(bound: ws.sockaddr_in) -> int:
    return ws.ntohs(bound.sin_port)


def pair() -> Tuple[int, int]:
    """(client, server) mirror ends of a loopback connection."""
    lst, bound = listener()
    c = tcp()
    assert ws.connect(c, bound, 16) == 0, ws.WSAGetLastError()
    s = ws.accept(lst, None, None)
    assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()
    assert ws.closesocket(lst) == 0
    return c, s


def set_rcvtimeo(s: int, ms: int) -> None:
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0, ws.WSAGetLastError()


def fill_send_buffer(s: int, peer: int) -> None:
    """Sends without blocking until the kernel buffers are full, so that the
    next blocking send on s waits (as conftest.fill_send_buffer)."""
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDBUF, 4096, 4) == 0
    assert ws.setsockopt(peer, ws.SOL_SOCKET, ws.SO_RCVBUF, 4096, 4) == 0
    assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
    chunk = bytes(65536)
    for _ in range(10000):
        if ws.send(s, chunk, len(chunk), 0) == ws.SOCKET_ERROR:
            assert ws.WSAGetLastError() == ws.WSAEWOULDBLOCK
            break
    else:
        raise AssertionError("the send buffer never filled")
    assert ws.ioctlsocket(s, ws.FIONBIO, 0) == 0


def backlog_full_listener() -> Tuple[int, ws.sockaddr_in, int]:
    """A listener whose accept queue is full (backlog 0, one connection
    waiting): a further connect blocks, its SYNs dropped (as in test_faults)."""
    lst, bound = listener(backlog=0)
    filler = tcp()
    assert ws.connect(filler, bound, 16) == 0, ws.WSAGetLastError()
    return lst, bound, filler
