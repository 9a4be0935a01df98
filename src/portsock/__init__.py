"""portsock: the exact Winsock client lifecycle, graceful disconnect included,
on Windows, Linux and macOS.

- ``portsock.winsock``: the Winsock API, line for line (return values and
  WSAGetLastError, out-parameters as objects you pass).
- ``portsock.connect()`` and ``Connection``: the same lifecycle the Python way,
  with a one-call graceful ``disconnect()`` and exceptions that are both
  ``WinsockError`` and the matching builtin (ConnectionResetError, ...).
- ``portsock.testing``: scripted loopback peers for parity tests.
"""

__version__ = "0.1.0"

from portsock import winsock
from portsock._connection import DEFAULT_EXIT_TIMEOUT, Connection, Session, connect
from portsock._errors import WinsockError, error_class, error_for
from portsock.winsock import SD_BOTH, SD_RECEIVE, SD_SEND, AF_INET, AF_INET6, AF_UNSPEC

__all__ = [
    "winsock", "connect", "Connection", "Session", "WinsockError", "error_class", "error_for",
    "DEFAULT_EXIT_TIMEOUT", "SD_RECEIVE", "SD_SEND", "SD_BOTH", "AF_UNSPEC", "AF_INET", "AF_INET6",
    "__version__",
]
