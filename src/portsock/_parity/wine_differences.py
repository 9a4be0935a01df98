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


def _format_message(line: int, what: str, code: int) -> CorpusDifference:
    """A line of format_message.c's output, `what: error code: text` (or Wine's
    failure to find a text): Wine's text from WINE_MESSAGE_DIFFERENCES, the one
    table of them, Windows' from the core's (csrc/errmap.c)."""
    from portsock._core import ffi, lib

    def text(message: str) -> str:
        if message == _NO_MESSAGE:
            return "%s: error %d %s" % (what, code, message)
        return "%s: error %d: %s" % (what, code, message)
    wine = next(m.wine for m in WINE_MESSAGE_DIFFERENCES if m.code == code)
    windows = ffi.string(lib.ps_wsa_message(code)).decode()
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
