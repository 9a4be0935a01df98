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

_SELECT_STARTUP_REASON = (
    "Every Winsock call before WSAStartup fails with WSANOTINITIALISED on Windows, select and "
    "WSAPoll included; Wine 8 judges the handle instead (WSAENOTSOCK).")
_SELECT_STARTUP_SOURCE = (
    "SEMANTICS.md, select: 'before startup, after the final cleanup' (MS docs, select and WSAPoll: "
    "WSANOTINITIALISED, 'A successful WSAStartup call must occur before using this function')")
_POLL_EVENTS_REASON = (
    "Windows' WSAPoll fails with WSAEINVAL when an entry's events hold anything but POLLRDNORM, "
    "POLLRDBAND and POLLWRNORM (POLLPRI is refused by the Microsoft provider); Wine 8 ignores "
    "such flags and polls.")
_POLL_EVENTS_SOURCE = (
    "MS docs, WSAPOLLFD and WSAPoll remarks ('Any other values are considered errors and WSAPoll "
    "will return SOCKET_ERROR ... WSAEINVAL'; 'If the POLLPRI flag is set ... the WSAPoll function "
    "will fail'); seen on Windows 7 in alanxz/rabbitmq-c#257 and dolphin-emu/dolphin#3316")

WINE_DIFFERENCES: List[WineDifference] = [
    WineDifference(
        "select_before_startup", 1, "select 0 0x30 - -",
        wine={"ret": -1, "err": 10038}, windows={"ret": -1, "err": 10093},
        reason=_SELECT_STARTUP_REASON, source=_SELECT_STARTUP_SOURCE),
    WineDifference(
        "select_before_startup", 2, "wsapoll 0 0x30 in",
        wine={"ret": -1, "err": 10038}, windows={"ret": -1, "err": 10093},
        reason=_SELECT_STARTUP_REASON, source=_SELECT_STARTUP_SOURCE),
    WineDifference(
        "wsapoll_negative_fd", 4, "revents 1",
        wine={"ret": 4, "err": 0}, windows={"ret": 0, "err": 0},
        reason=("WSAPoll ignores an entry whose fd is negative (INVALID_SOCKET among them) and "
                "clears its revents on Windows; Wine 8 takes it for a bad handle (POLLNVAL)."),
        source="MS docs, WSAPOLLFD: fd 'is ignored if set to a negative value'; SEMANTICS.md, WSAPoll"),
    WineDifference(
        "wsapoll_events_not_allowed", 3, "wsapoll 0 U pri",
        wine={"ret": 0, "err": 0}, windows={"ret": -1, "err": 10022},
        reason=_POLL_EVENTS_REASON, source=_POLL_EVENTS_SOURCE),
    WineDifference(
        "wsapoll_events_not_allowed", 4, "wsapoll 0 U out+wrband",
        wine={"ret": 1, "err": 0}, windows={"ret": -1, "err": 10022},
        reason=_POLL_EVENTS_REASON, source=_POLL_EVENTS_SOURCE),
    WineDifference(
        "wsapoll_connect_refused", 6, "revents 1",
        wine={"ret": 1, "err": 0}, windows={"ret": 19, "err": 0},
        reason=("A non-blocking connect that fails shows in WSAPoll as POLLHUP | POLLERR | "
                "POLLWRNORM (19, with POLLWRNORM asked for) on current Windows; Wine 8 gives "
                "POLLERR alone."),
        source=("MS docs, WSAPoll: 'As of Windows 10 version 2004, when a TCP socket fails to "
                "connect, (POLLHUP | POLLERR | POLLWRNORM) is indicated' (older versions reported "
                "nothing: daniel.haxx.se, 'WSAPoll is broken', 2012); SEMANTICS.md, WSAPoll")),
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


# ---- the Python suite under Wine (tools/windows_python.py) ------------------------------------
# Tests of the Python suite that assert Windows' value where Wine 8 gives another. Under Wine
# (a Windows Python, sys.platform "win32", whose ntdll has wine_get_version) tests/conftest.py
# marks each: "differs" is a strict xfail on AssertionError (the test still asserts Windows'
# value, so a Wine that comes to agree turns it into a failure, and the entry must go); "hangs"
# is a skip, for a Wine call that never returns, which no timeout inside the test can end.

class SuiteDifference(NamedTuple):
    test: str      # node id under tests/, parameters included, or a test function for all of them
    kind: str      # "differs" or "hangs"
    wine: str      # what Wine 8 does
    windows: str   # what Windows does, and the test asserts
    reason: str
    source: str


_WAITALL_SOURCE = ("MS docs, recv, MSG_WAITALL: 'if MSG_WAITALL is specified along with MSG_OOB, "
                   "MSG_PEEK, or MSG_PARTIAL, then this call will fail with WSAEOPNOTSUPP'")
_NAMELEN_SOURCE = ("MS docs, connect: WSAEFAULT 'The sockaddr structure pointed to by the name "
                   "contains incorrect address format for the associated address family or the "
                   "namelen parameter is too small'")

SUITE_DIFFERENCES: List[SuiteDifference] = [
    SuiteDifference(
        "test_fast_paths.py::test_recv_bytearray_matches_the_checked_path", "hangs",
        wine="recv(s, buf, 1, 0xFFFFFFFF) on a connection with data waiting never returns, "
             "SO_RCVTIMEO (3 s) notwithstanding",
        windows="SOCKET_ERROR, WSAEOPNOTSUPP (MSG_WAITALL with MSG_OOB and MSG_PEEK)",
        reason="Wine 8 does not refuse MSG_WAITALL combined with MSG_OOB/MSG_PEEK, and its "
               "out-of-band wait ignores the receive timeout",
        source=_WAITALL_SOURCE + "; seen under Wine 8.0 with a mingw program: flags 1 and 9 "
               "time out after SO_RCVTIMEO, 0xFFFFFFFF blocks for good"),
    SuiteDifference(
        "test_fast_paths.py::test_connect_getaddrinfo_address_and_a_built_one_match", "hangs",
        wine="connect(s, sockaddr_in or sockaddr_in6, 0) returns 0 without connecting; the test's accept of "
             "that connection then waits for good",
        windows="SOCKET_ERROR, WSAEFAULT (namelen too small)",
        reason="Wine 8 takes namelen 0 for 'no address' and reports success",
        source=_NAMELEN_SOURCE + "; seen under Wine 8.0 with a mingw program: namelen 16 "
               "connects, 15 and 8 give WSAEADDRNOTAVAIL, 0 gives 0 and nothing reaches the "
               "listener"),
]
