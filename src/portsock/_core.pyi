"""Type stub for portsock._core, the extension module cffi compiles from build.py.

``lib`` holds the C core's functions (csrc/portsock.h, between the cffi markers,
plus ps_build_version from build.py) and integer constants: the PS_* defines of
portsock.h and the platform constants build.py lists in SYSTEM_CONSTANTS, whose
values come from this platform's headers. ``ffi`` is the module's cffi FFI
object, declared with the methods portsock uses.

Conventions: C integer types are ``int``; a ``const char *`` or ``const void *``
parameter takes ``bytes`` (cffi passes a pointer to its contents) or a cdata
pointer; every other pointer parameter takes a cdata pointer (``ffi.new(...)``,
``ffi.from_buffer(...)`` or ``ffi.NULL``); a returned pointer is a cdata. cffi's
functions take positional arguments only. tests/test_packaging.py checks that
every function of the cdef is declared here with the C parameter names.
"""

from typing import Any, Callable, TypeVar, Union

_F = TypeVar("_F", bound=Callable[..., Any])

class CData:
    """A cffi cdata object (stub-only name; at run time ``ffi.CData``)."""

    def __getitem__(self, index: Union[int, slice]) -> Any: ...
    def __setitem__(self, index: Union[int, slice], value: Any) -> None: ...
    def __getattr__(self, name: str) -> Any: ...
    def __setattr__(self, name: str, value: Any) -> None: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...

class _Buffer:
    """What ffi.buffer() returns: the raw bytes of a cdata."""

    def __getitem__(self, index: slice) -> bytes: ...
    def __setitem__(self, index: slice, value: bytes) -> None: ...
    def __len__(self) -> int: ...
    # A bytes-like object (io.BytesIO.write, memoryview, ... take it).
    def __buffer__(self, flags: int, /) -> memoryview: ...

class _FFI:
    NULL: CData
    def new(self, cdecl: str, init: Any = ..., /) -> CData: ...
    # Every char array portsock reads is char, never wchar_t: always bytes.
    def string(self, cdata: CData, maxlen: int = ..., /) -> bytes: ...
    def buffer(self, cdata: CData, size: int = ..., /) -> _Buffer: ...
    def from_buffer(self, python_buffer: Any, /, require_writable: bool = ...) -> CData: ...
    # ffi.new without zeroing when should_clear_after_alloc is False.
    def new_allocator(
        self, alloc: Any = ..., free: Any = ..., should_clear_after_alloc: bool = ...
    ) -> Callable[[str, Any], CData]: ...
    # Of a char array: its first `length` bytes.
    def unpack(self, cdata: CData, length: int, /) -> bytes: ...
    def memmove(self, dest: Any, src: Any, n: int, /) -> None: ...
    def cast(self, cdecl: str, value: Any, /) -> CData: ...
    def offsetof(self, cdecl: str, *fields: str) -> int: ...
    def sizeof(self, cdecl_or_cdata: Union[str, CData], /) -> int: ...
    # Attaches a Python function to an extern "Python" declaration of build.py.
    def def_extern(
        self, name: str = ..., error: Any = ..., onerror: Callable[..., Any] = ...
    ) -> Callable[[_F], _F]: ...

class _Lib:
    # portsock.h: the PS_* constants
    PS_INVALID_SOCKET: int
    PS_SOCKET_ERROR: int
    PS_SD_RECEIVE: int
    PS_SD_SEND: int
    PS_SD_BOTH: int
    PS_WSADESCRIPTION_LEN: int
    PS_WSASYS_STATUS_LEN: int
    PS_WSA_NOT_ENOUGH_MEMORY: int
    PS_WSA_INVALID_PARAMETER: int
    PS_WSAEINTR: int
    PS_WSAEBADF: int
    PS_WSAEACCES: int
    PS_WSAEFAULT: int
    PS_WSAEINVAL: int
    PS_WSAEMFILE: int
    PS_WSAEWOULDBLOCK: int
    PS_WSAEINPROGRESS: int
    PS_WSAEALREADY: int
    PS_WSAENOTSOCK: int
    PS_WSAEDESTADDRREQ: int
    PS_WSAEMSGSIZE: int
    PS_WSAEPROTOTYPE: int
    PS_WSAENOPROTOOPT: int
    PS_WSAEPROTONOSUPPORT: int
    PS_WSAESOCKTNOSUPPORT: int
    PS_WSAEOPNOTSUPP: int
    PS_WSAEPFNOSUPPORT: int
    PS_WSAEAFNOSUPPORT: int
    PS_WSAEADDRINUSE: int
    PS_WSAEADDRNOTAVAIL: int
    PS_WSAENETDOWN: int
    PS_WSAENETUNREACH: int
    PS_WSAENETRESET: int
    PS_WSAECONNABORTED: int
    PS_WSAECONNRESET: int
    PS_WSAENOBUFS: int
    PS_WSAEISCONN: int
    PS_WSAENOTCONN: int
    PS_WSAESHUTDOWN: int
    PS_WSAETOOMANYREFS: int
    PS_WSAETIMEDOUT: int
    PS_WSAECONNREFUSED: int
    PS_WSAELOOP: int
    PS_WSAENAMETOOLONG: int
    PS_WSAEHOSTDOWN: int
    PS_WSAEHOSTUNREACH: int
    PS_WSAENOTEMPTY: int
    PS_WSAEPROCLIM: int
    PS_WSAEUSERS: int
    PS_WSAEDQUOT: int
    PS_WSAESTALE: int
    PS_WSAEREMOTE: int
    PS_WSASYSNOTREADY: int
    PS_WSAVERNOTSUPPORTED: int
    PS_WSANOTINITIALISED: int
    PS_WSAEDISCON: int
    PS_WSATYPE_NOT_FOUND: int
    PS_WSAHOST_NOT_FOUND: int
    PS_WSATRY_AGAIN: int
    PS_WSANO_RECOVERY: int
    PS_WSANO_DATA: int
    PS_FD_SETSIZE: int
    PS_POLLRDNORM: int
    PS_POLLRDBAND: int
    PS_POLLIN: int
    PS_POLLPRI: int
    PS_POLLWRNORM: int
    PS_POLLOUT: int
    PS_POLLWRBAND: int
    PS_POLLERR: int
    PS_POLLHUP: int
    PS_POLLNVAL: int
    PS_NI_NOFQDN: int
    PS_NI_NUMERICHOST: int
    PS_NI_NAMEREQD: int
    PS_NI_NUMERICSERV: int
    PS_NI_DGRAM: int
    PS_NI_MAXHOST: int
    PS_NI_MAXSERV: int

    # the Winsock 2 calls (portsock.h)
    PS_WSA_FLAG_OVERLAPPED: int
    PS_WSA_FLAG_MULTIPOINT_C_ROOT: int
    PS_WSA_FLAG_MULTIPOINT_C_LEAF: int
    PS_WSA_FLAG_MULTIPOINT_D_ROOT: int
    PS_WSA_FLAG_MULTIPOINT_D_LEAF: int
    PS_WSA_FLAG_ACCESS_SYSTEM_SECURITY: int
    PS_WSA_FLAG_NO_HANDLE_INHERIT: int
    PS_WSA_FLAG_REGISTERED_IO: int
    PS_MSG_PARTIAL: int
    PS_SIO_KEEPALIVE_VALS: int
    PS_WSA_INVALID_HANDLE: int
    PS_WSA_OPERATION_ABORTED: int
    PS_WSA_IO_INCOMPLETE: int
    PS_WSA_IO_PENDING: int

    # build.py SYSTEM_CONSTANTS: this platform's values
    AF_UNSPEC: int
    AF_INET: int
    AF_INET6: int
    SOCK_STREAM: int
    SOCK_DGRAM: int
    SOCK_RAW: int
    IPPROTO_IP: int
    IPPROTO_IPV6: int
    IPPROTO_TCP: int
    IPPROTO_UDP: int
    SOL_SOCKET: int
    SO_ACCEPTCONN: int
    SO_BROADCAST: int
    SO_DONTROUTE: int
    SO_ERROR: int
    SO_KEEPALIVE: int
    SO_LINGER: int
    SO_OOBINLINE: int
    SO_RCVBUF: int
    SO_RCVTIMEO: int
    SO_REUSEADDR: int
    SO_SNDBUF: int
    SO_SNDTIMEO: int
    SO_TYPE: int
    TCP_NODELAY: int
    IPV6_V6ONLY: int
    FIONBIO: int
    FIONREAD: int
    SIOCATMARK: int
    MSG_OOB: int
    MSG_PEEK: int
    MSG_DONTROUTE: int
    MSG_WAITALL: int
    AI_PASSIVE: int
    AI_CANONNAME: int
    AI_NUMERICHOST: int
    AI_NUMERICSERV: int
    AI_ADDRCONFIG: int
    AI_V4MAPPED: int
    AI_ALL: int
    INADDR_ANY: int
    INADDR_LOOPBACK: int
    INADDR_NONE: int
    SOMAXCONN: int
    INET_ADDRSTRLEN: int
    INET6_ADDRSTRLEN: int

    # portsock.h: the functions
    def ps_startup(self, version: int, data: CData, /) -> int: ...
    def ps_cleanup(self) -> int: ...
    def ps_last_error(self) -> int: ...
    def ps_set_last_error(self, code: int, /) -> None: ...
    def ps_socket_open(self, af: int, type: int, protocol: int, /) -> int: ...
    def ps_closesocket(self, s: int, /) -> int: ...
    def ps_bind(self, s: int, name: bytes | CData, namelen: int, /) -> int: ...
    def ps_listen(self, s: int, backlog: int, /) -> int: ...
    def ps_accept(self, s: int, addr: CData, addrlen: CData, /) -> int: ...
    def ps_connect(self, s: int, name: bytes | CData, namelen: int, /) -> int: ...
    def ps_send(self, s: int, buf: bytes | CData, len: int, flags: int, /) -> int: ...
    def ps_recv(self, s: int, buf: CData, len: int, flags: int, /) -> int: ...
    def ps_sendto(self, s: int, buf: bytes | CData, len: int, flags: int, to: bytes | CData, tolen: int, /) -> int: ...
    def ps_recvfrom(self, s: int, buf: CData, len: int, flags: int, from_: CData, fromlen: CData, /) -> int: ...
    def ps_shutdown(self, s: int, how: int, /) -> int: ...
    def ps_setsockopt(self, s: int, level: int, optname: int, optval: bytes | CData, optlen: int, /) -> int: ...
    def ps_getsockopt(self, s: int, level: int, optname: int, optval: CData, optlen: CData, /) -> int: ...
    def ps_ioctlsocket(self, s: int, cmd: int, argp: CData, /) -> int: ...
    def ps_getsockname(self, s: int, name: CData, namelen: CData, /) -> int: ...
    def ps_getpeername(self, s: int, name: CData, namelen: CData, /) -> int: ...
    def ps_select(
        self, nfds: int, readfds: CData, writefds: CData, exceptfds: CData, timeout: CData, /
    ) -> int: ...
    def ps_fd_isset(self, s: int, set: CData, /) -> int: ...
    def ps_wsapoll(self, fds: CData, nfds: int, timeout_ms: int, /) -> int: ...
    def ps_wsasocket(
        self, af: int, type: int, protocol: int, protocol_info: bytes | CData, g: int, flags: int, /
    ) -> int: ...
    def ps_wsasocketw(
        self, af: int, type: int, protocol: int, protocol_info: bytes | CData, g: int, flags: int, /
    ) -> int: ...
    def ps_wsasend(
        self, s: int, buffers: CData, count: int, sent: CData, flags: int, overlapped: bytes | CData,
        completion: CData, /
    ) -> int: ...
    def ps_wsarecv(
        self, s: int, buffers: CData, count: int, received: CData, flags: CData, overlapped: bytes | CData,
        completion: CData, /
    ) -> int: ...
    def ps_wsasendto(
        self, s: int, buffers: CData, count: int, sent: CData, flags: int, to: bytes | CData, tolen: int,
        overlapped: bytes | CData, completion: CData, /
    ) -> int: ...
    def ps_wsarecvfrom(
        self, s: int, buffers: CData, count: int, received: CData, flags: CData, from_: CData, fromlen: CData,
        overlapped: bytes | CData, completion: CData, /
    ) -> int: ...
    def ps_wsasenddisconnect(self, s: int, data: CData, /) -> int: ...
    def ps_wsarecvdisconnect(self, s: int, data: CData, /) -> int: ...
    def ps_wsaioctl(
        self, s: int, code: int, in_: bytes | CData, in_size: int, out: CData, out_size: int, returned: CData,
        overlapped: bytes | CData, completion: CData, /
    ) -> int: ...
    def ps_getaddrinfo(self, node: bytes | CData, service: bytes | CData, hints: CData, res: CData, /) -> int: ...
    def ps_getaddrinfo_hints(
        self, node: bytes | CData, service: bytes | CData, has_hints: int, flags: int, family: int, socktype: int,
        protocol: int, res: CData, /
    ) -> int: ...
    def ps_freeaddrinfo(self, res: CData, /) -> None: ...
    def ps_addrinfo_read(self, ai: CData, out: CData, /) -> None: ...
    def ps_sockaddr_encode(self, view: CData, buf: CData, buflen: int, /) -> int: ...
    def ps_sockaddr_decode(self, buf: bytes | CData, len: int, view: CData, /) -> int: ...
    def ps_sockaddr_size(self, family: int, /) -> int: ...
    def ps_inet_pton(self, af: int, src: bytes | CData, dst: CData, /) -> int: ...
    def ps_inet_ntop(self, af: int, src: bytes | CData, dst: CData, size: int, /) -> CData: ...
    def ps_inet_addr(self, cp: bytes | CData, /) -> int: ...
    def ps_gethostbyname(self, name: bytes | CData, /) -> CData: ...
    def ps_gethostbyaddr(self, addr: bytes | CData, len: int, type: int, /) -> CData: ...
    def ps_gethostname(self, name: CData, namelen: int, /) -> int: ...
    def ps_inet_ntoa(self, in_: int, /) -> CData: ...
    def ps_getservbyname(self, name: bytes | CData, proto: bytes | CData, /) -> CData: ...
    def ps_getservbyport(self, port: int, proto: bytes | CData, /) -> CData: ...
    def ps_servent_read(self, se: CData, out: CData, /) -> None: ...
    def ps_getnameinfo(
        self, sa: bytes | CData, salen: int, host: CData, hostlen: int, serv: CData, servlen: int, flags: int, /
    ) -> int: ...
    def ps_sendall(self, s: int, buf: bytes | CData, len: int, flags: int, timeout_ms: int, sent: CData, /) -> int: ...
    def ps_drain(self, s: int, buf: CData, cap: int, received: CData, timeout_ms: int, /) -> int: ...
    def ps_disconnect(self, s: int, buf: CData, cap: int, received: CData, timeout_ms: int, /) -> int: ...
    def ps_connect_timeout(self, s: int, name: bytes | CData, namelen: int, timeout_ms: int, /) -> int: ...
    def ps_set_signal_hook(self, hook: CData, /) -> CData: ...
    ps_py_signal_hook: CData
    def ps_native_handle(self, s: int, /) -> int: ...
    def ps_adopt(self, native: int, /) -> int: ...
    def ps_wsa_name(self, code: int, /) -> CData: ...
    def ps_wsa_message(self, code: int, /) -> CData: ...
    def ps_format_message(self, flags: int, message_id: int, language_id: int, buffer: CData, size: int, /) -> int: ...
    def ps_errno_from_wsa(self, code: int, /) -> int: ...
    def ps_errno_name_from_wsa(self, code: int, /) -> CData: ...
    # the trace (csrc/trace.c)
    def ps_trace_open(self, path: bytes | CData, /) -> int: ...
    def ps_trace_close(self) -> None: ...
    def ps_trace_active(self) -> int: ...
    def ps_trace_call(self, call: bytes | CData, ret: int, err: int, /) -> None: ...
    def ps_trace_null(self, call: bytes | CData, err: int, /) -> None: ...

    def ps_handle_status(self, s: int, /) -> int: ...

    # build.py: the version the extension was built for
    def ps_build_version(self) -> CData: ...

ffi: _FFI
lib: _Lib
