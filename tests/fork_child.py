"""Fork scenarios run by tests/test_fork.py, each in a process of its own:

    python tests/fork_child.py idle    KIND ACTION VIA
    python tests/fork_child.py blocked KIND ACTION VIA
    python tests/fork_child.py parent_close KIND VIA

KIND: "conn" (a portsock.Connection) or "mirror" (a winsock SOCKET), connected
to a stdlib socket peer in this process (the stdlib is untouched by portsock,
so the peer sees exactly what reached the wire). VIA: "fork" (os.fork, the
child ends with os._exit) or "mp" (multiprocessing's "fork" context). ACTION,
what the forked child does with its inherited copy: close, abort (conn),
closesocket (mirror), cleanup (WSACleanup until it fails), recv (a recv with a
short timeout, which times out).

idle: the parent's socket has waited once before the fork (so whatever the
core waits with exists); after the child is gone, the parent's recv with a
2 s timeout still waits for the peer's b"after", later calls work, and the
peer saw no FIN or reset from the child.

blocked: a parent thread is blocked in recv (no timeout) across the fork; it
stays blocked after the child's close and returns the peer's bytes.

parent_close: a parent thread is blocked in recv; the child holds its copy
and sleeps; closing in the parent still wakes the thread with WSAEINTR.

Prints one JSON line; the watchdog reports a hang (exit status 3).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from child_util import Watchdog, describe, emit, set_rcvtimeo, startup, tcp

import portsock
from portsock import winsock as ws

CHILD_BOUND = 5.0   # seconds a forked child may take, at most

report: Dict[str, Any] = {}
dog = Watchdog(report)

Outcome = List[Any]   # ["data", text] or ["error", winerror, builtin names] or ["timeout"]


# -- the two kinds of client ---------------------------------------------------------

class ConnClient:
    def __init__(self, port: int) -> None:
        self.conn = portsock.connect("127.0.0.1", port, timeout=5)

    def recv(self, timeout: Optional[float]) -> Outcome:
        try:
            self.conn.settimeout(timeout)
            return ["data", self.conn.recv(64).decode("latin-1")]
        except OSError as e:
            d = describe(e)
            return ["error", d["winerror"], d["is"]]

    def send(self, data: bytes) -> Outcome:
        try:
            self.conn.sendall(data)
            return ["ok"]
        except OSError as e:
            return ["error", describe(e)["winerror"]]

    def finish(self) -> Outcome:
        """The graceful disconnect (the peer closes after the FIN)."""
        try:
            self.conn.settimeout(5)
            return ["data", self.conn.disconnect().decode("latin-1")]
        except OSError as e:
            return ["error", describe(e)["winerror"]]

    def close(self) -> None:
        self.conn.close()

    def child_action(self, action: str) -> bool:
        if action == "close":
            self.conn.close()
            return self.conn.closed
        if action == "abort":
            self.conn.abort()
            return self.conn.closed
        if action == "recv":
            return self.recv(0.1)[:2] == ["error", ws.WSAETIMEDOUT]
        if action == "cleanup":
            return cleanup_all() >= 1
        raise ValueError(action)


class MirrorClient:
    def __init__(self, port: int) -> None:
        startup()
        self.s = tcp()
        addr = ws.sockaddr_in(ws.AF_INET, ws.htons(port), ws.in_addr(ws.inet_addr("127.0.0.1")))
        assert ws.connect(self.s, addr, 16) == 0, ws.WSAGetLastError()

    def recv(self, timeout: Optional[float]) -> Outcome:
        set_rcvtimeo(self.s, 0 if timeout is None else int(timeout * 1000))
        buf = bytearray(64)
        n = ws.recv(self.s, buf, len(buf), 0)
        if n >= 0:
            return ["data", bytes(buf[:n]).decode("latin-1")]
        return ["error", ws.WSAGetLastError(), ["SOCKET_ERROR"]]

    def send(self, data: bytes) -> Outcome:
        n = ws.send(self.s, data, len(data), 0)
        return ["ok"] if n == len(data) else ["error", ws.WSAGetLastError()]

    def finish(self) -> Outcome:
        if ws.shutdown(self.s, ws.SD_SEND) != 0:
            return ["error", ws.WSAGetLastError()]
        got = self.recv(5.0)
        if ws.closesocket(self.s) != 0:
            return ["error", ws.WSAGetLastError()]
        return got

    def close(self) -> None:
        ws.closesocket(self.s)

    def child_action(self, action: str) -> bool:
        if action == "closesocket":
            return ws.closesocket(self.s) == 0
        if action == "recv":
            return self.recv(0.1)[:2] == ["error", ws.WSAETIMEDOUT]
        if action == "cleanup":
            return cleanup_all() >= 1
        raise ValueError(action)


Client = Union[ConnClient, MirrorClient]


def cleanup_all() -> int:
    """WSACleanup until it fails: every startup reference this process holds."""
    n = 0
    while n < 50 and ws.WSACleanup() == 0:
        n += 1
    return n


# -- the peer --------------------------------------------------------------------

class Peer:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sock: Optional[socket.socket] = None

    def accept(self) -> None:
        self.listener.settimeout(5)
        self.sock, _ = self.listener.accept()
        self.listener.close()

    def saw(self, timeout: float) -> str:
        """What arrives within timeout: "nothing", "FIN", "reset" or the data."""
        assert self.sock is not None
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(64)
        except socket.timeout:
            return "nothing"
        except ConnectionResetError:
            return "reset"
        except OSError as e:
            return "error %s" % e
        return "FIN" if not data else "data " + data.decode("latin-1")

    def send_later(self, seconds: float, data: bytes) -> threading.Timer:
        assert self.sock is not None
        t = threading.Timer(seconds, self.sock.sendall, args=(data,))
        t.daemon = True
        t.start()
        return t

    def close_after_fin(self) -> Tuple[threading.Thread, List[str]]:
        """Reads to the client's FIN, then closes (the end of a graceful disconnect)."""
        seen: List[str] = []

        def run() -> None:
            assert self.sock is not None
            for _ in range(100):
                what = self.saw(5.0)
                if what != "nothing" and not what.startswith("data"):
                    seen.append(what)
                    break
            self.sock.close()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, seen


def connect(kind: str) -> Tuple[Client, Peer]:
    peer = Peer()
    client: Client = ConnClient(peer.port) if kind == "conn" else MirrorClient(peer.port)
    peer.accept()
    return client, peer


# -- forked children ---------------------------------------------------------------

class Child:
    """A forked child running fn(); its exit status is 0 when fn() returned true."""

    def __init__(self, via: str, fn: Callable[[], bool]) -> None:
        self.via = via
        self.status: Union[int, str, None] = None
        if via == "fork":
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = 0 if fn() else 1
                except BaseException:
                    traceback.print_exc()
                    code = 2
                finally:
                    os._exit(code)
            self.pid = pid
        else:
            ctx = multiprocessing.get_context("fork")
            self.proc = ctx.Process(target=_mp_target, args=(fn,), daemon=True)
            self.proc.start()

    def alive(self) -> bool:
        if self.status is not None:
            return False
        if self.via == "fork":
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return True
            self.status = os.waitstatus_to_exitcode(st)
            return False
        if self.proc.is_alive():
            return True
        self.status = self.proc.exitcode
        return False

    def wait(self, bound: float = CHILD_BOUND) -> Union[int, str, None]:
        deadline = time.monotonic() + bound
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if self.alive():
            if self.via == "fork":
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            else:
                self.proc.kill()
                self.proc.join(5)
            self.status = "hung"
        return self.status


def _mp_target(fn: Callable[[], bool]) -> None:
    if not fn():
        raise SystemExit(1)


def hold_for_a_while() -> bool:
    time.sleep(1.5)
    return True


def blocked_recv(client: Client) -> Tuple[threading.Thread, List[Outcome]]:
    out: List[Outcome] = []
    t = threading.Thread(target=lambda: out.append(client.recv(None)), daemon=True)
    t.start()
    return t, out


# -- scenarios ----------------------------------------------------------------------

def idle(kind: str, action: str, via: str) -> Dict[str, Any]:
    dog.arm(20, "idle %s %s %s" % (kind, action, via))
    client, peer = connect(kind)
    out: Dict[str, Any] = {"wait_before_fork": client.recv(0.05)}   # the socket has waited once
    out["child"] = Child(via, lambda: client.child_action(action)).wait()
    out["peer_saw"] = peer.saw(0.5)                # neither FIN nor reset from the child
    feeder = peer.send_later(0.3, b"after")
    t0 = time.monotonic()
    out["recv"] = client.recv(2.0)                # still waits, and gets the late bytes
    out["recv_seconds"] = round(time.monotonic() - t0, 3)
    feeder.join()
    out["send"] = client.send(b"ping")            # later calls work normally
    out["peer_got"] = peer.saw(2.0)
    closer, seen = peer.close_after_fin()
    out["finish"] = client.finish()
    closer.join(10)
    out["peer_end"] = seen
    return out


def blocked(kind: str, action: str, via: str) -> Dict[str, Any]:
    dog.arm(20, "blocked %s %s %s" % (kind, action, via))
    client, peer = connect(kind)
    thread, result = blocked_recv(client)
    time.sleep(0.3)
    out: Dict[str, Any] = {"blocked_before_fork": thread.is_alive()}
    out["child"] = Child(via, lambda: client.child_action(action)).wait()
    time.sleep(0.5)
    out["blocked_after_child"] = thread.is_alive()   # the child's close did not wake it
    out["result_after_child"] = list(result)
    peer.send_later(0.0, b"data").join()
    thread.join(3)
    out["thread_done"] = not thread.is_alive()
    out["recv"] = result[0] if result else None
    out["peer_saw"] = peer.saw(0.3)
    closer, seen = peer.close_after_fin()
    out["finish"] = client.finish()
    closer.join(10)
    out["peer_end"] = seen
    return out


def parent_close(kind: str, via: str) -> Dict[str, Any]:
    dog.arm(20, "parent_close %s %s" % (kind, via))
    client, peer = connect(kind)
    thread, result = blocked_recv(client)
    time.sleep(0.2)
    child = Child(via, hold_for_a_while)   # the child holds its inherited copy meanwhile
    time.sleep(0.3)
    out: Dict[str, Any] = {"blocked_before_close": thread.is_alive()}
    t0 = time.monotonic()
    client.close()
    thread.join(1.0)
    out["woke_seconds"] = round(time.monotonic() - t0, 3)
    out["child_alive_at_wake"] = child.alive()
    out["recv"] = result[0] if result else None
    out["child"] = child.wait()
    # Every copy is closed now: the peer sees the connection end.
    out["peer_saw"] = peer.saw(2.0)
    return out


def main() -> int:
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)   # fork with threads (3.12+)
    name, args = sys.argv[1], sys.argv[2:]
    report["scenario"] = " ".join(sys.argv[1:])
    scenarios: Dict[str, Callable[..., Dict[str, Any]]] = {"idle": idle, "blocked": blocked,
                                                           "parent_close": parent_close}
    result = scenarios[name](*args)
    dog.disarm()
    emit(result)
    sys.stdout.flush()
    os._exit(0)   # no finalizer runs: the scenario closed what it tests


if __name__ == "__main__":
    sys.exit(main())
