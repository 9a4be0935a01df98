"""The Winsock 2 calls without overlapped I/O (docs/porting.md, section 10):
WSASocketA/W, WSASend, WSARecv, WSASendTo, WSARecvFrom, WSASendDisconnect,
WSARecvDisconnect and WSAIoctl, through the mirror on the POSIX core, on real
loopback sockets. The wsa_* parity scenarios pin the same rules against real
Winsock under Wine; the last test runs the core's Windows backend under Wine
for the one rule of portsock's own there (overlapped arguments refused).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import List, Tuple

if sys.platform != "win32":
    import fcntl

import childrun
import pytest

from portsock import winsock as ws
from portsock._core import lib

from parity import native

UNWRITTEN = 0x7777

_start_children, child = childrun.scenarios("signal_child.py", 30.0)


def send_bufs(*sizes: int) -> List[ws.WSABUF]:
    return [ws.WSABUF(n, bytes([ord("a") + i]) * n) for i, n in enumerate(sizes)]


def recv_bufs(*sizes: int) -> Tuple[List[ws.WSABUF], List[bytearray]]:
    raw = [bytearray(b"." * n) for n in sizes]
    return [ws.WSABUF(n, b) for n, b in zip(sizes, raw)], raw


def timeouts(*socks: int, ms: int = 5000) -> None:
    for s in socks:
        assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0
        assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4) == 0


def udp_bound() -> Tuple[int, ws.sockaddr_in]:
    u = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(u, addr, ws.sizeof(addr)) == 0
    assert ws.getsockname(u, addr, ws.c_int(ws.sizeof(addr))) == 0
    timeouts(u)
    return u, addr


# -- WSASend and WSARecv: the buffers, the counts, the flags ------------------------

def test_gather_then_scatter_keeps_the_bytes_in_order(pair):
    c, s = pair
    timeouts(c, s)
    sent = ws.DWORD(UNWRITTEN)
    assert ws.WSASend(c, send_bufs(3, 0, 2, 4), 4, sent, 0) == 0
    assert sent.value == 9
    bufs, raw = recv_bufs(2, 10)
    got, flags = ws.DWORD(UNWRITTEN), ws.DWORD(0)
    assert ws.WSARecv(s, bufs, 2, got, flags) == 0
    assert (got.value, flags.value) == (9, 0)
    assert [bytes(r) for r in raw] == [b"aa", b"accdddd..."]


def test_more_buffers_than_one_system_call_takes(pair):
    """IOV_MAX (1024 on Linux) buffers at most go to one sendmsg: a blocking
    WSASend still sends them all, and WSARecv fills as many."""
    c, s = pair
    timeouts(c, s)
    count = 1500
    sent = ws.DWORD()
    assert ws.WSASend(c, [ws.WSABUF(2, bytes([48 + i % 10]) * 2) for i in range(count)], count, sent, 0) == 0
    assert sent.value == 2 * count
    want = b"".join(bytes([48 + i % 10]) * 2 for i in range(count))
    got = b""
    for _ in range(100):
        if len(got) == len(want):
            break
        bufs, raw = recv_bufs(*([1] * count))
        n = ws.DWORD()
        assert ws.WSARecv(s, bufs, count, n, ws.DWORD(0)) == 0
        got += b"".join(bytes(r) for r in raw)[:n.value]
    assert got == want


def test_a_datagram_over_more_buffers_than_iov_max_is_one_datagram(wsa):
    u, addr = udp_bound()
    count = 1100
    sent = ws.DWORD()
    assert ws.WSASendTo(u, [ws.WSABUF(1, b"z")] * count, count, sent, 0, addr, ws.sizeof(addr)) == 0
    assert sent.value == count
    bufs, raw = recv_bufs(*([1] * count))
    n = ws.DWORD(UNWRITTEN)
    assert ws.WSARecv(u, bufs, count, n, ws.DWORD(0)) == 0
    assert n.value == count and all(bytes(r) == b"z" for r in raw)
    ws.closesocket(u)


def test_wsasend_rules(pair):
    c, s = pair
    n = ws.DWORD(UNWRITTEN)
    assert ws.WSASend(c, send_bufs(1), 1, None, 0) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSASend(c, None, 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSASend(c, [ws.WSABUF(4, None)], 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSASend(c, send_bufs(1), 2, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSASend(c, [ws.WSABUF(5, b"abc")], 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert n.value == UNWRITTEN   # a failure writes no count
    assert ws.WSASend(c, None, 0, n, 0) == 0 and n.value == 0
    assert ws.WSASend(c, [ws.WSABUF(0, None)], 1, n, 0) == 0 and n.value == 0
    assert ws.WSASend(c, send_bufs(1), 1, n, 0x10000) == -1 and ws.WSAGetLastError() == ws.WSAEOPNOTSUPP
    assert ws.shutdown(c, ws.SD_SEND) == 0
    assert ws.WSASend(c, send_bufs(1), 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAESHUTDOWN
    u = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert ws.WSASend(u, send_bufs(1), 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAENOTCONN
    ws.closesocket(u)
    assert ws.WSASend(u, send_bufs(1), 1, n, 0) == -1 and ws.WSAGetLastError() == ws.WSAENOTSOCK


def test_wsarecv_rules(pair):
    c, s = pair
    timeouts(c, s)
    bufs, raw = recv_bufs(4)
    assert ws.WSARecv(s, bufs, 1, ws.DWORD(), None) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSARecv(s, None, 1, ws.DWORD(), ws.DWORD(0)) == -1 and ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.WSARecv(s, [ws.WSABUF(4, None)], 1, ws.DWORD(), ws.DWORD(0)) == -1
    assert ws.WSAGetLastError() == ws.WSAEFAULT
    assert ws.send(c, b"hello", 5, 0) == 5
    time.sleep(0.05)
    flags, n = ws.DWORD(ws.MSG_PEEK), ws.DWORD(UNWRITTEN)
    assert ws.WSARecv(s, bufs, 1, n, flags) == 0
    assert (n.value, flags.value, bytes(raw[0])) == (4, ws.MSG_PEEK, b"hell")   # flags left as passed
    # The count may be NULL: the bytes are received, the count not kept.
    assert ws.WSARecv(s, bufs, 1, None, ws.DWORD(0)) == 0 and bytes(raw[0]) == b"hell"
    assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == 0 and n.value == 1
    # The peer's FIN: 0, and a count of 0, every time.
    ws.closesocket(c)
    for _ in range(2):
        n.value = UNWRITTEN
        assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == 0 and n.value == 0
    assert ws.shutdown(s, ws.SD_RECEIVE) == 0
    assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == -1 and ws.WSAGetLastError() == ws.WSAESHUTDOWN


def test_a_datagram_too_long_fills_the_buffers_and_fails(wsa):
    u, addr = udp_bound()
    assert ws.sendto(u, b"0123456789", 10, 0, addr, ws.sizeof(addr)) == 10
    bufs, raw = recv_bufs(3, 3)
    n, flags = ws.DWORD(UNWRITTEN), ws.DWORD(0)
    frm, frmlen = ws.sockaddr_in(), ws.c_int(16)
    assert ws.WSARecvFrom(u, bufs, 2, n, flags, frm, frmlen) == -1
    assert ws.WSAGetLastError() == ws.WSAEMSGSIZE
    assert [bytes(r) for r in raw] == [b"012", b"345"]
    assert (n.value, flags.value) == (UNWRITTEN, 0)   # left unwritten, as by Wine 8
    # The rest of it is gone; the next datagram is whole.
    assert ws.sendto(u, b"ab", 2, 0, addr, ws.sizeof(addr)) == 2
    assert ws.WSARecvFrom(u, bufs, 2, n, flags, frm, frmlen) == 0 and n.value == 2
    assert ws.ntohs(frm.sin_port) == ws.ntohs(addr.sin_port) and frmlen.value == 16
    ws.closesocket(u)


def test_wsarecv_nonblocking_and_timeout(pair):
    c, s = pair
    bufs, _ = recv_bufs(8)
    assert ws.ioctlsocket(s, ws.FIONBIO, ws.u_long(1)) == 0
    n = ws.DWORD(UNWRITTEN)
    assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == -1 and ws.WSAGetLastError() == ws.WSAEWOULDBLOCK
    assert n.value == UNWRITTEN
    assert ws.ioctlsocket(s, ws.FIONBIO, ws.u_long(0)) == 0
    timeouts(s, ms=300)
    t0 = time.monotonic()
    assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == -1 and ws.WSAGetLastError() == ws.WSAETIMEDOUT
    assert 0.25 <= time.monotonic() - t0 < 3


def test_closesocket_wakes_a_blocked_wsarecv_with_wsaeintr(pair):
    c, s = pair
    timeouts(s, ms=20000)
    result: List[Tuple[int, int]] = []

    def blocked() -> None:
        bufs, _ = recv_bufs(4, 4)
        ret = ws.WSARecv(s, bufs, 2, ws.DWORD(), ws.DWORD(0))
        result.append((ret, ws.WSAGetLastError()))

    t = threading.Thread(target=blocked, daemon=True)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()
    assert ws.closesocket(s) == 0
    t.join(5)
    assert result == [(-1, ws.WSAEINTR)]


def test_closesocket_wakes_a_blocked_wsasend_with_wsaeintr(pair):
    c, s = pair
    timeouts(c, ms=20000)
    big = [ws.WSABUF(1 << 20, bytes(1 << 20))] * 16
    result: List[Tuple[int, int]] = []

    def blocked() -> None:
        n = ws.DWORD()
        ret = ws.WSASend(c, big, len(big), n, 0)
        result.append((ret, ws.WSAGetLastError() if ret else 0))

    t = threading.Thread(target=blocked, daemon=True)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()   # the peer reads nothing: the send sleeps on a full buffer
    assert ws.closesocket(c) == 0
    t.join(5)
    # Bytes that went out are reported (0 and the count), as by send; else WSAEINTR.
    assert result in ([(0, 0)], [(-1, ws.WSAEINTR)])


# The child signals itself with os.kill(getpid(), SIGINT) during a blocked call: POSIX signals.
# On Windows os.kill with SIGINT ends the process (TerminateProcess), and no Winsock call sees a
# signal (win32.c's ps_set_signal_hook keeps the hook and never calls it).
posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals (os.kill(getpid(), "
                                   "SIGINT) during a call); a Winsock call never sees a signal")


@posix_signals
@pytest.mark.parametrize("scenario", ["int_mirror_wsarecv none", "int_mirror_wsarecv 30"])
def test_sigint_interrupts_wsarecv_and_the_socket_stays_usable(scenario):
    out = child(scenario)
    assert out["outcome"] == "KeyboardInterrupt", out
    assert out["latency"] is not None and 0 <= out["latency"] < 0.5, out
    assert out["after"] == [0, 0], out   # a second WSARecv gets the peer's late data


@posix_signals
def test_a_returning_handler_wsarecv_keeps_its_remaining_timeout():
    out = child("resume_mirror_wsarecv_timeout")
    assert (out.get("ret"), out["last_error"]) == (ws.SOCKET_ERROR, ws.WSAETIMEDOUT), out
    assert 1.4 <= out["seconds"] < 2.3, out
    assert out["handled_during_call"] >= 1, out


# -- overlapped I/O is refused ------------------------------------------------------

def test_overlapped_arguments_are_wsaeopnotsupp_and_start_nothing(pair):
    c, s = pair
    timeouts(s, ms=300)
    ov = object()
    n, f = ws.DWORD(UNWRITTEN), ws.DWORD(0)
    calls = [
        lambda: ws.WSASend(c, send_bufs(3), 1, n, 0, ov),
        lambda: ws.WSASend(c, send_bufs(3), 1, n, 0, None, print),
        lambda: ws.WSASendTo(c, send_bufs(3), 1, n, 0, None, 0, ov),
        lambda: ws.WSARecv(s, recv_bufs(3)[0], 1, n, f, ov),
        lambda: ws.WSARecvFrom(s, recv_bufs(3)[0], 1, n, f, None, None, None, print),
        lambda: ws.WSAIoctl(s, ws.FIONREAD, None, 0, ws.u_long(), 4, n, ov),
    ]
    for call in calls:
        assert call() == -1 and ws.WSAGetLastError() == ws.WSAEOPNOTSUPP
    assert n.value == UNWRITTEN
    # Nothing went out: the peer's receive times out.
    assert ws.recv(s, bytearray(8), 8, 0) == -1 and ws.WSAGetLastError() == ws.WSAETIMEDOUT
    # Refused before anything else: a closed handle, before startup too.
    ws.closesocket(c)
    assert ws.WSASend(c, send_bufs(1), 1, n, 0, ov) == -1 and ws.WSAGetLastError() == ws.WSAEOPNOTSUPP


# -- WSASocketA / WSASocketW -----------------------------------------------------------

def test_wsasocket_makes_sockets_for_the_whole_lifecycle(wsa):
    lst = ws.WSASocketW(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP, None, 0, ws.WSA_FLAG_OVERLAPPED)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(lst, addr, ws.sizeof(addr)) == 0 and ws.listen(lst, 4) == 0
    assert ws.getsockname(lst, addr, ws.c_int(ws.sizeof(addr))) == 0
    c = ws.WSASocketA(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP, None, 0,
                      ws.WSA_FLAG_OVERLAPPED | ws.WSA_FLAG_NO_HANDLE_INHERIT)
    assert c != ws.INVALID_SOCKET
    # Never inherited by a child process, with the flag or without (on Windows the flag is
    # what makes it so: the socket's handle is not inheritable).
    if sys.platform == "win32":
        assert not os.get_handle_inheritable(lib.ps_native_handle(c))
    else:
        assert fcntl.fcntl(lib.ps_native_handle(c), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    assert ws.connect(c, addr, ws.sizeof(addr)) == 0
    s = ws.accept(lst, None, None)
    timeouts(c, s)
    assert ws.WSASend(c, send_bufs(4, 4), 2, ws.DWORD(), 0) == 0
    assert ws.WSASendDisconnect(c) == 0
    got = b""
    for _ in range(10):
        bufs, raw = recv_bufs(64)
        n = ws.DWORD()
        assert ws.WSARecv(s, bufs, 1, n, ws.DWORD(0)) == 0
        if n.value == 0:
            break
        got += bytes(raw[0][:n.value])
    assert got == b"aaaabbbb"
    assert ws.WSASendDisconnect(s) == 0
    n = ws.DWORD(UNWRITTEN)
    assert ws.WSARecv(c, recv_bufs(8)[0], 1, n, ws.DWORD(0)) == 0 and n.value == 0
    for h in (c, s, lst):
        assert ws.closesocket(h) == 0


def test_wsasocket_rules(wsa):
    assert ws.WSASocketA(ws.AF_INET, ws.SOCK_STREAM, 0, object()) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSAEINVAL   # no WSAPROTOCOL_INFO can be taken
    assert ws.WSASocketA(999, ws.SOCK_STREAM, 0) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSAEAFNOSUPPORT
    for g, flags in ((1, 0), (0, 0x40000000), (0, ws.WSA_FLAG_REGISTERED_IO)):
        h = ws.WSASocketA(ws.AF_INET, ws.SOCK_DGRAM, 0, None, g, flags)
        assert h != ws.INVALID_SOCKET   # accepted as Windows (Wine 8) accepts them
        ws.closesocket(h)


def test_wsasocket_before_startup():
    while ws.WSACleanup() == 0:   # on Windows CPython's _socket holds a reference of its own
        pass
    assert ws.WSASocketA(ws.AF_INET, ws.SOCK_STREAM, 0) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


# -- WSASendDisconnect / WSARecvDisconnect -------------------------------------------

def test_disconnects_are_the_lifecycles_shutdowns(pair):
    c, s = pair
    timeouts(c, s)
    assert ws.WSASendDisconnect(c, ws.WSABUF(3, b"abc")) == -1
    assert ws.WSAGetLastError() == ws.WSAENOPROTOOPT
    assert ws.send(c, b"x", 1, 0) == 1   # nothing was shut down
    assert ws.WSARecvDisconnect(s, ws.WSABUF(4, bytearray(b"keep"))) == 0
    assert ws.recv(s, bytearray(4), 4, 0) == -1 and ws.WSAGetLastError() == ws.WSAESHUTDOWN
    assert ws.WSASendDisconnect(c) == 0
    assert ws.send(c, b"x", 1, 0) == -1 and ws.WSAGetLastError() == ws.WSAESHUTDOWN
    u = ws.socket(ws.AF_INET, ws.SOCK_STREAM, 0)
    assert ws.WSASendDisconnect(u) == -1 and ws.WSAGetLastError() == ws.WSAENOTCONN
    assert ws.WSARecvDisconnect(u) == -1 and ws.WSAGetLastError() == ws.WSAENOTCONN
    ws.closesocket(u)
    assert ws.WSASendDisconnect(u) == -1 and ws.WSAGetLastError() == ws.WSAENOTSOCK


# -- WSAIoctl -------------------------------------------------------------------------

def test_wsaioctl_fionread_fionbio_siocatmark(pair):
    c, s = pair
    assert ws.send(c, b"abc", 3, 0) == 3
    time.sleep(0.05)
    v, r = ws.u_long(UNWRITTEN), ws.DWORD(UNWRITTEN)
    assert ws.WSAIoctl(s, ws.FIONREAD, None, 0, v, 4, r) == 0 and (v.value, r.value) == (3, 4)
    out = bytearray(8)
    assert ws.WSAIoctl(s, ws.FIONREAD, None, 0, out, 8, r) == 0 and out[:4] == (3).to_bytes(4, sys.byteorder)
    assert ws.WSAIoctl(s, ws.SIOCATMARK, None, 0, v, 4, r) == 0 and r.value == 4   # ioctlsocket's value
    assert ws.WSAIoctl(s, ws.FIONBIO, 1, 4, None, 0, r) == 0 and r.value == 0
    assert ws.recv(s, bytearray(8), 8, 0) == 3
    assert ws.recv(s, bytearray(8), 8, 0) == -1 and ws.WSAGetLastError() == ws.WSAEWOULDBLOCK
    assert ws.WSAIoctl(s, ws.FIONBIO, ws.u_long(0), 4, None, 0, r) == 0


def test_wsaioctl_faults_and_unknown_codes(pair):
    c, s = pair
    r = ws.DWORD(UNWRITTEN)
    cases = [
        ((ws.FIONREAD, None, 0, bytearray(2), 2, r), ws.WSAEFAULT),       # out shorter than a u_long
        ((ws.FIONREAD, None, 0, None, 4, r), ws.WSAEFAULT),
        ((ws.FIONREAD, None, 0, ws.u_long(), 4, None), ws.WSAEFAULT),     # no lpcbBytesReturned
        ((ws.FIONBIO, None, 4, None, 0, r), ws.WSAEFAULT),
        ((ws.FIONBIO, b"\1\0", 2, None, 0, r), ws.WSAEFAULT),
        ((ws.FIONREAD, None, 0, bytearray(4), 8, r), ws.WSAEFAULT),       # cbOutBuffer beyond the buffer
        ((ws.SIO_KEEPALIVE_VALS, bytes(8), 8, None, 0, r), ws.WSAEFAULT),
        ((0x12345678, None, 0, bytearray(16), 16, r), ws.WSAEOPNOTSUPP),
        ((0, None, 0, None, 0, r), ws.WSAEOPNOTSUPP),
    ]
    for args, code in cases:
        assert ws.WSAIoctl(s, *args) == -1 and ws.WSAGetLastError() == code, args
    assert r.value == UNWRITTEN
    assert ws.WSAIoctl(0xDEAD, ws.FIONREAD, None, 0, ws.u_long(), 4, r) == -1
    assert ws.WSAGetLastError() == ws.WSAENOTSOCK


def _tcp_option(s: int, name: int) -> int:
    value, size = ws.c_int(), ws.c_int(4)
    assert ws.getsockopt(s, ws.IPPROTO_TCP, name, value, size) == 0
    return value.value


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's TCP_KEEPIDLE back")
def test_keepalive_values_are_set(pair):
    c, s = pair
    r = ws.DWORD(UNWRITTEN)
    ka = ws.tcp_keepalive(1, 7000, 1500)
    assert ws.WSAIoctl(c, ws.SIO_KEEPALIVE_VALS, ka, ws.sizeof(ka), None, 0, r) == 0 and r.value == 0
    on = ws.c_int()
    assert ws.getsockopt(c, ws.SOL_SOCKET, ws.SO_KEEPALIVE, on, ws.c_int(4)) == 0 and on.value == 1
    assert _tcp_option(c, socket.TCP_KEEPIDLE) == 7
    assert _tcp_option(c, socket.TCP_KEEPINTVL) == 2    # rounded up to whole seconds
    assert _tcp_option(c, socket.TCP_KEEPCNT) == 10     # Windows' fixed probe count
    assert ws.WSAIoctl(c, ws.SIO_KEEPALIVE_VALS, ws.tcp_keepalive(0, 0, 0), 12, None, 0, r) == 0
    assert ws.getsockopt(c, ws.SOL_SOCKET, ws.SO_KEEPALIVE, on, ws.c_int(4)) == 0 and on.value == 0
    assert _tcp_option(c, socket.TCP_KEEPIDLE) == 1     # at least a second
    huge = ws.tcp_keepalive(1, 0xFFFFFFFF, 0xFFFFFFFF)
    assert ws.WSAIoctl(c, ws.SIO_KEEPALIVE_VALS, huge, 12, None, 0, r) == 0
    assert _tcp_option(c, socket.TCP_KEEPIDLE) == 32767  # Linux's largest
    u, _ = udp_bound()
    assert ws.WSAIoctl(u, ws.SIO_KEEPALIVE_VALS, ka, 12, None, 0, r) == -1
    assert ws.WSAGetLastError() == ws.WSAEINVAL
    ws.closesocket(u)


# -- the core's Windows backend under Wine --------------------------------------------

WINE = os.environ.get("PORTSOCK_WINE", "/usr/lib/wine/wine64")
MINGW = shutil.which(os.environ.get("PORTSOCK_MINGW", "x86_64-w64-mingw32-gcc"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WIN32_PROGRAM = r"""
#include <winsock2.h>
#include <stdio.h>
int main(void)
{
    WSADATA d;
    WSAOVERLAPPED ov;
    WSABUF b;
    DWORD n = 0x7777, flags = 0;
    SOCKET s;
    char c = 'x';
    int r;
    WSAStartup(MAKEWORD(2, 2), &d);
    memset(&ov, 0, sizeof ov);
    b.len = 1;
    b.buf = &c;
    s = WSASocketA(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    /* Each result is kept before WSAGetLastError is read (argument order is unspecified). */
    r = WSASend(s, &b, 1, &n, 0, &ov, NULL);
    printf("%d %d\n", r, WSAGetLastError());
    r = WSARecv(s, &b, 1, &n, &flags, &ov, NULL);
    printf("%d %d\n", r, WSAGetLastError());
    r = WSAIoctl(s, FIONREAD, NULL, 0, &n, 4, &n, &ov, NULL);
    printf("%d %d\n", r, WSAGetLastError());
    r = WSASocketA(AF_INET, SOCK_DGRAM, 0, (LPWSAPROTOCOL_INFOA)&ov, 0, 0) == INVALID_SOCKET;
    printf("%d %d\n", r, WSAGetLastError());
    printf("%lu\n", (unsigned long)n);
    closesocket(s);
    WSACleanup();
    return 0;
}
"""


@pytest.mark.skipif(MINGW is None or not os.path.exists(WINE), reason="needs mingw-w64 and Wine")
def test_the_windows_backend_refuses_overlapped_io_too():
    """win32.c passes through to ws2_32, but refuses what the POSIX backend
    cannot do, so that the core's contract is one on both."""
    with tempfile.TemporaryDirectory(prefix="portsock-wsa-") as tmp:
        src, exe = os.path.join(tmp, "prog.c"), os.path.join(tmp, "prog.exe")
        with open(src, "w") as f:
            f.write(WIN32_PROGRAM)
        csrc = os.path.join(ROOT, "csrc")
        subprocess.run([MINGW, "-std=c11", "-DPORTSOCK_USE_CORE", "-I" + os.path.join(csrc, "include", "portsock"),
                        "-I" + csrc, "-o", exe, src, *native.CORE_WIN32, "-lws2_32", "-static"],
                       check=True, timeout=120)
        env = dict(os.environ, WINEPREFIX=os.path.join(tmp, "prefix"), WINEDEBUG="-all",
                   WINEDLLOVERRIDES="mscoree=d;mshtml=d")
        # Wine cannot start with the sanitizer runtime tools/native_checks.sh
        # preloads into this Python.
        env.pop("LD_PRELOAD", None)
        env.pop("DISPLAY", None)
        out = subprocess.run([WINE, exe], env=env, capture_output=True, text=True, timeout=240).stdout
    lines = out.replace("\r", "").split("\n")
    assert lines[:5] == ["-1 10045", "-1 10045", "-1 10045", "1 10022", str(0x7777)], out
