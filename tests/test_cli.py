"""The command line against real loopback peers: the samples' messages and
exit codes (0 success, 1 failure, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from portsock import winsock as ws
from portsock._cli import run_server

from conftest import listener, recv_all

CLI_TIMEOUT = 60


def portsock(*args):
    return subprocess.run([sys.executable, "-m", "portsock", *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)


def serve_in_thread():
    """The sample server on a free port, in this process; returns (port, thread, lines)."""
    lines = []
    ready = threading.Event()
    port = []

    def on_listening(p):
        port.append(p)
        ready.set()

    thread = threading.Thread(target=run_server, args=("127.0.0.1", "0", lines.append, on_listening), daemon=True)
    thread.start()
    assert ready.wait(10)
    return port[0], thread, lines


def test_demo_prints_the_whole_lifecycle():
    result = portsock("demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "[client] Bytes Sent: 14" in lines
    assert "[server] Bytes received: 14" in lines
    assert "[server] Bytes sent: 14" in lines
    assert "[server] Connection closing..." in lines
    assert "[client] Bytes received: 14" in lines
    assert "[client] Connection closed" in lines
    # The client's FIN comes before the server's reply is drained.
    assert lines.index("[server] Connection closing...") < lines.index("[client] Connection closed")


def test_demo_via_console_script_and_custom_message():
    result = subprocess.run(["portsock", "demo", "--message", "hello"], capture_output=True, text=True,
                            timeout=CLI_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "[client] Bytes Sent: 5" in result.stdout
    assert "[client] Bytes received: 5" in result.stdout


def test_client_against_the_sample_server():
    port, thread, server_lines = serve_in_thread()
    result = portsock("client", "127.0.0.1", "--port", str(port))
    thread.join(10)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Bytes Sent: 14", "Bytes received: 14", "Connection closed"]
    assert server_lines == ["Bytes received: 14", "Bytes sent: 14", "Connection closing..."]


def test_client_with_trace_prints_json_lines():
    port, thread, _ = serve_in_thread()
    result = portsock("client", "127.0.0.1", "--port", str(port), "--message", "abc", "--trace")
    thread.join(10)
    assert result.returncode == 0
    calls = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [c["call"] for c in calls] == ["WSAStartup", "getaddrinfo", "socket", "connect", "send", "shutdown",
                                          "recv", "recv", "closesocket", "WSACleanup"]
    assert calls[2] == {"call": "socket", "ret": "S1", "err": 0}
    assert calls[4] == {"call": "send", "ret": 3, "err": 0}
    assert calls[7] == {"call": "recv", "ret": 0, "err": 0}


def test_client_refused():
    result = portsock("client", "127.0.0.1", "--port", str(closed_port()))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["Unable to connect to server!"]


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    data = ws.WSADATA()
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), data) == 0
    try:
        s, bound = listener()
        port = ws.ntohs(bound.sin_port)
        ws.closesocket(s)
    finally:
        ws.WSACleanup()
    return port


def test_client_unknown_host():
    result = portsock("client", "no-such-host.invalid")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["getaddrinfo failed with error: %d" % ws.WSAHOST_NOT_FOUND]


def test_client_sees_a_reset_as_recv_failed_10054(wsa):
    lst, bound = listener()

    def resetting_peer():
        peer = ws.accept(lst, None, None)
        recv_all(peer)                       # the request, up to the client's FIN
        ws.setsockopt(peer, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 4)
        ws.closesocket(peer)                 # abortive: the client gets a reset

    thread = threading.Thread(target=resetting_peer, daemon=True)
    thread.start()
    result = portsock("client", "127.0.0.1", "--port", str(ws.ntohs(bound.sin_port)))
    thread.join(10)
    ws.closesocket(lst)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["Bytes Sent: 14", "recv failed with error: %d" % ws.WSAECONNRESET]


def test_server_command_echoes_one_client(wsa):
    port = closed_port()
    proc = subprocess.Popen([sys.executable, "-m", "portsock", "server", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        s = ws.INVALID_SOCKET
        addr = ws.sockaddr_in(ws.AF_INET, ws.htons(port), ws.in_addr(ws.inet_addr("127.0.0.1")))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:   # until the server listens
            s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
            if ws.connect(s, addr, ws.sizeof(addr)) == 0:
                break
            ws.closesocket(s)
            s = ws.INVALID_SOCKET
            time.sleep(0.05)
        assert s != ws.INVALID_SOCKET, "the server never listened"
        assert ws.send(s, b"hello", 5, 0) == 5
        assert ws.shutdown(s, ws.SD_SEND) == 0
        assert recv_all(s) == b"hello"
        ws.closesocket(s)
        out, _ = proc.communicate(timeout=CLI_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out.splitlines() == ["Bytes received: 5", "Bytes sent: 5", "Connection closing..."]


def test_server_port_in_use(wsa):
    lst, bound = listener()
    try:
        result = portsock("server", "--port", str(ws.ntohs(bound.sin_port)))
    finally:
        ws.closesocket(lst)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["bind failed with error: %d" % ws.WSAEADDRINUSE]


@pytest.mark.parametrize("args", [[], ["client"], ["bogus"]])
def test_usage_errors_exit_2(args):
    result = portsock(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_version():
    import portsock as pkg
    result = portsock("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "portsock " + pkg.__version__
