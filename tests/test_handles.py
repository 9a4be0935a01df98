"""SOCKET handles are opaque: a closed, stale or forged value gives WSAENOTSOCK
and never reaches a socket of the process (docs/winsock-rules.md, HANDLE-1 to HANDLE-3)."""

from __future__ import annotations

import sys

import pytest
from leakcheck import HAVE_PROC

from portsock import winsock as ws

from conftest import connected_pair, socket_fds

# HANDLE-1 to HANDLE-3 are the POSIX core's handle table (csrc/posix_handles.c): large values,
# never an fd number, a slot's reuse giving a new value. On Windows a SOCKET is ws2_32's own
# (a kernel handle value: small, and reused as soon as it is closed), passed through untouched.
posix_handle_table = pytest.mark.skipif(sys.platform == "win32", reason="the POSIX core's handle table; "
                                        "on Windows handles are ws2_32's SOCKETs, passed through")


@posix_handle_table
def test_handles_are_never_small_values(wsa):
    handles = [ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP) for _ in range(8)]
    try:
        for h in handles:
            assert h != ws.INVALID_SOCKET
            assert h >= 1 << 24, "a handle must not look like an fd number"
            assert h % 4 == 0, "Winsock handles are multiples of 4"
        assert len(set(handles)) == len(handles)
    finally:
        for h in handles:
            assert ws.closesocket(h) == 0


@pytest.mark.skipif(not HAVE_PROC, reason="needs this process's /proc")
def test_raw_fd_numbers_of_open_sockets_are_not_handles(pair):
    client, server = pair
    fds = socket_fds()
    assert fds, "the pair's sockets are open"
    for fd in fds:
        assert ws.send(fd, b"x", 1, 0) == ws.SOCKET_ERROR
        assert ws.WSAGetLastError() == ws.WSAENOTSOCK
        assert ws.shutdown(fd, ws.SD_BOTH) == ws.SOCKET_ERROR
        assert ws.WSAGetLastError() == ws.WSAENOTSOCK
        assert ws.closesocket(fd) == ws.SOCKET_ERROR
        assert ws.WSAGetLastError() == ws.WSAENOTSOCK
    # Nothing was sent or shut down through the fds: the pair still works.
    assert ws.send(client, b"ping", 4, 0) == 4
    buf = bytearray(8)
    assert ws.recv(server, buf, 8, 0) == 4 and buf[:4] == b"ping"


@pytest.mark.parametrize("forged", [0, 1, 4, 0xDEADBEEF, ws.INVALID_SOCKET, (1 << 24) | 4, (1 << 56)])
def test_forged_handles_give_wsaenotsock(wsa, forged):
    assert ws.closesocket(forged) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAENOTSOCK
    assert ws.recv(forged, bytearray(4), 4, 0) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAENOTSOCK


@posix_handle_table
def test_stale_handle_never_reaches_the_socket_that_reused_its_slot(wsa):
    """Close a connection, open another that gets the same fd and the same
    table slot: the old handle must not send through the new socket."""
    old_client, old_server = connected_pair()
    assert ws.closesocket(old_client) == 0
    assert ws.closesocket(old_server) == 0

    new_client, new_server = connected_pair()
    try:
        # The table reused the freed slots (same index bits, new generation),
        # so only the generation tells the old handles from the new ones.
        def slot(h):
            return (h >> 2) & ((1 << 22) - 1)
        assert {slot(old_client), slot(old_server)} & {slot(new_client), slot(new_server)}
        assert new_client != old_client and new_server != old_server
        for stale in (old_client, old_server):
            assert ws.send(stale, b"stale", 5, 0) == ws.SOCKET_ERROR
            assert ws.WSAGetLastError() == ws.WSAENOTSOCK
            assert ws.shutdown(stale, ws.SD_SEND) == ws.SOCKET_ERROR
            assert ws.WSAGetLastError() == ws.WSAENOTSOCK
            assert ws.closesocket(stale) == ws.SOCKET_ERROR
            assert ws.WSAGetLastError() == ws.WSAENOTSOCK
        # Neither new end received or lost anything.
        for s in (new_client, new_server):
            assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
            assert ws.recv(s, bytearray(8), 8, 0) == ws.SOCKET_ERROR
            assert ws.WSAGetLastError() == ws.WSAEWOULDBLOCK
        assert ws.send(new_client, b"fresh", 5, 0) == 5
        assert ws.ioctlsocket(new_server, ws.FIONBIO, 0) == 0
        buf = bytearray(8)
        assert ws.recv(new_server, buf, 8, 0) == 5 and buf[:5] == b"fresh"
    finally:
        ws.closesocket(new_client)
        ws.closesocket(new_server)


@posix_handle_table
def test_many_sockets_reuse_slots_without_collisions(wsa):
    seen = set()
    for _ in range(200):
        h = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert h not in seen
        seen.add(h)
        assert ws.closesocket(h) == 0
    for h in list(seen)[:20]:
        assert ws.closesocket(h) == ws.SOCKET_ERROR
        assert ws.WSAGetLastError() == ws.WSAENOTSOCK


@pytest.mark.skipif(not HAVE_PROC, reason="needs this process's /proc")
def test_closesocket_and_cleanup_release_every_fd(wsa):
    before = len(socket_fds())
    pairs = [connected_pair() for _ in range(5)]
    assert len(socket_fds()) >= before + 10
    for c, s in pairs:
        assert ws.closesocket(c) == 0
        assert ws.closesocket(s) == 0
    assert len(socket_fds()) == before


# ---- ps_handle_status: the core's one answer to "is this handle usable?" -----------------

def test_handle_status_tells_open_closed_forged_and_not_started():
    from portsock._core import lib

    while ws.WSACleanup() == 0:   # on Windows CPython's _socket holds a reference of its own
        pass
    assert lib.ps_handle_status(ws.INVALID_SOCKET) == ws.WSANOTINITIALISED
    data = ws.WSADATA()
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), data) == 0
    try:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert s != ws.INVALID_SOCKET
        # An unbound, unconnected socket is open: getsockname would fail on it (WSAEINVAL),
        # which is why the status is not a getsockname.
        ws.WSASetLastError(12345)
        assert lib.ps_handle_status(s) == 0
        assert ws.WSAGetLastError() == 12345, "the status leaves the last error as it was"
        assert ws.closesocket(s) == 0
        ws.WSASetLastError(12345)
        for bad in (s, ws.INVALID_SOCKET, 0, 12345, 0xDEADBEE0):
            assert lib.ps_handle_status(bad) == ws.WSAENOTSOCK, hex(bad)
        assert ws.WSAGetLastError() == 12345
    finally:
        while ws.WSACleanup() == 0:
            pass
    assert lib.ps_handle_status(s) == ws.WSANOTINITIALISED
