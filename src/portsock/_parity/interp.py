"""Runs the parity scenarios through portsock.winsock (the Python mirror).

    python -m portsock._parity.interp [SCENARIOS_FILE|-] [NAME ...]

prints what tests/native/driver.c prints: "== NAME", then one trace line per op.
Every traced line comes from portsock.winsock.trace() around the one mirror call
the op makes (so its "call" and "err" are the tracer's own); helper calls such
as the getsockname after a bind run outside any trace. See the top of
tests/native/scenarios.txt for the language.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from portsock import winsock as ws
from portsock._parity import scenarios as sc

JOIN_BUDGET = 10.0


def trace_line(call: str, ret: Any, err: int) -> str:
    """One line, formatted as portsock._trace.Trace.lines() formats it."""
    return json.dumps({"call": call, "ret": ret, "err": err}, separators=(", ", ": "))


def traced(fn: Callable[..., Any], *args: Any) -> Tuple[str, int, int]:
    """(call, raw return value, err) of one mirror call, as the tracer saw it."""
    with ws.trace() as t:
        ret = fn(*args)
    if len(t) != 1:
        raise RuntimeError("expected one traced call from %s, got %r" % (fn.__name__, t.entries))
    entry = t.entries[0]
    return entry["call"], int(ret), entry["err"]


FAMILIES = {"inet": ws.AF_INET, "inet6": ws.AF_INET6, "unspec": ws.AF_UNSPEC}
TYPES = {"stream": ws.SOCK_STREAM, "dgram": ws.SOCK_DGRAM}
PROTOCOLS = {"tcp": ws.IPPROTO_TCP, "udp": ws.IPPROTO_UDP}
HOWS = {"receive": ws.SD_RECEIVE, "send": ws.SD_SEND, "both": ws.SD_BOTH}
FLAGS = {"numerichost": ws.AI_NUMERICHOST, "passive": ws.AI_PASSIVE,
         "canonname": ws.AI_CANONNAME, "numericserv": ws.AI_NUMERICSERV}
POLL_FLAGS = {"in": ws.POLLIN, "out": ws.POLLOUT, "rdnorm": ws.POLLRDNORM, "rdband": ws.POLLRDBAND,
              "wrnorm": ws.POLLWRNORM, "wrband": ws.POLLWRBAND, "pri": ws.POLLPRI, "err": ws.POLLERR,
              "hup": ws.POLLHUP, "nval": ws.POLLNVAL}
SET_INDEX = {"r": 0, "w": 1, "e": 2}
NI_FLAGS = {"numerichost": ws.NI_NUMERICHOST, "numericserv": ws.NI_NUMERICSERV, "namereqd": ws.NI_NAMEREQD,
            "nofqdn": ws.NI_NOFQDN, "dgram": ws.NI_DGRAM}


def traced_entry(fn: Callable[..., Any], *args: Any) -> Tuple[str, Any, int, Any]:
    """(call, ret as the tracer shows it, err, the raw return value) of one mirror call."""
    with ws.trace() as t:
        ret = fn(*args)
    if len(t) != 1:
        raise RuntimeError("expected one traced call from %s, got %r" % (fn.__name__, t.entries))
    entry = t.entries[0]
    return entry["call"], entry["ret"], entry["err"], ret


def address_bytes(text: str) -> bytes:
    """The 4 or 16 bytes of an IPv4 or IPv6 address in text."""
    family = ws.AF_INET6 if ":" in text else ws.AF_INET
    buf = bytearray(16 if family == ws.AF_INET6 else 4)
    if ws.inet_pton(family, text, buf) != 1:
        raise RuntimeError("not an address: %s" % text)
    return bytes(buf)


def hostent_field(h: Any, field: str) -> Any:
    """A HOSTENT field as the hostent op shows it."""
    if h is None:
        return "NULL"
    if field == "h_aliases":
        return len(h.h_aliases)
    if field == "h_addr_list":
        words = [ws.inet_ntoa(a) if isinstance(a, ws.in_addr) else bytes(a.s6_addr).hex() for a in h.h_addr_list]
        return " ".join(words) or "none"
    return getattr(h, field)
WSA_FLAGS = {"overlapped": ws.WSA_FLAG_OVERLAPPED, "noinherit": ws.WSA_FLAG_NO_HANDLE_INHERIT}
MSG_FLAGS = {"peek": ws.MSG_PEEK, "oob": ws.MSG_OOB, "waitall": ws.MSG_WAITALL}
UNWRITTEN = 0x7777   # what the scenario's count and output holders hold before a call


def _word(word: str, table: Dict[str, int]) -> int:
    return table[word] if word in table else sc.number(word)


def _flags(word: str, table: Dict[str, int] = FLAGS) -> int:
    value = 0
    for part in word.split("+"):
        value |= _word(part, table)
    return value


def _text(word: str) -> Optional[str]:
    if word == "NULL":
        return None
    if word == '""':
        return ""
    return word


def loopback(family: int) -> Any:
    """127.0.0.1 or ::1, port 0."""
    if family == ws.AF_INET6:
        addr6 = ws.sockaddr_in6()
        addr6.sin6_family = ws.AF_INET6
        if ws.inet_pton(ws.AF_INET6, "::1", addr6.sin6_addr) != 1:
            raise RuntimeError("inet_pton(::1) failed")
        return addr6
    addr = ws.sockaddr_in()
    addr.sin_family = ws.AF_INET
    addr.sin_addr.s_addr = ws.inet_addr("127.0.0.1")
    return addr


def bound_address(s: int, family: int) -> Any:
    addr = ws.sockaddr_in6() if family == ws.AF_INET6 else ws.sockaddr_in()
    size = ws.c_int(ws.sizeof(addr))
    if ws.getsockname(s, addr, size) != 0:
        raise RuntimeError("getsockname failed: %d" % ws.WSAGetLastError())
    return addr


def closed_port(family: int) -> Any:
    """A loopback address nobody listens on: a port the OS just gave a socket,
    which was then closed."""
    s = ws.socket(family, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    if s == ws.INVALID_SOCKET:
        raise RuntimeError("closedport: socket failed: %d" % ws.WSAGetLastError())
    try:
        addr = loopback(family)
        if ws.bind(s, addr, ws.sizeof(addr)) != 0:
            raise RuntimeError("closedport: bind failed: %d" % ws.WSAGetLastError())
        return bound_address(s, family)
    finally:
        ws.closesocket(s)


class Runner:
    """Runs one scenario; yields its trace lines."""

    def __init__(self) -> None:
        self.sockets: Dict[str, int] = {}
        self.families: Dict[str, int] = {}
        self.addresses: Dict[str, Any] = {}
        self.labels = 0
        self.data = ws.WSADATA()
        self.thread: Optional[threading.Thread] = None
        self.thread_result: List[Tuple[str, int, int]] = []
        # The last select's sets, each with the words that named its handles.
        self.sets: List[Optional[Tuple[Any, List[Tuple[str, int]]]]] = [None, None, None]
        self.pollfds: List[Any] = []
        # The last HOSTENT and SERVENT kept, and getnameinfo's buffers.
        self.host: Any = None
        self.serv: Any = None
        self.nameinfo: Dict[str, Optional[bytearray]] = {"host": None, "serv": None}
        # The Winsock 2 calls' out-parameters, as the last one left them.
        self.count = ws.DWORD(UNWRITTEN)
        self.flags = ws.DWORD(0)
        self.recv_bufs: List[bytearray] = []
        self.out = ws.u_long(UNWRITTEN)

    def label(self, ret: int) -> Any:
        if ret == ws.INVALID_SOCKET:
            return "INVALID_SOCKET"
        self.labels += 1
        return "S%d" % self.labels

    def target(self, word: str) -> Any:
        if word == "closedport":
            return closed_port(ws.AF_INET)
        if word == "closedport6":
            return closed_port(ws.AF_INET6)
        if word not in self.addresses:
            raise RuntimeError("%s has no bound address" % word)
        return self.addresses[word]

    def handle(self, word: str) -> int:
        """A handle word: a socket variable, invalid, or a number."""
        if word in self.sockets:
            return self.sockets[word]
        return ws.INVALID_SOCKET if word == "invalid" else sc.number(word)

    def fd_set(self, word: str) -> Optional[Tuple[Any, List[Tuple[str, int]]]]:
        """- (None), none (empty) or handle words joined with ','."""
        if word == "-":
            return None
        fds = ws.fd_set()
        named = []
        for part in ([] if word == "none" else word.split(",")):
            h = self.handle(part)
            ws.FD_SET(h, fds)
            named.append((part, h))
        return fds, named

    def start_thread(self, body: Callable[[], Tuple[str, int, int]], name: str) -> str:
        self.thread_result = []
        self.thread = threading.Thread(target=lambda: self.thread_result.append(body()), daemon=True)
        self.thread.start()
        return trace_line(name, 0, 0)

    def run(self, scenario: sc.Scenario) -> Iterator[str]:
        for op in scenario.ops:
            yield self.step(op)

    def step(self, op: sc.Op) -> str:
        name, a = op.name, op.args
        h = self.sockets.get(a[0]) if a else None
        if name == "startup":
            self.data = ws.WSADATA()
            data = None if len(a) == 2 else self.data
            return trace_line(*traced(ws.WSAStartup, sc.startup_version(a[0]), data))
        if name == "wsadata":
            return trace_line(a[0], int(getattr(self.data, a[0])), 0)
        if name == "cleanup":
            return trace_line(*traced(ws.WSACleanup))
        if name == "lasterror":
            return trace_line("WSAGetLastError", ws.WSAGetLastError(), 0)
        if name == "setlasterror":
            ws.WSASetLastError(sc.number(a[0]))
            return trace_line("WSASetLastError", 0, 0)
        if name == "socket":
            family = _word(a[1], FAMILIES)
            call, ret, err = traced(ws.socket, family, _word(a[2], TYPES), _word(a[3], PROTOCOLS))
            self.sockets[a[0]] = ret
            self.families[a[0]] = family
            return trace_line(call, self.label(ret), err)
        if name == "accept":
            call, ret, err = traced(ws.accept, self.sockets[a[1]], None, None)
            self.sockets[a[0]] = ret
            self.families[a[0]] = self.families[a[1]]
            return trace_line(call, self.label(ret), err)
        if name == "bind":
            family = ws.AF_INET6 if a[1] == "loopback6" else ws.AF_INET
            addr = loopback(family)
            call, ret, err = traced(ws.bind, h, addr, ws.sizeof(addr))
            if ret == 0 and h is not None:
                self.addresses[a[0]] = bound_address(h, family)
            return trace_line(call, ret, err)
        if name == "listen":
            return trace_line(*traced(ws.listen, h, sc.number(a[1])))
        if name == "connect":
            addr = self.target(a[1])
            return trace_line(*traced(ws.connect, h, addr, ws.sizeof(addr)))
        if name == "send":
            n = sc.number(a[1])
            return trace_line(*traced(ws.send, h, b"x" * n, n, 0))
        if name == "recv":
            n = sc.number(a[1])
            return trace_line(*traced(ws.recv, h, bytearray(n), n, 0))
        if name == "sendto":
            addr, n = self.target(a[1]), sc.number(a[2])
            return trace_line(*traced(ws.sendto, h, b"x" * n, n, 0, addr, ws.sizeof(addr)))
        if name == "recvfrom":
            n = sc.number(a[1])
            return trace_line(*traced(ws.recvfrom, h, bytearray(n), n, 0, None, None))
        if name == "shutdown":
            return trace_line(*traced(ws.shutdown, h, _word(a[1], HOWS)))
        if name == "close":
            return trace_line(*traced(ws.closesocket, h))
        if name == "close_value":
            forged = ws.INVALID_SOCKET if a[0] == "invalid" else sc.number(a[0])
            return trace_line(*traced(ws.closesocket, forged))
        if name == "linger":
            linger = ws.LINGER(sc.number(a[1]), sc.number(a[2]))
            return trace_line(*traced(ws.setsockopt, h, ws.SOL_SOCKET, ws.SO_LINGER, linger, 4))
        if name == "rcvtimeo":
            rcvtimeo = ws.DWORD(sc.number(a[1]))
            return trace_line(*traced(ws.setsockopt, h, ws.SOL_SOCKET, ws.SO_RCVTIMEO, rcvtimeo, 4))
        if name == "fionbio":
            return trace_line(*traced(ws.ioctlsocket, h, ws.FIONBIO, ws.u_long(sc.number(a[1]))))
        if name == "soerror":
            deadline = time.monotonic() + (sc.number(a[1]) / 1000.0 if len(a) == 2 else 0)
            while True:
                value, length = ws.c_int(), ws.c_int(4)
                _, ret, err = traced(ws.getsockopt, h, ws.SOL_SOCKET, ws.SO_ERROR, value, length)
                if ret != 0 or value.value != 0 or time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
            return trace_line("getsockopt(SO_ERROR)", value.value if ret == 0 else -1, err)
        if name == "getaddrinfo":
            hints = None
            if len(a) == 5:
                hints = ws.ADDRINFOA(_flags(a[4]), _word(a[2], FAMILIES), _word(a[3], TYPES), 0)
            result: List[Any] = []
            line = trace_line(*traced(ws.getaddrinfo, _text(a[0]), _text(a[1]), hints, result))
            ws.freeaddrinfo(result)
            return line
        if name == "sleep":
            time.sleep(sc.number(a[0]) / 1000.0)
            return trace_line("sleep", 0, 0)
        if name == "thread_recv":
            n = sc.number(a[1])
            return self.start_thread(lambda: traced(ws.recv, h, bytearray(n), n, 0), name)
        if name == "thread_close":
            ms = sc.number(a[1])

            def close_later() -> Tuple[str, int, int]:
                time.sleep(ms / 1000.0)
                return traced(ws.closesocket, h)

            return self.start_thread(close_later, name)
        if name == "select":
            self.sets = [self.fd_set(word) for word in a[1:]]
            timeout = None if a[0] == "null" else ws.TIMEVAL(sc.number(a[0]) // 1000,
                                                            sc.number(a[0]) % 1000 * 1000)
            args = [s[0] if s is not None else None for s in self.sets]
            return trace_line(*traced(ws.select, 0, *args, timeout))
        if name == "fdset":
            chosen = self.sets[SET_INDEX[a[0]]]
            if chosen is None:
                return trace_line("fd_set(%s)" % a[0], "NULL", 0)
            fds, named = chosen
            words = [next(w for w, v in named if v == h) for h in fds.fd_array]
            return trace_line("fd_set(%s)" % a[0], " ".join(words) or "none", 0)
        if name == "wsapoll":
            self.pollfds = [ws.WSAPOLLFD(self.handle(fd), _flags(ev, POLL_FLAGS), 0x7777)
                            for fd, ev in zip(a[1::2], a[2::2])]
            return trace_line(*traced(ws.WSAPoll, self.pollfds, len(self.pollfds), sc.number(a[0])))
        if name == "revents":
            return trace_line("revents", self.pollfds[sc.number(a[0]) - 1].revents, 0)
        if name in ("gethostbyname", "gethostbyaddr", "getservbyname", "getservbyport", "gethostname",
                    "inet_ntoa", "getnameinfo", "hostent", "servent", "nameinfo"):
            return self.resolver_step(name, a)
        if name.startswith("wsa"):
            return self.wsa_step(name, a, h)
        if name == "join":
            assert self.thread is not None
            self.thread.join(JOIN_BUDGET)
            if self.thread.is_alive() or not self.thread_result:
                return trace_line("join", "TIMEOUT", 0)
            self.thread = None
            return trace_line(*self.thread_result[0])
        raise RuntimeError("unknown op %s" % name)

    def resolver_step(self, name: str, a: List[str]) -> str:
        """The ops of the old resolver and address calls."""
        if name == "gethostbyname":
            call, shown, err, self.host = traced_entry(ws.gethostbyname, _text(a[0]))
            return trace_line(call, shown, err)
        if name == "gethostbyaddr":
            call, shown, err, self.host = traced_entry(ws.gethostbyaddr, address_bytes(a[0]), sc.number(a[1]),
                                                       _word(a[2], FAMILIES))
            return trace_line(call, shown, err)
        if name == "hostent":
            return trace_line("hostent." + a[0], hostent_field(self.host, a[0]), 0)
        if name in ("getservbyname", "getservbyport"):
            first: Any = a[0] if name == "getservbyname" else ws.htons(sc.number(a[0]))
            fn = ws.getservbyname if name == "getservbyname" else ws.getservbyport
            call, shown, err, self.serv = traced_entry(fn, first, _text(a[1]))
            return trace_line(call, shown, err)
        if name == "servent":
            if self.serv is None:
                return trace_line("servent." + a[0], "NULL", 0)
            value = getattr(self.serv, a[0])
            return trace_line("servent." + a[0], ws.ntohs(value) if a[0] == "s_port" else value, 0)
        if name == "gethostname":
            return trace_line(*traced(ws.gethostname, bytearray(256), sc.number(a[0])))
        if name == "inet_ntoa":
            call, shown, err, _ = traced_entry(ws.inet_ntoa, ws.in_addr(ws.inet_addr(a[0])))
            return trace_line(call, shown, err)
        if name == "getnameinfo":
            if ":" in a[0]:
                sa: Any = ws.sockaddr_in6(ws.AF_INET6, ws.htons(sc.number(a[1])))
                sa.sin6_addr = ws.in6_addr(address_bytes(a[0]))
            else:
                sa = ws.sockaddr_in(ws.AF_INET, ws.htons(sc.number(a[1])), ws.in_addr(ws.inet_addr(a[0])))
            bufs = [None if word == "NULL" else bytearray(sc.number(word)) for word in a[2:4]]
            self.nameinfo = {"host": bufs[0], "serv": bufs[1]}
            flags = 0 if a[4] == "0" else _flags(a[4], NI_FLAGS)
            return trace_line(*traced(ws.getnameinfo, sa, ws.sizeof(sa), bufs[0], len(bufs[0] or b""),
                                      bufs[1], len(bufs[1] or b""), flags))
        # nameinfo
        buf = self.nameinfo[a[0]]
        return trace_line("nameinfo(%s)" % a[0], "NULL" if buf is None else buf.split(b"\0")[0].decode(), 0)
    @staticmethod
    def send_buffers(word: str) -> Optional[List[Any]]:
        """WSABUFs for a SIZES word, buffer i of the letter 'a' + i; None for null."""
        sizes = sc.sizes(word)
        if sizes is None:
            return None
        return [ws.WSABUF(n, bytes([ord("a") + i]) * n) for i, n in enumerate(sizes)]

    def recv_buffers(self, word: str) -> Optional[List[Any]]:
        sizes = sc.sizes(word)
        if sizes is None:
            return None
        self.recv_bufs = [bytearray(b"." * n) for n in sizes]
        return [ws.WSABUF(n, buf) for n, buf in zip(sizes, self.recv_bufs)]

    def wsa_step(self, name: str, a: List[str], h: Any) -> str:
        """The ops of the Winsock 2 calls (see the top of scenarios.txt)."""
        if name == "wsasocket":
            family = _word(a[1], FAMILIES)
            flags = _flags(a[4], WSA_FLAGS) if len(a) == 5 else 0
            call, ret, err = traced(ws.WSASocketA, family, _word(a[2], TYPES), _word(a[3], PROTOCOLS),
                                    None, 0, flags)
            self.sockets[a[0]] = ret
            self.families[a[0]] = family
            return trace_line(call, self.label(ret), err)
        if name in ("wsasend", "wsasendto"):
            self.count = ws.DWORD(UNWRITTEN)
            if name == "wsasendto":
                addr, bufs = self.target(a[1]), self.send_buffers(a[2])
                return trace_line(*traced(ws.WSASendTo, h, bufs, 1 if bufs is None else len(bufs), self.count, 0,
                                          addr, ws.sizeof(addr)))
            bufs = self.send_buffers(a[1])
            flags = _flags(a[2], MSG_FLAGS) if len(a) == 3 else 0
            return trace_line(*traced(ws.WSASend, h, bufs, 1 if bufs is None else len(bufs), self.count, flags))
        if name in ("wsarecv", "wsarecvfrom"):
            self.count = ws.DWORD(UNWRITTEN)
            self.flags = ws.DWORD(_flags(a[2], MSG_FLAGS) if len(a) == 3 else 0)
            bufs = self.recv_buffers(a[1])
            count = 1 if bufs is None else len(bufs)
            if name == "wsarecvfrom":
                return trace_line(*traced(ws.WSARecvFrom, h, bufs, count, self.count, self.flags, None, None))
            return trace_line(*traced(ws.WSARecv, h, bufs, count, self.count, self.flags))
        if name == "wsacount":
            return trace_line("count", self.count.value, 0)
        if name == "wsaflags":
            return trace_line("lpFlags", self.flags.value, 0)
        if name == "wsabufs":
            return trace_line("WSABUF", "|".join(b.decode("latin-1") for b in self.recv_bufs), 0)
        if name == "wsasenddisconnect":
            data = ws.WSABUF(3, b"abc") if len(a) == 2 else None
            return trace_line(*traced(ws.WSASendDisconnect, h, data))
        if name == "wsarecvdisconnect":
            data = ws.WSABUF(16, bytearray(16)) if len(a) == 2 else None
            return trace_line(*traced(ws.WSARecvDisconnect, h, data))
        if name == "wsaioctl":
            self.count = ws.DWORD(UNWRITTEN)
            if a[1] == "fionread":
                self.out = ws.u_long(UNWRITTEN)
                return trace_line(*traced(ws.WSAIoctl, h, ws.FIONREAD, None, 0, self.out, 4, self.count))
            if a[1] == "fionbio":
                return trace_line(*traced(ws.WSAIoctl, h, ws.FIONBIO, ws.u_long(sc.number(a[2])), 4, None, 0,
                                          self.count))
            if a[1] == "keepalive":
                ka = ws.tcp_keepalive(*(sc.number(w) for w in a[2:5]))
                return trace_line(*traced(ws.WSAIoctl, h, ws.SIO_KEEPALIVE_VALS, ka, ws.sizeof(ka), None, 0,
                                          self.count))
            return trace_line(*traced(ws.WSAIoctl, h, sc.number(a[1]), None, 0, bytearray(16), 16, self.count))
        if name == "wsaout":
            return trace_line("lpvOutBuffer", self.out.value, 0)
        raise RuntimeError("unknown op %s" % name)

    def reset(self) -> None:
        """Untraced: the thread joined, Winsock fully cleaned up."""
        if self.thread is not None:
            self.thread.join(JOIN_BUDGET)
        for _ in range(100):
            if ws.WSACleanup() != 0:
                break


def iter_scenario(scenario: sc.Scenario) -> Iterator[str]:
    """The trace lines of one scenario, each as soon as its op has run."""
    runner = Runner()
    try:
        yield from runner.run(scenario)
    except Exception as e:  # reported as a line, so the comparison shows where
        yield trace_line("interp_error", "%s: %s" % (type(e).__name__, e), 0)
    finally:
        runner.reset()


def run_scenario(scenario: sc.Scenario) -> List[str]:
    return list(iter_scenario(scenario))


def main(argv: List[str]) -> int:
    return sc.run_main(argv, iter_scenario)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
