"""The Winsock 2 calls of portsock.winsock (which re-exports every name here).

WSASocketA / WSASocketW, WSASend, WSARecv, WSASendTo, WSARecvFrom,
WSASendDisconnect, WSARecvDisconnect and WSAIoctl, with WSABUF, tcp_keepalive
and the DWORD holders for counts and flags, without overlapped I/O: a
non-None lpOverlapped or lpCompletionRoutine returns SOCKET_ERROR with
WSAEOPNOTSUPP, before anything else, as the core does on every platform. The
calls follow the mirror's rules (portsock.winsock's docstring): C's return
values and last error, out-parameters updated in place, TypeError for a wrong
type, C's conversions for values; a blocking one is interrupted by a signal
handler's exception (Ctrl-C) as recv is; portsock.winsock.trace() records
them.
"""

from __future__ import annotations

import sys
from typing import Any, List, Optional, Sequence, Tuple, Union

from portsock import _trace
from portsock._core import ffi, lib
from portsock.winsock import (
    _DWORD_MAX,
    _MAX_OPTLEN,
    WSAEAFNOSUPPORT,
    WSAEFAULT,
    WSAEOPNOTSUPP,
    _blocking,
    _c_dword,
    _c_int,
    _check_int,
    _encode_sockaddr,
    _error,
    _fail,
    _handle,
    _input_buffer,
    _name_in,
    _name_out,
    _output_buffer,
    _Scalar,
)

__all__ = [
    "WSABUF", "tcp_keepalive", "WSASocketA", "WSASocketW", "WSASend", "WSARecv", "WSASendTo", "WSARecvFrom",
    "WSASendDisconnect", "WSARecvDisconnect", "WSAIoctl",
    "SIO_KEEPALIVE_VALS", "MSG_PARTIAL", "WSA_FLAG_OVERLAPPED", "WSA_FLAG_MULTIPOINT_C_ROOT",
    "WSA_FLAG_MULTIPOINT_C_LEAF", "WSA_FLAG_MULTIPOINT_D_ROOT", "WSA_FLAG_MULTIPOINT_D_LEAF",
    "WSA_FLAG_ACCESS_SYSTEM_SECURITY", "WSA_FLAG_NO_HANDLE_INHERIT", "WSA_FLAG_REGISTERED_IO",
    "WSA_INVALID_HANDLE", "WSA_OPERATION_ABORTED", "WSA_IO_INCOMPLETE", "WSA_IO_PENDING",
    "FROM_PROTOCOL_INFO", "SG_UNCONSTRAINED_GROUP", "SG_CONSTRAINED_GROUP",
]

SIO_KEEPALIVE_VALS: int = lib.PS_SIO_KEEPALIVE_VALS
MSG_PARTIAL: int = lib.PS_MSG_PARTIAL
WSA_FLAG_OVERLAPPED: int = lib.PS_WSA_FLAG_OVERLAPPED
WSA_FLAG_MULTIPOINT_C_ROOT: int = lib.PS_WSA_FLAG_MULTIPOINT_C_ROOT
WSA_FLAG_MULTIPOINT_C_LEAF: int = lib.PS_WSA_FLAG_MULTIPOINT_C_LEAF
WSA_FLAG_MULTIPOINT_D_ROOT: int = lib.PS_WSA_FLAG_MULTIPOINT_D_ROOT
WSA_FLAG_MULTIPOINT_D_LEAF: int = lib.PS_WSA_FLAG_MULTIPOINT_D_LEAF
WSA_FLAG_ACCESS_SYSTEM_SECURITY: int = lib.PS_WSA_FLAG_ACCESS_SYSTEM_SECURITY
WSA_FLAG_NO_HANDLE_INHERIT: int = lib.PS_WSA_FLAG_NO_HANDLE_INHERIT
WSA_FLAG_REGISTERED_IO: int = lib.PS_WSA_FLAG_REGISTERED_IO
WSA_INVALID_HANDLE: int = lib.PS_WSA_INVALID_HANDLE
WSA_OPERATION_ABORTED: int = lib.PS_WSA_OPERATION_ABORTED
WSA_IO_INCOMPLETE: int = lib.PS_WSA_IO_INCOMPLETE
WSA_IO_PENDING: int = lib.PS_WSA_IO_PENDING
FROM_PROTOCOL_INFO = -1
SG_UNCONSTRAINED_GROUP = 0x01
SG_CONSTRAINED_GROUP = 0x02


class WSABUF:
    """WSABUF: len, the number of bytes, and buf, the buffer (a writable one
    for WSARecv, filled in place as recv's buf is; any bytes-like object for
    WSASend), or None (C's NULL: a fault unless len is 0)."""

    __slots__ = ("len", "buf")
    _c_size = ffi.sizeof("ps_wsabuf")   # sizeof() of the mirror

    def __init__(self, len: int = 0, buf: Any = None) -> None:
        self.len = _check_int(len, "len")
        self.buf = buf

    def __repr__(self) -> str:
        return "WSABUF(len=%d, buf=%s)" % (self.len, "None" if self.buf is None else type(self.buf).__name__)


class tcp_keepalive:
    """struct tcp_keepalive (mstcpip.h), SIO_KEEPALIVE_VALS's input: onoff,
    and the idle time and the interval between probes in milliseconds."""

    __slots__ = ("onoff", "keepalivetime", "keepaliveinterval")
    _c_size = ffi.sizeof("ps_tcp_keepalive")

    def __init__(self, onoff: int = 0, keepalivetime: int = 0, keepaliveinterval: int = 0) -> None:
        self.onoff = _check_int(onoff, "onoff")
        self.keepalivetime = _check_int(keepalivetime, "keepalivetime")
        self.keepaliveinterval = _check_int(keepaliveinterval, "keepaliveinterval")

    def _bytes(self) -> bytes:
        return b"".join((_check_int(v, n) & _DWORD_MAX).to_bytes(4, sys.byteorder) for n, v in (
            ("onoff", self.onoff), ("keepalivetime", self.keepalivetime),
            ("keepaliveinterval", self.keepaliveinterval)))

    def __repr__(self) -> str:
        return ("tcp_keepalive(onoff=%d, keepalivetime=%d, keepaliveinterval=%d)"
                % (self.onoff, self.keepalivetime, self.keepaliveinterval))


def _holder(value: object, name: str) -> Optional[_Scalar]:
    if value is not None and not isinstance(value, _Scalar):
        raise TypeError("%s must be a DWORD holder or None, not %s" % (name, type(value).__name__))
    return value


def _dword_cell(holder: Optional[_Scalar]) -> Any:
    """A DWORD in C memory holding holder's value, or NULL for None."""
    if holder is None:
        return ffi.NULL
    return ffi.new("uint32_t *", holder.value & _DWORD_MAX)


def _load(holder: Optional[_Scalar], cell: Any) -> None:
    """Copies back what C left in the cell (what it wrote, or the value as passed)."""
    if holder is not None:
        holder.value = int(cell[0])


def _overlapped(lpOverlapped: object, lpCompletionRoutine: object) -> bool:
    """Whether the call asks for overlapped I/O, which portsock does not have."""
    return lpOverlapped is not None or lpCompletionRoutine is not None


def _wsabufs(lpBuffers: Optional[Sequence[WSABUF]], dwBufferCount: object,
             writable: bool) -> Union[Tuple[Any, int, List[Any]], int]:
    """(the C array, its count, the buffers kept alive), or the Winsock code
    where C would fault: a count beyond the list, a len beyond its buf."""
    count = _c_dword(dwBufferCount, "dwBufferCount")
    if lpBuffers is None:
        if count is None:
            return WSAEFAULT
        # C's NULL: the core judges it (a fault unless the count is 0).
        return ffi.NULL, count, []
    if not isinstance(lpBuffers, (list, tuple)):
        raise TypeError("lpBuffers must be a list of WSABUF or None, not %s" % type(lpBuffers).__name__)
    for b in lpBuffers:
        if not isinstance(b, WSABUF):
            raise TypeError("lpBuffers must hold WSABUF, not %s" % type(b).__name__)
    if count is None or count > len(lpBuffers):
        return WSAEFAULT
    array = ffi.new("ps_wsabuf[]", max(count, 1))
    keep: List[Any] = []
    for i in range(count):
        b = lpBuffers[i]
        n = _c_dword(b.len, "len")
        if b.buf is None:
            cbuf, size = ffi.NULL, 0
        else:
            cbuf = _output_buffer(b.buf, "buf") if writable else _input_buffer(b.buf, "buf")
            size = len(cbuf)
            keep.append(cbuf)
        if n is None or (b.buf is not None and n > size):
            return WSAEFAULT
        array[i].len = n
        array[i].buf = ffi.cast("char *", cbuf)
    return array, count, keep


def WSASocketA(af: int, type: int, protocol: int, lpProtocolInfo: object = None, g: int = 0,
               dwFlags: int = 0) -> int:
    """Mirrors WSASocketA (winsock2.h): socket(af, type, protocol), a SOCKET or
    INVALID_SOCKET. lpProtocolInfo must be None: any other value is a
    WSAPROTOCOL_INFO C would pass, which portsock cannot take (no provider
    catalog, no WSADuplicateSocket): INVALID_SOCKET with WSAEINVAL. g is
    reserved and ignored, as by Windows; every dwFlags bit is accepted
    (WSA_FLAG_OVERLAPPED only permits overlapped I/O, which the calls refuse;
    no socket is ever inherited by a child process)."""
    return _wsasocket("WSASocketA", af, type, protocol, lpProtocolInfo, g, dwFlags)


def WSASocketW(af: int, type: int, protocol: int, lpProtocolInfo: object = None, g: int = 0,
               dwFlags: int = 0) -> int:
    """Mirrors WSASocketW (winsock2.h): the same as WSASocketA (the two differ
    only in the WSAPROTOCOL_INFO they take, which must be None here)."""
    return _wsasocket("WSASocketW", af, type, protocol, lpProtocolInfo, g, dwFlags)


def _wsasocket(call: str, af: int, type: int, protocol: int, info: object, g: int, flags: int) -> int:
    a, t, p = (-1 if v is None else v for v in (_c_int(af, "af"), _c_int(type, "type"),
                                                 _c_int(protocol, "protocol")))
    group, f = _c_dword(g, "g"), _c_dword(flags, "dwFlags")
    pinfo = ffi.NULL if info is None else ffi.new("char[1]")
    open_socket = lib.ps_wsasocketw if call == "WSASocketW" else lib.ps_wsasocket
    ret = int(open_socket(a, t, p, pinfo, group or 0, f or 0))
    return _trace.record(call, ret)


def WSASend(s: int, lpBuffers: Optional[Sequence[WSABUF]], dwBufferCount: int,
            lpNumberOfBytesSent: Optional[_Scalar], dwFlags: int, lpOverlapped: object = None,
            lpCompletionRoutine: object = None) -> int:
    """Mirrors WSASend (winsock2.h): 0, with the bytes sent in
    lpNumberOfBytesSent (a DWORD holder), or SOCKET_ERROR. The buffers go out
    in order, as one send of their bytes would (a blocking stream send
    returns when all are sent). lpNumberOfBytesSent None is WSAEFAULT, as is a
    dwBufferCount beyond the list or a len beyond its buf (C would read past);
    a non-None lpOverlapped or lpCompletionRoutine is WSAEOPNOTSUPP."""
    return _send("WSASend", s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, None, None,
                 lpOverlapped, lpCompletionRoutine)


def WSASendTo(s: int, lpBuffers: Optional[Sequence[WSABUF]], dwBufferCount: int,
              lpNumberOfBytesSent: Optional[_Scalar], dwFlags: int, lpTo: Any, iTolen: int,
              lpOverlapped: object = None, lpCompletionRoutine: object = None) -> int:
    """Mirrors WSASendTo (winsock2.h): WSASend with sendto's address (a
    sockaddr_in / sockaddr_in6 or None, and its size); one datagram of every
    buffer's bytes."""
    return _send("WSASendTo", s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen,
                 lpOverlapped, lpCompletionRoutine)


def _send(call: str, s: int, lpBuffers: Any, dwBufferCount: Any, sent: Any, dwFlags: Any, to: Any,
          tolen: Any, lpOverlapped: object, lpCompletionRoutine: object) -> int:
    h = _handle(s)
    holder = _holder(sent, "lpNumberOfBytesSent")
    bufs = _wsabufs(lpBuffers, dwBufferCount, writable=False)
    f = _c_dword(dwFlags, "dwFlags")
    tobuf: Any = None
    tl: Optional[int] = 0
    if call == "WSASendTo":
        tl = _c_int(tolen, "iTolen")
        tobuf = _encode_sockaddr(to, max(tl or 0, 0))
    if _overlapped(lpOverlapped, lpCompletionRoutine):
        return _trace.refused(call, _error(WSAEOPNOTSUPP))
    if isinstance(bufs, int) or tl is None or tl > _MAX_OPTLEN:
        return _trace.refused(call, _fail(h, WSAEFAULT))
    if f is None:
        return _trace.refused(call, _fail(h, WSAEOPNOTSUPP))
    if tobuf is False:
        return _trace.refused(call, _fail(h, WSAEAFNOSUPPORT))
    array, count, _keep = bufs
    cell = _dword_cell(holder)
    if call == "WSASendTo":
        to_c = tobuf if tobuf is not None else ffi.NULL
        ret = lib.ps_wsasendto(h, array, count, cell, f, to_c, tl, ffi.NULL, ffi.NULL)
    else:
        ret = lib.ps_wsasend(h, array, count, cell, f, ffi.NULL, ffi.NULL)
    ret = _blocking(ret)
    _load(holder, cell)
    return _trace.record(call, ret)


def WSARecv(s: int, lpBuffers: Optional[Sequence[WSABUF]], dwBufferCount: int,
            lpNumberOfBytesRecvd: Optional[_Scalar], lpFlags: Optional[_Scalar], lpOverlapped: object = None,
            lpCompletionRoutine: object = None) -> int:
    """Mirrors WSARecv (winsock2.h): 0, with the bytes received in
    lpNumberOfBytesRecvd (a DWORD holder, or None: not kept), 0 of them at the
    peer's FIN; or SOCKET_ERROR. The buffers (each WSABUF's buf writable) are
    filled in order, in place. lpFlags, a DWORD holder (MSG_PEEK, MSG_OOB,
    MSG_WAITALL), is left as passed; None is WSAEFAULT. A datagram larger than
    the buffers fills them with its start and fails with WSAEMSGSIZE, the
    holders left as they were. A non-None lpOverlapped or lpCompletionRoutine
    is WSAEOPNOTSUPP."""
    return _recv("WSARecv", s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, None, None,
                 lpOverlapped, lpCompletionRoutine)


def WSARecvFrom(s: int, lpBuffers: Optional[Sequence[WSABUF]], dwBufferCount: int,
                lpNumberOfBytesRecvd: Optional[_Scalar], lpFlags: Optional[_Scalar], lpFrom: Any = None,
                lpFromlen: Optional[_Scalar] = None, lpOverlapped: object = None,
                lpCompletionRoutine: object = None) -> int:
    """Mirrors WSARecvFrom (winsock2.h): WSARecv with recvfrom's address
    out-parameters (a sockaddr_in / sockaddr_in6 and a c_int holding its size,
    both optional, filled in place)."""
    return _recv("WSARecvFrom", s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen,
                 lpOverlapped, lpCompletionRoutine)


def _recv(call: str, s: int, lpBuffers: Any, dwBufferCount: Any, received: Any, flags: Any, from_: Any,
          fromlen: Any, lpOverlapped: object, lpCompletionRoutine: object) -> int:
    h = _handle(s)
    count_holder = _holder(received, "lpNumberOfBytesRecvd")
    flags_holder = _holder(flags, "lpFlags")
    bufs = _wsabufs(lpBuffers, dwBufferCount, writable=True)
    fbuf = plen = ffi.NULL
    if call == "WSARecvFrom":
        fbuf, plen, _ = _name_out(from_, fromlen)
    if _overlapped(lpOverlapped, lpCompletionRoutine):
        return _trace.refused(call, _error(WSAEOPNOTSUPP))
    if isinstance(bufs, int):
        return _trace.refused(call, _fail(h, bufs))
    array, count, _keep = bufs
    cell, fcell = _dword_cell(count_holder), _dword_cell(flags_holder)
    if call == "WSARecvFrom":
        ret = lib.ps_wsarecvfrom(h, array, count, cell, fcell, fbuf, plen, ffi.NULL, ffi.NULL)
    else:
        ret = lib.ps_wsarecv(h, array, count, cell, fcell, ffi.NULL, ffi.NULL)
    ret = _blocking(ret)
    _load(count_holder, cell)
    _load(flags_holder, fcell)
    if ret == 0 and call == "WSARecvFrom":
        _name_in(from_, fromlen, fbuf, plen)
    return _trace.record(call, ret)


def _disconnect_data(data: object, writable: bool) -> Any:
    if data is None:
        return ffi.NULL, None
    if not isinstance(data, WSABUF):
        raise TypeError("the disconnect data must be a WSABUF or None, not %s" % type(data).__name__)
    bufs = _wsabufs([data], 1, writable)
    if isinstance(bufs, int):
        return None, None
    return bufs[0], bufs[2]


def WSASendDisconnect(s: int, lpOutboundDisconnectData: Optional[WSABUF] = None) -> int:
    """Mirrors WSASendDisconnect (winsock2.h): shutdown(s, SD_SEND), 0 or
    SOCKET_ERROR. Disconnect data (a WSABUF) is WSAENOPROTOOPT: TCP/IP has
    none (MS docs), and nothing is shut down."""
    h = _handle(s)
    cdata, _keep = _disconnect_data(lpOutboundDisconnectData, writable=False)
    if cdata is None:
        return _trace.refused("WSASendDisconnect", _fail(h, WSAEFAULT))
    return _trace.record("WSASendDisconnect", lib.ps_wsasenddisconnect(h, cdata))


def WSARecvDisconnect(s: int, lpInboundDisconnectData: Optional[WSABUF] = None) -> int:
    """Mirrors WSARecvDisconnect (winsock2.h): shutdown(s, SD_RECEIVE), 0 or
    SOCKET_ERROR; later receives fail with WSAESHUTDOWN. A WSABUF for the
    disconnect data is left as it is: none ever arrives on TCP/IP."""
    h = _handle(s)
    cdata, _keep = _disconnect_data(lpInboundDisconnectData, writable=True)
    if cdata is None:
        return _trace.refused("WSARecvDisconnect", _fail(h, WSAEFAULT))
    return _trace.record("WSARecvDisconnect", lib.ps_wsarecvdisconnect(h, cdata))


def _ioctl_in(value: object) -> Tuple[Any, int]:
    """(C memory, its size) for lpvInBuffer; (NULL, 0) for None."""
    if value is None:
        return ffi.NULL, 0
    if isinstance(value, tcp_keepalive):
        raw = value._bytes()
    elif isinstance(value, _Scalar):
        raw = (value.value & _DWORD_MAX).to_bytes(4, sys.byteorder)
    elif isinstance(value, int) and not isinstance(value, bool):
        v = _c_dword(value, "lpvInBuffer")
        raw = (v if v is not None else 0).to_bytes(4, sys.byteorder)
    elif isinstance(value, str):
        raise TypeError("lpvInBuffer must be a tcp_keepalive, a holder, an int or a bytes-like object, not str")
    else:
        _input_buffer(value, "lpvInBuffer")   # a TypeError unless bytes-like
        raw = bytes(memoryview(value))  # type: ignore[arg-type]
    return ffi.new("char[]", raw), len(raw)


def WSAIoctl(s: int, dwIoControlCode: int, lpvInBuffer: Any, cbInBuffer: int, lpvOutBuffer: Any,
             cbOutBuffer: int, lpcbBytesReturned: Optional[_Scalar], lpOverlapped: object = None,
             lpCompletionRoutine: object = None) -> int:
    """Mirrors WSAIoctl (winsock2.h): 0 or SOCKET_ERROR. FIONBIO takes a u_long
    in lpvInBuffer (an int or a holder), FIONREAD and SIOCATMARK fill a u_long
    holder (or a writable buffer) in lpvOutBuffer, as ioctlsocket does;
    SIO_KEEPALIVE_VALS takes a tcp_keepalive (TCP only: WSAEINVAL otherwise).
    lpcbBytesReturned, a DWORD holder, gets the bytes written to the output
    (None is WSAEFAULT); a buffer that is None or shorter than the code needs,
    or a cbInBuffer / cbOutBuffer beyond it, is WSAEFAULT; any other code is
    WSAEOPNOTSUPP, as is a non-None lpOverlapped or lpCompletionRoutine."""
    h = _handle(s)
    code = _c_dword(dwIoControlCode, "dwIoControlCode")
    holder = _holder(lpcbBytesReturned, "lpcbBytesReturned")
    cin, in_capacity = _ioctl_in(lpvInBuffer)
    cb_in, cb_out = _c_dword(cbInBuffer, "cbInBuffer"), _c_dword(cbOutBuffer, "cbOutBuffer")
    if lpvOutBuffer is None:
        cout, out_capacity = ffi.NULL, 0
    elif isinstance(lpvOutBuffer, _Scalar):
        cout, out_capacity = ffi.new("char[4]", lpvOutBuffer.value.to_bytes(4, sys.byteorder, signed=False)
                                     if 0 <= lpvOutBuffer.value <= _DWORD_MAX else bytes(4)), 4
    else:
        cout = _output_buffer(lpvOutBuffer, "lpvOutBuffer")
        out_capacity = len(cout)
    if _overlapped(lpOverlapped, lpCompletionRoutine):
        return _trace.refused("WSAIoctl", _error(WSAEOPNOTSUPP))
    if code is None:
        return _trace.refused("WSAIoctl", _fail(h, WSAEOPNOTSUPP))
    if cb_in is None or cb_out is None or (cin != ffi.NULL and cb_in > in_capacity) or \
            (cout != ffi.NULL and cb_out > out_capacity):
        return _trace.refused("WSAIoctl", _fail(h, WSAEFAULT))
    cell = _dword_cell(holder)
    ret = int(lib.ps_wsaioctl(h, code, cin, cb_in, cout, cb_out, cell, ffi.NULL, ffi.NULL))
    _load(holder, cell)
    if ret == 0 and isinstance(lpvOutBuffer, _Scalar):
        lpvOutBuffer.value = int.from_bytes(ffi.buffer(cout, 4)[:], sys.byteorder, signed=lpvOutBuffer._signed)
    return _trace.record("WSAIoctl", ret)

