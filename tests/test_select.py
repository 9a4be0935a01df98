"""docs/winsock-rules.md, SEL-1 to SEL-15 (select and Winsock's fd_set): every rule, through
portsock.winsock on real loopback sockets, with Windows' exact codes (each
checked against real Winsock under Wine 8: tests/native/scenarios.txt has the
same steps run four ways). Also the shim's fd_set in C: the program that used
to crash, built with _FORTIFY_SOURCE and under ASan+UBSan, prints what it
prints under Wine.

Every wait here has a timeout of a few seconds at most (a NULL timeout only
where a socket is ready, or another thread makes it so), and every thread is
joined with a bound.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import List, Optional, Sequence, Tuple

import pytest
from child_util import tcp, udp

from portsock import winsock as ws

from conftest import abort, connected_pair, expect_error, listener, loopback
from parity import native

HERE = os.path.dirname(os.path.abspath(__file__))
FORGED = 0xDEADBEEF


def fds(*handles: int) -> ws.fd_set:
    s = ws.fd_set()
    for h in handles:
        ws.FD_SET(h, s)
    return s


def sel(r: Optional[Sequence[int]] = None, w: Optional[Sequence[int]] = None,
        e: Optional[Sequence[int]] = None, timeout: Optional[Tuple[int, int]] = (0, 0)
        ) -> Tuple[int, List[Optional[List[int]]]]:
    """select on new sets of those handles; (ret, each set's fd_array after)."""
    sets = [None if hs is None else fds(*hs) for hs in (r, w, e)]
    ret = ws.select(0, sets[0], sets[1], sets[2], None if timeout is None else ws.TIMEVAL(*timeout))
    return ret, [None if s is None else list(s.fd_array) for s in sets]


def nonblocking_connect(s: int, addr: object) -> None:
    assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
    expect_error(ws.connect(s, addr, ws.sizeof(addr)), ws.WSAEWOULDBLOCK)  # type: ignore[arg-type]


def closed_port() -> object:
    s = tcp()
    addr, size = loopback()
    assert ws.bind(s, addr, size) == 0
    bound = ws.sockaddr_in()
    assert ws.getsockname(s, bound, ws.c_int(size)) == 0
    assert ws.closesocket(s) == 0
    return bound


# --------------------------------------------------------------------------
# The fd_set and its macros

@pytest.mark.rule("SEL-1", "SEL-2")
def test_fd_set_is_a_count_and_an_array_of_sockets() -> None:
    s = ws.fd_set()
    assert (s.fd_count, s.fd_array) == (0, [])
    ws.FD_SET(0x1000004, s)
    ws.FD_SET(0x1000004, s)          # no duplicates
    ws.FD_SET(8, s)
    assert (s.fd_count, s.fd_array) == (2, [0x1000004, 8])
    assert (ws.FD_ISSET(8, s), ws.FD_ISSET(9, s)) == (1, 0)
    ws.FD_SET(-1, s)                 # as C's SOCKET holds it
    assert s.fd_array[-1] == ws.INVALID_SOCKET
    ws.FD_CLR(0x1000004, s)          # the gap closes
    assert s.fd_array == [8, ws.INVALID_SOCKET]
    ws.FD_CLR(12345, s)              # not there: nothing happens
    assert s.fd_count == 2
    ws.FD_ZERO(s)
    assert (s.fd_count, s.fd_array) == (0, [])


@pytest.mark.rule("SEL-2")
def test_fd_set_holds_at_most_fd_setsize_handles() -> None:
    assert ws.FD_SETSIZE == 64
    s = ws.fd_set()
    for h in range(4, 4 * 70, 4):
        ws.FD_SET(h, s)
    assert s.fd_count == 64 and s.fd_array == list(range(4, 4 * 65, 4))


@pytest.mark.rule("SEL-3")
def test_fd_count_can_be_lowered_but_not_raised() -> None:
    s = fds(4, 8, 12)
    s.fd_count = 1
    assert s.fd_array == [4]
    with pytest.raises(ValueError):
        s.fd_count = 2
    with pytest.raises(TypeError):
        s.fd_count = "1"  # type: ignore[assignment]


@pytest.mark.parametrize("call", [
    lambda: ws.FD_SET(4, []),                                         # type: ignore[arg-type]
    lambda: ws.FD_ISSET("4", ws.fd_set()),                            # type: ignore[arg-type]
    lambda: ws.FD_ZERO(None),                                         # type: ignore[arg-type]
    lambda: ws.select(0, [4], None, None, None),                      # type: ignore[arg-type]
    lambda: ws.select(0, None, None, None, 1.5),                      # type: ignore[arg-type]
    lambda: ws.select("0", None, None, None, None),                   # type: ignore[arg-type]
    lambda: ws.TIMEVAL(1.5),                                          # type: ignore[arg-type]
])
def test_wrong_types_raise(call: object) -> None:
    with pytest.raises(TypeError):
        call()  # type: ignore[operator]


def test_a_non_int_in_fd_array_is_a_type_error(wsa: ws.WSADATA) -> None:
    s = ws.fd_set()
    s.fd_array.append("4")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ws.select(0, s, None, None, ws.TIMEVAL())


# --------------------------------------------------------------------------
# Arguments

@pytest.mark.rule("SEL-13")
def test_before_startup_and_after_the_final_cleanup() -> None:
    expect_error(ws.select(0, fds(0x30), None, None, ws.TIMEVAL()), ws.WSANOTINITIALISED)
    expect_error(ws.select(0, None, None, None, ws.TIMEVAL()), ws.WSANOTINITIALISED)
    assert ws.WSAStartup(0x0202, ws.WSADATA()) == 0
    s = udp()
    assert ws.WSACleanup() == 0
    expect_error(ws.select(0, None, fds(s), None, ws.TIMEVAL()), ws.WSANOTINITIALISED)


@pytest.mark.rule("SEL-6")
def test_every_set_null_or_empty_is_wsaeinval(wsa: ws.WSADATA) -> None:
    expect_error(ws.select(0, None, None, None, ws.TIMEVAL()), ws.WSAEINVAL)
    expect_error(ws.select(0, ws.fd_set(), ws.fd_set(), ws.fd_set(), ws.TIMEVAL()), ws.WSAEINVAL)
    t0 = time.monotonic()
    # select is no sleep: even a timeout, or none at all, fails at once.
    expect_error(ws.select(0, ws.fd_set(), None, None, ws.TIMEVAL(5)), ws.WSAEINVAL)
    expect_error(ws.select(0, None, None, ws.fd_set(), None), ws.WSAEINVAL)
    assert time.monotonic() - t0 < 1.0


@pytest.mark.rule("SEL-7")
def test_a_forged_or_closed_handle_is_wsaenotsock_and_the_sets_stay(wsa: ws.WSADATA) -> None:
    s = udp()
    readfds, writefds = fds(FORGED), fds(s, ws.INVALID_SOCKET)
    expect_error(ws.select(0, readfds, writefds, None, ws.TIMEVAL()), ws.WSAENOTSOCK)
    assert (readfds.fd_array, writefds.fd_array) == ([FORGED], [s, ws.INVALID_SOCKET])
    assert ws.closesocket(s) == 0
    expect_error(sel(w=[s])[0], ws.WSAENOTSOCK)
    for value in (0, 1, 4, 0x1000004):   # fd numbers and small forged values: never sockets
        expect_error(sel(r=[value])[0], ws.WSAENOTSOCK)


@pytest.mark.rule("SEL-4")
def test_nfds_is_ignored(wsa: ws.WSADATA) -> None:
    s = udp()
    for nfds in (0, 1, -1, 0x7FFFFFFF, 1 << 40):
        writefds = fds(s)
        assert ws.select(nfds, None, writefds, None, ws.TIMEVAL()) == 1
        assert writefds.fd_array == [s]
    ws.closesocket(s)


@pytest.mark.parametrize("timeout, most", [((0, 0), 0.15), ((-1, 0), 0.15), ((0, -5), 0.15),
                                           ((0, 300000), 0.6), ((0, 1300000), 1.8)])
@pytest.mark.rule("SEL-5")
def test_timeouts(wsa: ws.WSADATA, timeout: Tuple[int, int], most: float) -> None:
    """{0,0} returns at once, a negative time is no time, tv_usec beyond a second
    counts in full (Wine 8)."""
    s = tcp()
    t0 = time.monotonic()
    assert sel(r=[s], timeout=timeout) == (0, [[], None, None])
    taken = time.monotonic() - t0
    least = timeout[0] + timeout[1] / 1e6
    assert max(least, 0) - 0.02 <= taken < most, taken
    ws.closesocket(s)


@pytest.mark.rule("SEL-5")
def test_null_timeout_blocks_until_ready(pair: Tuple[int, int]) -> None:
    c, s = pair
    sender = threading.Timer(0.3, lambda: ws.send(s, b"late", 4, 0))
    sender.start()
    t0 = time.monotonic()
    try:
        assert sel(r=[c], timeout=None) == (1, [[c], None, None])
    finally:
        sender.join(5)
    assert 0.25 <= time.monotonic() - t0 < 3


# --------------------------------------------------------------------------
# Readiness

@pytest.mark.rule("SEL-12")
def test_an_unconnected_tcp_socket_is_never_ready(wsa: ws.WSADATA) -> None:
    s = tcp()
    assert sel([s], [s], [s], (0, 200000)) == (0, [[], [], []])
    addr, size = loopback()
    assert ws.bind(s, addr, size) == 0     # bound, still unconnected
    assert sel([s], [s], [s]) == (0, [[], [], []])
    ws.closesocket(s)


@pytest.mark.rule("SEL-10")
def test_a_failed_nonblocking_connect_is_in_exceptfds_not_writefds(wsa: ws.WSADATA) -> None:
    s = tcp()
    nonblocking_connect(s, closed_port())
    assert sel(w=[s], e=[s], timeout=(3, 0)) == (1, [None, [], [s]])
    value, length = ws.DWORD(), ws.c_int(4)
    assert ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, value, length) == 0
    assert value.value == ws.WSAECONNREFUSED
    # Still so after SO_ERROR was read.
    assert sel(w=[s]) == (0, [None, [], None])
    assert sel(e=[s]) == (1, [None, None, [s]])
    ws.closesocket(s)


@pytest.mark.rule("SEL-9")
def test_a_successful_nonblocking_connect_is_writable(wsa: ws.WSADATA) -> None:
    lst, bound = listener()
    s = tcp()
    nonblocking_connect(s, bound)
    assert sel(w=[s], e=[s], timeout=(3, 0)) == (1, [None, [s], []])
    ws.closesocket(s)
    ws.closesocket(lst)


@pytest.mark.rule("SEL-11")
def test_a_listener_with_a_pending_connection_is_readable(wsa: ws.WSADATA) -> None:
    lst, bound = listener()
    assert sel(r=[lst]) == (0, [[], None, None])
    c = tcp()
    assert ws.connect(c, bound, ws.sizeof(bound)) == 0
    assert sel([lst], [lst], [lst], (1, 0)) == (1, [[lst], [], []])
    a = ws.accept(lst)
    assert a != ws.INVALID_SOCKET
    assert sel(r=[lst]) == (0, [[], None, None])
    for h in (a, c, lst):
        ws.closesocket(h)


@pytest.mark.rule("SEL-8")
def test_the_count_is_per_set_and_the_sets_keep_only_ready_handles(pair: Tuple[int, int]) -> None:
    c, s = pair
    assert sel([c, s], [c]) == (1, [[], [c], None])
    assert ws.send(s, b"hello", 5, 0) == 5
    time.sleep(0.05)
    assert sel([c, s], [c, s], [c, s]) == (3, [[c], [c, s], []])


@pytest.mark.rule("SEL-3")
def test_duplicates_written_into_fd_array_count_once(pair: Tuple[int, int]) -> None:
    c, _ = pair
    writefds = ws.fd_set()
    writefds.fd_array.extend([c, c, c])
    assert ws.select(0, None, writefds, None, ws.TIMEVAL()) == 1
    assert writefds.fd_array == [c]


@pytest.mark.rule("SEL-3")
def test_more_than_fd_setsize_handles_written_into_fd_array(wsa: ws.WSADATA) -> None:
    """A program's own FD_SETSIZE may be larger: select reads fd_count handles."""
    socks = [udp() for _ in range(100)]
    writefds = ws.fd_set()
    writefds.fd_array.extend(socks)
    assert ws.select(0, None, writefds, None, ws.TIMEVAL(1)) == 100
    assert writefds.fd_array == socks
    for h in socks:
        ws.closesocket(h)


@pytest.mark.rule("SEL-11")
def test_the_peers_fin_makes_the_socket_readable(pair: Tuple[int, int]) -> None:
    c, s = pair
    assert ws.shutdown(s, ws.SD_SEND) == 0
    time.sleep(0.05)
    assert sel([c], None, [c]) == (1, [[c], None, []])
    assert ws.recv(c, bytearray(8), 8, 0) == 0


@pytest.mark.rule("SEL-11")
def test_a_reset_makes_the_socket_readable_and_writable(pair: Tuple[int, int]) -> None:
    c, s = pair
    abort(s)
    assert sel([c], [c], [c]) == (2, [[c], [c], []])
    # select took nothing away: recv still sees the reset.
    expect_error(ws.recv(c, bytearray(8), 8, 0), ws.WSAECONNRESET)


@pytest.mark.rule("SEL-8")
def test_data_then_select_then_recv_gets_it_all(pair: Tuple[int, int]) -> None:
    c, s = pair
    assert ws.send(s, b"abc", 3, 0) == 3
    assert sel(r=[c], timeout=(2, 0)) == (1, [[c], None, None])
    buf = bytearray(8)
    assert ws.recv(c, buf, 8, 0) == 3 and bytes(buf[:3]) == b"abc"


# --------------------------------------------------------------------------
# closesocket from another thread while select waits (Wine 8's behaviour)

def _close_during(handles: Tuple[Optional[List[int]], ...], victim: int) -> Tuple[int, int, list]:
    closer = threading.Timer(0.3, ws.closesocket, (victim,))
    closer.start()
    t0 = time.monotonic()
    try:
        ret, sets = sel(*handles, timeout=(3, 0))
        err = ws.WSAGetLastError()
    finally:
        closer.join(5)
    assert 0.25 <= time.monotonic() - t0 < 1.5
    return ret, err, sets


@pytest.mark.rule("SEL-14")
def test_a_socket_closed_during_select_is_reported_readable(wsa: ws.WSADATA) -> None:
    s = tcp()
    ret, _, sets = _close_during(([s], [s], [s]), s)
    assert (ret, sets) == (1, [[s], [], []])


@pytest.mark.rule("SEL-14")
def test_a_socket_closed_during_select_in_no_readfds_is_wsaenotsock(wsa: ws.WSADATA) -> None:
    s = tcp()
    ret, err, sets = _close_during((None, [s], [s]), s)
    assert (ret, err, sets) == (-1, ws.WSAENOTSOCK, [None, [], []])


@pytest.mark.rule("SEL-14")
def test_a_connected_socket_closed_during_select(wsa: ws.WSADATA) -> None:
    c, s = connected_pair()
    ret, _, sets = _close_during(([c], None, None), c)
    assert (ret, sets) == (1, [[c], None, None])
    ws.closesocket(s)


# --------------------------------------------------------------------------
# Tracing

def test_select_is_traced(wsa: ws.WSADATA) -> None:
    s = udp()
    with ws.trace() as t:
        ws.select(0, None, fds(s), None, ws.TIMEVAL())
        ws.select(0, None, None, None, ws.TIMEVAL())
    assert t.entries == [{"call": "select", "ret": 1, "err": 0},
                         {"call": "select", "ret": -1, "err": ws.WSAEINVAL}]
    ws.closesocket(s)


# --------------------------------------------------------------------------
# The shim's fd_set in C: the program that crashed

FDSET_PROGRAM = os.path.join(HERE, "native", "fdset_shim.c")
SHIM = ["-I" + native.SHIM_DIR, "-I" + native.CSRC]


_build_and_run = native.build_and_run


EXPECTED = """\
FD_SETSIZE {size}, sizeof(fd_set) is its: 1
FD_SET: fd_count 1, FD_ISSET 1
select: 0, fd_count 0, FD_ISSET 0
FD_SET twice: fd_count 1
FD_CLR: fd_count 0, FD_ISSET 0
FD_SET x FD_SETSIZE+5: fd_count is FD_SETSIZE: 1, last one in: 0
FD_CLR of the second: fd_count 1 below, first 1, third now second 1
select on the full set: 1 is fd_count: 1
done
"""

BUILDS = {
    "gcc-fortify": ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_FORTIFY_SOURCE=2", "-O2"],
    "gcc-fortify-fd_setsize-128": ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_FORTIFY_SOURCE=2",
                                   "-O2", "-DFD_SETSIZE=128"],
    # glibc's <sys/select.h> seen before the shim (gnu11, and the program includes
    # <stdlib.h> first): its FD_SETSIZE of 1024 is not the program's.
    "gcc-system-header-first": ["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"],
    "clang-asan-ubsan": ["clang", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                         "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"],
}


@pytest.mark.parametrize("build", sorted(BUILDS))
@pytest.mark.rule("SEL-1", "SEL-2", "SEL-15")
def test_fd_set_program_through_the_shim(build: str, tmp_path: os.PathLike[str]) -> None:
    flags = BUILDS[build]
    if shutil.which(flags[0]) is None:
        pytest.skip("no %s" % flags[0])
    exe = os.path.join(str(tmp_path), "fdset_" + build)
    program = FDSET_PROGRAM
    if build == "gcc-system-header-first":
        program = os.path.join(str(tmp_path), "stdlib_first.c")
        with open(program, "w") as f:
            f.write('#include <stdlib.h>\n#include "%s"\n' % FDSET_PROGRAM)
    cmd = [*flags, *SHIM, "-o", exe, program, *native.CORE_POSIX, "-lpthread"]
    assert _build_and_run(cmd, exe) == EXPECTED.format(size=128 if "128" in build else 64)


@pytest.mark.rule("SEL-1")
def test_fd_set_program_under_wine_prints_the_same(tmp_path: os.PathLike[str]) -> None:
    exe = os.path.join(str(tmp_path), "fdset.exe")
    out = native.build_and_run_under_wine(FDSET_PROGRAM, exe, ["-std=c11", "-Wall", "-Wextra"])
    assert out == EXPECTED.format(size=64)


@pytest.mark.rule("SEL-15")
def test_the_shim_keeps_glibc_fd_set_out_of_reach(tmp_path: os.PathLike[str]) -> None:
    """fd_set, FD_SETSIZE, timeval and pollfd are Winsock's through the shim."""
    source = os.path.join(str(tmp_path), "names.c")
    with open(source, "w") as f:
        f.write("#include <winsock2.h>\n"
                "_Static_assert(FD_SETSIZE == 64, \"FD_SETSIZE\");\n"
                "_Static_assert(sizeof(fd_set) == sizeof(u_int) + 4 + 64 * sizeof(SOCKET), \"fd_set\");\n"
                "_Static_assert(sizeof(((struct fd_set *)0)->fd_array[0]) == sizeof(SOCKET), \"struct\");\n"
                "_Static_assert(sizeof(struct timeval) == 2 * sizeof(long), \"timeval\");\n"
                "_Static_assert(sizeof(TIMEVAL) == sizeof(struct timeval), \"TIMEVAL\");\n"
                "_Static_assert(sizeof(struct pollfd) == sizeof(WSAPOLLFD), \"pollfd\");\n"
                "_Static_assert(POLLIN == 0x300 && POLLOUT == 0x10 && POLLPRI == 0x400 && POLLERR == 1 &&\n"
                "               POLLHUP == 2 && POLLNVAL == 4 && POLLWRBAND == 0x20, \"POLL*\");\n"
                "int main(void) { FD_SET set; FD_ZERO(&set); return (int)set.fd_count; }\n")
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    build = subprocess.run([cc, "-std=c11", "-Wall", "-Werror", *SHIM, "-fsyntax-only", source],
                           capture_output=True, text=True, timeout=60)
    assert build.returncode == 0, build.stderr
