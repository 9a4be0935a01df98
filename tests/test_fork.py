"""A forked child never disturbs the parent's sockets (FORK-1 in
docs/winsock-rules.md: the child closes, aborts, uses or cleans up inherited sockets
and nothing changes for the parent's sockets or its blocked calls, as with the
stdlib).

Each scenario runs in a process of its own (tests/fork_child.py), which forks
(os.fork, or multiprocessing's "fork" context) and reports as JSON; the
scenarios run in parallel. The peer is a stdlib socket, so what it sees is
what reached the wire.
"""

from __future__ import annotations

import childrun
import pytest
from leakcheck import HAVE_PROC

from portsock import winsock as ws

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason="fork, and the checks read /proc")

CHILD = "fork_child.py"
CHILD_TIMEOUT = 40.0


_start_children, child = childrun.scenarios(CHILD, CHILD_TIMEOUT)


IDLE = [
    "idle conn close fork",
    "idle conn abort fork",
    "idle conn cleanup fork",
    "idle conn recv fork",
    "idle mirror closesocket fork",
    "idle mirror cleanup fork",
    "idle mirror recv fork",
    "idle conn close mp",
    "idle mirror closesocket mp",
]


@pytest.mark.parametrize("scenario", IDLE)
def test_child_using_an_inherited_socket_leaves_the_parents_alone(scenario: str) -> None:
    """The parent's socket has waited once before the fork; the child closes,
    aborts, cleans up or uses its copy and exits. Then the parent's recv with a
    2 s timeout still waits and gets the peer's b"after" (sent 0.3 s later),
    later calls work, and the peer saw no FIN and no reset from the child."""
    out = child(scenario)
    assert out["wait_before_fork"][:2] == ["error", ws.WSAETIMEDOUT], out
    assert out["child"] == 0, out   # the child's own call did what it should
    assert out["peer_saw"] == "nothing", "the child's %s reached the peer: %r" % (scenario.split()[2], out)
    assert out["recv"][:2] != ["error", ws.WSAEINTR], \
        "the parent's recv failed at once with WSAEINTR (InterruptedError) after the child's %s: %r" % (
            scenario.split()[2], out)
    assert out["recv"] == ["data", "after"], out
    assert out["recv_seconds"] >= 0.25, out
    assert out["send"] == ["ok"] and out["peer_got"] == "data ping", out
    assert out["finish"] == ["data", ""], out   # the graceful disconnect
    assert out["peer_end"] == ["FIN"], out


BLOCKED = [
    "blocked conn close fork",
    "blocked conn abort fork",
    "blocked mirror closesocket fork",
    "blocked conn close mp",
]


@pytest.mark.parametrize("scenario", BLOCKED)
def test_parent_thread_blocked_across_the_fork_stays_blocked(scenario: str) -> None:
    """A parent thread is in recv (no timeout) when the process forks; the child
    closes its inherited copy and exits. The thread is still blocked 0.5 s
    later, then returns the bytes the peer sends."""
    out = child(scenario)
    assert out["blocked_before_fork"] is True, out
    assert out["child"] == 0, out
    assert out["result_after_child"] == [], "the child's close ended the parent's recv: %r" % (out,)
    assert out["blocked_after_child"] is True, out
    assert out["thread_done"] is True and out["recv"] == ["data", "data"], out
    assert out["peer_saw"] == "nothing", out
    assert out["finish"] == ["data", ""], out
    assert out["peer_end"] == ["FIN"], out


PARENT_CLOSE = [
    "parent_close conn fork",
    "parent_close mirror fork",
    "parent_close conn mp",
]


@pytest.mark.parametrize("scenario", PARENT_CLOSE)
def test_close_in_the_parent_still_wakes_a_blocked_parent_thread(scenario: str) -> None:
    """After a fork, and while the child still holds its copy, closing in the
    parent wakes the parent's thread blocked in recv with WSAEINTR
    (InterruptedError, winerror 10004 for a Connection)."""
    out = child(scenario)
    assert out["blocked_before_close"] is True, out
    assert out["recv"] is not None, "the parent's close did not wake its blocked recv within 1 s: %r" % (out,)
    assert out["recv"][:2] == ["error", ws.WSAEINTR], out
    if scenario.split()[1] == "conn":
        assert "InterruptedError" in out["recv"][2], out
    assert out["woke_seconds"] < 1.0, out
    assert out["child_alive_at_wake"] is True, out   # woken by the close, not by the child's exit
    assert out["child"] == 0, out
    assert out["peer_saw"] == "FIN", out   # once the child is gone too, the connection ends
