"""The core's trace (csrc/trace.c): one JSON line per Winsock call of any program
on the core, switched on by PORTSOCK_TRACE=path or portsock.trace_to(path).

- a mirror script gives the same lines under portsock.winsock.trace() as under
  PORTSOCK_TRACE (the calls the mirror refuses itself included);
- the Pythonic layer's one-call paths are traced as the Winsock calls they
  stand for;
- lines never interleave and sockets are numbered once across threads;
- a trace that cannot be written changes no result, errno or last error;
- the parity driver built through the shim, under PORTSOCK_TRACE, writes the
  lines it prints itself (tests/test_parity_command.py compares whole runs).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from typing import Dict, List

import pytest

import portsock
from portsock import winsock as ws

from parity import native, scenarios as sc

HERE = os.path.dirname(os.path.abspath(__file__))
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="builds C programs on the POSIX core")

# A mirror program: the lifecycle against its own listener, with failures the
# core answers (a closed handle, a second cleanup) and ones the mirror answers
# before C (a NULL name, a length past the buffer, a NUL in a host name).
MIRROR_SCRIPT = textwrap.dedent('''
    import sys
    from portsock import winsock as ws

    def body():
        ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA())
        ws.WSAStartup(0x10000, ws.WSADATA())
        lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        addr = ws.sockaddr_in()
        addr.sin_family = ws.AF_INET
        addr.sin_addr.s_addr = ws.inet_addr("127.0.0.1")
        ws.bind(lst, addr, ws.sizeof(addr))
        ws.listen(lst, 5)
        ws.getsockname(lst, addr, ws.c_int(ws.sizeof(addr)))
        c = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        ws.connect(c, None, 16)
        ws.connect(c, addr, ws.sizeof(addr))
        s = ws.accept(lst)
        ws.send(c, b"hello", 5, 0)
        ws.send(c, b"x", 99, 0)
        ws.shutdown(c, ws.SD_SEND)
        buf = bytearray(16)
        ws.recv(s, buf, 16, 0)
        ws.recv(s, buf, 16, 0)
        ws.recv(s, buf, 99, 0)
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4)
        ws.ioctlsocket(s, ws.FIONBIO, ws.u_long(1))
        fds = ws.fd_set()
        ws.FD_SET(s, fds)
        ws.select(0, fds, None, None, ws.TIMEVAL(0, 0))
        ws.WSAPoll([ws.WSAPOLLFD(s, ws.POLLRDNORM)], 1, 0)
        ws.WSAPoll([], 1, 0)
        result = []
        ws.getaddrinfo("a\\0b", None, None, result)
        ws.getaddrinfo("127.0.0.1", "80", None, result)
        ws.gethostbyname("a\\0b")
        ws.gethostbyaddr(ws.in_addr(), 99, ws.AF_INET)
        ws.gethostname(bytearray(8), 99)
        ws.getnameinfo(addr, 16, bytearray(8), 99, None, 0, 0)
        ws.WSASend(c, [ws.WSABUF(99, b"x")], 1, ws.DWORD(), 0)
        ws.WSASendDisconnect(c, ws.WSABUF(99, b"d"))
        ws.WSAIoctl(c, ws.FIONBIO, ws.u_long(1), 99, None, 0, ws.DWORD(), None, None)
        for h in (s, c, lst, lst):
            ws.closesocket(h)
        ws.WSACleanup()
        ws.WSACleanup()

    if sys.argv[1] == "mirror":
        with ws.trace() as t:
            body()
        print("\\n".join(t.lines()))
    else:
        body()
''')


def run_python(code: str, *args: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=60, env=env)


def child_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PORTSOCK_TRACE", None)
    env.update(extra)
    return env


def read_lines(path: str) -> List[str]:
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def test_a_mirror_script_gives_the_same_lines_under_trace_and_under_portsock_trace(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "core.jsonl")
    mirror = run_python(MIRROR_SCRIPT, "mirror", env=child_env())
    core = run_python(MIRROR_SCRIPT, "core", env=child_env(PORTSOCK_TRACE=path))
    assert mirror.returncode == 0 and core.returncode == 0, mirror.stderr + core.stderr
    expected = mirror.stdout.splitlines()
    assert read_lines(path) == expected
    calls = [json.loads(line) for line in expected]
    # The mirror's own refusals are there, and sockets are numbered in order.
    assert {"call": "connect", "ret": -1, "err": ws.WSAEFAULT} in calls
    assert {"call": "send", "ret": -1, "err": ws.WSAEFAULT} in calls
    assert {"call": "WSAPoll", "ret": -1, "err": ws.WSAEFAULT} in calls
    assert {"call": "WSAStartup", "ret": ws.WSAVERNOTSUPPORTED, "err": ws.WSAVERNOTSUPPORTED} in calls
    assert {"call": "getaddrinfo", "ret": ws.WSAHOST_NOT_FOUND, "err": ws.WSAHOST_NOT_FOUND} in calls
    for call in ("gethostbyname", "gethostbyaddr"):
        assert calls[[c["call"] for c in calls].index(call)]["ret"] == "NULL"
    for refusal in ({"call": "gethostname", "ret": -1, "err": ws.WSAEFAULT},
                    {"call": "getnameinfo", "ret": ws.WSAEFAULT, "err": ws.WSAEFAULT},
                    {"call": "WSASend", "ret": -1, "err": ws.WSAEFAULT},
                    {"call": "WSAIoctl", "ret": -1, "err": ws.WSAEFAULT}):
        assert refusal in calls, refusal
    assert [c["call"] for c in calls].count("WSASendDisconnect") == 1
    assert [c["ret"] for c in calls if c["call"] in ("socket", "accept")] == ["S1", "S2", "S3"]
    assert calls[-1] == {"call": "WSACleanup", "ret": -1, "err": ws.WSANOTINITIALISED}


def test_trace_to_writes_every_call_until_closed(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "t.jsonl")
    with ws.trace() as t, portsock.trace_to(path) as tracing:
        assert portsock._core.lib.ps_trace_active() == 1
        assert ws.WSAStartup(0x0202, ws.WSADATA()) == 0
        h = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        ws.closesocket(h)
        ws.closesocket(h)
        ws.WSACleanup()
    assert "trace_to(" in repr(tracing)
    assert portsock._core.lib.ps_trace_active() == 0
    ws.WSAStartup(0x0202, ws.WSADATA())   # after the close: not written
    ws.WSACleanup()
    assert read_lines(path) == t.lines()
    assert read_lines(path)[1] == '{"call": "socket", "ret": "S1", "err": 0}'


def test_portsock_trace_dash_writes_to_stderr() -> None:
    code = "from portsock import winsock as ws; ws.WSACleanup()"
    r = run_python(code, env=child_env(PORTSOCK_TRACE="-"))
    assert r.returncode == 0
    assert r.stderr.splitlines() == ['{"call": "WSACleanup", "ret": -1, "err": 10093}']


def test_a_trace_that_cannot_be_opened_leaves_the_program_as_it_was() -> None:
    code = ("import portsock; from portsock import winsock as ws; print(ws.WSACleanup(), ws.WSAGetLastError(),"
            " portsock._core.lib.ps_trace_active())")
    r = run_python(code, env=child_env(PORTSOCK_TRACE="/nonexistent-portsock-dir/t.jsonl"))
    assert (r.returncode, r.stdout.split(), r.stderr) == (0, ["-1", "10093", "0"], "")


def test_writes_that_fail_change_no_result_and_no_last_error() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    while ws.WSACleanup() == 0:   # on Windows CPython's _socket holds a reference of its own
        pass
    with portsock.trace_to("/dev/full"):
        ws.WSASetLastError(0)
        assert ws.WSACleanup() == -1
        assert ws.WSAGetLastError() == ws.WSANOTINITIALISED
        assert ws.closesocket(12345) == -1
        assert ws.WSAGetLastError() == ws.WSANOTINITIALISED


def test_threads_numbered_once_and_lines_whole(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "threads.jsonl")
    threads_n, rounds = 8, 200
    ws.WSAStartup(0x0202, ws.WSADATA())
    try:
        with portsock.trace_to(path):
            def work() -> None:
                for _ in range(rounds):
                    h = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
                    ws.closesocket(h)
            threads = [threading.Thread(target=work) for _ in range(threads_n)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
            assert not any(th.is_alive() for th in threads)
    finally:
        ws.WSACleanup()
    entries = [json.loads(line) for line in read_lines(path)]   # each line whole JSON
    sockets = [e["ret"] for e in entries if e["call"] == "socket"]
    assert sockets == ["S%d" % i for i in range(1, threads_n * rounds + 1)]
    assert sum(e == {"call": "closesocket", "ret": 0, "err": 0} for e in entries) == threads_n * rounds


class _StdlibEcho:
    """An echo peer on the stdlib (not on the core, so not in the trace)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(10)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        self.listener.close()


def test_the_one_call_paths_are_traced_as_the_calls_they_stand_for(tmp_path: os.PathLike[str]) -> None:
    peer = _StdlibEcho()
    path = os.path.join(str(tmp_path), "conn.jsonl")
    with portsock.trace_to(path):
        with portsock.Session():
            conn = portsock.connect("127.0.0.1", peer.port, timeout=10)
            conn.sendall(b"this is a test")
            assert conn.disconnect(timeout=10) == b"this is a test"
    peer.thread.join(10)
    calls = [json.loads(line) for line in read_lines(path)]
    names = [c["call"] for c in calls]
    # connect() resolves, opens and connects (with a deadline: ps_connect_timeout),
    # then sendall is one send of everything and disconnect the shutdown, the
    # receive until the FIN (the bytes, then the recv that returned 0) and the close.
    assert names[0] == "WSAStartup" and "getaddrinfo" in names
    assert {"call": "socket", "ret": "S1", "err": 0} in calls
    assert {"call": "connect", "ret": 0, "err": 0} in calls
    tail = calls[names.index("send"):]
    assert tail == [
        {"call": "send", "ret": 14, "err": 0},
        {"call": "shutdown", "ret": 0, "err": 0},
        {"call": "recv", "ret": 14, "err": 0},
        {"call": "recv", "ret": 0, "err": 0},
        {"call": "closesocket", "ret": 0, "err": 0},
        {"call": "WSACleanup", "ret": 0, "err": 0},
    ]


def test_a_failed_disconnect_is_traced_at_the_step_that_failed(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "fail.jsonl")
    lib, ffi = portsock._core.lib, portsock._core.ffi
    ws.WSAStartup(0x0202, ws.WSADATA())
    try:
        h = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        got = ffi.new("size_t *")
        with portsock.trace_to(path):
            assert lib.ps_disconnect(h, ffi.NULL, 0, got, 1000) == -1     # never connected
            assert lib.ps_disconnect(h, ffi.NULL, 0, got, 1000) == -1     # closed by the first
            assert lib.ps_drain(h, ffi.NULL, 0, got, 0) == -1
            assert lib.ps_sendall(h, b"x", 1, 0, -1, ffi.NULL) == -1
    finally:
        ws.WSACleanup()
    assert [json.loads(line) for line in read_lines(path)] == [
        {"call": "shutdown", "ret": -1, "err": ws.WSAENOTCONN},
        {"call": "closesocket", "ret": 0, "err": 0},
        {"call": "shutdown", "ret": -1, "err": ws.WSAENOTSOCK},
        {"call": "recv", "ret": -1, "err": ws.WSAENOTSOCK},
        {"call": "send", "ret": -1, "err": ws.WSAENOTSOCK},
    ]


# -- C programs through the shim ------------------------------------------------------

def _cc() -> str:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    return cc


@posix_only
@pytest.mark.parametrize("trace", ["file", "/dev/full"])
def test_no_call_changes_errno_with_the_trace_on(tmp_path: os.PathLike[str], trace: str) -> None:
    """tests/native/errno_core.c, with every line written (or failing to be)."""
    if trace == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    exe = os.path.join(str(tmp_path), "errno_core")
    build = subprocess.run([_cc(), "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + native.CSRC, "-o", exe,
                            os.path.join(HERE, "native", "errno_core.c")] + native.CORE_POSIX + ["-lpthread"],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    path = os.path.join(str(tmp_path), "errno.jsonl") if trace == "file" else trace
    run = subprocess.run([exe], capture_output=True, text=True, timeout=60, env=child_env(PORTSOCK_TRACE=path))
    assert run.returncode == 0 and run.stdout.strip().endswith("passed, 0 failed"), run.stdout + run.stderr
    if trace == "file":
        assert len(read_lines(path)) >= 40


# The driver's lines that are no Winsock call (the scenario language's own
# ops: a WSADATA field, a sleep, WSAGetLastError/WSASetLastError, the sets and
# revents after select/WSAPoll, a thread started, the SO_ERROR poll).
DRIVER_ONLY = ("wVersion", "wHighVersion", "iMaxSockets", "iMaxUdpDg", "sleep", "WSAGetLastError",
               "WSASetLastError", "revents", "thread_recv", "thread_close", "getsockopt(SO_ERROR)",
               # what a resolver or Winsock 2 call left behind: a HOSTENT's or
               # SERVENT's field, getnameinfo's buffers, the counts and buffers
               "count", "lpFlags", "WSABUF", "lpvOutBuffer")
DRIVER_ONLY_PREFIXES = ("hostent.", "servent.", "nameinfo(")


def comparable(scenario: sc.Scenario) -> bool:
    """Scenarios whose driver makes no untraced call but the getsockname after a
    bind and the cleanup afterwards (closedport opens a socket of its own, a
    thread's line is printed at the join, soerror polls)."""
    return not any(op.name in ("soerror", "thread_recv", "thread_close", "join")
                   or any(w in sc.TARGETS for w in op.args) for op in scenario.ops)


def driver_view(core_lines: List[str], scenario: sc.Scenario) -> List[str]:
    """The core's trace of one driver run without the driver's untraced calls
    (the scenario language's top: the getsockname after a successful bind, the
    WSACleanup calls after the scenario)."""
    out: List[str] = []
    for line in core_lines:
        e = json.loads(line)
        if e["call"] == "getsockname" and out and json.loads(out[-1]) == {"call": "bind", "ret": 0, "err": 0}:
            continue
        out.append(line)
    printed = sum(1 for op in scenario.ops if op.name not in ("wsadata", "sleep", "lasterror", "setlasterror",
                                                             "fdset", "revents", "hostent", "servent", "nameinfo",
                                                             "wsacount", "wsaflags", "wsabufs", "wsaout"))
    return out[:printed]


@posix_only
def test_the_shim_driver_under_portsock_trace_writes_the_lines_it_prints(tmp_path: os.PathLike[str]) -> None:
    out = str(tmp_path)
    exe = os.path.join(out, "driver_shim")
    build = subprocess.run([_cc(), *native.CFLAGS, "-I" + native.SHIM_DIR, "-I" + native.CSRC, "-o", exe,
                            native.DRIVER, *native.CORE_POSIX, "-lpthread"],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    chosen = [s for s in sc.parse() if comparable(s)]
    assert len(chosen) >= 30
    for scenario in chosen:
        path = os.path.join(out, scenario.name + ".jsonl")
        run = subprocess.run([exe, sc.SCENARIOS_FILE, scenario.name], capture_output=True, text=True,
                             timeout=60, env=child_env(PORTSOCK_TRACE=path))
        assert run.returncode == 0, run.stderr
        printed = [line for line in sc.split_output(run.stdout)[scenario.name]
                   if not line.startswith("{\"call\": \"fd_set(") and json.loads(line)["call"] not in DRIVER_ONLY
                   and not json.loads(line)["call"].startswith(DRIVER_ONLY_PREFIXES)]
        assert driver_view(read_lines(path), scenario) == printed, scenario.name
