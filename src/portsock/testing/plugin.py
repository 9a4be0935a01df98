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
    yield from _started("echo")


@pytest.fixture
def reply_after_fin_peer() -> Iterator[Peer]:
    yield from _started("reply_after_fin")


@pytest.fixture
def reset_peer() -> Iterator[Peer]:
    yield from _started("reset")


@pytest.fixture
def silent_peer() -> Iterator[Peer]:
    yield from _started("silent")


@pytest.fixture
def close_first_peer() -> Iterator[Peer]:
    yield from _started("close_first", reply=b"bye")


@pytest.fixture
def half_close_first_peer() -> Iterator[Peer]:
    yield from _started("half_close_first")
