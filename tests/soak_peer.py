"""The soak test's peer: a checksum server on 127.0.0.1, run as a child process.

    python tests/soak_peer.py [--max-seconds S]

Prints its port on the first line of stdout, then serves until a line "stop"
(or end of file) on stdin, or until --max-seconds have passed, and prints one
JSON line of statistics before it exits.

One connection is one lifecycle: the client sends an 8-byte seed, then its
payload, then half-closes. The peer reads to the client's FIN, replies
sha256(payload) followed by the reply that the seed picks (see
:func:`plan`), half-closes and closes. The client checks every byte of the
answer. The peer is written on portsock.winsock, so the server side of every
lifecycle is portsock too (accept, recv, send, shutdown, closesocket in many
threads at once).
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
import sys
import threading
import time
from typing import Dict, Tuple

from portsock import winsock as ws

MAX_PAYLOAD = 1 << 20
MAX_REPLY = 1 << 20
POOL_SEED = 0x50525453   # the random pool both sides slice payloads and replies from
CALL_TIMEOUT_MS = 60000  # every wait of the peer is bounded
_pool_cache: Dict[int, bytes] = {}


def pool() -> bytes:
    """2 MiB of seeded random bytes, twice over, so any slice of up to 2 MiB wraps freely."""
    data = _pool_cache.get(POOL_SEED)
    if data is None:
        block = random.Random(POOL_SEED).randbytes(2 * MAX_PAYLOAD)
        data = _pool_cache[POOL_SEED] = block + block
    return data


def plan(seed: int) -> Tuple[int, int, int, int]:
    """(payload length, payload offset, reply length, reply offset) for a seed:
    lengths uniform in 0..1 MiB, offsets anywhere in the pool."""
    rng = random.Random(seed)
    return (rng.randint(0, MAX_PAYLOAD), rng.randrange(2 * MAX_PAYLOAD),
            rng.randint(0, MAX_REPLY), rng.randrange(2 * MAX_PAYLOAD))


def payload_for(seed: int) -> bytes:
    n, off, _, _ = plan(seed)
    return pool()[off:off + n]


def reply_for(seed: int) -> bytes:
    _, _, n, off = plan(seed)
    return pool()[off:off + n]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = {"connections": 0, "completed": 0, "bytes_in": 0, "bytes_out": 0,
                       "resets": 0, "errors": 0, "short_header": 0}
        self.error_codes: Dict[str, int] = {}

    def add(self, **kw: int) -> None:
        with self.lock:
            for k, v in kw.items():
                self.counts[k] += v

    def error(self, where: str, code: int) -> None:
        with self.lock:
            key = "%s:%d" % (where, code)
            self.error_codes[key] = self.error_codes.get(key, 0) + 1
            self.counts["resets" if code == ws.WSAECONNRESET else "errors"] += 1


def serve_one(s: int, stats: Stats) -> None:
    try:
        ms = ws.DWORD(CALL_TIMEOUT_MS)
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ms, 4)
        ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ms, 4)
        buf = bytearray(256 * 1024)
        view = memoryview(buf)
        header = bytearray()
        digest = hashlib.sha256()
        received = 0
        while True:
            n = ws.recv(s, buf, len(buf), 0)
            if n == 0:
                break
            if n < 0:
                stats.error("recv", ws.WSAGetLastError())
                return
            received += n
            chunk = view[:n]
            if len(header) < 8:
                take = min(8 - len(header), n)
                header += chunk[:take]
                chunk = chunk[take:]
            digest.update(chunk)
        stats.add(bytes_in=received)
        if len(header) < 8:
            stats.add(short_header=1)
            return
        (seed,) = struct.unpack("<Q", bytes(header))
        out = memoryview(digest.digest() + reply_for(seed))
        while out:
            n = ws.send(s, out, len(out), 0)
            if n < 0:
                stats.error("send", ws.WSAGetLastError())
                return
            stats.add(bytes_out=n)
            out = out[n:]
        if ws.shutdown(s, ws.SD_SEND) != 0:
            stats.error("shutdown", ws.WSAGetLastError())
            return
        stats.add(completed=1)
    finally:
        ws.closesocket(s)


def main() -> int:
    max_seconds = 7200.0
    if "--max-seconds" in sys.argv:
        max_seconds = float(sys.argv[sys.argv.index("--max-seconds") + 1])
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    pool()
    lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(lst, addr, ws.sizeof(addr)) == 0, ws.WSAGetLastError()
    assert ws.listen(lst, 128) == 0, ws.WSAGetLastError()
    bound = ws.sockaddr_in()
    ws.getsockname(lst, bound, ws.c_int(ws.sizeof(bound)))
    print(ws.ntohs(bound.sin_port), flush=True)

    stats = Stats()
    stopping = threading.Event()

    def stop() -> None:
        if not stopping.is_set():
            stopping.set()
            ws.closesocket(lst)   # wakes the accept below with WSAEINTR

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    timer = threading.Timer(max_seconds, stop)
    timer.daemon = True
    timer.start()
    workers = []
    while not stopping.is_set():
        s = ws.accept(lst, None, None)
        if s == ws.INVALID_SOCKET:
            if not stopping.is_set():
                stats.error("accept", ws.WSAGetLastError())
                time.sleep(0.01)
            continue
        stats.add(connections=1)
        t = threading.Thread(target=serve_one, args=(s, stats), daemon=True)
        t.start()
        workers.append(t)
        workers = [w for w in workers if w.is_alive()]
    for w in workers:
        w.join(CALL_TIMEOUT_MS / 1000 + 5)
    timer.cancel()
    result = dict(stats.counts)
    result["error_codes"] = stats.error_codes
    result["stuck_workers"] = sum(1 for w in workers if w.is_alive())
    print(json.dumps(result), flush=True)
    ws.WSACleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
