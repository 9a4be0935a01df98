"""Readiness for portsock.aio: when a socket of the core can be read or written.

On a loop with add_reader/add_writer (the selector loops of Linux and macOS,
Windows' SelectorEventLoop, uvloop) the loop itself watches the socket's
descriptor. A loop without them (Windows' default ProactorEventLoop, whose
add_reader raises NotImplementedError) gets a selector thread, as Tornado
does: one thread per loop (more on Windows past 500 waiting sockets, select's
bound), started at the first wait, that watches the
descriptors with the platform's default selector and wakes the loop with
call_soon_threadsafe. Each registration there is one-shot (portsock.aio
registers for one wait and unregisters after it); a small loopback pair of the
core wakes the thread when the registrations change. The thread ends once it
has watched nothing for _IDLE seconds, or when its loop is closed.
"""

from __future__ import annotations

import asyncio
import selectors
import sys
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from portsock import winsock as _ws
from portsock._connection import _FIONBIO, _addresses, _error
from portsock._core import ffi, lib

_Callback = Tuple[Callable[..., None], Tuple[Any, ...]]
# Seconds the selector thread goes on without registrations before it ends.
_IDLE = 0.5
# The most descriptors one selector thread watches: Windows' select takes at
# most 512 sockets (CPython's FD_SETSIZE), so more waits at once there are
# spread over more threads. Elsewhere the default selector has no such bound.
_PER_THREAD: Optional[int] = 500 if sys.platform == "win32" else None


class Readiness:
    """add(fd, writing, callback, *args): callback(*args) runs on the loop once
    fd is readable (writing: writable); remove(fd, writing) undoes it. One
    registration per fd and direction; every add is followed by its remove."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._native = True
        self._threads: List[SelectorThread] = []
        self._where: Dict[int, List[Any]] = {}   # fd -> [its thread, registrations]

    def add(self, fd: int, writing: bool, callback: Callable[..., None], *args: Any) -> None:
        if self._native:
            try:
                if writing:
                    self._loop.add_writer(fd, callback, *args)
                else:
                    self._loop.add_reader(fd, callback, *args)
                return
            except NotImplementedError:
                self._native = False
        self._thread_for(fd).set(fd, writing, (callback, args))

    def remove(self, fd: int, writing: bool) -> None:
        if self._native:
            if writing:
                self._loop.remove_writer(fd)
            else:
                self._loop.remove_reader(fd)
            return
        where = self._where.get(fd)
        if where is None:
            return
        thread = where[0]
        thread.set(fd, writing, None)
        where[1] -= 1
        if where[1] == 0:
            del self._where[fd]
            thread.assigned -= 1

    def _thread_for(self, fd: int) -> SelectorThread:
        """The selector thread that watches fd: the one it has, else the first
        with room (_PER_THREAD descriptors), else a new one."""
        where = self._where.get(fd)
        if where is None:
            for thread in self._threads:
                if _PER_THREAD is None or thread.assigned < _PER_THREAD:
                    break
            else:
                thread = SelectorThread(self._loop)
                self._threads.append(thread)
            thread.assigned += 1
            where = self._where[fd] = [thread, 0]
        where[1] += 1
        return where[0]  # type: ignore[no-any-return]

    @property
    def persistent(self) -> bool:
        """Whether a registration stays until it is removed (the loop's own
        add_reader); with a selector thread, it serves one wait."""
        return self._native

    @property
    def uses_thread(self) -> bool:
        """Whether this loop's sockets are watched by selector threads."""
        return not self._native


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Readiness] = weakref.WeakKeyDictionary()


def readiness(loop: asyncio.AbstractEventLoop) -> Readiness:
    """The one Readiness of loop."""
    global _last
    last = _last
    if last is not None and last._loop is loop:   # the common case: one loop
        return last
    found = _BY_LOOP.get(loop)
    if found is None:
        found = _BY_LOOP[loop] = Readiness(loop)
    _last = found
    return found


_last: Optional[Readiness] = None


class SelectorThread:
    """A thread watching descriptors for a loop that cannot (see the module's doc)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.assigned = 0
        """How many descriptors the loop's Readiness has given this thread."""
        self._lock = threading.Lock()
        self._wanted: Dict[int, List[Optional[_Callback]]] = {}   # fd -> [on readable, on writable]
        self._changed: Set[int] = set()
        self._running = False
        self._woken = False
        self._wake_send = _INVALID

    def set(self, fd: int, writing: bool, callback: Optional[_Callback]) -> None:
        """Registers callback for fd's readiness (None: unregisters), from the loop's thread."""
        with self._lock:
            entry = self._wanted.get(fd)
            if entry is None:
                if callback is None:
                    return
                entry = self._wanted[fd] = [None, None]
            entry[int(writing)] = callback
            if entry == [None, None]:
                del self._wanted[fd]
            self._changed.add(fd)
            if not self._running:
                self._start()
            elif not self._woken:
                self._woken = True
                lib.ps_send(self._wake_send, b"x", 1, 0)

    def _start(self) -> None:
        """Starts the thread with its selector and wake-up pair (the lock held)."""
        receive, send = _wake_pair()
        self._wake_send = send
        self._running = True
        self._woken = False
        threading.Thread(target=self._run, args=(receive, send), name="portsock.aio selector", daemon=True).start()

    def _run(self, receive: int, send: int) -> None:
        selector = selectors.DefaultSelector()
        wake_fd = int(lib.ps_native_handle(receive))
        selector.register(wake_fd, selectors.EVENT_READ)
        drain = ffi.new("char[64]")
        idle = 0.0
        try:
            while True:
                with self._lock:
                    self._apply(selector)
                    if not self._wanted:
                        if idle >= _IDLE or self._loop.is_closed():
                            self._running = False
                            return
                    else:
                        idle = 0.0
                try:
                    events = selector.select(_IDLE / 5)
                except (OSError, ValueError):
                    # A descriptor closed while it was watched (Windows' select
                    # refuses the whole set): every waiter is woken, and each
                    # one's next call reports for its own socket.
                    self._loop.call_soon_threadsafe(_run_all, self._forget_all(selector, wake_fd))
                    continue
                if not events:
                    idle += _IDLE / 5
                    if self._loop.is_closed():
                        with self._lock:
                            self._wanted.clear()
                            self._running = False
                        return
                    continue
                due = self._due(events, wake_fd, receive, drain)
                if due:
                    self._loop.call_soon_threadsafe(_run_all, due)
        except RuntimeError:   # the loop was closed with sockets still waiting
            with self._lock:
                self._wanted.clear()
                self._running = False
        finally:
            selector.close()
            lib.ps_closesocket(receive)
            lib.ps_closesocket(send)

    def _apply(self, selector: selectors.BaseSelector) -> None:
        """Brings the selector in line with the registrations that changed (the lock held)."""
        for fd in self._changed:
            try:
                selector.unregister(fd)
            except (KeyError, ValueError):
                pass
            entry = self._wanted.get(fd)
            if entry is None:
                continue
            events = (selectors.EVENT_READ if entry[0] else 0) | (selectors.EVENT_WRITE if entry[1] else 0)
            try:
                selector.register(fd, events)
            except (OSError, ValueError):
                # A descriptor the selector refuses (closed meanwhile): the
                # waiter is woken and its next call reports what is wrong.
                due = [cb for cb in entry if cb is not None]
                del self._wanted[fd]
                self._loop.call_soon_threadsafe(_run_all, due)
        self._changed.clear()

    def _forget_all(self, selector: selectors.BaseSelector, wake_fd: int) -> List[_Callback]:
        """Every registration, removed from the selector and returned."""
        with self._lock:
            due = [cb for entry in self._wanted.values() for cb in entry if cb is not None]
            for fd in self._wanted:
                try:
                    selector.unregister(fd)
                except (KeyError, ValueError):
                    pass
            self._wanted.clear()
            self._changed.clear()
        return due

    def _due(self, events: List[Tuple[selectors.SelectorKey, int]], wake_fd: int, receive: int,
             drain: Any) -> List[_Callback]:
        """The callbacks of the descriptors that are ready, each registration
        used up (one-shot)."""
        due: List[_Callback] = []
        with self._lock:
            for key, mask in events:
                fd = key.fd
                if fd == wake_fd:
                    while lib.ps_recv(receive, drain, 64, 0) > 0:
                        pass
                    self._woken = False
                    continue
                entry = self._wanted.get(fd)
                if entry is None:
                    continue
                for side, bit in ((0, selectors.EVENT_READ), (1, selectors.EVENT_WRITE)):
                    callback = entry[side]
                    if mask & bit and callback is not None:
                        due.append(callback)
                        entry[side] = None
                if entry == [None, None]:
                    del self._wanted[fd]
                self._changed.add(fd)
        return due


def _run_all(due: List[_Callback]) -> None:
    for callback, args in due:
        callback(*args)


_INVALID: int = lib.PS_INVALID_SOCKET


def _wake_pair() -> Tuple[int, int]:
    """Two connected loopback sockets of the core, (receiving end, sending
    end), the receiving end non-blocking: how the loop wakes the thread."""
    _, socktype, protocol, addr, addrlen = _addresses("127.0.0.1", 0, _ws.AF_INET, passive=True)[0]
    handles = [lib.ps_socket_open(_ws.AF_INET, socktype, protocol) for _ in range(2)]
    listener, send = handles
    receive = _INVALID
    try:
        if _INVALID in handles:
            raise _error("socket")
        bound = ffi.new("char[]", addrlen)
        size = ffi.new("int *", addrlen)
        if (lib.ps_bind(listener, addr, addrlen) != 0 or lib.ps_listen(listener, 1) != 0
                or lib.ps_getsockname(listener, bound, size) != 0 or lib.ps_connect(send, bound, size[0]) != 0):
            raise _error("connect")
        receive = lib.ps_accept(listener, ffi.NULL, ffi.NULL)
        if receive == _INVALID or lib.ps_ioctlsocket(receive, _FIONBIO, ffi.new("unsigned long *", 1)) != 0:
            raise _error("accept")
    except BaseException:
        for h in (send, receive):
            if h != _INVALID:
                lib.ps_closesocket(h)
        raise
    finally:
        if listener != _INVALID:
            lib.ps_closesocket(listener)
    return int(receive), int(send)
