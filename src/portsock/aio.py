"""portsock.aio: the Winsock lifecycle for asyncio, graceful disconnect included.

    conn = await portsock.aio.connect("127.0.0.1", 27015, timeout=5)
    await conn.sendall(b"this is a test")
    reply = await conn.disconnect()     # shutdown(SD_SEND), receive until the FIN, closesocket

An AsyncConnection has the methods of portsock.Connection, awaited, with the
same semantics, limits and errors (WinsockError classes with Winsock's codes).
It is built on the core's non-blocking calls, with readiness from the event
loop (add_reader / add_writer); on a loop that has none (Windows'
ProactorEventLoop) a selector thread watches the sockets and wakes the loop
(see _readiness.py and docs/api.md).

Cancellation (task.cancel(), asyncio.timeout(), wait_for) at any await leaves
nothing registered with the loop and no descriptor open that the caller does
not hold: a cancelled recv, recv_into, send or sendall leaves the connection
open (what a cancelled sendall had sent is unknown); a cancelled connect() or
accept() closes the socket it was making; a cancelled disconnect() closes the
connection (abortively once its deadline has passed), keeping what it had
received in ``drained``."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from portsock import _args, winsock as _ws
from portsock._connection import (
    _FIONBIO,
    _LARGEST_DRAIN,
    DEFAULT_EXIT_MAX_SIZE,
    DEFAULT_EXIT_TIMEOUT,
    Timeout,
    _addresses,
    _all_failed,
    _bind_source,
    _check_connect_args,
    _check_how,
    _check_max_size,
    _check_timeout,
    _decode_name,
    _error,
    _flags,
    _name_of,
    _new_buffer,
    _recv_args,
    _recv_into_args,
    _reset,
    _restart,
    _show,
    _Socket,
    _sockets_for,
    _startup,
)
from portsock._core import ffi, lib
from portsock._errors import ReplyTooLarge, WinsockError
from portsock._readiness import Readiness, readiness
from portsock._server import _check_server_args, _listening_handle

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = ["connect", "create_server", "AsyncConnection", "AsyncListener"]

_INVALID_SOCKET: int = lib.PS_INVALID_SOCKET
_R = TypeVar("_R")
_WOULDBLOCK = _ws.WSAEWOULDBLOCK
_NONBLOCKING = ffi.new("unsigned long *", 1)

# The first buffer of a receive until the FIN; larger ones follow while the
# reply grows. Smaller than the blocking layer's (64 KiB): a thousand
# disconnects waiting at once hold a thousand of them, and most replies are
# small (64 KiB each was 64 MiB and a page fault per lifecycle at N=1000).
_FIRST_DRAIN = 4096

# What a wait ends with: the socket is ready, the deadline passed, or the
# socket was closed (close() or abort() from another task).
_READY, _EXPIRED, _CLOSED = 1, 2, 3


def _resolve(fut: asyncio.Future[int], outcome: int) -> None:
    if not fut.done():
        fut.set_result(outcome)


def _numeric(host: str) -> bool:
    """Whether host is an IPv4 or IPv6 literal (getaddrinfo needs no resolver);
    the answers for the last hosts asked are kept."""
    known = _NUMERIC_HOSTS.get(host)
    if known is None:
        raw = host.encode("ascii", "replace")
        out = ffi.new("char[16]")
        known = bool(lib.ps_inet_pton(_ws.AF_INET, raw, out) == 1 or lib.ps_inet_pton(_ws.AF_INET6, raw, out) == 1)
        if len(_NUMERIC_HOSTS) >= 256:
            _NUMERIC_HOSTS.clear()
        _NUMERIC_HOSTS[host] = known
    return known


_NUMERIC_HOSTS: Dict[str, bool] = {}


async def _in_resolver(loop: asyncio.AbstractEventLoop, call: Callable[..., _R], *args: Any) -> _R:
    """call(*args) in the loop's default executor, as asyncio's getaddrinfo
    runs: a name's resolution blocks (a numeric host is resolved at once, by
    the caller)."""
    return await loop.run_in_executor(None, call, *args)


class _AsyncSocket(_Socket):
    """What an AsyncConnection and an AsyncListener share: a non-blocking
    handle of the core, its fd, the loop it belongs to and at most one waiter
    each way, which close() wakes."""

    _loop: asyncio.AbstractEventLoop
    _io: Readiness
    _fd: int

    def _setup(self, handle: int, loop: asyncio.AbstractEventLoop, timeout: Timeout) -> None:
        self._handle = handle
        self._closed = False
        self._timeout = timeout
        self._loop = loop
        self._io = readiness(loop)
        self._fd = int(lib.ps_native_handle(handle))
        self._waiting: list[Optional[asyncio.Future[int]]] = [None, None]   # [reading, writing]
        # A read registration kept from one wait to the next within one
        # receive until the FIN (on a loop with add_reader), whose callback
        # wakes whichever wait is current.
        self._kept = False
        self._needs_close = True

    def settimeout(self, timeout: Timeout) -> None:
        """The timeout of each later call, as Connection's: None waits as long
        as it takes, 0 raises BlockingIOError when the call would wait, a
        positive number of seconds raises TimeoutError (WSAETIMEDOUT) then.
        The socket itself always stays non-blocking."""
        self._live_handle("settimeout")
        self._timeout = _check_timeout(timeout)

    def _deadline(self, deadline: Optional[float], function: str) -> Optional[float]:
        """The deadline of a call that is about to wait for the first time
        (deadline None), from the timeout; with timeout 0, BlockingIOError."""
        if deadline is not None:
            return deadline
        timeout = self._timeout
        if timeout == 0:
            raise _error(function, _WOULDBLOCK)
        return None if timeout is None else self._loop.time() + timeout

    async def _wait(self, writing: bool, deadline: Optional[float], function: str, keep: bool = False) -> None:
        """Waits until the socket is readable (or writable) and returns; at the
        deadline raises TimeoutError (WSAETIMEDOUT); when the socket is closed
        meanwhile, InterruptedError (WSAEINTR). Whatever ends the wait (a
        cancellation too), nothing stays registered with the loop -- but with
        keep (reading only), where the loop has add_reader, the registration
        stays for the next wait, until _unkeep()."""
        side = int(writing)
        if self._waiting[side] is not None:
            raise RuntimeError("another task is already waiting to %s on this %s"
                               % ("send" if writing else "receive", self._kind))
        loop = self._loop
        fut: asyncio.Future[int] = loop.create_future()
        fd = self._fd
        kept = keep and self._kept
        if kept:
            pass
        elif keep and self._io.persistent:
            self._io.add(fd, False, self._readable)
            # (a loop found without add_reader just now watches it from a
            # selector thread, where a registration serves one wait)
            kept = self._kept = self._io.persistent
        else:
            self._io.add(fd, writing, _resolve, fut, _READY)
        self._waiting[side] = fut
        timer = None if deadline is None else loop.call_at(deadline, _resolve, fut, _EXPIRED)
        try:
            outcome = await fut
        finally:
            if self._waiting[side] is fut:   # else close() has unregistered it
                self._waiting[side] = None
                if not kept:
                    self._io.remove(fd, writing)
            if timer is not None:
                timer.cancel()
        if outcome == _CLOSED:
            raise _error(function, _ws.WSAEINTR, "the %s was closed while %s was waiting" % (self._kind, function))
        if outcome == _EXPIRED:
            raise _error(function, _ws.WSAETIMEDOUT)

    def _readable(self) -> None:
        """The kept registration's callback: wakes the current read wait, if any."""
        fut = self._waiting[0]
        if fut is not None:
            _resolve(fut, _READY)

    def _unkeep(self) -> None:
        """Removes the kept read registration, if there is one."""
        if self._kept:
            self._kept = False
            self._io.remove(self._fd, False)

    def _wake_waiters(self) -> None:
        """Unregisters the waiters (before the fd can close and be reused) and
        wakes them: they raise InterruptedError."""
        kept = self._kept
        self._unkeep()
        for side, fut in enumerate(self._waiting):
            if fut is not None:
                self._waiting[side] = None
                if not (kept and side == 0):
                    self._io.remove(self._fd, bool(side))
                _resolve(fut, _CLOSED)

    def close(self) -> None:
        """Closes the socket (closesocket); idempotent. A call waiting in
        another task raises InterruptedError (winerror WSAEINTR)."""
        if not self._needs_close:
            return
        self._needs_close = False
        self._closed = True
        self._wake_waiters()
        lib.ps_closesocket(self._handle)


class AsyncConnection(_AsyncSocket):
    """A connected TCP stream of the core for asyncio: Connection's methods,
    awaited (see portsock.Connection), bound to the loop it was made on.

    The timeout (connect(timeout=), settimeout) bounds each call as
    Connection's does -- sendall and disconnect as a whole -- with
    TimeoutError (winerror WSAETIMEDOUT); asyncio.timeout() and wait_for
    work around every call as well (see the module's doc for what a
    cancellation does)."""

    _kind = "connection"

    def __init__(self, handle: int, timeout: Timeout = None,
                 loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        """Wraps a connected, non-blocking handle of the core (use connect() or
        AsyncListener.accept()); the AsyncConnection owns it."""
        self.drained = b""
        """What the graceful disconnect at the end of an `async with` block
        received; after a cancelled disconnect() or recv_until_fin(), what it
        had received."""
        self.discarded = 0
        """How many bytes the last disconnect(discard=True) received and dropped."""
        self._names: Optional[Tuple[Optional[Tuple[str, int]], Optional[Tuple[str, int]]]] = None
        self._setup(handle, loop or asyncio.get_running_loop(), timeout)

    # -- state ------------------------------------------------------------------

    def _name(self, which: int) -> Optional[Tuple[str, int]]:
        if self._names is None:
            if self._closed:
                return None
            self._names = (_name_of(self._handle, lib.ps_getsockname), _name_of(self._handle, lib.ps_getpeername))
        return self._names[which]

    @property
    def local_address(self) -> Optional[Tuple[str, int]]:
        """(host, port) of this end; read on first use, None if first asked once closed."""
        return self._name(0)

    @property
    def peer_address(self) -> Optional[Tuple[str, int]]:
        """(host, port) of the peer; read on first use, None if first asked once closed."""
        return self._name(1)

    def __repr__(self) -> str:
        return "<portsock.aio.AsyncConnection %s %s -> %s timeout=%r>" % (
            "closed" if self._closed else "open", _show(self._name(0)), _show(self._name(1)), self._timeout)

    # -- data -------------------------------------------------------------------

    async def _retry(self, function: str, writing: bool, call: Callable[[int], int]) -> int:
        """call(handle) until it does not fail with WSAEWOULDBLOCK, waiting for
        the socket between tries (within the timeout); its result."""
        deadline = None
        while True:
            ret = call(self._live_handle(function))
            if ret >= 0:
                return ret
            self._raise_unless_would_block(function)
            deadline = self._deadline(deadline, function)
            await self._wait(writing, deadline, function)

    async def send(self, data: ReadableBuffer, flags: int = 0) -> int:
        """Sends some of data, waiting until the socket can take some; returns
        how many bytes went out."""
        flags = _flags(flags, "send")
        buf = _args.input_buffer(data, "data")
        n = min(len(buf), _args.INT_MAX)
        return int(await self._retry("send", True, lambda handle: lib.ps_send(handle, buf, n, flags)))

    async def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        """Sends all of data; the timeout bounds the whole call. On failure
        the exception has ``bytes_sent``."""
        flags = _flags(flags, "sendall")
        # cffi passes bytes as a pointer to their contents; a C view (for the
        # offsets of a send that has to wait) only when it is needed.
        buf: Any = data if type(data) is bytes else _args.input_buffer(data, "data")
        size = len(buf)
        sent = ffi.new("size_t *")
        done = 0
        deadline = None
        while True:
            ret = lib.ps_sendall(self._live_handle("sendall"), buf if done == 0 else buf + done, size - done, flags,
                                 -1, sent)
            done += int(sent[0])
            if done and type(buf) is bytes:
                buf = ffi.from_buffer(buf)
            try:
                if ret == 0:
                    return
                self._raise_unless_would_block("sendall")
                deadline = self._deadline(deadline, "sendall")
                await self._wait(True, deadline, "sendall")
            except WinsockError as error:
                error.bytes_sent = done  # type: ignore[attr-defined]
                raise

    async def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receives up to bufsize bytes, waiting for some; b"" is the peer's FIN."""
        size, flags = _recv_args(bufsize, flags)
        buf = _new_buffer("char[]", size)
        n = min(bufsize, size)
        return ffi.unpack(buf, await self._retry("recv", False, lambda handle: lib.ps_recv(handle, buf, n, flags)))

    async def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        """Receives into a writable, contiguous buffer, without a copy."""
        cbuf, nbytes, flags = _recv_into_args(buffer, nbytes, flags)
        return int(await self._retry("recv_into", False, lambda handle: lib.ps_recv(handle, cbuf, nbytes, flags)))

    async def shutdown(self, how: int) -> None:
        """shutdown(SD_RECEIVE, SD_SEND or SD_BOTH), with Winsock's rules (it never waits)."""
        _check_how(how)
        if lib.ps_shutdown(self._live_handle("shutdown"), how) != 0:
            raise _error("shutdown")

    # -- the end of the lifecycle ---------------------------------------------------

    async def disconnect(self, timeout: Timeout = None, *, discard: bool = False,
                         max_size: Optional[int] = None) -> bytes:
        """The graceful disconnect: shutdown(SD_SEND), receive until the peer's
        FIN, close; returns everything received. Connection.disconnect's
        semantics: the timeout (or the connection's) bounds the whole
        (TimeoutError); past max_size the peer is reset and ReplyTooLarge
        raised with the first max_size bytes; every WinsockError carries
        ``partial``; discard=True keeps nothing and counts into ``discarded``.
        The connection is closed in every case.

        Cancelled (task.cancel(), asyncio.timeout(), wait_for), it closes the
        connection at once -- abortively (a reset) once its deadline has
        passed -- and keeps what it had received in ``drained`` (with
        discard=True, the count in ``discarded``)."""
        timeout = self._timeout if timeout is None else _check_timeout(timeout)
        limit = _check_max_size(max_size)
        if discard and limit is not None:
            raise ValueError("max_size bounds a reply that is kept; discard=True keeps none")
        if self._closed:
            error = _error("disconnect", _ws.WSAENOTSOCK, "the connection is closed")
            error.partial = 0 if discard else b""  # type: ignore[attr-defined]
            raise error
        # Closed to other calls from now on; close() still closes the handle
        # (and wakes this call) until the disconnect is done with it.
        self._closed = True
        handle = self._handle
        deadline = None if timeout is None else self._loop.time() + timeout
        reply = _Reply(discard)
        if discard:
            self.discarded = 0
        try:
            if lib.ps_shutdown(handle, _ws.SD_SEND) != 0:
                raise _error("disconnect")
            data = await self._receive(handle, "disconnect", limit, deadline, reply)
        except ReplyTooLarge:
            self._finish(_reset)
            raise
        except WinsockError as error:
            error.partial = reply.partial()  # type: ignore[attr-defined]
            self._finish(lib.ps_closesocket)
            raise
        except BaseException:
            # Cancelled (or interrupted): closed at once, what came kept.
            self.drained = reply.value()
            late = deadline is not None and self._loop.time() >= deadline
            self._finish(_reset if late else lib.ps_closesocket)
            raise
        finally:
            if discard:
                self.discarded = reply.total
        self._finish(lib.ps_closesocket)
        return data

    async def recv_until_fin(self, *, max_size: Optional[int] = None) -> bytes:
        """Receives everything up to the peer's FIN and returns it: the
        server's "read the whole request" step; the connection stays open for
        the reply and disconnect(). The connection's timeout bounds the whole
        call. Past max_size, ReplyTooLarge with the first max_size bytes (the
        connection stays open). Every WinsockError carries ``partial``;
        cancelled, it keeps what it had received in ``drained``."""
        limit = _check_max_size(max_size)
        timeout = self._timeout
        deadline = None if timeout is None else self._loop.time() + timeout
        reply = _Reply(False)
        try:
            return await self._receive(self._live_handle("recv_until_fin"), "recv_until_fin", limit, deadline,
                                       reply)
        except ReplyTooLarge:
            raise
        except WinsockError as error:
            error.partial = reply.partial()  # type: ignore[attr-defined]
            raise
        except BaseException:
            self.drained = reply.value()
            raise

    async def _receive(self, handle: int, function: str, limit: Optional[int], deadline: Optional[float],
                       reply: _Reply) -> bytes:
        """Receives into reply until the peer's FIN and returns the reply;
        ReplyTooLarge once more than limit bytes came (holding the first
        limit); the error of a failed receive, TimeoutError at the deadline."""
        try:
            got = ffi.new("size_t *")
            size = _FIRST_DRAIN if limit is None else min(_FIRST_DRAIN, limit + 1)
            buf = ffi.NULL if reply.discard else _new_buffer("char[]", size)
            while True:
                cap = 0 if reply.discard else size if limit is None else min(size, limit + 1 - reply.total)
                ret = lib.ps_drain(handle, buf, cap, got, -1)
                code = 0 if ret >= 0 else int(lib.ps_last_error())
                reply.add(buf, int(got[0]))
                if ret == 0:
                    return reply.value()
                if limit is not None and reply.total > limit:
                    raise ReplyTooLarge(reply.value()[:limit], limit, function)
                if ret == 1:
                    if size < _LARGEST_DRAIN:   # larger buffers while the reply grows
                        size = min(size * 4, _LARGEST_DRAIN)
                        buf = _new_buffer("char[]", size)
                    continue
                if code != _WOULDBLOCK:
                    raise _error(function, code)
                if deadline is not None and deadline <= self._loop.time():
                    raise _error(function, _ws.WSAETIMEDOUT)
                # One registration for all the waits until the FIN (the reply and
                # the FIN often come apart): what asyncio's transports keep.
                await self._wait(False, deadline, function, keep=True)
        finally:
            self._unkeep()

    def _finish(self, close: Any) -> None:
        """Closes the handle a disconnect() took, with close (ps_closesocket or
        _reset), unless close() has closed it meanwhile."""
        if self._needs_close:
            self._needs_close = False
            self._wake_waiters()
            close(self._handle)

    def abort(self) -> None:
        """Closes abortively (SO_LINGER {1, 0}: the peer sees a reset);
        idempotent. A call waiting in another task raises InterruptedError."""
        if not self._needs_close:
            return
        self._closed = True
        self._finish(_reset)

    def _raise_unless_would_block(self, function: str) -> None:
        code = int(lib.ps_last_error())
        if code != _WOULDBLOCK:
            raise _error(function, code)

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Leaves with the graceful disconnect, bounded as Connection's exit is
        (the timeout, or DEFAULT_EXIT_TIMEOUT; DEFAULT_EXIT_MAX_SIZE of
        reply), keeping the reply in ``drained``. An exception from the block
        propagates unchanged; a cancellation (or KeyboardInterrupt) leaving
        the block closes the connection at once, without waiting."""
        if self._closed:
            return
        if exc_type is not None and not issubclass(exc_type, Exception):
            self.close()
            return
        timeout = self._timeout if self._timeout else DEFAULT_EXIT_TIMEOUT
        try:
            self.drained = await self.disconnect(timeout, max_size=DEFAULT_EXIT_MAX_SIZE)
        except WinsockError as error:
            self.drained = getattr(error, "partial", b"")
            if exc_type is None:
                raise


class _Reply:
    """What a receive until the FIN has gathered: the bytes in one io.BytesIO
    (or, discarding, only their count)."""

    def __init__(self, discard: bool) -> None:
        self.discard = discard
        self.total = 0
        self._out: Optional[io.BytesIO] = None
        self._first = b""

    def add(self, buf: Any, n: int) -> None:
        if n == 0:
            return
        self.total += n
        if self.discard:
            return
        if self._out is None and not self._first:
            self._first = ffi.unpack(buf, n)   # most replies come in one piece: one copy
            return
        if self._out is None:
            self._out = io.BytesIO()
            self._out.write(self._first)
        self._out.write(ffi.buffer(buf, n))

    def value(self) -> bytes:
        return self._first if self._out is None else self._out.getvalue()

    def partial(self) -> Union[bytes, int]:
        return self.total if self.discard else self.value()


async def connect(host: str, port: int, *, timeout: Timeout = None, family: int = _ws.AF_UNSPEC,
                  source_address: Optional[Tuple[str, int]] = None) -> AsyncConnection:
    """portsock.connect() for asyncio: tries each address getaddrinfo gives,
    in order, each within the timeout (a name is resolved in the loop's
    default executor; a numeric host needs no resolver), and returns an
    AsyncConnection to the first that accepts, with that timeout. If none
    does, the last address's error with every address's in ``errors``."""
    timeout = _check_connect_args(host, port, timeout, family, source_address)
    loop = asyncio.get_running_loop()
    _startup()
    try:
        return await _connect_any(loop, host, port, family, timeout, source_address)
    except WinsockError as error:
        if error.winerror != _ws.WSANOTINITIALISED:
            raise
    _restart()   # WSACleanup calls elsewhere dropped the implicit startup reference
    return await _connect_any(loop, host, port, family, timeout, source_address)


async def _connect_any(loop: asyncio.AbstractEventLoop, host: str, port: int, family: int, timeout: Timeout,
                       source: Optional[Tuple[str, int]]) -> AsyncConnection:
    if _numeric(host):
        entries = _addresses(host, port, family)
    else:
        entries = await _in_resolver(loop, _addresses, host, port, family)
    errors: List[WinsockError] = []
    for handle, af, addr, addrlen in _sockets_for(entries, errors):
        conn = None
        try:
            if lib.ps_ioctlsocket(handle, _FIONBIO, _NONBLOCKING) != 0:
                raise _error("connect")
            if source is not None:
                _bind_source(handle, af, source)
            conn = AsyncConnection(handle, timeout, loop)
            if lib.ps_connect(handle, addr, addrlen) != 0:
                if int(lib.ps_last_error()) != _WOULDBLOCK:
                    raise _error("connect")
                await _connected(conn, handle, loop.time() + timeout if timeout else None)
            return conn
        except WinsockError as error:
            errors.append(error)
        except BaseException:
            _close_failed(conn, handle)
            raise
        _close_failed(conn, handle)
    raise _all_failed(errors)


async def _connected(conn: AsyncConnection, handle: int, deadline: Optional[float]) -> None:
    """Waits for a connect under way (WSAEWOULDBLOCK) to finish, as Winsock's
    non-blocking clients do: until the socket is writable (a failure too),
    then SO_ERROR says how it went. As the blocking connect(), timeout 0 (or
    None) sets no deadline.

    (Asking getpeername first, to skip the wait when the handshake is already
    over, as on loopback it often is, measured worse: bench/aio.py's client
    then spent more system time, 70 against 56 us per lifecycle at N=100, in
    waking the peer's threads.)"""
    await conn._wait(True, deadline, "connect")
    error = ffi.new("int *")
    size = ffi.new("int *", 4)
    if lib.ps_getsockopt(handle, lib.SOL_SOCKET, lib.SO_ERROR, error, size) != 0:
        raise _error("connect")
    code = int(error[0])
    # Connected and reset at once: Winsock's connect succeeds and the next
    # call reports the reset (the core keeps it), as the blocking connect().
    if code not in (0, _ws.WSAECONNRESET):
        raise _error("connect", code)


def _close_failed(conn: Optional[AsyncConnection], handle: int) -> None:
    if conn is not None:
        conn.close()
    else:
        lib.ps_closesocket(handle)


class AsyncListener(_AsyncSocket):
    """A listening TCP socket for asyncio (from create_server()): await
    accept() gives (AsyncConnection, (host, port)) for each client. Its
    timeout (settimeout; None at first) bounds each accept() (TimeoutError;
    0: BlockingIOError) and becomes the accepted connection's timeout.
    close() is idempotent and wakes a waiting accept() (InterruptedError)."""

    _kind = "listener"

    def __init__(self, handle: int, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        """Wraps a listening, non-blocking handle of the core; it owns it."""
        self._local = _name_of(handle, lib.ps_getsockname)
        self._setup(handle, loop or asyncio.get_running_loop(), None)

    @property
    def local_address(self) -> Optional[Tuple[str, int]]:
        """(host, port) the listener is bound to (the port chosen for port 0)."""
        return self._local

    async def accept(self) -> Tuple[AsyncConnection, Tuple[str, int]]:
        """Waits for a client (within the timeout); returns its AsyncConnection
        (with the listener's timeout) and its (host, port)."""
        buf = ffi.new("char[128]")
        size = ffi.new("int *")
        deadline = None
        while True:
            size[0] = 128
            handle = lib.ps_accept(self._live_handle("accept"), buf, size)
            if handle != _INVALID_SOCKET:
                break
            code = int(lib.ps_last_error())
            if code != _WOULDBLOCK:
                raise _error("accept", code)
            deadline = self._deadline(deadline, "accept")
            await self._wait(False, deadline, "accept")
        try:
            # Winsock's accepted socket inherits the listener's non-blocking mode.
            conn = AsyncConnection(handle, self._timeout, self._loop)
        except BaseException:
            lib.ps_closesocket(handle)
            raise
        return conn, _decode_name(buf, size[0]) or ("", 0)

    async def __aenter__(self) -> AsyncListener:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<portsock.aio.AsyncListener %s %s timeout=%r>" % (
            "closed" if self._closed else "listening", _show(self._local), self._timeout)


async def create_server(address: Tuple[str, int], *, family: int = _ws.AF_INET, backlog: Optional[int] = None,
                        reuse_port: bool = False, dualstack_ipv6: bool = False) -> AsyncListener:
    """portsock.create_server() for asyncio, with its arguments and rules;
    returns an AsyncListener (a host name is resolved in the default executor)."""
    host, port, backlog = _check_server_args(address, family, backlog, reuse_port, dualstack_ipv6)
    loop = asyncio.get_running_loop()
    _startup()
    args = (host, port, family, backlog, reuse_port, dualstack_ipv6)

    async def listening() -> int:
        return _listening_handle(*args) if _numeric(host) else await _in_resolver(loop, _listening_handle, *args)

    try:
        handle = await listening()
    except WinsockError as error:
        if error.winerror != _ws.WSANOTINITIALISED:
            raise
        _restart()   # WSACleanup calls elsewhere dropped the implicit startup reference
        handle = await listening()
    try:
        if lib.ps_ioctlsocket(handle, _FIONBIO, _NONBLOCKING) != 0:
            raise _error("create_server")
        return AsyncListener(handle, loop)
    except BaseException:
        lib.ps_closesocket(handle)
        raise
