"""Signal scenarios run by tests/test_signals.py, each in a process of its own:

    python tests/signal_child.py SCENARIO [TIMEOUT]

"int_*" scenarios: a blocking call gets SIGINT 0.3 s in (os.kill at this
process, Python's default SIGINT handler). What the call did (KeyboardInterrupt
or not), how long after the os.kill it ended, and what the socket or
Connection is like afterwards are printed as one JSON line. TIMEOUT, when
given, is the Connection's timeout in seconds (or the mirror's SO_RCVTIMEO /
SO_SNDTIMEO): the KeyboardInterrupt must not wait for it.

"resume_*" scenarios: SIGUSR1 every 100 ms, whose handler counts and returns,
during a call with a timeout (it must end at its own deadline) or without one
(it must get what the peer sends later).

A call still blocked 2.5 s after the signal is reported by the watchdog as
"hung" (exit status 3).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from child_util import (
    Watchdog,
    backlog_full_listener,
    describe,
    emit,
    fd_count,
    fill_send_buffer,
    listener,
    pair,
    port_of,
    set_rcvtimeo,
    startup,
    tcp,
)

import portsock
from portsock import winsock as ws

SIGNAL_AT = 0.3      # seconds into the call
HANG_AFTER = 2.5     # seconds after the signal at which a call counts as hung
PHASE_BOUND = 10.0   # any other phase of a scenario

report: Dict[str, Any] = {}
dog = Watchdog(report)


def interrupted(call: Callable[[], Any], label: str, sig: int = signal.SIGINT) -> Dict[str, Any]:
    """Runs call() with sig sent to this process SIGNAL_AT seconds in; returns
    {"outcome": "KeyboardInterrupt" | "returned" | "raised", "latency": seconds
    from the os.kill to the end of the call, ...}."""
    sent_at: List[float] = []
    cancel = threading.Event()

    def send() -> None:
        if not cancel.wait(SIGNAL_AT):
            sent_at.append(time.monotonic())
            os.kill(os.getpid(), sig)

    out: Dict[str, Any] = {}
    killer = threading.Thread(target=send, name="sigint", daemon=True)
    dog.arm(SIGNAL_AT + HANG_AFTER, "%s: still blocked %.1f s after the signal" % (label, HANG_AFTER))
    t0 = time.monotonic()
    try:
        killer.start()
        ret = call()
    except KeyboardInterrupt:
        out["outcome"] = "KeyboardInterrupt"
    except BaseException as e:   # reported, judged by the parent
        out["outcome"] = "raised"
        out["error"] = describe(e)
    else:
        out["outcome"] = "returned"
        out["ret"] = ret if isinstance(ret, (int, str, type(None))) else repr(ret)[:100]
    end = time.monotonic()
    dog.disarm()
    cancel.set()
    try:
        killer.join()
        time.sleep(0.01)
    except KeyboardInterrupt:
        out["late_interrupt"] = True   # the call had ended before the signal came
    out["call_seconds"] = round(end - t0, 3)
    out["latency"] = round(end - sent_at[0], 3) if sent_at else None
    if out["outcome"] != "KeyboardInterrupt":
        out["last_error"] = ws.WSAGetLastError()
    report.update(out)
    return out


def bounded(label: str) -> None:
    dog.arm(PHASE_BOUND, label)


def last(ret: int) -> List[int]:
    return [ret, ws.WSAGetLastError()]


def mirror_timeouts(s: int, seconds: Optional[float]) -> None:
    if seconds:
        ms = int(seconds * 1000)
        set_rcvtimeo(s, ms)
        assert ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4) == 0


def conn_pair(timeout: Optional[float]) -> Tuple[portsock.Connection, int]:
    """A Connection to a mirror listener in this process, and the accepted end."""
    startup()
    lst, bound = listener()
    conn = portsock.connect("127.0.0.1", port_of(bound), timeout=timeout)
    peer = ws.accept(lst, None, None)
    assert peer != ws.INVALID_SOCKET, ws.WSAGetLastError()
    ws.closesocket(lst)
    set_rcvtimeo(peer, 5000)
    return conn, peer


# -- SIGINT on the mirror ----------------------------------------------------------

def int_mirror_recv(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    c, s = pair()
    mirror_timeouts(c, timeout)
    buf = bytearray(16)
    out = interrupted(lambda: ws.recv(c, buf, 16, 0), "recv")
    bounded("recv after the interrupt")
    # The socket is still open and usable: the peer's late bytes arrive.
    assert ws.send(s, b"late", 4, 0) == 4
    n = ws.recv(c, buf, 16, 0)
    out["after"] = [n, ws.WSAGetLastError(), bytes(buf[:max(n, 0)]).decode("latin-1")]
    out["close"] = last(ws.closesocket(c))
    ws.closesocket(s)
    return out


def int_mirror_recv_beside_a_busy_thread(timeout: Optional[float]) -> Dict[str, Any]:
    """Another thread's mirror and Connection calls keep ending (failing:
    would-block) while the main thread's recv is interrupted: the
    KeyboardInterrupt is the main thread's alone, never raised in the other."""
    startup()
    c, s = pair()
    mirror_timeouts(c, timeout)
    other, other_peer = pair()
    assert ws.ioctlsocket(other, ws.FIONBIO, 1) == 0
    conn, conn_peer = conn_pair(None)
    conn.settimeout(0)
    stop = threading.Event()
    seen: Dict[str, Any] = {"calls": 0, "raised": []}

    def busy() -> None:
        buf = bytearray(16)
        deadline = time.monotonic() + PHASE_BOUND
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                ws.recv(other, buf, 16, 0)
                conn.recv(16)
            except BlockingIOError:
                pass
            except BaseException as e:   # reported, judged by the parent
                seen["raised"].append(describe(e))
                return
            seen["calls"] += 1

    worker = threading.Thread(target=busy, daemon=True)
    worker.start()
    out = interrupted(lambda: ws.recv(c, bytearray(16), 16, 0), "recv beside a busy thread")
    stop.set()
    worker.join(PHASE_BOUND)
    out["other_calls"] = seen["calls"]
    out["other_raised"] = seen["raised"]
    conn.close()
    for sock in (c, s, other, other_peer, conn_peer):
        ws.closesocket(sock)
    return out


def int_mirror_accept(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    lst, bound = listener()
    mirror_timeouts(lst, timeout)
    out = interrupted(lambda: ws.accept(lst, None, None), "accept")
    bounded("accept after the interrupt")
    c = tcp()
    out["connect"] = last(ws.connect(c, bound, 16))
    a = ws.accept(lst, None, None)
    out["accept_after"] = "socket" if a != ws.INVALID_SOCKET else ws.WSAGetLastError()
    for h in (a, c, lst):
        if h != ws.INVALID_SOCKET:
            ws.closesocket(h)
    return out


def int_mirror_send(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    c, s = pair()
    fill_send_buffer(c, s)
    mirror_timeouts(c, timeout)
    data = bytes(1 << 20)
    out = interrupted(lambda: ws.send(c, data, len(data), 0), "send")
    bounded("send after the interrupt")
    # Still usable: once the peer reads, a send goes out and the peer gets it last.
    got = bytearray()
    fin: List[int] = []

    def reader() -> None:
        set_rcvtimeo(s, 5000)
        buf = bytearray(65536)
        for _ in range(100000):
            n = ws.recv(s, buf, len(buf), 0)
            if n <= 0:
                fin.append(n)
                return
            got.extend(buf[:n])

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    out["send_after"] = last(ws.send(c, b"tail", 4, 0))
    out["shutdown"] = last(ws.shutdown(c, ws.SD_SEND))
    t.join(8)
    out["peer_tail"] = bytes(got[-4:]).decode("latin-1")
    out["peer_end"] = fin
    ws.closesocket(c)
    ws.closesocket(s)
    return out


def int_mirror_connect(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    lst, bound, filler = backlog_full_listener()
    s = tcp()
    mirror_timeouts(s, timeout)
    out = interrupted(lambda: ws.connect(s, bound, 16), "connect")
    bounded("closesocket after the interrupt")
    out["close"] = last(ws.closesocket(s))   # the SOCKET is still open
    ws.closesocket(filler)
    ws.closesocket(lst)
    return out


# -- SIGINT on the Pythonic layer -------------------------------------------------

def int_connect(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    lst, bound, filler = backlog_full_listener()
    port = port_of(bound)
    before = fd_count()
    out = interrupted(lambda: portsock.connect("127.0.0.1", port, timeout=timeout), "portsock.connect")
    out["fds"] = [before, fd_count()]   # no descriptor left open
    ws.closesocket(filler)
    ws.closesocket(lst)
    return out


def _conn_after(conn: portsock.Connection, peer: int, out: Dict[str, Any]) -> None:
    """Still open after the interrupt; the peer's late bytes arrive; close works."""
    out["closed_after_interrupt"] = conn.closed
    bounded("recv after the interrupt")
    ws.send(peer, b"late", 4, 0)
    try:
        out["recv_after"] = conn.recv(16).decode("latin-1")
    except BaseException as e:
        out["recv_after"] = describe(e)
    conn.close()
    out["closed_after_close"] = conn.closed


def int_conn_recv(timeout: Optional[float]) -> Dict[str, Any]:
    base = fd_count()
    conn, peer = conn_pair(timeout)
    out = interrupted(lambda: conn.recv(16), "Connection.recv")
    _conn_after(conn, peer, out)
    ws.closesocket(peer)
    out["fds"] = [base, fd_count()]
    return out


def int_conn_recv_into(timeout: Optional[float]) -> Dict[str, Any]:
    base = fd_count()
    conn, peer = conn_pair(timeout)
    buf = bytearray(16)
    out = interrupted(lambda: conn.recv_into(buf), "Connection.recv_into")
    _conn_after(conn, peer, out)
    ws.closesocket(peer)
    out["fds"] = [base, fd_count()]
    return out


def int_conn_sendall(timeout: Optional[float]) -> Dict[str, Any]:
    base = fd_count()
    conn, peer = conn_pair(timeout)
    data = bytes(64 << 20)   # the peer never reads
    out = interrupted(lambda: conn.sendall(data), "Connection.sendall")
    out["closed_after_interrupt"] = conn.closed
    bounded("close after the interrupt")
    conn.close()
    out["closed_after_close"] = conn.closed
    ws.closesocket(peer)
    out["fds"] = [base, fd_count()]
    return out


def int_conn_disconnect(timeout: Optional[float]) -> Dict[str, Any]:
    base = fd_count()
    conn, peer = conn_pair(timeout)
    assert ws.send(peer, b"part1", 5, 0) == 5
    time.sleep(0.05)   # part1 is in the client's receive buffer before disconnect starts
    out = interrupted(lambda: conn.disconnect(), "Connection.disconnect")
    out["closed_after_interrupt"] = conn.closed
    bounded("the peer and the second disconnect")
    # Half-closed: the peer has the client's FIN.
    buf = bytearray(16)
    out["peer_recv"] = last(ws.recv(peer, buf, 16, 0))
    assert ws.send(peer, b"part2", 5, 0) == 5
    ws.closesocket(peer)
    try:
        out["second"] = conn.disconnect().decode("latin-1")
    except BaseException as e:
        out["second"] = describe(e)
    out["closed_after_second"] = conn.closed
    out["fds"] = [base, fd_count()]
    return out


def int_conn_recv_until_fin(timeout: Optional[float]) -> Dict[str, Any]:
    """The server's step: the client sent b"part1" and not yet its FIN; after
    the interrupt the connection is open, and the next recv_until_fin()
    returns part1 with what came after."""
    base = fd_count()
    conn, peer = conn_pair(timeout)
    assert ws.send(peer, b"part1", 5, 0) == 5
    time.sleep(0.05)
    out = interrupted(lambda: conn.recv_until_fin(), "Connection.recv_until_fin")
    out["closed_after_interrupt"] = conn.closed
    bounded("the second recv_until_fin")
    assert ws.send(peer, b"part2", 5, 0) == 5
    assert ws.shutdown(peer, ws.SD_SEND) == 0
    try:
        out["second"] = conn.recv_until_fin().decode("latin-1")
    except BaseException as e:
        out["second"] = describe(e)
    conn.close()
    ws.closesocket(peer)
    out["fds"] = [base, fd_count()]
    return out


def int_listener_accept(timeout: Optional[float]) -> Dict[str, Any]:
    """A Listener's accept (no client comes); afterwards the listener still
    accepts."""
    base = fd_count()
    server = portsock.create_server(("127.0.0.1", 0))
    if timeout is not None:
        server.settimeout(timeout)
    out = interrupted(lambda: server.accept(), "Listener.accept")
    out["closed_after_interrupt"] = server.closed
    bounded("the listener after the interrupt")
    client = portsock.connect("127.0.0.1", server.local_address[1])
    try:
        conn, _ = server.accept()
        out["accept_after"] = "connection"
        conn.close()
    except BaseException as e:
        out["accept_after"] = describe(e)
    client.close()
    server.close()
    out["fds"] = [base, fd_count()]
    return out


def int_with_exit(timeout: Optional[float]) -> Dict[str, Any]:
    startup()
    lst, bound = listener()
    base = fd_count()
    held: List[Any] = []

    def block() -> None:
        with portsock.connect("127.0.0.1", port_of(bound), timeout=timeout) as conn:
            held.append(conn)
            held.append(ws.accept(lst, None, None))   # the peer: silent, never sends its FIN
            conn.sendall(b"request")
        # the exit's graceful disconnect waits for the FIN

    out = interrupted(block, "the exit of with portsock.connect(...)")
    out["closed_after_interrupt"] = held[0].closed if held else None
    if len(held) > 1:
        ws.closesocket(held[1])
    out["fds"] = [base, fd_count()]   # the Connection's descriptor is closed
    ws.closesocket(lst)
    return out


# -- handlers that return: the call resumes ----------------------------------------

class Pester:
    """SIGUSR1 at this process every 100 ms; the handler counts and returns."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.handled = 0
        self.sent = 0
        self.stop = threading.Event()

    def _handler(self, signum: int, frame: Any) -> None:
        self.handled += 1

    def __enter__(self) -> Pester:
        self.old = signal.signal(signal.SIGUSR1, self._handler)

        def run() -> None:
            end = time.monotonic() + 20
            while not self.stop.wait(self.interval) and time.monotonic() < end:
                os.kill(os.getpid(), signal.SIGUSR1)
                self.sent += 1

        self.thread = threading.Thread(target=run, name="sigusr1", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(5)
        time.sleep(0.02)
        signal.signal(signal.SIGUSR1, self.old)


def resumed(call: Callable[[], Any], label: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    dog.arm(8.0, label + ": never ended")
    with Pester() as pester:
        t0 = time.monotonic()
        try:
            ret = call()
        except BaseException as e:
            out["error"] = describe(e)
        else:
            out["ret"] = ret
        out["last_error"] = ws.WSAGetLastError()
        out["seconds"] = round(time.monotonic() - t0, 3)
        # Counted as the call returns: each signal that came during the call ran
        # the handler during the call (the call resumed after each), as in the
        # stdlib; a core that only retries in C runs it once, at the end.
        out["handled_during_call"] = pester.handled
        out["signals_sent"] = pester.sent
    dog.disarm()
    report.update(out)
    return out


def later(seconds: float, fn: Callable[[], Any]) -> threading.Timer:
    t = threading.Timer(seconds, fn)
    t.daemon = True
    t.start()
    return t


def _select_on(c: int, timeout: Optional[float]) -> int:
    readfds = ws.fd_set()
    ws.FD_SET(c, readfds)
    tv = ws.TIMEVAL(int(timeout), int(timeout % 1 * 1000000)) if timeout else None
    return ws.select(0, readfds, None, None, tv)


def _poll_on(c: int, timeout: Optional[float]) -> int:
    return ws.WSAPoll([ws.WSAPOLLFD(c, ws.POLLIN)], 1, int(timeout * 1000) if timeout else -1)


def _int_waiting(wait: Callable[[int, Optional[float]], int], label: str,
                 timeout: Optional[float]) -> Dict[str, Any]:
    """Ctrl-C during select or WSAPoll on a socket with nothing to read; the
    socket stays usable: a second wait sees the peer's data."""
    startup()
    c, s = pair()
    out = interrupted(lambda: wait(c, timeout), label)
    bounded(label + " after the interrupt")
    assert ws.send(s, b"late", 4, 0) == 4
    out["after"] = last(wait(c, 5.0))
    ws.closesocket(c)
    ws.closesocket(s)
    return out


def int_mirror_select(timeout: Optional[float]) -> Dict[str, Any]:
    return _int_waiting(_select_on, "select", timeout)


def int_mirror_wsapoll(timeout: Optional[float]) -> Dict[str, Any]:
    return _int_waiting(_poll_on, "WSAPoll", timeout)


def _resume_waiting(wait: Callable[[int, Optional[float]], int], label: str) -> Dict[str, Any]:
    startup()
    c, s = pair()
    out = resumed(lambda: wait(c, 1.5), label + " with a 1.5 s timeout")
    ws.closesocket(c)
    ws.closesocket(s)
    return out


def resume_mirror_select_timeout(_: Optional[float]) -> Dict[str, Any]:
    return _resume_waiting(_select_on, "select")


def resume_mirror_wsapoll_timeout(_: Optional[float]) -> Dict[str, Any]:
    return _resume_waiting(_poll_on, "WSAPoll")


def resume_mirror_recv_timeout(_: Optional[float]) -> Dict[str, Any]:
    startup()
    c, s = pair()
    set_rcvtimeo(c, 1500)
    buf = bytearray(16)
    out = resumed(lambda: ws.recv(c, buf, 16, 0), "recv with SO_RCVTIMEO 1500")
    ws.closesocket(c)
    ws.closesocket(s)
    return out


def resume_mirror_recv_data(_: Optional[float]) -> Dict[str, Any]:
    startup()
    c, s = pair()
    buf = bytearray(16)
    feeder = later(0.8, lambda: ws.send(s, b"data", 4, 0))
    out = resumed(lambda: ws.recv(c, buf, 16, 0), "blocking recv")
    out["data"] = bytes(buf[:4]).decode("latin-1")
    feeder.join()
    ws.closesocket(c)
    ws.closesocket(s)
    return out


def resume_mirror_accept(_: Optional[float]) -> Dict[str, Any]:
    startup()
    lst, bound = listener()
    c = tcp()
    connector = later(0.8, lambda: ws.connect(c, bound, 16))
    out = resumed(lambda: ws.accept(lst, None, None), "blocking accept")
    connector.join()
    if out.get("ret") not in (None, ws.INVALID_SOCKET):
        ws.closesocket(out["ret"])
        out["ret"] = "socket"
    ws.closesocket(c)
    ws.closesocket(lst)
    return out


def resume_conn_recv_timeout(_: Optional[float]) -> Dict[str, Any]:
    conn, peer = conn_pair(1.0)
    out = resumed(lambda: conn.recv(16), "Connection.recv, timeout 1.0")
    conn.close()
    ws.closesocket(peer)
    return out


def resume_conn_recv_data(_: Optional[float]) -> Dict[str, Any]:
    conn, peer = conn_pair(None)
    feeder = later(0.8, lambda: ws.send(peer, b"data", 4, 0))
    out = resumed(lambda: conn.recv(16).decode("latin-1"), "Connection.recv, no timeout")
    feeder.join()
    conn.close()
    ws.closesocket(peer)
    return out


def resume_conn_disconnect_timeout(_: Optional[float]) -> Dict[str, Any]:
    conn, peer = conn_pair(1.0)
    out = resumed(lambda: conn.disconnect(), "Connection.disconnect, timeout 1.0")
    out["closed"] = conn.closed
    conn.close()
    ws.closesocket(peer)
    return out


# -- the Winsock 2 calls (tests/test_wsa_calls.py) ---------------------------------

def _wsarecv_on(c: int, timeout: Optional[float]) -> int:
    """WSARecv over two buffers, its timeout SO_RCVTIMEO's."""
    set_rcvtimeo(c, int(timeout * 1000) if timeout else 0)
    bufs = [ws.WSABUF(2, bytearray(2)), ws.WSABUF(14, bytearray(14))]
    return ws.WSARecv(c, bufs, 2, ws.DWORD(), ws.DWORD(0))


def int_mirror_wsarecv(timeout: Optional[float]) -> Dict[str, Any]:
    return _int_waiting(_wsarecv_on, "WSARecv", timeout)


def resume_mirror_wsarecv_timeout(_: Optional[float]) -> Dict[str, Any]:
    return _resume_waiting(lambda c, t: _wsarecv_on(c, t), "WSARecv")


SCENARIOS: Dict[str, Callable[[Optional[float]], Dict[str, Any]]] = {
    name: fn for name, fn in globals().items() if name.startswith(("int_", "resume_")) and callable(fn)
}


def main() -> int:
    # Python's own SIGINT handler, even if this process was started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    name = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "none" else None
    report["scenario"] = name
    result = SCENARIOS[name](timeout)
    dog.disarm()
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
