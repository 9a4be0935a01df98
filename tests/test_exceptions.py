"""The exception hierarchy, pinned: every WinsockError is an OSError with the
Winsock code, and also the builtin exception that matches the code."""

from __future__ import annotations

import errno
import pickle

import pytest

import portsock
from portsock import winsock as ws

BUILTIN_FOR_CODE = [
    (ws.WSAECONNREFUSED, ConnectionRefusedError, errno.ECONNREFUSED),
    (ws.WSAECONNRESET, ConnectionResetError, errno.ECONNRESET),
    (ws.WSAECONNABORTED, ConnectionAbortedError, errno.ECONNABORTED),
    (ws.WSAETIMEDOUT, TimeoutError, errno.ETIMEDOUT),
    (ws.WSAESHUTDOWN, BrokenPipeError, errno.ESHUTDOWN),
    (ws.WSAEWOULDBLOCK, BlockingIOError, errno.EWOULDBLOCK),
    (ws.WSAEACCES, PermissionError, errno.EACCES),
    (ws.WSAEINTR, InterruptedError, errno.EINTR),
]

PLAIN_CODES = [
    (ws.WSAENOTSOCK, errno.ENOTSOCK),
    (ws.WSAENOTCONN, errno.ENOTCONN),
    (ws.WSAEINVAL, errno.EINVAL),
    (ws.WSAEFAULT, errno.EFAULT),
    (ws.WSAEMFILE, errno.EMFILE),
    (ws.WSAEADDRINUSE, errno.EADDRINUSE),
    (ws.WSAEHOSTUNREACH, errno.EHOSTUNREACH),
    (ws.WSAENETUNREACH, errno.ENETUNREACH),
    (ws.WSAEISCONN, errno.EISCONN),
    (ws.WSANOTINITIALISED, None),
    (ws.WSAHOST_NOT_FOUND, None),
    (ws.WSATYPE_NOT_FOUND, None),
]


def test_winsock_error_is_an_oserror():
    assert issubclass(portsock.WinsockError, OSError)


@pytest.mark.parametrize("code, builtin, err", BUILTIN_FOR_CODE)
def test_each_code_is_also_its_builtin(code, builtin, err):
    e = portsock.error_for(code, "recv")
    assert isinstance(e, portsock.WinsockError)
    assert isinstance(e, builtin)
    assert isinstance(e, OSError)
    assert e.winerror == code
    assert e.errno == err
    assert e.function == "recv"
    assert e.strerror
    assert type(e).__mro__.index(portsock.WinsockError) < type(e).__mro__.index(builtin)
    assert portsock.error_class(code) is type(e)


@pytest.mark.parametrize("code, err", PLAIN_CODES)
def test_codes_without_a_builtin_are_plain_winsock_errors(code, err):
    e = portsock.error_for(code)
    assert type(e) is portsock.WinsockError
    assert e.errno == err
    assert e.winerror == code


def test_message_names_the_call_the_code_and_winsock_text():
    e = portsock.error_for(ws.WSAECONNRESET, "recv")
    assert str(e) == ("recv: [WSAECONNRESET 10054] "
                      "An existing connection was forcibly closed by the remote host.")
    assert e.name == "WSAECONNRESET"


def test_errors_pickle_with_their_class_and_code():
    e = portsock.error_for(ws.WSAETIMEDOUT, "disconnect")
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is type(e) and copy.winerror == ws.WSAETIMEDOUT and copy.function == "disconnect"


def test_unknown_code():
    e = portsock.error_for(424242)
    assert type(e) is portsock.WinsockError
    assert e.errno is None and "424242" in e.strerror


def test_every_winsock_code_has_its_name_and_message():
    from portsock._errors import code_name, describe
    codes = {name: getattr(ws, name) for name in dir(ws) if name.startswith("WSA") and name.isupper()
             and not name.endswith("_LEN") and not name.startswith("WSA_FLAG_")   # WSASocket's flags
             and isinstance(getattr(ws, name), int)}
    assert len(codes) > 50
    for name, code in codes.items():
        assert code_name(code) == name, (name, code)
        assert not describe(code).startswith("Unknown"), name


def test_repr_shows_the_winsock_code_and_name():
    e = portsock.error_for(ws.WSAECONNRESET, "recv")
    text = repr(e)
    assert "10054" in text and "WSAECONNRESET" in text and "'recv'" in text
    assert "(%d," % errno.ECONNRESET not in text   # not OSError's (errno, strerror)
    assert text.startswith(type(e).__name__ + "(")


def test_error_for_checks_its_code():
    with pytest.raises(ValueError):
        portsock.error_for(2 ** 70)
    with pytest.raises(TypeError):
        portsock.error_for("x")
    with pytest.raises(TypeError):
        portsock.error_class(None)
