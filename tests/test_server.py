"""Issue 12, item 3: create_server() and Listener, and the server's half of
the lifecycle on an accepted Connection (recv_until_fin, sendall,
disconnect), on real loopback sockets."""

from __future__ import annotations

import gc
import sys
import threading
import time
from typing import Any, List

import pytest

import portsock
from portsock import winsock as ws
from portsock.testing import pattern

TIME_SLACK = 2.0


def _client(address: Any, request: bytes, results: List[Any], **kw: Any) -> threading.Thread:
    def run() -> None:
        try:
            conn = portsock.connect(*address, timeout=10, **kw)
            conn.sendall(request)
            results.append(conn.disconnect())
        except OSError as e:   # pragma: no cover - reported by the test
            results.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_server_lifecycle_is_one_call_per_step() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        assert isinstance(listener, portsock.Listener)
        host, port = listener.local_address
        assert host == "127.0.0.1" and port > 0
        results: List[Any] = []
        thread = _client(listener.local_address, pattern(200000), results)
        conn, address = listener.accept()
        assert isinstance(conn, portsock.Connection)
        assert address == conn.peer_address and address[0] == "127.0.0.1"
        request = conn.recv_until_fin(max_size=1 << 20)     # everything up to the client's FIN
        assert request == pattern(200000)
        conn.sendall(request[::-1])
        assert conn.disconnect() == b""                     # the client sent nothing after its FIN
        thread.join(10)
    assert results == [pattern(200000)[::-1]]
    assert listener.closed and listener.fileno() == -1


def test_ipv6_and_dualstack_listeners() -> None:
    with portsock.create_server(("::1", 0), family=portsock.AF_INET6) as listener:
        assert listener.local_address[0] == "::1"
        assert "[::1]:%d" % listener.local_address[1] in repr(listener)
        results: List[Any] = []
        thread = _client(listener.local_address, b"six", results)
        conn, address = listener.accept()
        with conn:
            conn.sendall(conn.recv_until_fin())
        thread.join(10)
        assert results == [b"six"] and address[0] == "::1"
    # An IPv4 client reaches a dual-stack listener (bound to the v4-mapped loopback).
    with portsock.create_server(("::ffff:127.0.0.1", 0), family=portsock.AF_INET6, dualstack_ipv6=True) as dual:
        results = []
        thread = _client(("127.0.0.1", dual.local_address[1]), b"four", results)
        conn, address = dual.accept()
        with conn:
            conn.sendall(conn.recv_until_fin())
        thread.join(10)
        assert results == [b"four"]
    # Without dualstack_ipv6 an AF_INET6 listener is IPv6-only: no v4-mapped address.
    with pytest.raises(portsock.WinsockError) as info:
        portsock.create_server(("::ffff:127.0.0.1", 0), family=portsock.AF_INET6).close()
    assert info.value.function == "bind"


def test_accept_keeps_the_listener_timeout_and_gives_it_to_the_connection() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        assert listener.gettimeout() == 0.3
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            listener.accept()
        assert 0.25 <= time.monotonic() - started < 0.3 + TIME_SLACK
        assert info.value.winerror == ws.WSAETIMEDOUT and info.value.function == "accept"
        listener.settimeout(0)
        with pytest.raises(BlockingIOError):
            listener.accept()
        listener.settimeout(5)
        results: List[Any] = []
        thread = _client(listener.local_address, b"t", results)
        conn, _ = listener.accept()
        assert conn.gettimeout() == 5
        with conn:
            assert conn.recv_until_fin() == b"t"
        thread.join(10)
        listener.setblocking(True)
        assert listener.gettimeout() is None
        thread = _client(listener.local_address, b"b", results)
        conn, _ = listener.accept()
        assert conn.gettimeout() is None
        with conn:
            assert conn.recv_until_fin() == b"b"
        thread.join(10)


@pytest.mark.parametrize("timeout", [None, 20.0])
def test_close_wakes_a_blocked_accept_with_interrupted_error(timeout: Any) -> None:
    listener = portsock.create_server(("127.0.0.1", 0))
    listener.settimeout(timeout)
    errors: List[BaseException] = []

    def accepter() -> None:
        try:
            listener.accept()
        except OSError as e:
            errors.append(e)

    thread = threading.Thread(target=accepter, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    started = time.monotonic()
    listener.close()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < TIME_SLACK
    assert len(errors) == 1 and isinstance(errors[0], InterruptedError)
    assert errors[0].winerror == ws.WSAEINTR and "closed" in str(errors[0])
    listener.close()   # idempotent
    with pytest.raises(portsock.WinsockError) as info:
        listener.accept()
    assert info.value.winerror == ws.WSAENOTSOCK


def test_recv_until_fin_is_bounded_and_keeps_the_connection() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        results: List[Any] = []
        thread = _client(listener.local_address, pattern(1000), results)
        conn, _ = listener.accept()
        conn.settimeout(5)
        with pytest.raises(portsock.ReplyTooLarge) as info:
            conn.recv_until_fin(max_size=100)
        assert info.value.partial == pattern(100) and info.value.function == "recv_until_fin"
        assert not conn.closed
        conn.abort()
        thread.join(10)
    assert len(results) == 1 and isinstance(results[0], ConnectionResetError)


def test_recv_until_fin_timeout_carries_the_partial_request() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        client = portsock.connect(*listener.local_address, timeout=5)
        conn, _ = listener.accept()
        client.sendall(b"half a request")
        conn.settimeout(0.3)
        with pytest.raises(TimeoutError) as info:
            conn.recv_until_fin()
        assert info.value.partial == b"half a request"
        client.close()
        conn.close()


def test_a_port_in_use_is_refused() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        with pytest.raises(portsock.WinsockError) as info:
            portsock.create_server(listener.local_address)
        assert info.value.winerror == ws.WSAEADDRINUSE and info.value.function == "bind"


@pytest.mark.parametrize("args, kwargs, exc", [
    (("127.0.0.1",), {}, TypeError),
    ((["127.0.0.1", 0],), {}, TypeError),
    ((("127.0.0.1", "0"),), {}, TypeError),
    (((None, 0),), {}, TypeError),
    ((("127.0.0.1", 70000),), {}, ValueError),
    ((("127.0.0.1\0", 0),), {}, ValueError),
    ((("127.0.0.1", 0),), {"family": 12345}, ValueError),
    ((("127.0.0.1", 0),), {"family": portsock.AF_UNSPEC}, ValueError),
    ((("127.0.0.1", 0),), {"backlog": -1}, ValueError),
    ((("127.0.0.1", 0),), {"backlog": 2 ** 40}, ValueError),
    ((("127.0.0.1", 0),), {"backlog": "5"}, TypeError),
    ((("127.0.0.1", 0),), {"dualstack_ipv6": True}, ValueError),
])
def test_create_server_rejects_bad_arguments(args: Any, kwargs: Any, exc: Any) -> None:
    with pytest.raises(exc):
        portsock.create_server(*args, **kwargs)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SO_REUSEPORT")
def test_reuse_port_lets_two_listeners_share_a_port() -> None:
    with portsock.create_server(("127.0.0.1", 0), reuse_port=True) as first:
        port = first.local_address[1]
        with portsock.create_server(("127.0.0.1", port), reuse_port=True) as second:
            assert second.local_address[1] == port
        # Without the option on both, the port is taken.
        with pytest.raises(portsock.WinsockError) as info:
            portsock.create_server(("127.0.0.1", port))
        assert info.value.winerror == 10048


@pytest.mark.skipif(sys.platform != "win32", reason="POSIX systems have SO_REUSEPORT")
def test_reuse_port_is_refused_where_the_platform_has_none() -> None:
    with pytest.raises(ValueError, match="SO_REUSEPORT"):
        portsock.create_server(("127.0.0.1", 0), reuse_port=True)


def test_listener_settimeout_rejects_bad_values() -> None:
    with portsock.create_server(("127.0.0.1", 0)) as listener:
        with pytest.raises(TypeError):
            listener.settimeout("1")
        with pytest.raises(ValueError):
            listener.settimeout(-1)


def test_an_unclosed_listener_warns_and_closes() -> None:
    listener = portsock.create_server(("127.0.0.1", 0))
    address = listener.local_address
    with pytest.warns(ResourceWarning, match="unclosed"):
        del listener
        gc.collect()
    portsock.create_server(address).close()   # the port is free again
