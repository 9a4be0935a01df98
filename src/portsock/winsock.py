"""portsock.winsock - the Winsock API, line for line.

Every function keeps the C name, arguments, return value and out-parameters of
the Winsock call it mirrors, so Winsock C code ports to Python one line at a
time. Failures are return values (SOCKET_ERROR, INVALID_SOCKET or the code
itself), with the code in WSAGetLastError(), exactly as in C. Arguments are
checked before they reach C: a wrong type raises TypeError (C would not have
compiled it); a value C could receive but that is wrong gives the Winsock error
return, as the real call would. The handle is judged first, by C, as Winsock
does: a closed or forged handle gives WSAENOTSOCK (WSANOTINITIALISED before
startup) whatever the other arguments are.

Out-parameters are mutable objects the caller passes: WSADATA, sockaddr_in,
sockaddr_in6, LINGER, the scalar holders c_int, u_long, DWORD and BOOL (each
with a ``value``), a list for getaddrinfo's result, or a writable buffer.

Constants (AF_INET, SOL_SOCKET, FIONBIO, ...) have this platform's values, as
the C headers here give them; the error codes are Winsock's everywhere.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING as _TYPE_CHECKING, Any, Callable, List, Optional, Tuple, Type, TypeVar, Union

from portsock import _args, _signals, _trace
from portsock._core import ffi, lib
from portsock._trace import Trace as Trace, _recorders, trace as trace

# _recorders is the live list of trace recorders (mutated in place, never
# rebound): the hot calls test it inline and call _trace.record only while a
# trace is recording.

if _TYPE_CHECKING:
    # bytes-like objects (bytes, bytearray, memoryview, array, ...), and the
    # writable ones (bytearray, memoryview of one, ...): typeshed's names.
    from _typeshed import ReadableBuffer as _ReadableBuffer, WriteableBuffer as _WriteableBuffer

# --------------------------------------------------------------------------
# Constants

SOCKET_ERROR: int = lib.PS_SOCKET_ERROR
INVALID_SOCKET: int = lib.PS_INVALID_SOCKET
SD_RECEIVE: int = lib.PS_SD_RECEIVE
SD_SEND: int = lib.PS_SD_SEND
SD_BOTH: int = lib.PS_SD_BOTH
WSADESCRIPTION_LEN: int = lib.PS_WSADESCRIPTION_LEN
WSASYS_STATUS_LEN: int = lib.PS_WSASYS_STATUS_LEN

AF_UNSPEC: int = lib.AF_UNSPEC
AF_INET: int = lib.AF_INET
AF_INET6: int = lib.AF_INET6
SOCK_STREAM: int = lib.SOCK_STREAM
SOCK_DGRAM: int = lib.SOCK_DGRAM
SOCK_RAW: int = lib.SOCK_RAW
IPPROTO_IP: int = lib.IPPROTO_IP
IPPROTO_IPV6: int = lib.IPPROTO_IPV6
IPPROTO_TCP: int = lib.IPPROTO_TCP
IPPROTO_UDP: int = lib.IPPROTO_UDP
SOL_SOCKET: int = lib.SOL_SOCKET
SO_ACCEPTCONN: int = lib.SO_ACCEPTCONN
SO_BROADCAST: int = lib.SO_BROADCAST
SO_DONTROUTE: int = lib.SO_DONTROUTE
SO_ERROR: int = lib.SO_ERROR
SO_KEEPALIVE: int = lib.SO_KEEPALIVE
SO_LINGER: int = lib.SO_LINGER
SO_OOBINLINE: int = lib.SO_OOBINLINE
SO_RCVBUF: int = lib.SO_RCVBUF
SO_RCVTIMEO: int = lib.SO_RCVTIMEO
SO_REUSEADDR: int = lib.SO_REUSEADDR
SO_SNDBUF: int = lib.SO_SNDBUF
SO_SNDTIMEO: int = lib.SO_SNDTIMEO
SO_TYPE: int = lib.SO_TYPE
TCP_NODELAY: int = lib.TCP_NODELAY
IPV6_V6ONLY: int = lib.IPV6_V6ONLY
FIONBIO: int = lib.FIONBIO
FIONREAD: int = lib.FIONREAD
SIOCATMARK: int = lib.SIOCATMARK
MSG_OOB: int = lib.MSG_OOB
MSG_PEEK: int = lib.MSG_PEEK
MSG_DONTROUTE: int = lib.MSG_DONTROUTE
MSG_WAITALL: int = lib.MSG_WAITALL
AI_PASSIVE: int = lib.AI_PASSIVE
AI_CANONNAME: int = lib.AI_CANONNAME
AI_NUMERICHOST: int = lib.AI_NUMERICHOST
AI_NUMERICSERV: int = lib.AI_NUMERICSERV
AI_ADDRCONFIG: int = lib.AI_ADDRCONFIG
AI_V4MAPPED: int = lib.AI_V4MAPPED
AI_ALL: int = lib.AI_ALL
INADDR_ANY: int = lib.INADDR_ANY
INADDR_LOOPBACK: int = lib.INADDR_LOOPBACK
INADDR_NONE: int = lib.INADDR_NONE
SOMAXCONN: int = lib.SOMAXCONN
INET_ADDRSTRLEN: int = lib.INET_ADDRSTRLEN
INET6_ADDRSTRLEN: int = lib.INET6_ADDRSTRLEN

WSA_NOT_ENOUGH_MEMORY: int = lib.PS_WSA_NOT_ENOUGH_MEMORY
WSA_INVALID_PARAMETER: int = lib.PS_WSA_INVALID_PARAMETER
WSAEINTR: int = lib.PS_WSAEINTR
WSAEBADF: int = lib.PS_WSAEBADF
WSAEACCES: int = lib.PS_WSAEACCES
WSAEFAULT: int = lib.PS_WSAEFAULT
WSAEINVAL: int = lib.PS_WSAEINVAL
WSAEMFILE: int = lib.PS_WSAEMFILE
WSAEWOULDBLOCK: int = lib.PS_WSAEWOULDBLOCK
WSAEINPROGRESS: int = lib.PS_WSAEINPROGRESS
WSAEALREADY: int = lib.PS_WSAEALREADY
WSAENOTSOCK: int = lib.PS_WSAENOTSOCK
WSAEDESTADDRREQ: int = lib.PS_WSAEDESTADDRREQ
WSAEMSGSIZE: int = lib.PS_WSAEMSGSIZE
WSAEPROTOTYPE: int = lib.PS_WSAEPROTOTYPE
WSAENOPROTOOPT: int = lib.PS_WSAENOPROTOOPT
WSAEPROTONOSUPPORT: int = lib.PS_WSAEPROTONOSUPPORT
WSAESOCKTNOSUPPORT: int = lib.PS_WSAESOCKTNOSUPPORT
WSAEOPNOTSUPP: int = lib.PS_WSAEOPNOTSUPP
WSAEPFNOSUPPORT: int = lib.PS_WSAEPFNOSUPPORT
WSAEAFNOSUPPORT: int = lib.PS_WSAEAFNOSUPPORT
WSAEADDRINUSE: int = lib.PS_WSAEADDRINUSE
WSAEADDRNOTAVAIL: int = lib.PS_WSAEADDRNOTAVAIL
WSAENETDOWN: int = lib.PS_WSAENETDOWN
WSAENETUNREACH: int = lib.PS_WSAENETUNREACH
WSAENETRESET: int = lib.PS_WSAENETRESET
WSAECONNABORTED: int = lib.PS_WSAECONNABORTED
WSAECONNRESET: int = lib.PS_WSAECONNRESET
WSAENOBUFS: int = lib.PS_WSAENOBUFS
WSAEISCONN: int = lib.PS_WSAEISCONN
WSAENOTCONN: int = lib.PS_WSAENOTCONN
WSAESHUTDOWN: int = lib.PS_WSAESHUTDOWN
WSAETOOMANYREFS: int = lib.PS_WSAETOOMANYREFS
WSAETIMEDOUT: int = lib.PS_WSAETIMEDOUT
WSAECONNREFUSED: int = lib.PS_WSAECONNREFUSED
WSAELOOP: int = lib.PS_WSAELOOP
WSAENAMETOOLONG: int = lib.PS_WSAENAMETOOLONG
WSAEHOSTDOWN: int = lib.PS_WSAEHOSTDOWN
WSAEHOSTUNREACH: int = lib.PS_WSAEHOSTUNREACH
WSAENOTEMPTY: int = lib.PS_WSAENOTEMPTY
WSAEPROCLIM: int = lib.PS_WSAEPROCLIM
WSAEUSERS: int = lib.PS_WSAEUSERS
WSAEDQUOT: int = lib.PS_WSAEDQUOT
WSAESTALE: int = lib.PS_WSAESTALE
WSAEREMOTE: int = lib.PS_WSAEREMOTE
WSASYSNOTREADY: int = lib.PS_WSASYSNOTREADY
WSAVERNOTSUPPORTED: int = lib.PS_WSAVERNOTSUPPORTED
WSANOTINITIALISED: int = lib.PS_WSANOTINITIALISED
WSAEDISCON: int = lib.PS_WSAEDISCON
WSATYPE_NOT_FOUND: int = lib.PS_WSATYPE_NOT_FOUND
WSAHOST_NOT_FOUND: int = lib.PS_WSAHOST_NOT_FOUND
WSATRY_AGAIN: int = lib.PS_WSATRY_AGAIN
WSANO_RECOVERY: int = lib.PS_WSANO_RECOVERY
WSANO_DATA: int = lib.PS_WSANO_DATA

# The C-type conversions and the startup question are shared with the Pythonic
# layer (portsock._args); the mirror keeps its own names for them.
_INT_MIN = _args.INT_MIN
_INT_MAX = _args.INT_MAX
_SOCKET_MAX = _args.SOCKET_MAX
_check_int = _args.check_int
_c_int = _args.c_int
_c_dword = _args.c_dword
_DWORD_MAX = _args.DWORD_MAX
_c_long = _args.c_long
_handle_code = _args.handle_code
_not_started = _args.not_started
_input_buffer = _args.input_buffer
# The largest option or address buffer the mirror hands to C.
_MAX_OPTLEN = 1 << 16
# The builtins, for the functions whose parameters shadow them (len, type).
_len = len
_type = type


# --------------------------------------------------------------------------
# Argument checks: a wrong type is a TypeError; a value that C would accept
# becomes what C would see, and one it could not hold is the error return.

def _handle(s: object) -> int:
    """The SOCKET C receives: negative values wrap as they do in C (-1 is
    INVALID_SOCKET); one C could not hold becomes INVALID_SOCKET, which is
    never a socket. Either way C judges the handle, so a call on a bad handle
    gives WSANOTINITIALISED before startup and WSAENOTSOCK after, as Winsock
    does."""
    s = _check_int(s, "s")
    if -((_SOCKET_MAX + 1) >> 1) <= s <= _SOCKET_MAX:
        return s & _SOCKET_MAX
    return INVALID_SOCKET


def _error(code: int, ret: int = SOCKET_ERROR) -> int:
    lib.ps_set_last_error(code)
    return ret


def _fail(h: int, code: int, ret: int = SOCKET_ERROR) -> int:
    """Fails a call on handle h that the mirror rejects before C (an argument C
    could not be given): with code, unless the handle is wrong first."""
    return _error(_handle_code(h) or code, ret)


def _buffer_size(buf: Any) -> int:
    return memoryview(buf).nbytes


def _output_buffer(buf: Any, name: str) -> Any:
    if isinstance(buf, (bytes, str)):
        raise TypeError("%s must be a writable buffer, not %s" % (name, type(buf).__name__))
    try:
        return ffi.from_buffer(buf, require_writable=True)
    except (TypeError, BufferError):
        # A read-only (memoryview of bytes) or non-contiguous view raises
        # BufferError here; to the caller it is a wrong type, as bytes is.
        raise TypeError("%s must be a writable bytes-like object, not %s"
                        % (name, "read-only " + type(buf).__name__ if isinstance(buf, memoryview)
                           else type(buf).__name__)) from None


# --------------------------------------------------------------------------
# Structures and holders

def MAKEWORD(lo: int, hi: int) -> int:
    """Mirrors the MAKEWORD macro (minwindef.h): the WORD with low byte lo and
    high byte hi, as in MAKEWORD(2, 2) for WSAStartup. Like the macro's BYTE casts,
    each argument is cut to its low 8 bits; a non-int is a TypeError."""
    return (_check_int(lo, "lo") & 0xFF) | ((_check_int(hi, "hi") & 0xFF) << 8)


def LOBYTE(w: int) -> int:
    """Mirrors the LOBYTE macro (minwindef.h): the low byte of w, as in
    LOBYTE(wsaData.wVersion). A non-int is a TypeError."""
    return _check_int(w, "w") & 0xFF


def HIBYTE(w: int) -> int:
    """Mirrors the HIBYTE macro (minwindef.h): the second byte of w, as in
    HIBYTE(wsaData.wVersion). A non-int is a TypeError."""
    return (_check_int(w, "w") >> 8) & 0xFF


class WSADATA:
    """WSADATA, filled in place by WSAStartup."""

    __slots__ = ("wVersion", "wHighVersion", "szDescription", "szSystemStatus",
                 "iMaxSockets", "iMaxUdpDg", "lpVendorInfo")

    def __init__(self) -> None:
        self.wVersion = 0
        self.wHighVersion = 0
        self.szDescription = ""
        self.szSystemStatus = ""
        self.iMaxSockets = 0
        self.iMaxUdpDg = 0
        self.lpVendorInfo = None

    def __repr__(self) -> str:
        return ("WSADATA(wVersion=0x%04x, wHighVersion=0x%04x, szDescription=%r, szSystemStatus=%r)"
                % (self.wVersion, self.wHighVersion, self.szDescription, self.szSystemStatus))


class _Scalar:
    """A C scalar passed by address: read and written through .value."""

    __slots__ = ("value",)
    _size = 4
    _signed = False

    def __init__(self, value: int = 0) -> None:
        self.value = _check_int(value, "value")

    def __repr__(self) -> str:
        return "%s(%d)" % (type(self).__name__, self.value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Scalar):
            return self.value == other.value
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class c_int(_Scalar):
    """A C int (4 bytes, signed)."""
    _signed = True


class u_long(_Scalar):
    """Winsock's u_long: 4 bytes, unsigned, on every platform."""


class DWORD(_Scalar):
    """A DWORD: 4 bytes, unsigned."""


class BOOL(_Scalar):
    """A BOOL: 4 bytes, signed."""
    _signed = True


class LINGER:
    """Winsock's LINGER: two u_short fields, 4 bytes."""

    __slots__ = ("l_onoff", "l_linger")

    def __init__(self, l_onoff: int = 0, l_linger: int = 0) -> None:
        self.l_onoff = _check_int(l_onoff, "l_onoff")
        self.l_linger = _check_int(l_linger, "l_linger")

    def __repr__(self) -> str:
        return "LINGER(l_onoff=%d, l_linger=%d)" % (self.l_onoff, self.l_linger)


class in_addr:
    """IN_ADDR. s_addr is the 32-bit value as C reads it from memory (network
    byte order bytes), like the result of inet_addr()."""

    __slots__ = ("s_addr",)

    def __init__(self, s_addr: int = 0) -> None:
        self.s_addr = _check_int(s_addr, "s_addr")

    @property
    def S_un(self) -> in_addr:
        return self

    @property
    def S_addr(self) -> int:
        return self.s_addr

    @S_addr.setter
    def S_addr(self, value: int) -> None:
        self.s_addr = value

    def _bytes(self) -> bytes:
        return (self.s_addr & 0xFFFFFFFF).to_bytes(4, sys.byteorder)

    def _set_bytes(self, raw: bytes) -> None:
        self.s_addr = int.from_bytes(raw[:4], sys.byteorder)


class in6_addr:
    """IN6_ADDR: 16 bytes, in s6_addr (also u.Byte)."""

    __slots__ = ("s6_addr",)

    def __init__(self, s6_addr: bytes = bytes(16)) -> None:
        if isinstance(s6_addr, (int, str)):
            raise TypeError("s6_addr must be a bytes-like object of 16 bytes, not %s" % type(s6_addr).__name__)
        self.s6_addr = bytearray(s6_addr)
        if len(self.s6_addr) > 16:
            raise ValueError("s6_addr holds 16 bytes, not %d" % len(self.s6_addr))

    @property
    def u(self) -> in6_addr:
        return self

    @property
    def Byte(self) -> bytearray:
        return self.s6_addr

    def _bytes(self) -> bytes:
        raw = bytes(self.s6_addr)
        return raw[:16].ljust(16, b"\0")

    def _set_bytes(self, raw: bytes) -> None:
        self.s6_addr = bytearray(raw[:16])


def _u16(value: object, name: str) -> int:
    """A u_short field (ADDRESS_FAMILY): TypeError for a non-int, ValueError
    outside 0..0xFFFF."""
    value = _check_int(value, name)
    if not 0 <= value <= 0xFFFF:
        raise ValueError("%s must be 0..0xFFFF, not %d" % (name, value))
    return value


_T = TypeVar("_T")


def _typed(value: object, cls: Type[_T], name: str) -> _T:
    if not isinstance(value, cls):
        raise TypeError("%s must be an %s, not %s" % (name, cls.__name__, type(value).__name__))
    return value


class sockaddr_in:
    """SOCKADDR_IN. sin_port is in network byte order, as in C: htons(port)."""

    __slots__ = ("sin_family", "sin_port", "sin_addr", "sin_zero", "_raw")
    _family = AF_INET

    def __init__(self, sin_family: int = 0, sin_port: int = 0, sin_addr: Optional[in_addr] = None) -> None:
        self.sin_family = _u16(sin_family, "sin_family")
        self.sin_port = _check_int(sin_port, "sin_port")
        self.sin_addr = _typed(sin_addr, in_addr, "sin_addr") if sin_addr is not None else in_addr()
        self.sin_zero = bytes(8)
        # (the fields, the native bytes) of a sockaddr decoded from C: reused
        # by connect, bind and sendto while the fields are unchanged.
        self._raw: Optional[Tuple[Any, bytes]] = None

    def _key(self) -> Any:
        return (self.sin_family, self.sin_port, self.sin_addr.s_addr)

    def _view(self, view: Any) -> None:
        view.family = _u16(self.sin_family, "sin_family")
        view.port = _check_int(self.sin_port, "sin_port") & 0xFFFF
        view.flowinfo = 0
        view.scope_id = 0
        ffi.memmove(view.addr, _typed(self.sin_addr, in_addr, "sin_addr")._bytes(), 4)

    def _load(self, view: Any) -> None:
        self.sin_family = view.family
        self.sin_port = view.port
        self.sin_addr._set_bytes(ffi.buffer(view.addr, 4)[:])

    def __repr__(self) -> str:
        addr = inet_ntop(AF_INET, self.sin_addr)
        return "sockaddr_in(%s:%d)" % (addr, ntohs(self.sin_port))


class sockaddr_in6:
    """SOCKADDR_IN6. sin6_port is in network byte order, as in C."""

    __slots__ = ("sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr", "sin6_scope_id", "_raw")
    _family = AF_INET6

    def __init__(self, sin6_family: int = 0, sin6_port: int = 0, sin6_addr: Optional[in6_addr] = None,
                 sin6_flowinfo: int = 0, sin6_scope_id: int = 0) -> None:
        self.sin6_family = _u16(sin6_family, "sin6_family")
        self.sin6_port = _check_int(sin6_port, "sin6_port")
        self.sin6_flowinfo = _check_int(sin6_flowinfo, "sin6_flowinfo")
        self.sin6_addr = _typed(sin6_addr, in6_addr, "sin6_addr") if sin6_addr is not None else in6_addr()
        self.sin6_scope_id = _check_int(sin6_scope_id, "sin6_scope_id")
        self._raw: Optional[Tuple[Any, bytes]] = None   # as sockaddr_in's

    def _key(self) -> Any:
        return (self.sin6_family, self.sin6_port, self.sin6_flowinfo, bytes(self.sin6_addr.s6_addr),
                self.sin6_scope_id)

    def _view(self, view: Any) -> None:
        view.family = _u16(self.sin6_family, "sin6_family")
        view.port = _check_int(self.sin6_port, "sin6_port") & 0xFFFF
        view.flowinfo = _check_int(self.sin6_flowinfo, "sin6_flowinfo") & 0xFFFFFFFF
        view.scope_id = _check_int(self.sin6_scope_id, "sin6_scope_id") & 0xFFFFFFFF
        ffi.memmove(view.addr, _typed(self.sin6_addr, in6_addr, "sin6_addr")._bytes(), 16)

    def _load(self, view: Any) -> None:
        self.sin6_family = view.family
        self.sin6_port = view.port
        self.sin6_flowinfo = view.flowinfo
        self.sin6_scope_id = view.scope_id
        self.sin6_addr._set_bytes(ffi.buffer(view.addr, 16)[:])

    def __repr__(self) -> str:
        addr = inet_ntop(AF_INET6, self.sin6_addr)
        return "sockaddr_in6([%s]:%d)" % (addr, ntohs(self.sin6_port))


_SockAddr = Union[sockaddr_in, sockaddr_in6]


class ADDRINFOA:
    """ADDRINFOA: hints for getaddrinfo, and the entries of its result."""

    __slots__ = ("ai_flags", "ai_family", "ai_socktype", "ai_protocol", "ai_addrlen",
                 "ai_canonname", "ai_addr", "ai_next")

    def __init__(self, ai_flags: int = 0, ai_family: int = 0, ai_socktype: int = 0, ai_protocol: int = 0) -> None:
        self.ai_flags = ai_flags
        self.ai_family = ai_family
        self.ai_socktype = ai_socktype
        self.ai_protocol = ai_protocol
        self.ai_addrlen = 0
        self.ai_canonname: Optional[str] = None
        self.ai_addr: Optional[_SockAddr] = None
        self.ai_next: Optional[ADDRINFOA] = None

    def __repr__(self) -> str:
        return ("ADDRINFOA(ai_family=%d, ai_socktype=%d, ai_protocol=%d, ai_addr=%r)"
                % (self.ai_family, self.ai_socktype, self.ai_protocol, self.ai_addr))


addrinfo = ADDRINFOA


def sizeof(obj: object) -> int:
    """The sizeof operator, for the mirror's structures (an instance or the class):
    the size C gives it on this platform, such as sizeof(sockaddr_in) for bind's
    namelen. WSADATA's is that of portsock's ps_wsadata. Anything else is a
    TypeError."""
    if isinstance(obj, type):
        obj = obj()
    if isinstance(obj, (sockaddr_in, sockaddr_in6)):
        return int(lib.ps_sockaddr_size(obj._family))
    if isinstance(obj, (LINGER, _Scalar, in_addr)):
        return 4
    if isinstance(obj, in6_addr):
        return 16
    if isinstance(obj, WSADATA):
        return ffi.sizeof("ps_wsadata")
    size = getattr(type(obj), "_c_size", None)   # the other sections' structures (WSABUF, tcp_keepalive)
    if size is not None:
        return int(size)
    raise TypeError("sizeof() of %s is not defined" % type(obj).__name__)


# --------------------------------------------------------------------------
# Byte order and address text

_LITTLE = sys.byteorder == "little"


def htons(hostshort: int) -> int:
    """Mirrors htons (winsock2.h): hostshort in network byte order. As the u_short
    parameter would, the value is cut to 16 bits. ntohs is the same function (the
    swap is its own inverse)."""
    v = _check_int(hostshort, "hostshort") & 0xFFFF
    return ((v & 0xFF) << 8) | (v >> 8) if _LITTLE else v


ntohs = htons


def htonl(hostlong: int) -> int:
    """Mirrors htonl (winsock2.h): hostlong in network byte order. As the u_long
    parameter would, the value is cut to 32 bits. ntohl is the same function."""
    v = _check_int(hostlong, "hostlong") & 0xFFFFFFFF
    return int.from_bytes(v.to_bytes(4, "big"), "little") if _LITTLE else v


ntohl = htonl


def _encode_text(value: Any, name: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise TypeError("%s must be a str or None, not %s" % (name, type(value).__name__))


def inet_addr(cp: str) -> int:
    """Mirrors inet_addr (winsock2.h): the IPv4 address in cp as a u_long in network
    byte order (the value C reads from memory, as in_addr.s_addr holds it), or
    INADDR_NONE. Differences from C: cp is a str (sent as UTF-8); None, or text with
    a NUL in it, gives INADDR_NONE."""
    raw = _encode_text(cp, "cp")
    if raw is None or 0 in raw:
        return INADDR_NONE
    return int(lib.ps_inet_addr(raw))


def inet_pton(Family: int, pszAddrString: str, pAddrBuf: Union[in_addr, in6_addr, _WriteableBuffer, None]) -> int:
    """Mirrors inet_pton / InetPtonA (ws2tcpip.h): 1 and pAddrBuf filled; 0 for text
    that is not an address of that family (WSAEINVAL); or -1 with WSAEAFNOSUPPORT
    (another family) or WSAEFAULT (no text, or no buffer).

    Differences from C: pszAddrString is a str, and text with a NUL in it is not an
    address (0, WSAEINVAL). pAddrBuf is an in_addr or in6_addr (of the family's
    type, else WSAEFAULT) or a writable buffer of at least 4 or 16 bytes (else
    WSAEFAULT, where C would write past it)."""
    af = _c_int(Family, "Family")
    raw = _encode_text(pszAddrString, "pszAddrString")
    if af is None:
        return _error(WSAEAFNOSUPPORT)
    if raw is None or pAddrBuf is None:
        return _error(WSAEFAULT)
    if 0 in raw:
        lib.ps_set_last_error(WSAEINVAL)
        return 0
    out = ffi.new("unsigned char[16]")
    ret = int(lib.ps_inet_pton(af, raw, out))
    if ret == 1:
        size = 4 if af == AF_INET else 16
        data = ffi.buffer(out, size)[:]
        if isinstance(pAddrBuf, (in_addr, in6_addr)):
            if isinstance(pAddrBuf, in_addr) != (af == AF_INET):
                return _error(WSAEFAULT)
            pAddrBuf._set_bytes(data)
        else:
            dst = _output_buffer(pAddrBuf, "pAddrBuf")
            if len(dst) < size:
                return _error(WSAEFAULT)
            ffi.memmove(dst, data, size)
    return ret


def inet_ntop(Family: int, pAddr: Union[in_addr, in6_addr, _ReadableBuffer, None],
              pStringBuf: Optional[_WriteableBuffer] = None, StringBufSize: Optional[int] = None) -> Optional[str]:
    """Mirrors inet_ntop / InetNtopA (ws2tcpip.h): the text of the address, or None
    where C returns NULL: WSAEAFNOSUPPORT (another family), WSAEFAULT (no address,
    or one too short), WSAEINVAL (StringBufSize too small for the text).

    Differences from C: the text is returned as a str rather than as a pointer into
    pStringBuf. pAddr is an in_addr, in6_addr or bytes-like object. pStringBuf is
    optional; if given (a writable buffer) it is filled with the NUL-terminated
    text as in C. StringBufSize defaults to the size of pStringBuf, or 64 without
    one; a size beyond pStringBuf, or negative, is WSAEFAULT."""
    af = _c_int(Family, "Family")
    if af is None:
        _error(WSAEAFNOSUPPORT)
        return None
    if pAddr is None:
        _error(WSAEFAULT)
        return None
    if isinstance(pAddr, (in_addr, in6_addr)):
        raw = pAddr._bytes()
    else:
        raw = bytes(memoryview(pAddr))
    size = 4 if af == AF_INET else 16
    if af in (AF_INET, AF_INET6) and len(raw) < size:
        _error(WSAEFAULT)
        return None
    if StringBufSize is None:
        StringBufSize = _buffer_size(pStringBuf) if pStringBuf is not None else 64
    bufsize = _check_int(StringBufSize, "StringBufSize")
    if bufsize < 0 or (pStringBuf is not None and bufsize > _buffer_size(pStringBuf)):
        _error(WSAEFAULT)
        return None
    src = ffi.new("unsigned char[16]", raw[:16].ljust(16, b"\0"))
    # No text form is longer than 46 bytes: a larger size needs no larger buffer.
    size = min(bufsize, 64)
    dst = ffi.new("char[]", max(size, 1))
    if lib.ps_inet_ntop(af, src, dst, size) == ffi.NULL:
        return None
    text = ffi.string(dst)
    if pStringBuf is not None:
        out = _output_buffer(pStringBuf, "pStringBuf")
        ffi.memmove(out, text + b"\0", len(text) + 1)
    return text.decode("ascii")


# --------------------------------------------------------------------------
# Startup and the last error

def WSAStartup(wVersionRequested: int, lpWSAData: Optional[WSADATA]) -> int:
    """Mirrors WSAStartup (winsock2.h): 0, or the error code itself (returned, as
    in C; WSAGetLastError is not the way to read it): WSAVERNOTSUPPORTED, or
    WSAEFAULT when lpWSAData is None (C's NULL). lpWSAData, a WSADATA, is filled in
    place. Every successful call takes one reference that one WSACleanup releases.

    Differences from C: a version that no WORD holds is WSAVERNOTSUPPORTED (C would
    truncate it); lpWSAData must be a WSADATA or None (else TypeError)."""
    version = _check_int(wVersionRequested, "wVersionRequested")
    if lpWSAData is not None and not isinstance(lpWSAData, WSADATA):
        raise TypeError("lpWSAData must be a WSADATA or None")
    if not 0 <= version <= 0xFFFF:
        return _trace.refused("WSAStartup", WSAVERNOTSUPPORTED)
    if lpWSAData is None:
        ret = int(lib.ps_startup(version, ffi.NULL))
    else:
        data = ffi.new("ps_wsadata *")
        ret = int(lib.ps_startup(version, data))
        lpWSAData.wVersion = data.wVersion
        lpWSAData.wHighVersion = data.wHighVersion
        lpWSAData.szDescription = ffi.string(data.szDescription).decode("latin-1")
        lpWSAData.szSystemStatus = ffi.string(data.szSystemStatus).decode("latin-1")
        lpWSAData.iMaxSockets = data.iMaxSockets
        lpWSAData.iMaxUdpDg = data.iMaxUdpDg
    return _trace.record("WSAStartup", ret)


def WSACleanup() -> int:
    """Mirrors WSACleanup (winsock2.h): 0, or SOCKET_ERROR with WSANOTINITIALISED
    when no WSAStartup reference is left. The last reference's cleanup closes every
    socket still open (on POSIX, calls blocked on them return WSAEINTR)."""
    return _trace.record("WSACleanup", lib.ps_cleanup())


# WSAGetLastError mirrors WSAGetLastError (winsock2.h): this thread's last
# Winsock error code, set by every failing call (and by the mirror's own checks,
# which fail as the C call would). As in C, a successful call does not reliably
# reset it. It is the core's function itself (no Python frame in between: it is
# read after every failing call).
WSAGetLastError: Callable[[], int] = lib.ps_last_error


def WSASetLastError(iError: int) -> None:
    """Mirrors WSASetLastError (winsock2.h): sets this thread's last error code.
    Values up to 0xFFFFFFFF wrap as C's int would; a value no int holds sets
    WSAEINVAL instead."""
    code = _c_int(iError, "iError")
    lib.ps_set_last_error(code if code is not None else WSAEINVAL)


# --------------------------------------------------------------------------
# Names

def _gai_fail(code: int) -> int:
    """getaddrinfo's failure for an argument C could not be given, unless the
    socket layer is not started (C's first check)."""
    if _not_started():
        code = WSANOTINITIALISED
    return _error(code, code)


def getaddrinfo(pNodeName: Optional[str], pServiceName: Optional[str], pHints: Optional[ADDRINFOA],
                ppResult: List[ADDRINFOA]) -> int:
    """Mirrors getaddrinfo (ws2tcpip.h): 0, or the error code (returned, and also in
    WSAGetLastError()): WSAHOST_NOT_FOUND, WSATYPE_NOT_FOUND, WSAEAFNOSUPPORT, ...

    Differences from C: pNodeName and pServiceName are str (sent as UTF-8) or None
    (C's NULL); a NUL inside the node gives WSAHOST_NOT_FOUND, inside the service
    WSATYPE_NOT_FOUND. pHints is an ADDRINFOA or None; a hint no C int holds gives
    WSAEINVAL. ppResult is a list, cleared and filled with the ADDRINFOA entries
    in order (each entry's ai_next is the next one, or None), in place of C's
    PADDRINFOA out-pointer."""
    node = _encode_text(pNodeName, "pNodeName")
    service = _encode_text(pServiceName, "pServiceName")
    if pHints is not None and not isinstance(pHints, ADDRINFOA):
        raise TypeError("pHints must be an ADDRINFOA or None")
    if not isinstance(ppResult, list):
        raise TypeError("ppResult must be a list")
    del ppResult[:]
    # `0 in` a bytes object is the NUL test; `b"\0" in` gives the same answer
    # but CPython first tries the operand as an int and raises and clears a
    # TypeError internally, which costs more than the rest of the test.
    if node is not None and 0 in node:
        return _trace.refused("getaddrinfo", _gai_fail(WSAHOST_NOT_FOUND))
    if service is not None and 0 in service:
        return _trace.refused("getaddrinfo", _gai_fail(WSATYPE_NOT_FOUND))
    hints = [0, 0, 0, 0]
    if pHints is not None:
        for i, name in enumerate(("ai_flags", "ai_family", "ai_socktype", "ai_protocol")):
            value = _c_int(getattr(pHints, name), name)
            if value is None:
                return _trace.refused("getaddrinfo", _gai_fail(WSAEINVAL))
            hints[i] = value
    res = ffi.new("struct addrinfo **")
    ret = int(lib.ps_getaddrinfo_hints(node if node is not None else ffi.NULL,
                                       service if service is not None else ffi.NULL,
                                       pHints is not None, hints[0], hints[1], hints[2], hints[3], res))
    if ret == 0:
        try:
            ppResult.extend(_read_addrinfo(res[0]))
        finally:
            lib.ps_freeaddrinfo(res[0])
    return _trace.record("getaddrinfo", ret)


def _read_addrinfo(ai: Any) -> List[ADDRINFOA]:
    entries: List[ADDRINFOA] = []
    view = ffi.new("ps_addrinfo_view *")
    while ai != ffi.NULL:
        lib.ps_addrinfo_read(ai, view)
        entry = ADDRINFOA(view.ai_flags, view.ai_family, view.ai_socktype, view.ai_protocol)
        entry.ai_addrlen = view.ai_addrlen
        if view.ai_canonname != ffi.NULL:
            entry.ai_canonname = ffi.string(view.ai_canonname).decode("utf-8", "replace")
        if view.ai_addr != ffi.NULL:
            entry.ai_addr = _decode_sockaddr(view.ai_addr, view.ai_addrlen)
        if entries:
            entries[-1].ai_next = entry
        entries.append(entry)
        ai = view.ai_next
    return entries


def freeaddrinfo(pAddrInfo: Union[List[ADDRINFOA], ADDRINFOA, None]) -> None:
    """Mirrors freeaddrinfo (ws2tcpip.h). The C result was copied into Python objects
    and freed by getaddrinfo already, so this only clears the list (an ADDRINFOA
    or None is accepted and does nothing; anything else is a TypeError)."""
    if isinstance(pAddrInfo, list):
        del pAddrInfo[:]
    elif pAddrInfo is not None and not isinstance(pAddrInfo, ADDRINFOA):
        raise TypeError("pAddrInfo must be the getaddrinfo result list")


def _decode_sockaddr(raw: Any, length: int) -> Optional[_SockAddr]:
    view = ffi.new("ps_sockaddr_view *")
    if lib.ps_sockaddr_decode(raw, length, view) != 0:
        return None
    addr: _SockAddr = sockaddr_in() if view.family == AF_INET else sockaddr_in6()
    addr._load(view)
    native = ffi.buffer(raw, length)[:]
    # Kept for _encode_sockaddr when it is what the encoder would write: the
    # fields, and zeros elsewhere (sin_zero).
    if view.family != AF_INET or native[8:] == bytes(_len(native) - 8):
        addr._raw = (addr._key(), native)
    return addr


def _encode_sockaddr(name: Any, namelen: int) -> Any:
    """The native bytes of a sockaddr for C, at least namelen long; None for
    C's NULL, False for a family the structure cannot hold (C would pass it
    through and fail with WSAEAFNOSUPPORT)."""
    if name is None:
        return None
    if isinstance(name, (sockaddr_in, sockaddr_in6)):
        cached = name._raw
        try:
            key = name._key()
        except AttributeError:
            # A field of the wrong type (a str or None sin_addr): _view says which.
            key = None
        if cached is not None and namelen <= _len(cached[1]) and cached[0] == key:
            return cached[1]   # the bytes the encoder would write, as far as C reads
        view = ffi.new("ps_sockaddr_view *")
        name._view(view)
        if view.family != name._family:
            return False
        buf = ffi.new("char[]", max(128, namelen))
        lib.ps_sockaddr_encode(view, buf, 128)
        return buf
    raise TypeError("name must be a sockaddr_in or sockaddr_in6, not %s" % type(name).__name__)


# --------------------------------------------------------------------------
# Sockets

def socket(af: int, type: int, protocol: int) -> int:
    """Mirrors socket (winsock2.h): a SOCKET (an int), or INVALID_SOCKET with the
    code in WSAGetLastError(). On POSIX the SOCKET is an opaque handle, never the
    fd. A value that no C int holds reaches C as -1, which fails as any invalid
    family, type or protocol does."""
    if (_type(af) is int and _type(type) is int and _type(protocol) is int
            and _INT_MIN <= af <= _INT_MAX and _INT_MIN <= type <= _INT_MAX and _INT_MIN <= protocol <= _INT_MAX):
        # The fast path: values C receives as they are (the checks below
        # would pass them unchanged).
        ret = lib.ps_socket_open(af, type, protocol)
        if _recorders:
            _trace.record("socket", ret)
        return ret
    a, t, p = _c_int(af, "af"), _c_int(type, "type"), _c_int(protocol, "protocol")
    # A value no int holds reaches C as -1, which it rejects the same way
    # (after its own startup check): no family, type or protocol is -1.
    a, t, p = (-1 if v is None else v for v in (a, t, p))
    return _trace.record("socket", int(lib.ps_socket_open(a, t, p)))


def closesocket(s: int) -> int:
    """Mirrors closesocket (winsock2.h): 0, or SOCKET_ERROR (WSAENOTSOCK for a handle
    that is not an open socket). Calls blocked on s in other threads return
    WSAEINTR, as on Windows. On POSIX the handle value is never valid again
    (Windows may hand the same value to a later socket)."""
    if _type(s) is int and 0 <= s <= _SOCKET_MAX:
        ret = lib.ps_closesocket(s)
        if _recorders:
            _trace.record("closesocket", ret)
        return ret
    h = _handle(s)
    return _trace.record("closesocket", lib.ps_closesocket(h))


def _blocking(ret: int) -> int:
    """ret of a call that may block; a signal handler's exception (Ctrl-C's
    KeyboardInterrupt), if it stopped the call, is raised instead. The SOCKET
    stays open and usable, as after any interrupted call of the stdlib."""
    if _signals.pending is not None:
        _signals.raise_pending()
    return ret


def _addr_call(fn: Any, callname: str, s: int, name: Any, namelen: int) -> int:
    h = _handle(s)
    length = _c_int(namelen, "namelen")
    buf = _encode_sockaddr(name, max(length or 0, 0))
    if buf is None or length is None or length > _MAX_OPTLEN:
        return _trace.refused(callname, _fail(h, WSAEFAULT))
    if buf is False:
        return _trace.refused(callname, _fail(h, WSAEAFNOSUPPORT))
    return _trace.record(callname, _blocking(fn(h, buf, length)))


def connect(s: int, name: Optional[_SockAddr], namelen: int) -> int:
    """Mirrors connect (winsock2.h): 0 or SOCKET_ERROR. name is an ai_addr from
    getaddrinfo, or a sockaddr_in / sockaddr_in6 built by the caller; namelen is
    its size, as in C (ptr.ai_addrlen, or sizeof(name)).

    Differences from C: name None is C's NULL (WSAEFAULT); a structure whose
    family field does not match its type is WSAEAFNOSUPPORT; a namelen no C int
    holds, or above 65536, is WSAEFAULT; any other type of name is a TypeError."""
    if _type(s) is int and _type(namelen) is int and 0 <= s <= _SOCKET_MAX and 0 <= namelen <= _MAX_OPTLEN:
        buf = _encode_sockaddr(name, namelen)
        if buf is None:
            return _trace.refused("connect", _fail(s, WSAEFAULT))
        if buf is False:
            return _trace.refused("connect", _fail(s, WSAEAFNOSUPPORT))
        ret = lib.ps_connect(s, buf, namelen)
        if _signals.pending is not None:
            _signals.raise_pending()
        if _recorders:
            _trace.record("connect", ret)
        return ret
    return _addr_call(lib.ps_connect, "connect", s, name, namelen)


def bind(s: int, name: Optional[_SockAddr], namelen: int) -> int:
    """Mirrors bind (winsock2.h): 0 or SOCKET_ERROR. name and namelen as for connect
    (an ai_addr, sockaddr_in or sockaddr_in6, and its size), with the same
    differences from C."""
    return _addr_call(lib.ps_bind, "bind", s, name, namelen)


def listen(s: int, backlog: int) -> int:
    """Mirrors listen (winsock2.h): 0 or SOCKET_ERROR (WSAEINVAL for an unbound
    socket, WSAEISCONN for a connected one). A backlog no C int holds is passed as
    the largest int, which the system caps as it caps SOMAXCONN."""
    h = _handle(s)
    b = _c_int(backlog, "backlog")
    if b is None:
        b = _INT_MAX
    return _trace.record("listen", lib.ps_listen(h, b))


def _name_out(addr: Any, addrlen: Any) -> Any:
    """The C buffer and length for an optional (addr, addrlen) out-pair."""
    if addr is None:
        return ffi.NULL, ffi.NULL, 0
    if not isinstance(addr, (sockaddr_in, sockaddr_in6)):
        raise TypeError("addr must be a sockaddr_in or sockaddr_in6, not %s" % type(addr).__name__)
    if addrlen is None:
        return ffi.new("char[128]"), ffi.NULL, 0
    if not isinstance(addrlen, _Scalar):
        raise TypeError("addrlen must be a c_int holder, not %s" % type(addrlen).__name__)
    size = int(lib.ps_sockaddr_size(addr._family))
    length = min(max(addrlen.value, -1), size) if addrlen.value >= 0 else -1
    plen = ffi.new("int *", length if length >= 0 else -1)
    return ffi.new("char[128]"), plen, size


def _name_in(addr: Any, addrlen: Any, buf: Any, plen: Any) -> None:
    if addr is None or plen == ffi.NULL:
        return
    decoded = _decode_sockaddr(buf, plen[0])
    if decoded is not None and type(decoded) is type(addr):
        view = ffi.new("ps_sockaddr_view *")
        decoded._view(view)
        addr._load(view)
    addrlen.value = plen[0]


def accept(s: int, addr: Optional[_SockAddr] = None, addrlen: Optional[_Scalar] = None) -> int:
    """Mirrors accept (winsock2.h): the new SOCKET, or INVALID_SOCKET. addr (a
    sockaddr_in or sockaddr_in6) and addrlen (a c_int holding its size) are
    optional out-parameters filled in place, as in C; addr without addrlen is
    WSAEFAULT, as C's NULL addrlen is.

    Differences from C: when the peer's address is of the other family than addr's
    type, addr is left as it was (addrlen still gets the real length); addr and
    addrlen of other types are a TypeError."""
    h = _handle(s)
    buf, plen, _ = _name_out(addr, addrlen)
    ret = int(_blocking(lib.ps_accept(h, buf, plen)))
    if ret != INVALID_SOCKET:
        _name_in(addr, addrlen, buf, plen)
    return _trace.record("accept", ret)


def getsockname(s: int, name: Optional[_SockAddr], namelen: Optional[_Scalar]) -> int:
    """Mirrors getsockname (winsock2.h): 0 or SOCKET_ERROR (WSAEINVAL for an unbound
    socket). name (a sockaddr_in or sockaddr_in6) and namelen (a c_int holding its
    size) are filled in place; None for either is C's NULL (WSAEFAULT), and a
    negative namelen is WSAEFAULT."""
    return _name_call(lib.ps_getsockname, "getsockname", s, name, namelen)


def getpeername(s: int, name: Optional[_SockAddr], namelen: Optional[_Scalar]) -> int:
    """Mirrors getpeername (winsock2.h): 0 or SOCKET_ERROR (WSAENOTCONN without a
    peer). name and namelen as for getsockname, filled in place."""
    return _name_call(lib.ps_getpeername, "getpeername", s, name, namelen)


def _name_call(fn: Any, callname: str, s: int, name: Any, namelen: Any) -> int:
    h = _handle(s)
    if name is None or namelen is None:
        buf, plen = ffi.NULL, ffi.NULL
    else:
        buf, plen, _ = _name_out(name, namelen)
    if plen != ffi.NULL and plen[0] < 0:
        return _trace.refused(callname, _fail(h, WSAEFAULT))
    ret = int(fn(h, buf, plen))
    if ret == 0:
        _name_in(name, namelen, buf, plen)
    return _trace.record(callname, ret)


def _length(buf: Any, len_: Any) -> Optional[int]:
    """len checked against the buffer: None where C would fault."""
    n = _check_int(len_, "len")
    if n < 0 or n > _INT_MAX or n > _buffer_size(buf):
        return None
    return n


def send(s: int, buf: Optional[_ReadableBuffer], len: int, flags: int) -> int:
    """Mirrors send (winsock2.h): the number of bytes sent, or SOCKET_ERROR. A
    blocking send returns when all len bytes are sent, as on Windows.

    Differences from C: buf is any bytes-like object (str is a TypeError), or None
    for C's NULL (no fault for len 0); len beyond it, or negative, is WSAEFAULT
    (C would read past it). flags no C int holds are WSAEOPNOTSUPP."""
    tb = _type(buf)
    if ((tb is bytes or tb is bytearray) and _type(s) is int and _type(len) is int and _type(flags) is int
            and 0 <= s <= _SOCKET_MAX and 0 <= len <= _len(buf) and len <= _INT_MAX  # type: ignore[arg-type]
            and _INT_MIN <= flags <= _INT_MAX):
        # The fast path: arguments the checks in _send would pass unchanged.
        # bytes go to C as they are (cffi passes a pointer to their contents).
        ret = lib.ps_send(s, buf if tb is bytes else ffi.from_buffer(buf), len, flags)  # type: ignore[arg-type]
        if _signals.pending is not None:
            _signals.raise_pending()
        if _recorders:
            _trace.record("send", ret)
        return ret
    return _send(s, buf, len, flags)


def _send(s: int, buf: Optional[_ReadableBuffer], len: int, flags: int) -> int:
    """send with every argument checked."""
    h = _handle(s)
    if buf is None:
        # C's NULL: the core decides (NULL is no fault for 0 bytes).
        cbuf, n = ffi.NULL, _c_int(len, "len")
    else:
        cbuf = _input_buffer(buf, "buf")
        n = _length(buf, len)
    f = _c_int(flags, "flags")
    if n is None:
        return _trace.refused("send", _fail(h, WSAEFAULT))
    if f is None:
        return _trace.refused("send", _fail(h, WSAEOPNOTSUPP))
    return _trace.record("send", _blocking(lib.ps_send(h, cbuf, n, f)))


def recv(s: int, buf: Optional[_WriteableBuffer], len: int, flags: int) -> int:
    """Mirrors recv (winsock2.h): the number of bytes received into buf (filled in
    place, like C's buffer), 0 at the peer's FIN, or SOCKET_ERROR.

    Differences from C: buf is a writable bytes-like object such as a bytearray
    (bytes or str is a TypeError), or None for C's NULL (no fault for len 0); len
    beyond it, or negative, is WSAEFAULT (C would write past it). flags no C int
    holds are WSAEOPNOTSUPP."""
    if (_type(buf) is bytearray and _type(s) is int and _type(len) is int and _type(flags) is int
            and 0 <= s <= _SOCKET_MAX and 0 <= len <= _len(buf) and len <= _INT_MAX
            and _INT_MIN <= flags <= _INT_MAX):
        # The fast path: arguments the checks in _recv would pass unchanged (a
        # bytearray is always writable and contiguous).
        ret = lib.ps_recv(s, ffi.from_buffer(buf), len, flags)
        if _signals.pending is not None:
            _signals.raise_pending()
        if _recorders:
            _trace.record("recv", ret)
        return ret
    return _recv(s, buf, len, flags)


def _recv(s: int, buf: Optional[_WriteableBuffer], len: int, flags: int) -> int:
    """recv with every argument checked."""
    h = _handle(s)
    if buf is None:
        # C's NULL: the core decides (NULL is no fault for 0 bytes).
        cbuf, n = ffi.NULL, _c_int(len, "len")
    else:
        cbuf = _output_buffer(buf, "buf")
        n = _length(buf, len)
    f = _c_int(flags, "flags")
    if n is None:
        return _trace.refused("recv", _fail(h, WSAEFAULT))
    if f is None:
        return _trace.refused("recv", _fail(h, WSAEOPNOTSUPP))
    return _trace.record("recv", _blocking(lib.ps_recv(h, cbuf, n, f)))


def sendto(s: int, buf: Optional[_ReadableBuffer], len: int, flags: int, to: Optional[_SockAddr], tolen: int) -> int:
    """Mirrors sendto (winsock2.h): the number of bytes sent, or SOCKET_ERROR. to is
    a sockaddr_in / sockaddr_in6 (or an ai_addr), or None for C's NULL; tolen its
    size. On a connected TCP socket the address is ignored, as on Windows.

    Differences from C: buf as for send; a tolen no C int holds, or above 65536,
    is WSAEFAULT; a to whose family field does not match its type is
    WSAEAFNOSUPPORT."""
    h = _handle(s)
    cbuf = _input_buffer(buf, "buf") if buf is not None else ffi.NULL
    n = _length(buf, len) if buf is not None else _c_int(len, "len")
    f = _c_int(flags, "flags")
    tl = _c_int(tolen, "tolen")
    tobuf = _encode_sockaddr(to, max(tl or 0, 0))
    if n is None or tl is None or tl > _MAX_OPTLEN:
        return _trace.refused("sendto", _fail(h, WSAEFAULT))
    if f is None:
        return _trace.refused("sendto", _fail(h, WSAEOPNOTSUPP))
    if tobuf is False:
        return _trace.refused("sendto", _fail(h, WSAEAFNOSUPPORT))
    to_c = tobuf if tobuf is not None else ffi.NULL
    return _trace.record("sendto", _blocking(lib.ps_sendto(h, cbuf, n, f, to_c, tl)))


def recvfrom(s: int, buf: Optional[_WriteableBuffer], len: int, flags: int, from_: Optional[_SockAddr] = None,
             fromlen: Optional[_Scalar] = None) -> int:
    """Mirrors recvfrom (winsock2.h): the number of bytes received into buf, 0 at the
    peer's FIN, or SOCKET_ERROR. A datagram longer than len fills buf and fails
    with WSAEMSGSIZE, as on Windows.

    Differences from C: buf as for recv. The out-parameters are from_ (named so
    because from is a Python keyword; a sockaddr_in or sockaddr_in6) and fromlen (a
    c_int holding its size), both optional and filled in place."""
    h = _handle(s)
    cbuf = _output_buffer(buf, "buf") if buf is not None else ffi.NULL
    n = _length(buf, len) if buf is not None else _c_int(len, "len")
    f = _c_int(flags, "flags")
    fbuf, plen, _ = _name_out(from_, fromlen)
    if n is None:
        return _trace.refused("recvfrom", _fail(h, WSAEFAULT))
    if f is None:
        return _trace.refused("recvfrom", _fail(h, WSAEOPNOTSUPP))
    ret = int(_blocking(lib.ps_recvfrom(h, cbuf, n, f, fbuf, plen)))
    if ret >= 0:
        _name_in(from_, fromlen, fbuf, plen)
    return _trace.record("recvfrom", ret)


def shutdown(s: int, how: int) -> int:
    """Mirrors shutdown (winsock2.h): 0 or SOCKET_ERROR. how is SD_RECEIVE, SD_SEND or
    SD_BOTH; SD_SEND is the half-close of the graceful disconnect: the peer reads
    end-of-stream, this side can still receive. After SD_RECEIVE, recv fails with
    WSAESHUTDOWN (as on Windows; POSIX would return 0). A how no C int holds is
    WSAEINVAL."""
    if _type(s) is int and _type(how) is int and 0 <= s <= _SOCKET_MAX and _INT_MIN <= how <= _INT_MAX:
        ret = lib.ps_shutdown(s, how)
        if _recorders:
            _trace.record("shutdown", ret)
        return ret
    h = _handle(s)
    w = _c_int(how, "how")
    if w is None:
        return _trace.refused("shutdown", _fail(h, WSAEINVAL))
    return _trace.record("shutdown", lib.ps_shutdown(h, w))


# --------------------------------------------------------------------------
# Options

def _scalar_bytes(value: int) -> bytes:
    if value < 0:
        return (value & 0xFFFFFFFF).to_bytes(4, sys.byteorder)
    return (value & 0xFFFFFFFF).to_bytes(4, sys.byteorder) if value <= 0xFFFFFFFF else b""


def setsockopt(s: int, level: int, optname: int, optval: Union[LINGER, int, _Scalar, _ReadableBuffer, None],
               optlen: int) -> int:
    """Mirrors setsockopt (winsock2.h): 0 or SOCKET_ERROR. optval is a LINGER (for
    SO_LINGER: l_linger in seconds, as on Windows), an int or a holder (BOOL,
    DWORD; SO_RCVTIMEO and SO_SNDTIMEO are DWORD milliseconds, as on Windows),
    bytes, or None (C's NULL: WSAEFAULT). optlen is the size C would pass.

    Differences from C: an optlen larger than optval is WSAEFAULT (C would read
    past it); an int optval beyond 32 bits is WSAEFAULT; a level or optname no C
    int holds is WSAEINVAL; a str optval is a TypeError."""
    h = _handle(s)
    lv, on, ln = _c_int(level, "level"), _c_int(optname, "optname"), _c_int(optlen, "optlen")
    if optval is None:
        data: Optional[bytes] = None
    elif isinstance(optval, LINGER):
        data = ((optval.l_onoff & 0xFFFF).to_bytes(2, sys.byteorder)
                + (optval.l_linger & 0xFFFF).to_bytes(2, sys.byteorder))
    elif isinstance(optval, (int, _Scalar)):
        value = optval.value if isinstance(optval, _Scalar) else optval
        data = _scalar_bytes(value)
        if not data:
            data = None
    elif isinstance(optval, str):
        raise TypeError("optval must be a LINGER, an int or a bytes-like object, not str")
    else:
        data = bytes(memoryview(optval))
    if lv is None or on is None:
        return _trace.refused("setsockopt", _fail(h, WSAEINVAL))
    if data is None or ln is None or ln > len(data):
        return _trace.refused("setsockopt", _fail(h, WSAEFAULT))
    cval = ffi.new("char[]", data) if data else ffi.new("char[1]")
    return _trace.record("setsockopt", lib.ps_setsockopt(h, lv, on, cval, ln))


def getsockopt(s: int, level: int, optname: int, optval: Union[LINGER, _Scalar, _WriteableBuffer, None],
               optlen: Optional[_Scalar]) -> int:
    """Mirrors getsockopt (winsock2.h): 0 or SOCKET_ERROR. optval (a LINGER, a holder
    such as DWORD() or c_int(), or a writable buffer) and optlen (a c_int holding
    its size) are filled in place, as in C. SO_ERROR is kept until the next connect
    and SO_RCVTIMEO / SO_SNDTIMEO read back as DWORD milliseconds, as on Windows.

    Differences from C: an optlen larger than optval is WSAEFAULT (C would write
    past it); None for either is C's NULL (WSAEFAULT); a level or optname no C int
    holds is WSAEINVAL; bytes, str or an int as optval is a TypeError."""
    h = _handle(s)
    lv, on = _c_int(level, "level"), _c_int(optname, "optname")
    if optlen is not None and not isinstance(optlen, _Scalar):
        raise TypeError("optlen must be a c_int holder, not %s" % type(optlen).__name__)
    if optval is None:
        capacity = 0
    elif isinstance(optval, (LINGER, _Scalar)):
        capacity = 4
    elif isinstance(optval, (bytes, str, int)):
        raise TypeError("optval must be a LINGER, a holder or a writable buffer")
    else:
        _output_buffer(optval, "optval")   # a TypeError unless writable
        capacity = _buffer_size(optval)
    if lv is None or on is None:
        return _trace.refused("getsockopt", _fail(h, WSAEINVAL))
    if optval is None or optlen is None or optlen.value > capacity or _c_int(optlen.value, "optlen") is None:
        return _trace.refused("getsockopt", _fail(h, WSAEFAULT))
    cval = ffi.new("char[]", max(capacity, 1))
    plen = ffi.new("int *", optlen.value)
    ret = int(lib.ps_getsockopt(h, lv, on, cval, plen))
    if ret == 0:
        written = max(0, min(plen[0], capacity))
        raw = ffi.buffer(cval, capacity)[:]
        if isinstance(optval, LINGER):
            optval.l_onoff = int.from_bytes(raw[0:2], sys.byteorder)
            optval.l_linger = int.from_bytes(raw[2:4], sys.byteorder)
        elif isinstance(optval, _Scalar):
            optval.value = int.from_bytes(raw[:max(written, 1)], sys.byteorder, signed=optval._signed)
        else:
            memoryview(optval).cast("B")[:written] = raw[:written]
        optlen.value = plen[0]
    return _trace.record("getsockopt", ret)


def ioctlsocket(s: int, cmd: int, argp: Union[int, _Scalar, None]) -> int:
    """Mirrors ioctlsocket (winsock2.h): 0 or SOCKET_ERROR (WSAEOPNOTSUPP for a command
    Winsock does not know). argp is an int (FIONBIO: nonzero for non-blocking) or a
    u_long holder, filled in place (FIONREAD, SIOCATMARK); None is C's NULL
    (WSAEFAULT).

    Differences from C: cmd wraps as C's long would (Windows' FIONBIO is
    0x8004667E); a cmd no long holds is WSAEOPNOTSUPP."""
    h = _handle(s)
    c = _c_long(cmd, "cmd")
    if argp is None:
        value: Optional[int] = None
    elif isinstance(argp, _Scalar):
        value = argp.value
    else:
        value = _check_int(argp, "argp")
    if value is None:
        # C's NULL: the core checks it before the command.
        if c is None:
            return _trace.refused("ioctlsocket", _fail(h, WSAEFAULT))
        return _trace.record("ioctlsocket", int(lib.ps_ioctlsocket(h, c, ffi.NULL)))
    if c is None:
        # No long holds it, so it is no command Winsock knows.
        return _trace.refused("ioctlsocket", _fail(h, WSAEOPNOTSUPP))
    arg = ffi.new("unsigned long *", value & 0xFFFFFFFF)
    ret = int(lib.ps_ioctlsocket(h, c, arg))
    if ret == 0 and isinstance(argp, _Scalar):
        argp.value = int(arg[0]) & 0xFFFFFFFF
    return _trace.record("ioctlsocket", ret)


# The old resolver and address calls (gethostbyname, getservbyname,
# getnameinfo, ...), with Winsock's HOSTENT, SERVENT and NI_* flags.
from portsock._resolver import *  # noqa: E402, F401, F403

# select and WSAPoll, with Winsock's fd_set, TIMEVAL and WSAPOLLFD.
from portsock._select import *  # noqa: E402, F401, F403

# The <windows.h> calls Winsock programs make: GetLastError, FormatMessageA, LocalFree, MAKELANGID, NO_ERROR.
from portsock._winapi import *  # noqa: E402, F401, F403

# The Winsock 2 calls (WSASocket, WSASend, WSARecv, WSAIoctl, ...), without overlapped I/O.
from portsock._wsa import *  # noqa: E402, F401, F403

__all__ = [name for name in dir() if not name.startswith("_") and name not in (
    "annotations", "Any", "List", "Optional", "Type", "TypeVar", "Union", "ffi", "lib", "sys")]
