"""portsock: the exact Winsock client lifecycle, graceful disconnect included,
on Windows, Linux and macOS.

- ``portsock.winsock``: the Winsock API, line for line (return values and
  WSAGetLastError, out-parameters as objects you pass).
- ``portsock.connect()`` and ``Connection``: the same lifecycle the Python way,
  with a one-call graceful ``disconnect()`` and exceptions that are both
  ``WinsockError`` and the matching builtin (ConnectionResetError, ...).
- ``portsock.testing``: scripted loopback peers for parity tests.
"""

from portsock._version import __version__
from portsock import _core

_built = _core.ffi.string(_core.lib.ps_build_version()).decode("ascii")
if _built != __version__:
    raise ImportError(
        "portsock's compiled core was built for version %s, but the Python package is %s: "
        "rebuild it with `pip install --force-reinstall --no-deps .` (or, in a source checkout, "
        "`python setup.py build_ext --inplace`)" % (_built, __version__))
del _built

from portsock import winsock
from portsock._connection import DEFAULT_EXIT_TIMEOUT, Connection, Session, connect
from portsock._errors import WinsockError, error_class, error_for
from portsock.winsock import SD_BOTH, SD_RECEIVE, SD_SEND, AF_INET, AF_INET6, AF_UNSPEC

__all__ = [
    "winsock", "connect", "Connection", "Session", "WinsockError", "error_class", "error_for",
    "DEFAULT_EXIT_TIMEOUT", "SD_RECEIVE", "SD_SEND", "SD_BOTH", "AF_UNSPEC", "AF_INET", "AF_INET6",
    "__version__",
]
