"""Bounded replies and partial replies, each scenario in a child process of
its own (tests/test_bounded_replies.py runs them), so that its peak RSS is its
own and a flood that escaped its bound cannot take the test run with it.

    python tests/reply_child.py SCENARIO

The child plays the client against a scripted peer (a thread of its own) and
prints one JSON line: what was raised (class names of its MRO, winerror,
partial's length and whether it is the peer's pattern), what was returned or
drained, the peer's report, the seconds taken, and the growth of its peak RSS
over the RSS it had before the scenario (MiB)."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, Dict

import portsock
from portsock.testing import FloodPeer, Peer, ReplyAfterFinPeer, pattern

MiB = 1 << 20


def _status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process's memory, in MiB. Not
    getrusage's ru_maxrss: on Linux that keeps the peak of the process image
    exec replaced (the parent's, when it was spawned by a large pytest)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no %s in /proc/self/status" % field)


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _peak_mib() -> float:
    return _status_mib("VmHWM")


def _flood_disconnect(conn: portsock.Connection) -> Any:
    return conn.disconnect(max_size=32 * MiB)


def _flood_disconnect_timeout(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=3, max_size=32 * MiB)


def _flood_discard_timeout(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=1, discard=True)


def _flood_with_exit(conn: portsock.Connection) -> Any:
    with conn:
        conn.sendall(b"request")


def _flood_with_exit_while_raising(conn: portsock.Connection) -> Any:
    try:
        with conn:
            raise KeyError("the block's own")
    except KeyError:
        return "KeyError propagated"


def _partial_timeout(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=0.5)


def _partial_with_exit(conn: portsock.Connection) -> Any:
    conn.settimeout(0.5)
    with conn:
        pass


def _partial_reset(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=10)


def _partial_closed_by_another_thread(conn: portsock.Connection) -> Any:
    threading.Timer(0.5, conn.close).start()
    return conn.disconnect(timeout=10)


def _partial_discard_timeout(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=0.5, discard=True)


def _exact_max_size(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=10, max_size=300000)


def _one_byte_over(conn: portsock.Connection) -> Any:
    return conn.disconnect(timeout=10, max_size=299999)


# name: (peer factory, what the client does after sending b"request")
SCENARIOS: Dict[str, Any] = {
    "flood_disconnect": (lambda: FloodPeer(), _flood_disconnect),
    "flood_disconnect_timeout": (lambda: FloodPeer(), _flood_disconnect_timeout),
    "flood_discard_timeout": (lambda: FloodPeer(), _flood_discard_timeout),
    "flood_with_exit": (lambda: FloodPeer(), _flood_with_exit),
    "flood_with_exit_while_raising": (lambda: FloodPeer(before_fin=True), _flood_with_exit_while_raising),
    "partial_timeout_15k": (lambda: ReplyAfterFinPeer(reply=15000, then="stall"), _partial_timeout),
    "partial_timeout_300k": (lambda: ReplyAfterFinPeer(reply=300000, then="stall"), _partial_timeout),
    "partial_with_exit": (lambda: ReplyAfterFinPeer(reply=15000, then="stall"), _partial_with_exit),
    "partial_reset": (lambda: ReplyAfterFinPeer(reply=5000, delay=0.3, then="reset"), _partial_reset),
    "partial_closed_by_another_thread": (lambda: ReplyAfterFinPeer(reply=5000, then="stall"),
                                         _partial_closed_by_another_thread),
    "partial_discard_timeout": (lambda: ReplyAfterFinPeer(reply=15000, then="stall"), _partial_discard_timeout),
    "exact_max_size": (lambda: ReplyAfterFinPeer(reply=300000), _exact_max_size),
    "one_byte_over": (lambda: ReplyAfterFinPeer(reply=300000), _one_byte_over),
}


def _describe_bytes(data: Any) -> Dict[str, Any]:
    if isinstance(data, bytes):
        return {"len": len(data), "is_pattern": data == pattern(len(data))}
    return {"value": data}


def run(name: str) -> Dict[str, Any]:
    make_peer, client = SCENARIOS[name]
    peer: Peer = make_peer()
    peer.timeout = 20.0
    peer.start()
    out: Dict[str, Any] = {}
    try:
        conn = portsock.connect(*peer.address, timeout=20)
        conn.sendall(b"request")
        rss_before = _rss_mib()
        started = time.monotonic()
        returned: Any = None
        error: Any = None
        try:
            returned = client(conn)
        except BaseException as e:   # noqa: B902 - the outcome under test
            error = e
        # Measured before anything else allocates (checking the pattern does).
        out["seconds"] = round(time.monotonic() - started, 3)
        out["peak_growth_mib"] = round(_peak_mib() - rss_before, 1)
        if error is None:
            out["returned"] = _describe_bytes(returned)
        else:
            out["raised"] = [k.__name__ for k in type(error).__mro__]
            out["winerror"] = getattr(error, "winerror", None)
            out["partial"] = _describe_bytes(getattr(error, "partial", None))
            out["message"] = str(error)[:200]
        del returned, error
        out["drained"] = _describe_bytes(conn.drained)
        out["discarded"] = conn.discarded
        out["closed"] = conn.closed
    finally:
        peer.stop()
    report = peer.report
    out["peer"] = {"saw_fin": report.saw_fin, "saw_reset": report.saw_reset,
                   "sent": getattr(peer, "sent", None)}
    return out


def main() -> int:
    print(json.dumps(run(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
