"""The Pythonic layer: connect(), Connection, Session, in the order they are
defined, against real loopback peers (portsock.testing)."""

from __future__ import annotations

import gc
import selectors
import socket as stdlib_socket
import subprocess
import sys
import threading
import time

import pytest

import portsock
from portsock import winsock as ws
from portsock.testing import (
    CloseFirstPeer,
    EchoPeer,
    HalfCloseFirstPeer,
    ReplyAfterFinPeer,
    ResetPeer,
    SilentPeer,
    pattern,
    wait_for,
)

TIME_SLACK = 2.0   # how late a deadline may fire on a loaded 2-core machine


# -- connect() ----------------------------------------------------------------

def test_connect_returns_an_open_connection():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address)
        assert isinstance(conn, portsock.Connection)
        assert not conn.closed
        assert conn.peer_address == peer.address
        assert conn.local_address[0] == "127.0.0.1"
        conn.close()


def test_connect_ipv6_loopback():
    with EchoPeer(family=ws.AF_INET6) as peer:
        conn = portsock.connect("::1", peer.port, family=portsock.AF_INET6, timeout=5)
        conn.sendall(b"six")
        assert conn.disconnect() == b"six"


def test_connect_tries_every_address_in_order():
    """localhost may resolve to ::1 first; the IPv4-only peer is still found."""
    with EchoPeer() as peer:
        conn = portsock.connect("localhost", peer.port, timeout=5)
        assert conn.peer_address == ("127.0.0.1", peer.port)
        conn.close()


def test_connect_refused_is_connection_refused_error():
    with EchoPeer() as peer:
        port = peer.port
    with pytest.raises(ConnectionRefusedError) as info:
        portsock.connect("127.0.0.1", port)
    assert isinstance(info.value, portsock.WinsockError)
    assert info.value.winerror == ws.WSAECONNREFUSED
    assert info.value.function == "connect"


def test_connect_unknown_host():
    with pytest.raises(portsock.WinsockError) as info:
        portsock.connect("no-such-host.invalid", 80)
    assert info.value.winerror == ws.WSAHOST_NOT_FOUND
    assert info.value.function == "getaddrinfo"


@pytest.mark.parametrize("host, port, exc", [
    ("127.0.0.1", -1, ValueError),
    ("127.0.0.1", 65536, ValueError),
    ("127.0.0.1", "80", TypeError),
    ("127.0.0.1", 80.0, TypeError),
    ("127.0.0.1", True, TypeError),
    (b"127.0.0.1", 80, TypeError),
    (None, 80, TypeError),
    ("127.0.0.1\0evil", 80, ValueError),
])
def test_connect_rejects_bad_arguments(host, port, exc):
    with pytest.raises(exc):
        portsock.connect(host, port)


def test_connect_rejects_bad_timeout_and_family():
    with pytest.raises(ValueError):
        portsock.connect("127.0.0.1", 80, timeout=-1)
    with pytest.raises(TypeError):
        portsock.connect("127.0.0.1", 80, timeout="1")
    with pytest.raises(ValueError):
        portsock.connect("127.0.0.1", 80, family=12345)


# -- send, sendall, recv, recv_into, shutdown ---------------------------------

def test_send_sendall_recv_recv_into():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert conn.send(b"abc") == 3
        conn.sendall(memoryview(b"defgh"))
        got = bytearray()
        while len(got) < 8:
            chunk = conn.recv(8 - len(got))
            assert chunk
            got += chunk
        assert bytes(got) == b"abcdefgh"
        conn.sendall(bytearray(b"xyz"))
        buf = bytearray(10)
        n = 0
        while n < 3:
            n += conn.recv_into(memoryview(buf)[n:], 3 - n)
        assert buf[:3] == b"xyz"
        conn.shutdown(portsock.SD_SEND)
        assert conn.recv(10) == b""
        conn.close()
    assert peer.report.received == b"abcdefghxyz" and peer.report.saw_fin


def test_recv_into_rejects_readonly_and_noncontiguous_buffers():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        with pytest.raises(TypeError):
            conn.recv_into(b"read-only")
        with pytest.raises((BufferError, TypeError)):
            conn.recv_into(memoryview(bytearray(10))[::2])
        with pytest.raises(ValueError):
            conn.recv_into(bytearray(4), 10)
        with pytest.raises(TypeError):
            conn.send("text")
        with pytest.raises(TypeError):
            conn.sendall("text")
        with pytest.raises(ValueError):
            conn.recv(-1)
        with pytest.raises(ValueError):
            conn.shutdown(7)
        conn.close()


def test_send_after_own_shutdown_is_broken_pipe_10058():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.shutdown(portsock.SD_SEND)
        with pytest.raises(BrokenPipeError) as info:
            conn.send(b"late")
        assert info.value.winerror == ws.WSAESHUTDOWN
        conn.close()


def test_recv_after_peer_reset_is_connection_reset_10054():
    with ResetPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        with pytest.raises(ConnectionResetError) as info:
            conn.recv(10)
        assert info.value.winerror == ws.WSAECONNRESET
        with pytest.raises(ConnectionResetError):
            conn.recv(10)          # sticky, as on Windows
        conn.close()


def test_reset_after_n_bytes():
    with ResetPeer(after=4) as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.sendall(b"1234")
        with pytest.raises(ConnectionResetError):
            conn.disconnect()
        assert conn.closed
    assert peer.report.received == b"1234"


# -- disconnect -----------------------------------------------------------------

def test_disconnect_returns_the_reply_and_closes():
    with ReplyAfterFinPeer(reply=b"the answer") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.sendall(b"question")
        assert conn.disconnect() == b"the answer"
        assert conn.closed
    assert peer.report.received == b"question"
    assert peer.report.saw_fin and not peer.report.saw_reset


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 8 << 20, (9 << 20) + 7])
def test_disconnect_drains_large_and_late_replies_byte_for_byte(size):
    with ReplyAfterFinPeer(reply=size, delay=0.1) as peer:
        conn = portsock.connect(*peer.address, timeout=30)
        conn.sendall(b"go")
        reply = conn.disconnect()
    assert len(reply) == size
    assert reply == pattern(size)
    assert not peer.report.saw_reset


def test_disconnect_deadline_with_a_silent_peer():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address)
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            conn.disconnect(timeout=0.3)
        elapsed = time.monotonic() - started
        assert info.value.winerror == ws.WSAETIMEDOUT
        assert 0.25 <= elapsed < 0.3 + TIME_SLACK
        assert conn.closed
        assert conn.fileno() == -1


def test_disconnect_uses_the_connection_timeout():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=0.2)
        with pytest.raises(TimeoutError):
            conn.disconnect()
        assert conn.closed


def test_disconnect_when_the_peer_closed_first():
    with CloseFirstPeer(reply=b"bye") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert wait_for(lambda: not peer._thread or not peer._thread.is_alive())
        assert conn.disconnect() == b"bye"


def test_disconnect_when_the_peer_half_closed_first():
    with HalfCloseFirstPeer(reply=b"hello") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert conn.recv(5) == b"hello"
        conn.sendall(b"thanks")
        assert conn.disconnect() == b""
    assert peer.report.received == b"thanks" and peer.report.saw_fin


def test_disconnect_twice_raises():
    with ReplyAfterFinPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.disconnect()
        with pytest.raises(portsock.WinsockError) as info:
            conn.disconnect()
        assert info.value.winerror == ws.WSAENOTSOCK


def test_disconnect_reuses_its_largest_buffer_for_a_long_reply():
    """64 KiB, then 256 KiB, 1, 4 and 16 MiB buffers; the 16 MiB one is reused."""
    size = (40 << 20) + 3
    with ReplyAfterFinPeer(reply=size) as peer:
        conn = portsock.connect(*peer.address, timeout=60)
        conn.sendall(b"go")
        reply = conn.disconnect()
    assert len(reply) == size and reply == pattern(size)


@pytest.mark.parametrize("size", [0, 1, 65537, 3 << 20])
def test_disconnect_discard_drops_the_reply_and_counts_it(size):
    with ReplyAfterFinPeer(reply=size, delay=0.05) as peer:
        conn = portsock.connect(*peer.address, timeout=30)
        assert conn.discarded == 0
        conn.sendall(b"go")
        assert conn.disconnect(discard=True) == b""
        assert conn.discarded == size
        assert conn.closed and conn.fileno() == -1
    assert peer.report.received == b"go"
    assert peer.report.saw_fin and not peer.report.saw_reset


def test_disconnect_discard_errors_close_the_connection():
    with ResetPeer(after=4) as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.sendall(b"1234")
        with pytest.raises(ConnectionResetError):
            conn.disconnect(discard=True)
        assert conn.closed
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.disconnect(timeout=0.2, discard=True)
        assert time.monotonic() - started < 0.2 + TIME_SLACK
        assert conn.closed and conn.discarded == 0
        with pytest.raises(portsock.WinsockError) as info:
            conn.disconnect(discard=True)
        assert info.value.winerror == ws.WSAENOTSOCK


# -- abort, close -----------------------------------------------------------------

def test_abort_is_seen_as_a_reset_and_close_as_a_fin():
    with EchoPeer() as aborted:
        portsock.connect(*aborted.address, timeout=5).abort()
    assert aborted.report.saw_reset and not aborted.report.saw_fin
    with EchoPeer() as closed:
        portsock.connect(*closed.address, timeout=5).close()
    assert closed.report.saw_fin and not closed.report.saw_reset


def test_close_is_idempotent_and_state_shows_in_repr():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=1.5)
        text = repr(conn)
        assert "open" in text and "127.0.0.1:%d" % peer.port in text and "timeout=1.5" in text
        conn.close()
        conn.close()
        assert conn.closed
        assert "closed" in repr(conn)
        with pytest.raises(portsock.WinsockError):
            conn.send(b"x")
        conn.abort()   # a no-op once closed


def test_close_from_another_thread_wakes_recv():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        errors = []

        def reader():
            try:
                conn.recv(10)
            except OSError as e:
                errors.append(e)

        thread = threading.Thread(target=reader)
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive()
        conn.close()
        thread.join(5)
        assert not thread.is_alive()
        assert len(errors) == 1 and errors[0].winerror == ws.WSAEINTR
        assert "closed" in str(errors[0])


def test_close_from_another_thread_wakes_disconnect():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        errors = []

        def drainer():
            try:
                conn.disconnect()
            except OSError as e:
                errors.append(e)

        thread = threading.Thread(target=drainer)
        thread.start()
        time.sleep(0.3)
        conn.close()
        thread.join(5)
        assert not thread.is_alive()
        assert len(errors) == 1 and errors[0].winerror == ws.WSAEINTR


def test_close_from_another_thread_wakes_sendall():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        errors = []

        def sender():
            try:
                conn.sendall(bytes(64 << 20))
            except OSError as e:
                errors.append(e)

        thread = threading.Thread(target=sender)
        thread.start()
        time.sleep(0.5)
        conn.close()
        thread.join(5)
        assert not thread.is_alive()
        assert len(errors) == 1 and errors[0].winerror == ws.WSAEINTR
        assert 0 < errors[0].bytes_sent < 64 << 20


# -- timeouts ----------------------------------------------------------------------

def test_settimeout_gettimeout_and_recv_deadline():
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address)
        assert conn.gettimeout() is None
        conn.settimeout(0.2)
        assert conn.gettimeout() == 0.2
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.recv(1)
        assert 0.15 <= time.monotonic() - started < 0.2 + TIME_SLACK
        conn.settimeout(0)
        with pytest.raises(BlockingIOError) as info:
            conn.recv(1)
        assert info.value.winerror == ws.WSAEWOULDBLOCK
        conn.setblocking(True)
        assert conn.gettimeout() is None
        with pytest.raises(ValueError):
            conn.settimeout(-0.5)
        with pytest.raises(TypeError):
            conn.settimeout("1")
        conn.close()


def test_connect_timeout_is_kept_on_the_connection():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=2.5)
        assert conn.gettimeout() == 2.5
        conn.close()


# -- fileno, from_socket --------------------------------------------------------------

def test_fileno_works_with_selectors():
    with HalfCloseFirstPeer(reply=b"ready") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert conn.fileno() >= 0
        with selectors.DefaultSelector() as sel:
            sel.register(conn.fileno(), selectors.EVENT_READ)
            assert sel.select(timeout=5)
        assert conn.recv(5) == b"ready"
        conn.close()
        assert conn.fileno() == -1


def test_from_socket_adopts_a_stdlib_socket():
    with ReplyAfterFinPeer(reply=b"adopted") as peer:
        sock = stdlib_socket.create_connection(peer.address, timeout=5)
        conn = portsock.Connection.from_socket(sock)
        assert sock.fileno() == -1          # detached: the Connection owns it
        assert conn.gettimeout() == 5
        conn.sendall(b"hi")
        assert conn.disconnect() == b"adopted"
    with pytest.raises(TypeError):
        portsock.Connection.from_socket(object())


# -- the context manager -----------------------------------------------------------------

def test_with_block_ends_with_the_graceful_disconnect():
    with ReplyAfterFinPeer(reply=200000, delay=0.2) as peer:
        with portsock.connect(*peer.address, timeout=10) as conn:
            conn.sendall(b"request")
        assert conn.closed
        assert conn.drained == pattern(200000)
    assert peer.report.saw_fin and not peer.report.saw_reset


def test_with_block_exception_propagates_unchanged_and_still_disconnects():
    class Boom(Exception):
        pass

    with ReplyAfterFinPeer(reply=b"late") as peer:
        with pytest.raises(Boom):
            with portsock.connect(*peer.address, timeout=5) as conn:
                conn.sendall(b"x")
                raise Boom()
        assert conn.closed and conn.drained == b"late"
    assert not peer.report.saw_reset


def test_with_block_is_bounded_by_the_timeout():
    with SilentPeer() as peer:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            with portsock.connect(*peer.address, timeout=0.3):
                pass
        assert time.monotonic() - started < 0.3 + TIME_SLACK


def test_garbage_collected_connection_is_closed_with_a_resource_warning():
    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        with pytest.warns(ResourceWarning, match="unclosed"):
            del conn
            gc.collect()
        assert wait_for(lambda: peer.report.saw_fin)


def test_addresses_are_read_on_first_use_while_open():
    with ReplyAfterFinPeer(reply=b"x") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert conn.peer_address == peer.address
        conn.disconnect()
        # Read while open: still known once closed.
        assert conn.peer_address == peer.address and conn.local_address[0] == "127.0.0.1"
    with EchoPeer() as peer:
        unread = portsock.connect(*peer.address, timeout=5)
        unread.close()
        # Never read while open: the socket is gone, so they are unknown.
        assert unread.local_address is None and unread.peer_address is None
        assert "? -> ?" in repr(unread)


def test_from_socket_without_a_timeout_is_blocking():
    with ReplyAfterFinPeer(reply=b"blocking") as peer:
        sock = stdlib_socket.create_connection(peer.address)
        sock.settimeout(None)
        conn = portsock.Connection.from_socket(sock)
        assert conn.gettimeout() is None
        conn.sendall(b"hi")
        assert conn.disconnect() == b"blocking"


@pytest.mark.parametrize("host", ["", "a", "example.com", "example.com.", "a..b", ".a", "a.", "..",
                                  "x" * 63, "x" * 64, ("x" * 63 + ".") * 3 + "x" * 64, "bücher.example",
                                  "UPPER.case", "-dash-.x"])
def test_hosts_are_encoded_as_the_idna_codec_does(host):
    from portsock._connection import _encode_host
    try:
        expected = host.encode("idna") if host else b""
    except UnicodeError as e:
        with pytest.raises(type(e)):
            _encode_host(host)
    else:
        assert _encode_host(host) == expected


def test_numeric_hosts_resolve_once():
    from portsock import _connection
    with ReplyAfterFinPeer(reply=b"one") as peer:
        conn = portsock.connect("127.0.0.1", peer.port, timeout=5)
        conn.sendall(b"a")
        assert conn.disconnect() == b"one"
    assert ("127.0.0.1", peer.port, ws.AF_UNSPEC, False) in _connection._NUMERIC
    with pytest.raises(ConnectionRefusedError):   # the kept entry, nothing listening
        portsock.connect("127.0.0.1", peer.port, timeout=5)
    with EchoPeer() as peer:
        portsock.connect("localhost", peer.port, timeout=5).close()
    assert not any(key[0] == "localhost" for key in _connection._NUMERIC)


def _drain_startup_count() -> int:
    """WSACleanup until the layer is stopped; how many succeeded."""
    n = 0
    while ws.WSACleanup() == 0:
        n += 1
    return n


# On Windows the stdlib's sockets live on the process's one startup count, the one these tests
# drain: the final WSACleanup closes the listener too (as it closes every socket of the process).
stdlib_listener_survives_the_final_cleanup = pytest.mark.skipif(
    sys.platform == "win32", reason="a stdlib socket on Windows shares the process's startup count: "
    "the final WSACleanup the test needs closes its listener")


def _stdlib_listener() -> stdlib_socket.socket:
    """A listener with no portsock startup reference behind it."""
    lst = stdlib_socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    return lst


@stdlib_listener_survives_the_final_cleanup
def test_connections_share_one_implicit_startup_reference():
    with _stdlib_listener() as lst:
        _drain_startup_count()
        conns = [portsock.connect(*lst.getsockname(), timeout=5) for _ in range(3)]
        for conn in conns[:2]:
            conn.close()
        # One reference for the process, not one per Connection (the final
        # cleanup closes the third one's socket, as Winsock's does).
        assert _drain_startup_count() == 1
        conns[2].close()


@stdlib_listener_survives_the_final_cleanup
def test_connect_after_every_reference_was_dropped_starts_again():
    with ReplyAfterFinPeer(reply=b"again") as peer:
        portsock.connect(*peer.address, timeout=5).close()   # the implicit reference is taken
    with _stdlib_listener() as lst:
        _drain_startup_count()                               # and dropped with every other
        conn = portsock.connect(*lst.getsockname(), timeout=5)
        assert not conn.closed
        conn.close()
        assert _drain_startup_count() == 1
        # from_socket() too.
        sock = stdlib_socket.create_connection(lst.getsockname(), timeout=5)
        conn = portsock.Connection.from_socket(sock)
        conn.close()
        assert _drain_startup_count() == 1
        # A name, resolved by getaddrinfo (which also says WSANOTINITIALISED).
        conn = portsock.connect("localhost", lst.getsockname()[1], timeout=5, family=portsock.AF_INET)
        conn.close()
        assert _drain_startup_count() == 1


@stdlib_listener_survives_the_final_cleanup
def test_threads_that_find_the_layer_stopped_take_one_reference():
    with _stdlib_listener() as lst:
        portsock.connect(*lst.getsockname(), timeout=5).close()
        _drain_startup_count()
        barrier = threading.Barrier(8)
        errors = []

        def work():
            barrier.wait()
            try:
                portsock.connect(*lst.getsockname(), timeout=5).close()
            except OSError as e:   # pragma: no cover - reported
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        assert _drain_startup_count() == 1


def test_a_connection_outlives_the_session_around_it():
    with ReplyAfterFinPeer(reply=b"still here") as peer:
        with portsock.Session():
            conn = portsock.connect(*peer.address, timeout=5)
        conn.sendall(b"hi")
        assert conn.disconnect() == b"still here"


# -- Session ------------------------------------------------------------------------------

def test_session_nests_like_the_winsock_count():
    with portsock.Session() as outer:
        assert outer.data.wVersion == 0x0202
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert s != ws.INVALID_SOCKET
        with portsock.Session():
            pass
        # The inner exit was not the final cleanup: the socket still works.
        assert ws.closesocket(s) == 0


def test_session_exit_is_the_final_cleanup_where_connect_never_ran():
    """In a fresh process (no connect(), so no implicit reference), leaving
    the outermost Session is the final WSACleanup: the layer is stopped."""
    code = (
        "import portsock\n"
        "from portsock import winsock as ws\n"
        "with portsock.Session():\n"
        "    with portsock.Session():\n"
        "        pass\n"
        "    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)\n"
        "    assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()\n"
        "assert ws.socket(ws.AF_INET, ws.SOCK_STREAM, 0) == ws.INVALID_SOCKET\n"
        "assert ws.WSAGetLastError() == ws.WSANOTINITIALISED, ws.WSAGetLastError()\n"
        "assert ws.closesocket(s) == ws.SOCKET_ERROR\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_session_bad_version():
    with pytest.raises(portsock.WinsockError) as info:
        with portsock.Session(version=(0, 1)):
            pass
    assert info.value.winerror == ws.WSAVERNOTSUPPORTED


def test_infinite_timeout_means_none_and_huge_recv_sizes_are_fine():
    with HalfCloseFirstPeer(reply=b"hello") as peer:
        conn = portsock.connect(*peer.address, timeout=float("inf"))
        assert conn.gettimeout() is None
        assert conn.recv((1 << 31) - 1) == b"hello"    # no 2 GiB buffer up front
        with pytest.raises(portsock.WinsockError) as info:
            conn.send(b"x", 1 << 40)
        assert info.value.winerror == ws.WSAEOPNOTSUPP
        conn.close()


def test_session_enter_and_exit_both_show_in_a_trace():
    with ws.trace() as t:
        with portsock.Session():
            pass
    assert [e["call"] for e in t] == ["WSAStartup", "WSACleanup"]
    assert [e["ret"] for e in t] == [0, 0]


def test_each_layer_uses_only_its_own_helpers_and_the_one_below():
    """_connection.py takes the shared conversions from _args, never the
    mirror's private names (winsock._c_int, ...)."""
    import pathlib
    import re
    source = pathlib.Path(portsock._connection.__file__).read_text()
    assert not re.findall(r"_ws\._\w+", source)
