"""Fault scenarios that need a process of their own, run by tests/test_faults.py:

    python tests/fault_child.py SCENARIO

Each scenario owns the process's Winsock startup count (a final WSACleanup
must really be the final one) or its descriptor limit. It raises on a wrong
result and, when everything held, prints one JSON line of what it saw and
exits 0; a crash shows as a signal exit status, a hang as the parent's
timeout.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Tuple

from child_util import core_fds, fill_send_buffer, listener, pair, startup, tcp

from portsock import winsock as ws

WAKE_BOUND = 5.0


def loopback() -> ws.sockaddr_in:
    return ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))


def safety_net(s: int, ms: int = 20000) -> None:
    ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(ms), 4)
    ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(ms), 4)


def in_thread(fn: Callable[..., Any], *args: Any) -> Tuple[threading.Thread, List[Any]]:
    out: List[Any] = []

    def run() -> None:
        ret = fn(*args)
        out.append((ret, ws.WSAGetLastError()))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def cleanup_during_blocked_calls() -> Dict[str, Any]:
    """The final WSACleanup while threads are blocked in recv, send, accept and
    connect: each wakes with WSAEINTR; every descriptor is closed; the old
    handles are gone after a new startup."""
    startup()
    before = core_fds()
    c1, s1 = pair()                      # recv blocks on c1
    c2, s2 = pair()                      # send blocks on c2
    fill_send_buffer(c2, s2)
    lst, _ = listener()                  # accept blocks on lst
    full, full_addr = listener(backlog=0)
    filler = tcp()                       # fills full's queue; the next connect blocks
    assert ws.connect(filler, full_addr, 16) == 0
    c3 = tcp()
    for s in (c1, c2, lst, c3):
        safety_net(s)
    big = bytes(4 << 20)
    calls = {
        "recv": in_thread(ws.recv, c1, bytearray(64), 64, 0),
        "send": in_thread(ws.send, c2, big, len(big), 0),
        "accept": in_thread(ws.accept, lst, None, None),
        "connect": in_thread(ws.connect, c3, full_addr, 16),
    }
    time.sleep(0.5)
    alive = {name: t.is_alive() for name, (t, _) in calls.items()}
    assert all(alive.values()), alive
    t0 = time.monotonic()
    assert ws.WSACleanup() == 0
    for name, (t, _) in calls.items():
        t.join(WAKE_BOUND)
        assert not t.is_alive(), name + " was not woken by the final cleanup"
    woke = time.monotonic() - t0
    results = {name: out[0] for name, (_, out) in calls.items()}
    expected = {"recv": (ws.SOCKET_ERROR, ws.WSAEINTR), "send": (ws.SOCKET_ERROR, ws.WSAEINTR),
                "accept": (ws.INVALID_SOCKET, ws.WSAEINTR), "connect": (ws.SOCKET_ERROR, ws.WSAEINTR)}
    assert results == expected, results
    after = core_fds()
    assert after == before, (before, after)
    # Calls after the final cleanup, and the old handles after a new startup.
    assert ws.recv(c1, bytearray(4), 4, 0) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
    startup()
    for s in (c1, s1, c2, s2, lst, full, filler, c3):
        assert ws.closesocket(s) == ws.SOCKET_ERROR and ws.WSAGetLastError() == ws.WSAENOTSOCK
    assert ws.WSACleanup() == 0
    return {"woke_seconds": round(woke, 3), "fds": after}


def cleanup_races_with_calls() -> Dict[str, Any]:
    """Threads open, connect, accept, send, recv and close sockets without a
    pause while the main thread cycles WSAStartup/WSACleanup. Every call
    returns (an error or not) and nothing crashes. After each final cleanup,
    once the threads have finished the call they were in, no socket or eventfd
    may be open: the cleanup closed what existed, and nothing may be made
    after it. (A socket() or accept() that the final cleanup overtook used to
    register its new socket after the cleanup: open, unreachable, leaked.)"""
    seconds = float(os.environ.get("PORTSOCK_RACE_SECONDS", "2.0"))
    before = core_fds()
    assert before == {"socket": 0, "eventfd": 0}, before
    run = threading.Event()
    stop = threading.Event()
    codes: Dict[str, Dict[int, int]] = {}
    lock = threading.Lock()
    idle = threading.Semaphore(0)

    def note(call: str, code: int) -> None:
        with lock:
            per = codes.setdefault(call, {})
            per[code] = per.get(code, 0) + 1

    def worker(body: Callable[[], None]) -> None:
        while not stop.is_set():
            if not run.is_set():
                idle.release()
                run.wait()
                continue
            body()

    def opener() -> None:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        if s == ws.INVALID_SOCKET:
            note("socket", ws.WSAGetLastError())
        elif ws.closesocket(s) != 0:
            note("closesocket", ws.WSAGetLastError())

    def lifecycle() -> None:
        buf = bytearray(256)
        lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        if lst == ws.INVALID_SOCKET:
            note("socket", ws.WSAGetLastError())
            return
        bound = ws.sockaddr_in()
        c = s = ws.INVALID_SOCKET
        if (ws.bind(lst, loopback(), 16) == 0 and ws.listen(lst, 4) == 0
                and ws.getsockname(lst, bound, ws.c_int(16)) == 0):
            c = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
            if c != ws.INVALID_SOCKET:
                safety_net(c, 2000)
                if ws.connect(c, bound, 16) == 0:
                    s = ws.accept(lst, None, None)
                    if s != ws.INVALID_SOCKET:
                        safety_net(s, 2000)
                        ws.send(c, b"ping", 4, 0)
                        ws.shutdown(c, ws.SD_SEND)
                        ws.recv(s, buf, len(buf), 0)
                        ws.send(s, b"pong", 4, 0)
                        ws.closesocket(s)
                        ws.recv(c, buf, len(buf), 0)
                note("lifecycle", ws.WSAGetLastError())
        for h in (c, s, lst):
            if h != ws.INVALID_SOCKET:
                ws.closesocket(h)

    bodies = [opener, opener, opener, lifecycle, lifecycle]
    threads = [threading.Thread(target=worker, args=(b,), daemon=True) for b in bodies]
    for t in threads:
        t.start()
    for _ in threads:
        assert idle.acquire(timeout=10)
    cycles = 0
    left_open: List[Dict[str, int]] = []
    rng = random.Random()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        startup()
        run.set()
        time.sleep(rng.uniform(0, 0.002))
        assert ws.WSACleanup() == 0       # the final one: the count was 1
        run.clear()
        for _ in threads:                 # every thread has finished its call
            assert idle.acquire(timeout=10), "a thread is stuck in a call"
        now = core_fds()
        if now != before:
            left_open.append(now)
            # Close the leftovers for the next cycle (a startup and a final
            # cleanup close every socket the table holds).
            startup()
            ws.WSACleanup()
        cycles += 1
    stop.set()
    run.set()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert ws.WSACleanup() == ws.SOCKET_ERROR   # the count is back at zero
    after = core_fds()
    assert not left_open, "sockets outlived the final cleanup in %d of %d cycles: %r" % (
        len(left_open), cycles, left_open[:5])
    assert after == before, (before, after)
    return {"cycles": cycles, "codes": codes, "fds": after}


def descriptor_exhaustion() -> Dict[str, Any]:
    """With a low RLIMIT_NOFILE: socket() fails with INVALID_SOCKET and
    WSAEMFILE, accept fails with WSAEMFILE and leaves the connection queued,
    connect and blocking calls still work (a blocking call needs no
    descriptor beyond its socket's), and closing some sockets brings
    everything back."""
    import portsock
    "localhost".encode("idna")   # connect() encodes with idna: import the codec while files can open
    limit = 64
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    startup()
    lst, bound = listener()
    client = tcp()           # made before the table fills, connected after
    spare = tcp()
    opened: List[int] = []
    for _ in range(limit + 10):
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        if s == ws.INVALID_SOCKET:
            break
        opened.append(s)
    else:
        raise AssertionError("socket() never failed under RLIMIT_NOFILE %d" % limit)
    assert ws.WSAGetLastError() == ws.WSAEMFILE, ws.WSAGetLastError()
    exhausted_at = len(opened)
    # Every further attempt fails the same way, and nothing else breaks.
    for _ in range(5):
        assert ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP) == ws.INVALID_SOCKET
        assert ws.WSAGetLastError() == ws.WSAEMFILE
    assert ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSAEMFILE

    # connect needs no new descriptor.
    assert ws.connect(client, bound, 16) == 0, ws.WSAGetLastError()
    # accept: the connection is queued, but there is no descriptor for it.
    assert ws.accept(lst, None, None) == ws.INVALID_SOCKET
    assert ws.WSAGetLastError() == ws.WSAEMFILE
    # A blocking recv with a deadline still times out on time...
    safety_net(client, 300)
    t0 = time.monotonic()
    assert ws.recv(client, bytearray(8), 8, 0) == ws.SOCKET_ERROR
    assert ws.WSAGetLastError() == ws.WSAETIMEDOUT
    timed_out_after = time.monotonic() - t0
    assert 0.25 <= timed_out_after < 3.0, timed_out_after
    # ...and closesocket from another thread still wakes a blocked call.
    safety_net(spare, 20000)
    c2 = opened.pop()
    ws.closesocket(c2)             # one descriptor free: a pair for the test
    s_conn = ws.accept(lst, None, None)
    assert s_conn != ws.INVALID_SOCKET, ws.WSAGetLastError()
    safety_net(client, 20000)
    t, out = in_thread(ws.recv, client, bytearray(8), 8, 0)
    time.sleep(0.325)   # not a multiple of the 50 ms polling step
    assert t.is_alive()
    t0 = time.monotonic()
    assert ws.closesocket(client) == 0
    t.join(WAKE_BOUND)
    assert not t.is_alive()
    woke_after = time.monotonic() - t0
    assert out == [(ws.SOCKET_ERROR, ws.WSAEINTR)], out
    # The peer sees the FIN: nothing was left half-open.
    safety_net(s_conn, 5000)
    assert ws.recv(s_conn, bytearray(8), 8, 0) == 0
    ws.closesocket(s_conn)

    # Recovery: close ten, open ten, then fail again at the same count.
    for s in opened[-10:]:
        assert ws.closesocket(s) == 0
    del opened[-10:]
    for _ in range(10):
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert s != ws.INVALID_SOCKET, ws.WSAGetLastError()
        opened.append(s)
    extra = 0
    while True:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        if s == ws.INVALID_SOCKET:
            break
        opened.append(s)
        extra += 1
        assert extra < 10
    assert ws.WSAGetLastError() == ws.WSAEMFILE
    # The Pythonic layer says the same, as an exception.
    try:
        portsock.connect("127.0.0.1", bound.sin_port and ws.ntohs(bound.sin_port), timeout=5)
    except portsock.WinsockError as e:
        py_code = e.winerror
    else:
        raise AssertionError("connect() succeeded with no descriptor left")
    assert py_code == ws.WSAEMFILE, py_code
    # Everything closes; the process is back where it started.
    for s in opened + [lst, spare]:
        assert ws.closesocket(s) == 0
    assert ws.WSACleanup() == 0
    fds = core_fds()
    assert fds == {"socket": 0, "eventfd": 0}, fds
    return {"limit": limit, "sockets_at_exhaustion": exhausted_at, "recv_timeout_s": round(timed_out_after, 3),
            "close_woke_s": round(woke_after, 3), "pythonic_error": py_code}


SCENARIOS = {f.__name__: f for f in (cleanup_during_blocked_calls, cleanup_races_with_calls,
                                     descriptor_exhaustion)}


def main() -> int:
    random.seed()
    result = SCENARIOS[sys.argv[1]]()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
