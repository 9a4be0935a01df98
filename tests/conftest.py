"""Shared fixtures: Winsock started for the test, and real loopback pairs."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Iterator, List, Tuple

import pytest
from child_util import fill_send_buffer as fill_send_buffer

# The parity machinery (portsock._parity) reads this checkout's scenarios and
# C, whether portsock is installed editable or not (.ci/run: `pip install .`);
# set before any test module imports it.
os.environ["PORTSOCK_SOURCE_TREE"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from portsock import winsock as ws


@pytest.fixture
def wsa() -> Iterator[ws.WSADATA]:
    """WSAStartup(2.2) for the test; every reference it took is released after."""
    data = ws.WSADATA()
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), data) == 0
    yield data
    while ws.WSACleanup() == 0:
        pass


@pytest.fixture(autouse=True)
def stdlib_startup_reference() -> Iterator[None]:
    """On Windows the startup count is the process's, shared with CPython's own _socket,
    which took one reference at import and never takes another: a test that drains the
    count to 0 (the final cleanup the startup rules need) takes that one too, and every
    later stdlib socket (the peers, the examples' servers) would fail with
    WSANOTINITIALISED. It is given back after such a test. (On POSIX the stdlib's sockets
    need no startup: nothing to do.)"""
    yield
    if sys.platform == "win32":
        import socket as stdlib_socket
        try:
            stdlib_socket.socket().close()
        except OSError as e:
            if getattr(e, "winerror", None) != ws.WSANOTINITIALISED:
                raise
            assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0


def loopback(family: int = ws.AF_INET) -> Tuple[ws.sockaddr_in, int]:
    """A sockaddr for 127.0.0.1 (or ::1) port 0, and its size."""
    if family == ws.AF_INET:
        addr = ws.sockaddr_in()
        addr.sin_family = ws.AF_INET
        addr.sin_addr.s_addr = ws.inet_addr("127.0.0.1")
        return addr, ws.sizeof(addr)
    addr6 = ws.sockaddr_in6()
    addr6.sin6_family = ws.AF_INET6
    assert ws.inet_pton(ws.AF_INET6, "::1", addr6.sin6_addr) == 1
    return addr6, ws.sizeof(addr6)  # type: ignore[return-value]


def listener(family: int = ws.AF_INET) -> Tuple[int, object]:
    """A listening TCP socket on loopback, and the address it is bound to."""
    s = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()
    addr, size = loopback(family)
    assert ws.bind(s, addr, size) == 0, ws.WSAGetLastError()
    assert ws.listen(s, 16) == 0, ws.WSAGetLastError()
    bound = type(addr)()
    assert ws.getsockname(s, bound, ws.c_int(size)) == 0
    return s, bound


def connected_pair(family: int = ws.AF_INET) -> Tuple[int, int]:
    """(client, server) ends of a real loopback TCP connection."""
    lst, bound = listener(family)
    client = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert client != ws.INVALID_SOCKET
    assert ws.connect(client, bound, ws.sizeof(bound)) == 0, ws.WSAGetLastError()
    server = ws.accept(lst, None, None)
    assert server != ws.INVALID_SOCKET, ws.WSAGetLastError()
    assert ws.closesocket(lst) == 0
    return client, server


@pytest.fixture
def pair(wsa: ws.WSADATA) -> Iterator[Tuple[int, int]]:
    client, server = connected_pair()
    yield client, server
    ws.closesocket(client)
    ws.closesocket(server)


def abort(s: int, settle: float = 0.05) -> None:
    """Closes s with SO_LINGER {1, 0}: its peer gets a reset, given settle seconds to arrive."""
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4) == 0
    assert ws.closesocket(s) == 0
    time.sleep(settle)


TIMEOUT_MS = 3000  # the SO_RCVTIMEO safety net: a recv a bug leaves blocked still ends


def set_rcvtimeo(s: int, ms: int = TIMEOUT_MS) -> None:
    assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4) == 0, ws.WSAGetLastError()


def expect_error(ret: int, code: int, value: int = ws.SOCKET_ERROR) -> None:
    """The call returned value (SOCKET_ERROR by default) with WSAGetLastError() == code."""
    assert (ret, ws.WSAGetLastError()) == (value, code)


def expect_ok(ret: int, value: int = 0) -> None:
    assert (ret, ws.WSAGetLastError()) == (value, 0)


@pytest.fixture
def tcp(wsa: ws.WSADATA) -> Iterator[Tuple[int, int]]:
    """(client, server) of a loopback TCP connection, both with SO_RCVTIMEO."""
    client, server = connected_pair()
    set_rcvtimeo(client)
    set_rcvtimeo(server)
    yield client, server
    ws.closesocket(client)
    ws.closesocket(server)


def recv_all(s: int, limit: int = 1 << 20) -> bytes:
    """Receives until the peer's FIN (bounded by limit bytes)."""
    out = bytearray()
    buf = bytearray(65536)
    while len(out) < limit:
        n = ws.recv(s, buf, len(buf), 0)
        assert n >= 0, ws.WSAGetLastError()
        if n == 0:
            break
        out += buf[:n]
    return bytes(out)


def run_in_thread(fn, *args) -> Tuple[threading.Thread, List[object]]:  # type: ignore[no-untyped-def]
    """Starts fn(*args) in a daemon thread; its result lands in the list."""
    result: List[object] = []
    thread = threading.Thread(target=lambda: result.append(fn(*args)), daemon=True)
    thread.start()
    return thread, result


def socket_fds() -> List[int]:
    """The fd numbers of this process's open sockets (Linux /proc)."""
    return sorted(fd for fd, target in open_socket_fds() if target.startswith("socket:"))


def open_socket_fds() -> set:
    """This process's fds that are sockets or eventfds (the core made one per
    socket once; it must never again)."""
    import os
    found = set()
    from leakcheck import HAVE_PROC
    if not HAVE_PROC:
        return found
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue
        if target.startswith("socket:") or "eventfd" in target:
            found.add((int(name), target))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_descriptor_leaked_across_the_suite() -> Iterator[None]:
    import gc
    before = open_socket_fds()
    yield
    gc.collect()
    leaked = open_socket_fds() - before
    assert not leaked, "socket descriptors leaked by the suite: %r" % sorted(leaked)


# ---- Wine 8's deviations in the Python suite (tests/parity/wine_differences.py) --------------

def under_wine() -> bool:
    """Whether this is a Windows Python running under Wine (whose Winsock and
    kernel32 are Wine 8's)."""
    import sys
    if sys.platform != "win32":
        return False
    import ctypes
    return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    if not under_wine():
        return
    from parity.wine_differences import SUITE_DIFFERENCES
    for item in items:
        nodeid = item.nodeid.split("tests/", 1)[-1]
        for d in SUITE_DIFFERENCES:
            if nodeid != d.test and nodeid.split("[", 1)[0] != d.test:
                continue
            why = "Wine 8: %s; Windows: %s (%s)" % (d.wine, d.windows, d.reason)
            if d.kind == "hangs":
                item.add_marker(pytest.mark.skip(reason=why))
            else:
                # pytest.raises' "DID NOT RAISE" is pytest's Failed, not an AssertionError
                item.add_marker(pytest.mark.xfail(reason=why, strict=d.kind == "differs",
                                                  raises=(AssertionError, pytest.fail.Exception)))
