"""Signals during blocking calls, as the stdlib socket module behaves (PEP 475;
docs/winsock-rules.md, SIG-1 to SIG-4):

- a handler that raises (Ctrl-C: SIGINT with Python's default handler) ends
  the blocking call with its exception within 0.5 s of the signal, whatever
  the call's timeout, and leaves the socket consistent: a mirror SOCKET stays
  open and usable, an interrupted Connection call leaves the Connection open
  (an interrupted disconnect() half-closed, its drained bytes kept), an
  interrupted `with` exit or portsock.connect() leaves no descriptor open;
- a handler that returns runs during the call, which then resumes with its
  remaining timeout; EINTR (10004) never surfaces;
- the command line exits with status 130 at Ctrl-C, at once.

Each scenario runs in a process of its own (tests/signal_child.py), all in
parallel; the child measures from its os.kill to the end of the call and
prints what it saw as JSON.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

import childrun
import pytest
from leakcheck import HAVE_PROC

from portsock import winsock as ws

from conftest import connected_pair

pytestmark = pytest.mark.skipif(not HAVE_PROC or not hasattr(signal, "SIGUSR1"),
                                reason="POSIX signals; the checks read /proc")

CHILD = "signal_child.py"
CHILD_TIMEOUT = 30.0
LATENCY = 0.5        # seconds from the signal to the exception, at most


_start_children, child = childrun.scenarios(CHILD, CHILD_TIMEOUT)


def assert_interrupted(out: Dict[str, Any]) -> None:
    """The call ended with KeyboardInterrupt, within LATENCY of the signal."""
    assert out["outcome"] == "KeyboardInterrupt", out
    assert out["latency"] is not None and 0 <= out["latency"] < LATENCY, out
    assert out["call_seconds"] >= 0.25, out   # it was blocked when the signal came
    assert not out.get("late_interrupt"), out


TIMEOUTS = [("none", "no-timeout"), ("30", "timeout-30s")]   # the child's argument, the test id


def scenarios(name: str, label: str = "") -> List[Any]:
    return [pytest.param("%s %s" % (name, arg), id=label + ident) for arg, ident in TIMEOUTS]


# -- Ctrl-C on the mirror ---------------------------------------------------------

@pytest.mark.parametrize("scenario", scenarios("int_mirror_recv"))
def test_sigint_interrupts_mirror_recv_and_the_socket_stays_usable(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["after"] == [4, 0, "late"]   # a second recv gets what the peer sent later
    assert out["close"] == [0, 0]


@pytest.mark.parametrize("scenario", scenarios("int_mirror_recv_beside_a_busy_thread"))
def test_sigint_is_raised_in_the_interrupted_thread_only(scenario: str) -> None:
    """Another thread's calls that end while the main thread's recv is being
    interrupted never take its KeyboardInterrupt."""
    out = child(scenario)
    assert_interrupted(out)
    assert out["other_raised"] == []
    assert out["other_calls"] > 100, "the other thread hardly ran"


@pytest.mark.parametrize("scenario", scenarios("int_mirror_accept"))
def test_sigint_interrupts_mirror_accept_and_the_listener_stays_usable(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["connect"] == [0, 0]
    assert out["accept_after"] == "socket"


@pytest.mark.parametrize("scenario", scenarios("int_mirror_select") + scenarios("int_mirror_wsapoll"))
def test_sigint_interrupts_mirror_select_and_wsapoll_and_the_socket_stays_usable(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["after"] == [1, 0]   # a second wait sees the peer's late data


@pytest.mark.parametrize("scenario", scenarios("int_mirror_send"))
def test_sigint_interrupts_mirror_send_on_a_full_buffer(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    # Still usable: once the peer reads, a send goes out, the peer gets it
    # last and then the FIN.
    assert out["send_after"] == [4, 0]
    assert out["shutdown"] == [0, 0]
    assert out["peer_tail"] == "tail" and out["peer_end"] == [0]


@pytest.mark.parametrize("scenario", scenarios("int_mirror_connect"))
def test_sigint_interrupts_mirror_connect_to_a_full_backlog(scenario: str) -> None:
    """listen(s, 0) with one connection queued: Linux drops the next SYNs, so
    the connect blocks (as test_faults.test_close_during_blocked_connect)."""
    out = child(scenario)
    assert_interrupted(out)
    assert out["close"] == [0, 0]   # the SOCKET was still open


# -- Ctrl-C on the Pythonic layer ---------------------------------------------------

@pytest.mark.parametrize("scenario", scenarios("int_connect"))
def test_sigint_interrupts_portsock_connect_and_leaves_no_descriptor(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    before, after = out["fds"]
    assert after == before, out


@pytest.mark.parametrize("scenario",
                         scenarios("int_conn_recv", "recv-") + scenarios("int_conn_recv_into", "recv_into-"))
def test_sigint_interrupts_connection_recv_and_it_stays_open(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is False
    assert out["recv_after"] == "late"
    assert out["closed_after_close"] is True
    assert out["fds"][0] == out["fds"][1], out


@pytest.mark.parametrize("scenario", scenarios("int_conn_sendall"))
def test_sigint_interrupts_connection_sendall_and_it_stays_open(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is False
    assert out["closed_after_close"] is True
    assert out["fds"][0] == out["fds"][1], out


@pytest.mark.parametrize("scenario", scenarios("int_conn_recv_until_fin"))
def test_sigint_interrupts_recv_until_fin_and_nothing_is_lost(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is False
    assert out["second"] == "part1part2"
    assert out["fds"][0] == out["fds"][1], out


@pytest.mark.parametrize("scenario", scenarios("int_listener_accept"))
def test_sigint_interrupts_listener_accept_and_it_stays_usable(scenario: str) -> None:
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is False
    assert out["accept_after"] == "connection"
    assert out["fds"][0] == out["fds"][1], out


@pytest.mark.parametrize("scenario", scenarios("int_conn_disconnect"))
def test_sigint_interrupts_disconnect_which_can_be_called_again(scenario: str) -> None:
    """The peer sent b"part1" before disconnect(); after the interrupt the
    connection is open and half-closed (the peer has the FIN); the peer then
    sends b"part2" and closes, and a second disconnect() returns both."""
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is False
    assert out["peer_recv"] == [0, 0]          # the client's FIN
    assert out["second"] == "part1part2"
    assert out["closed_after_second"] is True
    assert out["fds"][0] == out["fds"][1], out


@pytest.mark.parametrize("scenario", scenarios("int_with_exit"))
def test_sigint_interrupts_the_with_exit_which_closes_the_connection(scenario: str) -> None:
    """The exit's graceful disconnect waits for a silent peer's FIN (30 s by
    default): Ctrl-C ends it, propagates, and the connection is closed."""
    out = child(scenario)
    assert_interrupted(out)
    assert out["closed_after_interrupt"] is True
    before, after = out["fds"]
    assert after == before, out


# -- handlers that return: the call resumes, with its remaining timeout ----------------

def _resumed(out: Dict[str, Any], min_handled: int = 5) -> None:
    assert out["handled_during_call"] >= min_handled, (
        "the SIGUSR1 handler ran %d times during the call (%d signals): the call did not "
        "let it run at each signal and resume" % (out["handled_during_call"], out["signals_sent"]))


@pytest.mark.parametrize("scenario", ["resume_mirror_recv_timeout"])
def test_returning_handler_mirror_recv_keeps_its_remaining_timeout(scenario: str) -> None:
    out = child(scenario)
    assert (out.get("ret"), out["last_error"]) == (ws.SOCKET_ERROR, ws.WSAETIMEDOUT), out
    assert 1.4 <= out["seconds"] < 2.3, out
    _resumed(out)


@pytest.mark.parametrize("scenario", ["resume_mirror_select_timeout", "resume_mirror_wsapoll_timeout"])
def test_returning_handler_select_and_wsapoll_keep_their_remaining_timeout(scenario: str) -> None:
    out = child(scenario)
    assert (out.get("ret"), out.get("error")) == (0, None), out   # 0 at the timeout, no EINTR
    assert 1.4 <= out["seconds"] < 2.3, out
    _resumed(out)


@pytest.mark.parametrize("scenario", ["resume_conn_recv_timeout"])
def test_returning_handler_connection_recv_keeps_its_remaining_timeout(scenario: str) -> None:
    out = child(scenario)
    error = out.get("error")
    assert error is not None and "TimeoutError" in error["is"] and error["winerror"] == ws.WSAETIMEDOUT, out
    assert 0.9 <= out["seconds"] < 1.8, out
    _resumed(out)


@pytest.mark.parametrize("scenario", ["resume_conn_disconnect_timeout"])
def test_returning_handler_disconnect_keeps_its_remaining_timeout(scenario: str) -> None:
    out = child(scenario)
    error = out.get("error")
    assert error is not None and "TimeoutError" in error["is"] and error["winerror"] == ws.WSAETIMEDOUT, out
    assert 0.9 <= out["seconds"] < 1.8, out
    assert out["closed"] is True
    _resumed(out)


@pytest.mark.parametrize("scenario", ["resume_mirror_recv_data", "resume_conn_recv_data"])
def test_returning_handler_blocking_recv_gets_later_data(scenario: str) -> None:
    out = child(scenario)
    assert "error" not in out, out
    if scenario.startswith("resume_mirror"):
        assert (out["ret"], out["last_error"], out["data"]) == (4, 0, "data"), out
    else:
        assert out["ret"] == "data", out
    assert out["seconds"] >= 0.75, out
    _resumed(out, min_handled=4)


@pytest.mark.parametrize("scenario", ["resume_mirror_accept"])
def test_returning_handler_blocking_accept_gets_the_later_connection(scenario: str) -> None:
    out = child(scenario)
    assert (out.get("ret"), out["last_error"]) == ("socket", 0), out
    assert out["seconds"] >= 0.75, out
    _resumed(out, min_handled=4)


# -- the command line: Ctrl-C is exit status 130 -------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    """Whether a socket listens on 127.0.0.1:port (/proc/net/tcp: state 0A)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == "0100007F:%04X" % port and fields[3] == "0A":
                return True
    return False


def _cli(*args: str) -> subprocess.Popen[str]:
    # Python installs its SIGINT handler only if SIGINT is not ignored at start.
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return subprocess.Popen([sys.executable, "-m", "portsock", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if ignored else None)


def _interrupt(proc: subprocess.Popen[str], bound: float = 3.0) -> Dict[str, Any]:
    """SIGINT to proc; its exit status and how long it took to exit."""
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(bound)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        raise AssertionError("still running %.1f s after SIGINT\nstdout: %s\nstderr: %s" % (bound, out, err)) \
            from None
    seconds = time.monotonic() - t0
    out, err = proc.communicate(timeout=10)
    return {"status": proc.returncode, "seconds": seconds, "stdout": out, "stderr": err}


def test_cli_server_blocked_in_accept_exits_130_at_sigint() -> None:
    port = _free_port()
    proc = _cli("server", "--port", str(port))
    try:
        deadline = time.monotonic() + 10
        while not _listening(port) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _listening(port), "the server never listened (status %r)" % proc.poll()
        time.sleep(0.3)   # in accept now
        result = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert result["status"] == 130, result
    assert result["seconds"] < LATENCY, result


class _SilentStdlibPeer:
    """Accepts one client, reads its request to the FIN, never replies."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.got_fin = threading.Event()
        self.release = threading.Event()
        self.received = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.listener.settimeout(10)
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    self.received += data
            except OSError:
                return
            self.got_fin.set()
            self.release.wait(20)

    def close(self) -> None:
        self.release.set()
        self.thread.join(10)
        self.listener.close()


def test_cli_client_blocked_in_recv_exits_130_at_sigint() -> None:
    peer = _SilentStdlibPeer()
    proc: Optional[subprocess.Popen[str]] = None
    try:
        proc = _cli("client", "127.0.0.1", "--port", str(peer.port))
        assert peer.got_fin.wait(10), "the client never sent its request and FIN"
        time.sleep(0.3)   # in recv, waiting for the reply
        result = _interrupt(proc)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        peer.close()
    assert peer.received == b"this is a test"
    assert result["status"] == 130, result
    assert result["seconds"] < LATENCY, result
    assert "Bytes Sent: 14" in result["stdout"]



def test_a_pending_exception_is_raised_by_its_own_thread_only(wsa: ws.WSADATA) -> None:
    """The routing rule itself: the exception a handler raised during one
    thread's call is raised by that thread's layer, and a call of another
    thread that ends meanwhile leaves it where it is."""
    from portsock import _signals

    c, s = connected_pair()
    assert ws.ioctlsocket(c, ws.FIONBIO, 1) == 0
    mine, theirs = RuntimeError("this thread's"), RuntimeError("another thread's")
    try:
        _signals.pending = (threading.get_ident() + 1, theirs)
        assert ws.recv(c, bytearray(4), 4, 0) == ws.SOCKET_ERROR   # would block: a plain failure
        assert ws.WSAGetLastError() == ws.WSAEWOULDBLOCK
        assert _signals.pending == (threading.get_ident() + 1, theirs)
        _signals.pending = (threading.get_ident(), mine)
        with pytest.raises(RuntimeError, match="this thread's"):
            ws.recv(c, bytearray(4), 4, 0)
        assert _signals.pending is None
    finally:
        _signals.pending = None
        ws.closesocket(c)
        ws.closesocket(s)
