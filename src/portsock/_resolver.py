"""The old resolver and address calls of portsock.winsock (which re-exports
every name here): gethostbyname, gethostbyaddr, gethostname, inet_ntoa,
getservbyname, getservbyport and getnameinfo, with Winsock's HOSTENT and
SERVENT and its NI_* flags.

The calls follow the mirror's rules (portsock.winsock's docstring): C's
return values and last error, out-parameters filled in place, TypeError for
a wrong type, C's conversions for values. Where C returns a pointer to
Winsock's per-thread structure, the mirror returns a copy of it (HOSTENT,
SERVENT), or None for C's NULL: the copy stays valid after the next call,
which C's pointer would not. portsock.winsock.trace() records them; a line
of a pointer call shows "ret" as "HOSTENT", "SERVENT" or "NULL".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Union

from portsock import _trace
from portsock._core import ffi, lib
from portsock.winsock import (
    _DWORD_MAX,
    WSAEAFNOSUPPORT,
    WSAEFAULT,
    WSAEINVAL,
    WSAHOST_NOT_FOUND,
    WSANO_DATA,
    WSANOTINITIALISED,
    _c_int,
    _check_int,
    _encode_sockaddr,
    _encode_text,
    _error,
    _input_buffer,
    _not_started,
    _output_buffer,
    in6_addr,
    in_addr,
    sockaddr_in,
    sockaddr_in6,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer as _ReadableBuffer, WriteableBuffer as _WriteableBuffer

__all__ = [
    "HOSTENT", "hostent", "SERVENT", "servent", "NI_NOFQDN", "NI_NUMERICHOST", "NI_NAMEREQD",
    "NI_NUMERICSERV", "NI_DGRAM", "NI_MAXHOST", "NI_MAXSERV", "gethostbyname", "gethostbyaddr",
    "gethostname", "inet_ntoa", "getservbyname", "getservbyport", "getnameinfo",
]

NI_NOFQDN: int = lib.PS_NI_NOFQDN
NI_NUMERICHOST: int = lib.PS_NI_NUMERICHOST
NI_NAMEREQD: int = lib.PS_NI_NAMEREQD
NI_NUMERICSERV: int = lib.PS_NI_NUMERICSERV
NI_DGRAM: int = lib.PS_NI_DGRAM
NI_MAXHOST: int = lib.PS_NI_MAXHOST
NI_MAXSERV: int = lib.PS_NI_MAXSERV

# The largest address buffer the mirror hands to C (as winsock's).
_MAX_ADDRLEN = 1 << 16


def _text(raw: Any) -> str:
    return ffi.string(raw).decode("utf-8", "surrogateescape")


def _text_list(array: Any) -> List[str]:
    out = []
    if array != ffi.NULL:
        i = 0
        while array[i] != ffi.NULL:
            out.append(_text(array[i]))
            i += 1
    return out


class HOSTENT:
    """HOSTENT (struct hostent): h_name (str), h_aliases (list of str),
    h_addrtype (AF_INET or AF_INET6), h_length (4 or 16) and h_addr_list, the
    addresses: in_addr objects (in6_addr for AF_INET6). h_addr is the first
    one (None if there is none), as C's h_addr macro."""

    __slots__ = ("h_name", "h_aliases", "h_addrtype", "h_length", "h_addr_list")

    def __init__(self, h_name: str = "", h_aliases: Optional[List[str]] = None, h_addrtype: int = 0,
                 h_length: int = 0, h_addr_list: Optional[List[Union[in_addr, in6_addr]]] = None) -> None:
        self.h_name = h_name
        self.h_aliases: List[str] = list(h_aliases or [])
        self.h_addrtype = h_addrtype
        self.h_length = h_length
        self.h_addr_list: List[Union[in_addr, in6_addr]] = list(h_addr_list or [])

    @property
    def h_addr(self) -> Optional[Union[in_addr, in6_addr]]:
        return self.h_addr_list[0] if self.h_addr_list else None

    def __repr__(self) -> str:
        return "HOSTENT(h_name=%r, h_aliases=%r, h_addrtype=%d, h_length=%d, %d address(es))" % (
            self.h_name, self.h_aliases, self.h_addrtype, self.h_length, len(self.h_addr_list))


class SERVENT:
    """SERVENT (struct servent): s_name, s_aliases (list of str), s_port (in
    network byte order, as C has it: ntohs(s_port) is the number) and s_proto."""

    __slots__ = ("s_name", "s_aliases", "s_port", "s_proto")

    def __init__(self, s_name: str = "", s_aliases: Optional[List[str]] = None, s_port: int = 0,
                 s_proto: str = "") -> None:
        self.s_name = s_name
        self.s_aliases: List[str] = list(s_aliases or [])
        self.s_port = s_port
        self.s_proto = s_proto

    def __repr__(self) -> str:
        return "SERVENT(s_name=%r, s_aliases=%r, s_port=%d, s_proto=%r)" % (
            self.s_name, self.s_aliases, self.s_port, self.s_proto)


hostent = HOSTENT
servent = SERVENT


def _read_hostent(h: Any) -> Optional[HOSTENT]:
    if h == ffi.NULL:
        return None
    length = int(h.h_length)
    addrs: List[Union[in_addr, in6_addr]] = []
    i = 0
    while h.h_addr_list[i] != ffi.NULL:
        addr: Union[in_addr, in6_addr] = in_addr() if length == 4 else in6_addr()
        addr._set_bytes(ffi.buffer(h.h_addr_list[i], 4 if length == 4 else 16)[:])
        addrs.append(addr)
        i += 1
    return HOSTENT(_text(h.h_name), _text_list(h.h_aliases), int(h.h_addrtype), length, addrs)


def _read_servent(se: Any) -> Optional[SERVENT]:
    if se == ffi.NULL:
        return None
    view = ffi.new("ps_servent_view *")
    lib.ps_servent_read(se, view)
    return SERVENT(_text(view.s_name), _text_list(view.s_aliases), int(view.s_port), _text(view.s_proto))


def _null(call: str, code: int) -> None:
    """A pointer call's failure for an argument C could not be given, unless
    the socket layer is not started (C's first check)."""
    _error(WSANOTINITIALISED if _not_started() else code)
    _trace.refused_pointer(call)


# --------------------------------------------------------------------------
# Hosts

def gethostbyname(name: Optional[str]) -> Optional[HOSTENT]:
    """Mirrors gethostbyname (winsock2.h): a HOSTENT for the name's IPv4
    addresses, or None (C's NULL) with WSAGetLastError() set: WSAHOST_NOT_FOUND
    for an unknown name (and for any name under .invalid, at once),
    WSANOTINITIALISED before WSAStartup. A numeric address gives itself, with
    h_name the text; "" and None give this host.

    Differences from C: name is a str (sent as UTF-8) or None; a NUL inside it
    gives WSAHOST_NOT_FOUND. The result is a copy (see the module)."""
    raw = _encode_text(name, "name")
    if raw is not None and 0 in raw:
        _null("gethostbyname", WSAHOST_NOT_FOUND)
        return None
    return _trace.record_pointer("gethostbyname",
                                 _read_hostent(lib.ps_gethostbyname(raw if raw is not None else ffi.NULL)))


def gethostbyaddr(addr: Union[in_addr, in6_addr, _ReadableBuffer, None], len: int,
                  type: int) -> Optional[HOSTENT]:
    """Mirrors gethostbyaddr (winsock2.h): the HOSTENT of the address (its name
    from a reverse lookup, and the address itself), or None with
    WSAGetLastError() set: WSAHOST_NOT_FOUND when the address has no name,
    WSAEAFNOSUPPORT for a type other than AF_INET and AF_INET6, WSAEFAULT for
    a len shorter than the type's address (4 or 16) or addr None (C's NULL),
    WSANOTINITIALISED before WSAStartup.

    Differences from C: addr is an in_addr, in6_addr or bytes-like object; a
    len beyond it is WSAEFAULT (C would read past it); a len or type no C int
    holds is WSAEFAULT or WSAEAFNOSUPPORT."""
    if addr is None:
        cbuf: Any = ffi.NULL
        size = 0
    elif isinstance(addr, (in_addr, in6_addr)):
        raw = addr._bytes()
        cbuf, size = raw, _len(raw)
    else:
        cbuf = _input_buffer(addr, "addr")
        size = memoryview(addr).nbytes
    n, t = _c_int(len, "len"), _c_int(type, "type")
    if t is None:
        _null("gethostbyaddr", WSAEAFNOSUPPORT)
        return None
    if n is None or (addr is not None and n > size):
        _null("gethostbyaddr", WSAEFAULT)
        return None
    return _trace.record_pointer("gethostbyaddr", _read_hostent(lib.ps_gethostbyaddr(cbuf, n, t)))


def gethostname(name: Optional[_WriteableBuffer], namelen: int) -> int:
    """Mirrors gethostname (winsock2.h): 0 with the host's name and a NUL in
    name, or SOCKET_ERROR: WSAEFAULT when namelen leaves no room for both (name
    is then left as it was) or name is None, WSANOTINITIALISED before
    WSAStartup.

    Differences from C: name is a writable buffer (a bytearray); a namelen
    beyond it, or one no C int holds, is WSAEFAULT (C would write past it)."""
    buf = _output_buffer(name, "name") if name is not None else ffi.NULL
    n = _c_int(namelen, "namelen")
    if n is None or (name is not None and n > memoryview(name).nbytes):
        _error(WSANOTINITIALISED if _not_started() else WSAEFAULT)
        return _trace.refused("gethostname", -1)
    return _trace.record("gethostname", int(lib.ps_gethostname(buf, n)))


def inet_ntoa(in_: Union[in_addr, int]) -> str:
    """Mirrors inet_ntoa (winsock2.h): the dotted text of an IPv4 address
    ("127.0.0.1"). C returns this thread's own buffer, overwritten by the
    thread's next call; the mirror returns a str. Needs no WSAStartup.

    Differences from C: in_ (C's in, a Python keyword) is an in_addr, or an
    int holding the s_addr value; anything else is a TypeError."""
    if isinstance(in_, in_addr):
        bits = in_.s_addr
    elif isinstance(in_, int) and not isinstance(in_, bool):
        bits = in_
    else:
        raise TypeError("in_ must be an in_addr, not %s" % _type(in_).__name__)
    # s_addr is the value C reads from the IN_ADDR's 4 bytes: what the core takes.
    return _trace.record_text("inet_ntoa", _text(lib.ps_inet_ntoa(_check_int(bits, "s_addr") & 0xFFFFFFFF)))


# --------------------------------------------------------------------------
# Services

def getservbyname(name: str, proto: Optional[str]) -> Optional[SERVENT]:
    """Mirrors getservbyname (winsock2.h): the SERVENT of a service name of
    the services database for protocol proto ("tcp", "udp"; None: any), or None
    with WSAGetLastError() set: WSANO_DATA for a name the database lacks (a
    port number as text is no name), WSAEFAULT for name None, WSANOTINITIALISED
    before WSAStartup. Names match without regard to case, as on Windows.

    Differences from C: name and proto are str (sent as UTF-8) or None; a NUL
    inside either gives WSANO_DATA."""
    raw, rproto = _encode_text(name, "name"), _encode_text(proto, "proto")
    if (raw is not None and 0 in raw) or (rproto is not None and 0 in rproto):
        _null("getservbyname", WSANO_DATA)
        return None
    return _trace.record_pointer("getservbyname", _read_servent(lib.ps_getservbyname(
        raw if raw is not None else ffi.NULL, rproto if rproto is not None else ffi.NULL)))


def getservbyport(port: int, proto: Optional[str]) -> Optional[SERVENT]:
    """Mirrors getservbyport (winsock2.h): the SERVENT of the service at port
    (in network byte order, as C takes it: htons(80)), or None with
    WSAGetLastError() set: WSANO_DATA for a port the database lacks,
    WSANOTINITIALISED before WSAStartup.

    Differences from C: proto is a str or None (a NUL inside it gives
    WSANO_DATA); a port no C int holds is WSANO_DATA (no service has it)."""
    p, rproto = _c_int(port, "port"), _encode_text(proto, "proto")
    if p is None or (rproto is not None and 0 in rproto):
        _null("getservbyport", WSANO_DATA)
        return None
    return _trace.record_pointer("getservbyport", _read_servent(lib.ps_getservbyport(
        p, rproto if rproto is not None else ffi.NULL)))


# --------------------------------------------------------------------------
# getnameinfo

def _gni_fail(code: int) -> int:
    if _not_started():
        code = WSANOTINITIALISED
    return _trace.refused("getnameinfo", _error(code, code))


def _gni_buffer(buf: Any, size: Any, name: str) -> Any:
    """(the C buffer, the size C is given) for one of getnameinfo's buffers;
    None when the size goes past the buffer (or no DWORD holds it)."""
    n = _check_int(size, name)
    if buf is None:
        return (ffi.NULL, n) if 0 <= n <= _DWORD_MAX else None
    _output_buffer(buf, name.replace("Size", ""))
    if not 0 <= n <= memoryview(buf).nbytes:
        return None
    # No name or service Winsock gives is longer than NI_MAXHOST: a larger
    # buffer needs no larger C buffer.
    n = min(n, NI_MAXHOST)
    return ffi.new("char[]", max(n, 1)), n


def getnameinfo(pSockaddr: Union[sockaddr_in, sockaddr_in6, None], SockaddrLength: int,
                pNodeBuffer: Optional[_WriteableBuffer], NodeBufferSize: int,
                pServiceBuffer: Optional[_WriteableBuffer], ServiceBufferSize: int, Flags: int) -> int:
    """Mirrors getnameinfo (ws2tcpip.h): 0, or the error code (returned, and also
    in WSAGetLastError()): WSAHOST_NOT_FOUND (NI_NAMEREQD and no name, or
    neither buffer given), WSAEFAULT (no address, a SockaddrLength shorter than
    its structure, or a buffer too small for the text: it is left as it was),
    WSAEINVAL (a buffer given with size 0), WSAEAFNOSUPPORT (another family),
    WSANOTINITIALISED before WSAStartup. Flags: NI_NUMERICHOST, NI_NUMERICSERV,
    NI_NAMEREQD, NI_NOFQDN, NI_DGRAM (Winsock's values).

    Differences from C: pSockaddr is a sockaddr_in or sockaddr_in6 (or an
    ai_addr) or None; the buffers are writable buffers (bytearray) or None, each
    filled with the NUL-terminated text; a size beyond its buffer is WSAEFAULT
    (C would write past it), as is a SockaddrLength above 65536; Flags no C int
    holds is WSAEINVAL."""
    salen = _c_int(SockaddrLength, "SockaddrLength")
    node = _gni_buffer(pNodeBuffer, NodeBufferSize, "NodeBufferSize")
    service = _gni_buffer(pServiceBuffer, ServiceBufferSize, "ServiceBufferSize")
    flags = _c_int(Flags, "Flags")
    if pSockaddr is not None and not isinstance(pSockaddr, (sockaddr_in, sockaddr_in6)):
        raise TypeError("pSockaddr must be a sockaddr_in or sockaddr_in6, not %s" % _type(pSockaddr).__name__)
    if salen is None or salen > _MAX_ADDRLEN or node is None or service is None:
        return _gni_fail(WSAEFAULT)
    if flags is None:
        return _gni_fail(WSAEINVAL)
    sa = _encode_sockaddr(pSockaddr, max(salen, 0))
    if sa is False:
        return _gni_fail(WSAEAFNOSUPPORT)
    ret = int(lib.ps_getnameinfo(sa if sa is not None else ffi.NULL, salen, node[0], node[1],
                                 service[0], service[1], flags))
    if ret == 0:
        for buf, (cbuf, size) in ((pNodeBuffer, node), (pServiceBuffer, service)):
            if buf is not None and size > 0:
                text = ffi.string(cbuf)
                ffi.memmove(_output_buffer(buf, "buffer"), text + b"\0", _len(text) + 1)
    return _trace.record("getnameinfo", ret)


_len = len
_type = type
