"""The server side of the Pythonic layer: create_server() and Listener.

A Listener accepts Connections; on an accepted Connection the server's half of
the lifecycle is one call per step: recv_until_fin() (the client's request,
up to its FIN), sendall(reply), disconnect()."""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any, Optional, Tuple

from portsock import _args, winsock as _ws
from portsock._connection import (
    _FIONBIO,
    Connection,
    Timeout,
    _addresses,
    _check_host_port,
    _check_timeout,
    _decode_name,
    _error,
    _name_of,
    _show,
    _Socket,
    _started,
)
from portsock._core import ffi, lib

_INVALID_SOCKET: int = lib.PS_INVALID_SOCKET


def create_server(address: Tuple[str, int], *, family: int = _ws.AF_INET, backlog: Optional[int] = None,
                  reuse_port: bool = False, dualstack_ipv6: bool = False) -> Listener:
    """A listening TCP socket bound to address, (host, port), as the stdlib's
    socket.create_server makes one: "" is every interface, port 0 a free port
    (read it from local_address). SO_REUSEADDR is set on POSIX (not on
    Windows, where it would let another process take the port), as the stdlib
    does. backlog None is SOMAXCONN. reuse_port sets SO_REUSEPORT (ValueError
    where portsock has none); dualstack_ipv6 (family AF_INET6 only) accepts
    IPv4 clients too, otherwise an AF_INET6 listener is IPv6-only."""
    host, port, backlog = _check_server_args(address, family, backlog, reuse_port, dualstack_ipv6)
    return _started(lambda: Listener(_listening_handle(host, port, family, backlog, reuse_port, dualstack_ipv6)))


def _check_server_args(address: Any, family: Any, backlog: Any, reuse_port: bool,
                       dualstack_ipv6: bool) -> Tuple[str, int, Optional[int]]:
    """create_server()'s arguments checked (TypeError, ValueError): (host, port, backlog)."""
    if not isinstance(address, tuple) or len(address) != 2:
        raise TypeError("address must be a (host, port) tuple, not %r" % (address,))
    host, port = address
    _check_host_port(host, port)
    if family not in (_ws.AF_INET, _ws.AF_INET6):
        raise ValueError("family must be AF_INET or AF_INET6")
    if backlog is not None:
        backlog = _args.check_int(backlog, "backlog")
        if not 0 <= backlog <= _args.INT_MAX:
            raise ValueError("backlog must be 0..%d, not %d" % (_args.INT_MAX, backlog))
    if reuse_port and _REUSE_PORT is None:
        raise ValueError("SO_REUSEPORT is not supported on this platform")
    if dualstack_ipv6 and family != _ws.AF_INET6:
        raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    return host, port, backlog


_REUSE_PORT: Optional[int] = getattr(lib, "SO_REUSEPORT", None)


def _listening_handle(host: str, port: int, family: int, backlog: Optional[int], reuse_port: bool,
                      dualstack_ipv6: bool) -> int:
    """A handle of the core bound to (host, port) and listening, as create_server() describes."""
    af, socktype, protocol, addr, addrlen = _addresses(host, port, family, passive=True)[0]
    handle = lib.ps_socket_open(af, socktype, protocol)
    if handle == _INVALID_SOCKET:
        raise _error("socket")
    try:
        if sys.platform != "win32":
            _set_int(handle, lib.SOL_SOCKET, lib.SO_REUSEADDR, 1)
        if reuse_port:
            assert _REUSE_PORT is not None
            _set_int(handle, lib.SOL_SOCKET, _REUSE_PORT, 1)
        if af == _ws.AF_INET6:
            _set_int(handle, lib.IPPROTO_IPV6, lib.IPV6_V6ONLY, 0 if dualstack_ipv6 else 1)
        if lib.ps_bind(handle, addr, addrlen) != 0:
            raise _error("bind")
        if lib.ps_listen(handle, lib.SOMAXCONN if backlog is None else backlog) != 0:
            raise _error("listen")
        return int(handle)
    except BaseException:
        lib.ps_closesocket(handle)
        raise


def _set_int(handle: int, level: int, optname: int, value: int) -> None:
    if lib.ps_setsockopt(handle, level, optname, ffi.new("int *", value), 4) != 0:
        raise _error("setsockopt")


class Listener(_Socket):
    """A listening TCP socket (from create_server()): accept() gives
    (Connection, (host, port)) for each client.

    Its timeout (settimeout; None at first) bounds each accept() (TimeoutError)
    and becomes the accepted Connection's timeout; 0 is non-blocking
    (BlockingIOError). close() is idempotent and wakes an accept() blocked in
    another thread, which raises InterruptedError (winerror WSAEINTR)."""

    _kind = "listener"

    def __init__(self, handle: int) -> None:
        """Wraps a listening handle of the core (use create_server()); the
        Listener owns it."""
        if not 0 <= _args.check_int(handle, "handle") <= _args.SOCKET_MAX:
            raise ValueError("handle must be a SOCKET of the core, not %d" % handle)
        self._handle = handle
        self._lock = threading.Lock()
        self._closed = False
        self._timeout: Timeout = None
        self._nonblocking = False
        self._local = _name_of(handle, lib.ps_getsockname)
        self._needs_close = True

    @property
    def local_address(self) -> Optional[Tuple[str, int]]:
        """(host, port) the listener is bound to (the port chosen for port 0)."""
        return self._local

    def settimeout(self, timeout: Timeout) -> None:
        timeout = _check_timeout(timeout)
        # Blocking (accept waits in the core, and close() wakes it) only
        # without a timeout; a timeout is kept by looking without blocking.
        nonblocking = timeout is not None
        if nonblocking != self._nonblocking:
            arg = ffi.new("unsigned long *", int(nonblocking))
            if lib.ps_ioctlsocket(self._live_handle("settimeout"), _FIONBIO, arg) != 0:
                raise _error("settimeout")
            self._nonblocking = nonblocking
        self._timeout = timeout

    def accept(self) -> Tuple[Connection, Tuple[str, int]]:
        """Waits for a client (within the timeout) and returns its Connection and
        its (host, port). The Connection has the listener's timeout."""
        timeout = self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        buf = ffi.new("char[128]")
        size = ffi.new("int *")
        waiting = ffi.new("ps_wsapollfd *")
        listener = self._live_handle("accept")
        while True:
            size[0] = 128
            handle = lib.ps_accept(listener, buf, size)
            if handle != _INVALID_SOCKET:
                break
            code = int(lib.ps_last_error())
            if self._closed and code in (_ws.WSAENOTSOCK, _ws.WSAEINTR):
                raise _error("accept", _ws.WSAEINTR, "the listener was closed while accept was waiting")
            if code != _ws.WSAEWOULDBLOCK or deadline is None or timeout == 0:
                raise _error("accept", code)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _error("accept", _ws.WSAETIMEDOUT)
            # The core's accept has no deadline (Winsock's accept ignores
            # SO_RCVTIMEO): a timed one waits in WSAPoll for a pending
            # connection, or the close, within what is left, then looks again.
            waiting.fd, waiting.events, waiting.revents = listener, lib.PS_POLLRDNORM, 0
            if lib.ps_wsapoll(waiting, 1, max(1, math.ceil(left * 1000))) < 0:
                code = int(lib.ps_last_error())
                if self._closed and code in (_ws.WSAENOTSOCK, _ws.WSAEINTR):
                    raise _error("accept", _ws.WSAEINTR, "the listener was closed while accept was waiting")
                raise _error("accept", code)
        try:
            # An accepted socket inherits the listener's mode and timeouts
            # (Winsock's rule): settimeout gives it the listener's timeout.
            conn = Connection(handle)
            conn.settimeout(timeout)
        except BaseException:
            lib.ps_closesocket(handle)
            raise
        address = _decode_name(buf, size[0]) or ("", 0)
        return conn, address

    def close(self) -> None:
        """Closes the listener (closesocket); safe to call more than once. An
        accept() blocked in another thread raises InterruptedError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._needs_close = False
        lib.ps_closesocket(self._handle)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<portsock.Listener %s %s timeout=%r>" % ("closed" if self._closed else "listening",
                                                        _show(self._local), self._timeout)
