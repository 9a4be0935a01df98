"""WinsockError: an OSError carrying the Winsock code, and also the builtin
exception that matches it (ConnectionRefusedError for WSAECONNREFUSED, ...).

The code → errno table lives once, in C (csrc/errmap.c); the errno → builtin
class mapping is CPython's own (OSError(errno, ...) picks the subclass)."""

from __future__ import annotations

import errno as _errno
from typing import Any, Dict, Optional, Type

from portsock._args import INT_MAX, INT_MIN
from portsock._core import ffi, lib


class WinsockError(OSError):
    """A failed Winsock call.

    ``winerror`` is the Winsock code (on every OS), ``errno`` the closest POSIX
    errno (None if there is none), ``strerror`` Winsock's message and
    ``function`` the Winsock call that failed. Each raised instance is also the
    builtin exception that matches the code: ``except ConnectionResetError``
    catches WSAECONNRESET."""

    def __init__(self, winerror: int, function: Optional[str] = None, message: Optional[str] = None) -> None:
        winerror = _code(winerror)
        super().__init__(errno_for(winerror), message or describe(winerror))
        self._winerror = winerror
        self.function = function

    @property
    def winerror(self) -> int:  # type: ignore[override,unused-ignore]  # OSError.winerror exists on Windows only
        return self._winerror

    @property
    def name(self) -> str:
        """The code's symbolic name, such as "WSAECONNRESET"."""
        return code_name(self._winerror)

    def __str__(self) -> str:
        where = "%s: " % self.function if self.function else ""
        return "%s[%s %d] %s" % (where, self.name, self._winerror, self.strerror)

    def __repr__(self) -> str:
        return "%s(winerror=%d, name=%r, function=%r, strerror=%r)" % (
            type(self).__name__, self._winerror, self.name, self.function, self.strerror)

    def __reduce__(self) -> Any:
        return (error_for, (self._winerror, self.function, self.strerror))


class ReplyTooLarge(WinsockError):
    """The peer sent more than ``max_size`` bytes before its FIN
    (Connection.disconnect, recv_until_fin): winerror WSAEMSGSIZE (10040).
    ``partial`` holds the first max_size bytes received."""

    def __init__(self, partial: bytes = b"", max_size: int = 0, function: Optional[str] = "disconnect") -> None:
        super().__init__(lib.PS_WSAEMSGSIZE, function,
                         "the peer sent more than max_size=%d bytes before its FIN" % max_size)
        self.partial = partial
        self.max_size = max_size

    def __reduce__(self) -> Any:
        return (type(self), (self.partial, self.max_size, self.function))


def _code(code: object) -> int:
    """A Winsock code as the core takes it (a C int): TypeError for a non-int,
    ValueError for one no C int holds."""
    if not isinstance(code, int):
        raise TypeError("a Winsock error code must be an int, not %s" % type(code).__name__)
    if not INT_MIN <= code <= INT_MAX:
        raise ValueError("a Winsock error code must fit a C int, not %d" % code)
    return int(code)


def code_name(code: int) -> str:
    name = lib.ps_wsa_name(code)
    return ffi.string(name).decode("ascii") if name != ffi.NULL else "WSA error"


def describe(code: int) -> str:
    """Winsock's message for a code."""
    message = lib.ps_wsa_message(code)
    if message == ffi.NULL:
        return "Unknown Winsock error %d" % code
    return ffi.string(message).decode("ascii")


def errno_for(code: int) -> Optional[int]:
    """The closest errno for a Winsock code, as this Python numbers it (the
    core names it; CPython on Windows gives ECONNRESET and its kin the WSA
    values, not the C library's), or None."""
    name = lib.ps_errno_name_from_wsa(code)
    if name == ffi.NULL:
        return None
    value = getattr(_errno, ffi.string(name).decode("ascii"), None)
    return value if isinstance(value, int) else None


_classes: Dict[Type[OSError], Type[WinsockError]] = {}


def error_class(code: int) -> Type[WinsockError]:
    """The WinsockError subclass raised for a code."""
    err = errno_for(_code(code))
    builtin = type(OSError(err, "")) if err else OSError
    if builtin is OSError:
        return WinsockError
    cls = _classes.get(builtin)
    if cls is None:
        cls = type("Winsock" + builtin.__name__, (WinsockError, builtin),
                   {"__module__": __name__, "__doc__": "A WinsockError that is also a %s." % builtin.__name__})
        _classes[builtin] = cls
    return cls


def error_for(code: int, function: Optional[str] = None, message: Optional[str] = None) -> WinsockError:
    """The exception for a Winsock code, of the class that matches it."""
    return error_class(code)(code, function, message)


def last_error(function: str) -> WinsockError:
    """The exception for this thread's WSAGetLastError() after `function` failed."""
    return error_for(int(lib.ps_last_error()), function)
