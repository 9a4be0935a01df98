"""Regression tests for the core bugs the reliability work (issue 6) found and
fixed in csrc/posix.c and csrc/addr.c. Each names what was wrong; the races
have their own tests in tests/test_faults.py (through tests/fault_child.py)
and in tests/native/stress_core.c (run under ASan and TSan by
tools/native_checks.sh).
"""

from __future__ import annotations

import threading
import time
from typing import Iterator, Tuple

import pytest

from portsock import winsock as ws
from portsock._core import ffi, lib

from conftest import connected_pair


@pytest.fixture
def pair() -> Iterator[Tuple[int, int]]:
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    c, s = connected_pair()
    yield c, s
    ws.closesocket(c)
    ws.closesocket(s)
    assert ws.WSACleanup() == 0


@pytest.mark.parametrize("level", [12345, -1, 0x7FFFFFFF])
def test_unknown_option_level_is_wsaeinval(pair: Tuple[int, int], level: int) -> None:
    """An unknown level was WSAENOPROTOOPT (setsockopt) and WSAEOPNOTSUPP
    (getsockopt), the kernel's answers; Winsock says WSAEINVAL for both
    (checked against Wine 8.0's ws2_32)."""
    c, _ = pair
    assert ws.setsockopt(c, level, 1, 1, 4) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAEINVAL
    assert ws.getsockopt(c, level, 1, ws.DWORD(), ws.c_int(4)) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAEINVAL
    # A known level with an unknown option is still WSAENOPROTOOPT.
    assert ws.setsockopt(c, ws.SOL_SOCKET, 12345, 1, 4) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAENOPROTOOPT


def test_send_null_zero_length(pair: Tuple[int, int]) -> None:
    """send(s, NULL, 0, 0) computed NULL + 0 (undefined behaviour in C, which
    UBSan stops on); it returns 0."""
    c, _ = pair
    assert lib.ps_send(c, ffi.NULL, 0, 0) == 0
    assert lib.ps_last_error() == 0


def test_inet_ntop_with_a_size_beyond_socklen_t() -> None:
    """A size of 2**32 was passed to inet_ntop as a socklen_t of 0: "too
    small" for a buffer that was big enough."""
    src = ffi.new("unsigned char[16]", b"\x7f\x00\x00\x01")
    dst = ffi.new("char[64]")
    assert lib.ps_inet_ntop(ws.AF_INET, src, dst, (1 << 32)) != ffi.NULL
    assert ffi.string(dst) == b"127.0.0.1"


def test_drain_deadline_outlasts_the_sockets_rcvtimeo(pair: Tuple[int, int]) -> None:
    """ps_drain/ps_disconnect with a deadline took whichever ended first, the
    deadline or SO_RCVTIMEO; the Windows backend waits in select, where
    SO_RCVTIMEO plays no part. The deadline now rules alone."""
    c, s = pair
    assert ws.setsockopt(c, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(100), 4) == 0

    def late_reply() -> None:
        time.sleep(0.5)
        ws.send(s, b"late", 4, 0)
        ws.shutdown(s, ws.SD_SEND)

    t = threading.Thread(target=late_reply, daemon=True)
    t.start()
    buf = ffi.new("char[64]")
    got = ffi.new("size_t *")
    t0 = time.monotonic()
    assert lib.ps_drain(c, buf, 64, got, 5000) == 0, lib.ps_last_error()
    assert ffi.buffer(buf, got[0])[:] == b"late"
    assert 0.4 <= time.monotonic() - t0 < 3.0
    t.join()
    # Without a deadline, the socket's own timeout still applies.
    assert ws.recv(c, bytearray(4), 4, 0) == 0   # the FIN, again
    c2, s2 = connected_pair()
    try:
        assert ws.setsockopt(c2, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(100), 4) == 0
        t0 = time.monotonic()
        assert lib.ps_drain(c2, buf, 64, got, -1) == ws.SOCKET_ERROR
        assert lib.ps_last_error() == ws.WSAETIMEDOUT
        assert time.monotonic() - t0 < 2.0
    finally:
        ws.closesocket(c2)
        ws.closesocket(s2)

