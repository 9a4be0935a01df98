"""docs/winsock-rules.md, POLL-1 to POLL-12 (WSAPoll): every rule, through portsock.winsock on real
loopback sockets, with Windows' exact codes and flags (checked against real
Winsock under Wine 8, and against Microsoft's documentation where Wine 8
differs: src/portsock/_parity/wine_differences.py). Every wait is bounded: a timeout
of a few seconds at most, or an infinite one only where another thread makes
the socket ready; every thread is joined with a bound.
"""

from __future__ import annotations

import threading
import time
from typing import List, Tuple

import pytest
from child_util import tcp, udp

from portsock import winsock as ws

from conftest import abort, connected_pair, expect_error, listener, loopback

FORGED = 0xDEADBEEF
JUNK = 0x7777   # revents before the call: WSAPoll must write every entry it looks at


def poll(entries: List[Tuple[int, int]], timeout: int = 0) -> Tuple[int, int, List[int]]:
    """(ret, WSAGetLastError() after a failure or 0, each entry's revents)."""
    fds = [ws.WSAPOLLFD(fd, events, JUNK) for fd, events in entries]
    ret = ws.WSAPoll(fds, len(fds), timeout)
    return ret, ws.WSAGetLastError() if ret < 0 else 0, [f.revents for f in fds]


@pytest.mark.rule("POLL-1")
def test_constants_have_winsocks_values() -> None:
    assert (ws.POLLRDNORM, ws.POLLRDBAND, ws.POLLIN, ws.POLLPRI) == (0x100, 0x200, 0x300, 0x400)
    assert (ws.POLLWRNORM, ws.POLLOUT, ws.POLLWRBAND) == (0x10, 0x10, 0x20)
    assert (ws.POLLERR, ws.POLLHUP, ws.POLLNVAL) == (1, 2, 4)


@pytest.mark.rule("POLL-1")
def test_wsapollfd_defaults_and_types() -> None:
    f = ws.WSAPOLLFD()
    assert (f.fd, f.events, f.revents) == (ws.INVALID_SOCKET, 0, 0)
    assert ws.pollfd is ws.WSAPOLLFD
    with pytest.raises(TypeError):
        ws.WSAPOLLFD("4")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ws.WSAPoll([(4, 1)], 1, 0)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        ws.WSAPoll((ws.WSAPOLLFD(),), 1, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ws.WSAPoll([ws.WSAPOLLFD()], 1, 0.5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Arguments

@pytest.mark.rule("POLL-11")
def test_before_startup_is_wsanotinitialised() -> None:
    assert poll([(0x30, ws.POLLIN)]) == (-1, ws.WSANOTINITIALISED, [JUNK])


@pytest.mark.rule("POLL-2")
def test_nfds_zero_is_wsaeinval(wsa: ws.WSADATA) -> None:
    expect_error(ws.WSAPoll([], 0, 0), ws.WSAEINVAL)
    s = udp()
    expect_error(ws.WSAPoll([ws.WSAPOLLFD(s, ws.POLLOUT)], 0, 1000), ws.WSAEINVAL)
    ws.closesocket(s)


@pytest.mark.rule("POLL-3")
def test_null_array_is_wsaefault_and_fds_beyond_the_list_too(wsa: ws.WSADATA) -> None:
    expect_error(ws.WSAPoll(None, 1, 0), ws.WSAEFAULT)
    expect_error(ws.WSAPoll([ws.WSAPOLLFD()], 2, 0), ws.WSAEFAULT)
    expect_error(ws.WSAPoll([ws.WSAPOLLFD()], -1, 0), ws.WSAEFAULT)   # a ULONG of 2**32 - 1


@pytest.mark.rule("POLL-3")
def test_fds_below_the_list_polls_the_first_entries(wsa: ws.WSADATA) -> None:
    s = udp()
    fds = [ws.WSAPOLLFD(s, ws.POLLOUT, JUNK), ws.WSAPOLLFD(FORGED, ws.POLLIN, JUNK)]
    assert ws.WSAPoll(fds, 1, 0) == 1
    assert (fds[0].revents, fds[1].revents) == (ws.POLLWRNORM, JUNK)
    ws.closesocket(s)


@pytest.mark.rule("POLL-6")
def test_a_forged_handle_alone_is_wsaenotsock_with_pollnval(wsa: ws.WSADATA) -> None:
    assert poll([(FORGED, ws.POLLIN)]) == (-1, ws.WSAENOTSOCK, [ws.POLLNVAL])
    s = udp()
    assert ws.closesocket(s) == 0
    assert poll([(s, ws.POLLIN), (4, ws.POLLOUT)]) == (-1, ws.WSAENOTSOCK, [ws.POLLNVAL, ws.POLLNVAL])


@pytest.mark.rule("POLL-6")
def test_a_forged_handle_among_valid_ones_is_reported_not_counted(wsa: ws.WSADATA) -> None:
    s = udp()
    assert poll([(FORGED, ws.POLLIN), (s, ws.POLLOUT)]) == (1, 0, [ws.POLLNVAL, ws.POLLWRNORM])
    t0 = time.monotonic()
    # ... and does not end the wait (Wine 8).
    assert poll([(s, ws.POLLIN), (FORGED, ws.POLLIN)], 200) == (0, 0, [0, ws.POLLNVAL])
    assert 0.18 <= time.monotonic() - t0 < 1.0
    ws.closesocket(s)


@pytest.mark.rule("POLL-5")
def test_a_negative_fd_is_ignored_and_its_revents_cleared(wsa: ws.WSADATA) -> None:
    s = udp()
    assert poll([(ws.INVALID_SOCKET, ws.POLLIN), (s, ws.POLLOUT)]) == (1, 0, [0, ws.POLLWRNORM])
    assert poll([(-5, ws.POLLPRI), (s, ws.POLLOUT)]) == (1, 0, [0, ws.POLLWRNORM])   # its events unread
    # Nothing but ignored entries: no socket to wait on (MS docs: WSAEINVAL).
    assert poll([(ws.INVALID_SOCKET, ws.POLLIN)]) == (-1, ws.WSAEINVAL, [0])
    ws.closesocket(s)


@pytest.mark.parametrize("events", [ws.POLLPRI, ws.POLLWRBAND, ws.POLLOUT | ws.POLLWRBAND, ws.POLLERR,
                                    ws.POLLHUP, ws.POLLNVAL, 0x8000, 0x0008 | ws.POLLIN])
@pytest.mark.rule("POLL-4")
def test_events_the_provider_does_not_take_are_wsaeinval(wsa: ws.WSADATA, events: int) -> None:
    s = udp()
    assert poll([(s, events)]) == (-1, ws.WSAEINVAL, [JUNK])
    ws.closesocket(s)


@pytest.mark.parametrize("events", [0, ws.POLLRDNORM, ws.POLLRDBAND, ws.POLLWRNORM, ws.POLLIN | ws.POLLOUT])
@pytest.mark.rule("POLL-4")
def test_events_the_provider_takes(wsa: ws.WSADATA, events: int) -> None:
    s = udp()
    ret, err, revents = poll([(s, events)])
    assert err == 0 and revents == [events & ws.POLLWRNORM] and ret == (1 if revents[0] else 0)
    ws.closesocket(s)


# --------------------------------------------------------------------------
# Timeouts

@pytest.mark.rule("POLL-9")
def test_timeout_zero_returns_at_once_and_n_waits_n_ms(wsa: ws.WSADATA) -> None:
    s = tcp()
    t0 = time.monotonic()
    assert poll([(s, ws.POLLIN | ws.POLLOUT)], 0) == (0, 0, [0])
    assert time.monotonic() - t0 < 0.15
    t0 = time.monotonic()
    assert poll([(s, ws.POLLIN | ws.POLLOUT)], 300) == (0, 0, [0])
    assert 0.28 <= time.monotonic() - t0 < 1.0
    ws.closesocket(s)


@pytest.mark.parametrize("timeout", [-1, -5, 0xFFFFFFFF])
@pytest.mark.rule("POLL-9")
def test_a_negative_timeout_waits_until_ready(pair: Tuple[int, int], timeout: int) -> None:
    c, s = pair
    sender = threading.Timer(0.3, lambda: ws.send(s, b"late", 4, 0))
    sender.start()
    t0 = time.monotonic()
    try:
        assert poll([(c, ws.POLLIN)], timeout) == (1, 0, [ws.POLLRDNORM])
    finally:
        sender.join(5)
    assert 0.25 <= time.monotonic() - t0 < 3


# --------------------------------------------------------------------------
# What revents says

@pytest.mark.rule("POLL-10")
def test_unconnected_tcp_socket_reports_nothing(wsa: ws.WSADATA) -> None:
    s = tcp()
    assert poll([(s, ws.POLLIN | ws.POLLOUT)]) == (0, 0, [0])
    assert poll([(s, 0)]) == (0, 0, [0])
    ws.closesocket(s)


@pytest.mark.rule("POLL-7")
def test_connected_socket_writable_then_readable(pair: Tuple[int, int]) -> None:
    c, s = pair
    assert poll([(c, ws.POLLIN)]) == (0, 0, [0])
    assert poll([(c, ws.POLLIN | ws.POLLOUT)]) == (1, 0, [ws.POLLWRNORM])
    assert ws.send(s, b"hello", 5, 0) == 5
    time.sleep(0.05)
    assert poll([(c, ws.POLLIN)]) == (1, 0, [ws.POLLRDNORM])     # never POLLRDBAND for normal data
    assert poll([(c, ws.POLLRDBAND)]) == (0, 0, [0])
    assert poll([(c, ws.POLLIN), (s, ws.POLLIN)]) == (1, 0, [ws.POLLRDNORM, 0])


@pytest.mark.rule("POLL-7")
def test_fin_is_pollrdnorm_while_data_remains_then_pollhup(pair: Tuple[int, int]) -> None:
    c, s = pair
    assert ws.send(s, b"hello", 5, 0) == 5
    assert ws.shutdown(s, ws.SD_SEND) == 0
    time.sleep(0.05)
    assert poll([(c, ws.POLLIN)]) == (1, 0, [ws.POLLRDNORM])
    assert poll([(c, 0)]) == (0, 0, [0])
    assert ws.recv(c, bytearray(16), 16, 0) == 5
    assert poll([(c, ws.POLLIN)]) == (1, 0, [ws.POLLHUP])
    assert poll([(c, ws.POLLIN | ws.POLLOUT)]) == (1, 0, [ws.POLLHUP | ws.POLLWRNORM])
    assert poll([(c, 0)]) == (1, 0, [ws.POLLHUP])                # reported without being asked
    assert ws.recv(c, bytearray(16), 16, 0) == 0


@pytest.mark.rule("POLL-7")
def test_reset_is_pollhup_and_pollerr(pair: Tuple[int, int]) -> None:
    c, s = pair
    abort(s)
    assert poll([(c, ws.POLLIN)]) == (1, 0, [ws.POLLHUP | ws.POLLERR])
    assert poll([(c, ws.POLLOUT)]) == (1, 0, [ws.POLLHUP | ws.POLLERR | ws.POLLWRNORM])
    assert poll([(c, 0)]) == (1, 0, [ws.POLLHUP | ws.POLLERR])
    expect_error(ws.recv(c, bytearray(8), 8, 0), ws.WSAECONNRESET)   # the reset is kept for recv


@pytest.mark.rule("POLL-8")
def test_a_failed_connect_is_pollhup_pollerr(wsa: ws.WSADATA) -> None:
    lst, bound = listener()
    ws.closesocket(lst)   # nobody listens there any more
    s = tcp()
    assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
    expect_error(ws.connect(s, bound, ws.sizeof(bound)), ws.WSAEWOULDBLOCK)
    assert poll([(s, ws.POLLOUT)], 3000) == (1, 0, [ws.POLLHUP | ws.POLLERR | ws.POLLWRNORM])
    assert poll([(s, ws.POLLIN)]) == (1, 0, [ws.POLLHUP | ws.POLLERR])
    value, length = ws.DWORD(), ws.c_int(4)
    assert ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, value, length) == 0
    assert value.value == ws.WSAECONNREFUSED
    assert poll([(s, ws.POLLOUT)]) == (1, 0, [ws.POLLHUP | ws.POLLERR | ws.POLLWRNORM])
    ws.closesocket(s)


@pytest.mark.rule("POLL-7")
def test_a_successful_connect_is_pollwrnorm(wsa: ws.WSADATA) -> None:
    lst, bound = listener()
    s = tcp()
    assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
    expect_error(ws.connect(s, bound, ws.sizeof(bound)), ws.WSAEWOULDBLOCK)
    assert poll([(s, ws.POLLOUT)], 3000) == (1, 0, [ws.POLLWRNORM])
    ws.closesocket(s)
    ws.closesocket(lst)


@pytest.mark.rule("POLL-7")
def test_a_listener_with_a_pending_connection_is_pollrdnorm(wsa: ws.WSADATA) -> None:
    lst, bound = listener()
    assert poll([(lst, ws.POLLIN | ws.POLLOUT)]) == (0, 0, [0])
    c = tcp()
    assert ws.connect(c, bound, ws.sizeof(bound)) == 0
    assert poll([(lst, ws.POLLIN | ws.POLLOUT)], 1000) == (1, 0, [ws.POLLRDNORM])
    ws.closesocket(c)
    ws.closesocket(lst)


@pytest.mark.rule("LIFE-2", "POLL-7")
def test_udp_datagram_is_pollrdnorm(wsa: ws.WSADATA) -> None:
    s = udp()
    addr, size = loopback()
    assert ws.bind(s, addr, size) == 0
    bound = ws.sockaddr_in()
    assert ws.getsockname(s, bound, ws.c_int(size)) == 0
    assert poll([(s, ws.POLLIN)]) == (0, 0, [0])
    assert ws.sendto(s, b"dgram", 5, 0, bound, ws.sizeof(bound)) == 5
    assert poll([(s, ws.POLLIN | ws.POLLOUT)], 1000) == (1, 0, [ws.POLLRDNORM | ws.POLLWRNORM])
    ws.closesocket(s)


# --------------------------------------------------------------------------
# closesocket from another thread while WSAPoll waits (Wine 8's behaviour)

@pytest.mark.parametrize("connected", [False, True], ids=["unconnected", "connected"])
@pytest.mark.rule("POLL-12")
def test_a_socket_closed_during_wsapoll_is_pollnval(wsa: ws.WSADATA, connected: bool) -> None:
    if connected:
        c, peer = connected_pair()
    else:
        c, peer = tcp(), ws.INVALID_SOCKET
    closer = threading.Timer(0.3, ws.closesocket, (c,))
    closer.start()
    t0 = time.monotonic()
    try:
        assert poll([(c, ws.POLLIN)], 3000) == (1, 0, [ws.POLLNVAL])
    finally:
        closer.join(5)
    assert 0.25 <= time.monotonic() - t0 < 1.5
    if connected:
        ws.closesocket(peer)


# --------------------------------------------------------------------------
# Tracing

def test_wsapoll_is_traced(wsa: ws.WSADATA) -> None:
    s = udp()
    with ws.trace() as t:
        ws.WSAPoll([ws.WSAPOLLFD(s, ws.POLLOUT)], 1, 0)
        ws.WSAPoll([], 0, 0)
    assert t.entries == [{"call": "WSAPoll", "ret": 1, "err": 0},
                         {"call": "WSAPoll", "ret": -1, "err": ws.WSAEINVAL}]
    ws.closesocket(s)
