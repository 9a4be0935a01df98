"""Threads: closesocket wakes calls blocked in other threads with WSAEINTR
(SEMANTICS.md: "closesocket(s) while another thread is blocked"), the last
error is per thread, and SD_RECEIVE does not wake a blocked recv."""

from __future__ import annotations

import threading
import time

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


def wait_blocked(thread, seconds=0.3):
    time.sleep(seconds)
    assert thread.is_alive(), "the call should still be blocked"


def test_closesocket_wakes_blocked_recv_with_wsaeintr(pair):
    client, server = pair
    set_timeouts(client)
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


def test_closesocket_wakes_blocked_send_with_wsaeintr(pair):
    client, server = pair
    set_timeouts(client)
    fill_send_buffer(client, server)
    data = bytes(1 << 20)
    thread, result = blocked_call_result(ws.send, client, data, len(data), 0)
    wait_blocked(thread)
    assert ws.closesocket(client) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert result == [(ws.SOCKET_ERROR, ws.WSAEINTR)]


def test_closesocket_wakes_blocked_accept_with_wsaeintr(wsa):
    lst, _ = listener()
    set_timeouts(lst)
    thread, result = blocked_call_result(ws.accept, lst, None, None)
    wait_blocked(thread)
    assert ws.closesocket(lst) == 0
    thread.join(WAKE_BOUND)
    assert not thread.is_alive()
    assert result == [(ws.INVALID_SOCKET, ws.WSAEINTR)]


def test_final_cleanup_wakes_blocked_recv(pair):
    client, _ = pair
    set_timeouts(client)
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


def test_sd_receive_does_not_wake_a_blocked_recv(pair):
    """Windows keeps the recv blocked (cpython#91913); POSIX SHUT_RD would wake it."""
    client, server = pair
    set_timeouts(client)
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
