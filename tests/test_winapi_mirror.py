"""The mirror's <windows.h> calls (src/portsock/_winapi.py): GetLastError and
SetLastError share WSAGetLastError's value, FormatMessageA gives the system's
message of a code (the core's table on POSIX, kernel32's on Windows), in a
buffer or allocated into an LPSTR for LocalFree, with Windows' failures."""

from __future__ import annotations

import sys

import pytest

import portsock
from portsock import winsock as ws
from portsock._core import ffi, lib

from conftest import under_wine
from parity.wine_differences import WINE_MESSAGE_DIFFERENCES

SYSTEM = ws.FORMAT_MESSAGE_FROM_SYSTEM | ws.FORMAT_MESSAGE_IGNORE_INSERTS
ALLOCATE = SYSTEM | ws.FORMAT_MESSAGE_ALLOCATE_BUFFER
NEUTRAL = ws.MAKELANGID(ws.LANG_NEUTRAL, ws.SUBLANG_DEFAULT)


def _winsock_codes() -> list:
    return [code for code in range(10000, 11032) if lib.ps_wsa_message(code) != ffi.NULL]


def _allocated(code: int, flags: int = ALLOCATE, language: int = NEUTRAL) -> tuple:
    text = ws.LPSTR()
    n = ws.FormatMessageA(flags, None, code, language, text, 0, None)
    return n, text.value, ws.GetLastError()


@pytest.mark.rule("WIN-2")
@pytest.mark.skipif(under_wine(), reason="Wine 8's kernel32 has texts of its own "
                    "(test_wine_texts_are_the_declared_ones checks the declared ones)")
def test_every_winsock_code_gives_windows_text() -> None:
    codes = _winsock_codes()
    assert len(codes) > 50
    for code in codes:
        expected = ffi.string(lib.ps_wsa_message(code))
        assert expected.decode() == portsock.WinsockError(code).strerror   # the one table
        n, text, _ = _allocated(code)
        assert (n, text) == (len(expected) + 2, expected + b"\r\n"), code


@pytest.mark.skipif(not under_wine(), reason="checks Wine 8's own texts, as the one table declares them")
def test_wine_texts_are_the_declared_ones() -> None:
    for m in WINE_MESSAGE_DIFFERENCES:
        n, text, err = _allocated(m.code)
        if m.wine is None:
            assert (n, text, err) == (0, None, ws.ERROR_MR_MID_NOT_FOUND), m
        else:
            assert text == m.wine.encode() + b"\r\n" and n == len(text), m


@pytest.mark.rule("WIN-2")
def test_a_buffer_gets_the_text_and_its_nul() -> None:
    n, expected, _ = _allocated(ws.WSAECONNRESET)
    buf = bytearray(b"\xff" * 200)
    assert ws.FormatMessageA(SYSTEM, None, ws.WSAECONNRESET, NEUTRAL, buf, len(buf), None) == n
    assert bytes(buf[:n + 1]) == expected + b"\0"
    assert ws.FormatMessageA(SYSTEM, None, ws.WSAECONNRESET, NEUTRAL, buf, n + 1, None) == n   # just room


def test_a_buffer_of_up_to_64k_is_taken() -> None:
    n, expected, _ = _allocated(ws.WSAECONNRESET)
    buf = bytearray(40000)
    assert ws.FormatMessageA(SYSTEM, None, ws.WSAECONNRESET, NEUTRAL, buf, len(buf), None) == n > 0
    assert bytes(buf[:n]) == expected


@pytest.mark.rule("WIN-2")
def test_failures_set_the_last_error() -> None:
    # A code without a message, a buffer without room for the NUL.
    assert _allocated(10099) == (0, None, ws.ERROR_MR_MID_NOT_FOUND)
    n, _, _ = _allocated(ws.WSAECONNRESET)
    buf = bytearray(200)
    assert ws.FormatMessageA(SYSTEM, None, ws.WSAECONNRESET, NEUTRAL, buf, n, None) == 0
    assert ws.GetLastError() == ws.ERROR_INSUFFICIENT_BUFFER
    # A message with inserts and nothing to fill them with.
    ws.SetLastError(0)
    assert ws.FormatMessageA(ws.FORMAT_MESSAGE_FROM_SYSTEM, None, ws.ERROR_MR_MID_NOT_FOUND, NEUTRAL, buf,
                             len(buf), None) == 0
    assert ws.GetLastError() == ws.ERROR_INVALID_PARAMETER
    assert b"%1" in _allocated(ws.ERROR_MR_MID_NOT_FOUND)[1]   # with IGNORE_INSERTS: as it stands
    # A string source cannot be given: refused, never read.
    assert ws.FormatMessageA(ws.FORMAT_MESSAGE_FROM_STRING, None, 0, 0, buf, len(buf), None) == 0
    assert ws.GetLastError() == ws.ERROR_INVALID_PARAMETER


@pytest.mark.skipif(sys.platform == "win32", reason="the core's table on POSIX: English alone; on Windows "
                    "the languages installed decide")
def test_a_language_without_messages() -> None:
    assert _allocated(ws.WSAECONNRESET, language=ws.MAKELANGID(ws.LANG_ENGLISH, ws.SUBLANG_ENGLISH_US))[0] > 0
    assert _allocated(ws.WSAECONNRESET, language=ws.MAKELANGID(0x07, 0x01)) == (0, None,
                                                                               ws.ERROR_MUI_FILE_NOT_FOUND)


def test_arguments_the_mirror_cannot_give_c() -> None:
    buf = bytearray(64)
    # nSize past the buffer: C would write past it.
    assert ws.FormatMessageA(SYSTEM, None, ws.WSAECONNRESET, NEUTRAL, buf, 65, None) == 0
    assert ws.GetLastError() == ws.ERROR_NOACCESS
    assert buf == bytearray(64)
    assert ws.FormatMessageA(SYSTEM, None, 2 ** 40, NEUTRAL, buf, 64, None) == 0
    assert ws.GetLastError() == ws.ERROR_INVALID_PARAMETER
    with pytest.raises(TypeError, match="lpSource"):
        ws.FormatMessageA(SYSTEM, "text", 0, NEUTRAL, buf, 64, None)   # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Arguments"):
        ws.FormatMessageA(SYSTEM, None, 0, NEUTRAL, buf, 64, [1])   # type: ignore[arg-type]
    with pytest.raises(TypeError, match="LPSTR"):
        ws.FormatMessageA(ALLOCATE, None, 0, NEUTRAL, buf, 0, None)
    with pytest.raises(TypeError, match="writable"):
        ws.FormatMessageA(SYSTEM, None, 0, NEUTRAL, b"read-only", 9, None)
    with pytest.raises(TypeError, match="LPSTR"):
        ws.LocalFree(buf)   # type: ignore[arg-type]


def test_localfree_releases_the_text() -> None:
    text = ws.LPSTR()
    assert ws.FormatMessageA(ALLOCATE, None, ws.WSAEINTR, NEUTRAL, text, 0, None) > 0
    assert text.value and "LPSTR(b'" in repr(text)
    assert ws.LocalFree(text) is None and text.value is None
    assert ws.LocalFree(None) is None


@pytest.mark.rule("WIN-1")
def test_one_last_error() -> None:
    ws.WSASetLastError(ws.WSAECONNRESET)
    assert ws.GetLastError() == ws.WSAECONNRESET
    ws.SetLastError(ws.ERROR_INSUFFICIENT_BUFFER)
    assert ws.WSAGetLastError() == ws.ERROR_INSUFFICIENT_BUFFER
    ws.SetLastError(0xFFFFFFFF)   # a DWORD: WSAGetLastError's int reads it as -1
    assert (ws.GetLastError(), ws.WSAGetLastError()) == (0xFFFFFFFF, -1)
    ws.SetLastError(2 ** 40)
    assert ws.GetLastError() == ws.ERROR_INVALID_PARAMETER
    ws.SetLastError(ws.NO_ERROR)
    assert ws.GetLastError() == ws.ERROR_SUCCESS == ws.NO_ERROR == 0


def test_makelangid() -> None:
    assert ws.MAKELANGID(ws.LANG_NEUTRAL, ws.SUBLANG_DEFAULT) == 0x0400
    assert ws.MAKELANGID(ws.LANG_ENGLISH, ws.SUBLANG_ENGLISH_US) == 0x0409
