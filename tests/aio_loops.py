"""The event loops portsock.aio is tested on, for tests/test_aio.py and its
child processes: asyncio's default loop, a loop without add_reader/add_writer
(as Windows' ProactorEventLoop is: portsock.aio falls back to its selector
thread there) and uvloop, where it is installed."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, Optional

LOOPS = ["asyncio", "no_add_reader", "uvloop"]


class NoReadinessLoop(asyncio.SelectorEventLoop):
    """A selector loop whose add_reader/add_writer (and remove_*) raise
    NotImplementedError, as the ProactorEventLoop's do; its own self-pipe
    goes through the private _add_reader, so the loop itself still works."""

    def add_reader(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        raise NotImplementedError

    def add_writer(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        raise NotImplementedError

    def remove_reader(self, fd: Any) -> bool:
        raise NotImplementedError

    def remove_writer(self, fd: Any) -> bool:
        raise NotImplementedError


def uvloop_module() -> Optional[Any]:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "asyncio":
        return asyncio.new_event_loop()
    if kind == "no_add_reader":
        return NoReadinessLoop()
    if kind == "uvloop":
        uvloop = uvloop_module()
        if uvloop is None:
            raise RuntimeError("uvloop is not installed")
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    raise ValueError(kind)


def run_on(kind: str, coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
    """Runs coro on a new loop of the kind, bounded by timeout; closes the loop."""
    loop = new_loop(kind)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def registered(fd: int) -> bool:
    """Whether anything is registered for fd with the running loop (or with
    portsock.aio's selector thread for it). On a loop with add_reader the
    question is remove_reader/remove_writer's answer (True: something was)."""
    from portsock._readiness import readiness
    loop = asyncio.get_running_loop()
    found = readiness(loop)
    if found.uses_thread:
        for thread in found._threads:
            with thread._lock:
                if fd in thread._wanted:
                    return True
        return fd in found._where
    if isinstance(loop, NoReadinessLoop):
        return False
    return bool(loop.remove_reader(fd)) | bool(loop.remove_writer(fd))
