"""What both Python layers need of the core besides its calls: arguments
converted to the C types the ps_* functions take, and the one question about
the core's state that both ask (is the socket layer started?).

portsock.winsock (the mirror) and portsock._connection (the Pythonic layer)
import these; neither reaches into the other's private helpers."""

from __future__ import annotations

from typing import Any, Optional

from portsock._core import ffi, lib

INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1
LONG_BITS = ffi.sizeof("long") * 8
LONG_MIN = -(1 << (LONG_BITS - 1))
LONG_MAX = (1 << (LONG_BITS - 1)) - 1
SOCKET_MAX = (1 << (ffi.sizeof("ps_socket") * 8)) - 1
DWORD_MAX = 0xFFFFFFFF


def check_int(value: object, name: str) -> int:
    """value, which must be an int (bool is one, as in the stdlib); else TypeError."""
    if not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (name, type(value).__name__))
    return value


def c_int(value: object, name: str) -> Optional[int]:
    """The int C receives for an `int` parameter: values up to 0xffffffff wrap
    as they do in C (0xdeadbeef is negative), larger ones are None."""
    value = check_int(value, name)
    if INT_MIN <= value <= INT_MAX:
        return value
    if INT_MAX < value <= 0xFFFFFFFF:
        return value - (1 << 32)
    return None


def c_dword(value: object, name: str) -> Optional[int]:
    """The value C receives for a DWORD parameter: negative ints down to
    INT_MIN wrap as C's conversion does; None for a value no 32-bit integer
    holds."""
    value = check_int(value, name)
    if INT_MIN <= value <= DWORD_MAX:
        return value & DWORD_MAX
    return None


def c_long(value: object, name: str) -> Optional[int]:
    """The value C receives for a `long` parameter (wrapping as c_int does), or None."""
    value = check_int(value, name)
    if LONG_MIN <= value <= LONG_MAX:
        return value
    if LONG_MAX < value < (1 << LONG_BITS):
        return value - (1 << LONG_BITS)
    return None


def handle_code(h: int) -> int:
    """WSANOTINITIALISED or WSAENOTSOCK when the socket layer or the handle is
    wrong, else 0: what C reports before it looks at any other argument."""
    # ps_handle_status judges the handle as every call does, asks nothing
    # else, and is no Winsock call: it leaves no line in the core's trace.
    return int(lib.ps_handle_status(h))


def not_started() -> bool:
    """Whether the socket layer is stopped (no WSAStartup reference is held)."""
    return handle_code(lib.PS_INVALID_SOCKET) == lib.PS_WSANOTINITIALISED


def input_buffer(buf: Any, name: str) -> Any:
    """A C pointer to the contents of a contiguous bytes-like object (no copy);
    TypeError for str and anything else."""
    if isinstance(buf, str):
        raise TypeError("%s must be a bytes-like object, not str" % name)
    try:
        return ffi.from_buffer(buf)
    except (TypeError, BufferError):
        # BufferError: a non-contiguous view, which no C pointer can describe.
        raise TypeError("%s must be a contiguous bytes-like object, not %s"
                        % (name, type(buf).__name__)) from None
