"""portsock.testing: the scripted peers and the pytest plugin's fixtures, used
the way a user's parity test would use them."""

from __future__ import annotations

import pytest

import portsock
from portsock import winsock as ws
from portsock.testing import PEERS, pattern


def test_plugin_fixtures_are_registered(request):
    for name in ("echo_peer", "reply_after_fin_peer", "reset_peer", "silent_peer", "close_first_peer",
                 "half_close_first_peer", "portsock_peer"):
        assert request.getfixturevalue(name) is not None


def test_echo_peer_fixture(echo_peer):
    with portsock.connect(*echo_peer.address, timeout=5) as conn:
        conn.sendall(b"echo me")
    assert conn.drained == b"echo me"
    report = echo_peer.wait()
    assert report.received == b"echo me" and report.saw_fin and not report.saw_reset


def test_reply_after_fin_peer_fixture_with_the_mirror(reply_after_fin_peer):
    """The same peer drives a line-for-line Winsock client."""
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    try:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        addr = ws.sockaddr_in(ws.AF_INET, ws.htons(reply_after_fin_peer.port), ws.in_addr(ws.inet_addr("127.0.0.1")))
        assert ws.connect(s, addr, ws.sizeof(addr)) == 0
        assert ws.send(s, b"req", 3, 0) == 3
        assert ws.shutdown(s, ws.SD_SEND) == 0
        buf = bytearray(64)
        got = bytearray()
        for _ in range(100):
            n = ws.recv(s, buf, len(buf), 0)
            assert n >= 0
            if n == 0:
                break
            got += buf[:n]
        assert bytes(got) == b"reply"
        assert ws.closesocket(s) == 0
    finally:
        ws.WSACleanup()
    assert reply_after_fin_peer.wait().saw_fin


def test_reset_peer_fixture(reset_peer):
    conn = portsock.connect(*reset_peer.address, timeout=5)
    with pytest.raises(ConnectionResetError):
        conn.recv(1)
    conn.close()


def test_silent_peer_fixture(silent_peer):
    conn = portsock.connect(*silent_peer.address)
    with pytest.raises(TimeoutError):
        conn.disconnect(timeout=0.2)


def test_close_first_peer_fixture(close_first_peer):
    conn = portsock.connect(*close_first_peer.address, timeout=5)
    assert conn.disconnect() == b"bye"


def test_half_close_first_peer_fixture(half_close_first_peer):
    conn = portsock.connect(*half_close_first_peer.address, timeout=5)
    assert conn.recv(5) == b"hello"
    assert conn.recv(5) == b""
    conn.sendall(b"ok")
    assert conn.disconnect() == b""
    assert half_close_first_peer.wait().received == b"ok"


def test_peer_factory_fixture(portsock_peer):
    peer = portsock_peer("reply_after_fin", reply=3000, delay=0.05)
    conn = portsock.connect(*peer.address, timeout=5)
    conn.sendall(b"x")
    assert conn.disconnect() == pattern(3000)
    with pytest.raises(ValueError):
        portsock_peer("no-such-peer")


def test_every_peer_is_listed():
    assert sorted(PEERS) == ["close_first", "echo", "flood", "half_close_first", "reply_after_fin", "reset", "silent"]


def test_pattern_is_position_dependent():
    data = pattern(1000)
    assert len(data) == 1000 and data[:251] != data[1:252]


def test_pytest_fixtures_lists_no_missing_docstring(tmp_path):
    import subprocess
    import sys
    (tmp_path / "test_x.py").write_text("def test_x(echo_peer):\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # portsock's fixtures only: other plugins' (pytest-asyncio's) may follow.
    section = proc.stdout.split("portsock.testing.plugin", 1)[-1].split("fixtures defined from", 1)[0]
    for name in ["portsock_peer", "echo_peer", "reply_after_fin_peer", "reset_peer", "silent_peer",
                 "close_first_peer", "half_close_first_peer"]:
        assert name in section, name
    assert "no docstring available" not in section, section
