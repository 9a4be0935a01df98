"""The mirror's argument checks (portsock.winsock; docs/porting.md, "1. The mirror and its rules").

A wrong type raises TypeError (C would not have compiled the call). A value C
could receive but that is wrong gives the Winsock error return, exactly as the
real call would; so does a value no C argument could hold (an int beyond the
parameter's range). Handles are judged first, as Winsock does: a closed or
forged handle gives 10038 whatever the other arguments are (Wine 8.0: send
with a bad length or a NULL buffer, shutdown with a bad how, all 10038 on a
closed handle). Rules pinned (docs/winsock-rules.md): HANDLE-2, HANDLE-3, SHUT-3
and BUF-1.
"""

from __future__ import annotations

import array
import socket as stdlib_socket
import sys
from typing import Any, Callable, List, Tuple

import pytest

from portsock import winsock as ws

from conftest import expect_error, expect_ok, loopback, socket_fds

INT_MAX = (1 << 31) - 1


def still_works(client: int, server: int) -> None:
    """The connection is untouched: a round trip in each direction."""
    buf = bytearray(16)
    expect_ok(ws.send(client, b"ping", 4, 0), 4)
    expect_ok(ws.recv(server, buf, 16, 0), 4)
    assert bytes(buf[:4]) == b"ping"
    expect_ok(ws.send(server, b"pong", 4, 0), 4)
    expect_ok(ws.recv(client, buf, 16, 0), 4)
    assert bytes(buf[:4]) == b"pong"


# --------------------------------------------------------------------------
# Wrong types: TypeError, and the socket is untouched

WRONG_TYPES: List[Tuple[str, Callable[[int], Any]]] = [
    ("socket af str", lambda s: ws.socket("AF_INET", ws.SOCK_STREAM, 0)),
    ("socket type float", lambda s: ws.socket(ws.AF_INET, 1.0, 0)),
    ("closesocket s None", lambda s: ws.closesocket(None)),
    ("closesocket s str", lambda s: ws.closesocket(str(s))),
    ("closesocket s float", lambda s: ws.closesocket(float(s))),
    ("send s float", lambda s: ws.send(float(s), b"x", 1, 0)),
    ("send buf str", lambda s: ws.send(s, "abc", 3, 0)),
    ("send buf int", lambda s: ws.send(s, 3, 3, 0)),
    ("send buf list", lambda s: ws.send(s, [1, 2, 3], 3, 0)),
    ("send len float", lambda s: ws.send(s, b"abc", 3.0, 0)),
    ("send len None", lambda s: ws.send(s, b"abc", None, 0)),
    ("send flags str", lambda s: ws.send(s, b"abc", 3, "0")),
    ("recv s float", lambda s: ws.recv(float(s), bytearray(3), 3, 0)),
    ("recv buf str", lambda s: ws.recv(s, "abc", 3, 0)),
    ("recv buf bytes (read-only)", lambda s: ws.recv(s, b"abc", 3, 0)),
    ("recv buf memoryview of bytes (read-only)", lambda s: ws.recv(s, memoryview(b"abc"), 3, 0)),
    ("recv buf read-only view of bytearray", lambda s: ws.recv(s, memoryview(bytearray(3)).toreadonly(), 3, 0)),
    ("recv buf non-contiguous view", lambda s: ws.recv(s, memoryview(bytearray(6))[::2], 3, 0)),
    ("send buf non-contiguous view", lambda s: ws.send(s, memoryview(b"abcdef")[::2], 3, 0)),
    ("recv len str", lambda s: ws.recv(s, bytearray(3), "3", 0)),
    ("shutdown how float", lambda s: ws.shutdown(s, 1.0)),
    ("shutdown how None", lambda s: ws.shutdown(s, None)),
    ("shutdown s str", lambda s: ws.shutdown(str(s), ws.SD_SEND)),
    ("setsockopt optval str", lambda s: ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, "1", 4)),
    ("setsockopt level float", lambda s: ws.setsockopt(s, float(ws.SOL_SOCKET), ws.SO_LINGER, ws.LINGER(), 4)),
    ("getsockopt optval bytes", lambda s: ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, b"abcd", ws.c_int(4))),
    ("getsockopt optval int", lambda s: ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, 0, ws.c_int(4))),
    ("getsockopt optlen int", lambda s: ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, ws.DWORD(), 4)),
    ("ioctlsocket argp float", lambda s: ws.ioctlsocket(s, ws.FIONBIO, 1.0)),
    ("ioctlsocket cmd str", lambda s: ws.ioctlsocket(s, "FIONBIO", 1)),
    ("connect name tuple", lambda s: ws.connect(s, ("127.0.0.1", 80), 16)),
    ("bind name bytes", lambda s: ws.bind(s, bytes(16), 16)),
    ("getaddrinfo node bytes", lambda s: ws.getaddrinfo(b"127.0.0.1", None, None, [])),
    ("getaddrinfo hints dict", lambda s: ws.getaddrinfo("127.0.0.1", None, {}, [])),
    ("getaddrinfo result None", lambda s: ws.getaddrinfo("127.0.0.1", None, None, None)),
    ("WSAStartup version str", lambda s: ws.WSAStartup("2.2", ws.WSADATA())),
    ("WSAStartup data dict", lambda s: ws.WSAStartup(0x0202, {})),
]


@pytest.mark.parametrize("case", WRONG_TYPES, ids=[name for name, _ in WRONG_TYPES])
def test_wrong_type_raises(tcp: Tuple[int, int], case: Tuple[str, Callable[[int], Any]]) -> None:
    """A wrong type is a TypeError (C would not compile it), raised before
    anything reaches C: the connection is untouched. A read-only buffer to
    recv is a wrong type, as const char * to char * would be."""
    client, server = tcp
    _, fn = case
    with pytest.raises(TypeError):
        fn(client)
    still_works(client, server)


# --------------------------------------------------------------------------
# Buffers: any bytes-like object to send; a writable one to recv, filled in place

@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "array", "view-slice"])
def test_send_buffer_kinds(tcp: Tuple[int, int], kind: str) -> None:
    """send takes any contiguous bytes-like object (docs/porting.md, "Buffers")."""
    client, server = tcp
    data = {"bytes": b"hello", "bytearray": bytearray(b"hello"), "memoryview": memoryview(b"hello"),
            "array": array.array("B", b"hello"), "view-slice": memoryview(b"__hello__")[2:7]}[kind]
    expect_ok(ws.send(client, data, 5, 0), 5)
    buf = bytearray(8)
    expect_ok(ws.recv(server, buf, 8, 0), 5)
    assert bytes(buf[:5]) == b"hello"


@pytest.mark.parametrize("kind", ["bytearray", "memoryview", "array", "view-slice"])
def test_recv_buffer_kinds(tcp: Tuple[int, int], kind: str) -> None:
    """recv fills a writable buffer in place, like C (docs/porting.md, "Buffers"); a view
    of part of a buffer is written at its own offset."""
    client, server = tcp
    backing = bytearray(b"..........")
    buf = {"bytearray": backing, "memoryview": memoryview(backing), "array": array.array("B", backing),
           "view-slice": memoryview(backing)[3:8]}[kind]
    expect_ok(ws.send(server, b"hello", 5, 0), 5)
    expect_ok(ws.recv(client, buf, 5, 0), 5)
    if kind == "view-slice":
        assert bytes(backing) == b"...hello.."
    else:
        assert bytes(buf)[:5] == b"hello"


def test_send_len_counts_bytes_not_items(tcp: Tuple[int, int]) -> None:
    """len is in bytes, as in C: an array of 4-byte items holds 4 bytes per item."""
    client, server = tcp
    data = array.array("I", [1, 2])
    expect_ok(ws.send(client, data, 8, 0), 8)
    expect_error(ws.send(client, data, 9, 0), ws.WSAEFAULT)
    buf = bytearray(16)
    expect_ok(ws.recv(server, buf, 16, 0), 8)
    assert bytes(buf[:8]) == data.tobytes()


# --------------------------------------------------------------------------
# Out-of-range values: the Winsock error return

@pytest.mark.parametrize("length", [4, INT_MAX, INT_MAX + 1, 1 << 40, -1, -(1 << 31), -(1 << 40)],
                         ids=["len(buf)+1", "INT_MAX", "INT_MAX+1", "2**40", "-1", "INT_MIN", "-2**40"])
def test_len_out_of_range(tcp: Tuple[int, int], length: int) -> None:
    """Row: len larger than the buffer, or negative -> -1, 10014; also len >
    INT_MAX, which no C int holds."""
    client, server = tcp
    expect_error(ws.send(client, b"abc", length, 0), ws.WSAEFAULT)
    expect_error(ws.recv(client, bytearray(3), length, 0), ws.WSAEFAULT)
    still_works(client, server)


@pytest.mark.parametrize("how", [3, -1, 0xDEADBEEF, 1 << 32, 1 << 40, -(1 << 40)],
                         ids=["3", "-1", "0xdeadbeef", "2**32", "2**40", "-2**40"])
def test_shutdown_how_out_of_range(tcp: Tuple[int, int], how: int) -> None:
    """Row: how not in {0,1,2} (3, -1, 0xdeadbeef) -> -1, 10022; also values
    no C int holds."""
    client, server = tcp
    expect_error(ws.shutdown(client, how), ws.WSAEINVAL)
    still_works(client, server)


def test_setsockopt_optlen_out_of_range(tcp: Tuple[int, int]) -> None:
    """optlen beyond optval, negative, or no int at all -> -1, 10014."""
    client, _ = tcp
    for optlen in (5, 1 << 40, -1):
        expect_error(ws.setsockopt(client, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), optlen), ws.WSAEFAULT)


def test_getsockopt_optlen_out_of_range(tcp: Tuple[int, int]) -> None:
    """*optlen beyond optval's size, or negative -> -1, 10014."""
    client, _ = tcp
    for optlen in (5, 1 << 40, -1):
        expect_error(ws.getsockopt(client, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(), ws.c_int(optlen)),
                     ws.WSAEFAULT)


def test_ioctlsocket_unknown_cmd(tcp: Tuple[int, int]) -> None:
    """An ioctlsocket command Winsock does not know -> -1, 10045 (Wine's
    test_unsupported_ioctls, which passes on Windows; Wine 8.0: the same),
    also one no long holds. A NULL argp -> -1, 10014 first."""
    client, server = tcp
    for cmd in (0x12345678, 1 << 70):
        expect_error(ws.ioctlsocket(client, cmd, ws.u_long()), ws.WSAEOPNOTSUPP)
    expect_error(ws.ioctlsocket(client, ws.FIONBIO, None), ws.WSAEFAULT)
    expect_error(ws.ioctlsocket(client, 1 << 70, None), ws.WSAEFAULT)
    still_works(client, server)


def test_socket_args_out_of_range(wsa: ws.WSADATA) -> None:
    """socket() with a family or type no int holds: the codes of an unknown
    family (10047) and type (10044), as for 12345 and 999 (Wine 8.0)."""
    expect_error(ws.socket(1 << 40, ws.SOCK_STREAM, 0), ws.WSAEAFNOSUPPORT, ws.INVALID_SOCKET)
    expect_error(ws.socket(ws.AF_INET, 1 << 40, 0), ws.WSAESOCKTNOSUPPORT, ws.INVALID_SOCKET)
    expect_error(ws.socket(12345, ws.SOCK_STREAM, 0), ws.WSAEAFNOSUPPORT, ws.INVALID_SOCKET)
    expect_error(ws.socket(ws.AF_INET, 999, 0), ws.WSAESOCKTNOSUPPORT, ws.INVALID_SOCKET)


@pytest.mark.parametrize("namelen", [0, 4, 15, -1, 1 << 40])
def test_namelen_out_of_range(wsa: ws.WSADATA, namelen: int) -> None:
    """bind/connect with a namelen under sizeof(sockaddr_in), negative, or no
    int at all -> -1, 10014; so does a NULL name."""
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr, size = loopback()
    expect_error(ws.bind(s, addr, namelen), ws.WSAEFAULT)
    expect_error(ws.connect(s, addr, namelen), ws.WSAEFAULT)
    expect_error(ws.bind(s, None, size), ws.WSAEFAULT)
    expect_error(ws.connect(s, None, size), ws.WSAEFAULT)
    expect_ok(ws.bind(s, addr, size))
    assert ws.closesocket(s) == 0


# --------------------------------------------------------------------------
# Closed and forged handles: 10038, touching nothing
# Rows: closesocket twice, closesocket(INVALID_SOCKET), closesocket(0xdeadbeef)
# -> -1, 10038; send / recv / shutdown / getsockopt on a closed or forged
# handle -> -1, 10038; a stale handle touches nothing else in the process.

HANDLE_CALLS: List[Tuple[str, Callable[[int], int]]] = [
    ("send", lambda h: ws.send(h, b"abc", 3, 0)),
    ("recv", lambda h: ws.recv(h, bytearray(8), 8, 0)),
    ("shutdown", lambda h: ws.shutdown(h, ws.SD_BOTH)),
    ("getsockopt", lambda h: ws.getsockopt(h, ws.SOL_SOCKET, ws.SO_ERROR, ws.DWORD(), ws.c_int(4))),
    ("setsockopt", lambda h: ws.setsockopt(h, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4)),
    ("ioctlsocket", lambda h: ws.ioctlsocket(h, ws.FIONBIO, 1)),
    ("connect", lambda h: ws.connect(h, *loopback())),
    ("bind", lambda h: ws.bind(h, *loopback())),
    ("listen", lambda h: ws.listen(h, 1)),
    ("getsockname", lambda h: ws.getsockname(h, ws.sockaddr_in(), ws.c_int(16))),
    ("getpeername", lambda h: ws.getpeername(h, ws.sockaddr_in(), ws.c_int(16))),
    ("closesocket", lambda h: ws.closesocket(h)),
]

# Calls whose other arguments are wrong too: the handle is judged first.
HANDLE_FIRST_CALLS: List[Tuple[str, Callable[[int], int]]] = [
    ("send len -1", lambda h: ws.send(h, b"abc", -1, 0)),
    ("send len > buf", lambda h: ws.send(h, b"abc", 4, 0)),
    ("send NULL", lambda h: ws.send(h, None, 5, 0)),
    ("recv len > buf", lambda h: ws.recv(h, bytearray(3), 4, 0)),
    ("recv NULL", lambda h: ws.recv(h, None, 5, 0)),
    ("shutdown how 7", lambda h: ws.shutdown(h, 7)),
    ("shutdown how 2**40", lambda h: ws.shutdown(h, 1 << 40)),
    ("setsockopt NULL", lambda h: ws.setsockopt(h, ws.SOL_SOCKET, ws.SO_LINGER, None, 4)),
    ("getsockopt optlen 99", lambda h: ws.getsockopt(h, ws.SOL_SOCKET, ws.SO_ERROR, ws.DWORD(), ws.c_int(99))),
    ("ioctlsocket NULL", lambda h: ws.ioctlsocket(h, ws.FIONBIO, None)),
    ("ioctlsocket cmd 2**70", lambda h: ws.ioctlsocket(h, 1 << 70, 1)),
    ("connect NULL", lambda h: ws.connect(h, None, 16)),
]

FORGED = [0, 1, 4, 0xDEADBEEF, ws.INVALID_SOCKET, -1, -2, 1 << 63, (1 << 64) - 4, 1 << 64, 1 << 70, -(1 << 70)]
FORGED_IDS = ["0", "1", "4", "0xdeadbeef", "INVALID_SOCKET", "-1", "-2", "2**63", "2**64-4", "2**64",
              "2**70", "-2**70"]


def _assert_not_a_socket(h: int) -> None:
    for _name, fn in HANDLE_CALLS + HANDLE_FIRST_CALLS:
        ws.WSASetLastError(0)
        expect_error(fn(h), ws.WSAENOTSOCK)
    ws.WSASetLastError(0)
    expect_error(ws.accept(h, None, None), ws.WSAENOTSOCK, ws.INVALID_SOCKET)


@pytest.mark.parametrize("handle", FORGED, ids=FORGED_IDS)
def test_forged_handle(tcp: Tuple[int, int], handle: int) -> None:
    """Rows (Handles): closesocket(INVALID_SOCKET), closesocket(0xdeadbeef),
    send / recv / shutdown / getsockopt on a forged handle -> -1, 10038, and
    the open connection is untouched. -1 is INVALID_SOCKET, as in C; values
    no SOCKET holds are never sockets either."""
    client, server = tcp
    _assert_not_a_socket(handle)
    still_works(client, server)


def test_closed_handle(tcp: Tuple[int, int]) -> None:
    """Rows (Handles): closesocket twice -> -1, 10038; every call on a closed
    handle -> -1, 10038, also after its slot is used again by a new
    socket (which works, and is a different handle)."""
    client, server = tcp
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert s != ws.INVALID_SOCKET
    expect_ok(ws.closesocket(s))
    expect_error(ws.closesocket(s), ws.WSAENOTSOCK)
    _assert_not_a_socket(s)
    new = [ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP) for _ in range(4)]
    assert ws.INVALID_SOCKET not in new and s not in new
    _assert_not_a_socket(s)
    for h in new:
        expect_ok(ws.getsockopt(h, ws.SOL_SOCKET, ws.SO_ERROR, ws.DWORD(), ws.c_int(4)))
        expect_ok(ws.closesocket(h))
    still_works(client, server)




@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_raw_fd_numbers(tcp: Tuple[int, int]) -> None:
    """Row (Handles): a handle is never an fd number: the fd of a real open
    socket gives 10038, and the socket behind it is untouched (the core's own
    sockets and one of the stdlib's)."""
    client, server = tcp
    other = stdlib_socket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_STREAM)
    try:
        other.bind(("127.0.0.1", 0))
        name = other.getsockname()
        fds = socket_fds()
        assert other.fileno() in fds and len(fds) >= 3
        for fd in fds:
            _assert_not_a_socket(fd)
        assert other.getsockname() == name
    finally:
        other.close()
    still_works(client, server)
