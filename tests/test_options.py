"""Issue 12, item 4: socket options on a Connection, source_address, and
connect() over several addresses (the timeout per address, every error
kept), on real loopback sockets."""

from __future__ import annotations

import socket as stdlib_socket
import sys
import time
from typing import Any, Iterator

import pytest

import portsock
from portsock import _connection, winsock as ws
from portsock.testing import EchoPeer, SilentPeer

TIME_SLACK = 2.0


@pytest.fixture
def conn() -> Iterator[portsock.Connection]:
    with EchoPeer() as peer:
        c = portsock.connect(*peer.address, timeout=5)
        yield c
        c.close()


def test_nodelay_and_keepalive(conn: portsock.Connection) -> None:
    assert conn.nodelay is False and conn.keepalive is False
    conn.nodelay = True
    conn.keepalive = True
    assert conn.nodelay is True and conn.keepalive is True
    assert conn.getsockopt(ws.IPPROTO_TCP, ws.TCP_NODELAY) == 1
    conn.nodelay = False
    assert conn.nodelay is False
    with pytest.raises(TypeError):
        conn.nodelay = "yes"   # type: ignore[assignment]


def test_setsockopt_and_getsockopt_follow_winsock_values(conn: portsock.Connection) -> None:
    conn.setsockopt(ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 7))
    linger = conn.getsockopt(ws.SOL_SOCKET, ws.SO_LINGER)
    assert isinstance(linger, ws.LINGER) and (linger.l_onoff, linger.l_linger) == (1, 7)
    conn.setsockopt(ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(0, 0))
    conn.setsockopt(ws.SOL_SOCKET, ws.SO_SNDTIMEO, 1500)           # a DWORD of milliseconds
    assert conn.getsockopt(ws.SOL_SOCKET, ws.SO_SNDTIMEO) == 1500
    assert conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE) == ws.SOCK_STREAM
    raw = conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, 4)
    assert isinstance(raw, bytes) and int.from_bytes(raw, sys.byteorder) == ws.SOCK_STREAM
    conn.setsockopt(ws.SOL_SOCKET, ws.SO_KEEPALIVE, (1).to_bytes(4, sys.byteorder))   # bytes, as the stdlib's
    assert conn.keepalive


def test_so_rcvtimeo_in_milliseconds_bounds_a_recv() -> None:
    with SilentPeer() as peer:
        c = portsock.connect(*peer.address)
        c.setsockopt(ws.SOL_SOCKET, ws.SO_RCVTIMEO, 200)
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            c.recv(10)
        assert 0.15 <= time.monotonic() - started < 0.2 + TIME_SLACK
        assert info.value.winerror == ws.WSAETIMEDOUT
        c.close()


def test_option_errors(conn: portsock.Connection) -> None:
    with pytest.raises(portsock.WinsockError) as info:
        conn.setsockopt(ws.SOL_SOCKET, 12345, 1)
    assert info.value.winerror == ws.WSAENOPROTOOPT and info.value.function == "setsockopt"
    with pytest.raises(portsock.WinsockError) as info:
        conn.getsockopt(12345, 1)
    assert info.value.winerror == ws.WSAEINVAL and info.value.function == "getsockopt"
    for bad, exc in [((ws.SOL_SOCKET, ws.SO_KEEPALIVE, None), TypeError),
                     ((ws.SOL_SOCKET, ws.SO_KEEPALIVE, "on"), TypeError),
                     ((ws.SOL_SOCKET, ws.SO_KEEPALIVE, 1.0), TypeError),
                     (("1", ws.SO_KEEPALIVE, 1), TypeError),
                     ((ws.SOL_SOCKET, None, 1), TypeError),
                     ((2 ** 40, ws.SO_KEEPALIVE, 1), ValueError),
                     ((ws.SOL_SOCKET, 2 ** 40, 1), ValueError),
                     ((ws.SOL_SOCKET, ws.SO_KEEPALIVE, 2 ** 40), ValueError),
                     ((ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 70000)), ValueError),
                     ((ws.SOL_SOCKET, ws.SO_KEEPALIVE, bytes(70000)), ValueError)]:
        with pytest.raises(exc):
            conn.setsockopt(*bad)
    with pytest.raises(ValueError):
        conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, 0)
    with pytest.raises(ValueError):
        conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, 2 ** 40)
    with pytest.raises(TypeError):
        conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, "4")
    conn.close()
    with pytest.raises(portsock.WinsockError) as info:
        conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE)
    assert info.value.winerror == ws.WSAENOTSOCK


# -- source_address --------------------------------------------------------------

def _free_port(host: str = "127.0.0.1", family: int = ws.AF_INET) -> int:
    with portsock.create_server((host, 0), family=family) as listener:
        return listener.local_address[1]


@pytest.mark.parametrize("host, family", [("127.0.0.1", ws.AF_INET), ("::1", ws.AF_INET6)])
def test_source_address_is_bound_before_connecting(host: str, family: int) -> None:
    with EchoPeer(family=family) as peer:
        port = _free_port(host, family)
        c = portsock.connect(*peer.address, timeout=5, source_address=(host, port))
        assert c.local_address == (host, port)
        c.sendall(b"from a chosen port")
        assert c.disconnect() == b"from a chosen port"
    with EchoPeer(family=family) as peer:   # a peer accepts one connection
        c = portsock.connect(*peer.address, timeout=5, source_address=("", 0))
        assert c.local_address[0] == host
        c.close()


def test_source_address_errors() -> None:
    with EchoPeer() as peer:
        with pytest.raises(portsock.WinsockError):   # no IPv4 address for an IPv6 source
            portsock.connect(*peer.address, timeout=5, source_address=("::1", 0))
        with pytest.raises(TypeError):
            portsock.connect(*peer.address, source_address=["127.0.0.1", 0])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            portsock.connect(*peer.address, source_address=("127.0.0.1", "0"))  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            portsock.connect(*peer.address, source_address=("127.0.0.1", 70000))
        with portsock.create_server(("127.0.0.1", 0)) as taken:
            with pytest.raises(portsock.WinsockError) as info:
                portsock.connect(*peer.address, timeout=5, source_address=taken.local_address)
            assert info.value.winerror == ws.WSAEADDRINUSE and info.value.function == "bind"


# -- several addresses ---------------------------------------------------------------

def _entries(*hosts_ports: Any) -> list:
    """getaddrinfo's real entries for each (host, port), one list in order."""
    out: list = []
    for host, port in hosts_ports:
        out += _connection._addresses(host, port, ws.AF_UNSPEC)
    return out


def test_every_address_failing_raises_the_last_with_every_error() -> None:
    port4, port6 = _free_port(), _free_port("::1", ws.AF_INET6)
    with pytest.raises(ConnectionRefusedError) as info:
        _connection._connect_any(_entries(("::1", port6), ("127.0.0.1", port4)), 5.0)
    last = info.value
    assert [e.winerror for e in last.errors] == [ws.WSAECONNREFUSED] * 2 and last.errors[-1] is last
    if sys.version_info >= (3, 11):
        group = last.__cause__
        assert isinstance(group, ExceptionGroup)   # noqa: F821
        assert list(group.exceptions) == last.errors[:1]


def test_the_next_address_is_tried_after_a_failure() -> None:
    with EchoPeer() as peer:
        c = _connection._connect_any(_entries(("::1", _free_port("::1", ws.AF_INET6)), peer.address), 5.0)
        assert c.peer_address == peer.address
        c.close()


def test_one_address_failing_has_itself_as_its_errors() -> None:
    port = _free_port()
    with pytest.raises(ConnectionRefusedError) as info:
        portsock.connect("127.0.0.1", port, timeout=5)
    assert info.value.errors == [info.value] and info.value.__cause__ is None


@pytest.mark.skipif(sys.platform == "win32", reason="Windows answers a SYN to a full backlog with a reset")
def test_the_timeout_applies_to_each_address() -> None:
    """A listener whose backlog is full drops new SYNs, so each connect waits
    for its whole timeout: two addresses take two timeouts."""
    full = stdlib_socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    queued = [stdlib_socket.create_connection(full.getsockname(), timeout=5)]   # listen(0) queues one
    try:
        address = full.getsockname()
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            _connection._connect_any(_entries(address, address), 0.3)
        elapsed = time.monotonic() - started
        assert 0.55 <= elapsed < 0.6 + TIME_SLACK, elapsed
        assert [e.winerror for e in info.value.errors] == [ws.WSAETIMEDOUT] * 2
    finally:
        for s in queued:
            s.close()
        full.close()


def test_no_address_at_all_is_host_not_found() -> None:
    with pytest.raises(portsock.WinsockError) as info:
        _connection._connect_any([], 1.0)
    assert info.value.winerror == ws.WSAHOST_NOT_FOUND and info.value.errors == [info.value]


def _atmark(s: int) -> int:
    value = ws.u_long(77)
    assert ws.ioctlsocket(s, ws.SIOCATMARK, value) == 0
    return int(value.value)


def test_siocatmark_is_true_unless_out_of_band_data_waits(pair: Any) -> None:
    """Winsock's SIOCATMARK (MS docs, ioctlsocket): TRUE when no OOB data waits
    to be read, FALSE while some does; not POSIX's "at the urgent mark"
    (which is 0 with no urgent data at all). Wine 8 answers TRUE while the
    byte waits (it inverts POSIX's answer), so no parity scenario pins this."""
    c, s = pair
    assert _atmark(s) == 1
    assert ws.send(c, b"ab", 2, 0) == 2
    assert ws.send(c, b"X", 1, ws.MSG_OOB) == 1
    deadline = time.monotonic() + 5
    while _atmark(s) == 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _atmark(s) == 0
    buf = bytearray(8)
    assert ws.recv(s, buf, 1, ws.MSG_OOB) == 1 and buf[:1] == b"X"
    assert _atmark(s) == 1
    assert ws.recv(s, buf, 8, 0) == 2 and buf[:2] == b"ab"
    assert _atmark(s) == 1
