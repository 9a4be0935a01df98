"""Signals during blocking calls, handled as the stdlib handles them (PEP 475).

A signal that interrupts a blocking call of the core makes the core call
``ps_py_signal_hook`` (set here at import) in the interrupted thread. The hook
runs Python's signal handlers there and then. If they return, the core goes on
with the call, with what is left of its timeout. If one raises (Ctrl-C's
KeyboardInterrupt), the hook keeps the exception in ``pending`` and tells the
core to stop; the call returns WSAEINTR, and the layer that made it raises the
exception with ``raise_pending()`` instead of reporting the code.

Only the main thread runs handlers, so only a call in the main thread is ever
stopped, and ``pending`` is only ever set during that thread's one call in
progress: checking it right after each blocking call is enough. It names the
thread, so that another thread's call that ends meanwhile leaves it alone.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import TracebackType
from typing import NoReturn, Optional, Tuple, Type

from ._core import ffi, lib

# (the thread, the exception) of the blocking call a signal handler's
# exception stopped, until that call's layer raises it.
pending: Optional[Tuple[int, BaseException]] = None


def _run_handlers() -> None:
    # pthread_sigmask runs the handlers of the signals that arrived
    # (PyErr_CheckSignals) once it has set the mask, here to what it was.
    if sys.platform != "win32":
        signal.pthread_sigmask(signal.SIG_BLOCK, ())


def _keep(exc: BaseException) -> int:
    global pending
    pending = (threading.get_ident(), exc)
    return 1


def _hook_error(exc_type: Type[BaseException], exc: BaseException, tb: Optional[TracebackType]) -> int:
    # A handler can also run as the hook itself is entered, before its try.
    return _keep(exc)


@ffi.def_extern(onerror=_hook_error)
def ps_py_signal_hook() -> int:
    try:
        _run_handlers()
    except BaseException as exc:  # noqa: B902 - whatever a handler raises goes to the caller
        return _keep(exc)
    return 0


def stopped() -> bool:
    """Whether a handler's exception stopped this thread's call that just ended."""
    kept = pending
    return kept is not None and kept[0] == threading.get_ident()


def raise_pending() -> None:
    """Raises the exception a handler raised during this thread's call that
    just ended; returns if there is none (``pending`` is another thread's)."""
    if stopped():
        _raise_kept()


def _raise_kept() -> NoReturn:
    global pending
    assert pending is not None
    exc, pending = pending[1], None
    raise exc


if sys.platform != "win32":   # a Winsock call never sees a signal
    lib.ps_set_signal_hook(lib.ps_py_signal_hook)
