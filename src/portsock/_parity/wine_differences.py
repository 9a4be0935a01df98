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

from typing import Any, Dict, List, NamedTuple, Optional, Tuple


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
    "docs/winsock-rules.md, START-6; Wine "
    "dlls/ws2_32/tests/protocol.c test_startup: WSASetLastError(0xdeadbeef); WSACleanup(); "
    "todo_wine ok(!WSAGetLastError()), after both cleanups")
_RESET_REASON = (
    "recv on a connection the peer reset (SO_LINGER {1,0} then closesocket) fails with "
    "WSAECONNRESET on Windows; Wine 8 reports a graceful end of stream instead.")
_RESET_SOURCE = "docs/winsock-rules.md, RESET-1 (Wine dlls/ws2_32/tests/sock.c:10682-10694)"
_GAI_REASON = (
    "Windows' getaddrinfo fails with WSANOTINITIALISED without a WSAStartup, like every Winsock "
    "call; Wine 8 resolves the name anyway.")
_GAI_SOURCE = (
    "docs/winsock-rules.md, START-8 (MS docs, WSAStartup: it must be the first Windows Sockets "
    "function called); "
    "seen on real Windows but not under Wine in bitcoin-cash-node commit 1fc367e5 (a getaddrinfo "
    "before WSAStartup)")

_SELECT_STARTUP_REASON = (
    "Every Winsock call before WSAStartup fails with WSANOTINITIALISED on Windows, select and "
    "WSAPoll included; Wine 8 judges the handle instead (WSAENOTSOCK).")
_SELECT_STARTUP_SOURCE = (
    "docs/winsock-rules.md, SEL-13 and POLL-11 (MS docs, select and WSAPoll: WSANOTINITIALISED, "
    "'A successful WSAStartup call must occur before using this function')")
_POLL_EVENTS_REASON = (
    "Windows' WSAPoll fails with WSAEINVAL when an entry's events hold anything but POLLRDNORM, "
    "POLLRDBAND and POLLWRNORM (POLLPRI is refused by the Microsoft provider); Wine 8 ignores "
    "such flags and polls.")
_POLL_EVENTS_SOURCE = (
    "MS docs, WSAPOLLFD and WSAPoll remarks ('Any other values are considered errors and WSAPoll "
    "will return SOCKET_ERROR ... WSAEINVAL'; 'If the POLLPRI flag is set ... the WSAPoll function "
    "will fail'); seen on Windows 7 in alanxz/rabbitmq-c#257 and dolphin-emu/dolphin#3316; "
    "docs/winsock-rules.md, POLL-4")

_RESOLVER_STARTUP_REASON = (
    "Winsock's resolver calls fail with WSANOTINITIALISED before WSAStartup, as every Winsock call "
    "does (gethostbyname does so under Wine too); Wine 8 answers gethostbyaddr, getservbyname, "
    "getservbyport, gethostname and getnameinfo anyway.")
_RESOLVER_STARTUP_SOURCE = (
    "MS docs, gethostbyaddr, getservbyname, getservbyport and gethostname: WSANOTINITIALISED, 'A "
    "successful WSAStartup call must occur before using this function'; getnameinfo follows "
    "getaddrinfo (docs/winsock-rules.md, RES-6 and START-8)")
_GNI_SHORT_REASON = (
    "getnameinfo with a buffer too small for the text returns WSAEFAULT on Windows; Wine 8 returns "
    "the host's untranslated EAI_OVERFLOW (-12 on Linux), no Winsock code at all.")
_GNI_SHORT_SOURCE = ("MS docs, getnameinfo: the return values are WSA codes (EAI_* map to them; "
                     "Winsock's EAI_OVERFLOW is WSAEFAULT, ws2tcpip.h); docs/winsock-rules.md, RES-9")
_DISCONNECT_DATA_REASON = (
    "WSASendDisconnect with disconnect data (a non-NULL lpOutboundDisconnectData) fails with "
    "WSAENOPROTOOPT on Windows, whose TCP/IP provider has no disconnect data, and shuts nothing down; "
    "Wine 8 ignores the data and shuts the socket down for sending.")
_DISCONNECT_DATA_SOURCE = (
    "MS docs, WSASendDisconnect: WSAENOPROTOOPT 'The parameter lpOutboundDisconnectData is not NULL, "
    "and the disconnect data is not supported by the service provider'; remarks: 'The native "
    "implementation of TCP/IP on Windows does not support disconnect data'")

WINE_DIFFERENCES: List[WineDifference] = [
    WineDifference(
        "resolver_before_startup", 2, "gethostbyaddr 127.0.0.1 4 inet",
        wine={"ret": "HOSTENT", "err": 0}, windows={"ret": "NULL", "err": 10093},
        reason=_RESOLVER_STARTUP_REASON, source=_RESOLVER_STARTUP_SOURCE),
    WineDifference(
        "resolver_before_startup", 3, "getservbyname http tcp",
        wine={"ret": "SERVENT", "err": 0}, windows={"ret": "NULL", "err": 10093},
        reason=_RESOLVER_STARTUP_REASON, source=_RESOLVER_STARTUP_SOURCE),
    WineDifference(
        "resolver_before_startup", 4, "getservbyport 80 tcp",
        wine={"ret": "SERVENT", "err": 0}, windows={"ret": "NULL", "err": 10093},
        reason=_RESOLVER_STARTUP_REASON, source=_RESOLVER_STARTUP_SOURCE),
    WineDifference(
        "resolver_before_startup", 5, "gethostname 256",
        wine={"ret": 0, "err": 0}, windows={"ret": -1, "err": 10093},
        reason=_RESOLVER_STARTUP_REASON, source=_RESOLVER_STARTUP_SOURCE),
    WineDifference(
        "resolver_before_startup", 6, "getnameinfo 127.0.0.1 80 64 32 numerichost+numericserv",
        wine={"ret": 0, "err": 0}, windows={"ret": 10093, "err": 10093},
        reason=_RESOLVER_STARTUP_REASON, source=_RESOLVER_STARTUP_SOURCE),
    WineDifference(
        "gethostbyaddr_loopback", 7, "gethostbyaddr 127.0.0.1 3 inet",
        wine={"ret": "NULL", "err": 10047}, windows={"ret": "NULL", "err": 10014},
        reason=("gethostbyaddr with a len shorter than the type's address (4 for AF_INET) fails "
                "with WSAEFAULT on Windows; Wine 8 reports WSAEAFNOSUPPORT, the code for a type it "
                "does not support."),
        source=("MS docs, gethostbyaddr: WSAEFAULT 'The addr parameter is not a valid part of the "
                "user address space, or the len parameter is too small'")),
    WineDifference(
        "getnameinfo_errors", 2, "getnameinfo 127.0.0.1 80 5 32 numerichost+numericserv",
        wine={"ret": -12, "err": -12}, windows={"ret": 10014, "err": 10014},
        reason=_GNI_SHORT_REASON, source=_GNI_SHORT_SOURCE),
    WineDifference(
        "getnameinfo_errors", 3, "getnameinfo 127.0.0.1 80 64 2 numerichost+numericserv",
        wine={"ret": -12, "err": -12}, windows={"ret": 10014, "err": 10014},
        reason=_GNI_SHORT_REASON, source=_GNI_SHORT_SOURCE),
    WineDifference(
        "getnameinfo_errors", 4, "getnameinfo 127.0.0.1 80 NULL NULL 0",
        wine={"ret": 0, "err": 0}, windows={"ret": 11001, "err": 11001},
        reason=("getnameinfo asked for neither a host nor a service (both buffers NULL) returns "
                "WSAHOST_NOT_FOUND (EAI_NONAME) on Windows; Wine 8 succeeds and writes nothing."),
        source=("MS docs, getnameinfo: EAI_NONAME / WSAHOST_NOT_FOUND, 'the pNodeBuffer and "
                "pServiceBuffer parameters were not provided'")),
    WineDifference(
        "wsa_disconnect_rules", 17, "wsasenddisconnect C data",
        wine={"ret": 0, "err": 0}, windows={"ret": -1, "err": 10042},
        reason=_DISCONNECT_DATA_REASON, source=_DISCONNECT_DATA_SOURCE),
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
        source="MS docs, WSAPOLLFD: fd 'is ignored if set to a negative value'; docs/winsock-rules.md, POLL-5"),
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
                "nothing: daniel.haxx.se, 'WSAPoll is broken', 2012); docs/winsock-rules.md, POLL-8")),
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
        source=("docs/winsock-rules.md, CLOSE-1 (MS docs, closesocket remarks); Windows Sockets 2 "
                "specification, 2.7 'Windows Sockets in Multithreaded Versions of Windows'")),
]


def by_step() -> Dict[Tuple[str, int], WineDifference]:
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


# --------------------------------------------------------------------------
# FormatMessageA's texts: the shim's windows.h (tests/test_shim.py runs
# tests/native/winapi_shim.c on Linux and under Wine; every other line of its
# output is the same in both).

class WineMessage(NamedTuple):
    code: int
    wine: Optional[str]    # Wine 8's text, without its "\r\n"; None: Wine has none (0, last error 317)


MESSAGE_REASON = (
    "FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, ...) gives the text of Windows' system message "
    "table: for a Winsock code the one csrc/errmap.c holds, for the Win32 codes the one "
    "csrc/posix_winapi.c holds. Wine 8's table has shorter texts of its own, and none at all "
    "for most Winsock codes (0 with ERROR_MR_MID_NOT_FOUND).")
MESSAGE_SOURCE = (
    "Windows' texts as CPython on Windows reports them, its OSError.strerror being FormatMessageW's "
    "('[WinError 10054] An existing connection was forcibly closed by the remote host', "
    "'[WinError 10061] No connection could be made because the target machine actively refused it', "
    "'[WinError 10060] A connection attempt failed because the connected party did not properly "
    "respond after a period of time, or established connection failed because connected host has "
    "failed to respond', '[WinError 10035] A non-blocking socket operation could not be completed "
    "immediately'), and the MessageText of winerror.h for ERROR_SUCCESS, ERROR_INVALID_HANDLE and "
    "ERROR_INVALID_PARAMETER; Wine's are in its dlls/kernelbase/winerror.mc")

WINE_MESSAGE_DIFFERENCES: List[WineMessage] = [
    WineMessage(10054, "Connection reset by peer."),
    WineMessage(10061, "Connection refused."),
    WineMessage(10060, None),
    WineMessage(11001, "Host not found."),
    WineMessage(10035, None),
    WineMessage(10038, None),
    WineMessage(10093, None),
    WineMessage(0, "Success."),
    WineMessage(6, "Invalid handle."),
    WineMessage(87, "Invalid parameter."),
    # the codes only the corpus's format_message.c prints
    WineMessage(10004, "Call interrupted."),
    WineMessage(10014, "Invalid pointer address."),
    WineMessage(10022, "Invalid argument."),
    WineMessage(10048, None),
    WineMessage(10053, None),
    WineMessage(10057, None),
]
# The corpus (tests/corpus/*.c, compared by tests/test_corpus.py): whole lines
# of a program's output, where Wine 8 prints something else than Windows.

class CorpusDifference(NamedTuple):
    program: str       # tests/corpus/<program>.c
    line: int          # 1-based line of its output
    wine: str          # what Wine 8 prints there
    windows: str       # what Windows prints there
    reason: str
    source: str


_NO_MESSAGE = "(FormatMessage failed with error 317)"


def windows_message(code: int) -> Optional[str]:
    """Windows' text for a Winsock code, from the core's table (csrc/errmap.c);
    None for a code the table does not hold."""
    from portsock._core import ffi, lib

    raw = lib.ps_wsa_message(code)
    return None if raw == ffi.NULL else ffi.string(raw).decode()


def _format_message(line: int, what: str, code: int) -> CorpusDifference:
    """A line of format_message.c's output, `what: error code: text` (or Wine's
    failure to find a text): Wine's text from WINE_MESSAGE_DIFFERENCES, the one
    table of them, Windows' from the core's (csrc/errmap.c)."""
    def text(message: str) -> str:
        if message == _NO_MESSAGE:
            return "%s: error %d %s" % (what, code, message)
        return "%s: error %d: %s" % (what, code, message)
    wine = next(m.wine for m in WINE_MESSAGE_DIFFERENCES if m.code == code)
    windows = windows_message(code)
    assert windows is not None, "the core's table has no text for %d" % code
    return CorpusDifference("format_message", line, text(_NO_MESSAGE if wine is None else wine), text(windows),
                            MESSAGE_REASON, MESSAGE_SOURCE)


CORPUS_DIFFERENCES: List[CorpusDifference] = [
    _format_message(line, what, code) for line, what, code in [
        (1, "socket before WSAStartup", 10093), (2, "send on a closed socket", 10038),
        (3, "connect to a closed port", 10061)] + [
        (line, "code %d" % code, code) for line, code in enumerate(
            (10004, 10014, 10022, 10035, 10038, 10048, 10053, 10054, 10057, 10060, 10061, 11001), 4)]
]


def corpus_windows_expected(program: str, wine_lines: List[str]) -> List[str]:
    """Windows' output of a corpus program: Wine's lines, each declared difference
    applied where Wine printed exactly the declared line (so a change in Wine shows)."""
    table = {(d.program, d.line): d for d in CORPUS_DIFFERENCES}
    out = []
    for number, text in enumerate(wine_lines, 1):
        d = table.get((program, number))
        out.append(d.windows if d is not None and text == d.wine else text)
    return out


# ---- the Python suite under Wine (tools/windows_python.py) ------------------------------------
# Tests of the Python suite that assert Windows' value where Wine 8 gives another. Under Wine
# (a Windows Python, sys.platform "win32", whose ntdll has wine_get_version) tests/conftest.py
# marks each: "differs" is a strict xfail on AssertionError or pytest.raises' "DID NOT RAISE"
# (the test still asserts Windows'
# value, so a Wine that comes to agree turns it into a failure, and the entry must go); "hangs"
# is a skip, for a Wine call that never returns, which no timeout inside the test can end.

class SuiteDifference(NamedTuple):
    test: str      # node id under tests/, parameters included, or a test function for all of them
    kind: str      # "differs", "hangs", or "may differ" (a randomized test that meets it only
                   # when its draw reaches the call: a non-strict xfail)
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


# ---- the rest of the Python suite under Wine (triage of tools/windows_python.py's run) -------
# Each group: the tests (node ids under tests/) where Wine 8.0 was seen doing the same thing,
# what it does, what Windows does (what the test asserts), why and the source. "Seen under Wine
# 8.0" means: in the suite's own run under a Windows CPython (tools/windows_python.py).

def _suite_group(tests: List[str], wine: str, windows: str, reason: str, source: str,
                 kind: str = "differs") -> List[SuiteDifference]:
    return [SuiteDifference(test, kind, wine, windows, reason, source) for test in tests]


_SEEN = "; seen under Wine 8.0 in the suite"
# Which of the two a run of the suite meets depends on when Wine's server
# notices the reset: these tests passed in one full run and failed in the next.
_RESET_TIMING = (" Which answer a given run gets from Wine 8 depends on timing, so these are "
                 "non-strict xfails.")
_NOT_STARTED_REASON = (
    "Every Winsock call but WSAStartup fails with WSANOTINITIALISED while the process's startup "
    "count is 0; Wine 8 checks the count in socket()/WSASocket only, and judges a handle or an "
    "argument first elsewhere (WSAENOTSOCK, WSAEFAULT), or answers the resolver calls anyway.")
_NOT_STARTED_SOURCE = (
    "docs/winsock-rules.md, START-8 (MS docs, WSAStartup: it must be the first Windows Sockets "
    "function called; each call's page lists WSANOTINITIALISED 'A successful WSAStartup call must "
    "occur before using this function')" + _SEEN)
_NULL_CRASH_REASON = (
    "gethostbyaddr(NULL, ...) and getnameinfo(NULL, ...) fail with WSAEFAULT on Windows (ws2_32 "
    "guards its pointer arguments); Wine 8 dereferences the NULL and the process dies with an "
    "access violation (0xC0000005), before startup too.")
_NULL_CRASH_SOURCE = ("MS docs, gethostbyaddr and getnameinfo: WSAEFAULT for an invalid addr/pSockaddr "
                      "parameter; tests/badinput_child.py's rows" + _SEEN + " (the child's exit status "
                      "-1073741819)")
_ARGS_REASON = (
    "ws2_32 on Windows refuses these arguments with the code the test asserts (docs/winsock-rules.md "
    "and tests/badinput_child.py give each row's source); Wine 8 judges them otherwise: it passes "
    "unknown flag bits and lengths on to the host's calls, which accept them or fail with the "
    "host's own reason.")
_ARGS_SOURCE = ("MS docs of each call (send/recv: WSAEOPNOTSUPP for flags the socket does not take; "
                "sendto/connect/bind/setsockopt: WSAEFAULT for a negative or too small length; "
                "getaddrinfo: WSAEINVAL (EAI_BADFLAGS) for unknown ai_flags; WSASendDisconnect: "
                "WSAENOPROTOOPT for disconnect data on TCP)" + _SEEN)
_RESOLVER_REASON = (
    "Windows' resolver calls give the Winsock codes the tests assert: WSAEFAULT for a short "
    "buffer or a NULL name, EAI_NONAME (11001) for getnameinfo without host and service, "
    "WSAEFAULT for an address shorter than its family's; Wine 8 resolves type-0 families, leaks "
    "the host's EAI_OVERFLOW (-12) for a short buffer, and succeeds where Windows refuses.")
_RESOLVER_SOURCE = ("docs/winsock-rules.md, the resolver rules (MS docs, getnameinfo: WSAEFAULT 'the "
                    "pNodeBuffer or pServiceBuffer was too small'; EAI_NONAME for both NULL; "
                    "getservbyname, gethostbyaddr: WSAEFAULT)" + _SEEN)
_SEND_NOT_WOKEN_REASON = (
    "closesocket in one thread ends a send (or the layer's wait) blocked on that socket in another "
    "thread with WSAEINTR on Windows; under Wine 8 the blocked send is never woken (the thread "
    "is still in it 5 s later), and the Pythonic layer's wait ends with WSAENOTSOCK from its next "
    "call on the closed handle.")
_SEND_NOT_WOKEN_SOURCE = (
    "docs/winsock-rules.md, CLOSE-1 (MS docs, closesocket remarks: blocking calls pending on the "
    "socket in other threads are canceled, WSAEINTR); Windows Sockets 2 specification, 2.7" + _SEEN)
_WSAPOLL_REASON = (
    "WSAPoll on Windows refuses events its provider does not take (POLLPRI and the like) with "
    "WSAEINVAL, clears revents of an entry with a negative fd, and reports a failed connect as "
    "POLLHUP|POLLERR|POLLWRNORM; Wine 8 accepts the events, leaves the negative entry's revents "
    "(POLLNVAL), and reports a failed connect as POLLERR alone.")
_WSAPOLL_SOURCE = ("docs/winsock-rules.md, the WSAPoll rules (MS docs, WSAPoll: WSAEINVAL 'an invalid "
                   "parameter was passed'; 'if fd is set to a negative value, the structure is "
                   "ignored and revents is cleared'; POLLHUP and POLLERR after a failed connect)"
                   + _SEEN)
_WSA_CALLS_REASON = (
    "WSASend/WSASendTo on Windows take any number of buffers as one send (one datagram), refuse "
    "flags they do not know (WSAEOPNOTSUPP) and disconnect data on TCP; WSAIoctl writes "
    "lpcbBytesReturned only on success. Wine 8 hands the buffers to the host's sendmsg, which "
    "fails past IOV_MAX, passes unknown flags and WSASendDisconnect's data through, and writes "
    "the count on failure.")
_WSA_CALLS_SOURCE = ("docs/porting.md section 10 and docs/winsock-rules.md, the WSA-* rules (MS docs, "
                     "WSASend, WSASendTo, WSASendDisconnect, WSAIoctl)" + _SEEN)
_FORGED_IOCTL_REASON = (
    "ioctlsocket(forged or closed handle, FIONBIO, NULL): Wine 8 gives WSAEFAULT, judging the NULL "
    "before the handle; the test asserts WSAENOTSOCK, the handle rule (HANDLE-1) that every other "
    "call on the same handle follows under Wine too. Whether Windows judges the handle first "
    "here is not confirmed on real Windows: if it does not, the test's row is what changes.")
_FORGED_IOCTL_SOURCE = ("docs/winsock-rules.md, HANDLE-1 (MS docs, ioctlsocket: WSAENOTSOCK 'the "
                        "descriptor s is not a socket')" + _SEEN)
_CONNECT_REFUSED_REASON = (
    "A successful closesocket sets the last error to 0 on Windows, as ws2_32's successful calls do; "
    "Wine 8's leaves the WSAECONNREFUSED of the refused blocking connect before it. And "
    "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) is WSAEPROTONOSUPPORT on Windows (no ICMP "
    "datagram sockets) where Wine 8 gives the host's EACCES for a ping socket (WSAEACCES).")
_CONNECT_REFUSED_SOURCE = ("docs/winsock-rules.md, the connect and socket rules (MS docs, socket: "
                           "WSAEPROTONOSUPPORT; Wine's dlls/ws2_32/tests/sock.c checks the last error "
                           "0 after successful calls)" + _SEEN)

SUITE_DIFFERENCES += _suite_group(
    ["test_startup.py::test_startup_version_table[%s]" % v
     for v in ("1.0", "1.1", "1.2", "1.255", "2.0", "2.1", "2.2", "2.3", "3.0", "255.0")] +
    ["test_startup.py::test_startup_twice_cleanup_twice",
     "test_startup.py::test_final_cleanup_closes_open_sockets"],
    wine="a successful WSACleanup leaves WSAGetLastError() as it was (12345, or 6 after the final one)",
    windows="0", reason=_CLEANUP_LAST_ERROR, source=_CLEANUP_SOURCE + _SEEN)
SUITE_DIFFERENCES += _suite_group(
    ["test_startup.py::test_calls_before_startup", "test_startup.py::test_calls_after_final_cleanup",
     "test_bad_input.py::test_bad_input[getaddrinfo_before_startup]"],
    wine="getaddrinfo resolves (0) with the count at 0", windows="WSANOTINITIALISED (10093)",
    reason=_GAI_REASON, source=_GAI_SOURCE + _SEEN)
SUITE_DIFFERENCES += _suite_group(
    ["test_state_machine.py::TestMirrorStateMachine::runTest"],
    wine="WSAENOTSOCK (10038) for a handle, WSAEFAULT for a bad argument, or a resolver answer",
    windows="WSANOTINITIALISED (10093)", reason=_NOT_STARTED_REASON, source=_NOT_STARTED_SOURCE,
    kind="may differ")
SUITE_DIFFERENCES += _suite_group(
    ["test_fast_paths.py::test_calls_before_startup_match",
     "test_select.py::test_before_startup_and_after_the_final_cleanup",
     "test_wsapoll.py::test_before_startup_is_wsanotinitialised",
     "test_handles.py::test_handle_status_tells_open_closed_forged_and_not_started",
     "test_resolver.py::test_every_lookup_needs_startup",
     "test_resolver.py::test_after_the_final_cleanup_too",
     "test_bad_input.py::test_bad_input[send_before_startup]",
     "test_bad_input.py::test_bad_input[gethostname_before_startup]",
     "test_bad_input.py::test_bad_input[getservbyname_before_startup]"],
    wine="WSAENOTSOCK (10038) for a handle, WSAEFAULT for a bad argument, or a resolver answer",
    windows="WSANOTINITIALISED (10093)", reason=_NOT_STARTED_REASON, source=_NOT_STARTED_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_bad_input.py::test_bad_input[%s]" % row for row in
     ("gethostbyaddr_none", "gethostbyaddr_before_startup", "getnameinfo_sockaddr_none",
      "getnameinfo_before_startup")],
    wine="access violation in ws2_32 (the child's status 0xC0000005)", windows="WSAEFAULT (10014), "
    "or WSANOTINITIALISED before startup", reason=_NULL_CRASH_REASON, source=_NULL_CRASH_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_bad_input.py::test_bad_input[%s]" % row for row in
     ("send_flags_unknown_bits", "recv_flags_unknown_bits", "py_send_flags_negative",
      "sendto_tolen_negative_udp", "setsockopt_optlen_negative", "connect_namelen_negative",
      "getaddrinfo_flags_all_bits", "wsasenddisconnect_data")] +
    ["test_mirror_args.py::test_namelen_out_of_range[%s]" % n for n in ("0", "4", "15", "-1")] +
    ["test_mirror_args.py::test_setsockopt_optlen_out_of_range"],
    wine="the call succeeds, times out, or fails with another code (ERROR_NOT_ENOUGH_MEMORY 8, "
         "WSAENOBUFS, WSAEADDRNOTAVAIL, WSAHOST_NOT_FOUND)",
    windows="the row's code: WSAEOPNOTSUPP, WSAEFAULT, WSAEINVAL or WSAENOPROTOOPT",
    reason=_ARGS_REASON, source=_ARGS_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_bad_input.py::test_bad_input[%s]" % row for row in
     ("gethostbyaddr_len_negative", "gethostbyaddr_v6_short", "getservbyname_none",
      "getnameinfo_salen_short")] +
    ["test_resolver.py::test_gethostbyaddr_errors", "test_resolver.py::test_getservbyname_null_name",
     "test_resolver.py::test_getnameinfo_short_buffers_are_left_alone",
     "test_resolver.py::test_getnameinfo_errors", "test_resolver.py::test_trace_lines",
     "test_docs_examples.py::test_porting_md_snippets_run[section9-1]"],
    wine="an answer, WSAHOST_NOT_FOUND, WSANO_RECOVERY, WSAEAFNOSUPPORT, or -12 (EAI_OVERFLOW)",
    windows="WSAEFAULT (10014), or EAI_NONAME (11001)", reason=_RESOLVER_REASON, source=_RESOLVER_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_connection.py::test_recv_after_peer_reset_is_connection_reset_10054",
     "test_connection.py::test_reset_after_n_bytes",
     "test_connection.py::test_disconnect_discard_errors_close_the_connection",
     "test_errors.py::test_recv_after_peer_abortive_close",
     "test_errors.py::test_recv_after_peer_abortive_close_so_error_read",
     "test_errors.py::test_send_after_peer_abortive_close",
     "test_select.py::test_a_reset_makes_the_socket_readable_and_writable",
     "test_wsapoll.py::test_reset_is_pollhup_and_pollerr",
     "test_testing_peers.py::test_reset_peer_fixture",
     "test_aio.py::test_a_reset_is_the_blocking_layers_error_with_partial",
     "test_server.py::test_recv_until_fin_is_bounded_and_keeps_the_connection",
     "test_docs_examples.py::test_porting_md_snippets_run[section6-1]",
     "test_docs_examples.py::test_lifecycle_against_a_resetting_peer",
     "test_docs_examples.py::test_aio_gives_the_blocking_layers_results[reset]"],
    wine="recv returns 0 (a graceful end of stream) and send succeeds, in most runs; in some, "
         "WSAECONNRESET as on Windows",
    windows="WSAECONNRESET (10054)", reason=_RESET_REASON + _RESET_TIMING,
    source=_RESET_SOURCE + _SEEN, kind="may differ")
SUITE_DIFFERENCES += _suite_group(
    ["test_connection.py::test_close_from_another_thread_wakes_recv",
     "test_threads.py::test_closesocket_wakes_blocked_recv_with_wsaeintr",
     "test_threads.py::test_final_cleanup_wakes_blocked_recv",
     "test_threads.py::test_sd_receive_does_not_wake_a_blocked_recv",
     "test_threads.py::test_closesocket_wakes_the_other_blocking_receives",
     "test_shutdown.py::test_sd_receive_does_not_wake_blocked_recv",
     "test_wsa_calls.py::test_closesocket_wakes_a_blocked_wsarecv_with_wsaeintr"],
    wine="the woken recv fails with WSAEINVAL (10022)", windows="WSAEINTR (10004)",
    reason=("closesocket (or the final WSACleanup) in one thread makes a recv blocked on the same "
            "socket in another thread fail with WSAEINTR on Windows; Wine 8 fails it with WSAEINVAL."),
    source=("docs/winsock-rules.md, CLOSE-1 (MS docs, closesocket remarks); the parity table's "
            "close_while_blocked_recv entry" + _SEEN))
SUITE_DIFFERENCES += _suite_group(
    ["test_threads.py::test_closesocket_wakes_blocked_send_with_wsaeintr",
     "test_wsa_calls.py::test_closesocket_wakes_a_blocked_wsasend_with_wsaeintr",
     "test_connection.py::test_close_from_another_thread_wakes_sendall",
     "test_connection.py::test_close_from_another_thread_wakes_disconnect"],
    wine="the blocked send is never woken; the layer's call ends with WSAENOTSOCK (10038)",
    windows="WSAEINTR (10004)", reason=_SEND_NOT_WOKEN_REASON, source=_SEND_NOT_WOKEN_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_wsapoll.py::test_a_negative_fd_is_ignored_and_its_revents_cleared",
     "test_wsapoll.py::test_events_the_provider_does_not_take_are_wsaeinval",
     "test_wsapoll.py::test_a_failed_connect_is_pollhup_pollerr"],
    wine="events accepted; a negative fd's revents POLLNVAL; a failed connect POLLERR",
    windows="WSAEINVAL; revents 0; POLLHUP|POLLERR|POLLWRNORM", reason=_WSAPOLL_REASON,
    source=_WSAPOLL_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_wsa_calls.py::test_more_buffers_than_one_system_call_takes",
     "test_wsa_calls.py::test_a_datagram_over_more_buffers_than_iov_max_is_one_datagram",
     "test_wsa_calls.py::test_wsasend_rules",
     "test_wsa_calls.py::test_disconnects_are_the_lifecycles_shutdowns",
     "test_wsa_calls.py::test_wsaioctl_faults_and_unknown_codes"],
    wine="SOCKET_ERROR past IOV_MAX buffers; unknown flags and disconnect data accepted; the byte "
         "count written on failure",
    windows="one send of every buffer; WSAEOPNOTSUPP / WSAENOPROTOOPT; the count left alone",
    reason=_WSA_CALLS_REASON, source=_WSA_CALLS_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_winapi_mirror.py::test_a_buffer_of_up_to_64k_is_taken"],
    wine="0 with ERROR_INVALID_PARAMETER (87) for an nSize of 32768 or more",
    windows="the message (the buffer may be up to 64K bytes)",
    reason=("FormatMessageA takes a buffer of up to 64K bytes on Windows; Wine 8 refuses one of 32 KiB "
            "or more. The mirror formats an ALLOCATE_BUFFER call into 32767 bytes, which both take."),
    source=("MS docs, FormatMessage: lpBuffer 'This buffer cannot be larger than 64K bytes'; seen under "
            "Wine 8.0 with a mingw program (32767 taken, 32768 and 65535 refused) and in the suite"))
SUITE_DIFFERENCES += _suite_group(
    ["test_mirror_args.py::test_forged_handle", "test_mirror_args.py::test_closed_handle"],
    wine="WSAEFAULT (10014) from ioctlsocket(h, FIONBIO, NULL)", windows="WSAENOTSOCK (10038)",
    reason=_FORGED_IOCTL_REASON, source=_FORGED_IOCTL_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_errors.py::test_blocking_connect_refused", "test_errors.py::test_socket_arguments[2,2,1]"],
    wine="closesocket returns 0 with the last error still 10061; WSAEACCES for the ICMP datagram "
         "socket",
    windows="0 with the last error 0; WSAEPROTONOSUPPORT", reason=_CONNECT_REFUSED_REASON,
    source=_CONNECT_REFUSED_SOURCE)
SUITE_DIFFERENCES += _suite_group(
    ["test_options.py::test_siocatmark_is_true_unless_out_of_band_data_waits"],
    wine="ioctlsocket(SIOCATMARK) TRUE while an urgent byte waits (the host's 'at the mark', inverted)",
    windows="FALSE while out-of-band data waits to be read, TRUE otherwise",
    reason=("SIOCATMARK is TRUE on Windows when no out-of-band data waits to be read and FALSE "
            "while some does; Wine 8 answers the inverse of the host's 'at the urgent mark', TRUE "
            "while the byte waits."),
    source=("MS docs, ioctlsocket, SIOCATMARK: 'If no OOB data is waiting to be read, the operation "
            "returns TRUE. Otherwise, it returns FALSE'; seen under Wine 8.0 with a mingw program "
            "(no OOB: 1; an urgent byte waiting: 1; after reading it: 1)"))
