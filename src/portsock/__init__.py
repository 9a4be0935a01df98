"""portsock: the exact Winsock client lifecycle, graceful disconnect included,
on Windows, Linux and macOS.

- ``portsock.winsock``: the Winsock API, line for line (return values and
  WSAGetLastError, out-parameters as objects you pass).
- ``portsock.connect()`` and ``Connection``: the same lifecycle the Python way,
  with a one-call graceful ``disconnect()`` and exceptions that are both
  ``WinsockError`` and the matching builtin (ConnectionResetError, ...).
- ``portsock.aio``: the same for asyncio (``await portsock.aio.connect()``).
- ``portsock.testing``: scripted loopback peers for parity tests.
- ``portsock.trace_to(path)`` (or PORTSOCK_TRACE=path): one JSON line per
  Winsock call of the process, from the core.
"""

from portsock import _core
from portsock._version import __version__

_built = _core.ffi.string(_core.lib.ps_build_version()).decode("ascii")
if _built != __version__:
    raise ImportError(
        "portsock %s: its compiled core (%s) was built for portsock %s, so the two do not belong "
        "together. Reinstall portsock (`pip install --force-reinstall --no-deps portsock`, or `.` "
        "from a source tree); in a checkout used in place, rebuild the core with "
        "`python setup.py build_ext --inplace`." % (__version__, _core.__file__, _built))
del _built

# Imported only once the check above has passed: a stale extension fails with
# the message above rather than with whatever a mismatched call would raise.
from portsock import winsock  # noqa: E402
from portsock._connection import (  # noqa: E402
    DEFAULT_EXIT_MAX_SIZE,
    DEFAULT_EXIT_TIMEOUT,
    Connection,
    Session,
    connect,
)
from portsock._errors import ReplyTooLarge, WinsockError, error_class, error_for  # noqa: E402
from portsock._server import Listener, create_server  # noqa: E402
from portsock._trace import trace_to  # noqa: E402
from portsock.winsock import AF_INET, AF_INET6, AF_UNSPEC, SD_BOTH, SD_RECEIVE, SD_SEND  # noqa: E402


def __getattr__(name: str) -> object:
    """portsock.aio, imported on first use (it imports asyncio)."""
    if name == "aio":
        import importlib
        return importlib.import_module("portsock.aio")
    raise AttributeError("module 'portsock' has no attribute %r" % name)


__all__ = [
    "winsock", "connect", "Connection", "Session", "create_server", "Listener", "WinsockError", "ReplyTooLarge",
    "error_class", "error_for",
    "DEFAULT_EXIT_TIMEOUT", "DEFAULT_EXIT_MAX_SIZE", "SD_RECEIVE", "SD_SEND", "SD_BOTH", "AF_UNSPEC", "AF_INET",
    "AF_INET6", "__version__",
]
__all__ += ["trace_to"]
