"""Runs the parity scenarios on plain POSIX sockets (Python's stdlib), for the
"Linux raw sockets" column of docs/semantics.md: what the same step gives a
program that calls the OS directly, with errno names instead of Winsock codes.

    python tests/parity/raw.py [SCENARIOS_FILE|-] [NAME ...]

prints "== NAME" and one JSON line per op, like the other interpreters, with
"ret" the return value ("fd" for a new descriptor, "n/a" where POSIX has no
such call) and "err" the errno (or EAI_*) name, 0 on success. A documentation
tool only: portsock itself never uses the stdlib socket module.

Each op makes the plain call C would make: close is close(2) on the fd number
(so a stale or forged value really reaches whatever fd has that number), send
is send(2) (Python ignores SIGPIPE, so EPIPE shows as an error instead of
killing the process, as it would in C without MSG_NOSIGNAL).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys
import termios
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from parity import scenarios as sc  # noqa: E402

NA = "n/a"
FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unspec": socket.AF_UNSPEC}
TYPES = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM}
PROTOCOLS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}
HOWS = {"receive": socket.SHUT_RD, "send": socket.SHUT_WR, "both": socket.SHUT_RDWR}
FLAGS = {"numerichost": socket.AI_NUMERICHOST, "passive": socket.AI_PASSIVE,
         "canonname": socket.AI_CANONNAME, "numericserv": socket.AI_NUMERICSERV}
EAI_NAMES = {getattr(socket, n): n for n in dir(socket) if n.startswith("EAI_")}
POLL_FLAGS = {"in": select.POLLIN, "out": select.POLLOUT, "rdnorm": select.POLLRDNORM,
              "rdband": select.POLLRDBAND, "wrnorm": select.POLLWRNORM, "wrband": select.POLLWRBAND,
              "pri": select.POLLPRI, "err": select.POLLERR, "hup": select.POLLHUP, "nval": select.POLLNVAL}
POLL_NAMES = [(v, "POLL" + k.upper()) for k, v in POLL_FLAGS.items() if k not in ("rdnorm", "wrnorm")]
RESOLVER_OPS = {"gethostbyname", "gethostbyaddr", "hostent", "getservbyname", "getservbyport", "servent",
                "gethostname", "inet_ntoa", "getnameinfo", "nameinfo"}
MSG_FLAGS = {"peek": socket.MSG_PEEK, "oob": socket.MSG_OOB, "waitall": socket.MSG_WAITALL}
MSG_NAMES = [(v, n) for n, v in (("MSG_TRUNC", socket.MSG_TRUNC), ("MSG_CTRUNC", socket.MSG_CTRUNC),
                                 ("MSG_OOB", socket.MSG_OOB), ("MSG_EOR", socket.MSG_EOR))]
NO_POSIX_CALL = {"startup": "WSAStartup", "cleanup": "WSACleanup", "lasterror": "WSAGetLastError",
                 "setlasterror": "WSASetLastError"}


# ---- the old resolver and address calls: glibc's own, through ctypes (the stdlib socket
# module has no call taking a buffer size, an address length or a type)

H_ERRNO_NAMES = {-1: "NETDB_INTERNAL", 1: "HOST_NOT_FOUND", 2: "TRY_AGAIN", 3: "NO_RECOVERY", 4: "NO_DATA"}
NI_FLAGS = {"numerichost": socket.NI_NUMERICHOST, "numericserv": socket.NI_NUMERICSERV,
            "namereqd": socket.NI_NAMEREQD, "nofqdn": socket.NI_NOFQDN, "dgram": socket.NI_DGRAM}


class _hostent(ctypes.Structure):
    _fields_ = [("h_name", ctypes.c_char_p), ("h_aliases", ctypes.POINTER(ctypes.c_char_p)),
                ("h_addrtype", ctypes.c_int), ("h_length", ctypes.c_int),
                ("h_addr_list", ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)))]


class _servent(ctypes.Structure):
    _fields_ = [("s_name", ctypes.c_char_p), ("s_aliases", ctypes.POINTER(ctypes.c_char_p)),
                ("s_port", ctypes.c_int), ("s_proto", ctypes.c_char_p)]


class _in_addr(ctypes.Structure):
    _fields_ = [("s_addr", ctypes.c_uint32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.gethostbyname.restype = ctypes.POINTER(_hostent)
_libc.gethostbyaddr.restype = ctypes.POINTER(_hostent)
_libc.getservbyname.restype = ctypes.POINTER(_servent)
_libc.getservbyport.restype = ctypes.POINTER(_servent)
_libc.inet_ntoa.restype = ctypes.c_char_p
_libc.inet_ntoa.argtypes = [_in_addr]
_h_errno_location = getattr(_libc, "__h_errno_location")   # glibc's h_errno, per thread
_h_errno_location.restype = ctypes.POINTER(ctypes.c_int)


def _c_text(word: str) -> Optional[bytes]:
    text = _text(word)
    return None if text is None else text.encode()


def _sockaddr(addr: str, port: int) -> bytes:
    """A Linux sockaddr_in / sockaddr_in6 for the address text and port."""
    if ":" in addr:
        return struct.pack("=HH I 16s I", socket.AF_INET6, socket.htons(port), 0,
                           socket.inet_pton(socket.AF_INET6, addr), 0)
    return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton(addr))


def line(call: str, ret: Any, err: Any = 0) -> str:
    return json.dumps({"call": call, "ret": ret, "err": err}, separators=(", ", ": "))


def errname(e: OSError) -> str:
    if isinstance(e, socket.gaierror):
        return EAI_NAMES.get(e.errno, "EAI_%s" % e.errno)
    if isinstance(e, socket.timeout) and e.errno is None:
        return "EAGAIN"
    return errno.errorcode.get(e.errno or 0, str(e.errno))


def int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _word(word: str, table: Dict[str, int]) -> int:
    return table[word] if word in table else sc.number(word)


def _text(word: str) -> Optional[str]:
    return None if word == "NULL" else "" if word == '""' else word


def loopback(family: int) -> Tuple[str, int]:
    return ("::1", 0) if family == socket.AF_INET6 else ("127.0.0.1", 0)


def closed_port(family: int) -> Any:
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.bind(loopback(family))
        return s.getsockname()
    finally:
        s.close()


class Runner:
    def __init__(self) -> None:
        self.socks: Dict[str, socket.socket] = {}
        self.closed: set = set()
        self.addresses: Dict[str, Any] = {}
        self.thread: Optional[threading.Thread] = None
        self.thread_result: List[str] = []
        self.selected: List[Optional[List[str]]] = [None, None, None]
        self.revents: List[int] = []
        self.host: Any = None
        self.serv: Any = None
        self.nameinfo: Dict[str, Any] = {"host": None, "serv": None}
        # The Winsock 2 ops' results, in POSIX's terms: the byte count, recvmsg's msg_flags,
        # the receive buffers, the FIONREAD value.
        self.count: Any = NA
        self.msg_flags: Any = NA
        self.recv_bufs: List[bytearray] = []
        self.out: Any = NA

    def resolver_step(self, name: str, a: List[str]) -> str:
        """The resolver's ops, on glibc's calls of the same names (errors: h_errno for
        gethostbyname/gethostbyaddr, none for the service calls, EAI_* for getnameinfo)."""
        if name in ("gethostbyname", "gethostbyaddr"):
            if name == "gethostbyname":
                h = _libc.gethostbyname(_c_text(a[0]))
            else:
                raw = socket.inet_pton(socket.AF_INET6 if ":" in a[0] else socket.AF_INET, a[0])
                h = _libc.gethostbyaddr(raw, sc.number(a[1]), _word(a[2], FAMILIES))
            self.host = h.contents if h else None
            if self.host is None:
                code = _h_errno_location()[0]
                return line(name, "NULL", H_ERRNO_NAMES.get(code, code))
            return line(name, "HOSTENT")
        if name == "hostent":
            h = self.host
            if h is None:
                return line("hostent." + a[0], "NULL")
            if a[0] == "h_name":
                return line("hostent.h_name", h.h_name.decode())
            if a[0] in ("h_addrtype", "h_length"):
                return line("hostent." + a[0], getattr(h, a[0]))
            if a[0] == "h_aliases":
                count = 0
                while h.h_aliases[count]:
                    count += 1
                return line("hostent.h_aliases", count)
            words, i = [], 0
            while h.h_addr_list[i]:
                raw = bytes(h.h_addr_list[i][:h.h_length])
                words.append(socket.inet_ntoa(raw) if h.h_length == 4 else raw.hex())
                i += 1
            return line("hostent.h_addr_list", " ".join(words) or "none")
        if name in ("getservbyname", "getservbyport"):
            if name == "getservbyname":
                se = _libc.getservbyname(_c_text(a[0]), _c_text(a[1]))
            else:
                se = _libc.getservbyport(socket.htons(sc.number(a[0])), _c_text(a[1]))
            self.serv = se.contents if se else None
            return line(name, "SERVENT" if self.serv is not None else "NULL")
        if name == "servent":
            if self.serv is None:
                return line("servent." + a[0], "NULL")
            if a[0] == "s_port":
                return line("servent.s_port", socket.ntohs(self.serv.s_port & 0xFFFF))
            return line("servent." + a[0], getattr(self.serv, a[0]).decode())
        if name == "gethostname":
            buf = ctypes.create_string_buffer(256)
            ret = _libc.gethostname(buf, ctypes.c_size_t(sc.number(a[0])))
            return line("gethostname", ret, errno.errorcode.get(ctypes.get_errno(), 0) if ret else 0)
        if name == "inet_ntoa":
            value = struct.unpack("=I", socket.inet_aton(a[0]))[0]
            return line("inet_ntoa", _libc.inet_ntoa(_in_addr(value)).decode())
        if name == "getnameinfo":
            sa = _sockaddr(a[0], sc.number(a[1]))
            bufs = [None if w == "NULL" else ctypes.create_string_buffer(max(sc.number(w), 1)) for w in a[2:4]]
            sizes = [0 if w == "NULL" else sc.number(w) for w in a[2:4]]
            flags = 0
            for part in ([] if a[4] == "0" else a[4].split("+")):
                flags |= NI_FLAGS[part]
            self.nameinfo = {"host": bufs[0], "serv": bufs[1]}
            ret = _libc.getnameinfo(sa, len(sa), bufs[0], sizes[0], bufs[1], sizes[1], flags)
            shown = EAI_NAMES.get(ret, ret) if ret else 0
            return line("getnameinfo", shown, shown)
        buf = self.nameinfo[a[0]]
        return line("nameinfo(%s)" % a[0], "NULL" if buf is None else buf.value.decode())

    def fd(self, word: str) -> int:
        """The fd a handle word names: a socket's, -1 for invalid, or the number itself."""
        if word in self.socks:
            return self.socks[word].fileno() if word not in self.closed else -1
        return -1 if word == "invalid" else int32(sc.number(word))

    def select_op(self, a: List[str]) -> str:
        words = [None if w == "-" else [] if w == "none" else w.split(",") for w in a[1:]]
        timeout = None if a[0] == "null" else sc.number(a[0]) / 1000.0
        if timeout is None and not any(words):
            return line("select", NA)   # POSIX select with no fd and no timeout sleeps for ever
        fds = [[self.fd(w) for w in ws] if ws is not None else [] for ws in words]
        try:
            ready = select.select(fds[0], fds[1], fds[2], timeout)
        except OSError as e:
            return line("select", -1, errname(e))
        except ValueError as e:
            return line("select", -1, type(e).__name__)
        self.selected = [None if ws is None else [w for w, f in zip(ws, fs) if f in r]
                         for ws, fs, r in zip(words, fds, ready)]
        return line("select", sum(len(r) for r in ready))

    def poll_op(self, a: List[str]) -> str:
        poller = select.poll()
        fds = [self.fd(w) for w in a[1::2]]
        self.revents = [0] * len(fds)
        try:
            for fd, events in zip(fds, a[2::2]):
                flags = 0
                for part in events.split("+"):
                    flags |= POLL_FLAGS[part] if part in POLL_FLAGS else sc.number(part)
                if fd >= 0:
                    poller.register(fd, flags)
            found = poller.poll(sc.number(a[0]))
        except (OSError, ValueError, OverflowError) as e:
            return line("poll", -1, errname(e) if isinstance(e, OSError) else type(e).__name__)
        for fd, revents in found:
            for i, f in enumerate(fds):
                if f == fd:
                    self.revents[i] = revents
        return line("poll", len(found))

    def target(self, word: str) -> Any:
        if word == "closedport":
            return closed_port(socket.AF_INET)
        if word == "closedport6":
            return closed_port(socket.AF_INET6)
        return self.addresses[word]

    def call(self, name: str, fn: Any, *args: Any) -> str:
        try:
            ret = fn(*args)
        except OSError as e:
            return line(name, -1, errname(e))
        return line(name, 0 if ret is None else ret, 0)

    def step(self, op: sc.Op) -> str:
        name, a = op.name, op.args
        s = self.socks.get(a[0]) if a else None
        if name in RESOLVER_OPS:
            return self.resolver_step(name, a)
        if name in NO_POSIX_CALL:
            return line(NO_POSIX_CALL[name], NA)
        if name == "wsadata":
            return line(a[0], NA)
        if name == "socket":
            try:
                self.socks[a[0]] = socket.socket(_word(a[1], FAMILIES), _word(a[2], TYPES),
                                                 _word(a[3], PROTOCOLS))
            except OSError as e:
                return line("socket", -1, errname(e))
            return line("socket", "fd")
        if name == "accept":
            try:
                fd, _ = self.socks[a[1]]._accept()  # type: ignore[attr-defined]
            except OSError as e:
                return line("accept", -1, errname(e))
            self.socks[a[0]] = socket.socket(self.socks[a[1]].family, socket.SOCK_STREAM, 0, fd)
            return line("accept", "fd")
        if name == "select":
            return self.select_op(a)
        if name == "fdset":
            chosen = self.selected["rwe".index(a[0])]
            return line("fd_set(%s)" % a[0], "NULL" if chosen is None else " ".join(chosen) or "none")
        if name == "wsapoll":
            return self.poll_op(a)
        if name == "revents":
            value = self.revents[sc.number(a[0]) - 1] if len(self.revents) >= sc.number(a[0]) else 0
            return line("revents", "|".join(n for v, n in POLL_NAMES if value & v) or 0)
        if name.startswith("wsa"):
            return self.wsa_step(name, a, s)
        assert s is not None or name in ("close_value", "getaddrinfo", "sleep", "join")
        if name == "bind":
            family = socket.AF_INET6 if a[1] == "loopback6" else socket.AF_INET
            result = self.call("bind", s.bind, loopback(family))
            if '"ret": 0' in result:
                self.addresses[a[0]] = s.getsockname()
            return result
        if name == "listen":
            return self.call("listen", s.listen, sc.number(a[1]))
        if name == "connect":
            return self.call("connect", s.connect, self.target(a[1]))
        if name == "send":
            return self.call("send", s.send, b"x" * sc.number(a[1]))
        if name == "recv":
            return self.call("recv", lambda n: len(s.recv(n)), sc.number(a[1]))
        if name == "sendto":
            return self.call("sendto", s.sendto, b"x" * sc.number(a[2]), self.target(a[1]))
        if name == "recvfrom":
            return self.call("recvfrom", lambda n: len(s.recvfrom(n)[0]), sc.number(a[1]))
        if name == "shutdown":
            return self.call("shutdown", s.shutdown, int32(_word(a[1], HOWS)))
        if name == "close":
            result = self.call("close", os.close, s.fileno())
            self.closed.add(a[0])
            return result
        if name == "close_value":
            value = -1 if a[0] == "invalid" else int32(sc.number(a[0]))
            return self.call("close", os.close, value)
        if name == "linger":
            value = struct.pack("ii", sc.number(a[1]), sc.number(a[2]))
            return self.call("setsockopt", s.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, value)
        if name == "rcvtimeo":
            ms = sc.number(a[1])
            value = struct.pack("ll", ms // 1000, (ms % 1000) * 1000)
            return self.call("setsockopt", s.setsockopt, socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        if name == "fionbio":
            value = struct.pack("i", sc.number(a[1]))
            return self.call("ioctl", lambda: fcntl.ioctl(s.fileno(), termios.FIONBIO, value) and None)
        if name == "soerror":
            deadline = time.monotonic() + (sc.number(a[1]) / 1000.0 if len(a) == 2 else 0)
            while True:
                try:
                    value = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                except OSError as e:
                    return line("getsockopt(SO_ERROR)", -1, errname(e))
                if value != 0 or time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
            return line("getsockopt(SO_ERROR)", errno.errorcode.get(value, value) if value else 0)
        if name == "getaddrinfo":
            node, service = _text(a[0]), _text(a[1])
            try:
                if len(a) == 5:
                    flags = 0
                    for part in a[4].split("+"):
                        flags |= _word(part, FLAGS)
                    socket.getaddrinfo(node, service, _word(a[2], FAMILIES), _word(a[3], TYPES), 0, flags)
                else:
                    socket.getaddrinfo(node, service)
            except socket.gaierror as e:
                return line("getaddrinfo", errname(e), errname(e))
            except (OSError, UnicodeError) as e:
                return line("getaddrinfo", -1, type(e).__name__)
            return line("getaddrinfo", 0)
        if name == "sleep":
            time.sleep(sc.number(a[0]) / 1000.0)
            return line("sleep", 0)
        if name == "thread_recv":
            n = sc.number(a[1])
            self.thread_result = []

            def body() -> None:
                self.thread_result.append(self.call("recv", lambda: len(s.recv(n))))

            self.thread = threading.Thread(target=body, daemon=True)
            self.thread.start()
            return line("thread_recv", 0)
        if name == "thread_close":
            ms, fd = sc.number(a[1]), s.fileno()
            self.thread_result = []

            def close_later() -> None:
                time.sleep(ms / 1000.0)
                self.thread_result.append(self.call("close", os.close, fd))

            self.closed.add(a[0])
            self.thread = threading.Thread(target=close_later, daemon=True)
            self.thread.start()
            return line("thread_close", 0)
        if name == "join":
            assert self.thread is not None
            self.thread.join(10)
            self.thread = None
            return self.thread_result[0] if self.thread_result else line("join", "TIMEOUT")
        raise RuntimeError("unknown op %s" % name)

    def wsa_step(self, name: str, a: List[str], s: Any) -> str:
        """The Winsock 2 ops, as the POSIX calls a port would make: socket, sendmsg and recvmsg
        with several buffers, shutdown, ioctl and setsockopt (keep-alive in seconds)."""
        if name == "wsasocket":   # POSIX's socket, without the flags
            return self.step(sc.Op(["socket"] + a[:4], 0))
        if name in ("wsasend", "wsasendto"):
            sizes = sc.sizes(a[2] if name == "wsasendto" else a[1])
            if sizes is None:
                self.count = NA
                return line("sendmsg", NA)   # no NULL array of buffers in Python's sendmsg
            bufs = [bytes([ord("a") + i]) * n for i, n in enumerate(sizes)]
            flags = 0
            if name == "wsasend" and len(a) == 3:
                for part in a[2].split("+"):
                    flags |= _word(part, MSG_FLAGS)
            try:
                if name == "wsasendto":
                    self.count = s.sendmsg(bufs, [], flags, self.target(a[1]))
                else:
                    self.count = s.sendmsg(bufs, [], flags)
            except OSError as e:
                self.count = NA
                return line("sendmsg", -1, errname(e))
            return line("sendmsg", self.count)
        if name in ("wsarecv", "wsarecvfrom"):
            sizes = sc.sizes(a[1]) or []
            self.recv_bufs = [bytearray(b"." * n) for n in sizes]
            flags = 0
            if len(a) == 3:
                for part in a[2].split("+"):
                    flags |= _word(part, MSG_FLAGS)
            try:
                n, _, msg_flags, _ = s.recvmsg_into(self.recv_bufs, 0, flags)
            except OSError as e:
                self.count = self.msg_flags = NA
                return line("recvmsg", -1, errname(e))
            self.count = n
            self.msg_flags = "|".join(nm for v, nm in MSG_NAMES if msg_flags & v) or 0
            return line("recvmsg", n)
        if name == "wsacount":
            return line("count", self.count)
        if name == "wsaflags":
            return line("msg_flags", self.msg_flags)
        if name == "wsabufs":
            return line("WSABUF", "|".join(b.decode("latin-1") for b in self.recv_bufs))
        if name in ("wsasenddisconnect", "wsarecvdisconnect"):
            how = socket.SHUT_WR if name == "wsasenddisconnect" else socket.SHUT_RD
            return self.call("shutdown", s.shutdown, how)
        if name == "wsaioctl":
            self.count = NA
            if a[1] == "fionread":
                buf = bytearray(struct.pack("i", 0))
                result = self.call("ioctl", lambda: fcntl.ioctl(s.fileno(), termios.FIONREAD, buf) and None)
                self.out = struct.unpack("i", buf)[0]
                return result
            if a[1] == "fionbio":
                value = struct.pack("i", sc.number(a[2]))
                return self.call("ioctl", lambda: fcntl.ioctl(s.fileno(), termios.FIONBIO, value) and None)
            if a[1] == "keepalive":
                onoff, idle, interval = (sc.number(w) for w in a[2:5])

                def keepalive() -> None:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, max(1, -(-idle // 1000)))
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, -(-interval // 1000)))
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if onoff else 0)

                return self.call("setsockopt", keepalive)
            code = sc.number(a[1])
            return self.call("ioctl", lambda: fcntl.ioctl(s.fileno(), code, bytes(16)) and None)
        if name == "wsaout":
            return line("lpvOutBuffer", self.out)
        raise RuntimeError("unknown op %s" % name)

    def reset(self) -> None:
        if self.thread is not None:
            self.thread.join(10)
        for var, s in self.socks.items():
            if var in self.closed:
                s.detach()   # its fd number was closed by the scenario: never close it again
            else:
                s.close()


def iter_scenario(scenario: sc.Scenario) -> Iterator[str]:
    runner = Runner()
    try:
        for op in scenario.ops:
            yield runner.step(op)
    except Exception as e:
        yield line("raw_error", "%s: %s" % (type(e).__name__, e))
    finally:
        runner.reset()


def run_scenario(scenario: sc.Scenario) -> List[str]:
    return list(iter_scenario(scenario))


def main(argv: List[str]) -> int:
    return sc.run_main(argv, iter_scenario)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
