"""Child process of tests/test_aio.py: N concurrent lifecycles on one loop.

    python aio_child.py LOOP_KIND N

An aio server on 127.0.0.1 and N aio clients on one loop of the kind: every
client connects and waits until all N are connected (so N connections and N
accepted ones are open at once), then sends 14 bytes and disconnects; the
server echoes each request after the client's FIN. Prints one JSON line: how
many replies were right, the most sockets open at once, and the sockets still
open at the end that were not open at the start. RLIMIT_NOFILE's soft limit is
raised first where 2N + 100 descriptors would not fit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import portsock.aio as aio
from portsock.testing import wait_for

from aio_loops import run_on
from conftest import socket_fds


def raise_fd_limit(need: int) -> None:
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need if hard == resource.RLIM_INFINITY else min(need, hard), hard))


async def lifecycles(n: int) -> Dict[str, Any]:
    listener = await aio.create_server(("127.0.0.1", 0))
    connected = 0
    all_connected = asyncio.Event()
    peak: List[int] = [0]

    async def serve(conn: aio.AsyncConnection) -> None:
        async with conn:
            await conn.sendall(await conn.recv_until_fin(max_size=1024))

    async def accept_all() -> None:
        servers = []
        for _ in range(n):
            conn, _ = await listener.accept()
            servers.append(asyncio.ensure_future(serve(conn)))
        await asyncio.gather(*servers)

    async def client(i: int) -> bool:
        nonlocal connected
        conn = await aio.connect(*listener.local_address, timeout=60)
        connected += 1
        if connected == n:
            peak[0] = len(socket_fds())
            all_connected.set()
        await all_connected.wait()
        message = b"this is a %04d" % (i % 10000)
        await conn.sendall(message)
        return await conn.disconnect() == message

    server = asyncio.ensure_future(accept_all())
    results = await asyncio.gather(*(client(i) for i in range(n)))
    await server
    listener.close()
    return {"replies_ok": sum(results), "peak_open": peak[0]}


def main() -> None:
    kind, n = sys.argv[1], int(sys.argv[2])
    raise_fd_limit(2 * n + 100)
    before = socket_fds()
    result = run_on(kind, lifecycles(n), timeout=180)
    wait_for(lambda: socket_fds() == before, timeout=5)   # the selector thread's wake-up pair, once idle
    result["left_open"] = sorted(set(socket_fds()) - set(before))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
