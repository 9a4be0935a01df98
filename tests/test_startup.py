"""docs/winsock-rules.md, START-1 to START-10: every rule, through portsock.winsock.

Each test pins the exact return value and WSAGetLastError() code of Windows.
The tests run with the startup count at 0 (the fixture below drains it before
and after), so "before startup" and "after the final cleanup" are real states.
"""

from __future__ import annotations

import threading
from typing import Callable, List, Tuple

import pytest

from portsock import winsock as ws

from conftest import connected_pair, loopback

V22 = ws.MAKEWORD(2, 2)


def drain() -> None:
    """Releases every startup reference this process holds (bounded)."""
    for _ in range(10000):
        if ws.WSACleanup() != 0:
            return
    raise AssertionError("WSACleanup never reached the count 0")


@pytest.fixture(autouse=True)
def count_zero():
    """The startup count is 0 when each test starts and when it ends."""
    drain()
    yield
    drain()


def set_rcvtimeo(s: int, ms: int = 3000) -> None:
    """A recv that a bug would leave blocked gives up after ms instead."""
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0, ws.WSAGetLastError()


# --------------------------------------------------------------------------
# WSAStartup: the version negotiation table

# (requested major, minor) -> (return value, granted wVersion as (major, minor))
VERSION_TABLE = [
    # Row: major version 0 (0.0, 0.1) -> 10092; data.wVersion still set to 2.2.
    ((0, 0), ws.WSAVERNOTSUPPORTED, (2, 2)),
    ((0, 1), ws.WSAVERNOTSUPPORTED, (2, 2)),
    # Row: v = 1.0 / 1.1, 1.2, 1.255 / 2.0, 2.1, 2.2 -> 0; wVersion 1.0 / 1.1 / as requested.
    ((1, 0), 0, (1, 0)),
    ((1, 1), 0, (1, 1)),
    ((1, 2), 0, (1, 1)),
    ((1, 255), 0, (1, 1)),
    ((2, 0), 0, (2, 0)),
    ((2, 1), 0, (2, 1)),
    ((2, 2), 0, (2, 2)),
    # Row: v above 2.2 (2.3, 3.0, 255.0) -> 0; wVersion 2.2.
    ((2, 3), 0, (2, 2)),
    ((3, 0), 0, (2, 2)),
    ((255, 0), 0, (2, 2)),
]


@pytest.mark.parametrize("requested, ret, granted", VERSION_TABLE,
                         ids=["%d.%d" % row[0] for row in VERSION_TABLE])
def test_startup_version_table(requested: Tuple[int, int], ret: int, granted: Tuple[int, int]) -> None:
    """Rows: "major version 0", "v = 1.0 / 1.1 ...", "v above 2.2" and "any
    success" (wHighVersion 2.2, "WinSock 2.0", "Running"; iMaxSockets 32767 and
    iMaxUdpDg 65467 for v < 2.0, 0 from 2.0). Wine 8.0 fills the same fields
    for a major version 0, with iMaxSockets and iMaxUdpDg 0."""
    data = ws.WSADATA()
    assert ws.WSAStartup(ws.MAKEWORD(*requested), data) == ret
    assert data.wVersion == ws.MAKEWORD(*granted)
    assert (ws.LOBYTE(data.wVersion), ws.HIBYTE(data.wVersion)) == granted
    assert data.wHighVersion == V22
    assert data.szDescription == "WinSock 2.0"
    assert data.szSystemStatus == "Running"
    old = ret == 0 and requested[0] < 2
    assert data.iMaxSockets == (32767 if old else 0)
    assert data.iMaxUdpDg == (65467 if old else 0)
    if ret == 0:
        # Exactly one reference was taken.
        assert ws.WSACleanup() == 0
        assert ws.WSAGetLastError() == 0
    # A failed startup takes none.
    assert ws.WSACleanup() == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


@pytest.mark.parametrize("requested, ret", [((2, 2), ws.WSAEFAULT), ((1, 1), ws.WSAEFAULT),
                                            ((0, 0), ws.WSAVERNOTSUPPORTED),
                                            ((0, 1), ws.WSAVERNOTSUPPORTED)])
def test_startup_null_data(requested: Tuple[int, int], ret: int) -> None:
    """Row: WSAStartup(v, NULL) -> 10014 (10092 if the major version is 0);
    nothing is started."""
    assert ws.WSAStartup(ws.MAKEWORD(*requested), None) == ret
    assert ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
    assert ws.WSACleanup() == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


# --------------------------------------------------------------------------
# The reference count

def test_startup_twice_cleanup_twice() -> None:
    """Row: startup twice, cleanup twice -> both cleanups return 0,
    WSAGetLastError() 0."""
    data = ws.WSADATA()
    assert ws.WSAStartup(V22, data) == 0
    assert ws.WSAStartup(V22, data) == 0
    ws.WSASetLastError(12345)
    assert ws.WSACleanup() == 0
    assert ws.WSAGetLastError() == 0
    ws.WSASetLastError(12345)
    assert ws.WSACleanup() == 0
    assert ws.WSAGetLastError() == 0
    # The count is back at 0.
    assert ws.WSACleanup() == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


def test_startup_count_is_thread_safe() -> None:
    """Row: the count is per process and thread-safe: N startups from several
    threads need exactly N cleanups, from any thread."""
    threads_n, per_thread = 8, 100
    barrier = threading.Barrier(threads_n)
    results: List[List[int]] = [[] for _ in range(threads_n)]

    def starter(i: int) -> None:
        data = ws.WSADATA()
        barrier.wait(timeout=30)
        results[i] = [ws.WSAStartup(V22, data) for _ in range(per_thread)]

    def cleaner(i: int) -> None:
        barrier.wait(timeout=30)
        results[i] = [ws.WSACleanup() for _ in range(per_thread)]

    for fn in (starter, cleaner):
        workers = [threading.Thread(target=fn, args=(i,), daemon=True) for i in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
            assert not w.is_alive()
        assert all(r == [0] * per_thread for r in results)
        if fn is starter:
            # Still started in this thread too.
            s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
            assert s != ws.INVALID_SOCKET
            assert ws.closesocket(s) == 0
    assert ws.WSACleanup() == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


def test_cleanup_at_zero() -> None:
    """Row: WSACleanup() with the count at 0 -> -1, 10093 (every time)."""
    for _ in range(3):
        ws.WSASetLastError(0)
        assert ws.WSACleanup() == ws.SOCKET_ERROR
        assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


# --------------------------------------------------------------------------
# Calls before startup and after the final cleanup

def _sockaddr() -> Tuple[ws.sockaddr_in, int]:
    addr, size = loopback()
    addr.sin_port = ws.htons(9)
    return addr, size


# Each entry calls one function on handle h and returns its return value.
CALLS: List[Tuple[str, Callable[[int], int]]] = [
    ("closesocket", lambda h: ws.closesocket(h)),
    ("send", lambda h: ws.send(h, b"abc", 3, 0)),
    ("recv", lambda h: ws.recv(h, bytearray(8), 8, 0)),
    ("shutdown", lambda h: ws.shutdown(h, ws.SD_SEND)),
    ("connect", lambda h: ws.connect(h, *_sockaddr())),
    ("bind", lambda h: ws.bind(h, *loopback())),
    ("listen", lambda h: ws.listen(h, 1)),
    ("setsockopt", lambda h: ws.setsockopt(h, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4)),
    ("getsockopt", lambda h: ws.getsockopt(h, ws.SOL_SOCKET, ws.SO_ERROR, ws.DWORD(), ws.c_int(4))),
    ("ioctlsocket", lambda h: ws.ioctlsocket(h, ws.FIONBIO, 1)),
]
# What a handle-taking call returns on failure.
FAILED = {"accept": ws.INVALID_SOCKET}


def _assert_not_initialised_calls(handles: List[int]) -> None:
    for h in handles:
        for name, call in CALLS:
            ws.WSASetLastError(0)
            assert call(h) == FAILED.get(name, ws.SOCKET_ERROR), (name, h)
            assert ws.WSAGetLastError() == ws.WSANOTINITIALISED, (name, h)
        ws.WSASetLastError(0)
        assert ws.accept(h, None, None) == ws.INVALID_SOCKET
        assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


def _assert_not_initialised_socket_and_names() -> None:
    ws.WSASetLastError(0)
    assert ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
    # getaddrinfo returns the code (and sets it); Wine 8.0 resolves anyway.
    result = [ws.ADDRINFOA()]
    ws.WSASetLastError(0)
    assert ws.getaddrinfo("127.0.0.1", "80", None, result) == ws.WSANOTINITIALISED
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
    assert result == []


def test_calls_before_startup() -> None:
    """Row: socket(), closesocket(), getaddrinfo(), any socket call before
    startup -> -1 (or the code, for getaddrinfo), 10093. Whatever the handle:
    forged values and INVALID_SOCKET (-1 in C) alike."""
    _assert_not_initialised_socket_and_names()
    _assert_not_initialised_calls([0, 4, 0xDEADBEEF, ws.INVALID_SOCKET, -1])


def test_calls_after_final_cleanup() -> None:
    """Row: ... any socket call after the final cleanup -> -1, 10093, also on
    handles that were open sockets until that cleanup."""
    assert ws.WSAStartup(V22, ws.WSADATA()) == 0
    client, server = connected_pair()
    unconnected = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert unconnected != ws.INVALID_SOCKET
    assert ws.WSACleanup() == 0
    _assert_not_initialised_socket_and_names()
    _assert_not_initialised_calls([client, server, unconnected])


# --------------------------------------------------------------------------
# What the final cleanup does to open sockets

def test_final_cleanup_closes_open_sockets() -> None:
    """Row: the final WSACleanup() with sockets open -> they are closed as by
    closesocket; after a new startup the old handles give 10038
    (sock.c:1043-1076)."""
    assert ws.WSAStartup(V22, ws.WSADATA()) == 0
    client, server = connected_pair()
    # A bound socket, so that rebinding its port proves the fd was closed.
    bound = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr, size = loopback()
    assert ws.bind(bound, addr, size) == 0
    assert ws.listen(bound, 1) == 0
    name = ws.sockaddr_in()
    assert ws.getsockname(bound, name, ws.c_int(size)) == 0
    assert ws.WSACleanup() == 0
    assert ws.WSAGetLastError() == 0

    assert ws.WSAStartup(V22, ws.WSADATA()) == 0
    for h in (client, server, bound):
        for name_, call in CALLS:
            ws.WSASetLastError(0)
            assert call(h) == ws.SOCKET_ERROR, (name_, h)
            assert ws.WSAGetLastError() == ws.WSAENOTSOCK, (name_, h)
        assert ws.accept(h, None, None) == ws.INVALID_SOCKET
        assert ws.WSAGetLastError() == ws.WSAENOTSOCK
    # The listening socket's port is free again: its fd really was closed.
    again = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert again != ws.INVALID_SOCKET
    assert again not in (client, server, bound)
    assert ws.bind(again, name, ws.sizeof(name)) == 0, ws.WSAGetLastError()
    assert ws.closesocket(again) == 0
    assert ws.WSACleanup() == 0


def test_non_final_cleanup_keeps_sockets_working() -> None:
    """Row: a non-final cleanup -> sockets keep working."""
    assert ws.WSAStartup(V22, ws.WSADATA()) == 0
    assert ws.WSAStartup(V22, ws.WSADATA()) == 0
    client, server = connected_pair()
    set_rcvtimeo(client)
    set_rcvtimeo(server)
    assert ws.WSACleanup() == 0
    assert ws.WSAGetLastError() == 0
    buf = bytearray(16)
    assert ws.send(client, b"hello", 5, 0) == 5
    assert ws.recv(server, buf, 16, 0) == 5
    assert bytes(buf[:5]) == b"hello"
    assert ws.send(server, b"world", 5, 0) == 5
    assert ws.recv(client, buf, 16, 0) == 5
    assert bytes(buf[:5]) == b"world"
    # New sockets can still be made and closed.
    extra = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert extra != ws.INVALID_SOCKET
    assert ws.closesocket(extra) == 0
    assert ws.shutdown(client, ws.SD_SEND) == 0
    assert ws.recv(server, buf, 16, 0) == 0
    assert ws.closesocket(client) == 0
    assert ws.closesocket(server) == 0
    assert ws.WSACleanup() == 0
    assert ws.WSACleanup() == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
