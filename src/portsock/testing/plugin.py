"""pytest plugin (entry point ``pytest11``): portsock's scripted peers as fixtures.

Each fixture yields a started peer and stops it after the test:
``echo_peer``, ``reply_after_fin_peer``, ``reset_peer``, ``silent_peer``,
``close_first_peer``, ``half_close_first_peer``. ``portsock_peer`` is a factory
for peers with arguments: ``portsock_peer("reply_after_fin", reply=1 << 20, delay=0.2)``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from portsock.testing import PEERS, Peer


def _started(kind: str, **kwargs: Any) -> Iterator[Peer]:
    peer = PEERS[kind](**kwargs).start()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def portsock_peer() -> Iterator[Callable[..., Peer]]:
    """A factory for scripted peers with arguments: ``portsock_peer("reply_after_fin", reply=1 << 20)``
    starts one of portsock.testing.PEERS (echo, reply_after_fin, reset, silent, close_first,
    half_close_first) on loopback; every peer it made is stopped after the test."""
    peers: List[Peer] = []

    def make(kind: str, **kwargs: Any) -> Peer:
        if kind not in PEERS:
            raise ValueError("unknown peer %r; one of %s" % (kind, ", ".join(sorted(PEERS))))
        peer = PEERS[kind](**kwargs).start()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture
def echo_peer() -> Iterator[Peer]:
    """An EchoPeer on 127.0.0.1: echoes until the client's FIN, then closes gracefully."""
    yield from _started("echo")


@pytest.fixture
def reply_after_fin_peer() -> Iterator[Peer]:
    """A ReplyAfterFinPeer on 127.0.0.1: reads until the client's FIN, then sends b"reply" and closes."""
    yield from _started("reply_after_fin")


@pytest.fixture
def reset_peer() -> Iterator[Peer]:
    """A ResetPeer on 127.0.0.1: resets the connection as soon as it accepts it."""
    yield from _started("reset")


@pytest.fixture
def silent_peer() -> Iterator[Peer]:
    """A SilentPeer on 127.0.0.1: accepts, then neither reads, sends nor closes until the test ends."""
    yield from _started("silent")


@pytest.fixture
def close_first_peer() -> Iterator[Peer]:
    """A CloseFirstPeer on 127.0.0.1: sends b"bye" and closes gracefully without reading."""
    yield from _started("close_first", reply=b"bye")


@pytest.fixture
def half_close_first_peer() -> Iterator[Peer]:
    """A HalfCloseFirstPeer on 127.0.0.1: sends b"hello", half-closes, reads until the client's FIN."""
    yield from _started("half_close_first")
