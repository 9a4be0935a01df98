"""Recording mirror calls as trace lines: {"call": ..., "ret": ..., "err": ...}.

The same lines come from the C reference programs (tests/native), so a scenario
can be compared between the Python mirror, the C core and real Winsock. The
core writes them too, for every program on it (csrc/trace.c: PORTSOCK_TRACE,
or trace_to() below); a call the mirror answers itself, without reaching the
core (an argument C could not be given), is handed to the core's trace by
refused(), so that the core's trace of a mirror program has the lines
trace() records.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar, Union

from portsock._core import lib

# Calls whose return value is a SOCKET (normalised in traces).
HANDLE_CALLS = frozenset(("socket", "accept", "WSASocketA", "WSASocketW"))
# Calls that return their error code instead of SOCKET_ERROR.
CODE_CALLS = frozenset(("WSAStartup", "getaddrinfo", "getnameinfo"))
# Calls that return a pointer to a structure (NULL on failure): a trace shows
# "ret" as the structure's Winsock name, or "NULL" (see record_pointer).
POINTER_CALLS = {"gethostbyname": "HOSTENT", "gethostbyaddr": "HOSTENT",
                 "getservbyname": "SERVENT", "getservbyport": "SERVENT"}

_INVALID_SOCKET = lib.PS_INVALID_SOCKET
# The active recorders. portsock.winsock imports this list and tests it inline
# on its hot paths, so it is only ever mutated in place, never rebound.
_recorders: List[Callable[[str, Any, int], None]] = []
_lock = threading.Lock()


def failed(call: str, ret: int) -> bool:
    """Whether a call's return value says it failed."""
    if call in CODE_CALLS:
        return ret != 0
    if call in HANDLE_CALLS:
        return ret == _INVALID_SOCKET
    return ret == -1


def _err(call: str, ret: int) -> int:
    if call in CODE_CALLS:
        return ret
    return int(lib.ps_last_error()) if failed(call, ret) else 0


def record(call: str, ret: int) -> int:
    """Called by every mirror function with its return value; returns it."""
    if _recorders:
        ret_int = int(ret)
        err = _err(call, ret_int)
        for recorder in list(_recorders):
            recorder(call, ret_int, err)
    return ret


_T = TypeVar("_T")


def record_pointer(call: str, result: Optional[_T]) -> Optional[_T]:
    """Called by the mirror functions of POINTER_CALLS with what they return
    (None for C's NULL); returns it. The line's "ret" is POINTER_CALLS[call]
    or "NULL", its "err" WSAGetLastError() after a NULL, else 0."""
    if _recorders:
        shown, err = (POINTER_CALLS[call], 0) if result is not None else ("NULL", int(lib.ps_last_error()))
        for recorder in list(_recorders):
            recorder(call, shown, err)
    return result


def record_text(call: str, text: str) -> str:
    """Called by a mirror function that returns text and cannot fail
    (inet_ntoa); the line's "ret" is the text itself."""
    if _recorders:
        for recorder in list(_recorders):
            recorder(call, text, 0)
    return text


def refused(call: str, ret: int) -> int:
    """record() for a call the mirror answered itself (the core never saw it):
    also written to the core's trace, if one is on. Returns ret."""
    ret_int = int(ret)
    lib.ps_trace_call(call.encode("ascii"), ret_int, _err(call, ret_int))
    return record(call, ret)


def refused_pointer(call: str) -> None:
    """refused() for a call of POINTER_CALLS that the mirror answered with
    None (C's NULL) itself, after setting the last error. Returns None."""
    lib.ps_trace_null(call.encode("ascii"), int(lib.ps_last_error()))
    return record_pointer(call, None)


class Trace:
    """The calls recorded by trace(): entries of {"call", "ret", "err"}.

    ``err`` is WSAGetLastError() after a failed call and 0 after a successful
    one (Winsock leaves the last error unspecified on success). SOCKET values
    are normalised to "S1", "S2", ... in order of appearance (a new number for
    every socket returned, as the parity driver and the core's trace number
    them, even where Windows hands out a closed socket's value again),
    INVALID_SOCKET to "INVALID_SOCKET", so traces from different runs and
    platforms compare equal."""

    def __init__(self) -> None:
        self.entries: List[Dict[str, Any]] = []
        self._sockets = 0
        self._thread: Optional[int] = None

    def _record(self, call: str, ret: Any, err: int) -> None:
        if self._thread is not None and threading.get_ident() != self._thread:
            return
        shown: Any = ret
        if call in HANDLE_CALLS:
            if ret == _INVALID_SOCKET:
                shown = "INVALID_SOCKET"
            else:
                self._sockets += 1
                shown = "S%d" % self._sockets
        self.entries.append({"call": call, "ret": shown, "err": err})

    def lines(self) -> List[str]:
        """The entries as JSON lines."""
        return [json.dumps(e, separators=(", ", ": ")) for e in self.entries]

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return "Trace(%d calls)" % len(self.entries)


class trace:
    """Records the mirror calls made inside a with block:

        with portsock.winsock.trace() as t:
            ...
        print("\\n".join(t.lines()))

    By default only calls from the thread that entered the block are recorded;
    all_threads=True records every thread's calls. ``echo`` is an optional
    callable given each JSON line as it is recorded."""

    def __init__(self, all_threads: bool = False, echo: Optional[Callable[[str], None]] = None) -> None:
        self.trace = Trace()
        self._all_threads = all_threads
        self._echo = echo

    def _recorder(self, call: str, ret: Any, err: int) -> None:
        before = len(self.trace.entries)
        self.trace._record(call, ret, err)
        if self._echo is not None and len(self.trace.entries) > before:
            self._echo(self.trace.lines()[-1])

    def __enter__(self) -> Trace:
        if not self._all_threads:
            self.trace._thread = threading.get_ident()
        with _lock:
            _recorders.append(self._recorder)
        return self.trace

    def __exit__(self, *exc: Any) -> None:
        with _lock:
            _recorders.remove(self._recorder)


class trace_to:
    """Writes the core's trace, one JSON line per Winsock call of this process
    (every thread, every layer: the mirror, Connection, aio), to path ("-":
    stderr), appending; the same as PORTSOCK_TRACE=path in the environment:

        with portsock.trace_to("calls.jsonl"):
            ...

    It starts at once (usable without a with block: close() ends it) and
    replaces any trace already on, numbering sockets from S1 again. Raises
    OSError if the file cannot be opened (the trace is then off)."""

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = os.fspath(path)
        if not isinstance(self.path, str):
            raise TypeError("path must be a str or os.PathLike of str, not %s" % type(self.path).__name__)
        if "\0" in self.path:
            raise ValueError("embedded null byte in the trace's path")
        code = int(lib.ps_trace_open(os.fsencode(self.path)))
        if code != 0:
            raise OSError(code, os.strerror(code), self.path)

    def close(self) -> None:
        """Ends the trace (whichever one is on)."""
        lib.ps_trace_close()

    def __enter__(self) -> trace_to:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "trace_to(%r)" % self.path
