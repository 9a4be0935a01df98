"""A benchmark client process: one variant, commanded by bench/run.py.

    python bench/worker.py VARIANT        VARIANT: connection | mirror | stdlib

Reads one JSON command per line on stdin and answers each with one JSON line,
measured inside this process only (resource.getrusage(RUSAGE_SELF) deltas for
CPU, time.perf_counter for wall time), so the CPU of a variant is attributable
to it: the peer and the other variants run in other processes.

Commands ({"cmd": ...}):
  lifecycle  n, port       n lifecycles: connect, send 14 bytes, shutdown(SD_SEND),
                           drain to the peer's FIN, close
  bulk       size, port    one lifecycle whose reply is `size` bytes
  bulkkeep   size, port    (stdlib) the same, keeping the reply as bytes, as
                           Connection.disconnect() does
  bulkdiscard size, port   (connection) the same with disconnect(discard=True),
                           where the Connection has that option
  bulkrecvinto size, port  (connection) the same, received with a recv_into loop
                           into one reused 64 KiB bytearray, as the stdlib's bulk
  syscalls   n, port       n lifecycles, each preceded by a marker syscall that
                           bench/run.py cuts its strace log at (access() of a path
                           that does not exist), and one after the last
  caps                     what this portsock offers: {"discard": bool}
  percall    kind, calls, port, geterr
                           kind "send_shutdown": send after shutdown(SD_SEND);
                           kind "recv_wouldblock": recv on a non-blocking socket
                           with nothing to read. geterr: also read the error code
  threads    threads, n, port   n lifecycles split over `threads` threads
  gilcheck   port, seconds      (connection) main-thread work while another
                           thread is blocked in Connection.recv
  quit
"""

from __future__ import annotations

import functools
import json
import os
import resource
import sys
import threading
import time
from typing import Any, Callable, Dict

MESSAGE = b"this is a test"   # 14 bytes, the Winsock sample's sendbuf
DEFAULT_BUFLEN = 512          # the sample's recvbuf
BULK_BUFLEN = 65536
HOST = "127.0.0.1"
MARKER = "/portsock-bench-lifecycle-marker"   # also in client.c and client_winsock.c


def bulk_request(size: int) -> bytes:
    """The 14-byte request that makes the peer answer with `size` bytes."""
    return b"B%013d" % size


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime


def measure(fn: Callable[[], Any]) -> Dict[str, Any]:
    u0, s0 = cpu()
    t0 = time.perf_counter()
    extra = fn()
    t1 = time.perf_counter()
    u1, s1 = cpu()
    out = {"user": u1 - u0, "sys": s1 - s0, "wall": t1 - t0}
    if isinstance(extra, dict):
        out.update(extra)
    return out


class Failed(Exception):
    pass


# --------------------------------------------------------------------------
# portsock.Connection

class ConnectionVariant:
    def __init__(self) -> None:
        import portsock
        self.portsock = portsock
        self.bulkbuf = bytearray(BULK_BUFLEN)

    def lifecycle(self, port: int, request: bytes = MESSAGE) -> int:
        conn = self.portsock.connect(HOST, port)
        conn.sendall(request)
        return len(conn.disconnect())

    def bulk(self, port: int, size: int) -> int:
        return self.lifecycle(port, bulk_request(size))

    def bulkrecvinto(self, port: int, size: int) -> int:
        """The reply received as the stdlib's bulk row receives it: a recv_into
        loop into one reused buffer, keeping nothing."""
        buf = self.bulkbuf
        conn = self.portsock.connect(HOST, port)
        total = 0
        try:
            conn.sendall(bulk_request(size))
            conn.shutdown(self.portsock.SD_SEND)
            recv_into = conn.recv_into
            while True:
                n = recv_into(buf)
                if not n:
                    break
                total += n
        finally:
            conn.close()
        return total

    def caps(self) -> Dict[str, Any]:
        import inspect
        return {"discard": "discard" in inspect.signature(self.portsock.Connection.disconnect).parameters}

    def bulkdiscard(self, port: int, size: int) -> int:
        conn = self.portsock.connect(HOST, port)
        conn.sendall(bulk_request(size))
        conn.disconnect(discard=True)
        return int(conn.discarded)

    def gilcheck(self, port: int, seconds: float) -> Dict[str, Any]:
        """Counts a pure-Python loop for `seconds`, alone and then while another
        thread is blocked in Connection.recv (the peer sends nothing until our
        FIN). With the GIL held in the blocked call, the loop would not run at
        all (the recv would time out after 5 s instead)."""
        def spin(duration: float) -> int:
            count = 0
            end = time.perf_counter() + duration
            while time.perf_counter() < end:
                count += 1
            return count

        alone = spin(seconds)
        conn = self.portsock.connect(HOST, port, timeout=5.0)
        result: Dict[str, Any] = {}
        started = threading.Event()

        def blocked() -> None:
            started.set()
            t0 = time.perf_counter()
            try:
                result["data"] = conn.recv(1)
            except OSError as e:  # pragma: no cover - reported
                result["error"] = repr(e)
            result["blocked"] = time.perf_counter() - t0

        t = threading.Thread(target=blocked)
        t.start()
        started.wait()
        time.sleep(0.01)   # let it enter the native call
        during = spin(seconds)
        conn.shutdown(self.portsock.SD_SEND)   # the peer answers b"" and closes: recv returns
        t.join(10)
        conn.close()
        return {"alone": alone, "during": during, "blocked_s": result.get("blocked"),
                "error": result.get("error")}


# --------------------------------------------------------------------------
# portsock.winsock, line by line (the Winsock sample client)

class MirrorVariant:
    def __init__(self) -> None:
        from portsock import winsock as ws
        self.ws = ws
        self.wsaData = ws.WSADATA()
        # The process's WSAStartup, as a long-running Winsock program makes once.
        if ws.WSAStartup(ws.MAKEWORD(2, 2), self.wsaData) != 0:
            raise Failed("WSAStartup failed")
        self.hints = ws.ADDRINFOA()
        self.hints.ai_family = ws.AF_UNSPEC
        self.hints.ai_socktype = ws.SOCK_STREAM
        self.hints.ai_protocol = ws.IPPROTO_TCP
        self.recvbuf = bytearray(DEFAULT_BUFLEN)
        self.bulkbuf = bytearray(BULK_BUFLEN)

    def lifecycle(self, port: int, request: bytes = MESSAGE, recvbuf: Any = None) -> int:
        ws = self.ws
        recvbuf = self.recvbuf if recvbuf is None else recvbuf
        recvbuflen = len(recvbuf)
        result: list = []
        iResult = ws.getaddrinfo(HOST, str(port), self.hints, result)
        if iResult != 0:
            raise Failed("getaddrinfo failed with error: %d" % iResult)
        ConnectSocket = ws.INVALID_SOCKET
        for ptr in result:
            ConnectSocket = ws.socket(ptr.ai_family, ptr.ai_socktype, ptr.ai_protocol)
            if ConnectSocket == ws.INVALID_SOCKET:
                raise Failed("socket failed with error: %d" % ws.WSAGetLastError())
            iResult = ws.connect(ConnectSocket, ptr.ai_addr, ptr.ai_addrlen)
            if iResult == ws.SOCKET_ERROR:
                ws.closesocket(ConnectSocket)
                ConnectSocket = ws.INVALID_SOCKET
                continue
            break
        ws.freeaddrinfo(result)
        if ConnectSocket == ws.INVALID_SOCKET:
            raise Failed("Unable to connect to server!")
        iResult = ws.send(ConnectSocket, request, len(request), 0)
        if iResult == ws.SOCKET_ERROR:
            raise Failed("send failed with error: %d" % ws.WSAGetLastError())
        iResult = ws.shutdown(ConnectSocket, ws.SD_SEND)
        if iResult == ws.SOCKET_ERROR:
            raise Failed("shutdown failed with error: %d" % ws.WSAGetLastError())
        total = 0
        while True:
            iResult = ws.recv(ConnectSocket, recvbuf, recvbuflen, 0)
            if iResult > 0:
                total += iResult
            elif iResult == 0:
                break
            else:
                raise Failed("recv failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ConnectSocket)
        return total

    def bulk(self, port: int, size: int) -> int:
        return self.lifecycle(port, bulk_request(size), self.bulkbuf)

    def _connected(self, port: int) -> int:
        ws = self.ws
        result: list = []
        assert ws.getaddrinfo(HOST, str(port), self.hints, result) == 0
        s = ws.socket(result[0].ai_family, result[0].ai_socktype, result[0].ai_protocol)
        assert ws.connect(s, result[0].ai_addr, result[0].ai_addrlen) == 0
        return s

    def percall(self, kind: str, calls: int, port: int, geterr: bool) -> Dict[str, Any]:
        ws = self.ws
        s = self._connected(port)
        send, recv, WSAGetLastError, SOCKET_ERROR = ws.send, ws.recv, ws.WSAGetLastError, ws.SOCKET_ERROR
        msg, buf = MESSAGE, bytearray(DEFAULT_BUFLEN)
        rng = range(calls)
        err = 0
        try:
            if kind == "send_shutdown":
                assert ws.shutdown(s, ws.SD_SEND) == 0
                assert send(s, msg, 14, 0) == SOCKET_ERROR and WSAGetLastError() == ws.WSAESHUTDOWN
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                if geterr:
                    for _ in rng:
                        if send(s, msg, 14, 0) == SOCKET_ERROR:
                            err = WSAGetLastError()
                else:
                    for _ in rng:
                        send(s, msg, 14, 0)
                t1, c1 = time.perf_counter_ns(), time.process_time_ns()
                expected = ws.WSAESHUTDOWN
            else:
                assert ws.ioctlsocket(s, ws.FIONBIO, 1) == 0
                assert recv(s, buf, DEFAULT_BUFLEN, 0) == SOCKET_ERROR
                assert WSAGetLastError() == ws.WSAEWOULDBLOCK
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                if geterr:
                    for _ in rng:
                        if recv(s, buf, DEFAULT_BUFLEN, 0) == SOCKET_ERROR:
                            err = WSAGetLastError()
                else:
                    for _ in rng:
                        recv(s, buf, DEFAULT_BUFLEN, 0)
                t1, c1 = time.perf_counter_ns(), time.process_time_ns()
                expected = ws.WSAEWOULDBLOCK
            if geterr and err != expected:
                raise Failed("unexpected error %d" % err)
            if WSAGetLastError() != expected:
                raise Failed("unexpected error %d" % WSAGetLastError())
        finally:
            ws.closesocket(s)
        return {"ns_wall": (t1 - t0) / calls, "ns_cpu": (c1 - c0) / calls}


# --------------------------------------------------------------------------
# The stdlib socket module

class StdlibVariant:
    def __init__(self) -> None:
        import socket
        self.socket = socket
        self.recvbuf = bytearray(DEFAULT_BUFLEN)
        self.bulkbuf = bytearray(BULK_BUFLEN)

    def lifecycle(self, port: int, request: bytes = MESSAGE, recvbuf: Any = None) -> int:
        socket = self.socket
        buf = self.recvbuf if recvbuf is None else recvbuf
        s = socket.create_connection((HOST, port))
        total = 0
        try:
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            while True:
                n = s.recv_into(buf)
                if not n:
                    break
                total += n
        finally:
            s.close()
        return total

    def bulk(self, port: int, size: int) -> int:
        return self.lifecycle(port, bulk_request(size), self.bulkbuf)

    def bulkkeep(self, port: int, size: int) -> int:
        """The reply kept as bytes, as Connection.disconnect() returns it."""
        socket = self.socket
        s = socket.create_connection((HOST, port))
        chunks = []
        try:
            s.sendall(bulk_request(size))
            s.shutdown(socket.SHUT_WR)
            while True:
                data = s.recv(BULK_BUFLEN)
                if not data:
                    break
                chunks.append(data)
        finally:
            s.close()
        return len(b"".join(chunks))

    def percall(self, kind: str, calls: int, port: int, geterr: bool) -> Dict[str, Any]:
        socket = self.socket
        s = socket.create_connection((HOST, port))
        msg, buf = MESSAGE, bytearray(DEFAULT_BUFLEN)
        rng = range(calls)
        err = 0
        try:
            if kind == "send_shutdown":
                s.shutdown(socket.SHUT_WR)
                send = s.send
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                if geterr:
                    for _ in rng:
                        try:
                            send(msg)
                        except BrokenPipeError as e:
                            err = e.errno
                else:
                    for _ in rng:
                        try:
                            send(msg)
                        except BrokenPipeError:
                            pass
                t1, c1 = time.perf_counter_ns(), time.process_time_ns()
                expected = 32  # EPIPE
            else:
                s.setblocking(False)
                recv_into = s.recv_into
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                if geterr:
                    for _ in rng:
                        try:
                            recv_into(buf, DEFAULT_BUFLEN)
                        except BlockingIOError as e:
                            err = e.errno
                else:
                    for _ in rng:
                        try:
                            recv_into(buf, DEFAULT_BUFLEN)
                        except BlockingIOError:
                            pass
                t1, c1 = time.perf_counter_ns(), time.process_time_ns()
                expected = 11  # EAGAIN
            if geterr and err != expected:
                raise Failed("unexpected errno %d" % err)
        finally:
            s.close()
        return {"ns_wall": (t1 - t0) / calls, "ns_cpu": (c1 - c0) / calls}


VARIANTS = {"connection": ConnectionVariant, "mirror": MirrorVariant, "stdlib": StdlibVariant}


def run_lifecycles(v: Any, port: int, n: int) -> Dict[str, Any]:
    lifecycle = v.lifecycle
    total = 0
    for _ in range(n):
        total += lifecycle(port)
    if total != len(MESSAGE) * n:
        raise Failed("received %d bytes, expected %d" % (total, len(MESSAGE) * n))
    return {"n": n, "bytes": total}


def run_marked(v: Any, port: int, n: int) -> Dict[str, Any]:
    """run_lifecycles with a marker syscall before each lifecycle and after the
    last, for the strace count of bench/run.py."""
    lifecycle, access, F_OK = v.lifecycle, os.access, os.F_OK
    total = 0
    for _ in range(n):
        access(MARKER, F_OK)
        total += lifecycle(port)
    access(MARKER, F_OK)
    if total != len(MESSAGE) * n:
        raise Failed("received %d bytes, expected %d" % (total, len(MESSAGE) * n))
    return {"n": n, "bytes": total}


def run_bulk(fn: Callable[[int, int], int], port: int, size: int) -> Dict[str, Any]:
    return {"n": 1, "bytes": fn(port, size)}


def run_threads(v: Any, port: int, threads: int, n: int) -> Dict[str, Any]:
    per = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    errors: list = []
    barrier = threading.Barrier(threads + 1)

    def work(count: int) -> None:
        barrier.wait()
        try:
            run_lifecycles(v, port, count)
        except BaseException as e:  # pragma: no cover - reported
            errors.append(repr(e))

    pool = [threading.Thread(target=work, args=(c,)) for c in per]
    for t in pool:
        t.start()

    def go() -> Dict[str, Any]:
        barrier.wait()
        for t in pool:
            t.join()
        return {"n": n, "threads": threads}

    out = measure(go)
    if errors:
        raise Failed(errors[0])
    return out


def main() -> int:
    name = sys.argv[1]
    v = VARIANTS[name]()
    out = sys.stdout
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["cmd"]
        if op == "quit":
            break
        try:
            if op == "lifecycle":
                res = measure(functools.partial(run_lifecycles, v, cmd["port"], cmd["n"]))
            elif op == "syscalls":
                res = measure(functools.partial(run_marked, v, cmd["port"], cmd["n"]))
            elif op == "caps":
                res = v.caps() if hasattr(v, "caps") else {}
            elif op in ("bulk", "bulkkeep", "bulkdiscard", "bulkrecvinto"):
                size = cmd["size"]
                res = measure(functools.partial(run_bulk, getattr(v, op), cmd["port"], size))
                if res["bytes"] != size:
                    raise Failed("received %d bytes, expected %d" % (res["bytes"], size))
            elif op == "percall":
                res = v.percall(cmd["kind"], cmd["calls"], cmd["port"], cmd.get("geterr", False))
            elif op == "threads":
                res = run_threads(v, cmd["port"], cmd["threads"], cmd["n"])
            elif op == "gilcheck":
                res = v.gilcheck(cmd["port"], cmd["seconds"])
            else:
                raise Failed("unknown command %r" % op)
        except Exception as e:
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(res) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
