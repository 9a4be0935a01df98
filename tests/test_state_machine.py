"""A property test: random call sequences through the mirror on real loopback
TCP pairs, every return value and error code checked against a model of
the rules of docs/winsock-rules.md.

The model tracks, per end of each connected pair: whether its handle is open,
its own shutdown state, the bytes the peer sent that it has not read yet (in
order), whether the peer's FIN or a reset has reached it, and the core's
sticky reset mark; and, process-wide, the WSAStartup count. The rules it
applies:
- before startup / after the final cleanup every call fails with
  WSANOTINITIALISED; a closed handle gives WSAENOTSOCK; the final cleanup
  closes every socket, and a new startup does not bring them back;
- shutdown: `how` outside {0,1,2} is WSAEINVAL; otherwise 0, also twice and
  also after the peer's reset; SD_SEND sends the FIN;
- send after own SD_SEND is WSAESHUTDOWN; after a reset WSAECONNRESET; to a
  peer that has closed, the first send succeeds and the reset it draws makes
  the next one fail with WSAECONNRESET;
- recv after own SD_RECEIVE is WSAESHUTDOWN on every call; otherwise the
  bytes in order, then 0 at the peer's FIN (again and again), or
  WSAECONNRESET at a reset (sticky); with nothing there, WSAEWOULDBLOCK (the
  sockets are non-blocking, so nothing can hang);
- closesocket with unread bytes resets the connection (the peer sees
  WSAECONNRESET after the bytes that reached it); without, it is a FIN.

Where the kernel may legitimately answer in two ways (how much one recv
returns), the model accepts either and follows what happened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from leakcheck import HAVE_PROC, fd_kinds

from portsock import winsock as ws

MAX_PAIRS = 3
MAX_INFLIGHT = 32 * 1024   # per direction: far below the kernel's buffers, so a send never blocks
RECV_SETTLE = 0.2          # seconds to wait for bytes the model says are there (loopback is quick)

NOTINIT, NOTSOCK = ws.WSANOTINITIALISED, ws.WSAENOTSOCK


@dataclass
class End:
    handle: int
    open: bool = True
    shut_send: bool = False
    shut_recv: bool = False
    inbox: bytearray = field(default_factory=bytearray)   # the peer's bytes not read yet
    fin_in: bool = False       # the peer's FIN arrived (after the inbox)
    rst_in: bool = False       # a reset arrived
    reset_mark: bool = False   # the core reported the reset: sticky WSAECONNRESET
    peer: Optional[End] = None


class MirrorMachine(RuleBasedStateMachine):
    ends = Bundle("ends")

    def __init__(self) -> None:
        super().__init__()
        self.count = 0                 # the model's WSAStartup count
        self.all_ends: List[End] = []
        self.serial = 0

    # -- helpers ------------------------------------------------------------------

    def call(self, ret: int, expected: Tuple[int, int], what: str) -> None:
        got = (ret, ws.WSAGetLastError() if ret in (ws.SOCKET_ERROR, ws.INVALID_SOCKET) else 0)
        assert got == expected, "%s: got %r, the model says %r" % (what, got, expected)

    def gate(self, end: End) -> Optional[int]:
        """The code every call on end gets before it looks at anything else."""
        if self.count == 0:
            return NOTINIT
        if not end.open:
            return NOTSOCK
        return None

    def payload(self, n: int) -> bytes:
        self.serial += 1
        return bytes((self.serial * 7 + i) & 0xFF for i in range(n))

    # -- startup and pairs --------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        while ws.WSACleanup() == 0:   # the machine owns the process's count
            pass
        assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
        self.count = 1

    @precondition(lambda self: self.count > 0 and sum(e.open for e in self.all_ends) < 2 * MAX_PAIRS)
    @rule(target=ends)
    def new_pair(self):  # type: ignore[no-untyped-def]
        lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
        assert ws.bind(lst, addr, 16) == 0 and ws.listen(lst, 1) == 0
        bound = ws.sockaddr_in()
        assert ws.getsockname(lst, bound, ws.c_int(16)) == 0
        c = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert ws.connect(c, bound, 16) == 0, ws.WSAGetLastError()
        s = ws.accept(lst, None, None)
        assert s != ws.INVALID_SOCKET
        assert ws.closesocket(lst) == 0
        for h in (c, s):
            assert ws.ioctlsocket(h, ws.FIONBIO, 1) == 0
        a, b = End(c), End(s)
        a.peer, b.peer = b, a
        self.all_ends += [a, b]
        return multiple(a, b)

    @rule(op=st.sampled_from(["startup", "cleanup"]))
    def startup_or_cleanup(self, op: str) -> None:
        """One rule for both, so the count changes less often than the data moves."""
        if op == "startup" and self.count < 3:
            assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
            self.count += 1
            return
        if self.count == 0:
            self.call(ws.WSACleanup(), (ws.SOCKET_ERROR, NOTINIT), "WSACleanup at count 0")
            return
        self.call(ws.WSACleanup(), (0, 0), "WSACleanup")
        self.count -= 1
        if self.count == 0:
            # The final cleanup closes every socket, as closesocket would.
            for end in self.all_ends:
                if end.open:
                    self._closed(end)

    # -- calls on an end -----------------------------------------------------------------

    # Sends stay small next to the kernel's buffers: with at most MAX_INFLIGHT
    # unread in any direction, a non-blocking send is never partial.
    @precondition(lambda self: all(len(e.inbox) <= MAX_INFLIGHT for e in self.all_ends))
    @rule(end=ends, n=st.integers(1, 4096))
    def send(self, end: End, n: int) -> None:
        data = self.payload(n)
        ret = ws.send(end.handle, data, n, 0)
        code = self.gate(end)
        if code is None:
            if end.shut_send:
                code = ws.WSAESHUTDOWN
            elif end.reset_mark or end.rst_in:
                code = ws.WSAECONNRESET
        if code is not None:
            self.call(ret, (ws.SOCKET_ERROR, code), "send")
            if code == ws.WSAECONNRESET:
                end.reset_mark = True
            return
        assert ret == n, "send: got %r (%d), the model says %d" % (ret, ws.WSAGetLastError(), n)
        peer = end.peer
        assert peer is not None
        if peer.open:
            peer.inbox += data
        else:
            # The closed peer's kernel answers with a reset: the next send fails.
            end.rst_in = True

    @precondition(lambda self: all(len(e.inbox) <= MAX_INFLIGHT for e in self.all_ends))
    @rule(end=ends, n=st.integers(1, 4096))
    def send_more(self, end: End, n: int) -> None:
        """send again: data calls weigh more than startup and cleanup."""
        self.send(end, n)

    @rule(end=ends, n=st.integers(1, 8192))
    def recv_more(self, end: End, n: int) -> None:
        self.recv(end, n)

    @rule(end=ends, n=st.integers(1, 8192))
    def recv(self, end: End, n: int) -> None:
        buf = bytearray(n)
        code = self.gate(end)
        if code is None and end.shut_recv:
            code = ws.WSAESHUTDOWN
        if code is None and end.reset_mark:
            code = ws.WSAECONNRESET
        if code is not None:
            self.call(ws.recv(end.handle, buf, n, 0), (ws.SOCKET_ERROR, code), "recv")
            return
        if end.inbox:
            deadline = time.monotonic() + RECV_SETTLE
            while True:
                ret = ws.recv(end.handle, buf, n, 0)
                if ret != ws.SOCKET_ERROR or ws.WSAGetLastError() != ws.WSAEWOULDBLOCK \
                        or time.monotonic() > deadline:
                    break
                time.sleep(0.001)
            want = min(n, len(end.inbox))
            assert 0 < ret <= want, "recv: got %r (%d), the model has %d bytes" % (
                ret, ws.WSAGetLastError(), len(end.inbox))
            assert bytes(buf[:ret]) == bytes(end.inbox[:ret]), "recv: the bytes differ from what was sent"
            del end.inbox[:ret]
            return
        ret = ws.recv(end.handle, buf, n, 0)
        if end.fin_in:
            expected = (0, 0)
        elif end.rst_in:
            expected = (ws.SOCKET_ERROR, ws.WSAECONNRESET)
            end.reset_mark = True
        else:
            expected = (ws.SOCKET_ERROR, ws.WSAEWOULDBLOCK)
        self.call(ret, expected, "recv (inbox empty)")

    @rule(end=ends, how=st.sampled_from([ws.SD_RECEIVE, ws.SD_SEND, ws.SD_BOTH, 3, -1, 0xDEADBEEF]))
    def shutdown(self, end: End, how: int) -> None:
        ret = ws.shutdown(end.handle, how)
        code = self.gate(end)
        if code is None and how not in (ws.SD_RECEIVE, ws.SD_SEND, ws.SD_BOTH):
            code = ws.WSAEINVAL
        if code is not None:
            self.call(ret, (ws.SOCKET_ERROR, code), "shutdown(%d)" % how)
            return
        self.call(ret, (0, 0), "shutdown(%d)" % how)
        if how in (ws.SD_RECEIVE, ws.SD_BOTH):
            end.shut_recv = True
        if how in (ws.SD_SEND, ws.SD_BOTH) and not end.shut_send:
            end.shut_send = True
            peer = end.peer
            assert peer is not None
            if peer.open and not end.rst_in:
                peer.fin_in = True

    @rule(end=ends)
    def closesocket(self, end: End) -> None:
        ret = ws.closesocket(end.handle)
        code = self.gate(end)
        if code is not None:
            self.call(ret, (ws.SOCKET_ERROR, code), "closesocket")
            return
        self.call(ret, (0, 0), "closesocket")
        self._closed(end)

    @rule(end=consumes(ends))
    def forget(self, end: End) -> None:
        """Stops using an end (it stays in the model): keeps the bundle small."""

    def _closed(self, end: End) -> None:
        end.open = False
        peer = end.peer
        assert peer is not None
        if not peer.open or end.rst_in:
            return
        if end.inbox:
            peer.rst_in = True     # closed with unread bytes: a reset, not a FIN
        elif not end.shut_send:
            peer.fin_in = True

    # -- invariants and the end ---------------------------------------------------------

    @invariant()
    def bounded(self) -> None:
        assert all(len(e.inbox) <= MAX_INFLIGHT * 8 for e in self.all_ends)

    def teardown(self) -> None:
        while ws.WSACleanup() == 0:   # the final cleanup closes what is left
            pass


MirrorMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

TestMirrorStateMachine = MirrorMachine.TestCase


@pytest.mark.skipif(not HAVE_PROC, reason="reads /proc")
def test_the_machine_leaves_no_descriptor_open() -> None:
    """After the machine's runs (and their final cleanups), no socket or
    eventfd of theirs is left in the process."""
    before = fd_kinds()
    machine_runs = 5
    for _ in range(machine_runs):
        state = MirrorMachine()
        state.start()
        state.new_pair()
        state.teardown()
    after = fd_kinds()
    assert after["socket"] <= before["socket"] and after["eventfd"] <= before["eventfd"]
