"""The mirror's fast paths give exactly what its checked paths give.

socket, closesocket, connect, send, recv and shutdown take a fast path when
every argument is an exact int (and, for send and recv, the buffer an exact
bytes or bytearray) that C receives unchanged; anything else goes through the
argument checks. These tests make the same calls both ways -- exact ints
against an int subclass (an IntEnum, a bool-like handle type), bytes against a
memoryview, and send/recv against the checked _send/_recv -- and compare the
return value, WSAGetLastError() and any exception, and the traces recorded.
"""

from __future__ import annotations

import array
import enum
from typing import Any, Callable, Iterator, List, Tuple

import pytest

from portsock import winsock as ws

from conftest import connected_pair, listener

SOCKET_MAX = ws._SOCKET_MAX


class Handle(int):
    """An int subclass: the same value, but not an exact int (checked path)."""


class Family(enum.IntEnum):
    INET = ws.AF_INET
    INET6 = ws.AF_INET6


class How(enum.IntEnum):
    RECEIVE = ws.SD_RECEIVE
    SEND = ws.SD_SEND
    BOTH = ws.SD_BOTH
    BAD = 7


def outcome(call: Callable[..., Any], *args: Any) -> Tuple[Any, ...]:
    """(return value, WSAGetLastError()) or (exception type, message)."""
    ws.WSASetLastError(12345)
    try:
        ret = call(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome
        return ("raised", type(e), str(e))
    err = ws.WSAGetLastError()
    # The last error is unspecified after a success: compare it on failure only.
    failed = ret == ws.SOCKET_ERROR if call not in (ws.socket,) else ret == ws.INVALID_SOCKET
    return (ret, err if failed else 0)


def both_ways(fast: Callable[[], Tuple[Any, ...]], slow: Callable[[], Tuple[Any, ...]]) -> Tuple[Any, ...]:
    """Runs both, traced; asserts the outcomes and the traces are equal."""
    with ws.trace() as t_fast:
        a = fast()
    with ws.trace() as t_slow:
        b = slow()
    assert a == b
    assert t_fast.lines() == t_slow.lines()
    return a


@pytest.fixture
def tcp(wsa: ws.WSADATA) -> Iterator[Tuple[int, int]]:
    client, server = connected_pair()
    for s in (client, server):
        assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(3000), 4) == 0
    yield client, server
    ws.closesocket(client)
    ws.closesocket(server)


def drain(s: int, n: int) -> bytes:
    buf = bytearray(n)
    got = ws.recv(s, buf, n, ws.MSG_WAITALL)
    assert got == n, ws.WSAGetLastError()
    return bytes(buf)


# -- send ------------------------------------------------------------------------

SEND_LENGTHS = [0, 1, 5, 6, 7, -1, 1 << 40]
SEND_FLAGS = [0, ws.MSG_OOB, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 33, -1]


@pytest.mark.parametrize("length", SEND_LENGTHS)
@pytest.mark.parametrize("flags", SEND_FLAGS)
def test_send_bytes_and_bytearray_match_the_checked_path(tcp, length, flags):
    client, server = tcp
    for data in (b"abcdef", bytearray(b"abcdef")):
        fast = outcome(ws.send, client, data, length, flags)
        assert fast == outcome(ws._send, client, data, length, flags)
        assert fast == outcome(ws.send, client, memoryview(data), length, flags)
        assert fast == outcome(ws.send, Handle(client), data, length, flags)
        assert fast == outcome(ws.send, client, array.array("B", data), length, flags)
    # Whatever went out arrived, and the connection still works.
    assert ws.send(client, b"!", 1, 0) == 1


@pytest.mark.parametrize("state", ["open", "shut", "closed", "forged", "too-big"])
def test_send_on_every_handle_state_matches(tcp, state):
    client, server = tcp
    s = client
    if state == "shut":
        assert ws.shutdown(client, ws.SD_SEND) == 0
    elif state == "closed":
        assert ws.closesocket(client) == 0
    elif state == "forged":
        s = 0xDEADBEEF
    elif state == "too-big":
        s = SOCKET_MAX + 1
    for length in (4, 99, -1):
        result = both_ways(lambda n=length: outcome(ws.send, s, b"data", n, 0),
                           lambda n=length: outcome(ws._send, s, b"data", n, 0))
        assert result == outcome(ws.send, s, memoryview(b"data"), length, 0)
        if state in ("shut", "closed", "forged", "too-big"):
            assert result[0] == ws.SOCKET_ERROR
    if state == "shut":
        assert outcome(ws.send, s, b"data", 4, 0) == (ws.SOCKET_ERROR, ws.WSAESHUTDOWN)


def test_send_type_errors_match(tcp):
    client, _ = tcp
    for args in [(client, "text", 4, 0), (client, b"data", 4.0, 0), (client, b"data", 4, None),
                 (float(client), b"data", 4, 0), (client, object(), 4, 0)]:
        assert outcome(ws.send, *args) == outcome(ws._send, *args)
        assert outcome(ws.send, *args)[0] == "raised"


# -- recv ------------------------------------------------------------------------

def test_recv_bytearray_matches_the_checked_path(tcp):
    client, server = tcp
    assert ws.send(server, b"0123456789", 10, 0) == 10
    fast_buf, slow_buf = bytearray(4), bytearray(4)
    assert outcome(ws.recv, client, fast_buf, 4, ws.MSG_PEEK) == outcome(ws._recv, client, slow_buf, 4, ws.MSG_PEEK)
    assert fast_buf == slow_buf == bytearray(b"0123")
    assert outcome(ws.recv, client, fast_buf, 3, 0) == (3, 0)
    assert outcome(ws.recv, client, memoryview(slow_buf), 3, 0) == (3, 0)
    assert fast_buf[:3] == b"012" and slow_buf[:3] == b"345"
    for length in (5, -1, 1 << 40):   # beyond the buffer, negative, beyond int: WSAEFAULT both ways
        assert outcome(ws.recv, client, fast_buf, length, 0) == outcome(ws._recv, client, slow_buf, length, 0)
        assert outcome(ws.recv, client, fast_buf, length, 0) == (ws.SOCKET_ERROR, ws.WSAEFAULT)
    for flags in (0xFFFFFFFF, 1 << 33, -1):
        a = outcome(ws.recv, client, fast_buf, 1, flags)
        assert a == outcome(ws._recv, client, slow_buf, 1, flags)
        assert a == outcome(ws.recv, Handle(client), slow_buf, 1, flags)


def test_recv_would_block_and_after_close_match(tcp):
    client, _ = tcp
    assert ws.ioctlsocket(client, ws.FIONBIO, 1) == 0
    buf = bytearray(16)
    result = both_ways(lambda: outcome(ws.recv, client, buf, 16, 0), lambda: outcome(ws._recv, client, buf, 16, 0))
    assert result == (ws.SOCKET_ERROR, ws.WSAEWOULDBLOCK)
    assert result == outcome(ws.recv, client, memoryview(buf), 16, 0)
    assert result == outcome(ws.recv, Handle(client), buf, 16, 0)
    assert ws.shutdown(client, ws.SD_RECEIVE) == 0
    assert both_ways(lambda: outcome(ws.recv, client, buf, 16, 0),
                     lambda: outcome(ws._recv, client, buf, 16, 0)) == (ws.SOCKET_ERROR, ws.WSAESHUTDOWN)
    assert ws.closesocket(client) == 0
    for s in (client, 0, 4, 0xDEADBEEF, SOCKET_MAX, SOCKET_MAX + 1, -1):
        assert outcome(ws.recv, s, buf, 16, 0) == outcome(ws._recv, s, buf, 16, 0)
        assert outcome(ws.recv, s, buf, 16, 0) == (ws.SOCKET_ERROR, ws.WSAENOTSOCK)


def test_recv_type_errors_match(tcp):
    client, _ = tcp
    for args in [(client, b"bytes", 4, 0), (client, "text", 4, 0), (client, bytearray(4), 4.0, 0),
                 (client, memoryview(b"read-only"), 4, 0), (client, bytearray(4), 4, "0")]:
        assert outcome(ws.recv, *args) == outcome(ws._recv, *args)
        assert outcome(ws.recv, *args)[0] == "raised"


# -- shutdown, closesocket -------------------------------------------------------------

@pytest.mark.parametrize("how", list(How))
def test_shutdown_int_and_intenum_match(wsa, how):
    results = []
    for value in (int(how), how):
        client, server = connected_pair()
        results.append(outcome(ws.shutdown, client, value))
        results.append(outcome(ws.shutdown, client, value))   # again: Winsock allows it
        ws.closesocket(client)
        ws.closesocket(server)
        results.append(outcome(ws.shutdown, client, value))   # closed: WSAENOTSOCK
    assert results[:3] == results[3:]
    assert results[2] == (ws.SOCKET_ERROR, ws.WSAENOTSOCK)


def test_shutdown_out_of_range_how_and_handles_match(tcp):
    client, _ = tcp
    for how in (0xFFFFFFFF, 1 << 33, -1):
        assert outcome(ws.shutdown, client, how) == outcome(ws.shutdown, Handle(client), how)
    for s in (0, 0xDEADBEEF, SOCKET_MAX, SOCKET_MAX + 1, -1):
        assert outcome(ws.shutdown, s, ws.SD_SEND) == outcome(ws.shutdown, Handle(s), ws.SD_SEND)
    assert outcome(ws.shutdown, client, 1.0)[0] == "raised"
    assert outcome(ws.shutdown, client, 1.0) == outcome(ws.shutdown, Handle(client), 1.0)


def test_closesocket_int_and_subclass_match(wsa):
    a, b = connected_pair()
    assert both_ways(lambda: outcome(ws.closesocket, a), lambda: outcome(ws.closesocket, Handle(b))) == (0, 0)
    for s in (a, b, 0, 4, 0xDEADBEEF, SOCKET_MAX, SOCKET_MAX + 1, -1, -(1 << 70)):
        assert outcome(ws.closesocket, s) == outcome(ws.closesocket, Handle(s))
        assert outcome(ws.closesocket, s) == (ws.SOCKET_ERROR, ws.WSAENOTSOCK)
    assert outcome(ws.closesocket, "1")[0] == "raised"


# -- socket ------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    (ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP),
    (ws.AF_INET6, ws.SOCK_STREAM, 0),
    (ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP),
    (-5, ws.SOCK_STREAM, 0),
    (ws.AF_INET, 999, 0),
    (ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_UDP),
    (ws.AF_INET, ws.SOCK_STREAM, 0xFFFFFFFF),
    (1 << 40, ws.SOCK_STREAM, 0),
])
def test_socket_exact_ints_and_subclasses_match(wsa, args):
    fast = outcome(ws.socket, *args)
    slow = outcome(ws.socket, *(Family(a) if a in (ws.AF_INET, ws.AF_INET6) and i == 0 else Handle(a)
                                for i, a in enumerate(args)))
    opened = [r[0] for r in (fast, slow) if r[0] != ws.INVALID_SOCKET]
    for s in opened:
        assert ws.closesocket(s) == 0
    if fast[0] == ws.INVALID_SOCKET:
        assert fast == slow
    else:
        assert len(opened) == 2   # both opened (the handles differ, as two sockets' do)


def test_socket_traces_match(wsa):
    with ws.trace() as t_fast:
        s1 = ws.socket(ws.AF_INET, ws.SOCK_STREAM, 0)
        ws.socket(-5, ws.SOCK_STREAM, 0)
        ws.closesocket(s1)
    with ws.trace() as t_slow:
        s2 = ws.socket(Family.INET, Handle(ws.SOCK_STREAM), Handle(0))
        ws.socket(Handle(-5), ws.SOCK_STREAM, 0)
        ws.closesocket(Handle(s2))
    assert t_fast.lines() == t_slow.lines()


# -- connect -----------------------------------------------------------------------

def _addrinfo(port: int, family: int = ws.AF_INET) -> ws.ADDRINFOA:
    hints = ws.ADDRINFOA(0, family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    result: List[ws.ADDRINFOA] = []
    host = "127.0.0.1" if family == ws.AF_INET else "::1"
    assert ws.getaddrinfo(host, str(port), hints, result) == 0
    return result[0]


def _copy(addr: Any) -> Any:
    """The same address built field by field (no native bytes kept)."""
    if isinstance(addr, ws.sockaddr_in):
        return ws.sockaddr_in(addr.sin_family, addr.sin_port, ws.in_addr(addr.sin_addr.s_addr))
    return ws.sockaddr_in6(addr.sin6_family, addr.sin6_port, ws.in6_addr(bytes(addr.sin6_addr.s6_addr)),
                           addr.sin6_flowinfo, addr.sin6_scope_id)


@pytest.mark.parametrize("family", [ws.AF_INET, ws.AF_INET6])
def test_connect_getaddrinfo_address_and_a_built_one_match(wsa, family):
    lst, bound = listener(family)
    port = ws.ntohs(bound.sin_port if family == ws.AF_INET else bound.sin6_port)
    ai = _addrinfo(port, family)
    assert ai.ai_addr._raw is not None   # the native bytes were kept
    size = ai.ai_addrlen
    for namelen in (size, size - 1, 8, 0, 128, 1 << 16, (1 << 16) + 1, -1, 0xFFFFFFFF):
        results = []
        for name, handle_type in ((ai.ai_addr, int), (_copy(ai.ai_addr), int), (ai.ai_addr, Handle)):
            s = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
            results.append(outcome(ws.connect, handle_type(s), name, namelen))
            ws.closesocket(s)
        assert results[0] == results[1] == results[2], namelen
        if results[0] == (0, 0):
            for _ in results:   # accept what connected, so the backlog never fills
                ws.closesocket(ws.accept(lst, None, None))
    ws.closesocket(lst)


def test_connect_after_the_fields_change_goes_where_they_say(wsa):
    """The kept native bytes are used only while the fields are unchanged."""
    lst_a, bound_a = listener()
    lst_b, bound_b = listener()
    ai = _addrinfo(ws.ntohs(bound_a.sin_port))
    ai.ai_addr.sin_port = bound_b.sin_port
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert ws.connect(s, ai.ai_addr, ai.ai_addrlen) == 0
    peer = ws.sockaddr_in()
    assert ws.getpeername(s, peer, ws.c_int(ws.sizeof(peer))) == 0
    assert peer.sin_port == bound_b.sin_port
    ws.closesocket(s)
    ai.ai_addr.sin_family = ws.AF_INET6    # no longer what the structure holds
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert outcome(ws.connect, s, ai.ai_addr, ai.ai_addrlen) == (ws.SOCKET_ERROR, ws.WSAEAFNOSUPPORT)
    ws.closesocket(s)
    for lst in (lst_a, lst_b):
        ws.closesocket(lst)


def test_connect_refused_closed_and_bad_names_match(wsa):
    lst, bound = listener()
    port = ws.ntohs(bound.sin_port)
    ai = _addrinfo(port)
    ws.closesocket(lst)   # nothing listens there now
    cases = [(ai.ai_addr, ai.ai_addrlen), (_copy(ai.ai_addr), ai.ai_addrlen), (None, 16)]
    for name, namelen in cases:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        fast = outcome(ws.connect, s, name, namelen)
        ws.closesocket(s)
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        slow = outcome(ws.connect, Handle(s), name, Handle(namelen))
        ws.closesocket(s)
        assert fast == slow
        # closed handle: WSAENOTSOCK both ways, whatever the name
        assert outcome(ws.connect, s, name, namelen) == outcome(ws.connect, Handle(s), name, namelen)
    for bad in ("127.0.0.1", 5, ai):
        assert outcome(ws.connect, 1, bad, 16) == outcome(ws.connect, Handle(1), bad, 16)
        assert outcome(ws.connect, 1, bad, 16)[0] == "raised"


# -- before startup ---------------------------------------------------------------------

def test_calls_before_startup_match():
    """With the socket layer stopped, both paths give WSANOTINITIALISED."""
    while ws.WSACleanup() == 0:
        pass
    buf = bytearray(4)
    pairs = [
        (lambda: outcome(ws.socket, ws.AF_INET, ws.SOCK_STREAM, 0),
         lambda: outcome(ws.socket, Family.INET, Handle(ws.SOCK_STREAM), 0)),
        (lambda: outcome(ws.send, 1, b"x", 1, 0), lambda: outcome(ws._send, 1, b"x", 1, 0)),
        (lambda: outcome(ws.send, 1, b"x", 5, 0), lambda: outcome(ws._send, 1, b"x", 5, 0)),
        (lambda: outcome(ws.recv, 1, buf, 4, 0), lambda: outcome(ws._recv, 1, buf, 4, 0)),
        (lambda: outcome(ws.shutdown, 1, ws.SD_SEND), lambda: outcome(ws.shutdown, Handle(1), ws.SD_SEND)),
        (lambda: outcome(ws.closesocket, 1), lambda: outcome(ws.closesocket, Handle(1))),
        (lambda: outcome(ws.connect, 1, ws.sockaddr_in(ws.AF_INET), 16),
         lambda: outcome(ws.connect, Handle(1), ws.sockaddr_in(ws.AF_INET), 16)),
    ]
    for fast, slow in pairs:
        result = both_ways(fast, slow)
        assert result[1] == ws.WSANOTINITIALISED, result


def test_wsagetlasterror_is_the_cores():
    ws.WSASetLastError(ws.WSAECONNRESET)
    assert ws.WSAGetLastError() == ws.WSAECONNRESET
    assert type(ws.WSAGetLastError()) is int
    ws.WSASetLastError(0)
    assert ws.WSAGetLastError() == 0


def test_nul_in_names_is_still_refused(wsa):
    """The NUL tests of getaddrinfo, inet_addr and inet_pton (`0 in` the
    encoded text): a NUL anywhere, and only a NUL, refuses the text."""
    assert ws.getaddrinfo("local\0host", "80", None, []) == ws.WSAHOST_NOT_FOUND
    assert ws.getaddrinfo("localhost", "8\0", None, []) == ws.WSATYPE_NOT_FOUND
    assert ws.getaddrinfo("\0", None, None, []) == ws.WSAHOST_NOT_FOUND
    result: List[ws.ADDRINFOA] = []
    assert ws.getaddrinfo("127.0.0.1", "0", None, result) == 0 and result
    assert ws.inet_addr("1.2.3.4\0") == ws.INADDR_NONE
    assert ws.inet_addr("1.2.3.4") == ws.inet_addr("1.2.3.4") != ws.INADDR_NONE
    assert ws.inet_pton(ws.AF_INET, "1.2.3.4\0junk", ws.in_addr()) == 0
    assert ws.WSAGetLastError() == ws.WSAEINVAL
    assert ws.inet_pton(ws.AF_INET, "1.2.3.4", ws.in_addr()) == 1
