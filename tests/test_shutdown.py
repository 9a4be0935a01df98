"""docs/winsock-rules.md, SHUT-1 to SHUT-11 (shutdown and the graceful disconnect): every rule, through
portsock.winsock, on real loopback sockets.

Each test pins the exact return value and WSAGetLastError() code of Windows
(Wine 8.0 agrees on all of these rows). Every socket a bug could leave blocked
in recv has SO_RCVTIMEO set, so a failure cannot hang.
"""

from __future__ import annotations

import time
from typing import Tuple

import pytest

from portsock import winsock as ws

from conftest import (
    expect_error,
    expect_ok,
    listener,
    loopback,
    run_in_thread,
    set_rcvtimeo,
)


def udp_socket(bound: bool = True) -> Tuple[int, ws.sockaddr_in]:
    s = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
    assert s != ws.INVALID_SOCKET
    name = ws.sockaddr_in()
    if bound:
        addr, size = loopback()
        assert ws.bind(s, addr, size) == 0
        assert ws.getsockname(s, name, ws.c_int(size)) == 0
    set_rcvtimeo(s)
    return s, name


HOWS = [ws.SD_RECEIVE, ws.SD_SEND, ws.SD_BOTH]


# --------------------------------------------------------------------------
# Row: shutdown on an unconnected or listening TCP socket (SD_SEND,
# SD_RECEIVE, SD_BOTH) -> -1, 10057 (sock.c:9362-9370, 9605-9613);
# POSIX succeeds on a listener: Windows wins.

@pytest.mark.parametrize("family", [ws.AF_INET, ws.AF_INET6], ids=["v4", "v6"])
@pytest.mark.parametrize("how", HOWS, ids=["SD_RECEIVE", "SD_SEND", "SD_BOTH"])
def test_shutdown_unconnected(wsa: ws.WSADATA, family: int, how: int) -> None:
    s = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert s != ws.INVALID_SOCKET
    ws.WSASetLastError(0)
    expect_error(ws.shutdown(s, how), ws.WSAENOTCONN)
    # A bound but unconnected socket is no different.
    addr, size = loopback(family)
    assert ws.bind(s, addr, size) == 0
    expect_error(ws.shutdown(s, how), ws.WSAENOTCONN)
    assert ws.closesocket(s) == 0


@pytest.mark.parametrize("family", [ws.AF_INET, ws.AF_INET6], ids=["v4", "v6"])
@pytest.mark.parametrize("how", HOWS, ids=["SD_RECEIVE", "SD_SEND", "SD_BOTH"])
def test_shutdown_listener(wsa: ws.WSADATA, family: int, how: int) -> None:
    lst, bound = listener(family)
    expect_error(ws.shutdown(lst, how), ws.WSAENOTCONN)
    # The listener still works afterwards: shutdown changed nothing.
    client = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    expect_ok(ws.connect(client, bound, ws.sizeof(bound)))
    server = ws.accept(lst, None, None)
    assert server != ws.INVALID_SOCKET
    for s in (client, server, lst):
        assert ws.closesocket(s) == 0


# --------------------------------------------------------------------------

def test_shutdown_send_twice(tcp: Tuple[int, int]) -> None:
    """Row: shutdown(SD_SEND) twice -> 0, 0."""
    client, server = tcp
    ws.WSASetLastError(1234)
    expect_ok(ws.shutdown(client, ws.SD_SEND))
    ws.WSASetLastError(1234)
    expect_ok(ws.shutdown(client, ws.SD_SEND))
    # The peer saw one FIN.
    expect_ok(ws.recv(server, bytearray(8), 8, 0), 0)


@pytest.mark.parametrize("how", [3, -1, 0xDEADBEEF, 4, 0x7FFFFFFF, -(1 << 31)],
                         ids=["3", "-1", "0xdeadbeef", "4", "INT_MAX", "INT_MIN"])
def test_shutdown_bad_how(tcp: Tuple[int, int], how: int) -> None:
    """Row: how not in {0,1,2} (3, -1, 0xdeadbeef) -> -1, 10022; and nothing
    was shut down."""
    client, server = tcp
    expect_error(ws.shutdown(client, how), ws.WSAEINVAL)
    expect_ok(ws.send(client, b"still", 5, 0), 5)
    buf = bytearray(8)
    expect_ok(ws.recv(server, buf, 8, 0), 5)


@pytest.mark.parametrize("how", [3, -1, 0xDEADBEEF], ids=["3", "-1", "0xdeadbeef"])
def test_shutdown_bad_how_unconnected(wsa: ws.WSADATA, how: int) -> None:
    """Row: how not in {0,1,2} -> 10022, which comes before the unconnected
    socket's 10057 (Wine 8.0: the same order)."""
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    expect_error(ws.shutdown(s, how), ws.WSAEINVAL)
    assert ws.closesocket(s) == 0


@pytest.mark.parametrize("how", [ws.SD_SEND, ws.SD_BOTH], ids=["SD_SEND", "SD_BOTH"])
def test_send_after_own_shutdown(tcp: Tuple[int, int], how: int) -> None:
    """Row: send after own SD_SEND or SD_BOTH -> -1, 10058; never EPIPE, never
    SIGPIPE (also after the peer has closed in turn)."""
    client, server = tcp
    expect_ok(ws.shutdown(client, how))
    for _ in range(3):
        expect_error(ws.send(client, b"x", 1, 0), ws.WSAESHUTDOWN)
    # The peer reads the FIN and closes: still 10058, not a reset.
    expect_ok(ws.recv(server, bytearray(8), 8, 0), 0)
    assert ws.closesocket(server) == 0
    time.sleep(0.05)
    for _ in range(3):
        expect_error(ws.send(client, b"x", 1, 0), ws.WSAESHUTDOWN)


@pytest.mark.parametrize("how", [ws.SD_RECEIVE, ws.SD_BOTH], ids=["SD_RECEIVE", "SD_BOTH"])
def test_recv_after_own_shutdown(tcp: Tuple[int, int], how: int) -> None:
    """Row: recv after own SD_RECEIVE or SD_BOTH -> -1, 10058 on every call
    (POSIX returns 0), including after the peer's FIN."""
    client, server = tcp
    expect_ok(ws.shutdown(client, how))
    buf = bytearray(8)
    for _ in range(3):
        expect_error(ws.recv(client, buf, 8, 0), ws.WSAESHUTDOWN)
    assert ws.shutdown(server, ws.SD_SEND) == 0
    time.sleep(0.05)
    for _ in range(3):
        expect_error(ws.recv(client, buf, 8, 0), ws.WSAESHUTDOWN)
    if how == ws.SD_RECEIVE:
        # Sending still works after SD_RECEIVE.
        expect_ok(ws.send(client, b"abc", 3, 0), 3)
        expect_ok(ws.recv(server, buf, 8, 0), 3)


def test_recv_after_peer_fin(tcp: Tuple[int, int]) -> None:
    """Row: recv after the peer's FIN -> 0, and 0 again."""
    client, server = tcp
    expect_ok(ws.shutdown(server, ws.SD_SEND))
    buf = bytearray(8)
    for _ in range(3):
        ws.WSASetLastError(1234)
        expect_ok(ws.recv(client, buf, 8, 0), 0)


def test_recv_after_peer_close(tcp: Tuple[int, int]) -> None:
    """Row: recv after the peer's FIN -> 0, and 0 again (the FIN of a
    closesocket with nothing unread)."""
    client, server = tcp
    assert ws.closesocket(server) == 0
    buf = bytearray(8)
    for _ in range(3):
        expect_ok(ws.recv(client, buf, 8, 0), 0)


def test_half_close_late_reply(tcp: Tuple[int, int]) -> None:
    """Row: half-close: client SD_SEND, server still sends 5 bytes -> client
    recv gets 5. The whole graceful disconnect, in both directions."""
    client, server = tcp
    buf = bytearray(64)
    expect_ok(ws.send(client, b"request", 7, 0), 7)
    expect_ok(ws.shutdown(client, ws.SD_SEND))
    expect_ok(ws.recv(server, buf, 64, 0), 7)
    assert bytes(buf[:7]) == b"request"
    expect_ok(ws.recv(server, buf, 64, 0), 0)
    # The server replies after the client's FIN: the reply is not lost.
    time.sleep(0.05)
    expect_ok(ws.send(server, b"reply", 5, 0), 5)
    expect_ok(ws.shutdown(server, ws.SD_SEND))
    expect_ok(ws.recv(client, buf, 64, 0), 5)
    assert bytes(buf[:5]) == b"reply"
    expect_ok(ws.recv(client, buf, 64, 0), 0)
    expect_ok(ws.closesocket(client))


def test_recv_in_pieces_then_fin(tcp: Tuple[int, int]) -> None:
    """Row: peer sent 5 bytes then closed; recv(3), recv(5) -> 3, 2, then 0."""
    client, server = tcp
    expect_ok(ws.send(server, b"hello", 5, 0), 5)
    assert ws.closesocket(server) == 0
    time.sleep(0.05)
    buf = bytearray(8)
    expect_ok(ws.recv(client, buf, 3, 0), 3)
    assert bytes(buf[:3]) == b"hel"
    expect_ok(ws.recv(client, buf, 5, 0), 2)
    assert bytes(buf[:2]) == b"lo"
    expect_ok(ws.recv(client, buf, 5, 0), 0)
    expect_ok(ws.recv(client, buf, 5, 0), 0)


@pytest.mark.parametrize("how", HOWS, ids=["SD_RECEIVE", "SD_SEND", "SD_BOTH"])
def test_connect_after_shutdown(tcp: Tuple[int, int], how: int) -> None:
    """Row: connect on a shut-down, connected socket -> -1, 10056."""
    client, _ = tcp
    peer = ws.sockaddr_in()
    assert ws.getpeername(client, peer, ws.c_int(ws.sizeof(peer))) == 0
    expect_ok(ws.shutdown(client, how))
    expect_error(ws.connect(client, peer, ws.sizeof(peer)), ws.WSAEISCONN)
    expect_error(ws.connect(client, peer, ws.sizeof(peer)), ws.WSAEISCONN)


def test_sd_receive_does_not_wake_blocked_recv(tcp: Tuple[int, int]) -> None:
    """Row: SD_RECEIVE does not wake a recv already blocked in another thread
    (Windows, cpython#91913) -> the blocked recv stays blocked. It ends here
    with closesocket, which wakes it with -1, 10004 (the closesocket row)."""
    client, _ = tcp
    set_rcvtimeo(client, 20000)
    buf = bytearray(8)
    thread, result = run_in_thread(lambda: (ws.recv(client, buf, 8, 0), ws.WSAGetLastError()))
    time.sleep(0.3)
    assert thread.is_alive()
    expect_ok(ws.shutdown(client, ws.SD_RECEIVE))
    thread.join(0.7)
    assert thread.is_alive() and result == [], result
    expect_ok(ws.closesocket(client))
    thread.join(10)
    assert not thread.is_alive()
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]


# --------------------------------------------------------------------------
# Row: UDP: SD_RECEIVE then recvfrom; SD_SEND then sendto -> 0 then -1 10058;
# 0 then -1 10058 (POSIX: ENOTCONN). Wine 8.0 agrees, also for an unbound
# socket and for SD_BOTH.

@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_udp_shutdown_receive(wsa: ws.WSADATA, bound: bool) -> None:
    s, _ = udp_socket(bound)
    peer, peer_name = udp_socket()
    expect_ok(ws.shutdown(s, ws.SD_RECEIVE))
    buf = bytearray(16)
    for _ in range(2):
        src, srclen = ws.sockaddr_in(), ws.c_int(ws.sizeof(ws.sockaddr_in))
        expect_error(ws.recvfrom(s, buf, 16, 0, src, srclen), ws.WSAESHUTDOWN)
        expect_error(ws.recv(s, buf, 16, 0), ws.WSAESHUTDOWN)
    # Sending still works.
    expect_ok(ws.sendto(s, b"udp", 3, 0, peer_name, ws.sizeof(peer_name)), 3)
    expect_ok(ws.recvfrom(peer, buf, 16, 0), 3)
    assert ws.closesocket(s) == 0
    assert ws.closesocket(peer) == 0


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_udp_shutdown_send(wsa: ws.WSADATA, bound: bool) -> None:
    s, _ = udp_socket(bound)
    peer, peer_name = udp_socket()
    expect_ok(ws.shutdown(s, ws.SD_SEND))
    for _ in range(2):
        expect_error(ws.sendto(s, b"udp", 3, 0, peer_name, ws.sizeof(peer_name)), ws.WSAESHUTDOWN)
    assert ws.closesocket(s) == 0
    assert ws.closesocket(peer) == 0


def test_udp_shutdown_both(wsa: ws.WSADATA) -> None:
    s, _ = udp_socket()
    peer, peer_name = udp_socket()
    expect_ok(ws.shutdown(s, ws.SD_BOTH))
    buf = bytearray(16)
    expect_error(ws.recvfrom(s, buf, 16, 0), ws.WSAESHUTDOWN)
    expect_error(ws.sendto(s, b"udp", 3, 0, peer_name, ws.sizeof(peer_name)), ws.WSAESHUTDOWN)
    assert ws.closesocket(s) == 0
    assert ws.closesocket(peer) == 0


def test_udp_connected_shutdown_send(wsa: ws.WSADATA) -> None:
    """The UDP row on a connected datagram socket: send after SD_SEND ->
    -1, 10058."""
    s, _ = udp_socket()
    peer, peer_name = udp_socket()
    expect_ok(ws.connect(s, peer_name, ws.sizeof(peer_name)))
    expect_ok(ws.send(s, b"one", 3, 0), 3)
    expect_ok(ws.shutdown(s, ws.SD_SEND))
    expect_error(ws.send(s, b"two", 3, 0), ws.WSAESHUTDOWN)
    buf = bytearray(16)
    expect_ok(ws.recvfrom(peer, buf, 16, 0), 3)
    assert ws.closesocket(s) == 0
    assert ws.closesocket(peer) == 0
