/*
 * portsock.h - the public C API of the portsock core.
 *
 * Every function mirrors one Winsock call and returns what that call returns on
 * Windows, with the Winsock error code available from ps_last_error(). On
 * Windows the core is a thin pass-through to ws2_32 (win32.c); on POSIX it
 * reproduces Winsock's behaviour (posix.c, posix_handles.c, posix_wait.c).
 *
 * Constants such as AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER or FIONBIO are
 * the platform's own values (take them from the system headers, or from
 * <portsock/winsock2.h>); only what Winsock has and POSIX lacks is defined here.
 *
 * The block between the cffi markers is read by build.py as the cffi cdef:
 * keep it to plain declarations and integer #defines.
 */
#ifndef PORTSOCK_H
#define PORTSOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo;

/* cffi:begin */

/* An opaque socket handle (Winsock's SOCKET). On POSIX it is never an fd. */
typedef uintptr_t ps_socket;

#define PS_INVALID_SOCKET (~(ps_socket)0)
#define PS_SOCKET_ERROR (-1)

#define PS_SD_RECEIVE 0
#define PS_SD_SEND 1
#define PS_SD_BOTH 2

#define PS_WSADESCRIPTION_LEN 256
#define PS_WSASYS_STATUS_LEN 128

/* Winsock error codes (winerror.h values, the same on every platform). */
#define PS_WSA_NOT_ENOUGH_MEMORY 8
#define PS_WSA_INVALID_PARAMETER 87
#define PS_WSAEINTR 10004
#define PS_WSAEBADF 10009
#define PS_WSAEACCES 10013
#define PS_WSAEFAULT 10014
#define PS_WSAEINVAL 10022
#define PS_WSAEMFILE 10024
#define PS_WSAEWOULDBLOCK 10035
#define PS_WSAEINPROGRESS 10036
#define PS_WSAEALREADY 10037
#define PS_WSAENOTSOCK 10038
#define PS_WSAEDESTADDRREQ 10039
#define PS_WSAEMSGSIZE 10040
#define PS_WSAEPROTOTYPE 10041
#define PS_WSAENOPROTOOPT 10042
#define PS_WSAEPROTONOSUPPORT 10043
#define PS_WSAESOCKTNOSUPPORT 10044
#define PS_WSAEOPNOTSUPP 10045
#define PS_WSAEPFNOSUPPORT 10046
#define PS_WSAEAFNOSUPPORT 10047
#define PS_WSAEADDRINUSE 10048
#define PS_WSAEADDRNOTAVAIL 10049
#define PS_WSAENETDOWN 10050
#define PS_WSAENETUNREACH 10051
#define PS_WSAENETRESET 10052
#define PS_WSAECONNABORTED 10053
#define PS_WSAECONNRESET 10054
#define PS_WSAENOBUFS 10055
#define PS_WSAEISCONN 10056
#define PS_WSAENOTCONN 10057
#define PS_WSAESHUTDOWN 10058
#define PS_WSAETOOMANYREFS 10059
#define PS_WSAETIMEDOUT 10060
#define PS_WSAECONNREFUSED 10061
#define PS_WSAELOOP 10062
#define PS_WSAENAMETOOLONG 10063
#define PS_WSAEHOSTDOWN 10064
#define PS_WSAEHOSTUNREACH 10065
#define PS_WSAENOTEMPTY 10066
#define PS_WSAEPROCLIM 10067
#define PS_WSAEUSERS 10068
#define PS_WSAEDQUOT 10069
#define PS_WSAESTALE 10070
#define PS_WSAEREMOTE 10071
#define PS_WSASYSNOTREADY 10091
#define PS_WSAVERNOTSUPPORTED 10092
#define PS_WSANOTINITIALISED 10093
#define PS_WSAEDISCON 10101
#define PS_WSATYPE_NOT_FOUND 10109
#define PS_WSAHOST_NOT_FOUND 11001
#define PS_WSATRY_AGAIN 11002
#define PS_WSANO_RECOVERY 11003
#define PS_WSANO_DATA 11004

/* WSADATA, with Winsock's field names (field order is portsock's own). */
typedef struct ps_wsadata {
    uint16_t wVersion;
    uint16_t wHighVersion;
    unsigned short iMaxSockets;
    unsigned short iMaxUdpDg;
    char *lpVendorInfo;
    char szDescription[257];
    char szSystemStatus[129];
} ps_wsadata;

/* A portable view of one getaddrinfo result entry. */
typedef struct ps_addrinfo_view {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    int ai_addrlen;
    const void *ai_addr;
    const char *ai_canonname;
    const struct addrinfo *ai_next;
} ps_addrinfo_view;

/* A portable view of a sockaddr_in / sockaddr_in6. port and addr are in network
   byte order, exactly as stored in sin_port / sin_addr / sin6_addr. */
typedef struct ps_sockaddr_view {
    int family;
    uint16_t port;
    uint32_t flowinfo;
    uint32_t scope_id;
    uint8_t addr[16];
} ps_sockaddr_view;

/* Winsock's fd_set, with FD_SETSIZE 64 (Windows' default). A program may size
   its sets otherwise (its own FD_SETSIZE, as on Windows): ps_select and
   ps_fd_isset read fd_count and that many handles, whatever the array's
   declared size, as Winsock does; pass such a set cast to ps_fd_set *. */
#define PS_FD_SETSIZE 64
typedef struct ps_fd_set {
    unsigned int fd_count;
    ps_socket fd_array[64];   /* PS_FD_SETSIZE (cffi's cdef wants the number) */
} ps_fd_set;

/* Winsock's struct timeval (long fields, 32 bits on Windows). */
typedef struct ps_timeval {
    long tv_sec;
    long tv_usec;
} ps_timeval;

/* WSAPOLLFD and the POLL* flags, with Winsock's values (not POSIX's). */
typedef struct ps_wsapollfd {
    ps_socket fd;
    short events;
    short revents;
} ps_wsapollfd;

#define PS_POLLRDNORM 0x0100
#define PS_POLLRDBAND 0x0200
#define PS_POLLIN (PS_POLLRDNORM | PS_POLLRDBAND)
#define PS_POLLPRI 0x0400
#define PS_POLLWRNORM 0x0010
#define PS_POLLOUT PS_POLLWRNORM
#define PS_POLLWRBAND 0x0020
#define PS_POLLERR 0x0001
#define PS_POLLHUP 0x0002
#define PS_POLLNVAL 0x0004

/* --- startup, cleanup and the last error -------------------------------- */
int ps_startup(uint16_t version, ps_wsadata *data);         /* WSAStartup */
int ps_cleanup(void);                                       /* WSACleanup */
int ps_last_error(void);                                    /* WSAGetLastError */
void ps_set_last_error(int code);                           /* WSASetLastError */

/* --- sockets ------------------------------------------------------------ */
ps_socket ps_socket_open(int af, int type, int protocol);   /* socket */
int ps_closesocket(ps_socket s);
int ps_bind(ps_socket s, const void *name, int namelen);
int ps_listen(ps_socket s, int backlog);
ps_socket ps_accept(ps_socket s, void *addr, int *addrlen);
int ps_connect(ps_socket s, const void *name, int namelen);
int ps_send(ps_socket s, const void *buf, int len, int flags);
int ps_recv(ps_socket s, void *buf, int len, int flags);
int ps_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen);
int ps_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen);
int ps_shutdown(ps_socket s, int how);
int ps_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen);
int ps_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen);
int ps_ioctlsocket(ps_socket s, long cmd, unsigned long *argp);  /* u_long */
int ps_getsockname(ps_socket s, void *name, int *namelen);
int ps_getpeername(ps_socket s, void *name, int *namelen);

/* --- waiting on several sockets ------------------------------------------- */
/* select: nfds is ignored; each set (or NULL) is rewritten with its ready
   handles; timeout NULL blocks. Returns the number of (handle, set) pairs
   ready, 0 at the timeout, or PS_SOCKET_ERROR. */
int ps_select(int nfds, ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
              const ps_timeval *timeout);
int ps_fd_isset(ps_socket s, const ps_fd_set *set);          /* __WSAFDIsSet */
/* WSAPoll: timeout_ms < 0 blocks, 0 returns at once. */
int ps_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms);

/* --- names and addresses -------------------------------------------------- */
int ps_getaddrinfo(const char *node, const char *service,
                   const struct addrinfo *hints, struct addrinfo **res);
/* getaddrinfo with the hints given as values; has_hints 0 means pHints NULL. */
int ps_getaddrinfo_hints(const char *node, const char *service, int has_hints,
                         int flags, int family, int socktype, int protocol,
                         struct addrinfo **res);
void ps_freeaddrinfo(struct addrinfo *res);
void ps_addrinfo_read(const struct addrinfo *ai, ps_addrinfo_view *out);

/* Encodes a platform sockaddr into buf; returns its length, or -1 (WSAEFAULT
   if buflen is too small, WSAEAFNOSUPPORT for another family). */
int ps_sockaddr_encode(const ps_sockaddr_view *view, void *buf, int buflen);
/* Decodes a platform sockaddr; returns 0, or -1 as above. */
int ps_sockaddr_decode(const void *buf, int len, ps_sockaddr_view *view);
/* sizeof(struct sockaddr_in) or sizeof(struct sockaddr_in6); -1 otherwise. */
int ps_sockaddr_size(int family);

int ps_inet_pton(int af, const char *src, void *dst);       /* inet_pton */
const char *ps_inet_ntop(int af, const void *src, char *dst, size_t size);
uint32_t ps_inet_addr(const char *cp);                      /* inet_addr */

/* --- the old resolver and address calls -----------------------------------
   gethostbyname, gethostbyaddr, getservbyname and getservbyport return a
   pointer to this thread's own result (one for the host calls, one for the
   service calls), valid until this thread's next call of the same family;
   other threads never disturb it, and it is freed when the thread ends. NULL
   means failure, with the code in ps_last_error(). inet_ntoa's text is this
   thread's as well. getnameinfo returns its code (and sets the last error),
   as getaddrinfo does. The flags are Winsock's values. */

/* HOSTENT, laid out as Windows' (the same on 32 and 64 bits). h_addr_list
   points to h_length-byte addresses in network order. */
typedef struct ps_hostent {
    char *h_name;
    char **h_aliases;
    short h_addrtype;
    short h_length;
    char **h_addr_list;
} ps_hostent;

/* SERVENT's field order differs between 32-bit and 64-bit Windows, so the
   structure is declared after this section; read it through ps_servent_read. */
typedef struct ps_servent ps_servent;

/* A portable view of a ps_servent; s_port is in network byte order. */
typedef struct ps_servent_view {
    const char *s_name;
    char **s_aliases;
    const char *s_proto;
    int s_port;
} ps_servent_view;

#define PS_NI_NOFQDN 0x01
#define PS_NI_NUMERICHOST 0x02
#define PS_NI_NAMEREQD 0x04
#define PS_NI_NUMERICSERV 0x08
#define PS_NI_DGRAM 0x10
#define PS_NI_MAXHOST 1025
#define PS_NI_MAXSERV 32

ps_hostent *ps_gethostbyname(const char *name);
ps_hostent *ps_gethostbyaddr(const void *addr, int len, int type);
int ps_gethostname(char *name, int namelen);
/* in: the IN_ADDR's 4 bytes as C reads them (s_addr, network order). */
const char *ps_inet_ntoa(uint32_t in);
ps_servent *ps_getservbyname(const char *name, const char *proto);
/* port in network byte order, as Winsock takes it. */
ps_servent *ps_getservbyport(int port, const char *proto);
void ps_servent_read(const ps_servent *se, ps_servent_view *out);
int ps_getnameinfo(const void *sa, int salen, char *host, uint32_t hostlen,
                   char *serv, uint32_t servlen, int flags);

/* --- one-call paths for the Pythonic layer --------------------------------
   timeout_ms < 0 means no deadline (the socket's own SO_SNDTIMEO/SO_RCVTIMEO
   still apply); otherwise the whole call ends by then, with WSAETIMEDOUT. */

/* Sends all of buf. Returns 0, or PS_SOCKET_ERROR; *sent is what went out.
   Give it a blocking socket: with a deadline, Windows leaves it blocking. */
int ps_sendall(ps_socket s, const void *buf, size_t len, int flags,
               int timeout_ms, size_t *sent);
/* Receives into buf until the peer's FIN. Returns 0 at the FIN, 1 when buf is
   full (call again), or PS_SOCKET_ERROR. *received counts this call's bytes.
   With buf NULL and cap 0 the bytes are counted and discarded. */
int ps_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms);
/* The graceful disconnect in one call: shutdown(SD_SEND), drain, closesocket.
   Returns 0 when the peer's FIN came and the socket is closed; 1 when buf is
   full (the socket stays open and half-closed: continue with ps_drain, then
   ps_closesocket); PS_SOCKET_ERROR on failure, with the socket closed, except
   when the signal hook stopped the call (see below). */
int ps_disconnect(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms);
/* connect with a deadline (timeout_ms < 0: none). The socket must be in
   blocking mode, and is in blocking mode afterwards. */
int ps_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms);

/* --- signals ---------------------------------------------------------------
   A signal that interrupts a blocking call (EINTR) never surfaces: the call
   goes on with what is left of its timeout, as Winsock never reports EINTR.
   A program may opt in to being interrupted: when the hook is set, it is
   called in the interrupted thread, with no lock of the core held (it may
   call the core), and if it returns nonzero the call ends with
   PS_SOCKET_ERROR and WSAEINTR. The socket stays open and consistent; a
   one-call path reports its progress as for any other failure (ps_disconnect
   leaves the socket open and half-closed, to be drained on). The Python
   layers set a hook that runs Python's signal handlers. On Windows the hook
   is kept and never called (Winsock calls do not see signals).
   Returns the previous hook; NULL removes it. */
typedef int (*ps_signal_hook)(void);
ps_signal_hook ps_set_signal_hook(ps_signal_hook hook);

/* --- the native socket ------------------------------------------------------ */
/* The OS's descriptor (POSIX fd, Windows SOCKET) behind a handle, for select()
   and selectors only; -1 with WSAENOTSOCK for a handle that is not a socket. */
intptr_t ps_native_handle(ps_socket s);
/* Takes ownership of an OS socket (from another library) and returns its
   handle; the caller must not use or close the native socket afterwards. On
   failure the native socket is left open and untouched. */
ps_socket ps_adopt(intptr_t native);

/* --- error codes ----------------------------------------------------------- */
/* The symbolic name ("WSAECONNRESET") and Winsock's message for a code;
   NULL for an unknown code. */
const char *ps_wsa_name(int code);
const char *ps_wsa_message(int code);
/* The closest errno of this platform for a Winsock code, or 0; and that
   errno's symbol ("ECONNRESET"), or NULL. */
int ps_errno_from_wsa(int code);
const char *ps_errno_name_from_wsa(int code);
/* FormatMessageA(flags, NULL, message_id, language_id, buffer, size, NULL),
   for the system's messages (FORMAT_MESSAGE_FROM_SYSTEM, with
   FORMAT_MESSAGE_IGNORE_INSERTS and a maximum width): the text written to
   buffer with its NUL, and its length without the NUL; or 0 with the last
   error (the one WSAGetLastError reads) set. FORMAT_MESSAGE_ALLOCATE_BUFFER
   is refused here (ERROR_INVALID_PARAMETER): a caller that wants it passes a
   buffer of its own (32767 bytes hold any system message, and every kernel32
   takes that size). On Windows kernel32's own; on
   POSIX the shim's (csrc/posix_winapi.c), Winsock's texts from errmap.c. */
uint32_t ps_format_message(uint32_t flags, uint32_t message_id, uint32_t language_id, char *buffer,
                           uint32_t size);

/* --- the Winsock 2 calls: WSASocket, WSASend, WSARecv, WSAIoctl, ... -------
   Each is the call of the same name without overlapped I/O, which portsock
   does not have (docs/porting.md, section 10):

   - A non-NULL overlapped or completion routine is refused before anything
     else is looked at, on every backend and before WSAStartup too: the call
     returns PS_SOCKET_ERROR (PS_INVALID_SOCKET) with WSAEOPNOTSUPP and starts
     no I/O. (Windows would start an overlapped operation: a program that
     goes on to wait for WSA_IO_PENDING would wait for ever.)
   - Otherwise each behaves as the Winsock 1 call it extends (send, recv,
     sendto, recvfrom, shutdown, ioctlsocket): the same blocking, timeouts
     (SO_SNDTIMEO, SO_RCVTIMEO), wake-up by closesocket in another thread
     (WSAEINTR), signals and error codes, over several buffers. */

/* WSABUF (Windows: ULONG len, CHAR *buf). */
typedef struct ps_wsabuf {
    uint32_t len;
    char *buf;
} ps_wsabuf;

/* struct tcp_keepalive of <mstcpip.h>: times in milliseconds. */
typedef struct ps_tcp_keepalive {
    uint32_t onoff;
    uint32_t keepalivetime;
    uint32_t keepaliveinterval;
} ps_tcp_keepalive;

/* LPWSAOVERLAPPED_COMPLETION_ROUTINE, with the overlapped as a void *. */
typedef void (*ps_wsa_completion)(uint32_t error, uint32_t transferred, void *overlapped,
                                  uint32_t flags);

/* WSASocket's dwFlags (every one is accepted, as Windows accepts them; a
   socket is never inherited by a child process, whatever they say). */
#define PS_WSA_FLAG_OVERLAPPED 0x01
#define PS_WSA_FLAG_MULTIPOINT_C_ROOT 0x02
#define PS_WSA_FLAG_MULTIPOINT_C_LEAF 0x04
#define PS_WSA_FLAG_MULTIPOINT_D_ROOT 0x08
#define PS_WSA_FLAG_MULTIPOINT_D_LEAF 0x10
#define PS_WSA_FLAG_ACCESS_SYSTEM_SECURITY 0x40
#define PS_WSA_FLAG_NO_HANDLE_INHERIT 0x80
#define PS_WSA_FLAG_REGISTERED_IO 0x100
/* WSARecv's output flag for a partial message (never set by TCP or UDP). */
#define PS_MSG_PARTIAL 0x8000
/* WSAIoctl's SIO_KEEPALIVE_VALS (_WSAIOW(IOC_VENDOR, 4)), Winsock's value. */
#define PS_SIO_KEEPALIVE_VALS 0x98000004
/* Overlapped I/O's codes, for programs that test them. */
#define PS_WSA_INVALID_HANDLE 6
#define PS_WSA_OPERATION_ABORTED 995
#define PS_WSA_IO_INCOMPLETE 996
#define PS_WSA_IO_PENDING 997

/* WSASocketA / WSASocketW: socket(af, type, protocol). protocol_info must be
   NULL (WSAEINVAL otherwise: portsock has no provider catalog to take one
   from, nor WSADuplicateSocket); g is reserved, and ignored as Windows
   ignores it; flags as above. */
ps_socket ps_wsasocket(int af, int type, int protocol, const void *protocol_info,
                       uint32_t g, uint32_t flags);
/* The same, for WSASocketW (the two differ only in the protocol_info's text,
   which is refused): its own function so that a trace names the call made. */
ps_socket ps_wsasocketw(int af, int type, int protocol, const void *protocol_info,
                        uint32_t g, uint32_t flags);
/* WSASend: 0 and *sent, or PS_SOCKET_ERROR. sent NULL is WSAEFAULT; buffers
   NULL with count > 0, or a NULL buf with len > 0, WSAEFAULT; count 0 sends
   nothing and succeeds. A blocking stream send returns when every buffer has
   gone out, as send does. */
int ps_wsasend(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent,
               uint32_t flags, const void *overlapped, ps_wsa_completion completion);
/* WSARecv: 0 and *received (0 at the peer's FIN), or PS_SOCKET_ERROR. flags
   is in/out and must not be NULL (WSAEFAULT); it is left as passed (Windows
   reports MSG_PARTIAL there, which TCP and UDP never set); received may be
   NULL. A datagram larger than the buffers fills them with its start and
   fails with WSAEMSGSIZE, *received and *flags left unwritten. */
int ps_wsarecv(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
               uint32_t *flags, const void *overlapped, ps_wsa_completion completion);
/* WSASendTo / WSARecvFrom: the same, with sendto's and recvfrom's address. */
int ps_wsasendto(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent,
                 uint32_t flags, const void *to, int tolen, const void *overlapped,
                 ps_wsa_completion completion);
int ps_wsarecvfrom(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
                   uint32_t *flags, void *from, int *fromlen, const void *overlapped,
                   ps_wsa_completion completion);
/* WSASendDisconnect: shutdown(SD_SEND). Disconnect data (data non-NULL) is
   WSAENOPROTOOPT: TCP/IP has none (MS docs). */
int ps_wsasenddisconnect(ps_socket s, const ps_wsabuf *data);
/* WSARecvDisconnect: shutdown(SD_RECEIVE); data, if any, is left untouched
   (TCP/IP has no disconnect data to put there). */
int ps_wsarecvdisconnect(ps_socket s, ps_wsabuf *data);
/* WSAIoctl, for FIONBIO (in: a u_long), FIONREAD and SIOCATMARK (out: a
   u_long) with ioctlsocket's meaning, and SIO_KEEPALIVE_VALS (in: a
   ps_tcp_keepalive; stream sockets only, WSAEINVAL otherwise). returned
   must not be NULL (WSAEFAULT) and gets the bytes written to out (4, or 0);
   an in or out buffer that is NULL or too short is WSAEFAULT; any other code
   WSAEOPNOTSUPP. On POSIX the keep-alive times are rounded up to whole
   seconds (at least 1), and the probe count is Windows' 10. */
int ps_wsaioctl(ps_socket s, uint32_t code, const void *in, uint32_t in_size, void *out,
                uint32_t out_size, uint32_t *returned, const void *overlapped,
                ps_wsa_completion completion);

/* --- the trace ----------------------------------------------------------------
   One JSON line per Winsock call, {"call": "send", "ret": 14, "err": 0}, as
   portsock.winsock.trace() and the parity driver write them: err is the last
   error after a failed call and 0 after success (for WSAStartup and
   getaddrinfo, the returned code); a SOCKET returned by socket or accept is
   "S1", "S2" ... (numbered in the trace's order, across threads),
   INVALID_SOCKET "INVALID_SOCKET". The one-call paths write the Winsock calls
   they stand for (docs/api.md). Also switched on by PORTSOCK_TRACE=path in the
   environment ("-": stderr), looked at by the process's first traced call.
   The file is appended to; lines never interleave. Writing the trace never
   changes a call's result, errno or last error. */
/* Starts tracing to path ("-": stderr), ending any trace before it and
   numbering sockets from S1 again; NULL or "" only ends it. Returns 0, or the
   errno of the failed open (the trace is then off). */
int ps_trace_open(const char *path);
void ps_trace_close(void);
/* 1 while a trace is being written, else 0. */
int ps_trace_active(void);
/* Writes the line {"call": call, "ret": ret, "err": err} if a trace is on: for
   a layer above the core that answers a call itself (the Python mirror's
   argument checks), so that the trace still has every call. */
void ps_trace_call(const char *call, intptr_t ret, int err);
/* The same for a call that returns a pointer (gethostbyname ...) answered
   with NULL: {"call": call, "ret": "NULL", "err": err}. */
void ps_trace_null(const char *call, int err);

/* --- a handle's status ------------------------------------------------------
   0 when s is an open socket and the socket layer is started; otherwise the
   code every call on s fails with before it looks at any other argument:
   WSANOTINITIALISED (no WSAStartup reference is held) or WSAENOTSOCK (closed,
   forged, or never a socket). Asks nothing else of s and leaves the last error
   (and errno) as they were. The mirror uses it to put the handle's error first
   when it rejects another argument itself, as C would. */
int ps_handle_status(ps_socket s);

/* cffi:end */

/* SERVENT as Windows lays it out: on 64-bit Windows s_proto comes before
   s_port, on 32-bit Windows after it. */
struct ps_servent {
    char *s_name;
    char **s_aliases;
#if UINTPTR_MAX > 0xFFFFFFFFu
    char *s_proto;
    short s_port;
#else
    short s_port;
    char *s_proto;
#endif
};

#ifdef __cplusplus
}
#endif

#endif /* PORTSOCK_H */
