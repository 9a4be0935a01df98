"""Threads: closesocket wakes calls blocked in other threads with WSAEINTR
(CLOSE-1 in docs/winsock-rules.md), the last error is per thread (ERR-1),
and SD_RECEIVE does not wake a blocked recv (SHUT-10)."""

from __future__ import annotations

import threading
import time

import pytest

from portsock import winsock as ws

from conftest import fill_send_buffer, listener, run_in_thread

WAKE_BOUND = 5.0  # seconds a woken call may take to return, at most


def blocked_call_result(fn, *args):
    """Runs fn in a thread; returns (its return value, its WSAGetLastError)."""
    def call():
        ret = fn(*args)
        return ret, ws.WSAGetLastError()
    return run_in_thread(call)


def set_timeouts(s, ms=20000):
    """A safety net: a blocked call the test fails to wake still ends."""
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4) == 0


# A blocked call with a timeout waits in poll(); one without sleeps in the
# kernel's own call (csrc/posix_wait.c): closesocket must wake both. Without
# the safety net a call the test fails to wake stays blocked in its daemon
# thread, and the test fails at the join.
WAITS = pytest.mark.parametrize("timed", [True, False], ids=["in-poll", "in-the-kernel"])


def maybe_timeouts(s, timed):
    if timed:
        set_timeouts(s)


def wait_blocked(thread, seconds=0.3):
    time.sleep(seconds)
    assert thread.is_alive(), "the call should still be blocked"


@WAITS
def test_closesocket_wakes_blocked_recv_with_wsaeintr(pair, timed):
    client, server = pair
    maybe_timeouts(client, timed)
    thread, result = blocked_call_result(ws.recv, client, bytearray(16), 16, 0)
    wait_blocked(thread)
    started = time.monotonic()
    assert ws.closesocket(client) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert time.monotonic() - started < WAKE_BOUND
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]
    # The fd was closed once the woken call returned: the peer sees the FIN.
    set_timeouts(server, 5000)
    assert ws.recv(server, bytearray(4), 4, 0) == 0


@WAITS
def test_closesocket_wakes_blocked_send_with_wsaeintr(pair, timed):
    client, server = pair
    maybe_timeouts(client, timed)
    fill_send_buffer(client, server)
    data = bytes(1 << 20)
    thread, result = blocked_call_result(ws.send, client, data, len(data), 0)
    wait_blocked(thread)
    assert ws.closesocket(client) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]


@WAITS
def test_closesocket_wakes_blocked_accept_with_wsaeintr(wsa, timed):
    lst, _ = listener()
    maybe_timeouts(lst, timed)
    thread, result = blocked_call_result(ws.accept, lst, None, None)
    wait_blocked(thread)
    assert ws.closesocket(lst) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert result == [(ws.INVALID_SOCKET, ws.WSAEINTR)]


@WAITS
def test_final_cleanup_wakes_blocked_recv(pair, timed):
    client, _ = pair
    maybe_timeouts(client, timed)
    thread, result = blocked_call_result(ws.recv, client, bytearray(16), 16, 0)
    wait_blocked(thread)
    assert ws.WSACleanup() == 0   # the pair fixture's startup: the final one
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]
    data = ws.WSADATA()
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), data) == 0
    assert ws.closesocket(client) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAENOTSOCK


@WAITS
def test_sd_receive_does_not_wake_a_blocked_recv(pair, timed):
    """Windows keeps the recv blocked (cpython#91913); POSIX SHUT_RD would wake it."""
    client, server = pair
    maybe_timeouts(client, timed)
    thread, result = blocked_call_result(ws.recv, client, bytearray(16), 16, 0)
    wait_blocked(thread)
    assert ws.shutdown(client, ws.SD_RECEIVE) == 0
    wait_blocked(thread, 0.5)
    assert result == []
    assert ws.closesocket(client) == 0
    thread.join(WAKE_BOUND)
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]


def test_last_error_is_per_thread(wsa):
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def worker(name, fail):
        fail()
        barrier.wait()            # both threads have failed, differently
        barrier.wait()
        seen[name] = ws.WSAGetLastError()

    def not_a_socket():
        assert ws.closesocket(0xDEADBEEF) == ws.SOCKET_ERROR

    def not_connected():
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert ws.shutdown(s, ws.SD_SEND) == ws.SOCKET_ERROR
        err = ws.WSAGetLastError()
        ws.closesocket(s)   # succeeds, and sets this thread's error to 0
        ws.WSASetLastError(err)

    threads = [threading.Thread(target=worker, args=("a", not_a_socket)),
               threading.Thread(target=worker, args=("b", not_connected))]
    for t in threads:
        t.start()
    ws.WSASetLastError(12345)
    for t in threads:
        t.join(10)
    assert seen == {"a": ws.WSAENOTSOCK, "b": ws.WSAENOTCONN}
    assert ws.WSAGetLastError() == 12345


def test_many_threads_share_the_table(wsa):
    """Lifecycles in 8 threads at once: no handle crosses threads."""
    errors = []

    def lifecycles():
        from conftest import connected_pair
        for i in range(20):
            c, s = connected_pair()
            msg = b"%d" % i
            if ws.send(c, msg, len(msg), 0) != len(msg) or ws.shutdown(c, ws.SD_SEND) != 0:
                errors.append(ws.WSAGetLastError())
            buf = bytearray(16)
            n = ws.recv(s, buf, 16, ws.MSG_WAITALL)
            if bytes(buf[:n]) != msg:
                errors.append(("data", bytes(buf[:n]), msg))
            ws.closesocket(s)
            if ws.recv(c, buf, 16, 0) != 0:
                errors.append(("fin", ws.WSAGetLastError()))
            ws.closesocket(c)

    threads = [threading.Thread(target=lifecycles) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


@WAITS
@pytest.mark.parametrize("call", ["recvfrom", "recv-waitall", "recv-zero-length"])
def test_closesocket_wakes_the_other_blocking_receives(wsa, timed, call):
    """A datagram recvfrom, a stream recv with MSG_WAITALL that has part of
    its bytes, and Winsock's zero-length recv (which waits for data) are woken
    as a plain recv is."""
    if call == "recvfrom":
        s = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
        addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
        assert ws.bind(s, addr, ws.sizeof(addr)) == 0
        maybe_timeouts(s, timed)
        thread, result = blocked_call_result(ws.recvfrom, s, bytearray(16), 16, 0)
        others = []
    else:
        lst, bound = listener()
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert ws.connect(s, bound, ws.sizeof(bound)) == 0
        peer = ws.accept(lst, None, None)
        others = [lst, peer]
        maybe_timeouts(s, timed)
        if call == "recv-waitall":
            assert ws.send(peer, b"abc", 3, 0) == 3
            thread, result = blocked_call_result(ws.recv, s, bytearray(16), 16, ws.MSG_WAITALL)
        else:
            thread, result = blocked_call_result(ws.recv, s, None, 0, 0)
    wait_blocked(thread)
    assert ws.closesocket(s) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive(), "closesocket did not wake the %s" % call
    # MSG_WAITALL had 3 bytes when the close came: Winsock returns what it has.
    expected = (3, 0) if call == "recv-waitall" else (ws.SOCKET_ERROR, ws.WSAEINTR)
    assert result == [expected]
    for other in others:
        ws.closesocket(other)


@WAITS
def test_closesocket_wakes_a_blocked_connect(wsa, timed):
    """A connect that waits for a listener whose backlog is full."""
    lst, bound = listener()
    full = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(full, addr, ws.sizeof(addr)) == 0 and ws.listen(full, 0) == 0
    full_addr = ws.sockaddr_in()
    assert ws.getsockname(full, full_addr, ws.c_int(ws.sizeof(full_addr))) == 0
    queued = []
    for _ in range(4):   # fills the backlog: later SYNs are dropped
        q = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert ws.ioctlsocket(q, ws.FIONBIO, 1) == 0
        ws.connect(q, full_addr, ws.sizeof(full_addr))
        queued.append(q)
    time.sleep(0.2)
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    maybe_timeouts(s, timed)
    thread, result = blocked_call_result(ws.connect, s, full_addr, ws.sizeof(full_addr))
    wait_blocked(thread)
    assert ws.closesocket(s) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive(), "closesocket did not wake the connect"
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]
    for other in queued + [full, lst]:
        ws.closesocket(other)
