"""select and WSAPoll of portsock.winsock (which re-exports every name here).

Waiting on several sockets, with Winsock's structures: fd_set holds a count
and an array of SOCKETs (never a bitmap of fds), TIMEVAL two longs, WSAPOLLFD
a SOCKET and two shorts, and the POLL* flags have Winsock's values. The calls
follow the mirror's rules (portsock.winsock's docstring): C's return values
and last error, out-parameters updated in place, TypeError for a wrong type,
C's conversions for values; a signal handler's exception (Ctrl-C) interrupts
them as it does every blocking call; portsock.winsock.trace() records them.
"""

from __future__ import annotations

from typing import Any, List, Optional

from portsock import _trace
from portsock._core import ffi, lib
from portsock.winsock import INVALID_SOCKET, _blocking, _check_int, _handle

__all__ = [
    "FD_SETSIZE", "FD_ZERO", "FD_SET", "FD_CLR", "FD_ISSET", "fd_set", "TIMEVAL", "timeval", "select",
    "POLLRDNORM", "POLLRDBAND", "POLLIN", "POLLPRI", "POLLWRNORM", "POLLOUT", "POLLWRBAND", "POLLERR",
    "POLLHUP", "POLLNVAL", "WSAPOLLFD", "pollfd", "WSAPoll",
]

FD_SETSIZE: int = lib.PS_FD_SETSIZE

POLLRDNORM: int = lib.PS_POLLRDNORM
POLLRDBAND: int = lib.PS_POLLRDBAND
POLLIN: int = lib.PS_POLLIN
POLLPRI: int = lib.PS_POLLPRI
POLLWRNORM: int = lib.PS_POLLWRNORM
POLLOUT: int = lib.PS_POLLOUT
POLLWRBAND: int = lib.PS_POLLWRBAND
POLLERR: int = lib.PS_POLLERR
POLLHUP: int = lib.PS_POLLHUP
POLLNVAL: int = lib.PS_POLLNVAL

_FD_ARRAY_OFFSET = ffi.offsetof("ps_fd_set", "fd_array")
_SOCKET_SIZE = ffi.sizeof("ps_socket")
_LONG_BITS = ffi.sizeof("long") * 8


def _wrap(value: int, bits: int) -> int:
    """value converted to a signed C integer of that many bits, as C converts it."""
    sign = 1 << (bits - 1)
    return ((value & ((1 << bits) - 1)) ^ sign) - sign


class fd_set:
    """Winsock's fd_set: fd_array, the list of SOCKETs in the set (FD_SET keeps
    it to FD_SETSIZE = 64 and free of duplicates), and fd_count, its length.
    select rewrites fd_array in place with the ready ones, as C rewrites the
    set. Setting fd_count to a smaller value drops the handles past it."""

    __slots__ = ("fd_array",)

    def __init__(self) -> None:
        self.fd_array: List[int] = []

    @property
    def fd_count(self) -> int:
        return len(self.fd_array)

    @fd_count.setter
    def fd_count(self, value: int) -> None:
        count = _check_int(value, "fd_count")
        if not 0 <= count <= len(self.fd_array):
            raise ValueError("fd_count must be between 0 and len(fd_array) (%d), not %d"
                             % (len(self.fd_array), count))
        del self.fd_array[count:]

    def __repr__(self) -> str:
        return "fd_set(fd_count=%d, fd_array=%r)" % (self.fd_count, self.fd_array)


def _set(set: object) -> fd_set:
    if not isinstance(set, fd_set):
        raise TypeError("set must be an fd_set, not %s" % type(set).__name__)
    return set


def FD_ZERO(set: fd_set) -> None:
    """Mirrors the FD_ZERO macro (winsock2.h): empties the set."""
    del _set(set).fd_array[:]


def FD_SET(fd: int, set: fd_set) -> None:
    """Mirrors the FD_SET macro (winsock2.h): adds the SOCKET fd unless it is in the
    set already or the set holds FD_SETSIZE handles (then nothing happens, as in C).
    The value is kept as C's SOCKET would hold it (-1 is INVALID_SOCKET)."""
    h, handles = _handle(fd), _set(set).fd_array
    if h not in handles and len(handles) < FD_SETSIZE:
        handles.append(h)


def FD_CLR(fd: int, set: fd_set) -> None:
    """Mirrors the FD_CLR macro (winsock2.h): removes fd, the later handles moving
    down to close the gap."""
    h, handles = _handle(fd), _set(set).fd_array
    if h in handles:
        handles.remove(h)


def FD_ISSET(fd: int, set: fd_set) -> int:
    """Mirrors the FD_ISSET macro (__WSAFDIsSet): 1 if fd is in the set, else 0."""
    return int(_handle(fd) in _set(set).fd_array)


class TIMEVAL:
    """Winsock's timeval (struct timeval): tv_sec and tv_usec, C longs."""

    __slots__ = ("tv_sec", "tv_usec")

    def __init__(self, tv_sec: int = 0, tv_usec: int = 0) -> None:
        self.tv_sec = _check_int(tv_sec, "tv_sec")
        self.tv_usec = _check_int(tv_usec, "tv_usec")

    def __repr__(self) -> str:
        return "TIMEVAL(tv_sec=%d, tv_usec=%d)" % (self.tv_sec, self.tv_usec)


timeval = TIMEVAL


def _c_set(set: Optional[fd_set], name: str) -> Any:
    """(the memory, a ps_fd_set * into it, its handle array) for a set, or NULLs."""
    if set is None:
        return None, ffi.NULL, None
    if not isinstance(set, fd_set):
        raise TypeError("%s must be an fd_set or None, not %s" % (name, type(set).__name__))
    handles = [_handle(_check_int(h, name + ".fd_array item")) for h in set.fd_array]
    # As many handles as the list holds: C's sets may be larger than 64 too
    # (a program's own FD_SETSIZE), and the core reads fd_count of them.
    raw = ffi.new("char[]", _FD_ARRAY_OFFSET + _SOCKET_SIZE * max(len(handles), FD_SETSIZE))
    cset = ffi.cast("ps_fd_set *", raw)
    cset.fd_count = len(handles)
    array = ffi.cast("ps_socket *", cset.fd_array)
    for i, h in enumerate(handles):
        array[i] = h
    return raw, cset, array


def select(nfds: int, readfds: Optional[fd_set], writefds: Optional[fd_set], exceptfds: Optional[fd_set],
           timeout: Optional[TIMEVAL]) -> int:
    """Mirrors select (winsock2.h): the number of ready handles (counted once per set
    they are ready in), 0 at the timeout, or SOCKET_ERROR: WSAEINVAL when every set
    is None or empty (select is no sleep on Windows), WSAENOTSOCK for a handle that
    is not an open socket. nfds is ignored. Each set is rewritten in place with its
    ready handles only; timeout None blocks, TIMEVAL(0, 0) returns at once. A
    non-blocking connect that fails shows in exceptfds (SO_ERROR gives its code),
    one that succeeds in writefds; a listener with a connection waiting, data, the
    peer's FIN or reset make a socket readable.

    Differences from C: the sets are fd_set objects or None, timeout a TIMEVAL or
    None (else TypeError); its fields are converted as C's long would hold them."""
    _check_int(nfds, "nfds")
    if timeout is not None and not isinstance(timeout, TIMEVAL):
        raise TypeError("timeout must be a TIMEVAL or None, not %s" % type(timeout).__name__)
    sets = [(s, _c_set(s, name)) for s, name in ((readfds, "readfds"), (writefds, "writefds"),
                                                 (exceptfds, "exceptfds"))]
    tv = ffi.NULL
    if timeout is not None:
        tv = ffi.new("ps_timeval *", (_wrap(_check_int(timeout.tv_sec, "tv_sec"), _LONG_BITS),
                                      _wrap(_check_int(timeout.tv_usec, "tv_usec"), _LONG_BITS)))
    ret = int(lib.ps_select(_wrap(nfds, 32), sets[0][1][1], sets[1][1][1], sets[2][1][1], tv))
    for s, (_, cset, array) in sets:
        if s is not None:
            s.fd_array[:] = [int(array[i]) for i in range(cset.fd_count)]
    return _trace.record("select", _blocking(ret))


class WSAPOLLFD:
    """WSAPOLLFD (struct pollfd of winsock2.h): fd, a SOCKET; events, the POLL* flags
    asked for; revents, what WSAPoll found (written in place)."""

    __slots__ = ("fd", "events", "revents")

    def __init__(self, fd: int = INVALID_SOCKET, events: int = 0, revents: int = 0) -> None:
        self.fd = _check_int(fd, "fd")
        self.events = _check_int(events, "events")
        self.revents = _check_int(revents, "revents")

    def __repr__(self) -> str:
        return "WSAPOLLFD(fd=%d, events=0x%x, revents=0x%x)" % (self.fd, self.events, self.revents)


pollfd = WSAPOLLFD


def WSAPoll(fdArray: Optional[List[WSAPOLLFD]], fds: int, timeout: int) -> int:
    """Mirrors WSAPoll (winsock2.h): the number of entries whose revents is nonzero,
    0 at the timeout, or SOCKET_ERROR: WSAEINVAL for fds 0 or an event other than
    POLLRDNORM, POLLRDBAND and POLLWRNORM (POLLIN and POLLOUT are their unions;
    POLLPRI is refused, as by Windows' provider), WSAENOTSOCK when no entry is an
    open socket. Each entry's revents is written in place: POLLNVAL for a handle
    that is not an open socket, 0 for an entry whose fd is negative (ignored, as
    INVALID_SOCKET is); POLLHUP at the peer's FIN once its data is read, POLLHUP |
    POLLERR after a reset, POLLHUP | POLLERR (| POLLWRNORM if asked) for a connect
    that failed. timeout is in ms: negative waits for ever, 0 returns at once.

    Differences from C: fdArray is a list of WSAPOLLFD (None is C's NULL:
    WSAEFAULT); fds larger than the list is WSAEFAULT (C would read past it);
    fds and timeout are converted as C's ULONG and int would hold them."""
    if fdArray is not None and (not isinstance(fdArray, list)
                                or not all(isinstance(e, WSAPOLLFD) for e in fdArray)):
        raise TypeError("fdArray must be a list of WSAPOLLFD or None")
    n = _check_int(fds, "fds") & 0xFFFFFFFF
    wait = _wrap(_check_int(timeout, "timeout"), 32)
    if fdArray is not None and n > len(fdArray):
        lib.ps_set_last_error(lib.PS_WSAEFAULT)
        return _trace.refused("WSAPoll", -1)
    entries = fdArray[:n] if fdArray is not None else []
    array = ffi.new("ps_wsapollfd[]", max(len(entries), 1)) if fdArray is not None else ffi.NULL
    for i, e in enumerate(entries):
        array[i].fd = _handle(_check_int(e.fd, "fd"))
        array[i].events = _wrap(_check_int(e.events, "events"), 16)
        array[i].revents = _wrap(_check_int(e.revents, "revents"), 16)
    ret = int(lib.ps_wsapoll(array, n, wait))
    for i, e in enumerate(entries):
        e.revents = int(array[i].revents) & 0xFFFF
    return _trace.record("WSAPoll", _blocking(ret))
