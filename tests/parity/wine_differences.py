"""Where Wine 8 is not Windows: the one table of declared differences.

Windows' expected trace for a scenario is the raw Winsock trace under Wine with
these entries substituted. Each entry names the scenario, the step (1-based,
i.e. the trace line; `op` repeats the step's text so a moved step cannot go
unnoticed), what Wine gives, what Windows gives, why, and the source.

tests/test_parity.py checks that every entry still occurs under Wine, so the
table cannot go stale; the core's Windows backend under Wine is a pass-through
and is compared to the raw Wine trace, differences included.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple


class WineDifference(NamedTuple):
    scenario: str
    step: int
    op: str
    wine: Dict[str, Any]       # {"ret": ..., "err": ...} that Wine 8 gives
    windows: Dict[str, Any]    # {"ret": ..., "err": ...} that Windows gives
    reason: str
    source: str


_CLEANUP_LAST_ERROR = (
    "A successful WSACleanup sets the last error to 0 on Windows; Wine 8 leaves it as it was "
    "(after the final cleanup, with the error its internal handle closing left behind).")
_CLEANUP_SOURCE = (
    "SEMANTICS.md, Startup and cleanup: 'startup twice, cleanup twice'; Wine "
    "dlls/ws2_32/tests/protocol.c test_startup: WSASetLastError(0xdeadbeef); WSACleanup(); "
    "todo_wine ok(!WSAGetLastError()), after both cleanups")
_RESET_REASON = (
    "recv on a connection the peer reset (SO_LINGER {1,0} then closesocket) fails with "
    "WSAECONNRESET on Windows; Wine 8 reports a graceful end of stream instead.")
_RESET_SOURCE = ("SEMANTICS.md, Resets: 'recv after the peer's abortive close' "
                 "(Wine dlls/ws2_32/tests/sock.c:10682-10694)")
_GAI_REASON = (
    "Windows' getaddrinfo fails with WSANOTINITIALISED without a WSAStartup, like every Winsock "
    "call; Wine 8 resolves the name anyway.")
_GAI_SOURCE = (
    "SEMANTICS.md, Startup and cleanup: 'any socket call before startup or after the final "
    "cleanup' (MS docs, WSAStartup: it must be the first Windows Sockets function called); "
    "seen on real Windows but not under Wine in bitcoin-cash-node commit 1fc367e5 (a getaddrinfo "
    "before WSAStartup)")

WINE_DIFFERENCES: List[WineDifference] = [
    WineDifference(
        "before_startup", 3, "getaddrinfo 127.0.0.1 NULL inet stream 0",
        wine={"ret": 0, "err": 0}, windows={"ret": 10093, "err": 10093},
        reason=_GAI_REASON, source=_GAI_SOURCE),
    WineDifference(
        "after_final_cleanup", 4, "getaddrinfo 127.0.0.1 NULL inet stream 0",
        wine={"ret": 0, "err": 0}, windows={"ret": 10093, "err": 10093},
        reason=_GAI_REASON, source=_GAI_SOURCE),
    WineDifference(
        "startup_reference_count", 6, "lasterror",
        wine={"ret": 10061, "err": 0}, windows={"ret": 0, "err": 0},
        reason=_CLEANUP_LAST_ERROR, source=_CLEANUP_SOURCE),
    WineDifference(
        "startup_reference_count", 10, "lasterror",
        wine={"ret": 6, "err": 0}, windows={"ret": 0, "err": 0},
        reason=_CLEANUP_LAST_ERROR, source=_CLEANUP_SOURCE),
    WineDifference(
        "peer_reset_recv", 12, "recv C 512",
        wine={"ret": 0, "err": 0}, windows={"ret": -1, "err": 10054},
        reason=_RESET_REASON, source=_RESET_SOURCE),
    WineDifference(
        "abortive_close", 14, "recv S 512",
        wine={"ret": 0, "err": 0}, windows={"ret": -1, "err": 10054},
        reason=_RESET_REASON, source=_RESET_SOURCE),
    WineDifference(
        "close_while_blocked_recv", 13, "join",
        wine={"ret": -1, "err": 10022}, windows={"ret": -1, "err": 10004},
        reason=("closesocket in one thread makes a recv blocked on the same socket in another "
                "thread fail with WSAEINTR on Windows; Wine 8 fails it with WSAEINVAL."),
        source=("SEMANTICS.md, Resets: 'closesocket(s) while another thread is blocked' (MS docs, "
                "closesocket remarks); Windows Sockets 2 specification, 2.7 'Windows Sockets in "
                "Multithreaded Versions of Windows'")),
]


def by_step() -> Dict[tuple, WineDifference]:
    return {(d.scenario, d.step): d for d in WINE_DIFFERENCES}


def windows_expected(scenario: str, wine_trace: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Windows' trace for a scenario: Wine's, with the declared differences applied
    (only where Wine gives exactly the declared value, so a change in Wine shows)."""
    table = by_step()
    out = []
    for step, entry in enumerate(wine_trace, 1):
        d = table.get((scenario, step))
        if d is not None and {"ret": entry.get("ret"), "err": entry.get("err")} == d.wine:
            entry = dict(entry, **d.windows)
        out.append(entry)
    return out
