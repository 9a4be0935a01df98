"""One OS descriptor per socket (DESC-1 in docs/winsock-rules.md: "An open socket costs one OS
descriptor"), also once it has waited in a blocking call: whatever lets
closesocket wake a blocked call must not cost a descriptor per socket.

Each scenario runs in a process of its own (tests/descriptor_child.py), its
peer in another process, so that only the client's descriptors are counted;
the scenarios run in parallel.
"""

from __future__ import annotations

import childrun
import pytest
from leakcheck import HAVE_PROC

from portsock import winsock as ws

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason="the counts read /proc")

CHILD = "descriptor_child.py"
CHILD_TIMEOUT = 40.0


_start_children, child = childrun.scenarios(CHILD, CHILD_TIMEOUT)


@pytest.mark.parametrize("scenario", ["count conn", "count mirror"])
def test_each_socket_that_has_waited_costs_one_descriptor(scenario: str) -> None:
    """20 Connections (or mirror sockets with SO_RCVTIMEO), each after a recv
    that timed out and a recv that waited for data: exactly 20 more fds."""
    out = child(scenario)
    assert out["opened"] - out["before"] == out["n"], (
        "%d sockets hold %d descriptors (%r)" % (out["n"], out["opened"] - out["before"], out["kinds_while_open"]))
    assert out["after"] == out["before"], out


@pytest.mark.parametrize("scenario", ["rlimit"])
def test_descriptor_limit_is_reached_one_socket_per_descriptor(scenario: str) -> None:
    """RLIMIT_NOFILE 64: Connections that each waited once open until
    WSAEMFILE (a WinsockError); nearly every free descriptor holds one; closing
    them gives every descriptor back, and connecting works again."""
    out = child(scenario)
    failure = out["failure"]
    assert failure is not None, out
    assert "OSError" in failure["is"] and failure["winerror"] == ws.WSAEMFILE, out
    want = out["limit"] - out["start"] - 4
    assert out["opened"] >= want, (
        "only %d Connections under RLIMIT_NOFILE %d with %d fds open at start (want >= %d)"
        % (out["opened"], out["limit"], out["start"], want))
    assert out["after"] == out["start"], out
    assert out["again"] == "ok", out


@pytest.mark.parametrize("scenario", ["close_wakes conn", "close_wakes mirror"])
def test_close_while_blocked_wakes_and_leaves_no_descriptor(scenario: str) -> None:
    out = child(scenario)
    assert out["blocked"] is True, out
    assert out["woke"] is True and out["woke_seconds"] < 2.0, out
    if scenario.endswith("conn"):
        result = out["result"]
        assert isinstance(result, dict) and "InterruptedError" in result["is"], out
        assert result["winerror"] == ws.WSAEINTR, out
    else:
        assert out["result"] == [ws.SOCKET_ERROR, ws.WSAEINTR], out
    assert out["after"] == out["before"], out
