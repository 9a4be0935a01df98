"""Connection.from_socket() over sockets it must refuse and ones it must
adopt, each case in a child process of its own (tests/test_adoption.py runs
them): a wrong adoption could detach, close or take over a descriptor, which
must not happen in the test process.

    python tests/adopt_child.py CASE

Prints one JSON line: what from_socket raised (or that it adopted), whether
the stdlib socket kept its descriptor, and whether it still works as before."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any, Callable, Dict, Tuple

import portsock


def _listener(family: int = socket.AF_INET) -> socket.socket:
    lst = socket.socket(family, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
    lst.listen(4)
    return lst


def unconnected_tcp() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    lst = _listener()

    def works(sock: socket.socket) -> bool:
        sock.settimeout(5)
        sock.connect(lst.getsockname())
        peer, _ = lst.accept()
        sock.sendall(b"still mine")
        return peer.recv(100) == b"still mine"

    return socket.socket(socket.AF_INET, socket.SOCK_STREAM), works


def listener() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    lst = _listener()

    def works(sock: socket.socket) -> bool:
        client = socket.create_connection(sock.getsockname(), timeout=5)
        peer, _ = sock.accept()
        client.sendall(b"accepted")
        return peer.recv(100) == b"accepted"

    return lst, works


def _udp(connected: bool) -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    other.settimeout(5)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if connected:
        udp.connect(other.getsockname())

    def works(sock: socket.socket) -> bool:
        sock.sendto(b"datagram", other.getsockname())
        return other.recv(100) == b"datagram"

    return udp, works


def udp_unconnected() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    return _udp(False)


def udp_connected() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    return _udp(True)


def unix_stream() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    b.settimeout(5)

    def works(sock: socket.socket) -> bool:
        sock.sendall(b"over AF_UNIX")
        return b.recv(100) == b"over AF_UNIX"

    return a, works


def closed_tcp() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    sock = socket.socket()
    sock.close()
    return sock, lambda s: s.fileno() == -1


def _connected(family: int) -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    lst = _listener(family)
    sock = socket.create_connection(lst.getsockname()[:2], timeout=5)
    peer, _ = lst.accept()
    peer.settimeout(5)
    _connected.peer = peer  # type: ignore[attr-defined]
    return sock, lambda s: True


def connected_tcp4() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    return _connected(socket.AF_INET)


def connected_tcp6() -> Tuple[socket.socket, Callable[[socket.socket], bool]]:
    return _connected(socket.AF_INET6)


CASES: Dict[str, Callable[[], Tuple[socket.socket, Callable[[socket.socket], bool]]]] = {
    f.__name__: f for f in (unconnected_tcp, listener, udp_unconnected, udp_connected, unix_stream, closed_tcp,
                            connected_tcp4, connected_tcp6)}


def run(name: str) -> Dict[str, Any]:
    sock, works = CASES[name]()
    fd = sock.fileno()
    out: Dict[str, Any] = {"fd_before": fd}
    try:
        conn = portsock.Connection.from_socket(sock)
    except BaseException as e:   # noqa: B902 - the outcome under test
        out["raised"] = type(e).__name__
        out["message"] = str(e)
        out["fd_after"] = sock.fileno()
        out["still_works"] = works(sock)
        sock.close()
        return out
    out["adopted"] = True
    out["fd_after"] = sock.fileno()
    conn.sendall(b"adopted")
    peer = _connected.peer  # type: ignore[attr-defined]
    out["peer_got"] = peer.recv(100).decode()
    peer.sendall(b"reply")
    peer.shutdown(socket.SHUT_WR)
    out["reply"] = conn.disconnect().decode()
    return out


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
