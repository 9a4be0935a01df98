/*
 * portsock/winsock2.h - compile C written for Winsock, unchanged, on Linux and
 * macOS against the portsock core.
 *
 * On Windows this header includes the real <winsock2.h> and <ws2tcpip.h>; with
 * -DPORTSOCK_USE_CORE it also maps the Winsock calls to the core (win32.c).
 * On POSIX it includes the system socket headers and the core's portsock.h,
 * then gives the Winsock names: the types (SOCKET, WSADATA, WORD, DWORD, BOOL,
 * LINGER, ADDRINFOA, ...), the constants (INVALID_SOCKET, SOCKET_ERROR, SD_*,
 * every WSA* error code) and the calls (WSAStartup, socket, connect, send, ...),
 * which become the ps_* functions of the core and so return what Windows returns.
 *
 * Two ways to use it:
 *
 *   1. Portable code names it explicitly:
 *          #include <portsock/winsock2.h>
 *          cc -std=c11 -Icsrc/include app.c <the core's objects>
 *      This also works on Windows, where it resolves to the real headers.
 *
 *   2. Existing Winsock code, unchanged (POSIX only): put this directory first
 *      on the include path, so that <winsock2.h>, <ws2tcpip.h> and <windows.h>
 *      are the shims next to this file:
 *          cc -std=c11 -Icsrc/include/portsock -Icsrc -c client.c
 *      (-Icsrc is not needed by the shim itself, which finds ../../portsock.h
 *      by its own location, but lets the program include "portsock.h" too.)
 *      On Windows (gcc/clang) the shims forward to the real headers with
 *      #include_next, so this works there too, and -DPORTSOCK_USE_CORE runs
 *      the program on the core's Windows backend instead of ws2_32.
 *      Every spelling Windows code uses works: <WinSock2.h>, <Winsock2.h>,
 *      <WS2tcpip.h>, <Windows.h>, <winsock.h>, <MSWSock.h>, ... The lowercase
 *      files are the shim; the other spellings are generated next to them by
 *      tools/shim_aliases.py (one list), which building portsock and the test
 *      helpers run. They are never committed: where the filesystem folds case
 *      (macOS, Windows) WinSock2.h and winsock2.h are one file, so a
 *      repository holding both cannot be checked out there, and there the
 *      lowercase file already answers to every spelling (the tool writes
 *      nothing). On Linux, run `python tools/shim_aliases.py` once in a
 *      checkout that was not built.
 *
 * Limits on POSIX:
 *   - Include it before any system header: under -std=c11 glibc hides
 *     getaddrinfo and struct addrinfo unless a feature macro is set first, and
 *     this header sets _DEFAULT_SOURCE only if it comes first. Otherwise build
 *     with -D_DEFAULT_SOURCE (or -std=gnu11).
 *   - struct in_addr is Windows' (S_un.S_un_b.s_b1..s_b4, S_un.S_un_w.s_w1/
 *     s_w2, S_un.S_addr; s_addr, s_net, s_host, s_lh, s_impno, s_imp are
 *     macros for them), in sockaddr_in and every system struct that embeds
 *     it, provided no system header that defines it (<netinet/in.h>,
 *     <netdb.h>, <arpa/inet.h>) was included before this one; otherwise it
 *     stays the system's: s_addr works, S_un does not.
 *   - The calls are function-like macros, so struct members or variables with
 *     the same names are left alone, but a call's address (&send) is not the
 *     core function; use the ps_* name for that. A method call of the same
 *     name and another argument count (obj.send(buf)) does not compile. In
 *     C++, bind is an overload instead (std::bind must keep working; see
 *     below).
 *   - Windows' base types (portsock_wintypes.h) have Win64's sizes: DWORD,
 *     LONG and ULONG are 32 bits, so printf("%lu", dword) warns; u_long is
 *     the system's unsigned long (8 bytes). WCHAR is wchar_t (4 bytes).
 *   - As on Windows, this header includes windows.h: the shim's subset of
 *     the Windows API (Sleep, GetLastError, FormatMessageA, CreateThread, ...;
 *     windows.h lists it and its limits).
 *   - struct linger is Winsock's (two u_short fields, 4 bytes): `linger` is a
 *     macro for ps_linger, and the core accepts that layout for SO_LINGER.
 *   - fd_set, FD_SETSIZE (64 unless the program defines it first), FD_SET,
 *     FD_CLR, FD_ZERO, FD_ISSET, struct timeval, struct pollfd and the POLL*
 *     flags are Winsock's: `fd_set`, `timeval` and `pollfd` are macros for the
 *     core's types, and the system's fd_set, FD_* and POLL* are out of reach
 *     (the system's select() and poll() functions are not: call select and
 *     WSAPoll, which are the core's). Code that needs the system's fd_set for
 *     a real fd must not include this header in the same file.
 *   - WSASocket, WSASend, WSARecv, WSASendTo, WSARecvFrom, WSAIoctl and the
 *     WSA*Disconnect calls are mapped without overlapped I/O: WSAOVERLAPPED
 *     and the completion routine type are declared, and passing either is
 *     WSAEOPNOTSUPP at run time; WSAPROTOCOL_INFO is an incomplete type (only
 *     NULL can be passed). SIO_KEEPALIVE_VALS and struct tcp_keepalive are in
 *     <mstcpip.h>, as on Windows.
 *   - Only the Winsock calls listed below are mapped; htons, inet_pton,
 *     inet_addr and the like are the system's own, which behave the same.
 *   - struct hostent and struct servent are Winsock's (`hostent` and `servent`
 *     are macros for the core's types), and so are the NI_* flags; the calls
 *     gethostbyname, gethostbyaddr, getservbyname, getservbyport, gethostname,
 *     inet_ntoa and getnameinfo are the core's, which report failures through
 *     WSAGetLastError() (never h_errno) and keep each result per thread.
 *   - `#pragma comment(lib, "Ws2_32.lib")` has no meaning to gcc or clang:
 *     they ignore it, but -Wall warns about an unknown pragma (add
 *     -Wno-unknown-pragmas to silence that). Link with the core instead.
 */
#ifndef PORTSOCK_WINSOCK2_SHIM_H
#define PORTSOCK_WINSOCK2_SHIM_H

#ifdef _WIN32

/* #include_next: this directory may be first on the include path (mode 2),
   where <winsock2.h> would find this very file again. */
#if defined(__GNUC__) || defined(__clang__)
#include_next <winsock2.h>
#include_next <ws2tcpip.h>
#else
#include <winsock2.h>
#include <ws2tcpip.h>
#endif

/* -DPORTSOCK_USE_CORE: the Winsock names become the core's ps_* functions on
   Windows too (csrc/win32.c, a pass-through), so one program can run on both
   ws2_32 and the core's Windows backend. Never inside the core itself:
   platform.h defines PORTSOCK_PLATFORM_H before it includes this header. */
#if defined(PORTSOCK_USE_CORE) && !defined(PORTSOCK_PLATFORM_H)
#define PORTSOCK_SHIM_MAP_CALLS 1
#include "../../portsock.h"
#undef WSADATA
#undef LPWSADATA
#define WSADATA ps_wsadata
#define LPWSADATA ps_wsadata *
#endif

#else /* POSIX */

/* Must precede the first system header to have any effect (see above). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#ifndef _DARWIN_C_SOURCE
#define _DARWIN_C_SOURCE 1
#endif

/* FD_SETSIZE is the program's if it defined it before this header (as with
   Windows' winsock2.h), else 64. The system headers below define their own
   (1024 on glibc and macOS), so the program's is put aside while they are
   read. A value equal to the system's, left by a system header included
   earlier (glibc's __FD_SETSIZE, macOS's __DARWIN_FD_SETSIZE), is the
   system's and does not count: a program that wants that very size defines
   it before any system header. */
#if defined(FD_SETSIZE) && !(defined(__FD_SETSIZE) && FD_SETSIZE == __FD_SETSIZE) && \
    !(defined(__DARWIN_FD_SETSIZE) && FD_SETSIZE == __DARWIN_FD_SETSIZE)
#define PORTSOCK_SHIM_PROGRAM_FD_SETSIZE 1
#pragma push_macro("FD_SETSIZE")
#endif
#undef FD_SETSIZE

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Windows' struct in_addr is a union S_un of the address as 4 bytes
   (S_un_b.s_b1..s_b4), 2 words (S_un_w.s_w1, s_w2) or one 32-bit value
   (S_addr), with s_addr, s_net, s_host, s_lh, s_impno and s_imp macros for its
   members. The system's has the one member `in_addr_t s_addr;`, and
   sockaddr_in, ip_mreq and the rest embed it. Rather than a second type beside
   it, the system's own struct gets Windows' members: while the system headers
   are read, s_addr expands so that their member declaration becomes an unnamed
   zero-width bit-field (no storage) followed by the union. The struct keeps its
   4 bytes and stays the one struct in_addr of the program, sockaddr_in's
   sin_addr, inet_ntoa's and inet_pton's; and afterwards s_addr is
   S_un.S_addr, as on Windows. The core never sees the difference (it takes
   addresses as bytes). Only possible when no header read before this one has
   defined struct in_addr; then it stays the system's, with s_addr and no S_un
   (see the limits above). */
#if !defined(_NETINET_IN_H) && !defined(_NETINET_IN_H_)
#define PORTSOCK_SHIM_IN_ADDR 1
union ps_shim_in_addr_u {
    struct { unsigned char s_b1, s_b2, s_b3, s_b4; } S_un_b;
    struct { unsigned short s_w1, s_w2; } S_un_w;
    uint32_t S_addr;
};
#undef s_addr
#define s_addr : 0; union ps_shim_in_addr_u S_un
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/select.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>   /* declares gethostname, which becomes a macro below */

#include "../../portsock.h"

#ifdef PORTSOCK_SHIM_IN_ADDR
#undef s_addr
#define s_addr S_un.S_addr
#define s_net S_un.S_un_b.s_b1
#define s_host S_un.S_un_b.s_b2
#define s_lh S_un.S_un_b.s_b3
#define s_impno S_un.S_un_b.s_b4
#define s_imp S_un.S_un_w.s_w2
/* Windows' 4 bytes, the union at the start. */
typedef char ps_shim_in_addr_is_windows[sizeof(struct in_addr) == 4 &&
                                        offsetof(struct in_addr, S_un) == 0 ? 1 : -1];
#endif

/* Nothing of the system's select machinery stays reachable by the Winsock
   names: its fd_set is a bitmap indexed by fd, and a SOCKET is no fd (FD_SET
   on a portsock handle would write megabytes past the set). The Winsock
   versions follow. The system's select and poll functions keep their own
   names (the types they take are the system's). */
#undef FD_SETSIZE
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#undef FD_ZERO
#undef POLLIN
#undef POLLPRI
#undef POLLOUT
#undef POLLERR
#undef POLLHUP
#undef POLLNVAL
#undef POLLRDNORM
#undef POLLRDBAND
#undef POLLWRNORM
#undef POLLWRBAND
/* getnameinfo's flags are Winsock's (glibc's NI_NUMERICHOST is 1, Windows'
   2); the sizes agree but are the core's too. glibc's h_addr likewise. */
#undef NI_NOFQDN
#undef NI_NUMERICHOST
#undef NI_NAMEREQD
#undef NI_NUMERICSERV
#undef NI_DGRAM
#undef NI_MAXHOST
#undef NI_MAXSERV
#undef h_addr
#ifdef PORTSOCK_SHIM_PROGRAM_FD_SETSIZE
#pragma pop_macro("FD_SETSIZE")
#else
#define FD_SETSIZE 64
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows' basic types and calling-convention words ------------------- */

/* BYTE, WORD, DWORD, BOOL, ... with Win64's sizes, WINAPI, FAR, MAKEWORD, ...:
   portsock_wintypes.h. */
#include "portsock_wintypes.h"

/* Redefining a typedef to the same type is valid C11 and C++, so these are
   safe whether or not the system headers already declared them. */
typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;

typedef ps_socket SOCKET;

/* ---- Winsock types ------------------------------------------------------- */

#define WSADESCRIPTION_LEN PS_WSADESCRIPTION_LEN
#define WSASYS_STATUS_LEN PS_WSASYS_STATUS_LEN

typedef ps_wsadata WSADATA;
typedef ps_wsadata *LPWSADATA;

typedef struct addrinfo ADDRINFOA;
typedef struct addrinfo *PADDRINFOA;
typedef struct addrinfo ADDRINFO;
typedef struct addrinfo *LPADDRINFO;

typedef struct sockaddr SOCKADDR;
typedef struct sockaddr *PSOCKADDR;
typedef struct sockaddr *LPSOCKADDR;
typedef struct sockaddr_in SOCKADDR_IN;
typedef struct sockaddr_in *PSOCKADDR_IN;
typedef struct sockaddr_in *LPSOCKADDR_IN;
typedef struct sockaddr_in6 SOCKADDR_IN6;
typedef struct sockaddr_in6 *PSOCKADDR_IN6;
typedef struct sockaddr_storage SOCKADDR_STORAGE;
typedef struct in_addr IN_ADDR;
typedef struct in6_addr IN6_ADDR;
typedef struct sockaddr_in6 *LPSOCKADDR_IN6;
typedef struct sockaddr_storage *PSOCKADDR_STORAGE;
typedef struct sockaddr_storage *LPSOCKADDR_STORAGE;
typedef struct in_addr *PIN_ADDR;
typedef struct in_addr *LPIN_ADDR;
typedef struct in6_addr *PIN6_ADDR;
typedef struct in6_addr *LPIN6_ADDR;

#define NO_ERROR 0L

/* Winsock's linger, not POSIX's (two ints): code that fills a struct linger
   and passes sizeof it must hand the core the 4 bytes Windows expects. The
   macro comes after the system headers so their own struct linger is intact. */
struct ps_linger {
    u_short l_onoff;
    u_short l_linger;
};
#define linger ps_linger
typedef struct ps_linger LINGER;
typedef struct ps_linger *PLINGER;
typedef struct ps_linger *LPLINGER;

/* Winsock's fd_set: a count and an array of FD_SETSIZE handles. `fd_set` is a
   macro (the system's typedef of that name cannot be undone), so `fd_set`
   and `struct fd_set` both name this one. */
typedef struct ps_shim_fd_set {
    u_int fd_count;
    SOCKET fd_array[FD_SETSIZE];
} ps_shim_fd_set;
#define fd_set ps_shim_fd_set
typedef struct ps_shim_fd_set FD_SET;
typedef struct ps_shim_fd_set *PFD_SET;
typedef struct ps_shim_fd_set *LPFD_SET;

/* Winsock's timeval (two longs), as the core's select takes it; a macro, as
   linger is, so that `struct timeval` in the program is this one. */
#define timeval ps_timeval
typedef struct ps_timeval TIMEVAL;
typedef struct ps_timeval *PTIMEVAL;
typedef struct ps_timeval *LPTIMEVAL;

/* WSAPoll's structure; Windows also calls it struct pollfd. */
#define pollfd ps_wsapollfd
typedef struct ps_wsapollfd WSAPOLLFD;
typedef struct ps_wsapollfd *PWSAPOLLFD;
typedef struct ps_wsapollfd *LPWSAPOLLFD;

/* FD_SET appends a handle that is not in the set yet, while there is room
   (never past the array, whatever FD_SETSIZE says at the call); FD_CLR removes
   it and closes the gap; as Windows' macros do. */
static inline void ps_shim_fd_add(SOCKET s, fd_set *set)
{
    u_int i;
    for (i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s)
            return;
    if (set->fd_count < sizeof set->fd_array / sizeof set->fd_array[0])
        set->fd_array[set->fd_count++] = s;
}

static inline void ps_shim_fd_remove(SOCKET s, fd_set *set)
{
    u_int i;
    for (i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s) {
            for (; i + 1 < set->fd_count; i++)
                set->fd_array[i] = set->fd_array[i + 1];
            set->fd_count--;
            return;
        }
}

static inline void ps_shim_fd_zero(fd_set *set)
{
    set->fd_count = 0;
}

#define FD_SET(fd, set) ps_shim_fd_add((SOCKET)(fd), (set))
#define FD_CLR(fd, set) ps_shim_fd_remove((SOCKET)(fd), (set))
#define FD_ZERO(set) ps_shim_fd_zero(set)
#define FD_ISSET(fd, set) __WSAFDIsSet((SOCKET)(fd), (set))

/* ---- the old resolver's structures ---------------------------------------- */

/* Winsock's HOSTENT and SERVENT (short h_addrtype and h_length; s_port a
   short, placed as Windows places it): `hostent` and `servent` are macros
   for the core's types, as linger is, so `struct hostent` in the program is
   the structure the core returns. The system's (int fields), and its
   gethostbyname and getservbyname, which report through h_errno rather than
   WSAGetLastError, are out of reach by those names. */
#define hostent ps_hostent
#define servent ps_servent
typedef struct ps_hostent HOSTENT;
typedef struct ps_hostent *PHOSTENT;
typedef struct ps_hostent *LPHOSTENT;
typedef struct ps_servent SERVENT;
typedef struct ps_servent *PSERVENT;
typedef struct ps_servent *LPSERVENT;
#define h_addr h_addr_list[0]

#define NI_NOFQDN PS_NI_NOFQDN
#define NI_NUMERICHOST PS_NI_NUMERICHOST
#define NI_NAMEREQD PS_NI_NAMEREQD
#define NI_NUMERICSERV PS_NI_NUMERICSERV
#define NI_DGRAM PS_NI_DGRAM
#define NI_MAXHOST PS_NI_MAXHOST
#define NI_MAXSERV PS_NI_MAXSERV

/* ---- constants ----------------------------------------------------------- */

#define INVALID_SOCKET PS_INVALID_SOCKET
#define SOCKET_ERROR PS_SOCKET_ERROR

#define SD_RECEIVE PS_SD_RECEIVE
#define SD_SEND PS_SD_SEND
#define SD_BOTH PS_SD_BOTH

#define WSA_NOT_ENOUGH_MEMORY PS_WSA_NOT_ENOUGH_MEMORY
#define WSA_INVALID_PARAMETER PS_WSA_INVALID_PARAMETER
#define WSAEINTR PS_WSAEINTR
#define WSAEBADF PS_WSAEBADF
#define WSAEACCES PS_WSAEACCES
#define WSAEFAULT PS_WSAEFAULT
#define WSAEINVAL PS_WSAEINVAL
#define WSAEMFILE PS_WSAEMFILE
#define WSAEWOULDBLOCK PS_WSAEWOULDBLOCK
#define WSAEINPROGRESS PS_WSAEINPROGRESS
#define WSAEALREADY PS_WSAEALREADY
#define WSAENOTSOCK PS_WSAENOTSOCK
#define WSAEDESTADDRREQ PS_WSAEDESTADDRREQ
#define WSAEMSGSIZE PS_WSAEMSGSIZE
#define WSAEPROTOTYPE PS_WSAEPROTOTYPE
#define WSAENOPROTOOPT PS_WSAENOPROTOOPT
#define WSAEPROTONOSUPPORT PS_WSAEPROTONOSUPPORT
#define WSAESOCKTNOSUPPORT PS_WSAESOCKTNOSUPPORT
#define WSAEOPNOTSUPP PS_WSAEOPNOTSUPP
#define WSAEPFNOSUPPORT PS_WSAEPFNOSUPPORT
#define WSAEAFNOSUPPORT PS_WSAEAFNOSUPPORT
#define WSAEADDRINUSE PS_WSAEADDRINUSE
#define WSAEADDRNOTAVAIL PS_WSAEADDRNOTAVAIL
#define WSAENETDOWN PS_WSAENETDOWN
#define WSAENETUNREACH PS_WSAENETUNREACH
#define WSAENETRESET PS_WSAENETRESET
#define WSAECONNABORTED PS_WSAECONNABORTED
#define WSAECONNRESET PS_WSAECONNRESET
#define WSAENOBUFS PS_WSAENOBUFS
#define WSAEISCONN PS_WSAEISCONN
#define WSAENOTCONN PS_WSAENOTCONN
#define WSAESHUTDOWN PS_WSAESHUTDOWN
#define WSAETOOMANYREFS PS_WSAETOOMANYREFS
#define WSAETIMEDOUT PS_WSAETIMEDOUT
#define WSAECONNREFUSED PS_WSAECONNREFUSED
#define WSAELOOP PS_WSAELOOP
#define WSAENAMETOOLONG PS_WSAENAMETOOLONG
#define WSAEHOSTDOWN PS_WSAEHOSTDOWN
#define WSAEHOSTUNREACH PS_WSAEHOSTUNREACH
#define WSAENOTEMPTY PS_WSAENOTEMPTY
#define WSAEPROCLIM PS_WSAEPROCLIM
#define WSAEUSERS PS_WSAEUSERS
#define WSAEDQUOT PS_WSAEDQUOT
#define WSAESTALE PS_WSAESTALE
#define WSAEREMOTE PS_WSAEREMOTE
#define WSASYSNOTREADY PS_WSASYSNOTREADY
#define WSAVERNOTSUPPORTED PS_WSAVERNOTSUPPORTED
#define WSANOTINITIALISED PS_WSANOTINITIALISED
#define WSAEDISCON PS_WSAEDISCON
#define WSATYPE_NOT_FOUND PS_WSATYPE_NOT_FOUND
#define WSAHOST_NOT_FOUND PS_WSAHOST_NOT_FOUND
#define WSATRY_AGAIN PS_WSATRY_AGAIN
#define WSANO_RECOVERY PS_WSANO_RECOVERY
#define WSANO_DATA PS_WSANO_DATA

#define POLLRDNORM PS_POLLRDNORM
#define POLLRDBAND PS_POLLRDBAND
#define POLLIN PS_POLLIN
#define POLLPRI PS_POLLPRI
#define POLLWRNORM PS_POLLWRNORM
#define POLLOUT PS_POLLOUT
#define POLLWRBAND PS_POLLWRBAND
#define POLLERR PS_POLLERR
#define POLLHUP PS_POLLHUP
#define POLLNVAL PS_POLLNVAL

/* ---- the Winsock 2 calls' types and constants (WSASend, WSARecv, ...) ---- */

/* WSABUF is the core's (a 32-bit len, as Windows' ULONG, and buf). */
typedef ps_wsabuf WSABUF;
typedef ps_wsabuf *LPWSABUF;
typedef DWORD *LPDWORD;
typedef unsigned int GROUP;
typedef void *WSAEVENT;
#ifndef CALLBACK
#define CALLBACK
#endif

/* Declared so that programs written for overlapped I/O compile; passing one
   to a call is refused at run time (WSAEOPNOTSUPP: portsock has no
   overlapped I/O). */
typedef struct ps_shim_wsaoverlapped {
    uintptr_t Internal;
    uintptr_t InternalHigh;
    DWORD Offset;
    DWORD OffsetHigh;
    WSAEVENT hEvent;
} WSAOVERLAPPED;
typedef WSAOVERLAPPED *LPWSAOVERLAPPED;
typedef void(CALLBACK *LPWSAOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwError, DWORD cbTransferred,
                                                          LPWSAOVERLAPPED lpOverlapped, DWORD dwFlags);

/* Only a NULL pointer to one can be passed (WSASocket's lpProtocolInfo): the
   structures are left incomplete, so code that fills one in fails to compile
   rather than at run time. */
typedef struct ps_shim_wsaprotocol_infoa WSAPROTOCOL_INFOA;
typedef struct ps_shim_wsaprotocol_infoa *LPWSAPROTOCOL_INFOA;
typedef struct ps_shim_wsaprotocol_infow WSAPROTOCOL_INFOW;
typedef struct ps_shim_wsaprotocol_infow *LPWSAPROTOCOL_INFOW;
typedef WSAPROTOCOL_INFOA WSAPROTOCOL_INFO;
typedef LPWSAPROTOCOL_INFOA LPWSAPROTOCOL_INFO;

#define WSA_FLAG_OVERLAPPED PS_WSA_FLAG_OVERLAPPED
#define WSA_FLAG_MULTIPOINT_C_ROOT PS_WSA_FLAG_MULTIPOINT_C_ROOT
#define WSA_FLAG_MULTIPOINT_C_LEAF PS_WSA_FLAG_MULTIPOINT_C_LEAF
#define WSA_FLAG_MULTIPOINT_D_ROOT PS_WSA_FLAG_MULTIPOINT_D_ROOT
#define WSA_FLAG_MULTIPOINT_D_LEAF PS_WSA_FLAG_MULTIPOINT_D_LEAF
#define WSA_FLAG_ACCESS_SYSTEM_SECURITY PS_WSA_FLAG_ACCESS_SYSTEM_SECURITY
#define WSA_FLAG_NO_HANDLE_INHERIT PS_WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_REGISTERED_IO PS_WSA_FLAG_REGISTERED_IO
#define FROM_PROTOCOL_INFO (-1)
#define SG_UNCONSTRAINED_GROUP 0x01
#define SG_CONSTRAINED_GROUP 0x02
#define MSG_PARTIAL PS_MSG_PARTIAL
#define WSA_INVALID_HANDLE PS_WSA_INVALID_HANDLE
#define WSA_OPERATION_ABORTED PS_WSA_OPERATION_ABORTED
#define WSA_IO_INCOMPLETE PS_WSA_IO_INCOMPLETE
#define WSA_IO_PENDING PS_WSA_IO_PENDING
#define WSA_INVALID_EVENT ((WSAEVENT)0)

#ifdef __cplusplus
}
#endif

#define PORTSOCK_SHIM_MAP_CALLS 1
#endif /* _WIN32 */

#ifdef PORTSOCK_SHIM_MAP_CALLS
/* ---- the calls ------------------------------------------------------------ */

/* Function-like, and defined after every system header that declares the
   POSIX functions of the same names, so those declarations are untouched. */
#define WSAStartup(version, data) ps_startup((version), (data))
#define WSACleanup() ps_cleanup()
#define WSAGetLastError() ps_last_error()
#define WSASetLastError(code) ps_set_last_error(code)

#define socket(af, type, protocol) ps_socket_open((af), (type), (protocol))
#define closesocket(s) ps_closesocket(s)
#define bind(s, name, namelen) ps_bind((s), (name), (namelen))
#define listen(s, backlog) ps_listen((s), (backlog))
#define accept(s, addr, addrlen) ps_accept((s), (addr), (addrlen))
#define connect(s, name, namelen) ps_connect((s), (name), (namelen))
#define send(s, buf, len, flags) ps_send((s), (buf), (len), (flags))
#define recv(s, buf, len, flags) ps_recv((s), (buf), (len), (flags))
#define sendto(s, buf, len, flags, to, tolen) \
    ps_sendto((s), (buf), (len), (flags), (to), (tolen))
#define recvfrom(s, buf, len, flags, from, fromlen) \
    ps_recvfrom((s), (buf), (len), (flags), (from), (fromlen))
#define shutdown(s, how) ps_shutdown((s), (how))
#define setsockopt(s, level, optname, optval, optlen) \
    ps_setsockopt((s), (level), (optname), (optval), (optlen))
#define getsockopt(s, level, optname, optval, optlen) \
    ps_getsockopt((s), (level), (optname), (optval), (optlen))
#define ioctlsocket(s, cmd, argp) ps_ioctlsocket((s), (cmd), (argp))
#define getsockname(s, name, namelen) ps_getsockname((s), (name), (namelen))
#define getpeername(s, name, namelen) ps_getpeername((s), (name), (namelen))
#define getaddrinfo(node, service, hints, res) ps_getaddrinfo((node), (service), (hints), (res))
#define freeaddrinfo(res) ps_freeaddrinfo(res)

/* select and WSAPoll take the program's own fd_set (of its FD_SETSIZE),
   timeval and WSAPOLLFD; the conditional keeps the compiler's type check on
   the argument (NULL included) before the cast to the core's types. */
#define PORTSOCK_SHIM_FDS(set) ((ps_fd_set *)(1 ? (set) : (fd_set *)0))
#define select(nfds, readfds, writefds, exceptfds, timeout)                              \
    ps_select((nfds), PORTSOCK_SHIM_FDS(readfds), PORTSOCK_SHIM_FDS(writefds),         \
              PORTSOCK_SHIM_FDS(exceptfds),                                            \
              (const ps_timeval *)(1 ? (timeout) : (const struct timeval *)0))
#define __WSAFDIsSet(fd, set) ps_fd_isset((SOCKET)(fd), PORTSOCK_SHIM_FDS(set))
#define WSAPoll(fdArray, fds, timeout) \
    ps_wsapoll((ps_wsapollfd *)(1 ? (fdArray) : (WSAPOLLFD *)0), (fds), (timeout))

/* The old resolver and address calls. The pointers they return are the
   core's per-thread results, of Winsock's layout (the system's structures on
   Windows, the macros above on POSIX). inet_ntoa takes a struct in_addr by
   value, whatever its members are called: its 4 bytes go to the core. */
#include <string.h>
static inline uint32_t ps_shim_in_addr_bits(struct in_addr in)
{
    uint32_t bits;
    memcpy(&bits, &in, sizeof bits);
    return bits;
}
#define gethostbyname(name) ((struct hostent *)ps_gethostbyname(name))
#define gethostbyaddr(addr, len, type) \
    ((struct hostent *)ps_gethostbyaddr((addr), (len), (type)))
#define gethostname(name, namelen) ps_gethostname((name), (namelen))
#define inet_ntoa(in) ((char *)ps_inet_ntoa(ps_shim_in_addr_bits(in)))
#define getservbyname(name, proto) ((struct servent *)ps_getservbyname((name), (proto)))
#define getservbyport(port, proto) ((struct servent *)ps_getservbyport((port), (proto)))
#define getnameinfo(sa, salen, host, hostlen, serv, servlen, flags)                  \
    ps_getnameinfo((sa), (int)(salen), (host), (uint32_t)(hostlen), (serv),          \
                   (uint32_t)(servlen), (flags))
/* ---- the Winsock 2 calls -------------------------------------------------- */

/* The core's contract (portsock.h): no overlapped I/O, so a non-NULL
   lpOverlapped or lpCompletionRoutine fails with WSAEOPNOTSUPP. The
   conditionals keep the compiler's type check on each pointer argument
   (NULL included) before the cast to the core's types. */
#undef WSASocket
#define PORTSOCK_SHIM_WSABUFS(b) ((ps_wsabuf *)(1 ? (b) : (WSABUF *)0))
#define PORTSOCK_SHIM_DWORDS(p) ((uint32_t *)(1 ? (p) : (DWORD *)0))
#define PORTSOCK_SHIM_OVERLAPPED(o) ((const void *)(1 ? (o) : (LPWSAOVERLAPPED)0))
#define PORTSOCK_SHIM_ROUTINE(r) \
    ((ps_wsa_completion)(1 ? (r) : (LPWSAOVERLAPPED_COMPLETION_ROUTINE)0))
#define WSASocketA(af, type, protocol, lpProtocolInfo, g, dwFlags) \
    ps_wsasocket((af), (type), (protocol), (lpProtocolInfo), (g), (dwFlags))
#define WSASocketW(af, type, protocol, lpProtocolInfo, g, dwFlags) \
    ps_wsasocketw((af), (type), (protocol), (lpProtocolInfo), (g), (dwFlags))
#define WSASocket(af, type, protocol, lpProtocolInfo, g, dwFlags) \
    ps_wsasocket((af), (type), (protocol), (lpProtocolInfo), (g), (dwFlags))
#define WSASend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,      \
                lpCompletionRoutine)                                                          \
    ps_wsasend((s), PORTSOCK_SHIM_WSABUFS(lpBuffers), (dwBufferCount),                        \
               PORTSOCK_SHIM_DWORDS(lpNumberOfBytesSent), (dwFlags),                          \
               PORTSOCK_SHIM_OVERLAPPED(lpOverlapped), PORTSOCK_SHIM_ROUTINE(lpCompletionRoutine))
#define WSARecv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped,     \
                lpCompletionRoutine)                                                          \
    ps_wsarecv((s), PORTSOCK_SHIM_WSABUFS(lpBuffers), (dwBufferCount),                        \
               PORTSOCK_SHIM_DWORDS(lpNumberOfBytesRecvd), PORTSOCK_SHIM_DWORDS(lpFlags),     \
               PORTSOCK_SHIM_OVERLAPPED(lpOverlapped), PORTSOCK_SHIM_ROUTINE(lpCompletionRoutine))
#define WSASendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen,    \
                  lpOverlapped, lpCompletionRoutine)                                          \
    ps_wsasendto((s), PORTSOCK_SHIM_WSABUFS(lpBuffers), (dwBufferCount),                      \
                 PORTSOCK_SHIM_DWORDS(lpNumberOfBytesSent), (dwFlags), (lpTo), (iTolen),      \
                 PORTSOCK_SHIM_OVERLAPPED(lpOverlapped), PORTSOCK_SHIM_ROUTINE(lpCompletionRoutine))
#define WSARecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,       \
                    lpFromlen, lpOverlapped, lpCompletionRoutine)                             \
    ps_wsarecvfrom((s), PORTSOCK_SHIM_WSABUFS(lpBuffers), (dwBufferCount),                    \
                   PORTSOCK_SHIM_DWORDS(lpNumberOfBytesRecvd), PORTSOCK_SHIM_DWORDS(lpFlags), \
                   (lpFrom), (lpFromlen), PORTSOCK_SHIM_OVERLAPPED(lpOverlapped),             \
                   PORTSOCK_SHIM_ROUTINE(lpCompletionRoutine))
#define WSASendDisconnect(s, lpOutboundDisconnectData) \
    ps_wsasenddisconnect((s), PORTSOCK_SHIM_WSABUFS(lpOutboundDisconnectData))
#define WSARecvDisconnect(s, lpInboundDisconnectData) \
    ps_wsarecvdisconnect((s), PORTSOCK_SHIM_WSABUFS(lpInboundDisconnectData))
#define WSAIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,      \
                 lpcbBytesReturned, lpOverlapped, lpCompletionRoutine)                        \
    ps_wsaioctl((s), (dwIoControlCode), (lpvInBuffer), (cbInBuffer), (lpvOutBuffer),          \
                (cbOutBuffer), PORTSOCK_SHIM_DWORDS(lpcbBytesReturned),                       \
                PORTSOCK_SHIM_OVERLAPPED(lpOverlapped), PORTSOCK_SHIM_ROUTINE(lpCompletionRoutine))

#endif /* PORTSOCK_SHIM_MAP_CALLS */

#if defined(PORTSOCK_SHIM_MAP_CALLS) && defined(__cplusplus)
/* C++ has std::bind. As a function-like macro of three arguments, bind breaks
   <functional> included after this header (its declarations of std::bind
   have two) and every std::bind call with other than three. So in C++ the
   name bind is renamed instead, everywhere after this point, to an overload
   with Winsock's signature: the program's bind(s, name, namelen) and
   ::bind(...) call the core, and std::bind, declared by a <functional> read
   afterwards, is renamed with it and still found as std::bind. If
   <functional> came first, std::bind keeps its name and std gets a
   forwarder of the new one. As on Windows, `using namespace std;` makes an
   unqualified bind(s, ...) std::bind's (a template taking anything). */
#undef bind
static inline int ps_shim_bind(SOCKET s, const struct sockaddr *name, int namelen)
{
    return ps_bind((ps_socket)s, name, namelen);
}
#if defined(_GLIBCXX_FUNCTIONAL) || defined(_LIBCPP_FUNCTIONAL)
namespace std {
template <class... A>
inline auto ps_shim_bind(A &&...a) -> decltype(::std::bind(::std::forward<A>(a)...))
{
    return ::std::bind(::std::forward<A>(a)...);
}
template <class R, class... A>
inline auto ps_shim_bind(A &&...a) -> decltype(::std::bind<R>(::std::forward<A>(a)...))
{
    return ::std::bind<R>(::std::forward<A>(a)...);
}
} /* namespace std */
#endif
#define bind ps_shim_bind
#endif

#ifndef _WIN32
/* On Windows winsock2.h includes windows.h: code that includes only this
   header may call Sleep, GetLastError or FormatMessageA. (windows.h includes
   this header first; whichever comes first, both are read whole.) */
#include "windows.h"
#endif

#endif /* PORTSOCK_WINSOCK2_SHIM_H */
