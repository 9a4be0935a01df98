"""Faults: each ends with the exact Winsock code, no crash, no descriptor left
open, and nothing lost that the peer sent before its FIN.

Peers misbehave (reset at accept, mid-send, mid-reply; stay silent; close or
half-close first), connects fail (refused, unknown host), signals rain on
blocked calls, other threads close sockets or call the final WSACleanup under
running calls, and descriptors run out. Scenarios that need a process of their
own (their own startup count, their own RLIMIT_NOFILE) run in
tests/fault_child.py, in a child process.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Set, Tuple

import pytest
from leakcheck import HAVE_PROC

import portsock
from portsock import winsock as ws
from portsock.testing import (
    CloseFirstPeer,
    HalfCloseFirstPeer,
    Peer,
    ReplyAfterFinPeer,
    ResetPeer,
    SilentPeer,
    pattern,
    wait_for,
)

from conftest import connected_pair, fill_send_buffer, listener, open_socket_fds, recv_all

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason="the leak checks read /proc")

TIME_SLACK = 2.0   # how late a deadline may fire on a loaded 2-core machine
WAKE_BOUND = 5.0
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_child.py")


@pytest.fixture
def no_leak() -> Iterator[None]:
    """The test leaves no socket or eventfd open that was not open before
    (peers' threads close theirs asynchronously: wait a little for them)."""
    before = open_socket_fds()
    yield
    assert wait_for(lambda: open_socket_fds() <= before, 5.0), sorted(open_socket_fds() - before)


@pytest.fixture
def started(no_leak: None) -> Iterator[None]:
    """WSAStartup for a mirror test, released after it (other tests' counts untouched)."""
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    yield
    assert ws.WSACleanup() == 0


def safety_net(s: int, ms: int = 20000) -> None:
    """A bound on every blocking call a test fails to end."""
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4) == 0


def mirror_client(peer: Peer) -> int:
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert s != ws.INVALID_SOCKET
    addr = ws.sockaddr_in(ws.AF_INET, ws.htons(peer.port), ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.connect(s, addr, ws.sizeof(addr)) == 0, ws.WSAGetLastError()
    safety_net(s)
    return s


def last(ret: int) -> Tuple[int, int]:
    return ret, ws.WSAGetLastError()


def closed_port() -> int:
    """A loopback port nobody listens on (the OS just gave it out)."""
    s, bound = listener()
    port = ws.ntohs(bound.sin_port)
    ws.closesocket(s)
    return port


def run_child(scenario: str, timeout: float = 120.0, env: Any = None) -> Any:
    proc = subprocess.run([sys.executable, CHILD, scenario], capture_output=True, text=True,
                          timeout=timeout, env=env)
    assert proc.returncode == 0, "exit status %d\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the peer resets ----------------------------------------------------------

def test_reset_at_accept_mirror(started: None) -> None:
    with ResetPeer(after=0) as peer:
        s = mirror_client(peer)
        peer.wait()
        assert last(ws.recv(s, bytearray(16), 16, 0)) == (ws.SOCKET_ERROR, ws.WSAECONNRESET)
        # Sticky, as on Windows: every later call says the same.
        assert last(ws.recv(s, bytearray(16), 16, 0)) == (ws.SOCKET_ERROR, ws.WSAECONNRESET)
        assert last(ws.send(s, b"x", 1, 0)) == (ws.SOCKET_ERROR, ws.WSAECONNRESET)
        assert last(ws.shutdown(s, ws.SD_SEND)) == (0, 0)
        assert last(ws.closesocket(s)) == (0, 0)


def test_reset_at_accept_pythonic(no_leak: None) -> None:
    with ResetPeer(after=0) as peer:
        conn = portsock.connect(*peer.address, timeout=10)
        peer.wait()
        with pytest.raises(ConnectionResetError) as info:
            conn.sendall(b"request")
            conn.disconnect()
        assert info.value.winerror == ws.WSAECONNRESET
        conn.close()
        assert conn.closed


def test_reset_mid_send_mirror(started: None) -> None:
    with ResetPeer(after=200_000) as peer:
        s = mirror_client(peer)
        chunk = pattern(1 << 20)
        sent = 0
        for _ in range(256):   # at most 256 MiB; the reset comes after 200 kB
            n = ws.send(s, chunk, len(chunk), 0)
            if n == ws.SOCKET_ERROR:
                break
            sent += n
        else:
            raise AssertionError("the reset never showed")
        assert ws.WSAGetLastError() == ws.WSAECONNRESET
        assert last(ws.send(s, b"x", 1, 0)) == (ws.SOCKET_ERROR, ws.WSAECONNRESET)
        assert ws.closesocket(s) == 0
    # What the peer read is exactly the start of what was sent.
    assert peer.report.received == chunk[:200_000]


def test_reset_mid_sendall_pythonic(no_leak: None) -> None:
    data = pattern(64 << 20)
    with ResetPeer(after=300_000) as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        with pytest.raises(ConnectionResetError) as info:
            conn.sendall(data)
        assert info.value.winerror == ws.WSAECONNRESET
        assert 300_000 <= info.value.bytes_sent < len(data)
        with pytest.raises(ConnectionResetError):
            conn.disconnect()
        assert conn.closed
    assert peer.report.received == data[:300_000]


class ResetMidReplyPeer(Peer):
    """Reads the request to the client's FIN, sends part of a reply, resets."""

    def __init__(self, part: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.part = part

    def script(self, s: int) -> None:
        self.read_until_fin(s)
        self.send_all(s, pattern(self.part))
        self.sleep(0.1)
        self.reset(s)


def test_reset_mid_reply_mirror(started: None) -> None:
    with ResetMidReplyPeer(part=100_000) as peer:
        s = mirror_client(peer)
        assert ws.send(s, b"request", 7, 0) == 7
        assert ws.shutdown(s, ws.SD_SEND) == 0
        peer.wait()
        got = bytearray()
        buf = bytearray(65536)
        for _ in range(1000):
            n = ws.recv(s, buf, len(buf), 0)
            if n <= 0:
                break
            got += buf[:n]
        assert n == ws.SOCKET_ERROR and ws.WSAGetLastError() == ws.WSAECONNRESET
        # Windows may drop the reply at the reset; Linux hands over what
        # arrived first. Either way no byte is wrong or out of order.
        assert bytes(got) == pattern(100_000)[:len(got)]
        assert last(ws.recv(s, buf, len(buf), 0)) == (ws.SOCKET_ERROR, ws.WSAECONNRESET)
        assert ws.closesocket(s) == 0
    assert peer.report.received == b"request" and peer.report.saw_fin


def test_reset_mid_reply_pythonic_disconnect(no_leak: None) -> None:
    with ResetMidReplyPeer(part=3 << 20) as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        conn.sendall(b"request")
        with pytest.raises(ConnectionResetError) as info:
            conn.disconnect()
        assert info.value.winerror == ws.WSAECONNRESET
        assert info.value.function == "disconnect"
        assert conn.closed


# -- the peer is silent -----------------------------------------------------------

def test_silent_peer_mirror_recv_times_out(started: None) -> None:
    with SilentPeer() as peer:
        s = mirror_client(peer)
        safety_net(s, 300)
        t0 = time.monotonic()
        assert last(ws.recv(s, bytearray(16), 16, 0)) == (ws.SOCKET_ERROR, ws.WSAETIMEDOUT)
        assert 0.29 <= time.monotonic() - t0 < 0.3 + TIME_SLACK
        # The socket is still usable after a timeout, as on Windows.
        assert ws.send(s, b"ping", 4, 0) == 4
        assert ws.closesocket(s) == 0


def test_silent_peer_pythonic_deadlines(no_leak: None) -> None:
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            conn.recv(16)
        assert info.value.winerror == ws.WSAETIMEDOUT
        assert time.monotonic() - t0 < 0.3 + TIME_SLACK
        # A silent peer never reads: a big sendall fills the buffers and times out.
        with pytest.raises(TimeoutError) as info:
            conn.sendall(bytes(64 << 20))
        assert info.value.winerror == ws.WSAETIMEDOUT
        assert 0 < info.value.bytes_sent < 64 << 20
        t0 = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            conn.disconnect(timeout=0.5)
        assert info.value.winerror == ws.WSAETIMEDOUT
        assert 0.45 <= time.monotonic() - t0 < 0.5 + TIME_SLACK
        assert conn.closed


def test_explicit_disconnect_timeout_outlasts_the_connection_timeout(no_leak: None) -> None:
    """Regression: on POSIX the connection's own timeout (SO_RCVTIMEO, 0.3 s)
    cut disconnect(timeout=5) short; the deadline given to the one-call path
    now rules alone, as in the Windows backend, which waits in select."""
    with ReplyAfterFinPeer(reply=b"late reply", delay=1.0) as peer:
        conn = portsock.connect(*peer.address, timeout=0.3)
        conn.sendall(b"request")
        t0 = time.monotonic()
        assert conn.disconnect(timeout=5) == b"late reply"
        assert 0.9 <= time.monotonic() - t0 < 1.0 + TIME_SLACK
    with SilentPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.disconnect(timeout=0.3)   # and a shorter one still ends it sooner
        assert 0.25 <= time.monotonic() - t0 < 0.3 + TIME_SLACK


# -- the peer closes or half-closes first ----------------------------------------------

def test_peer_closes_first_mirror_nothing_lost(started: None) -> None:
    reply = pattern(3 << 20)
    with CloseFirstPeer(reply=len(reply)) as peer:
        s = mirror_client(peer)
        assert recv_all(s, limit=8 << 20) == reply
        peer.wait()
        assert last(ws.recv(s, bytearray(8), 8, 0)) == (0, 0)   # the FIN, again
        # The first send after the peer's close succeeds; a later one sees the
        # reset the peer's kernel answered with.
        assert ws.send(s, b"late", 4, 0) == 4
        assert wait_for(lambda: ws.send(s, b"x", 1, 0) == ws.SOCKET_ERROR, 5.0)
        assert ws.WSAGetLastError() == ws.WSAECONNRESET
        assert ws.closesocket(s) == 0


def test_peer_closes_first_pythonic_nothing_lost(no_leak: None) -> None:
    reply = pattern(5 << 20)
    with CloseFirstPeer(reply=len(reply)) as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        assert conn.disconnect() == reply
        peer.wait()
    assert peer.report.error is None


def test_peer_half_closes_first_mirror(started: None) -> None:
    reply = pattern(1 << 20)
    request = pattern(2 << 20)[::-1]
    with HalfCloseFirstPeer(reply=reply) as peer:
        s = mirror_client(peer)
        assert recv_all(s, limit=4 << 20) == reply
        # The peer only half-closed: it still reads everything sent to it.
        view = memoryview(request)
        while view:
            n = ws.send(s, view, len(view), 0)
            assert n > 0, ws.WSAGetLastError()
            view = view[n:]
        assert ws.shutdown(s, ws.SD_SEND) == 0
        assert last(ws.recv(s, bytearray(8), 8, 0)) == (0, 0)
        assert ws.closesocket(s) == 0
        peer.wait()
    assert peer.report.received == request
    assert peer.report.saw_fin and not peer.report.saw_reset


def test_peer_half_closes_first_pythonic(no_leak: None) -> None:
    reply = pattern(2 << 20)
    with HalfCloseFirstPeer(reply=reply) as peer:
        conn = portsock.connect(*peer.address, timeout=20)
        got = bytearray()
        while True:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        assert bytes(got) == reply
        conn.sendall(b"after the peer's FIN")
        assert conn.disconnect() == b""
        peer.wait()
    assert peer.report.received == b"after the peer's FIN" and peer.report.saw_fin


# -- connects that fail ---------------------------------------------------------

@pytest.mark.parametrize("family", [ws.AF_INET, ws.AF_INET6])
def test_refused_connect_mirror(started: None, family: int) -> None:
    lst, bound = listener(family)
    ws.closesocket(lst)
    s = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert last(ws.connect(s, bound, ws.sizeof(bound))) == (ws.SOCKET_ERROR, ws.WSAECONNREFUSED)
    assert last(ws.closesocket(s)) == (0, 0)


def test_refused_connect_pythonic(no_leak: None) -> None:
    port = None
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    try:
        port = closed_port()
    finally:
        ws.WSACleanup()
    for _ in range(20):   # repeated: a refused connect leaves nothing behind
        with pytest.raises(ConnectionRefusedError) as info:
            portsock.connect("127.0.0.1", port, timeout=5)
        assert info.value.winerror == ws.WSAECONNREFUSED


def test_unknown_host(started: None) -> None:
    result: List[ws.ADDRINFOA] = []
    assert ws.getaddrinfo("no-such-host.invalid", "80", None, result) == ws.WSAHOST_NOT_FOUND
    assert ws.WSAGetLastError() == ws.WSAHOST_NOT_FOUND and result == []
    with pytest.raises(portsock.WinsockError) as info:
        portsock.connect("no-such-host.invalid", 80, timeout=5)
    assert info.value.winerror == ws.WSAHOST_NOT_FOUND
    assert info.value.function == "getaddrinfo"


# -- a storm of signals on blocked calls ---------------------------------------------

# SIGUSR1, kill(2) and set_wakeup_fd on a pipe: POSIX signals. On Windows no Winsock call sees a
# signal (win32.c's ps_set_signal_hook keeps the hook and never calls it), so there is nothing to storm.
posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals (SIGUSR1, kill(2)); "
                                   "a Winsock call never sees a signal")


class SignalStorm:
    """SIGUSR1 at the main thread, from another thread as fast as it can, and
    from a child process (kill(2) at this process), while the main thread is
    blocked in a call. signal.set_wakeup_fd counts the deliveries: CPython's C
    handler writes one byte per signal that reached the process, each of
    which interrupted the main thread's system call (poll, send, recv)."""

    def __init__(self) -> None:
        self.handled = 0
        self.sent = 0
        self.stop = threading.Event()
        self.rd, self.wr = os.pipe()
        os.set_blocking(self.rd, False)
        os.set_blocking(self.wr, False)
        self.deliveries = 0
        self.main = threading.get_ident()

    def handler(self, signum: int, frame: Any) -> None:
        self.handled += 1

    def drain(self) -> None:
        while True:
            try:
                data = os.read(self.rd, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            self.deliveries += len(data)

    def __enter__(self) -> SignalStorm:
        self.old_handler = signal.signal(signal.SIGUSR1, self.handler)
        self.old_wakeup = signal.set_wakeup_fd(self.wr, warn_on_full_buffer=False)

        def from_thread() -> None:
            end = time.monotonic() + 30
            while not self.stop.is_set() and time.monotonic() < end:
                signal.pthread_kill(self.main, signal.SIGUSR1)
                self.sent += 1
                if self.sent % 64 == 0:
                    self.drain()
                    time.sleep(0.0005)

        self.thread = threading.Thread(target=from_thread, daemon=True)
        self.thread.start()
        code = ("import os, sys, time\n"
                "pid, sig = int(sys.argv[1]), int(sys.argv[2]); end = time.monotonic() + 30\n"
                "while time.monotonic() < end:\n"
                "    os.kill(pid, sig)\n"
                "    time.sleep(0.0002)\n")
        self.child = subprocess.Popen([sys.executable, "-c", code, str(os.getpid()), str(int(signal.SIGUSR1))])
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.child.kill()
        self.child.wait()
        self.thread.join(10)
        time.sleep(0.05)   # the last signals land before the default handler is back
        self.drain()
        signal.set_wakeup_fd(self.old_wakeup)
        signal.signal(signal.SIGUSR1, self.old_handler)
        os.close(self.rd)
        os.close(self.wr)


@posix_signals
def test_signal_storm_during_blocking_recv(started: None) -> None:
    client, server = connected_pair()
    safety_net(client)
    message = b"the storm is over"
    feeder = threading.Timer(1.0, lambda: ws.send(server, message, len(message), 0))
    with SignalStorm() as storm:
        feeder.start()
        buf = bytearray(64)
        t0 = time.monotonic()
        n = ws.recv(client, buf, len(buf), 0)
        err = ws.WSAGetLastError()
        blocked = time.monotonic() - t0
    feeder.join()
    assert (n, err) == (len(message), 0)
    assert bytes(buf[:n]) == message
    assert blocked >= 0.9
    assert storm.deliveries >= 50, storm.deliveries   # the call was interrupted, over and over
    ws.closesocket(client)
    ws.closesocket(server)


@posix_signals
def test_signal_storm_during_blocking_send_and_recv_waitall(started: None) -> None:
    client, server = connected_pair()
    safety_net(client)
    safety_net(server)
    data = pattern(24 << 20)
    got = bytearray()

    def slow_reader() -> None:
        buf = bytearray(1 << 16)
        while len(got) < len(data):
            n = ws.recv(server, buf, len(buf), 0)
            if n <= 0:
                return
            got.extend(buf[:n])
            if len(got) < (4 << 20):
                time.sleep(0.002)   # slow at first: the sender blocks again and again

    reader = threading.Thread(target=slow_reader, daemon=True)
    with SignalStorm() as storm:
        reader.start()
        n = ws.send(client, data, len(data), 0)
        err = ws.WSAGetLastError()
        reader.join(60)
        # MSG_WAITALL recv in the storm, too: the peer sends in pieces.
        back = pattern(3 << 20)
        sender = threading.Thread(target=lambda: [ws.send(server, back[i:i + 4096], 4096, 0)
                                                  for i in range(0, len(back), 4096)], daemon=True)
        sender.start()
        rbuf = bytearray(len(back))
        m = ws.recv(client, rbuf, len(rbuf), ws.MSG_WAITALL)
        merr = ws.WSAGetLastError()
        sender.join(60)
    assert (n, err) == (len(data), 0)
    assert bytes(got) == data
    assert (m, merr) == (len(back), 0) and bytes(rbuf) == back
    assert storm.deliveries >= 50, storm.deliveries
    ws.closesocket(client)
    ws.closesocket(server)


@posix_signals
def test_signal_storm_during_pythonic_lifecycle_and_deadline(no_leak: None) -> None:
    request, reply = pattern(8 << 20), pattern(8 << 20)[::-1]
    with ReplyAfterFinPeer(reply=reply, delay=0.5) as peer:
        with SignalStorm() as storm:
            conn = portsock.connect(*peer.address, timeout=30)
            conn.sendall(request)
            got = conn.disconnect()
            # A deadline holds in the storm: EINTR neither ends the wait early
            # nor restarts its clock.
            with SilentPeer() as silent:
                quiet = portsock.connect(*silent.address, timeout=0.5)
                t0 = time.monotonic()
                with pytest.raises(TimeoutError):
                    quiet.recv(1)
                waited = time.monotonic() - t0
                quiet.close()
    assert got == reply
    assert peer.report.received == request and peer.report.saw_fin
    assert 0.45 <= waited < 0.5 + TIME_SLACK
    assert storm.deliveries >= 50, storm.deliveries


@posix_signals
def test_signal_storm_during_connect_and_accept(started: None) -> None:
    lst, bound = listener()
    safety_net(lst)
    late = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    connector = threading.Timer(0.8, lambda: ws.connect(late, bound, ws.sizeof(bound)))
    with SignalStorm() as storm:
        connector.start()
        s = ws.accept(lst, None, None)
        err = ws.WSAGetLastError()
    connector.join()
    assert s != ws.INVALID_SOCKET and err == 0
    assert storm.deliveries >= 20, storm.deliveries
    for h in (s, late, lst):
        ws.closesocket(h)


# -- closesocket from another thread, mid-call --------------------------------------


def backlog_full_listener() -> Tuple[int, Any, int]:
    """A listener whose accept queue is full (backlog 0 and one connection
    waiting): a further connect blocks, its SYN dropped."""
    lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(lst, addr, 16) == 0 and ws.listen(lst, 0) == 0
    bound = ws.sockaddr_in()
    ws.getsockname(lst, bound, ws.c_int(16))
    filler = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert ws.connect(filler, bound, 16) == 0
    return lst, bound, filler


def test_close_during_blocked_connect(started: None) -> None:
    lst, bound, filler = backlog_full_listener()
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    out: List[Tuple[int, int]] = []
    t = threading.Thread(target=lambda: out.append(last(ws.connect(s, bound, 16))), daemon=True)
    t.start()
    time.sleep(0.4)
    assert t.is_alive(), "connect did not block: %r" % out
    assert ws.closesocket(s) == 0
    t.join(WAKE_BOUND)
    assert not t.is_alive()
    assert out == [(ws.SOCKET_ERROR, ws.WSAEINTR)]
    ws.closesocket(filler)
    ws.closesocket(lst)


def test_connect_deadline_to_a_full_backlog(no_leak: None) -> None:
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    try:
        lst, bound, filler = backlog_full_listener()
        t0 = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            portsock.connect("127.0.0.1", ws.ntohs(bound.sin_port), timeout=0.4)
        assert info.value.winerror == ws.WSAETIMEDOUT
        assert 0.35 <= time.monotonic() - t0 < 0.4 + TIME_SLACK
        ws.closesocket(filler)
        ws.closesocket(lst)
    finally:
        ws.WSACleanup()


def _blocked_op(kind: str) -> Tuple[Callable[[], Tuple[int, int]], int, List[int], Set[Tuple[int, int]]]:
    """(the call, the handle to close, other handles, the results allowed) for
    a call that blocks until the handle is closed."""
    if kind in ("recv", "send", "recv_waitall", "drain"):
        c, s = connected_pair()
        safety_net(c)
        if kind == "send":
            fill_send_buffer(c, s)
            data = bytes(1 << 20)
            # A close before the call holds the handle gives WSAENOTSOCK; after,
            # WSAEINTR; a send may also report the bytes that went out first.
            return (lambda: last(ws.send(c, data, len(data), 0))), c, [s], {"send"}
        if kind == "recv_waitall":
            ws.send(s, b"abc", 3, 0)
            buf = bytearray(64)
            return (lambda: last(ws.recv(c, buf, 64, ws.MSG_WAITALL))), c, [s], {"recv"}
        if kind == "drain":
            from portsock._core import ffi, lib
            got = ffi.new("size_t *")
            cbuf = ffi.new("char[]", 4096)
            return (lambda: (int(lib.ps_disconnect(c, cbuf, 4096, got, 20000)), int(lib.ps_last_error()))), \
                c, [s], {"disconnect"}
        buf = bytearray(64)
        return (lambda: last(ws.recv(c, buf, 64, 0))), c, [s], {"recv"}
    if kind == "accept":
        lst, _ = listener()
        return (lambda: last(ws.accept(lst, None, None))), lst, [], {"accept"}
    lst, bound, filler = backlog_full_listener()
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    return (lambda: last(ws.connect(s, bound, 16))), s, [lst, filler], {"connect"}


@pytest.mark.parametrize("kind", ["recv", "recv_waitall", "send", "accept", "connect", "drain"])
def test_close_from_another_thread_at_random_moments(started: None, kind: str) -> None:
    """closesocket at a random moment around a blocking call, 25 times: the
    call ends with WSAEINTR (it was waiting) or WSAENOTSOCK (the handle was
    gone before it started), or the call's own success; never anything else,
    never a hang."""
    rng = random.Random(hash(kind) & 0xFFFF)
    seen = {}
    for _ in range(25):
        call, victim, others, _ = _blocked_op(kind)
        out: List[Tuple[int, int]] = []
        t = threading.Thread(target=lambda out=out, call=call: out.append(call()), daemon=True)
        t.start()
        time.sleep(rng.uniform(0, 0.02))
        closed = ws.closesocket(victim)
        t.join(WAKE_BOUND)
        assert not t.is_alive(), "%s was not woken by closesocket" % kind
        ret, err = out[0]
        if kind in ("send", "recv_waitall") and ret > 0:
            # The core reports bytes that moved before the close rather than
            # lose them in an error (a MSG_WAITALL recv had 3 of its 64).
            assert kind == "send" or ret == 3
            key = "partial"
        elif kind == "drain" and ret == 1:
            key = "buffer full"
        else:
            assert err in (ws.WSAEINTR, ws.WSAENOTSOCK), (kind, ret, err)
            assert ret in (ws.SOCKET_ERROR, ws.INVALID_SOCKET), (kind, ret, err)
            key = ws.WSAEINTR if err == ws.WSAEINTR else ws.WSAENOTSOCK
        seen[key] = seen.get(key, 0) + 1
        assert closed == 0   # no call ends by itself: each waits for the close
        for h in others:
            ws.closesocket(h)
    assert seen.get("partial" if kind == "recv_waitall" else ws.WSAEINTR, 0) > 0, seen


def test_close_during_pythonic_calls(no_leak: None) -> None:
    """Connection.close() from another thread ends a blocked recv, sendall or
    disconnect with a WinsockError whose winerror is WSAEINTR (10004)."""
    def run(call: str, conn: portsock.Connection, errors: List[BaseException]) -> None:
        try:
            if call == "recv":
                conn.recv(10)
            elif call == "sendall":
                conn.sendall(bytes(64 << 20))
            else:
                conn.disconnect()
        except BaseException as e:   # recorded, checked below
            errors.append(e)

    for call in ("recv", "sendall", "disconnect"):
        with SilentPeer() as peer:
            conn = portsock.connect(*peer.address, timeout=20)
            errors: List[BaseException] = []
            t = threading.Thread(target=run, args=(call, conn, errors), daemon=True)
            t.start()
            time.sleep(0.3)
            assert t.is_alive()
            conn.close()
            t.join(WAKE_BOUND)
            assert not t.is_alive()
            assert len(errors) == 1 and isinstance(errors[0], portsock.WinsockError), errors
            assert errors[0].winerror == ws.WSAEINTR, errors[0]
            assert conn.closed


# -- the final WSACleanup mid-call, and descriptor exhaustion: own processes -----------

def test_final_cleanup_while_threads_are_blocked_in_calls() -> None:
    result = run_child("cleanup_during_blocked_calls")
    assert result["fds"] == {"socket": 0, "eventfd": 0}


def test_final_cleanup_racing_calls_leaves_nothing_open() -> None:
    """Regression: a socket() or accept() overtaken by the final WSACleanup
    registered its new socket afterwards, where nothing could close it (posix.c
    register_fd now refuses: WSANOTINITIALISED, or WSAEINTR for accept)."""
    result = run_child("cleanup_races_with_calls")
    assert result["cycles"] > 50


def test_descriptor_exhaustion_and_recovery() -> None:
    result = run_child("descriptor_exhaustion")
    assert result["pythonic_error"] == ws.WSAEMFILE
    assert result["sockets_at_exhaustion"] > 10
