"""Issue 12, item 5: Connection.from_socket() adopts only a connected TCP
socket over IPv4 or IPv6; anything else is a ValueError and the stdlib
socket stays attached and usable. Each case runs in a child process
(tests/adopt_child.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict

import adopt_child
import pytest

import portsock

CHILD = os.path.abspath(adopt_child.__file__)
REFUSED = ["unconnected_tcp", "listener", "udp_unconnected", "udp_connected", "unix_stream", "closed_tcp"]


def _run(name: str) -> Dict[str, Any]:
    proc = subprocess.run([sys.executable, CHILD, name], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", REFUSED)
def test_anything_but_a_connected_tcp_socket_is_refused_and_left_usable(name: str) -> None:
    if name == "unix_stream" and not hasattr(__import__("socket"), "AF_UNIX"):
        pytest.skip("no AF_UNIX here")
    out = _run(name)
    assert out.get("raised") == "ValueError", out
    assert out["fd_after"] == out["fd_before"], out      # still attached
    assert out["still_works"], out


@pytest.mark.parametrize("name", ["connected_tcp4", "connected_tcp6"])
def test_a_connected_tcp_socket_is_adopted(name: str) -> None:
    out = _run(name)
    assert out.get("adopted"), out
    assert out["fd_after"] == -1                          # detached: the Connection owns it
    assert out["peer_got"] == "adopted" and out["reply"] == "reply"


def test_not_a_socket_is_a_type_error() -> None:
    for bad in (3, None, object(), "sock"):
        with pytest.raises(TypeError):
            portsock.Connection.from_socket(bad)   # type: ignore[arg-type]
