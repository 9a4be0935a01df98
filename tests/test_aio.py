"""Issue 14: portsock.aio on real loopback sockets, on three kinds of loop --
asyncio's default, one without add_reader/add_writer (Windows' Proactor
loop as portsock.aio sees it: the selector thread) and uvloop.

Every test runs its coroutine on a fresh loop, bounded in time (aio_loops.run_on),
and every loop in a test is bounded in count."""

from __future__ import annotations

import asyncio
import json
import os
import socket as stdlib_socket
import subprocess
import sys
import threading
import time
from typing import Any, Awaitable, Callable, List, Tuple

import pytest

import portsock
import portsock.aio as aio
from portsock import winsock as ws
from portsock._readiness import readiness
from portsock.testing import (
    EchoPeer,
    FloodPeer,
    ReplyAfterFinPeer,
    ResetPeer,
    SilentPeer,
    pattern,
    wait_for,
)

from aio_loops import LOOPS, NoReadinessLoop, registered, run_on, uvloop_module
from conftest import socket_fds

HERE = os.path.dirname(os.path.abspath(__file__))
TIME_SLACK = 2.0


@pytest.fixture(params=LOOPS)
def run(request: Any) -> Callable[..., Any]:
    """run(coroutine function, *args): its result, on a new loop of this kind."""
    if request.param == "uvloop" and uvloop_module() is None:
        pytest.skip("uvloop is not installed (pip install uvloop, or portsock[test])")

    def run_it(fn: Callable[..., Awaitable[Any]], *args: Any, timeout: float = 60.0) -> Any:
        return run_on(request.param, fn(*args), timeout)

    run_it.kind = request.param  # type: ignore[attr-defined]
    return run_it


def _settled_fds(before: List[int]) -> bool:
    """Whether the process's sockets are back to before (the selector thread,
    idle, closes its wake-up pair within half a second)."""
    return wait_for(lambda: socket_fds() == before, timeout=5)


@pytest.fixture
def no_fd_left() -> Any:
    """Fails the test if it leaves a socket open once its peers and loops are gone."""
    before = socket_fds()
    yield
    assert _settled_fds(before), "sockets left open: %r" % sorted(set(socket_fds()) - set(before))


def _backlog_full() -> Tuple[stdlib_socket.socket, List[stdlib_socket.socket]]:
    """A listener whose backlog is full: a connect to it waits (its SYN is dropped)."""
    full = stdlib_socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    queued = [stdlib_socket.create_connection(full.getsockname(), timeout=5)]   # listen(0) queues one
    return full, queued


def _closed_port() -> int:
    s = stdlib_socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


# -- the lifecycle ------------------------------------------------------------------


def test_the_lifecycle_drains_the_whole_reply(run: Any, no_fd_left: Any) -> None:
    async def main(peer: ReplyAfterFinPeer) -> Tuple[bytes, str, str]:
        conn = await aio.connect(*peer.address, timeout=10)
        before = repr(conn)
        await conn.sendall(b"request")
        reply = await conn.disconnect()
        assert conn.closed and conn.fileno() == -1
        return reply, before, repr(conn)

    with ReplyAfterFinPeer(reply=4 << 20, delay=0.1) as peer:
        reply, before, after = run(main, peer)
        report = peer.wait()
    assert reply == pattern(4 << 20)
    assert report.received == b"request" and report.saw_fin and not report.saw_reset
    assert before.startswith("<portsock.aio.AsyncConnection open 127.0.0.1:") and "timeout=10.0" in before
    assert ":%d timeout" % peer.port in before
    assert after.startswith("<portsock.aio.AsyncConnection closed 127.0.0.1:")


def test_async_with_ends_with_the_graceful_disconnect(run: Any, no_fd_left: Any) -> None:
    async def main(peer: EchoPeer) -> Tuple[bytes, bytes]:
        async with await aio.connect(*peer.address) as conn:
            await conn.sendall(b"ping")
            first = await conn.recv(4)
            await conn.send(b"pong")
        return first, conn.drained

    with EchoPeer() as peer:
        first, drained = run(main, peer)
        report = peer.wait()
    assert (first, drained) == (b"ping", b"pong")
    assert report.saw_fin and not report.saw_reset


def test_ipv6_recv_into_shutdown_and_addresses(run: Any, no_fd_left: Any) -> None:
    async def main(peer: EchoPeer) -> Any:
        conn = await aio.connect(*peer.address, family=portsock.AF_INET6, timeout=10)
        assert conn.peer_address == ("::1", peer.port)
        assert conn.local_address is not None and conn.local_address[0] == "::1"
        assert conn.fileno() >= 0
        await conn.sendall(memoryview(b"xxhello")[2:])
        buf = bytearray(16)
        n = 0
        for _ in range(10):   # the echo may come in pieces
            n += await conn.recv_into(memoryview(buf)[n:], 5 - n)
            if n == 5:
                break
        await conn.shutdown(portsock.SD_SEND)
        with pytest.raises(BrokenPipeError) as info:     # WSAESHUTDOWN, as Connection's
            await conn.send(b"more")
        assert info.value.winerror == ws.WSAESHUTDOWN
        rest = await conn.disconnect()
        return bytes(buf[:n]), rest

    with EchoPeer(family=portsock.AF_INET6) as peer:
        assert run(main, peer) == (b"hello", b"")
        assert peer.wait().saw_fin


def test_the_server_side_lifecycle(run: Any, no_fd_left: Any) -> None:
    async def main() -> Any:
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            assert "listening 127.0.0.1:%d" % listener.local_address[1] in repr(listener)

            async def serve() -> bytes:
                conn, address = await listener.accept()
                assert address == conn.peer_address
                request = await conn.recv_until_fin(max_size=1 << 20)
                await conn.sendall(request[::-1])
                assert await conn.disconnect() == b""
                return request

            server = asyncio.ensure_future(serve())
            conn = await aio.connect(*listener.local_address, timeout=10)
            await conn.sendall(pattern(300000))
            reply = await conn.disconnect()
            request = await server
        assert listener.closed and listener.fileno() == -1
        return request, reply

    request, reply = run(main)
    assert request == pattern(300000) and reply == pattern(300000)[::-1]


def test_the_blocking_layer_and_aio_talk_to_each_other(run: Any, no_fd_left: Any) -> None:
    """An aio server, a blocking client in a thread (and the other way round
    by the peers above): the same bytes on the wire."""
    async def main() -> Any:
        listener = await aio.create_server(("127.0.0.1", 0))
        results: List[Any] = []

        def client() -> None:
            with portsock.connect(*listener.local_address, timeout=10) as conn:
                conn.sendall(b"blocking")
            results.append(conn.drained)

        thread = threading.Thread(target=client, daemon=True)
        thread.start()
        conn, _ = await listener.accept()
        listener.close()
        async with conn:
            await conn.sendall((await conn.recv_until_fin()).upper())
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        return results

    assert run(main) == [b"BLOCKING"]


def test_source_address_is_bound_first_and_its_errors_are_the_blocking_layers(run: Any, no_fd_left: Any) -> None:
    taken = stdlib_socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    nowhere = ("127.0.0.1", _closed_port())   # the bind fails before any connect
    try:
        with pytest.raises(OSError) as blocking:
            portsock.connect(*nowhere, source_address=taken.getsockname())

        async def main(peer: EchoPeer) -> Any:
            async with await aio.connect(*peer.address, source_address=("127.0.0.1", 0)) as conn:
                local = conn.local_address
            with pytest.raises(OSError) as info:
                await aio.connect(*nowhere, source_address=taken.getsockname())
            return local, info.value

        with EchoPeer() as peer:
            local, error = run(main, peer)
    finally:
        taken.close()
    assert local[0] == "127.0.0.1" and local[1] > 0
    _same(error, blocking.value)
    assert (error.winerror, error.function) == (ws.WSAEADDRINUSE, "bind")


def test_portsock_aio_is_there_after_import_portsock() -> None:
    proc = subprocess.run([sys.executable, "-c", "import sys, portsock; assert 'portsock.aio' not in sys.modules; "
                           "print(portsock.aio.connect.__module__)"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "portsock.aio"


# -- the same errors as the blocking layer -------------------------------------------


def _same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert (a.winerror, a.function, str(a)) == (b.winerror, b.function, str(b))  # type: ignore[attr-defined]


def test_connect_errors_are_the_blocking_layers(run: Any, no_fd_left: Any) -> None:
    port = _closed_port()
    with pytest.raises(ConnectionRefusedError) as blocking:
        portsock.connect("127.0.0.1", port)

    async def main() -> BaseException:
        with pytest.raises(ConnectionRefusedError) as info:
            await aio.connect("127.0.0.1", port)
        return info.value

    error = run(main)
    _same(error, blocking.value)
    assert error.winerror == ws.WSAECONNREFUSED and isinstance(error, portsock.WinsockError)
    assert error.errors == [error]  # type: ignore[attr-defined]


def test_a_name_is_resolved_without_blocking_the_loop(run: Any, no_fd_left: Any) -> None:
    async def main(peer: EchoPeer) -> bytes:
        async with await aio.connect("localhost", peer.port, family=portsock.AF_INET, timeout=10) as conn:
            await conn.sendall(b"named")
        return conn.drained

    with EchoPeer() as peer:
        assert run(main, peer) == b"named"

    async def unknown() -> BaseException:
        with pytest.raises(portsock.WinsockError) as info:
            await aio.connect("no-such-host.invalid", 80)
        return info.value

    assert run(unknown).function == "getaddrinfo"


def test_a_reset_is_the_blocking_layers_error_with_partial(run: Any, no_fd_left: Any) -> None:
    with ResetPeer(after=4) as peer:
        conn = portsock.connect(*peer.address, timeout=10)
        conn.sendall(b"ping")
        with pytest.raises(ConnectionResetError) as blocking:
            conn.disconnect()

    async def main(peer: ResetPeer) -> BaseException:
        conn = await aio.connect(*peer.address, timeout=10)
        await conn.sendall(b"ping")
        with pytest.raises(ConnectionResetError) as info:
            await conn.disconnect()
        assert conn.closed
        return info.value

    with ResetPeer(after=4) as peer:
        error = run(main, peer)
    _same(error, blocking.value)
    assert error.winerror == ws.WSAECONNRESET and error.partial == b""  # type: ignore[attr-defined]


def test_argument_errors_are_the_blocking_layers(run: Any) -> None:
    async def main() -> None:
        for bad, exc in (((1, 80), TypeError), (("127.0.0.1", 70000), ValueError),
                         (("127.0.0.1", "80"), TypeError), (("a\0b", 80), ValueError)):
            with pytest.raises(exc):
                await aio.connect(*bad)
        with pytest.raises(ValueError):
            await aio.connect("127.0.0.1", 80, family=12345)
        with pytest.raises(ValueError):
            await aio.connect("127.0.0.1", 80, timeout=-1)
        with pytest.raises(TypeError):
            await aio.create_server("127.0.0.1")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await aio.create_server(("127.0.0.1", 0), dualstack_ipv6=True)

    run(main)


def test_a_closed_connection_refuses_calls_with_wsaenotsock(run: Any, no_fd_left: Any) -> None:
    async def main(peer: EchoPeer) -> None:
        conn = await aio.connect(*peer.address)
        conn.close()
        conn.close()
        conn.abort()   # idempotent, all of them
        for call in (conn.recv(1), conn.send(b"x"), conn.sendall(b"x"), conn.shutdown(portsock.SD_SEND),
                     conn.recv_until_fin()):
            with pytest.raises(OSError) as info:
                await call
            assert info.value.winerror == ws.WSAENOTSOCK  # type: ignore[attr-defined]
        with pytest.raises(OSError) as info:
            await conn.disconnect()
        assert info.value.partial == b""  # type: ignore[attr-defined]
        with pytest.raises(OSError) as info:
            await conn.disconnect(discard=True)
        assert info.value.partial == 0  # type: ignore[attr-defined]
        with pytest.raises(ValueError):
            await conn.disconnect(max_size=1, discard=True)
        with pytest.raises(TypeError):
            await conn.recv("1")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await conn.sendall("text")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await conn.shutdown(3)

    with EchoPeer() as peer:
        run(main, peer)


def test_two_tasks_cannot_wait_on_the_same_side(run: Any, no_fd_left: Any) -> None:
    async def main(peer: SilentPeer) -> None:
        conn = await aio.connect(*peer.address)
        first = asyncio.ensure_future(conn.recv(1))
        await asyncio.sleep(0.05)
        with pytest.raises(RuntimeError, match="already waiting to receive"):
            await conn.recv(1)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        conn.close()

    with SilentPeer() as peer:
        run(main, peer)


# -- timeouts, bounds, flood and slow peers -------------------------------------------


def test_the_connections_timeout_bounds_each_call(run: Any, no_fd_left: Any) -> None:
    async def main(peer: SilentPeer) -> None:
        conn = await aio.connect(*peer.address, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            await conn.recv(10)
        assert 0.19 <= time.monotonic() - started < 0.2 + TIME_SLACK
        assert (info.value.winerror, info.value.function) == (ws.WSAETIMEDOUT, "recv")  # type: ignore[attr-defined]
        conn.settimeout(0)
        with pytest.raises(BlockingIOError) as info:
            await conn.recv(10)
        assert info.value.winerror == ws.WSAEWOULDBLOCK  # type: ignore[attr-defined]
        assert conn.gettimeout() == 0
        with pytest.raises(TimeoutError) as info:
            await conn.disconnect(0.2)
        assert info.value.partial == b"" and conn.closed  # type: ignore[attr-defined]

    with SilentPeer() as peer:
        run(main, peer)


def test_sendall_to_a_peer_that_stops_reading_times_out_with_bytes_sent(run: Any, no_fd_left: Any) -> None:
    async def main(peer: SilentPeer) -> None:
        conn = await aio.connect(*peer.address, timeout=0.3)
        with pytest.raises(TimeoutError) as info:
            await conn.sendall(bytes(64 << 20))
        sent = info.value.bytes_sent  # type: ignore[attr-defined]
        assert 0 < sent < 64 << 20
        conn.abort()

    with SilentPeer() as peer:
        run(main, peer)


def test_a_slow_peer_is_waited_for(run: Any, no_fd_left: Any) -> None:
    async def main(peer: ReplyAfterFinPeer) -> Tuple[bytes, float]:
        conn = await aio.connect(*peer.address, timeout=5)
        await conn.sendall(b"slow")
        started = time.monotonic()
        ticks = 0

        async def ticker() -> None:   # the loop keeps running while disconnect waits
            nonlocal ticks
            for _ in range(1000):
                await asyncio.sleep(0.01)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        reply = await conn.disconnect()
        tick.cancel()
        assert ticks >= 20
        return reply, time.monotonic() - started

    with ReplyAfterFinPeer(reply=b"late reply", delay=0.5) as peer:
        reply, elapsed = run(main, peer)
        assert not peer.wait().saw_reset
    assert reply == b"late reply" and elapsed >= 0.45


def test_a_flood_stops_at_max_size_with_a_reset(run: Any, no_fd_left: Any) -> None:
    async def main(peer: FloodPeer) -> Any:
        conn = await aio.connect(*peer.address, timeout=10)
        await conn.sendall(b"go")
        with pytest.raises(portsock.ReplyTooLarge) as info:
            await conn.disconnect(max_size=3 << 20)
        assert conn.closed
        return info.value

    with FloodPeer() as peer:
        error = run(main, peer)
        assert peer.wait().saw_reset
    assert error.partial == pattern(3 << 20) and error.winerror == ws.WSAEMSGSIZE and error.max_size == 3 << 20


def test_a_flood_discarded_until_the_timeout(run: Any, no_fd_left: Any) -> None:
    async def main(peer: FloodPeer) -> Tuple[Any, int]:
        conn = await aio.connect(*peer.address)
        await conn.sendall(b"go")
        with pytest.raises(TimeoutError) as info:
            await conn.disconnect(0.3, discard=True)
        return info.value, conn.discarded

    with FloodPeer() as peer:
        error, discarded = run(main, peer)
    assert error.partial == discarded > 1 << 20


def test_a_flood_before_the_fin_is_read_by_recv_until_fin_bounded(run: Any, no_fd_left: Any) -> None:
    async def main(peer: FloodPeer) -> None:
        conn = await aio.connect(*peer.address, timeout=10)
        with pytest.raises(portsock.ReplyTooLarge) as info:
            await conn.recv_until_fin(max_size=1 << 20)
        assert info.value.partial == pattern(1 << 20) and not conn.closed
        conn.abort()

    with FloodPeer(before_fin=True) as peer:
        run(main, peer)


def test_the_exit_of_async_with_keeps_the_partial_reply(run: Any, no_fd_left: Any) -> None:
    async def main(peer: ReplyAfterFinPeer) -> Any:
        conn = await aio.connect(*peer.address, timeout=0.3)
        with pytest.raises(TimeoutError):
            async with conn:
                await conn.sendall(b"x")
        assert conn.drained == b"partial" and conn.closed
        return conn

    with ReplyAfterFinPeer(reply=b"partial", then="stall", timeout=1) as peer:
        run(main, peer)


def test_an_exception_in_the_block_propagates_after_the_disconnect(run: Any, no_fd_left: Any) -> None:
    async def main(peer: ReplyAfterFinPeer) -> bytes:
        conn = await aio.connect(*peer.address, timeout=5)
        with pytest.raises(KeyError):
            async with conn:
                raise KeyError("mine")
        return conn.drained

    with ReplyAfterFinPeer(reply=b"still drained") as peer:
        assert run(main, peer) == b"still drained"
        assert not peer.wait().saw_reset


# -- close and abort from another task --------------------------------------------------


@pytest.mark.parametrize("call", ["recv", "recv_into", "sendall", "disconnect", "recv_until_fin"])
@pytest.mark.parametrize("how", ["close", "abort"])
def test_close_from_another_task_wakes_the_waiting_call(run: Any, no_fd_left: Any, call: str, how: str) -> None:
    async def main(peer: SilentPeer) -> None:
        conn = await aio.connect(*peer.address)
        fd = conn.fileno()
        if call == "sendall":
            coro = conn.sendall(bytes(64 << 20))
        elif call == "recv_into":
            coro = conn.recv_into(bytearray(10))
        else:
            coro = getattr(conn, call)() if call != "recv" else conn.recv(10)
        task = asyncio.ensure_future(coro)
        await asyncio.sleep(0.1)
        assert not task.done()
        getattr(conn, how)()
        with pytest.raises(InterruptedError) as info:
            await task
        error = info.value
        assert error.winerror == ws.WSAEINTR  # type: ignore[attr-defined]
        assert str(error).endswith("the connection was closed while %s was waiting" % call)
        if call in ("disconnect", "recv_until_fin"):
            assert error.partial == b""  # type: ignore[attr-defined]
        if call == "sendall":
            assert error.bytes_sent > 0  # type: ignore[attr-defined]
        assert conn.closed and not registered(fd)

    with SilentPeer() as peer:
        run(main, peer)


def test_close_of_the_listener_wakes_accept(run: Any, no_fd_left: Any) -> None:
    async def main() -> None:
        listener = await aio.create_server(("127.0.0.1", 0))
        fd = listener.fileno()
        task = asyncio.ensure_future(listener.accept())
        await asyncio.sleep(0.1)
        listener.close()
        with pytest.raises(InterruptedError, match="the listener was closed while accept was waiting"):
            await task
        assert not registered(fd)
        listener.close()
        with pytest.raises(OSError) as info:
            await listener.accept()
        assert info.value.winerror == ws.WSAENOTSOCK  # type: ignore[attr-defined]

    run(main)


def test_accept_timeouts(run: Any, no_fd_left: Any) -> None:
    async def main() -> None:
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(0.2)
            with pytest.raises(TimeoutError):
                await listener.accept()
            listener.settimeout(0)
            with pytest.raises(BlockingIOError):
                await listener.accept()

    run(main)


# -- cancellation at every await point ------------------------------------------------


async def _cancel_after(aw: Awaitable[Any], seconds: float = 0.1) -> asyncio.Task[Any]:
    task = asyncio.ensure_future(aw)
    await asyncio.sleep(seconds)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return task


@pytest.mark.parametrize("call", ["recv", "recv_into", "send", "sendall"])
def test_a_cancelled_io_call_leaves_the_connection_open_and_nothing_registered(run: Any, no_fd_left: Any,
                                                                             call: str) -> None:
    async def main(peer: EchoPeer) -> bytes:
        conn = await aio.connect(*peer.address)
        fd = conn.fileno()
        if call in ("send", "sendall"):
            # A full send buffer: the peer echoes, and nobody reads the echo.
            ws.setsockopt(conn._handle, ws.SOL_SOCKET, ws.SO_SNDBUF, 4096, 4)
            for _ in range(10000):
                try:
                    await asyncio.wait_for(conn.sendall(bytes(65536)), 0.2)
                except asyncio.TimeoutError:
                    break
            else:
                raise AssertionError("the send buffer never filled")
            await _cancel_after(conn.send(b"x") if call == "send" else conn.sendall(bytes(1 << 20)))
            assert not registered(fd) and not conn.closed
            conn.abort()
            return b""
        await _cancel_after(conn.recv(10) if call == "recv" else conn.recv_into(bytearray(10)))
        assert not registered(fd) and not conn.closed
        await conn.sendall(b"still open")            # the connection goes on as before
        return await conn.disconnect()

    with EchoPeer() as peer:
        assert run(main, peer) in (b"still open", b"")


def test_a_cancelled_connect_closes_its_socket(run: Any, no_fd_left: Any) -> None:
    full, queued = _backlog_full()
    try:
        async def main() -> None:
            before = socket_fds()
            task = await _cancel_after(aio.connect(*full.getsockname()), 0.2)
            assert task.cancelled()
            assert _settled_fds(before)   # (a selector thread's wake-up pair ends once it is idle)

        run(main)
    finally:
        for s in queued:
            s.close()
        full.close()


def test_a_cancelled_accept_leaves_the_listener_usable(run: Any, no_fd_left: Any) -> None:
    async def main() -> bytes:
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            await _cancel_after(listener.accept())
            assert not registered(listener.fileno())
            client = asyncio.ensure_future(aio.connect(*listener.local_address))
            conn, _ = await listener.accept()
            c = await client
            await c.sendall(b"after")
            done = asyncio.ensure_future(c.disconnect())
            async with conn:
                request = await conn.recv_until_fin()
            assert await done == b""
            return request

    assert run(main) == b"after"


async def _fin_or_reset(conn: aio.AsyncConnection) -> str:
    """How the client ended, seen from the server end `conn` (which has read
    the client's FIN already, so a recv says 0 either way): after a reset, a
    send fails at once; after a close, the first send is still taken."""
    await asyncio.sleep(0.1)
    try:
        await conn.send(b"after")
    except OSError as error:
        return "reset" if error.winerror in (ws.WSAECONNRESET, ws.WSAECONNABORTED) else repr(error)
    finally:
        conn.close()
    return "fin"


@pytest.mark.parametrize("late", [False, True], ids=["before the deadline", "after the deadline"])
def test_a_cancelled_disconnect_closes_abortively_once_its_deadline_passed(run: Any, no_fd_left: Any,
                                                                          late: bool) -> None:
    async def main() -> Tuple[str, bytes]:
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            client = await aio.connect(*listener.local_address)
            server, _ = await listener.accept()
            await server.sendall(b"early")           # the client receives this much before it is cancelled
            fd = client.fileno()
            task = asyncio.ensure_future(client.disconnect(timeout=0.2 if late else 30))
            assert await server.recv_until_fin() == b""      # the client's FIN, from shutdown(SD_SEND)
            await asyncio.sleep(0.05)
            if late:
                time.sleep(0.3)   # the loop is held past the deadline, then the cancellation comes first
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client.closed and not registered(fd)
            return await _fin_or_reset(server), client.drained

    seen, drained = run(main)
    assert drained == b"early"
    assert seen == ("reset" if late else "fin")


def test_a_cancelled_disconnect_discarding_keeps_the_count(run: Any, no_fd_left: Any) -> None:
    async def main(peer: FloodPeer) -> int:
        conn = await aio.connect(*peer.address)
        await conn.sendall(b"go")
        await _cancel_after(conn.disconnect(discard=True), 0.3)
        assert conn.closed
        return conn.discarded

    with FloodPeer() as peer:
        assert run(main, peer) > 0


def test_a_cancelled_recv_until_fin_keeps_what_came_in_drained(run: Any, no_fd_left: Any) -> None:
    async def main() -> bytes:
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            client = await aio.connect(*listener.local_address)
            server, _ = await listener.accept()
            await client.sendall(b"half a request")
            await _cancel_after(server.recv_until_fin())
            assert not server.closed
            client.abort()
            server.close()
            return server.drained

    assert run(main) == b"half a request"


def test_cancelling_the_async_with_block_closes_without_waiting(run: Any, no_fd_left: Any) -> None:
    async def main(peer: SilentPeer) -> float:
        conn = await aio.connect(*peer.address, timeout=30)

        async def block() -> None:
            async with conn:
                await conn.recv(1)

        started = time.monotonic()
        await _cancel_after(block())
        assert conn.closed
        return time.monotonic() - started

    with SilentPeer() as peer:
        assert run(main, peer) < 1 + TIME_SLACK


# -- asyncio.timeout() and wait_for around every call ------------------------------------


def _timeouts() -> List[Any]:
    kinds: List[Any] = ["wait_for"]
    if sys.version_info >= (3, 11):
        kinds.append("timeout")
    return kinds


async def _bounded(kind: str, aw: Awaitable[Any], seconds: float = 0.15) -> float:
    started = time.monotonic()
    if kind == "wait_for":
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aw, seconds)
    else:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(seconds):  # type: ignore[attr-defined]
                await aw
    return time.monotonic() - started


@pytest.mark.parametrize("kind", _timeouts())
def test_caller_timeouts_work_around_every_call(run: Any, no_fd_left: Any, kind: str) -> None:
    full, queued = _backlog_full()

    async def main(peer: SilentPeer) -> None:
        elapsed = [await _bounded(kind, aio.connect(*full.getsockname()))]
        conn = await aio.connect(*peer.address)
        fd = conn.fileno()
        elapsed.append(await _bounded(kind, conn.recv(1)))
        elapsed.append(await _bounded(kind, conn.recv_into(bytearray(1))))
        elapsed.append(await _bounded(kind, conn.recv_until_fin()))
        elapsed.append(await _bounded(kind, conn.sendall(bytes(64 << 20))))
        assert not registered(fd) and not conn.closed
        for _ in range(1000):   # a send that waits: once what the peer's buffers take is taken
            started = time.monotonic()
            try:
                await _bounded(kind, conn.send(bytes(1 << 16)))
            except pytest.fail.Exception:
                continue
            elapsed.append(time.monotonic() - started)
            break
        else:
            raise AssertionError("send never waited")
        elapsed.append(await _bounded(kind, conn.disconnect()))
        assert conn.closed and not registered(fd)
        async with await aio.create_server(("127.0.0.1", 0)) as listener:
            elapsed.append(await _bounded(kind, listener.accept()))
            assert not registered(listener.fileno())
        assert all(0.14 <= e < 0.15 + TIME_SLACK for e in elapsed), elapsed

    try:
        with SilentPeer() as peer:
            run(main, peer)
    finally:
        for s in queued:
            s.close()
        full.close()


# -- the loop without add_reader: the selector thread -----------------------------------------


def test_a_loop_without_add_reader_gets_a_selector_thread_that_ends_when_idle(no_fd_left: Any) -> None:
    async def main(peer: ReplyAfterFinPeer) -> Tuple[bool, bytes]:
        async with await aio.connect(*peer.address) as conn:
            await conn.sendall(b"x")      # the reply comes late: the disconnect waits
        return readiness(asyncio.get_running_loop()).uses_thread, conn.drained

    def selector_threads() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "portsock.aio selector")

    with ReplyAfterFinPeer(reply=b"proactor-like", delay=0.1) as peer:
        assert run_on("no_add_reader", main(peer)) == (True, b"proactor-like")
    assert wait_for(lambda: selector_threads() == 0, timeout=5)
    with ReplyAfterFinPeer(reply=b"proactor-like", delay=0.1) as peer:
        # asyncio's own loop: a selector loop with add_reader, except on Windows, where the
        # default is the proactor (no add_reader): the selector thread there too.
        assert run_on("asyncio", main(peer)) == (sys.platform == "win32", b"proactor-like")
    loop = NoReadinessLoop()
    try:
        with pytest.raises(NotImplementedError):
            loop.add_reader(0, print)
    finally:
        loop.close()


def test_past_a_threads_bound_the_waits_spread_over_more_selector_threads(monkeypatch: Any,
                                                                          no_fd_left: Any) -> None:
    """Windows' select takes at most 512 sockets: there each selector thread
    watches at most 500 (here 8, to see it on Linux)."""
    from portsock import _readiness
    monkeypatch.setattr(_readiness, "_PER_THREAD", 8)
    n = 40

    def selector_threads() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "portsock.aio selector")

    async def main() -> Tuple[int, List[bytes]]:
        listener = await aio.create_server(("127.0.0.1", 0))
        accepted: List[aio.AsyncConnection] = []
        most = 0

        async def clients() -> List[bytes]:
            conns = [await aio.connect(*listener.local_address, timeout=30) for _ in range(n)]
            for i, conn in enumerate(conns):
                await conn.sendall(b"%d" % i)
            return list(await asyncio.gather(*(conn.disconnect() for conn in conns)))

        waiting = asyncio.ensure_future(clients())
        for _ in range(n):
            accepted.append((await listener.accept())[0])
        listener.close()
        requests = [await conn.recv_until_fin() for conn in accepted]   # every client waits in disconnect now
        await asyncio.sleep(0.1)
        most = selector_threads()
        for conn, request in zip(accepted, requests):
            await conn.sendall(request)
            await conn.disconnect()
        return most, await waiting

    most, replies = run_on("no_add_reader", main())
    assert replies == [b"%d" % i for i in range(n)]
    assert most >= n // 8, most
    assert wait_for(lambda: selector_threads() == 0, timeout=5)


# -- the pytest plugin's peers from async code ----------------------------------------------


def test_the_peers_work_from_async_code(run: Any, no_fd_left: Any) -> None:
    async def main() -> Any:
        async with ReplyAfterFinPeer(reply=b"async", delay=0.2) as peer:
            conn = await aio.connect(*peer.address, timeout=10)
            await conn.sendall(b"hi")
            waiting = asyncio.ensure_future(peer.async_wait())   # the loop keeps serving the client
            reply = await conn.disconnect()
            report = await waiting
        return reply, report

    reply, report = run(main)
    assert reply == b"async" and report.received == b"hi" and report.saw_fin and not report.saw_reset


def test_the_plugin_fixtures_work_from_async_code(run: Any, echo_peer: Any, portsock_peer: Any) -> None:
    slow = portsock_peer("reply_after_fin", reply=b"slow", delay=0.2)

    async def main() -> Any:
        async with await aio.connect(*echo_peer.address) as a, await aio.connect(*slow.address) as b:
            await a.sendall(b"echo")
            await b.sendall(b"x")
        return a.drained, b.drained, (await echo_peer.async_wait()).saw_fin

    assert run(main) == (b"echo", b"slow", True)


# -- a thousand concurrent lifecycles, no descriptor left open ------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts descriptors in /proc")
@pytest.mark.parametrize("kind", LOOPS)
def test_a_thousand_concurrent_lifecycles_leave_no_descriptor_open(kind: str) -> None:
    if kind == "uvloop" and uvloop_module() is None:
        pytest.skip("uvloop is not installed")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "aio_child.py"), kind, "1000"],
                          capture_output=True, text=True, timeout=240, cwd=HERE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["replies_ok"] == 1000 and result["peak_open"] >= 1000
    assert result["left_open"] == [], result
