"""The Pythonic layer: connect(), Connection and Session.

A Connection is the Winsock client lifecycle made the easy path: send, then
disconnect() -- shutdown(SD_SEND), receive until the peer's FIN, closesocket, in
one native call with a deadline -- returning everything the peer sent. Errors
are WinsockError, which is also the matching builtin (ConnectionResetError,
TimeoutError, ...)."""

from __future__ import annotations

import math
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, overload

from portsock import winsock as _ws
from portsock._core import ffi, lib
from portsock._errors import WinsockError, error_for

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
_INT_MAX = (1 << 31) - 1

# FIONBIO as the `long` ioctlsocket takes: Windows' value has the top bit set
# and its long is 32 bits, so it is negative there, as it is in C.
_FIONBIO: int = _ws._c_long(lib.FIONBIO, "cmd")  # type: ignore[assignment]

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


def _check_timeout(timeout: Any) -> Timeout:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds or None, not %s" % type(timeout).__name__)
    if math.isnan(timeout) or timeout < 0:
        raise ValueError("timeout must be non-negative")
    return float(timeout)


class Session:
    """WSAStartup(2.2) on entry, WSACleanup on exit; nests like Winsock's count.

    connect() does not need one: each Connection holds its own reference."""

    def __init__(self, version: Tuple[int, int] = (2, 2)) -> None:
        self.version = version
        self.data: Optional[_ws.WSADATA] = None
        self._entered = 0

    def __enter__(self) -> Session:
        data = _ws.WSADATA()
        code = _ws.WSAStartup(_ws.MAKEWORD(*self.version), data)
        if code != 0:
            raise error_for(code, "WSAStartup")
        self.data = data
        self._entered += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._entered:
            self._entered -= 1
            lib.ps_cleanup()

    def __repr__(self) -> str:
        return "<portsock.Session %s>" % ("active" if self._entered else "inactive")


class Connection:
    """A connected TCP stream with Winsock's lifecycle and Python's manners.

    Timeouts follow the stdlib socket: None blocks, 0 is non-blocking, a
    positive number of seconds bounds each call (sendall and disconnect as a
    whole) and raises TimeoutError (winerror WSAETIMEDOUT)."""

    def __init__(self, handle: int, timeout: Timeout = None) -> None:
        """Wraps a connected handle of the core (use connect() or from_socket());
        the Connection owns the handle and one WSAStartup reference."""
        self._handle = handle
        self._lock = threading.Lock()
        self._owns_startup = True
        self._closed = False
        self._timeout: Timeout = None
        self.drained = b""
        """What the graceful disconnect received when leaving a with block."""
        self._names = (self._address(lib.ps_getsockname), self._address(lib.ps_getpeername))
        self.settimeout(timeout)

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_socket(cls, sock: _socket.socket) -> Connection:
        """Adopts a connected stdlib socket: the Connection owns it from now on
        (the stdlib object is detached and must not be used again)."""
        if not hasattr(sock, "detach") or not hasattr(sock, "gettimeout"):
            raise TypeError("from_socket() takes a socket.socket, not %s" % type(sock).__name__)
        timeout = sock.gettimeout()
        _startup()
        native = sock.detach()
        handle = int(lib.ps_adopt(native))
        if handle == _ws.INVALID_SOCKET:
            error = error_for(int(lib.ps_last_error()), "from_socket")
            lib.ps_cleanup()
            raise error
        return cls(handle, timeout)

    # -- state ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        """The OS descriptor, for selectors and select(); -1 once closed.
        Read readiness from it, but do all I/O through the Connection."""
        if self._closed:
            return -1
        return int(lib.ps_native_handle(self._handle))

    def gettimeout(self) -> Timeout:
        return self._timeout

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

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if flag else 0.0)

    @property
    def local_address(self) -> Optional[Tuple[str, int]]:
        return self._names[0]

    @property
    def peer_address(self) -> Optional[Tuple[str, int]]:
        return self._names[1]

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        local, peer = self._names

        def show(addr: Optional[Tuple[str, int]]) -> str:
            if addr is None:
                return "?"
            host = "[%s]" % addr[0] if ":" in addr[0] else addr[0]
            return "%s:%d" % (host, addr[1])

        return "<portsock.Connection %s %s -> %s timeout=%r>" % (state, show(local), show(peer), self._timeout)

    # -- data -----------------------------------------------------------------

    def send(self, data: ReadableBuffer, flags: int = 0) -> int:
        """Sends some of data; returns how many bytes went out."""
        buf = _input(data)
        n = min(len(buf), _INT_MAX)
        ret = lib.ps_send(self._live_handle("send"), buf, n, flags)
        if ret < 0:
            raise self._error("send")
        return int(ret)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        """Sends all of data (one native call); the timeout bounds the whole."""
        buf = _input(data)
        sent = ffi.new("size_t *")
        if lib.ps_sendall(self._live_handle("sendall"), buf, len(buf), flags,
                          _timeout_ms(self._timeout), sent) != 0:
            error = self._error("sendall")
            error.bytes_sent = int(sent[0])  # type: ignore[attr-defined]
            raise error

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receives up to bufsize bytes; b"" means the peer closed (its FIN)."""
        if not isinstance(bufsize, int):
            raise TypeError("bufsize must be an int")
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        buf = ffi.new("char[]", max(1, min(bufsize, _INT_MAX)))
        ret = lib.ps_recv(self._live_handle("recv"), buf, min(bufsize, _INT_MAX), flags)
        if ret < 0:
            raise self._error("recv")
        return ffi.buffer(buf, ret)[:]

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        """Receives into a writable, contiguous buffer, without a copy."""
        if not isinstance(nbytes, int):
            raise TypeError("nbytes must be an int")
        view = memoryview(buffer)
        if view.readonly:
            raise TypeError("recv_into() needs a writable buffer")
        if not view.c_contiguous:
            raise BufferError("recv_into() needs a contiguous buffer")
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        size = view.nbytes
        if nbytes == 0:
            nbytes = size
        elif nbytes > size:
            raise ValueError("buffer too small for requested bytes")
        cbuf = ffi.from_buffer(buffer, require_writable=True)
        ret = lib.ps_recv(self._live_handle("recv_into"), cbuf, min(nbytes, _INT_MAX), flags)
        if ret < 0:
            raise self._error("recv_into")
        return int(ret)

    def shutdown(self, how: int) -> None:
        """shutdown(SD_RECEIVE, SD_SEND or SD_BOTH), with Winsock's rules."""
        if how not in (_ws.SD_RECEIVE, _ws.SD_SEND, _ws.SD_BOTH):
            raise ValueError("how must be SD_RECEIVE, SD_SEND or SD_BOTH")
        if lib.ps_shutdown(self._live_handle("shutdown"), how) != 0:
            raise self._error("shutdown")

    # -- the end of the lifecycle ----------------------------------------------

    def disconnect(self, timeout: Timeout = None) -> bytes:
        """The graceful disconnect: shutdown(SD_SEND), receive until the peer's
        FIN, close; returns everything received. With a timeout (or the
        connection's own), TimeoutError when the peer has not closed by then;
        the connection is closed in every case."""
        timeout = _check_timeout(timeout)
        if timeout is None:
            timeout = self._timeout
        handle = self._take_handle("disconnect")
        deadline = None if timeout is None else time.monotonic() + timeout
        chunks: List[bytes] = []
        size = _FIRST_DRAIN
        buf = ffi.new("char[]", size)
        got = ffi.new("size_t *")
        try:
            if timeout == 0:
                # Blocking again, with no time to wait: what has arrived is
                # drained, and a missing FIN is a TimeoutError.
                lib.ps_ioctlsocket(handle, _FIONBIO, ffi.new("unsigned long *", 0))
            # 0: the FIN came and the socket is closed; 1: the buffer filled
            # first and the socket is open; -1: failed, and closed.
            ret = lib.ps_disconnect(handle, buf, size, got, _remaining_ms(deadline))
            chunks.append(ffi.buffer(buf, got[0])[:])
            while ret == 1:
                size = min(size * 4, _LARGEST_DRAIN)
                buf = ffi.new("char[]", size)
                ret = lib.ps_drain(handle, buf, size, got, _remaining_ms(deadline))
                chunks.append(ffi.buffer(buf, got[0])[:])
                if ret != 1:
                    error = self._error("disconnect") if ret < 0 else None
                    lib.ps_closesocket(handle)
                    if error is not None:
                        raise error
            if ret < 0:
                raise self._error("disconnect")
        finally:
            self._release_startup()
        return b"".join(chunks)

    def abort(self) -> None:
        """Closes abortively: SO_LINGER {1, 0}, so the peer sees a reset."""
        handle = self._take_handle("abort", missing_ok=True)
        if handle is None:
            return
        try:
            linger = ffi.new("unsigned short[2]", [1, 0])
            lib.ps_setsockopt(handle, lib.SOL_SOCKET, lib.SO_LINGER, linger, 4)
            lib.ps_closesocket(handle)
        finally:
            self._release_startup()

    def close(self) -> None:
        """Closes the socket (closesocket); safe to call more than once, and
        from any thread: a recv, sendall or disconnect blocked in another
        thread is woken with an error (WSAEINTR)."""
        with self._lock:
            if self._closed and not self._owns_startup:
                return
            self._closed = True
        # Even when a disconnect() in another thread owns the handle: closing
        # it wakes that call, and a handle closed already is only refused
        # (the core never reuses a handle value), never another socket's.
        lib.ps_closesocket(self._handle)
        self._release_startup()

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
        if exc_type is None:
            self.drained = self.disconnect(timeout)
            return
        try:
            self.drained = self.disconnect(timeout)
        except OSError:
            pass  # the block's own exception is the one that matters

    def __del__(self) -> None:
        if getattr(self, "_owns_startup", False) or not getattr(self, "_closed", True):
            warnings.warn("unclosed %r" % self, ResourceWarning, stacklevel=1, source=self)
            self.close()

    # -- internals --------------------------------------------------------------

    def _live_handle(self, function: str) -> int:
        if self._closed:
            raise error_for(_ws.WSAENOTSOCK, function, "the connection is closed")
        return self._handle

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
                raise error_for(_ws.WSAENOTSOCK, function, "the connection is closed")
            self._closed = True
            return self._handle

    def _release_startup(self) -> None:
        with self._lock:
            owned, self._owns_startup = self._owns_startup, False
        if owned:
            lib.ps_cleanup()

    def _error(self, function: str) -> WinsockError:
        code = int(lib.ps_last_error())
        if code == _ws.WSAEINTR:
            return error_for(code, function, "the connection was closed while %s was waiting" % function)
        return error_for(code, function)

    def _address(self, getter: Callable[[int, CData, CData], int]) -> Optional[Tuple[str, int]]:
        buf = ffi.new("char[128]")
        size = ffi.new("int *", 128)
        if getter(self._handle, buf, size) != 0:
            return None
        view = ffi.new("ps_sockaddr_view *")
        if lib.ps_sockaddr_decode(buf, size[0], view) != 0:
            return None
        text = ffi.new("char[64]")
        lib.ps_inet_ntop(view.family, view.addr, text, 64)
        return ffi.string(text).decode("ascii"), _ws.ntohs(view.port)


def _input(data: ReadableBuffer) -> CData:
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        return ffi.from_buffer(data)
    except TypeError:
        raise TypeError("a bytes-like object is required, not %r" % type(data).__name__) from None


def _startup() -> None:
    data = ffi.new("ps_wsadata *")
    code = int(lib.ps_startup(0x0202, data))
    if code != 0:
        raise error_for(code, "WSAStartup")


def connect(host: str, port: int, *, timeout: Timeout = None, family: int = _ws.AF_UNSPEC) -> Connection:
    """Connects to host:port over TCP, trying each address getaddrinfo gives,
    in order, as Winsock's sample client does. Raises the last address's
    error (ConnectionRefusedError, TimeoutError, ...) if none accepts."""
    if not isinstance(host, str):
        raise TypeError("host must be a str, not %s" % type(host).__name__)
    if "\0" in host:
        raise ValueError("host must not contain NUL characters")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError("port must be an int, not %s" % type(port).__name__)
    if not 0 <= port <= 65535:
        raise ValueError("port must be 0-65535, not %d" % port)
    if family not in (_ws.AF_UNSPEC, _ws.AF_INET, _ws.AF_INET6):
        raise ValueError("family must be AF_UNSPEC, AF_INET or AF_INET6")
    timeout = _check_timeout(timeout)
    _startup()
    try:
        return _connect_any(host, port, timeout, family)
    except BaseException:
        lib.ps_cleanup()
        raise


def _connect_any(host: str, port: int, timeout: Timeout, family: int) -> Connection:
    res = ffi.new("struct addrinfo **")
    code = int(lib.ps_getaddrinfo_hints(host.encode("idna") if host else b"", str(port).encode(), 1, 0,
                                        family, lib.SOCK_STREAM, lib.IPPROTO_TCP, res))
    if code != 0:
        raise error_for(code, "getaddrinfo", "%s (%s:%d)" % (_describe(code), host, port))
    last: Optional[WinsockError] = None
    view = ffi.new("ps_addrinfo_view *")
    ms = _timeout_ms(timeout if timeout else None)
    try:
        ai = res[0]
        while ai != ffi.NULL:
            lib.ps_addrinfo_read(ai, view)
            ai = view.ai_next
            handle = int(lib.ps_socket_open(view.ai_family, view.ai_socktype, view.ai_protocol))
            if handle == _ws.INVALID_SOCKET:
                last = error_for(int(lib.ps_last_error()), "socket")
                continue
            if lib.ps_connect_timeout(handle, view.ai_addr, view.ai_addrlen, ms) != 0:
                last = error_for(int(lib.ps_last_error()), "connect")
                lib.ps_closesocket(handle)
                continue
            try:
                return Connection(handle, timeout)
            except BaseException:
                lib.ps_closesocket(handle)
                raise
    finally:
        lib.ps_freeaddrinfo(res[0])
    assert last is not None
    raise last


def _describe(code: int) -> str:
    from portsock._errors import describe
    return describe(code)

