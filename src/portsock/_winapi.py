"""The <windows.h> calls Winsock programs make around their sockets, in the
mirror (portsock.winsock): the last error as GetLastError reads it, the
system's message for a code (FormatMessageA, LocalFree) and MAKELANGID, so
that a program logging its errors the Windows way ports line for line.

FormatMessageA goes to the core (ps_format_message): kernel32's own on
Windows, the shim's on POSIX, whose texts for Winsock codes are those of
csrc/errmap.c, the table WinsockError.strerror reads too.
"""

from __future__ import annotations

from typing import Any, Optional

from portsock._core import ffi, lib
from portsock.winsock import _DWORD_MAX, _c_dword, _c_int, _check_int, _error, _output_buffer

__all__ = [
    "NO_ERROR", "ERROR_SUCCESS", "ERROR_INVALID_HANDLE", "ERROR_NOT_ENOUGH_MEMORY", "ERROR_INVALID_PARAMETER",
    "ERROR_INSUFFICIENT_BUFFER", "ERROR_MR_MID_NOT_FOUND", "ERROR_NOACCESS", "ERROR_MUI_FILE_NOT_FOUND",
    "FORMAT_MESSAGE_ALLOCATE_BUFFER", "FORMAT_MESSAGE_IGNORE_INSERTS", "FORMAT_MESSAGE_FROM_STRING",
    "FORMAT_MESSAGE_FROM_HMODULE", "FORMAT_MESSAGE_FROM_SYSTEM", "FORMAT_MESSAGE_ARGUMENT_ARRAY",
    "FORMAT_MESSAGE_MAX_WIDTH_MASK", "LANG_NEUTRAL", "LANG_INVARIANT", "LANG_ENGLISH", "SUBLANG_NEUTRAL",
    "SUBLANG_DEFAULT", "SUBLANG_SYS_DEFAULT", "SUBLANG_ENGLISH_US", "SUBLANG_ENGLISH_UK",
    "MAKELANGID", "GetLastError", "SetLastError", "LPSTR", "FormatMessageA", "LocalFree",
]

NO_ERROR = 0
ERROR_SUCCESS = 0
ERROR_INVALID_HANDLE = 6
ERROR_NOT_ENOUGH_MEMORY = 8
ERROR_INVALID_PARAMETER = 87
ERROR_INSUFFICIENT_BUFFER = 122
ERROR_MR_MID_NOT_FOUND = 317
ERROR_NOACCESS = 998
ERROR_MUI_FILE_NOT_FOUND = 15100

FORMAT_MESSAGE_ALLOCATE_BUFFER = 0x00000100
FORMAT_MESSAGE_IGNORE_INSERTS = 0x00000200
FORMAT_MESSAGE_FROM_STRING = 0x00000400
FORMAT_MESSAGE_FROM_HMODULE = 0x00000800
FORMAT_MESSAGE_FROM_SYSTEM = 0x00001000
FORMAT_MESSAGE_ARGUMENT_ARRAY = 0x00002000
FORMAT_MESSAGE_MAX_WIDTH_MASK = 0x000000FF

LANG_NEUTRAL = 0x00
LANG_INVARIANT = 0x7F
LANG_ENGLISH = 0x09
SUBLANG_NEUTRAL = 0x00
SUBLANG_DEFAULT = 0x01
SUBLANG_SYS_DEFAULT = 0x02
SUBLANG_ENGLISH_US = 0x01
SUBLANG_ENGLISH_UK = 0x02

# The buffer an ALLOCATE_BUFFER call is formatted into: the largest nSize
# every kernel32 takes. Windows documents 64K bytes; Wine 8 refuses 32 KiB
# and more (ERROR_INVALID_PARAMETER), a difference in the one table
# (test_winapi_mirror.py::test_a_buffer_of_up_to_64k_is_taken). A system
# message is a line or two.
_LARGEST_MESSAGE = 32 * 1024 - 1


def MAKELANGID(p: int, s: int) -> int:
    """MAKELANGID (winnt.h): the language id of a primary language and a sublanguage."""
    return ((_check_int(s, "s") & 0xFFFF) << 10) | (_check_int(p, "p") & 0xFFFF)


def GetLastError() -> int:
    """Mirrors GetLastError (windows.h): this thread's last error as a DWORD,
    the one value WSAGetLastError reads, as on Windows."""
    return int(lib.ps_last_error()) & _DWORD_MAX


def SetLastError(dwErrCode: int) -> None:
    """Mirrors SetLastError (windows.h): sets the value GetLastError and
    WSAGetLastError read. A DWORD wraps to C's int as Windows stores it; a
    value no DWORD holds is ERROR_INVALID_PARAMETER instead."""
    code = _c_int(dwErrCode, "dwErrCode")
    lib.ps_set_last_error(code if code is not None else ERROR_INVALID_PARAMETER)


class LPSTR:
    """The LPSTR that FORMAT_MESSAGE_ALLOCATE_BUFFER fills (C's `(LPSTR)&text`):
    value is the text FormatMessageA allocated, as bytes without the NUL, or
    None (C's NULL) before, after a failure and after LocalFree."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Optional[bytes] = None

    def __repr__(self) -> str:
        return "LPSTR(%r)" % (self.value,)


def FormatMessageA(dwFlags: int, lpSource: None, dwMessageId: int, dwLanguageId: int, lpBuffer: Any,
                   nSize: int, Arguments: None) -> int:
    """Mirrors FormatMessageA (windows.h) for the system's messages
    (FORMAT_MESSAGE_FROM_SYSTEM, with FORMAT_MESSAGE_IGNORE_INSERTS, a maximum
    width, and FORMAT_MESSAGE_ALLOCATE_BUFFER): the number of characters
    written, the NUL not counted, or 0 with GetLastError() set:
    ERROR_MR_MID_NOT_FOUND for a code the system has no message for,
    ERROR_INSUFFICIENT_BUFFER when nSize leaves no room for the text and its
    NUL, ERROR_INVALID_PARAMETER for a message with inserts and no
    FORMAT_MESSAGE_IGNORE_INSERTS, or for a source other than the system's,
    ERROR_MUI_FILE_NOT_FOUND for a language it has no messages in. A message
    ends with "\\r\\n", as Windows' message table has it.

    Differences from C: lpBuffer is a writable buffer (a bytearray) of at
    least nSize bytes, filled in place with the text and its NUL; with
    FORMAT_MESSAGE_ALLOCATE_BUFFER it is an LPSTR, whose value becomes the
    text (bytes), and LocalFree(it) releases it. lpSource and Arguments must
    be None (only the system's messages, and no inserts, are formatted);
    an nSize beyond lpBuffer is ERROR_NOACCESS (C would write past it)."""
    if lpSource is not None:
        raise TypeError("lpSource must be None (the system's messages only), not %s" % type(lpSource).__name__)
    if Arguments is not None:
        raise TypeError("Arguments must be None (no message inserts), not %s" % type(Arguments).__name__)
    flags, message_id = _c_dword(dwFlags, "dwFlags"), _c_dword(dwMessageId, "dwMessageId")
    language_id, size = _c_dword(dwLanguageId, "dwLanguageId"), _c_dword(nSize, "nSize")
    allocate = flags is not None and bool(flags & FORMAT_MESSAGE_ALLOCATE_BUFFER)
    if allocate:
        if not isinstance(lpBuffer, LPSTR):
            raise TypeError("with FORMAT_MESSAGE_ALLOCATE_BUFFER lpBuffer must be an LPSTR, not %s"
                            % type(lpBuffer).__name__)
        lpBuffer.value = None   # as Windows leaves the pointer on failure
    elif lpBuffer is None:
        return _error(ERROR_INVALID_PARAMETER, 0)
    if flags is None or message_id is None or language_id is None or size is None:
        return _error(ERROR_INVALID_PARAMETER, 0)
    if allocate:
        out = ffi.new("char[]", _LARGEST_MESSAGE)
        n = int(lib.ps_format_message(flags & ~FORMAT_MESSAGE_ALLOCATE_BUFFER, message_id, language_id,
                                      out, _LARGEST_MESSAGE))
        if n:
            lpBuffer.value = ffi.string(out, n)
        return n
    cbuf = _output_buffer(lpBuffer, "lpBuffer")
    if size > len(cbuf):
        return _error(ERROR_NOACCESS, 0)
    return int(lib.ps_format_message(flags, message_id, language_id, cbuf, size))


def LocalFree(hMem: Optional[LPSTR]) -> None:
    """Mirrors LocalFree (windows.h) for the text FormatMessageA allocated:
    releases it (the LPSTR's value becomes None) and returns None, C's NULL
    for success. None is freed as C's NULL is: nothing happens."""
    if hMem is not None and not isinstance(hMem, LPSTR):
        raise TypeError("hMem must be an LPSTR or None, not %s" % type(hMem).__name__)
    if hMem is not None:
        hMem.value = None
    return None
