/*
 * win32.c - the Windows backend.
 *
 * Windows is the reference that the POSIX backend imitates, so each mirrored
 * call goes straight to ws2_32 and whatever it returns is by definition right:
 * the pass-throughs check no argument and rewrite no error code (but one, a
 * Wine 8 code no Windows call gives: woken_by_close). The only logic
 * of our own is in the one-call paths at the end, which compose plain Winsock
 * calls and have no Winsock counterpart to defer to. The exports, at the very
 * end, are one line each, as in posix.c: TRACED (trace.h) around the ws_
 * function doing the work.
 */
#include "platform.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

/* Handles cross the API as ps_socket; the conversion must be lossless both
   ways, including INVALID_SOCKET, or a handle could silently become another. */
PS_STATIC_ASSERT(sizeof(ps_socket) == sizeof(SOCKET), socket_size);
PS_STATIC_ASSERT((SOCKET)PS_INVALID_SOCKET == INVALID_SOCKET, invalid_socket);
PS_STATIC_ASSERT(PS_SOCKET_ERROR == SOCKET_ERROR, socket_error);
PS_STATIC_ASSERT(PS_SD_SEND == SD_SEND, sd_send);
PS_STATIC_ASSERT(sizeof(((ps_wsadata *)0)->szDescription) == sizeof(((WSADATA *)0)->szDescription),
                 description_size);
PS_STATIC_ASSERT(sizeof(((ps_wsadata *)0)->szSystemStatus) == sizeof(((WSADATA *)0)->szSystemStatus),
                 system_status_size);
PS_STATIC_ASSERT(sizeof(unsigned long) == sizeof(u_long), u_long_size);
/* select's and WSAPoll's structures are passed as they are: the ps_ types are
   laid out as Windows' own. */
PS_STATIC_ASSERT(PS_FD_SETSIZE == FD_SETSIZE, fd_setsize);
PS_STATIC_ASSERT(sizeof(ps_fd_set) == sizeof(fd_set), fd_set_size);
PS_STATIC_ASSERT(offsetof(ps_fd_set, fd_array) == offsetof(fd_set, fd_array), fd_set_array);
PS_STATIC_ASSERT(sizeof(ps_timeval) == sizeof(struct timeval), timeval_size);
PS_STATIC_ASSERT(offsetof(ps_timeval, tv_usec) == offsetof(struct timeval, tv_usec), timeval_usec);
PS_STATIC_ASSERT(sizeof(ps_wsapollfd) == sizeof(WSAPOLLFD), wsapollfd_size);
PS_STATIC_ASSERT(offsetof(ps_wsapollfd, events) == offsetof(WSAPOLLFD, events), wsapollfd_events);
PS_STATIC_ASSERT(offsetof(ps_wsapollfd, revents) == offsetof(WSAPOLLFD, revents), wsapollfd_revents);
PS_STATIC_ASSERT(PS_POLLRDNORM == POLLRDNORM && PS_POLLRDBAND == POLLRDBAND && PS_POLLIN == POLLIN &&
                 PS_POLLPRI == POLLPRI && PS_POLLWRNORM == POLLWRNORM && PS_POLLOUT == POLLOUT &&
                 PS_POLLWRBAND == POLLWRBAND && PS_POLLERR == POLLERR && PS_POLLHUP == POLLHUP &&
                 PS_POLLNVAL == POLLNVAL, poll_flags);

#define SOCK(s) ((SOCKET)(s))

/* A blocking call that closesocket in another thread ended. The core's
   contract (docs/api.md; docs/winsock-rules.md, CLOSE-1) is Windows': the call fails with WSAEINTR (MS docs, closesocket
   remarks). Wine 8 reports the cancelled wait instead, WSA_OPERATION_ABORTED
   (995), a code Winsock documents for overlapped operations only; no call of
   the core is overlapped, so 995 can mean nothing else here. This is the one
   place it is rewritten; ret passes through. */
static int woken_by_close(int ret)
{
    if (ret == SOCKET_ERROR && WSAGetLastError() == WSA_OPERATION_ABORTED)
        WSASetLastError(WSAEINTR);
    return ret;
}

/* ---- startup, cleanup and the last error -------------------------------- */

static int ws_startup(uint16_t version, ps_wsadata *data)
{
    WSADATA wsa;
    int rc;

    if (data == NULL)
        return WSAStartup(version, NULL);   /* Windows decides what NULL means */

    memset(&wsa, 0, sizeof wsa);
    rc = WSAStartup(version, &wsa);
    /* A refused version still fills WSADATA (with the version Windows would
       offer), and callers read it to decide what to ask for next. */
    if (rc == 0 || rc == WSAVERNOTSUPPORTED) {
        data->wVersion = wsa.wVersion;
        data->wHighVersion = wsa.wHighVersion;
        data->iMaxSockets = wsa.iMaxSockets;
        data->iMaxUdpDg = wsa.iMaxUdpDg;
        data->lpVendorInfo = wsa.lpVendorInfo;
        /* WSADATA's field order differs between Win32 and Win64, which is why
           ps_wsadata has its own order and the fields are copied one by one. */
        memcpy(data->szDescription, wsa.szDescription, sizeof data->szDescription);
        memcpy(data->szSystemStatus, wsa.szSystemStatus, sizeof data->szSystemStatus);
        data->szDescription[sizeof data->szDescription - 1] = '\0';
        data->szSystemStatus[sizeof data->szSystemStatus - 1] = '\0';
    }
    return rc;
}

static int ws_cleanup(void)
{
    return WSACleanup();
}

int ps_last_error(void)
{
    return WSAGetLastError();
}

void ps_set_last_error(int code)
{
    WSASetLastError(code);
}

/* ---- sockets ------------------------------------------------------------ */

static ps_socket ws_socket(int af, int type, int protocol)
{
    return (ps_socket)socket(af, type, protocol);
}

static int ws_closesocket(ps_socket s)
{
    return closesocket(SOCK(s));
}

static int ws_bind(ps_socket s, const void *name, int namelen)
{
    return bind(SOCK(s), (const struct sockaddr *)name, namelen);
}

static int ws_listen(ps_socket s, int backlog)
{
    return listen(SOCK(s), backlog);
}

static ps_socket ws_accept(ps_socket s, void *addr, int *addrlen)
{
    SOCKET a = accept(SOCK(s), (struct sockaddr *)addr, addrlen);
    if (a == INVALID_SOCKET)
        woken_by_close(SOCKET_ERROR);
    return (ps_socket)a;
}

static int ws_connect(ps_socket s, const void *name, int namelen)
{
    return woken_by_close(connect(SOCK(s), (const struct sockaddr *)name, namelen));
}

static int ws_send(ps_socket s, const void *buf, int len, int flags)
{
    return woken_by_close(send(SOCK(s), (const char *)buf, len, flags));
}

static int ws_recv(ps_socket s, void *buf, int len, int flags)
{
    return woken_by_close(recv(SOCK(s), (char *)buf, len, flags));
}

static int ws_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen)
{
    return woken_by_close(sendto(SOCK(s), (const char *)buf, len, flags, (const struct sockaddr *)to, tolen));
}

static int ws_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen)
{
    return woken_by_close(recvfrom(SOCK(s), (char *)buf, len, flags, (struct sockaddr *)from, fromlen));
}

static int ws_shutdown(ps_socket s, int how)
{
    return shutdown(SOCK(s), how);
}

static int ws_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen)
{
    return setsockopt(SOCK(s), level, optname, (const char *)optval, optlen);
}

static int ws_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen)
{
    return getsockopt(SOCK(s), level, optname, (char *)optval, optlen);
}

static int ws_ioctlsocket(ps_socket s, long cmd, unsigned long *argp)
{
    return ioctlsocket(SOCK(s), cmd, argp);
}

static int ws_getsockname(ps_socket s, void *name, int *namelen)
{
    return getsockname(SOCK(s), (struct sockaddr *)name, namelen);
}

static int ws_getpeername(ps_socket s, void *name, int *namelen)
{
    return getpeername(SOCK(s), (struct sockaddr *)name, namelen);
}

/* ---- waiting on several sockets ------------------------------------------ */

static int ws_select(int nfds, ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
                     const ps_timeval *timeout)
{
    /* A set of any FD_SETSIZE: Winsock reads fd_count handles, as the core
       does. select's timeout is a `const PTIMEVAL` (the pointer is const, not
       the timeval), hence the cast. */
    return select(nfds, (fd_set *)readfds, (fd_set *)writefds, (fd_set *)exceptfds,
                  (struct timeval *)timeout);
}

int ps_fd_isset(ps_socket s, const ps_fd_set *set)
{
    return __WSAFDIsSet(SOCK(s), (fd_set *)set);
}

static int ws_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms)
{
    return WSAPoll((WSAPOLLFD *)fds, nfds, timeout_ms);
}

/* ---- names --------------------------------------------------------------- */

static int ws_getaddrinfo(const char *node, const char *service,
                          const struct addrinfo *hints, struct addrinfo **res)
{
    int rc;
    if (ps_reserved_invalid_name(node) && res != NULL) {
        *res = NULL;
        rc = WSAHOST_NOT_FOUND;
    } else
        rc = getaddrinfo(node, service, hints, res);
    /* The contract promises the code in the last error too, so callers that
       only look at ps_last_error() (the mirror's tracing) see the same thing
       on every platform, whatever this Windows version does on its own. */
    if (rc != 0)
        WSASetLastError(rc);
    return rc;
}

void ps_freeaddrinfo(struct addrinfo *res)
{
    /* An empty result list is the natural state after a failed lookup, so
       freeing it must be harmless. */
    if (res != NULL)
        freeaddrinfo(res);
}

/* ---- the old resolver and address calls ---------------------------------- */

/* Winsock's own HOSTENT and SERVENT are handed out as they are (each thread's
   storage is Winsock's): the ps_ types are laid out as Windows' own. */
PS_STATIC_ASSERT(sizeof(ps_hostent) == sizeof(HOSTENT), hostent_size);
PS_STATIC_ASSERT(offsetof(ps_hostent, h_addrtype) == offsetof(HOSTENT, h_addrtype), hostent_addrtype);
PS_STATIC_ASSERT(offsetof(ps_hostent, h_length) == offsetof(HOSTENT, h_length), hostent_length);
PS_STATIC_ASSERT(offsetof(ps_hostent, h_addr_list) == offsetof(HOSTENT, h_addr_list), hostent_addr_list);
PS_STATIC_ASSERT(sizeof(ps_servent) == sizeof(SERVENT), servent_size);
PS_STATIC_ASSERT(offsetof(ps_servent, s_port) == offsetof(SERVENT, s_port), servent_port);
PS_STATIC_ASSERT(offsetof(ps_servent, s_proto) == offsetof(SERVENT, s_proto), servent_proto);
PS_STATIC_ASSERT(PS_NI_NOFQDN == NI_NOFQDN && PS_NI_NUMERICHOST == NI_NUMERICHOST &&
                 PS_NI_NAMEREQD == NI_NAMEREQD && PS_NI_NUMERICSERV == NI_NUMERICSERV &&
                 PS_NI_DGRAM == NI_DGRAM && PS_NI_MAXHOST == NI_MAXHOST &&
                 PS_NI_MAXSERV == NI_MAXSERV, ni_flags);
PS_STATIC_ASSERT(sizeof(IN_ADDR) == sizeof(uint32_t), in_addr_size);

static ps_hostent *ws_gethostbyname(const char *name)
{
    /* The one rule of our own, shared with ps_getaddrinfo: .invalid never
       reaches the resolver. */
    if (ps_reserved_invalid_name(name)) {
        WSASetLastError(WSAHOST_NOT_FOUND);
        return NULL;
    }
    return (ps_hostent *)gethostbyname(name);
}

static ps_hostent *ws_gethostbyaddr(const void *addr, int len, int type)
{
    return (ps_hostent *)gethostbyaddr((const char *)addr, len, type);
}

static int ws_gethostname(char *name, int namelen)
{
    return gethostname(name, namelen);
}

static const char *ws_inet_ntoa(uint32_t in)
{
    IN_ADDR addr;
    memcpy(&addr, &in, sizeof addr);
    return inet_ntoa(addr);
}

static ps_servent *ws_getservbyname(const char *name, const char *proto)
{
    return (ps_servent *)getservbyname(name, proto);
}

static ps_servent *ws_getservbyport(int port, const char *proto)
{
    return (ps_servent *)getservbyport(port, proto);
}

static int ws_getnameinfo(const void *sa, int salen, char *host, uint32_t hostlen,
                          char *serv, uint32_t servlen, int flags)
{
    int rc = getnameinfo((const struct sockaddr *)sa, salen, host, hostlen, serv, servlen, flags);
    /* As ps_getaddrinfo: the code is in the last error too. */
    if (rc != 0)
        WSASetLastError(rc);
    return rc;
}

/* ---- one-call paths ------------------------------------------------------ */

/* send and recv take an int length; larger requests go out in pieces. */
static int clamp_len(size_t n)
{
    return n > (size_t)INT_MAX ? INT_MAX : (int)n;
}

/* A deadline: PS_NO_DEADLINE, or an absolute GetTickCount64 time in ms (the
   tick count is monotonic, so a wall-clock change cannot stretch or cut it). The
   helpers below have the names and contracts of the POSIX backend's. */
typedef LONGLONG deadline_t;
#define PS_NO_DEADLINE ((deadline_t)-1)

/* PS_NO_DEADLINE for timeout_ms < 0, else now + timeout_ms. */
static deadline_t ps_deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? PS_NO_DEADLINE : (deadline_t)GetTickCount64() + timeout_ms;
}

enum ready_for { READY_READ, READY_WRITE, READY_CONNECT };

/* Waits until s is ready or the deadline passes. Returns 0 when ready, else
   the Winsock code: WSAETIMEDOUT, or select's error. */
static int ps_wait_ready(SOCKET s, enum ready_for what, deadline_t deadline)
{
    for (;;) {
        fd_set rd, wr, ex;
        struct timeval tv, *ptv = NULL;
        int n;

        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        if (what == READY_READ) {
            FD_SET(s, &rd);
        } else {
            FD_SET(s, &wr);
            /* A failed non-blocking connect is reported in exceptfds only,
               never as writable. */
            if (what == READY_CONNECT)
                FD_SET(s, &ex);
        }
        if (deadline != PS_NO_DEADLINE) {
            deadline_t now = (deadline_t)GetTickCount64();
            deadline_t left = deadline > now ? deadline - now : 0;
            tv.tv_sec = (long)(left / 1000);
            tv.tv_usec = (long)(left % 1000) * 1000L;
            ptv = &tv;
        }
        n = select(0, what == READY_READ ? &rd : NULL, what == READY_READ ? NULL : &wr,
                   what == READY_CONNECT ? &ex : NULL, ptv);
        if (n > 0)
            return 0;
        if (n == SOCKET_ERROR)
            return WSAGetLastError();
        /* select's timer and the tick count have different granularity: only
           the tick count decides that the deadline has passed. */
        if ((deadline_t)GetTickCount64() >= deadline)
            return WSAETIMEDOUT;
    }
}

static int set_nonblocking(SOCKET s, int on)
{
    u_long mode = on ? 1u : 0u;
    return ioctlsocket(s, FIONBIO, &mode);
}

/* Ends a call with SOCKET_ERROR and `err` as the last error, whatever the
   clean-up calls in between did to it. */
static int fail_with(int err)
{
    WSASetLastError(err);
    return SOCKET_ERROR;
}

ps_signal_hook ps_set_signal_hook(ps_signal_hook hook)
{
    /* Kept for the API's sake: a Winsock call never sees a signal. */
    static ps_signal_hook current;
    ps_signal_hook previous = current;
    current = hook;
    return previous;
}

static int ws_sendall(ps_socket s, const void *buf, size_t len, int flags,
                      int timeout_ms, size_t *sent)
{
    const char *p = (const char *)buf;
    size_t done = 0, ignored;
    int err = 0;
    deadline_t deadline = len > 0 ? ps_deadline_after(timeout_ms) : PS_NO_DEADLINE;

    if (sent == NULL)
        sent = &ignored;
    *sent = 0;
    if (p == NULL && len > 0)
        return fail_with(WSAEFAULT);

    /* Windows has no per-call MSG_DONTWAIT, and a blocking send against a peer
       that stopped reading would sleep past any deadline; so the deadline is
       kept by switching the socket to non-blocking for the duration of the
       call and waiting in select between sends. It is left blocking, as
       ps_connect_timeout leaves it. */
    if (deadline != PS_NO_DEADLINE && set_nonblocking(SOCK(s), 1) == SOCKET_ERROR)
        return SOCKET_ERROR;

    while (done < len) {
        int n = woken_by_close(send(SOCK(s), p + done, clamp_len(len - done), flags));
        if (n != SOCKET_ERROR) {
            done += (size_t)n;
            continue;
        }
        err = WSAGetLastError();
        if (deadline == PS_NO_DEADLINE || err != WSAEWOULDBLOCK)
            break;
        err = ps_wait_ready(SOCK(s), READY_WRITE, deadline);
        if (err != 0)
            break;
    }
    *sent = done;

    if (deadline != PS_NO_DEADLINE && set_nonblocking(SOCK(s), 0) == SOCKET_ERROR && err == 0)
        err = WSAGetLastError();
    return err != 0 ? fail_with(err) : 0;
}

/* Size of the scratch buffer used when the drained bytes are discarded: big
   enough that a bulk transfer takes few calls, small enough for any stack. */
#define DISCARD_CHUNK 32768

/* Receives into buf until the peer's FIN: 0 at the FIN, 1 when buf is full,
   or -code; *received counts the bytes. With buf NULL and cap 0 they are
   counted and discarded. */
static int drain_to(SOCKET s, char *buf, size_t cap, size_t *received, deadline_t deadline)
{
    char scratch[DISCARD_CHUNK];
    int discard = buf == NULL && cap == 0;
    size_t got = 0;
    int rc;

    for (;;) {
        char *dst;
        size_t room;
        int n, err;

        if (discard) {
            dst = scratch;
            room = sizeof scratch;
        } else {
            /* Full: report it rather than probe for the FIN with a recv that
               could block forever on a peer that has more to send. */
            if (got == cap) {
                rc = 1;
                break;
            }
            dst = buf + got;
            room = cap - got;
        }
        if (deadline != PS_NO_DEADLINE) {
            err = ps_wait_ready(s, READY_READ, deadline);
            if (err != 0) {
                rc = -err;
                break;
            }
        }
        n = woken_by_close(recv(s, dst, clamp_len(room), 0));
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0) {
            rc = 0;
            break;
        }
        err = WSAGetLastError();
        /* A caller's non-blocking socket can be readable in select and still
           have nothing for recv; with a deadline, waiting again is right. */
        if (deadline != PS_NO_DEADLINE && err == WSAEWOULDBLOCK)
            continue;
        rc = -err;
        break;
    }
    *received = got;
    return rc;
}

static int ws_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    size_t ignored;
    int rc;

    if (received == NULL)
        received = &ignored;
    *received = 0;
    if (buf == NULL && cap != 0)
        return fail_with(WSAEFAULT);
    rc = drain_to(SOCK(s), (char *)buf, cap, received, ps_deadline_after(timeout_ms));
    return rc < 0 ? fail_with(-rc) : rc;
}

/* closesocket inside ps_disconnect, traced as the call it is. */
static int disconnect_close(SOCKET s)
{
    int ret = closesocket(s);
    PS_TRACE_RESULT(INT, "closesocket", ret);
    return ret;
}

/* Closes s after a failure, keeping the failure's code as the last error. */
static int close_after_failure(SOCKET s, int err)
{
    /* WSAENOTSOCK means s is no socket of ours: closing that value could
       close a handle that another thread has just been given. */
    if (err != WSAENOTSOCK)
        disconnect_close(s);
    return fail_with(err);
}

int ps_disconnect(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    size_t ignored;
    deadline_t deadline = ps_deadline_after(timeout_ms);
    int rc;

    if (received == NULL)
        received = &ignored;
    *received = 0;
    if (buf == NULL && cap != 0) {
        if (PS_TRACING())
            ps_trace_call("shutdown", -1, WSAEFAULT);
        return close_after_failure(SOCK(s), WSAEFAULT);
    }

    if (shutdown(SOCK(s), SD_SEND) == SOCKET_ERROR) {
        int err = WSAGetLastError();
        if (PS_TRACING())
            ps_trace_call("shutdown", -1, err);
        return close_after_failure(SOCK(s), err);
    }
    if (PS_TRACING())
        ps_trace_call("shutdown", 0, 0);
    rc = drain_to(SOCK(s), (char *)buf, cap, received, deadline);
    if (PS_TRACING())
        ps_trace_drain(rc < 0 ? -1 : rc, *received, -rc);
    if (rc == 1)
        return 1;
    if (rc < 0)
        return close_after_failure(SOCK(s), -rc);
    return disconnect_close(SOCK(s));
}

static int ws_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms)
{
    const struct sockaddr *addr = (const struct sockaddr *)name;
    deadline_t deadline = ps_deadline_after(timeout_ms);
    int err = 0;

    if (deadline == PS_NO_DEADLINE)
        return woken_by_close(connect(SOCK(s), addr, namelen));

    if (set_nonblocking(SOCK(s), 1) == SOCKET_ERROR)
        return SOCKET_ERROR;

    if (connect(SOCK(s), addr, namelen) == SOCKET_ERROR) {
        err = WSAGetLastError();
        /* Windows says WSAEWOULDBLOCK, not WSAEINPROGRESS, for a connect that
           has started and not finished. */
        if (err == WSAEWOULDBLOCK) {
            err = ps_wait_ready(SOCK(s), READY_CONNECT, deadline);
            if (err == 0) {
                int soerr = 0, optlen = (int)sizeof soerr;
                if (getsockopt(SOCK(s), SOL_SOCKET, SO_ERROR, (char *)&soerr, &optlen)
                    == SOCKET_ERROR)
                    err = WSAGetLastError();
                else
                    err = soerr;
            }
        }
    }

    if (set_nonblocking(SOCK(s), 0) == SOCKET_ERROR && err == 0)
        err = WSAGetLastError();
    return err != 0 ? fail_with(err) : 0;
}

/* ------------------------------------------------------------------------ */
/* The native socket                                                         */

intptr_t ps_native_handle(ps_socket s)
{
    int type = 0, optlen = (int)sizeof type;
    /* A handle is the SOCKET itself here; asking for its type is how Winsock
       tells a socket from any other value. */
    if (getsockopt(SOCK(s), SOL_SOCKET, SO_TYPE, (char *)&type, &optlen) == SOCKET_ERROR)
        return -1;
    return (intptr_t)s;
}

ps_socket ps_adopt(intptr_t native)
{
    int type = 0, optlen = (int)sizeof type;
    if (getsockopt((SOCKET)native, SOL_SOCKET, SO_TYPE, (char *)&type, &optlen) == SOCKET_ERROR)
        return PS_INVALID_SOCKET;
    WSASetLastError(0);
    return (ps_socket)native;
}

/* ------------------------------------------------------------------------ */
/* The Winsock 2 calls, without overlapped I/O                               */

/* WSABUF and struct tcp_keepalive are passed as they are. */
PS_STATIC_ASSERT(sizeof(ps_wsabuf) == sizeof(WSABUF), wsabuf_size);
PS_STATIC_ASSERT(offsetof(ps_wsabuf, buf) == offsetof(WSABUF, buf), wsabuf_buf);
PS_STATIC_ASSERT(sizeof(ps_tcp_keepalive) == sizeof(struct tcp_keepalive), tcp_keepalive_size);
PS_STATIC_ASSERT(PS_SIO_KEEPALIVE_VALS == SIO_KEEPALIVE_VALS, sio_keepalive_vals);
PS_STATIC_ASSERT(PS_WSA_FLAG_OVERLAPPED == WSA_FLAG_OVERLAPPED &&
                 PS_WSA_FLAG_NO_HANDLE_INHERIT == WSA_FLAG_NO_HANDLE_INHERIT &&
                 PS_MSG_PARTIAL == MSG_PARTIAL && PS_WSA_IO_PENDING == WSA_IO_PENDING, wsa_flags);

/* The one rule of our own among the pass-throughs, so that the core's
   contract is one on both backends: overlapped I/O, which the POSIX backend
   does not have, is refused here too, before anything else (portsock.h). */
static int refuse_overlapped(const void *overlapped, ps_wsa_completion completion)
{
    if (overlapped == NULL && completion == NULL)
        return 0;
    WSASetLastError(WSAEOPNOTSUPP);
    return 1;
}

static ps_socket ws_wsasocket(int af, int type, int protocol, const void *protocol_info, uint32_t g,
                              uint32_t flags)
{
    /* A WSAPROTOCOL_INFO is refused as on POSIX, which has no provider catalog. */
    if (protocol_info != NULL) {
        WSASetLastError(WSAEINVAL);
        return PS_INVALID_SOCKET;
    }
    return (ps_socket)WSASocketW(af, type, protocol, NULL, (GROUP)g, flags);
}

static int ws_wsasend(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent, uint32_t flags,
                      const void *overlapped, ps_wsa_completion completion)
{
    if (refuse_overlapped(overlapped, completion))
        return SOCKET_ERROR;
    return woken_by_close(WSASend(SOCK(s), (LPWSABUF)buffers, count, (LPDWORD)sent, flags, NULL, NULL));
}

static int ws_wsasendto(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent,
                        uint32_t flags, const void *to, int tolen, const void *overlapped,
                        ps_wsa_completion completion)
{
    if (refuse_overlapped(overlapped, completion))
        return SOCKET_ERROR;
    return woken_by_close(WSASendTo(SOCK(s), (LPWSABUF)buffers, count, (LPDWORD)sent, flags,
                                    (const struct sockaddr *)to, tolen, NULL, NULL));
}

static int ws_wsarecv(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
                      uint32_t *flags, const void *overlapped, ps_wsa_completion completion)
{
    if (refuse_overlapped(overlapped, completion))
        return SOCKET_ERROR;
    return woken_by_close(
        WSARecv(SOCK(s), (LPWSABUF)buffers, count, (LPDWORD)received, (LPDWORD)flags, NULL, NULL));
}

static int ws_wsarecvfrom(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
                          uint32_t *flags, void *from, int *fromlen, const void *overlapped,
                          ps_wsa_completion completion)
{
    if (refuse_overlapped(overlapped, completion))
        return SOCKET_ERROR;
    return woken_by_close(WSARecvFrom(SOCK(s), (LPWSABUF)buffers, count, (LPDWORD)received,
                                      (LPDWORD)flags, (struct sockaddr *)from, fromlen, NULL, NULL));
}

static int ws_wsasenddisconnect(ps_socket s, const ps_wsabuf *data)
{
    return WSASendDisconnect(SOCK(s), (LPWSABUF)data);
}

static int ws_wsarecvdisconnect(ps_socket s, ps_wsabuf *data)
{
    return WSARecvDisconnect(SOCK(s), (LPWSABUF)data);
}

static int ws_wsaioctl(ps_socket s, uint32_t code, const void *in, uint32_t in_size, void *out,
                       uint32_t out_size, uint32_t *returned, const void *overlapped,
                       ps_wsa_completion completion)
{
    if (refuse_overlapped(overlapped, completion))
        return SOCKET_ERROR;
    return WSAIoctl(SOCK(s), code, (LPVOID)in, in_size, out, out_size, (LPDWORD)returned, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* The exported Winsock calls, each TRACED (trace.h): the pass-throughs above
   and the one-call paths, written as the Winsock calls they stand for
   (ps_disconnect writes its own, where it makes them). */

int ps_startup(uint16_t version, ps_wsadata *data)
    TRACED(int, CODE, "WSAStartup", ws_startup(version, data))
int ps_cleanup(void) TRACED(int, INT, "WSACleanup", ws_cleanup())
ps_socket ps_socket_open(int af, int type, int protocol)
    TRACED(ps_socket, SOCKET, "socket", ws_socket(af, type, protocol))
int ps_closesocket(ps_socket s) TRACED(int, INT, "closesocket", ws_closesocket(s))
int ps_bind(ps_socket s, const void *name, int namelen)
    TRACED(int, INT, "bind", ws_bind(s, name, namelen))
int ps_listen(ps_socket s, int backlog) TRACED(int, INT, "listen", ws_listen(s, backlog))
ps_socket ps_accept(ps_socket s, void *addr, int *addrlen)
    TRACED(ps_socket, SOCKET, "accept", ws_accept(s, addr, addrlen))
int ps_connect(ps_socket s, const void *name, int namelen)
    TRACED(int, INT, "connect", ws_connect(s, name, namelen))
int ps_send(ps_socket s, const void *buf, int len, int flags)
    TRACED(int, INT, "send", ws_send(s, buf, len, flags))
int ps_recv(ps_socket s, void *buf, int len, int flags)
    TRACED(int, INT, "recv", ws_recv(s, buf, len, flags))
int ps_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen)
    TRACED(int, INT, "sendto", ws_sendto(s, buf, len, flags, to, tolen))
int ps_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen)
    TRACED(int, INT, "recvfrom", ws_recvfrom(s, buf, len, flags, from, fromlen))
int ps_shutdown(ps_socket s, int how) TRACED(int, INT, "shutdown", ws_shutdown(s, how))
int ps_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen)
    TRACED(int, INT, "setsockopt", ws_setsockopt(s, level, optname, optval, optlen))
int ps_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen)
    TRACED(int, INT, "getsockopt", ws_getsockopt(s, level, optname, optval, optlen))
int ps_ioctlsocket(ps_socket s, long cmd, unsigned long *argp)
    TRACED(int, INT, "ioctlsocket", ws_ioctlsocket(s, cmd, argp))
int ps_getsockname(ps_socket s, void *name, int *namelen)
    TRACED(int, INT, "getsockname", ws_getsockname(s, name, namelen))
int ps_getpeername(ps_socket s, void *name, int *namelen)
    TRACED(int, INT, "getpeername", ws_getpeername(s, name, namelen))
int ps_select(int nfds, ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
              const ps_timeval *timeout)
    TRACED(int, INT, "select", ws_select(nfds, readfds, writefds, exceptfds, timeout))
int ps_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms)
    TRACED(int, INT, "WSAPoll", ws_wsapoll(fds, nfds, timeout_ms))
int ps_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                   struct addrinfo **res)
    TRACED(int, CODE, "getaddrinfo", ws_getaddrinfo(node, service, hints, res))
int ps_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms)
    TRACED(int, INT, "connect", ws_connect_timeout(s, name, namelen, timeout_ms))
int ps_sendall(ps_socket s, const void *buf, size_t len, int flags, int timeout_ms, size_t *sent)
    TRACED_SENDALL(ws_sendall)
int ps_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
    TRACED_DRAIN(ws_drain)
ps_socket ps_wsasocket(int af, int type, int protocol, const void *protocol_info, uint32_t g,
                       uint32_t flags)
    TRACED(ps_socket, SOCKET, "WSASocketA", ws_wsasocket(af, type, protocol, protocol_info, g, flags))
ps_socket ps_wsasocketw(int af, int type, int protocol, const void *protocol_info, uint32_t g,
                        uint32_t flags)
    TRACED(ps_socket, SOCKET, "WSASocketW", ws_wsasocket(af, type, protocol, protocol_info, g, flags))
int ps_wsasend(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent, uint32_t flags,
               const void *overlapped, ps_wsa_completion completion)
    TRACED(int, INT, "WSASend", ws_wsasend(s, buffers, count, sent, flags, overlapped, completion))
int ps_wsasendto(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent,
                 uint32_t flags, const void *to, int tolen, const void *overlapped,
                 ps_wsa_completion completion)
    TRACED(int, INT, "WSASendTo",
           ws_wsasendto(s, buffers, count, sent, flags, to, tolen, overlapped, completion))
int ps_wsarecv(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
               uint32_t *flags, const void *overlapped, ps_wsa_completion completion)
    TRACED(int, INT, "WSARecv", ws_wsarecv(s, buffers, count, received, flags, overlapped, completion))
int ps_wsarecvfrom(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
                   uint32_t *flags, void *from, int *fromlen, const void *overlapped,
                   ps_wsa_completion completion)
    TRACED(int, INT, "WSARecvFrom",
           ws_wsarecvfrom(s, buffers, count, received, flags, from, fromlen, overlapped, completion))
int ps_wsasenddisconnect(ps_socket s, const ps_wsabuf *data)
    TRACED(int, INT, "WSASendDisconnect", ws_wsasenddisconnect(s, data))
int ps_wsarecvdisconnect(ps_socket s, ps_wsabuf *data)
    TRACED(int, INT, "WSARecvDisconnect", ws_wsarecvdisconnect(s, data))
int ps_wsaioctl(ps_socket s, uint32_t code, const void *in, uint32_t in_size, void *out,
                uint32_t out_size, uint32_t *returned, const void *overlapped,
                ps_wsa_completion completion)
    TRACED(int, INT, "WSAIoctl",
           ws_wsaioctl(s, code, in, in_size, out, out_size, returned, overlapped, completion))
ps_hostent *ps_gethostbyname(const char *name)
    TRACED(ps_hostent *, HOSTENT, "gethostbyname", ws_gethostbyname(name))
ps_hostent *ps_gethostbyaddr(const void *addr, int len, int type)
    TRACED(ps_hostent *, HOSTENT, "gethostbyaddr", ws_gethostbyaddr(addr, len, type))
int ps_gethostname(char *name, int namelen)
    TRACED(int, INT, "gethostname", ws_gethostname(name, namelen))
const char *ps_inet_ntoa(uint32_t in) TRACED(const char *, TEXT, "inet_ntoa", ws_inet_ntoa(in))
ps_servent *ps_getservbyname(const char *name, const char *proto)
    TRACED(ps_servent *, SERVENT, "getservbyname", ws_getservbyname(name, proto))
ps_servent *ps_getservbyport(int port, const char *proto)
    TRACED(ps_servent *, SERVENT, "getservbyport", ws_getservbyport(port, proto))
int ps_getnameinfo(const void *sa, int salen, char *host, uint32_t hostlen, char *serv,
                   uint32_t servlen, int flags)
    TRACED(int, CODE, "getnameinfo", ws_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags))
/* FormatMessageA, for the mirror                                            */

uint32_t ps_format_message(uint32_t flags, uint32_t message_id, uint32_t language_id, char *buffer,
                           uint32_t size)
{
    /* kernel32 would read a NULL source string or NULL arguments for a
       message's inserts: refused as the POSIX backend refuses them. */
    if ((flags & (FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_STRING)) || buffer == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (!(flags & FORMAT_MESSAGE_IGNORE_INSERTS)) {
        LPSTR text = NULL;
        DWORD n = FormatMessageA(flags | FORMAT_MESSAGE_IGNORE_INSERTS | FORMAT_MESSAGE_ALLOCATE_BUFFER, NULL,
                                 message_id, language_id, (LPSTR)&text, 0, NULL);
        int inserts = n != 0 && memchr(text, '%', n) != NULL;
        if (text != NULL)
            LocalFree(text);
        if (n == 0)
            return 0;
        if (inserts) {
            SetLastError(ERROR_INVALID_PARAMETER);
            return 0;
        }
    }
    return FormatMessageA(flags, NULL, message_id, language_id, buffer, size, NULL);
}

/* A handle's status                                                         */

int ps_handle_status(ps_socket s)
{
    int type = 0, optlen = (int)sizeof type, status = 0;
    int saved = WSAGetLastError();
    /* A real buffer and length: ws2_32 then judges the handle alone (with
       NULL pointers it may report WSAEFAULT first, which says nothing about
       the handle). SO_TYPE is readable on every socket. */
    if (getsockopt(SOCK(s), SOL_SOCKET, SO_TYPE, (char *)&type, &optlen) == SOCKET_ERROR) {
        int err = WSAGetLastError();
        if (err == WSANOTINITIALISED || err == WSAENOTSOCK)
            status = err;
    }
    WSASetLastError(saved);
    return status;
}
