"""The Pythonic layer: connect(), Connection and Session.

A Connection is the Winsock client lifecycle made the easy path: send, then
disconnect() -- shutdown(SD_SEND), receive until the peer's FIN, closesocket, in
one native call with a deadline -- returning everything the peer sent. Errors
are WinsockError, which is also the matching builtin (ConnectionResetError,
TimeoutError, ...)."""

from __future__ import annotations

import io
import math
import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar, overload

from portsock import _args, _signals, winsock as _ws
from portsock._core import ffi, lib
from portsock._errors import ReplyTooLarge, WinsockError, describe, error_for

if TYPE_CHECKING:
    import socket as _socket

    from _typeshed import ReadableBuffer, WriteableBuffer

    from portsock._core import CData

# The first disconnect() buffer; a larger reply continues in growing ones.
_FIRST_DRAIN = 64 * 1024
_LARGEST_DRAIN = 16 << 20
# How long leaving a `with` block may wait for the peer's FIN when the
# connection has no timeout of its own.
DEFAULT_EXIT_TIMEOUT = 30.0
# The most that leaving a `with` block keeps of the peer's reply: past it, the
# connection is reset and ReplyTooLarge raised (a flooding peer cannot exhaust
# the client's memory).
DEFAULT_EXIT_MAX_SIZE = 64 << 20
_INT_MAX = _args.INT_MAX
_INVALID_SOCKET: int = lib.PS_INVALID_SOCKET
# Drain buffers need no zeroing: the core writes every byte Python reads.
_new_buffer = ffi.new_allocator(should_clear_after_alloc=False)
# WSAStartup's out-structure for connect(): written by the core, read by no one.
_WSADATA = ffi.new("ps_wsadata *")

# FIONBIO as the `long` ioctlsocket takes: Windows' value has the top bit set
# and its long is 32 bits, so it is negative there, as it is in C.
_FIONBIO: int = _args.c_long(lib.FIONBIO, "cmd")  # type: ignore[assignment]

Timeout = Optional[float]


def _timeout_ms(timeout: Timeout) -> int:
    """A timeout in seconds as the core's milliseconds (-1: none)."""
    if timeout is None:
        return -1
    return min(int(math.ceil(timeout * 1000)), _INT_MAX)


def _remaining_ms(deadline: Optional[float]) -> int:
    if deadline is None:
        return -1
    return max(0, _timeout_ms(deadline - time.monotonic()))


# The most one Connection.recv asks for at once.
_RECV_CAP = 4 << 20


def _flags(flags: Any, function: str) -> int:
    """flags as C's int receives them; one that no int holds is the Winsock
    error it would be (WSAEOPNOTSUPP)."""
    value = _args.c_int(flags, "flags")
    if value is None:
        raise _error(function, _ws.WSAEOPNOTSUPP, "flags out of range: %r" % (flags,))
    return value


def _check_timeout(timeout: Any) -> Timeout:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds or None, not %s" % type(timeout).__name__)
    if math.isnan(timeout) or timeout < 0:
        raise ValueError("timeout must be non-negative")
    if math.isinf(timeout):
        return None   # waiting forever is what no timeout means
    return float(timeout)


class Session:
    """WSAStartup(2.2) on entry, WSACleanup on exit; nests like Winsock's count.

    connect() does not need one: it takes one implicit, process-wide startup
    reference the first time it runs and keeps it (see connect())."""

    def __init__(self, version: Tuple[int, int] = (2, 2)) -> None:
        self.version = version
        self.data: Optional[_ws.WSADATA] = None
        self._entered = 0

    def __enter__(self) -> Session:
        data = _ws.WSADATA()
        code = _ws.WSAStartup(_ws.MAKEWORD(*self.version), data)
        if code != 0:
            raise _error("WSAStartup", code)
        self.data = data
        self._entered += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._entered:
            self._entered -= 1
            _ws.WSACleanup()   # traced, as WSAStartup on entry is

    def __repr__(self) -> str:
        return "<portsock.Session %s>" % ("active" if self._entered else "inactive")


class _Socket:
    """What a Connection and a Listener share: a handle of the core, its state and timeout."""

    _handle: int
    _closed: bool
    _timeout: Timeout
    _kind = "socket"

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        """The OS descriptor, for selectors and select(); -1 once closed.
        Read readiness from it, but do all I/O through portsock."""
        if self._closed:
            return -1
        return int(lib.ps_native_handle(self._handle))

    def gettimeout(self) -> Timeout:
        return self._timeout

    def settimeout(self, timeout: Timeout) -> None:
        raise NotImplementedError

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if _flag(flag, "flag") else 0.0)

    def close(self) -> None:
        raise NotImplementedError

    def __del__(self) -> None:
        if getattr(self, "_needs_close", False):
            warnings.warn("unclosed %r" % self, ResourceWarning, stacklevel=1, source=self)
            self.close()

    def _live_handle(self, function: str) -> int:
        if self._closed:
            raise _error(function, _ws.WSAENOTSOCK, "the %s is closed" % self._kind)
        return self._handle


def _check_handle(handle: Any) -> None:
    """TypeError or ValueError unless handle is a value a SOCKET of the core can have."""
    if not 0 <= _args.check_int(handle, "handle") <= _args.SOCKET_MAX:
        raise ValueError("handle must be a SOCKET of the core, not %d" % handle)


def _show(addr: Optional[Tuple[str, int]]) -> str:
    """host:port for a repr ([host]:port for IPv6); ? when unknown."""
    if addr is None:
        return "?"
    host = "[%s]" % addr[0] if ":" in addr[0] else addr[0]
    return "%s:%d" % (host, addr[1])


class Connection(_Socket):
    """A connected TCP stream with Winsock's lifecycle and Python's manners.

    Timeouts follow the stdlib socket: None blocks, 0 is non-blocking, a
    positive number of seconds bounds each call (sendall and disconnect as a
    whole) and raises TimeoutError (winerror WSAETIMEDOUT)."""

    _kind = "connection"

    def __init__(self, handle: int, timeout: Timeout = None) -> None:
        """Wraps a connected handle of the core (use connect() or from_socket());
        the Connection owns the handle. The socket layer stays started by the
        implicit, process-wide reference connect() and from_socket() take."""
        if type(handle) is not int or not 0 <= handle <= _args.SOCKET_MAX:
            _check_handle(handle)
        self._handle = handle
        self._lock = threading.Lock()
        self._closed = False
        self._timeout: Timeout = None
        self.drained = b""
        """What the graceful disconnect received when leaving a with block."""
        self.discarded = 0
        """How many bytes the last disconnect(discard=True) received and dropped."""
        # What a disconnect() or recv_until_fin() that a signal interrupted
        # had received, for the next one to return.
        self._received_before = b""
        self._discarded_before = 0
        # The addresses are read on first use (most connections never ask).
        self._names_cache: Optional[Tuple[Optional[Tuple[str, int]], Optional[Tuple[str, int]]]] = None
        if timeout is not None:
            # A new socket blocks and has no SO_RCVTIMEO / SO_SNDTIMEO: only a
            # timeout needs native calls.
            self.settimeout(timeout)
        # Set last: a Connection whose construction failed has nothing to
        # close (its creator closes the handle) and warns of nothing.
        self._needs_close = True
        """The handle is open as far as close() knows: neither close() nor a
        disconnect() or abort() that took the handle has finished with it."""

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_socket(cls, sock: _socket.socket) -> Connection:
        """Adopts a connected stdlib socket: the Connection owns it from now on
        (the stdlib object is detached and must not be used again).

        Only a connected SOCK_STREAM socket of AF_INET or AF_INET6 is adopted;
        anything else is a ValueError, and the stdlib socket stays attached
        and usable."""
        if not all(hasattr(sock, name) for name in ("detach", "gettimeout", "family", "type", "getpeername")):
            raise TypeError("from_socket() takes a socket.socket, not %s" % type(sock).__name__)
        _check_adoptable(sock)
        timeout = sock.gettimeout()
        _startup()
        # The stdlib object lets go only once the core holds the socket: a
        # failed adoption leaves it usable (and closable) where it was.
        native = sock.fileno()
        handle = lib.ps_adopt(native)
        if handle == _INVALID_SOCKET and lib.ps_last_error() == _ws.WSANOTINITIALISED:
            # WSACleanup calls elsewhere dropped the implicit reference.
            _restart()
            handle = lib.ps_adopt(native)
        if handle == _INVALID_SOCKET:
            raise _error("from_socket")
        sock.detach()
        try:
            conn = cls(handle, timeout)
            if timeout is None:
                # Blocking, and no SO_RCVTIMEO / SO_SNDTIMEO the socket may
                # have been given outside: as the stdlib object was.
                conn.settimeout(None)
        except BaseException:
            lib.ps_closesocket(handle)
            raise
        return conn

    # -- state ----------------------------------------------------------------

    def settimeout(self, timeout: Timeout) -> None:
        timeout = _check_timeout(timeout)
        handle = self._live_handle("settimeout")
        blocking = 0 if timeout == 0 else 1
        ms = ffi.new("uint32_t *", 0 if not timeout else max(1, _timeout_ms(timeout)))
        arg = ffi.new("unsigned long *", 1 - blocking)
        if (lib.ps_ioctlsocket(handle, _FIONBIO, arg) != 0
                or lib.ps_setsockopt(handle, lib.SOL_SOCKET, lib.SO_RCVTIMEO, ms, 4) != 0
                or lib.ps_setsockopt(handle, lib.SOL_SOCKET, lib.SO_SNDTIMEO, ms, 4) != 0):
            raise self._error("settimeout")
        self._timeout = timeout

    @property
    def _names(self) -> Tuple[Optional[Tuple[str, int]], Optional[Tuple[str, int]]]:
        names = self._names_cache
        if names is None:
            if self._closed:
                return None, None
            names = self._names_cache = (self._address(lib.ps_getsockname), self._address(lib.ps_getpeername))
        return names

    @property
    def local_address(self) -> Optional[Tuple[str, int]]:
        return self._names[0]

    @property
    def peer_address(self) -> Optional[Tuple[str, int]]:
        return self._names[1]

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        local, peer = self._names
        return "<portsock.Connection %s %s -> %s timeout=%r>" % (state, _show(local), _show(peer), self._timeout)

    # -- data -----------------------------------------------------------------

    def send(self, data: ReadableBuffer, flags: int = 0) -> int:
        """Sends some of data; returns how many bytes went out."""
        flags = _flags(flags, "send")
        buf = _args.input_buffer(data, "data")
        n = min(len(buf), _INT_MAX)
        ret = lib.ps_send(self._live_handle("send"), buf, n, flags)
        if _signals.pending is not None:   # a signal can stop a send part way
            _signals.raise_pending()
        if ret < 0:
            raise self._error("send")
        return int(ret)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        """Sends all of data (one native call); the timeout bounds the whole."""
        flags = _flags(flags, "sendall")
        buf: bytes | CData
        if type(data) is bytes:
            buf, size = data, len(data)   # cffi passes bytes as a pointer to their contents, no copy
        else:
            buf = _args.input_buffer(data, "data")
            size = len(buf)
        handle = self._live_handle("sendall")
        sent = ffi.new("size_t *")
        timeout = self._timeout
        if lib.ps_sendall(handle, buf, size, flags, -1 if timeout is None else _timeout_ms(timeout), sent) != 0:
            error = self._error("sendall")
            error.bytes_sent = int(sent[0])  # type: ignore[attr-defined]
            raise error

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receives up to bufsize bytes; b"" means the peer closed (its FIN)."""
        size, flags = _recv_args(bufsize, flags)
        buf = ffi.new("char[]", size)
        ret = lib.ps_recv(self._live_handle("recv"), buf, min(bufsize, size), flags)
        if ret < 0:
            raise self._error("recv")
        return ffi.buffer(buf, ret)[:]

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        """Receives into a writable, contiguous buffer, without a copy."""
        cbuf, nbytes, flags = _recv_into_args(buffer, nbytes, flags)
        ret = lib.ps_recv(self._live_handle("recv_into"), cbuf, nbytes, flags)
        if ret < 0:
            raise self._error("recv_into")
        return int(ret)

    def shutdown(self, how: int) -> None:
        """shutdown(SD_RECEIVE, SD_SEND or SD_BOTH), with Winsock's rules."""
        _check_how(how)
        if lib.ps_shutdown(self._live_handle("shutdown"), how) != 0:
            raise self._error("shutdown")

    # -- options ----------------------------------------------------------------

    def setsockopt(self, level: int, optname: int, value: Any) -> None:
        """setsockopt as the stdlib's, with Winsock's values: an int (a BOOL or a
        DWORD, 4 bytes: SO_RCVTIMEO and SO_SNDTIMEO are milliseconds), a
        winsock.LINGER for SO_LINGER (l_linger in seconds), or bytes-like."""
        lv, on = _option_name(level, optname)
        if isinstance(value, _ws.LINGER):
            fields = (_args.check_int(value.l_onoff, "l_onoff"), _args.check_int(value.l_linger, "l_linger"))
            if not all(0 <= f <= 0xFFFF for f in fields):
                raise ValueError("LINGER fields must be 0..0xFFFF (u_short), not %r" % (fields,))
            cval: Any = ffi.new("unsigned short[2]", list(fields))
            size = 4
        elif isinstance(value, int):
            if not _args.INT_MIN <= value <= 0xFFFFFFFF:
                raise ValueError("an option value must fit 32 bits, not %d" % value)
            cval = ffi.new("uint32_t *", value & 0xFFFFFFFF)
            size = 4
        elif value is None or isinstance(value, str):
            raise TypeError("value must be an int, a LINGER or a bytes-like object, not %s" % type(value).__name__)
        else:
            cval = _args.input_buffer(value, "value")
            size = len(cval)
            if size > _MAX_OPTLEN:
                raise ValueError("an option value is at most %d bytes" % _MAX_OPTLEN)
        if lib.ps_setsockopt(self._live_handle("setsockopt"), lv, on, cval, size) != 0:
            raise self._error("setsockopt")

    def getsockopt(self, level: int, optname: int, buflen: Optional[int] = None) -> Any:
        """getsockopt as the stdlib's: without buflen, the option as a C int
        (a winsock.LINGER for SO_LINGER; SO_RCVTIMEO and SO_SNDTIMEO in
        milliseconds); with buflen (1..1024), its raw bytes."""
        lv, on = _option_name(level, optname)
        if buflen is not None:
            buflen = _args.check_int(buflen, "buflen")
            if not 1 <= buflen <= 1024:
                raise ValueError("buflen must be 1..1024, not %d" % buflen)
        size = ffi.new("int *", 4 if buflen is None else buflen)
        cval = ffi.new("char[]", size[0])
        if lib.ps_getsockopt(self._live_handle("getsockopt"), lv, on, cval, size) != 0:
            raise self._error("getsockopt")
        raw = ffi.buffer(cval, size[0])[:]
        if buflen is not None:
            return raw
        if lv == lib.SOL_SOCKET and on == lib.SO_LINGER:
            return _ws.LINGER(int.from_bytes(raw[0:2], sys.byteorder), int.from_bytes(raw[2:4], sys.byteorder))
        return int.from_bytes(raw.ljust(4, b"\0")[:4], sys.byteorder, signed=True)

    @property
    def nodelay(self) -> bool:
        """TCP_NODELAY: True sends small writes at once (no Nagle delay)."""
        return bool(self.getsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY))

    @nodelay.setter
    def nodelay(self, on: bool) -> None:
        self.setsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY, _flag(on, "nodelay"))

    @property
    def keepalive(self) -> bool:
        """SO_KEEPALIVE: the system probes an idle connection."""
        return bool(self.getsockopt(lib.SOL_SOCKET, lib.SO_KEEPALIVE))

    @keepalive.setter
    def keepalive(self, on: bool) -> None:
        self.setsockopt(lib.SOL_SOCKET, lib.SO_KEEPALIVE, _flag(on, "keepalive"))

    # -- the end of the lifecycle ----------------------------------------------

    def disconnect(self, timeout: Timeout = None, *, discard: bool = False,
                   max_size: Optional[int] = None) -> bytes:
        """The graceful disconnect: shutdown(SD_SEND), receive until the peer's
        FIN, close; returns everything received. With a timeout (or the
        connection's own), TimeoutError when the peer has not closed by then;
        the connection is closed in every case, but one: a signal handler that
        raises (Ctrl-C) interrupts the call and leaves the connection open and
        half-closed, what was received kept, so that calling disconnect() again
        goes on and returns all of it (or close() ends it).

        max_size bounds the reply: a peer that sends more than max_size bytes
        before its FIN gets a reset (it is misbehaving) and ReplyTooLarge
        (winerror WSAEMSGSIZE) is raised, holding the first max_size bytes.
        Memory stays within max_size plus one receive buffer. None: no bound.

        Every WinsockError it raises carries ``partial``: what was received
        before it (bytes; with discard=True, their count).

        With discard=True the reply is received and dropped in C (as a recv
        loop into one reused buffer would): nothing is kept or allocated, b""
        is returned and ``discarded`` holds the number of bytes received (also
        when an error is raised)."""
        if timeout is not None:
            timeout = _check_timeout(timeout)
        else:
            timeout = self._timeout
        limit = None if max_size is None else _check_max_size(max_size)
        if discard and limit is not None:
            raise ValueError("max_size bounds a reply that is kept; discard=True keeps none")
        try:
            handle = self._take_handle("disconnect")
        except WinsockError as error:
            error.partial = 0 if discard else b""  # type: ignore[attr-defined]
            raise
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            if timeout == 0:
                # Blocking again, with no time to wait: what has arrived is
                # drained, and a missing FIN is a TimeoutError.
                lib.ps_ioctlsocket(handle, _FIONBIO, ffi.new("unsigned long *", 0))
            if discard:
                # The core's discard mode (buf NULL, cap 0): 0 at the FIN, or
                # -1; the socket is closed either way (but for a signal).
                got = ffi.new("size_t *")
                ret = lib.ps_disconnect(handle, ffi.NULL, 0, got, _remaining_ms(deadline))
                self.discarded = self._discarded_before + int(got[0])
                self._discarded_before = 0
                if ret < 0:
                    self._keep_if_interrupted(b"", self.discarded)
                    raise self._error("disconnect", partial=self.discarded)
                return b""
            # ps_disconnect closes the socket at the FIN and on failure; while
            # its buffer fills, the socket stays open for ps_drain.
            kept, left = self._take_kept(limit)
            size = _FIRST_DRAIN if left is None else min(_FIRST_DRAIN, left + 1)
            buf = _new_buffer("char[]", size)
            got = ffi.new("size_t *")
            ret = lib.ps_disconnect(handle, buf, size, got, _remaining_ms(deadline))
            if ret == 0 and not kept:
                return ffi.unpack(buf, got[0])   # the whole reply in one buffer: one copy
            ret, data, code, still_open = _receive_more(handle, ret, buf, size, got, left, deadline)
            data = kept + data if kept else data
            if ret < 0:
                self._keep_if_interrupted(data, 0)
            if ret == 1:
                _reset(handle)
                assert limit is not None
                raise ReplyTooLarge(data, limit, "disconnect")
            if still_open:
                lib.ps_closesocket(handle)
            if ret == 0:
                return data
            raise self._error("disconnect", code, partial=data)
        finally:
            if self._closed:   # else a signal interrupted it, and it stays open
                self._handle_released()

    def _take_kept(self, limit: Optional[int]) -> Tuple[bytes, Optional[int]]:
        """What an interrupted disconnect() or recv_until_fin() kept (taken,
        for this call to return first), and what is left of limit for the rest."""
        kept, self._received_before = self._received_before, b""
        return kept, None if limit is None else max(limit - len(kept), 0)

    def _keep_if_interrupted(self, received: bytes, discarded: int) -> None:
        """After a disconnect() or recv_until_fin() failed: if a signal
        handler's exception stopped it, the core left the socket open, and so
        is the connection, with what was received kept for the next call,
        which goes on draining; the exception is raised. Else nothing."""
        if _signals.stopped():
            self._received_before = received
            self._discarded_before = discarded
            with self._lock:
                self._closed = False
            _signals.raise_pending()

    def recv_until_fin(self, *, max_size: Optional[int] = None) -> bytes:
        """Receives everything up to the peer's FIN and returns it: the server's
        step "read the whole request" (the client half-closed). The connection
        stays open, for the reply and disconnect(). The connection's timeout
        bounds the whole call (TimeoutError).

        Past max_size bytes, ReplyTooLarge (winerror WSAEMSGSIZE) holding the
        first max_size bytes; the connection stays open (abort() it, or
        disconnect()). Every WinsockError it raises carries ``partial``."""
        limit = _check_max_size(max_size)
        timeout = self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        kept, left = self._take_kept(limit)
        ret, data, code, _ = _receive(self._live_handle("recv_until_fin"), lib.ps_drain, left, deadline)
        data = kept + data if kept else data
        if ret < 0:
            self._keep_if_interrupted(data, 0)
        if ret == 0:
            return data
        if ret == 1:
            assert limit is not None
            raise ReplyTooLarge(data, limit, "recv_until_fin")
        raise self._error("recv_until_fin", code, partial=data)

    def abort(self) -> None:
        """Closes abortively: SO_LINGER {1, 0}, so the peer sees a reset."""
        handle = self._take_handle("abort", missing_ok=True)
        if handle is None:
            return
        try:
            _reset(handle)
        finally:
            self._handle_released()

    def close(self) -> None:
        """Closes the socket (closesocket); safe to call more than once, and
        from any thread: a recv, sendall or disconnect blocked in another
        thread is woken with an error (WSAEINTR)."""
        with self._lock:
            if not self._needs_close:
                return
            self._needs_close = False
            self._closed = True
        # Even when a disconnect() in another thread owns the handle: closing
        # it wakes that call, and a handle closed already is only refused
        # (the core never reuses a handle value), never another socket's.
        lib.ps_closesocket(self._handle)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Leaves with the graceful disconnect, bounded by the timeout (or
        DEFAULT_EXIT_TIMEOUT), so the peer's reply is read rather than reset.
        What was received is kept in ``drained``. An exception from the block
        propagates unchanged."""
        if self._closed:
            return
        timeout = self._timeout if self._timeout else DEFAULT_EXIT_TIMEOUT
        try:
            self.drained = self.disconnect(timeout, max_size=DEFAULT_EXIT_MAX_SIZE)
        except WinsockError as error:
            self.drained = getattr(error, "partial", b"")
            if exc_type is None:
                raise
            # else the block's own exception is the one that matters
        except BaseException:
            # A signal handler raised (Ctrl-C) during the disconnect, which
            # left the connection open: nothing can drain it after the block.
            self.close()
            raise

    # -- internals --------------------------------------------------------------

    @overload
    def _take_handle(self, function: str) -> int: ...
    @overload
    def _take_handle(self, function: str, missing_ok: bool) -> Optional[int]: ...

    def _take_handle(self, function: str, missing_ok: bool = False) -> Optional[int]:
        """Marks the connection closed and returns its handle, once."""
        with self._lock:
            if self._closed:
                if missing_ok:
                    return None
                raise _error(function, _ws.WSAENOTSOCK, "the connection is closed")
            self._closed = True
            return self._handle

    def _handle_released(self) -> None:
        """A disconnect() or abort() that took the handle is done with it."""
        self._needs_close = False

    def _error(self, function: str, code: Optional[int] = None, partial: Any = None) -> WinsockError:
        """The exception for a failed call on this connection (the last error,
        or code), with ``partial`` attached when given."""
        if code is None:
            code = int(lib.ps_last_error())
        message = "the connection was closed while %s was waiting" % function if code == _ws.WSAEINTR else None
        error = _error(function, code, message)
        if partial is not None:
            error.partial = partial  # type: ignore[attr-defined]
        return error

    def _address(self, getter: Callable[[int, CData, CData], int]) -> Optional[Tuple[str, int]]:
        return _name_of(self._handle, getter)


def _name_of(handle: int, getter: Callable[[int, CData, CData], int]) -> Optional[Tuple[str, int]]:
    """(host, port) from ps_getsockname or ps_getpeername, or None."""
    buf = ffi.new("char[128]")
    size = ffi.new("int *", 128)
    if getter(handle, buf, size) != 0:
        return None
    return _decode_name(buf, size[0])


def _decode_name(buf: CData, size: int) -> Optional[Tuple[str, int]]:
    """(host, port) of a native sockaddr, or None."""
    view = ffi.new("ps_sockaddr_view *")
    if lib.ps_sockaddr_decode(buf, size, view) != 0:
        return None
    text = ffi.new("char[64]")
    lib.ps_inet_ntop(view.family, view.addr, text, 64)
    return ffi.string(text).decode("ascii"), _ws.ntohs(view.port)


def _error(function: str, code: Optional[int] = None, message: Optional[str] = None) -> WinsockError:
    """The exception for a failed core call: this thread's last error, or code.
    Every error the Pythonic layer raises for a failed call is made here. If a
    signal handler raised during the call (Ctrl-C), the call stopped for it
    (WSAEINTR), and that exception is raised here instead, as the stdlib does."""
    if _signals.pending is not None:
        _signals.raise_pending()
    if code is None:
        code = int(lib.ps_last_error())
    return error_for(code, function, message)


def _recv_args(bufsize: Any, flags: Any) -> Tuple[int, int]:
    """recv()'s arguments checked: (the size of buffer to allocate, flags)."""
    if not isinstance(bufsize, int):
        raise TypeError("bufsize must be an int")
    if bufsize < 0:
        raise ValueError("negative buffersize in recv")
    # One recv returns what has arrived, at most a socket buffer's worth:
    # a huge bufsize need not allocate (and zero) that much up front.
    return max(1, min(bufsize, _RECV_CAP)), _flags(flags, "recv")


def _recv_into_args(buffer: Any, nbytes: Any, flags: Any) -> Tuple[CData, int, int]:
    """recv_into()'s arguments checked: (a C pointer to the buffer, the length
    to ask ps_recv for, flags)."""
    if type(buffer) is bytearray and type(nbytes) is int and nbytes == 0 and type(flags) is int and flags == 0:
        # The common case, which the checks below would pass unchanged: a
        # bytearray is always writable and contiguous.
        return ffi.from_buffer(buffer), min(len(buffer), _INT_MAX), 0
    if not isinstance(nbytes, int):
        raise TypeError("nbytes must be an int")
    view = memoryview(buffer)
    if view.readonly:
        raise TypeError("recv_into() needs a writable buffer")
    if not view.c_contiguous:
        raise BufferError("recv_into() needs a contiguous buffer")
    if nbytes < 0:
        raise ValueError("negative buffersize in recv_into")
    flags = _flags(flags, "recv_into")
    size = view.nbytes
    if nbytes == 0:
        nbytes = size
    elif nbytes > size:
        raise ValueError("buffer too small for requested bytes")
    return ffi.from_buffer(buffer, require_writable=True), min(nbytes, _INT_MAX), flags


def _check_how(how: Any) -> None:
    if isinstance(how, bool) or not isinstance(how, int):
        raise TypeError("how must be an int (SD_RECEIVE, SD_SEND or SD_BOTH), not %s" % type(how).__name__)
    if how not in (_ws.SD_RECEIVE, _ws.SD_SEND, _ws.SD_BOTH):
        raise ValueError("how must be SD_RECEIVE, SD_SEND or SD_BOTH")


# The largest option value setsockopt hands to the core (the mirror's bound).
_MAX_OPTLEN = 1 << 16


def _option_name(level: Any, optname: Any) -> Tuple[int, int]:
    """level and optname as the C ints the core takes (TypeError, ValueError)."""
    names = (_args.c_int(level, "level"), _args.c_int(optname, "optname"))
    if names[0] is None or names[1] is None:
        raise ValueError("level and optname must fit a C int, not %r, %r" % (level, optname))
    return names[0], names[1]


def _flag(on: Any, name: str) -> int:
    if not isinstance(on, int):
        raise TypeError("%s must be a bool, not %s" % (name, type(on).__name__))
    return 1 if on else 0


def _check_adoptable(sock: _socket.socket) -> None:
    """ValueError unless sock is a connected TCP stream over IPv4 or IPv6."""
    if sock.fileno() < 0:
        raise ValueError("from_socket() needs an open socket; this one is closed")
    if int(sock.family) not in (_ws.AF_INET, _ws.AF_INET6):
        raise ValueError("from_socket() adopts AF_INET or AF_INET6 sockets, not %r" % (sock.family,))
    if int(sock.type) != _ws.SOCK_STREAM or sock.proto not in (0, _ws.IPPROTO_TCP):
        raise ValueError("from_socket() adopts TCP (SOCK_STREAM) sockets, not %r" % (sock.type,))
    try:
        sock.getpeername()
    except OSError:
        raise ValueError("from_socket() adopts a connected socket; this one has no peer "
                         "(unconnected, or listening)") from None


def _check_max_size(max_size: Any) -> Optional[int]:
    if max_size is None:
        return None
    if isinstance(max_size, bool) or not isinstance(max_size, int):
        raise TypeError("max_size must be an int or None, not %s" % type(max_size).__name__)
    if max_size < 0:
        raise ValueError("max_size must be non-negative")
    return max_size


def _receive(handle: int, first: Callable[[int, CData, int, CData, int], int], limit: Optional[int],
             deadline: Optional[float]) -> Tuple[int, bytes, int, bool]:
    """Receives until the peer's FIN: `first` (ps_disconnect or ps_drain) fills
    the first buffer, ps_drain the next ones. Returns (0, the bytes, 0, ...) at
    the FIN; (1, the first `limit` bytes, 0, ...) once more than limit arrived;
    (-1, the bytes received before, the Winsock code, ...) on failure. The last
    item says whether ps_drain ran (after ps_disconnect: the socket is open).

    The bytes go into one io.BytesIO (its getvalue() is the buffer itself, not
    a copy), through one reused receive buffer of at most _LARGEST_DRAIN bytes:
    what is held is the reply plus that buffer, and never more than limit + 1
    bytes of reply."""
    size = _FIRST_DRAIN if limit is None else min(_FIRST_DRAIN, limit + 1)
    buf = _new_buffer("char[]", size)
    got = ffi.new("size_t *")
    return _receive_more(handle, first(handle, buf, size, got, _remaining_ms(deadline)), buf, size, got, limit,
                         deadline)


def _receive_more(handle: int, ret: int, buf: CData, size: int, got: CData, limit: Optional[int],
                  deadline: Optional[float]) -> Tuple[int, bytes, int, bool]:
    """_receive after its first call, which returned ret with got[0] bytes in buf."""
    if ret == 0:
        return 0, ffi.unpack(buf, got[0]), 0, False   # the whole reply in one buffer: one copy
    if ret < 0:
        return -1, ffi.unpack(buf, got[0]), int(lib.ps_last_error()), False
    out = io.BytesIO()
    out.write(ffi.buffer(buf, got[0]))
    total = got[0]
    while limit is None or total <= limit:
        if size < _LARGEST_DRAIN:
            # Larger buffers while the reply grows; the largest is reused.
            size = min(size * 4, _LARGEST_DRAIN)
            buf = _new_buffer("char[]", size)
        cap = size if limit is None else min(size, limit + 1 - total)
        ret = lib.ps_drain(handle, buf, cap, got, _remaining_ms(deadline))
        code = int(lib.ps_last_error()) if ret < 0 else 0
        out.write(ffi.buffer(buf, got[0]))
        total += got[0]
        if ret != 1:
            return (0 if ret == 0 else -1), out.getvalue(), code, True
    out.truncate(limit)
    return 1, out.getvalue(), 0, True


def _reset(handle: int) -> None:
    """Closes abortively: SO_LINGER {1, 0}, then closesocket (the peer sees a reset)."""
    linger = ffi.new("unsigned short[2]", [1, 0])
    lib.ps_setsockopt(handle, lib.SOL_SOCKET, lib.SO_LINGER, linger, 4)
    lib.ps_closesocket(handle)


# connect() and from_socket() take one WSAStartup reference for the process, the
# first time, and keep it: a Connection costs no startup or cleanup of its own.
_implicit_started = False
_startup_lock = threading.Lock()


def _startup() -> None:
    """Takes the implicit, process-wide startup reference, once."""
    global _implicit_started
    if _implicit_started:
        return
    with _startup_lock:
        if not _implicit_started:
            code = lib.ps_startup(0x0202, _WSADATA)
            if code != 0:
                raise _error("WSAStartup", code)
            _implicit_started = True


def _restart() -> None:
    """Called when a call found the socket layer not started (WSANOTINITIALISED):
    WSACleanup calls elsewhere in the process dropped every reference, the
    implicit one included. Takes it again; threads that find the layer stopped
    at the same time take one reference between them."""
    global _implicit_started
    with _startup_lock:
        if _args.not_started():
            code = lib.ps_startup(0x0202, _WSADATA)
            if code != 0:
                raise _error("WSAStartup", code)
        _implicit_started = True


def connect(host: str, port: int, *, timeout: Timeout = None, family: int = _ws.AF_UNSPEC,
            source_address: Optional[Tuple[str, int]] = None) -> Connection:
    """Connects to host:port over TCP, trying each address getaddrinfo gives,
    in order, as Winsock's sample client does. The timeout applies to each
    address, as the stdlib's create_connection does (so n addresses may take
    n times the timeout), and then becomes the connection's. If none accepts,
    raises the last address's error (ConnectionRefusedError, TimeoutError,
    ...), with every address's error, in order, in its ``errors`` (and, on
    Python 3.11+, the others as an ExceptionGroup in its __cause__).

    source_address, (host, port), is bound before connecting ("" and 0: any).

    The first call takes one WSAStartup reference for the process and keeps
    it, so no Session is needed. If WSACleanup calls elsewhere have since
    dropped every reference (the socket layer is stopped: WSANOTINITIALISED),
    connect() takes the reference again and tries once more."""
    timeout = _check_connect_args(host, port, timeout, family, source_address)
    return _started(_connect_to, host, port, family, timeout, source_address)


def _connect_to(host: str, port: int, family: int, timeout: Timeout,
                source: Optional[Tuple[str, int]]) -> Connection:
    return _connect_any(_addresses(host, port, family), timeout, source)


def _check_connect_args(host: Any, port: Any, timeout: Any, family: Any, source_address: Any) -> Timeout:
    """connect()'s arguments checked (TypeError, ValueError); returns the timeout."""
    if type(host) is not str or type(port) is not int or not 0 <= port <= 65535 or "\0" in host:
        _check_host_port(host, port)
    if family not in (_ws.AF_UNSPEC, _ws.AF_INET, _ws.AF_INET6):
        raise ValueError("family must be AF_UNSPEC, AF_INET or AF_INET6")
    checked = _check_timeout(timeout)
    if source_address is not None:
        if not isinstance(source_address, tuple) or len(source_address) != 2:
            raise TypeError("source_address must be a (host, port) tuple, not %r" % (source_address,))
        _check_host_port(*source_address, what="source host")
    return checked


def _check_host_port(host: Any, port: Any, what: str = "host") -> None:
    if not isinstance(host, str):
        raise TypeError("%s must be a str, not %s" % (what, type(host).__name__))
    if "\0" in host:
        raise ValueError("%s must not contain NUL characters" % what)
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError("port must be an int, not %s" % type(port).__name__)
    if not 0 <= port <= 65535:
        raise ValueError("port must be 0-65535, not %d" % port)


_R = TypeVar("_R")


def _started(call: Callable[..., _R], *args: Any) -> _R:
    """call(*args) with the implicit startup reference taken; once more after
    taking it again if WSACleanup calls elsewhere dropped it (WSANOTINITIALISED)."""
    if not _implicit_started:
        _startup()
    try:
        return call(*args)
    except WinsockError as error:
        if error.winerror != _ws.WSANOTINITIALISED:
            raise
    _restart()
    return call(*args)


# A numeric host ("127.0.0.1", "::1") resolves to the same addresses every
# time: its getaddrinfo entries are kept, so connecting again needs no
# resolver call. Names are resolved on every connect().
_Entry = Tuple[int, int, int, "CData", int]   # family, socktype, protocol, sockaddr, its length
_NUMERIC: Dict[Tuple[str, int, int, bool], List[_Entry]] = {}
_NUMERIC_MAX = 256


def _addresses(host: str, port: int, family: int, passive: bool = False) -> List[_Entry]:
    """getaddrinfo's entries for a TCP connection to host:port, in order; with
    passive, the addresses to bind (AI_PASSIVE: "" is every interface)."""
    key = (host, port, family, passive)
    found = _NUMERIC.get(key)
    if found is not None:
        return found
    res = ffi.new("struct addrinfo **")
    node: Any = _encode_host(host)
    service = str(port).encode()
    flags = lib.AI_PASSIVE if passive else 0
    if passive and not host:
        node = ffi.NULL   # the wildcard address of the family
    # AI_NUMERICHOST first: it fails at once for a name, and a success says
    # the entries may be kept.
    numeric = lib.ps_getaddrinfo_hints(node, service, 1, flags | lib.AI_NUMERICHOST, family, lib.SOCK_STREAM,
                                       lib.IPPROTO_TCP, res) == 0
    if not numeric:
        code = int(lib.ps_getaddrinfo_hints(node, service, 1, flags, family, lib.SOCK_STREAM, lib.IPPROTO_TCP,
                                            res))
        if code != 0:
            raise _error("getaddrinfo", code, "%s (%s:%d)" % (describe(code), host, port))
    entries: List[_Entry] = []
    view = ffi.new("ps_addrinfo_view *")
    try:
        ai = res[0]
        while ai != ffi.NULL:
            lib.ps_addrinfo_read(ai, view)
            addr = ffi.new("char[]", view.ai_addrlen)
            ffi.memmove(addr, view.ai_addr, view.ai_addrlen)
            entries.append((view.ai_family, view.ai_socktype, view.ai_protocol, addr, view.ai_addrlen))
            ai = view.ai_next
    finally:
        lib.ps_freeaddrinfo(res[0])
    # A scope ("fe80::1%eth0") names an interface, whose index may change.
    if numeric and "%" not in host:
        if len(_NUMERIC) >= _NUMERIC_MAX:
            _NUMERIC.clear()
        _NUMERIC[key] = entries
    return entries


def _connect_any(entries: List[_Entry], timeout: Timeout, source: Optional[Tuple[str, int]] = None) -> Connection:
    """A Connection to the first of the addresses that accepts, each tried with
    the whole timeout (as the stdlib's create_connection does). If none does,
    the last address's error, with every address's error in ``errors``."""
    errors: List[WinsockError] = []
    ms = _timeout_ms(timeout) if timeout else -1
    for handle, af, addr, addrlen in _sockets_for(entries, errors):
        try:
            if source is not None:
                _bind_source(handle, af, source)
            if lib.ps_connect_timeout(handle, addr, addrlen, ms) != 0:
                raise _error("connect")
        except WinsockError as error:
            lib.ps_closesocket(handle)
            errors.append(error)
            continue
        except BaseException:
            lib.ps_closesocket(handle)
            raise
        try:
            return Connection(handle, timeout)
        except BaseException:
            lib.ps_closesocket(handle)
            raise
    raise _all_failed(errors)


def _sockets_for(entries: List[_Entry], errors: List[WinsockError]) -> Iterator[Tuple[int, int, CData, int]]:
    """A new socket for each address in turn: (handle, family, sockaddr, its
    length). A socket that cannot be opened is its error in errors; once the
    socket layer is found stopped, no address can do better."""
    for af, socktype, protocol, addr, addrlen in entries:
        handle = lib.ps_socket_open(af, socktype, protocol)
        if handle != _INVALID_SOCKET:
            yield int(handle), af, addr, addrlen
            continue
        errors.append(_error("socket"))
        if errors[-1].winerror == _ws.WSANOTINITIALISED:
            return


def _all_failed(errors: List[WinsockError]) -> WinsockError:
    """The error connect() raises when no address accepted: the last one, with
    every address's error in ``errors`` (and, on 3.11+, the others as an
    ExceptionGroup in its __cause__)."""
    if not errors:   # getaddrinfo gave no address at all
        errors.append(_error("connect", _ws.WSAHOST_NOT_FOUND))
    last = errors[-1]
    last.errors = errors  # type: ignore[attr-defined]
    if len(errors) > 1 and sys.version_info >= (3, 11):
        # The others, as create_connection(all_errors=True) would raise them.
        last.__cause__ = ExceptionGroup("%d other address(es) failed first" % (len(errors) - 1),  # noqa: F821
                                        errors[:-1])
    return last


def _bind_source(handle: int, family: int, source: Tuple[str, int]) -> None:
    """Binds a socket about to connect to source_address, (host, port), of its family."""
    for _, _, _, addr, addrlen in _addresses(source[0], source[1], family, passive=True)[:1]:
        if lib.ps_bind(handle, addr, addrlen) != 0:
            raise _error("bind")


def _encode_host(host: str) -> bytes:
    """host.encode("idna"), without the codec for an ASCII name: the same
    bytes, and the same checks (what the codec checks of an ASCII name is
    its label lengths; a name that fails them goes to the codec, which
    raises as before)."""
    if host.isascii():
        raw = host.encode("ascii")
        labels = raw.split(b".")
        if all(0 < len(label) < 64 for label in labels[:-1]) and len(labels[-1]) < 64:
            return raw
    return host.encode("idna") if host else b""

