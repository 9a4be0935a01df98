"""Scripted loopback peers for tests of socket code.

Each peer listens on 127.0.0.1 (or ::1) on a free port, accepts one
connection in a background thread and plays its script. Used as a context
manager, it reports afterwards what it saw of the client: the bytes received,
whether the client ended with a FIN (graceful) or a reset (abortive).

    with EchoPeer() as peer:
        conn = portsock.connect(*peer.address)
        conn.sendall(b"ping")
        assert conn.disconnect() == b"ping"
    assert peer.report.saw_fin and not peer.report.saw_reset

From async tests, ``async with`` a peer and ``await peer.async_wait()``: the
same, waiting without blocking the event loop the client runs on.

The peers are written on portsock.winsock, so they behave the same on every
platform. Every wait is bounded (``timeout``, 30 s by default).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Type, Union

from portsock import winsock as ws

__all__ = [
    "PeerReport", "Peer", "EchoPeer", "ReplyAfterFinPeer", "FloodPeer", "ResetPeer", "SilentPeer", "CloseFirstPeer",
    "HalfCloseFirstPeer", "PEERS", "pattern", "wait_for",
]

_CHUNK = 65536


@dataclass
class PeerReport:
    """What a peer saw of its client."""

    received: bytes = b""
    saw_fin: bool = False       # recv returned 0: the client half-closed or closed gracefully
    saw_reset: bool = False     # recv failed with WSAECONNRESET: the client aborted
    accepted: bool = False
    error: Optional[int] = None  # any other Winsock code the peer met


def pattern(n: int) -> bytes:
    """n bytes of a repeating, position-dependent pattern (easy to verify)."""
    block = bytes(range(251))  # a prime length, so shifts show
    return (block * (n // len(block) + 1))[:n]


class Peer:
    """The base of the scripted peers: subclasses implement script(s)."""

    # Seconds the end of a with block waits for the script to finish.
    exit_grace = 5.0

    def __init__(self, family: int = ws.AF_INET, timeout: float = 30.0) -> None:
        self.family = family
        self.timeout = timeout
        self.report = PeerReport()
        self._listener = ws.INVALID_SOCKET
        self._client = ws.INVALID_SOCKET
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.port = 0
        self.host = "127.0.0.1" if family == ws.AF_INET else "::1"

    @property
    def address(self) -> Tuple[str, int]:
        """(host, port) to connect to."""
        return self.host, self.port

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Peer:
        if ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) != 0:
            raise OSError("WSAStartup failed")
        try:
            self._listen()
        except BaseException:
            ws.WSACleanup()
            raise
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: Optional[float] = None) -> PeerReport:
        """Waits for the script to finish; returns the report."""
        if self._thread is not None:
            self._thread.join(self.timeout if timeout is None else timeout)
            if self._thread.is_alive():
                raise TimeoutError("%s did not finish its script" % type(self).__name__)
        return self.report

    def stop(self) -> None:
        """Ends the peer: closes its sockets (waking its thread) and waits."""
        self._stop.set()
        with self._lock:
            for s in (self._listener, self._client):
                if s != ws.INVALID_SOCKET:
                    ws.closesocket(s)
            self._listener = self._client = ws.INVALID_SOCKET
        if self._thread is not None:
            self._thread.join(self.timeout)
            self._thread = None
            ws.WSACleanup()

    def __enter__(self) -> Peer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        # Give the script a moment to see how the client ended, then stop.
        if self._thread is not None:
            self._thread.join(min(self.timeout, self.exit_grace))
        self.stop()

    # -- from async tests ------------------------------------------------------
    # The peer runs in its own thread, so it serves an asyncio client as well;
    # what waits for that thread (wait(), the end of a with block) must not
    # block the loop the client runs on: these wait in a worker thread.

    async def async_wait(self, timeout: Optional[float] = None) -> PeerReport:
        """wait() for async tests: the loop keeps running meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(None, self.wait, timeout)

    async def __aenter__(self) -> Peer:
        return self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.__exit__, *exc)

    def __repr__(self) -> str:
        return "<%s on %s:%d>" % (type(self).__name__, self.host, self.port)

    # -- for scripts ---------------------------------------------------------

    def script(self, s: int) -> None:
        raise NotImplementedError

    def read_until_fin(self, s: int, limit: Optional[int] = None) -> None:
        """Receives into the report until the client's FIN or reset (or limit bytes)."""
        buf = bytearray(_CHUNK)
        received = bytearray()
        while limit is None or len(received) < limit:
            want = len(buf) if limit is None else min(len(buf), limit - len(received))
            n = ws.recv(s, buf, want, 0)
            if n > 0:
                received += buf[:n]
                continue
            if n == 0:
                self.report.saw_fin = True
            else:
                self._note_error(ws.WSAGetLastError())
            break
        self.report.received += bytes(received)

    def send_all(self, s: int, data: bytes) -> bool:
        view = memoryview(data)
        while view:
            n = ws.send(s, view, len(view), 0)
            if n == ws.SOCKET_ERROR:
                self._note_error(ws.WSAGetLastError())
                return False
            view = view[n:]
        return True

    def reset(self, s: int) -> None:
        """Closes abortively: the client sees WSAECONNRESET."""
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4)
        self._close_client()

    def close(self, s: int) -> None:
        """Closes gracefully."""
        self._close_client()

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    # -- internals -------------------------------------------------------------

    def _note_error(self, code: int) -> None:
        if code == ws.WSAECONNRESET:
            self.report.saw_reset = True
        elif code not in (ws.WSAEINTR, ws.WSAENOTSOCK):
            self.report.error = code

    def _listen(self) -> None:
        s = ws.socket(self.family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        if s == ws.INVALID_SOCKET:
            raise OSError("socket failed with error: %d" % ws.WSAGetLastError())
        addr: Union[ws.sockaddr_in, ws.sockaddr_in6]
        if self.family == ws.AF_INET:
            addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
        else:
            addr = ws.sockaddr_in6(ws.AF_INET6)
            ws.inet_pton(ws.AF_INET6, "::1", addr.sin6_addr)
        if ws.bind(s, addr, ws.sizeof(addr)) != 0 or ws.listen(s, 8) != 0:
            code = ws.WSAGetLastError()
            ws.closesocket(s)
            raise OSError("bind/listen failed with error: %d" % code)
        bound = type(addr)()
        ws.getsockname(s, bound, ws.c_int(ws.sizeof(bound)))
        self.port = ws.ntohs(bound.sin_port if isinstance(bound, ws.sockaddr_in) else bound.sin6_port)
        self._listener = s

    def _close_client(self) -> None:
        with self._lock:
            if self._client != ws.INVALID_SOCKET:
                ws.closesocket(self._client)
                self._client = ws.INVALID_SOCKET

    def _run(self) -> None:
        s = ws.accept(self._listener, None, None)
        if s == ws.INVALID_SOCKET:
            return
        with self._lock:
            if self._stop.is_set():
                ws.closesocket(s)
                return
            self._client = s
            ws.closesocket(self._listener)
            self._listener = ws.INVALID_SOCKET
        self.report.accepted = True
        ms = int(self.timeout * 1000)
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4)
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4)
        try:
            self.script(s)
        finally:
            self._close_client()


class EchoPeer(Peer):
    """Echoes everything until the client's FIN, then closes gracefully."""

    def script(self, s: int) -> None:
        buf = bytearray(_CHUNK)
        while True:
            n = ws.recv(s, buf, len(buf), 0)
            if n > 0:
                self.report.received += bytes(buf[:n])
                if not self.send_all(s, bytes(buf[:n])):
                    return
            elif n == 0:
                self.report.saw_fin = True
                break
            else:
                self._note_error(ws.WSAGetLastError())
                return
        ws.shutdown(s, ws.SD_SEND)
        self.close(s)


class ReplyAfterFinPeer(Peer):
    """Reads until the client's FIN, then (after ``delay`` seconds) sends
    ``reply`` -- bytes, or a count of pattern() bytes -- and closes gracefully.
    The client must drain after its half-close to get the reply.

    ``then="stall"`` keeps the connection open after the reply, never closing
    (the client's deadline ends it); ``then="reset"`` resets it after the
    reply, once ``delay`` more seconds have passed."""

    def __init__(self, reply: Union[bytes, int] = b"reply", delay: float = 0.0, then: str = "close",
                 **kw: Any) -> None:
        super().__init__(**kw)
        if then not in ("close", "stall", "reset"):
            raise ValueError("then must be 'close', 'stall' or 'reset'")
        self.reply = pattern(reply) if isinstance(reply, int) else bytes(reply)
        self.delay = delay
        self.then = then

    def script(self, s: int) -> None:
        self.read_until_fin(s)
        if not self.report.saw_fin:
            return
        if self.delay:
            self.sleep(self.delay)
        if not self.send_all(s, self.reply):
            self.close(s)
            return
        if self.then == "stall":
            self._stop.wait(self.timeout)    # never closes: the client's deadline ends it
        elif self.then == "reset":
            self.reset(s)
            return
        ws.shutdown(s, ws.SD_SEND)
        self.close(s)


class FloodPeer(Peer):
    """Reads until the client's FIN (``before_fin=True``: at once), then sends
    pattern() bytes without end -- at most ``limit`` bytes -- never closing:
    the client must bound what it keeps. Stops at the client's reset or close."""

    exit_grace = 0.0

    def __init__(self, limit: int = 16 << 30, before_fin: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.limit = limit
        self.before_fin = before_fin
        self.sent = 0

    def script(self, s: int) -> None:
        if not self.before_fin:
            self.read_until_fin(s)
            if not self.report.saw_fin:
                return
        chunk = pattern(251 * 1024)   # whole periods: the stream is one pattern() throughout
        deadline = time.monotonic() + self.timeout
        while self.sent < self.limit and not self._stop.is_set() and time.monotonic() < deadline:
            if not self.send_all(s, chunk):
                return
            self.sent += len(chunk)


class ResetPeer(Peer):
    """Resets the connection: right at accept (``after=0``), or after
    receiving ``after`` bytes."""

    def __init__(self, after: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        self.after = after

    def script(self, s: int) -> None:
        if self.after:
            self.read_until_fin(s, limit=self.after)
        self.reset(s)


class SilentPeer(Peer):
    """Accepts, then neither reads nor sends nor closes until stopped: the
    client's deadlines are what end the conversation."""

    exit_grace = 0.0

    def script(self, s: int) -> None:
        self._stop.wait(self.timeout)


class CloseFirstPeer(Peer):
    """Sends ``reply`` (if any) and closes gracefully without reading."""

    def __init__(self, reply: Union[bytes, int] = b"", **kw: Any) -> None:
        super().__init__(**kw)
        self.reply = pattern(reply) if isinstance(reply, int) else bytes(reply)

    def script(self, s: int) -> None:
        if self.reply:
            self.send_all(s, self.reply)
        ws.shutdown(s, ws.SD_SEND)
        self.close(s)


class HalfCloseFirstPeer(Peer):
    """Sends ``reply`` and half-closes first (shutdown SD_SEND), then reads
    until the client's FIN before closing."""

    def __init__(self, reply: Union[bytes, int] = b"hello", **kw: Any) -> None:
        super().__init__(**kw)
        self.reply = pattern(reply) if isinstance(reply, int) else bytes(reply)

    def script(self, s: int) -> None:
        if self.send_all(s, self.reply):
            ws.shutdown(s, ws.SD_SEND)
        self.read_until_fin(s)
        self.close(s)


PEERS: Dict[str, Type[Peer]] = {
    "echo": EchoPeer,
    "reply_after_fin": ReplyAfterFinPeer,
    "reset": ResetPeer,
    "flood": FloodPeer,
    "silent": SilentPeer,
    "close_first": CloseFirstPeer,
    "half_close_first": HalfCloseFirstPeer,
}


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Polls predicate() until true or the timeout; a bounded wait for tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
