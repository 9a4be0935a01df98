"""Issue 12, items 1 and 2: a reply is bounded (max_size, the with block's
DEFAULT_EXIT_MAX_SIZE) and nothing received is lost when disconnect() fails
(.partial). The flood and partial-reply scenarios run in child processes
(tests/reply_child.py), each measuring its own peak RSS."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

import pytest
import reply_child

import portsock
from portsock import winsock as ws
from portsock.testing import ReplyAfterFinPeer

CHILD = os.path.abspath(reply_child.__file__)
MiB = 1 << 20
BUFFER_MIB = 16          # the largest receive buffer (_connection._LARGEST_DRAIN)
# Allocator and interpreter noise; tools/native_checks.sh widens it for the
# ASan build, whose quarantine keeps freed buffers resident.
SLACK_MIB = int(os.environ.get("PORTSOCK_RSS_SLACK_MIB", "8"))
TIME_SLACK = 2.0
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for RSS")


def _run(name: str) -> Dict[str, Any]:
    proc = subprocess.run([sys.executable, CHILD, name], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def outcomes() -> Dict[str, Dict[str, Any]]:
    # Two at a time: each flood moves gigabytes over loopback.
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(reply_child.SCENARIOS, pool.map(_run, reply_child.SCENARIOS)))


def _too_large(out: Dict[str, Any], max_size: int) -> None:
    assert out["raised"][:2] == ["ReplyTooLarge", "WinsockError"], out
    assert "OSError" in out["raised"]
    assert out["winerror"] == ws.WSAEMSGSIZE == 10040
    assert out["partial"] == {"len": max_size, "is_pattern": True}, out
    assert out["closed"]


def _flooded(out: Dict[str, Any], max_size: int) -> None:
    _too_large(out, max_size)
    assert out["peer"]["saw_reset"], out           # the misbehaving peer is reset


# -- item 1: bounded replies ----------------------------------------------------

def test_a_flood_after_the_fin_stops_at_max_size(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["flood_disconnect"]
    _flooded(out, 32 * MiB)
    assert out["peak_growth_mib"] <= 32 + BUFFER_MIB + SLACK_MIB, out


def test_a_flood_with_a_timeout_stops_at_max_size_first(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["flood_disconnect_timeout"]
    _flooded(out, 32 * MiB)
    assert out["seconds"] < 3
    assert out["peak_growth_mib"] <= 32 + BUFFER_MIB + SLACK_MIB, out


def test_a_flood_discarded_keeps_nothing_until_the_timeout(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["flood_discard_timeout"]
    assert out["raised"][0] == "WinsockTimeoutError" and out["winerror"] == ws.WSAETIMEDOUT
    assert out["partial"]["value"] == out["discarded"] > 32 * MiB
    assert 0.9 <= out["seconds"] < 1 + TIME_SLACK
    assert out["peak_growth_mib"] <= SLACK_MIB, out


def test_the_with_block_exit_is_bounded_by_default_exit_max_size(outcomes: Dict[str, Dict[str, Any]]) -> None:
    assert portsock.DEFAULT_EXIT_MAX_SIZE == 64 * MiB
    out = outcomes["flood_with_exit"]
    _flooded(out, portsock.DEFAULT_EXIT_MAX_SIZE)
    assert out["drained"] == {"len": portsock.DEFAULT_EXIT_MAX_SIZE, "is_pattern": True}
    assert out["peak_growth_mib"] <= 64 + BUFFER_MIB + SLACK_MIB, out


def test_the_with_block_exit_while_raising_keeps_the_block_exception(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["flood_with_exit_while_raising"]
    assert out["returned"] == {"value": "KeyError propagated"}, out
    assert out["drained"] == {"len": portsock.DEFAULT_EXIT_MAX_SIZE, "is_pattern": True}
    assert out["closed"] and out["peer"]["saw_reset"]
    assert out["peak_growth_mib"] <= 64 + BUFFER_MIB + SLACK_MIB, out


def test_max_size_is_exact(outcomes: Dict[str, Dict[str, Any]]) -> None:
    exact = outcomes["exact_max_size"]
    assert exact["returned"] == {"len": 300000, "is_pattern": True}, exact
    assert not exact["peer"]["saw_reset"]
    _too_large(outcomes["one_byte_over"], 299999)


# -- item 2: nothing lost on failure ------------------------------------------------

@pytest.mark.parametrize("name, size", [("partial_timeout_15k", 15000), ("partial_timeout_300k", 300000)])
def test_a_timed_out_disconnect_carries_what_it_received(outcomes: Dict[str, Dict[str, Any]], name: str,
                                                         size: int) -> None:
    out = outcomes[name]
    assert out["raised"][0] == "WinsockTimeoutError" and "TimeoutError" in out["raised"]
    assert out["partial"] == {"len": size, "is_pattern": True}, out
    assert 0.45 <= out["seconds"] < 0.5 + TIME_SLACK
    assert out["closed"]


def test_a_timed_out_with_block_keeps_the_partial_reply_in_drained(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["partial_with_exit"]
    assert out["raised"][0] == "WinsockTimeoutError"
    assert out["partial"] == out["drained"] == {"len": 15000, "is_pattern": True}


def test_a_reset_disconnect_carries_what_came_before_it(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["partial_reset"]
    assert out["raised"][0] == "WinsockConnectionResetError" and out["winerror"] == ws.WSAECONNRESET
    assert out["partial"] == {"len": 5000, "is_pattern": True}, out


def test_a_disconnect_closed_by_another_thread_carries_what_it_received(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["partial_closed_by_another_thread"]
    assert out["raised"][0] == "WinsockInterruptedError" and out["winerror"] == ws.WSAEINTR
    assert out["partial"] == {"len": 5000, "is_pattern": True}, out


def test_a_discarding_disconnect_carries_the_count(outcomes: Dict[str, Dict[str, Any]]) -> None:
    out = outcomes["partial_discard_timeout"]
    assert out["raised"][0] == "WinsockTimeoutError"
    assert out["partial"] == {"value": 15000} and out["discarded"] == 15000


# -- in process: the arguments, the class, the closed connection --------------------

def test_reply_too_large_is_a_winsock_error_with_wsaemsgsize() -> None:
    e = portsock.ReplyTooLarge(b"abc", 3)
    assert isinstance(e, portsock.WinsockError) and isinstance(e, OSError)
    assert e.winerror == ws.WSAEMSGSIZE and e.name == "WSAEMSGSIZE" and e.partial == b"abc"
    assert e.max_size == 3 and e.function == "disconnect"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is portsock.ReplyTooLarge and copy.partial == b"abc" and copy.winerror == 10040
    assert "10040" in repr(e) and "WSAEMSGSIZE" in repr(e)


def test_max_size_arguments() -> None:
    with ReplyAfterFinPeer(reply=b"12345") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        with pytest.raises(TypeError):
            conn.disconnect(max_size="10")
        with pytest.raises(TypeError):
            conn.disconnect(max_size=1.5)
        with pytest.raises(ValueError):
            conn.disconnect(max_size=-1)
        with pytest.raises(ValueError):
            conn.disconnect(max_size=10, discard=True)
        assert not conn.closed
        assert conn.disconnect(max_size=5) == b"12345"


def test_max_size_zero_takes_no_reply_at_all() -> None:
    with ReplyAfterFinPeer(reply=b"") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        assert conn.disconnect(max_size=0) == b""
    with ReplyAfterFinPeer(reply=b"x") as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        with pytest.raises(portsock.ReplyTooLarge) as info:
            conn.disconnect(max_size=0)
        assert info.value.partial == b"" and conn.closed


def test_disconnect_of_a_closed_connection_carries_an_empty_partial() -> None:
    with ReplyAfterFinPeer() as peer:
        conn = portsock.connect(*peer.address, timeout=5)
        conn.close()
        with pytest.raises(portsock.WinsockError) as info:
            conn.disconnect()
        assert info.value.winerror == ws.WSAENOTSOCK and info.value.partial == b""
        with pytest.raises(portsock.WinsockError) as info:
            conn.disconnect(discard=True)
        assert info.value.partial == 0
