"""Descriptor scenarios run by tests/test_descriptors.py, each in a process of
its own (the peer in yet another, so that only the client's descriptors are
counted here):

    python tests/descriptor_child.py count conn|mirror
    python tests/descriptor_child.py rlimit
    python tests/descriptor_child.py close_wakes conn|mirror
    python tests/descriptor_child.py peer          (the peer process itself)

Every client socket "waits once" before it is counted: a recv with a 50 ms
timeout that times out, then (the client sends b"go", the peer answers
b"data") a recv that gets data. Prints one JSON line; the watchdog reports a
hang (exit status 3).
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

from child_util import Watchdog, describe, emit, fd_count, fd_kinds, set_rcvtimeo, startup, tcp

import portsock
from portsock import winsock as ws

N = 20
LIMIT = 64

report: Dict[str, Any] = {}


# -- the peer process ------------------------------------------------------------------

def peer() -> int:
    """Accepts connections; answers each b"go" with b"data"; holds each until
    the client closes. Ends when its stdin closes."""
    lst = socket.create_server(("127.0.0.1", 0), backlog=512)
    print(lst.getsockname()[1], flush=True)

    def quit_at_eof() -> None:
        sys.stdin.read()
        os._exit(0)

    def answer(c: socket.socket) -> None:
        c.settimeout(60)
        got = b""
        try:
            while b"go" not in got:
                data = c.recv(16)
                if not data:
                    return
                got += data
            c.sendall(b"data")
            while c.recv(64):
                pass
        except OSError:
            pass
        finally:
            c.close()

    threading.Thread(target=quit_at_eof, daemon=True).start()
    while True:
        c, _ = lst.accept()
        threading.Thread(target=answer, args=(c,), daemon=True).start()


class PeerProcess:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "peer"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# -- clients that have waited once -----------------------------------------------------

stage = ""


def waited_conn(port: int) -> portsock.Connection:
    global stage
    stage = "connect"
    conn = portsock.connect("127.0.0.1", port, timeout=5)
    try:
        stage = "recv with timeout 0.05"
        conn.settimeout(0.05)
        try:
            conn.recv(4)
        except TimeoutError:
            pass
        else:
            raise AssertionError("the peer sent before it was asked")
        stage = "recv of data"
        conn.settimeout(5)
        conn.sendall(b"go")
        got = b""
        while len(got) < 4:
            chunk = conn.recv(4 - len(got))
            assert chunk, "the peer closed"
            got += chunk
        assert got == b"data"
    except BaseException:
        conn.close()
        raise
    return conn


def waited_mirror(port: int) -> int:
    s = tcp()
    addr = ws.sockaddr_in(ws.AF_INET, ws.htons(port), ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.connect(s, addr, 16) == 0, ws.WSAGetLastError()
    buf = bytearray(4)
    set_rcvtimeo(s, 50)
    assert (ws.recv(s, buf, 4, 0), ws.WSAGetLastError()) == (ws.SOCKET_ERROR, ws.WSAETIMEDOUT)
    assert ws.send(s, b"go", 2, 0) == 2
    set_rcvtimeo(s, 5000)
    assert ws.recv(s, buf, 4, ws.MSG_WAITALL) == 4 and bytes(buf) == b"data", ws.WSAGetLastError()
    return s


Client = Union[portsock.Connection, int]


def open_waited(kind: str, port: int) -> Client:
    return waited_conn(port) if kind == "conn" else waited_mirror(port)


def close(client: Client) -> None:
    if isinstance(client, portsock.Connection):
        client.close()
    else:
        assert ws.closesocket(client) == 0


def warm_up(kind: str, port: int) -> None:
    """Everything a first call loads or caches (modules, the implicit startup,
    the error classes) is loaded before counting."""
    close(open_waited(kind, port))
    lst = socket.create_server(("127.0.0.1", 0))
    closed_port = lst.getsockname()[1]
    lst.close()
    try:
        portsock.connect("127.0.0.1", closed_port, timeout=5)
    except ConnectionRefusedError:
        pass
    describe(portsock.WinsockError(ws.WSAEMFILE, "x"))


# -- scenarios -----------------------------------------------------------------------

def count(kind: str) -> Dict[str, Any]:
    """N clients that have each waited once cost exactly N descriptors."""
    peer_proc = PeerProcess()
    if kind == "mirror":
        startup()
    warm_up(kind, peer_proc.port)
    before = fd_count()
    clients = [open_waited(kind, peer_proc.port) for _ in range(N)]
    opened = fd_count()
    kinds = fd_kinds()
    for c in clients:
        close(c)
    after = fd_count()
    peer_proc.stop()
    return {"n": N, "before": before, "opened": opened, "after": after, "kinds_while_open": kinds}


def rlimit() -> Dict[str, Any]:
    """Under RLIMIT_NOFILE 64, Connections (each waited once) open until
    WSAEMFILE; closing them all gives every descriptor back."""
    peer_proc = PeerProcess()
    warm_up("conn", peer_proc.port)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))
    start = fd_count()
    conns: List[portsock.Connection] = []
    failure: Optional[Dict[str, Any]] = None
    for _ in range(2 * LIMIT):
        try:
            conns.append(waited_conn(peer_proc.port))
        except BaseException as e:   # reported, judged by the parent
            failure = dict(describe(e), stage=stage)
            break
    at_failure = fd_count()   # None when no descriptor is left to list them
    for c in conns:
        c.close()
    after = fd_count()
    # And it all works again.
    try:
        waited_conn(peer_proc.port).close()
        again: Any = "ok"
    except BaseException as e:
        again = describe(e)
    peer_proc.stop()
    return {"limit": LIMIT, "start": start, "opened": len(conns), "failure": failure,
            "fds_at_failure": at_failure, "after": after, "again": again}


def close_wakes(kind: str) -> Dict[str, Any]:
    """close from another thread wakes a recv blocked with no timeout, and
    nothing is left open."""
    peer_proc = PeerProcess()
    if kind == "mirror":
        startup()
    warm_up(kind, peer_proc.port)
    before = fd_count()
    client = open_waited(kind, peer_proc.port)
    out: Dict[str, Any] = {}

    def blocked() -> None:
        if isinstance(client, portsock.Connection):
            client.settimeout(None)
            try:
                client.recv(16)
                out["result"] = "returned"
            except BaseException as e:
                out["result"] = describe(e)
        else:
            set_rcvtimeo(client, 0)
            ret = ws.recv(client, bytearray(16), 16, 0)
            out["result"] = [ret, ws.WSAGetLastError()]

    t = threading.Thread(target=blocked, daemon=True)
    t.start()
    time.sleep(0.3)
    out["blocked"] = t.is_alive()
    t0 = time.monotonic()
    close(client)
    t.join(5)
    out["woke_seconds"] = round(time.monotonic() - t0, 3)
    out["woke"] = not t.is_alive()
    time.sleep(0.05)
    out["before"], out["after"] = before, fd_count()
    peer_proc.stop()
    return out


def main() -> int:
    name, args = sys.argv[1], sys.argv[2:]
    if name == "peer":
        return peer()
    report["scenario"] = " ".join(sys.argv[1:])
    dog = Watchdog(report)
    dog.arm(25, report["scenario"])
    scenarios: Dict[str, Callable[..., Dict[str, Any]]] = {"count": count, "rlimit": rlimit,
                                                           "close_wakes": close_wakes}
    result = scenarios[name](*args)
    dog.disarm()
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
