/*
 * win32.c - the Windows backend.
 *
 * Windows is the reference that the POSIX backend imitates, so each mirrored
 * call goes straight to ws2_32 and whatever it returns is by definition right:
 * the pass-throughs check no argument and rewrite no error code (but one, a
 * Wine 8 code no Windows call gives: woken_by_close). The only logic
 * of our own is in the one-call paths at the end, which compose plain Winsock
 * calls and have no Winsock counterpart to defer to.
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
   contract (docs/api.md, SEMANTICS.md "closesocket(s) while another thread is
   blocked") is Windows': the call fails with WSAEINTR (MS docs, closesocket
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

int ps_startup(uint16_t version, ps_wsadata *data)
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

int ps_cleanup(void)
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

ps_socket ps_socket_open(int af, int type, int protocol)
{
    return (ps_socket)socket(af, type, protocol);
}

int ps_closesocket(ps_socket s)
{
    return closesocket(SOCK(s));
}

int ps_bind(ps_socket s, const void *name, int namelen)
{
    return bind(SOCK(s), (const struct sockaddr *)name, namelen);
}

int ps_listen(ps_socket s, int backlog)
{
    return listen(SOCK(s), backlog);
}

ps_socket ps_accept(ps_socket s, void *addr, int *addrlen)
{
    SOCKET a = accept(SOCK(s), (struct sockaddr *)addr, addrlen);
    if (a == INVALID_SOCKET)
        woken_by_close(SOCKET_ERROR);
    return (ps_socket)a;
}

int ps_connect(ps_socket s, const void *name, int namelen)
{
    return woken_by_close(connect(SOCK(s), (const struct sockaddr *)name, namelen));
}

int ps_send(ps_socket s, const void *buf, int len, int flags)
{
    return woken_by_close(send(SOCK(s), (const char *)buf, len, flags));
}

int ps_recv(ps_socket s, void *buf, int len, int flags)
{
    return woken_by_close(recv(SOCK(s), (char *)buf, len, flags));
}

int ps_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen)
{
    return woken_by_close(sendto(SOCK(s), (const char *)buf, len, flags, (const struct sockaddr *)to, tolen));
}

int ps_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen)
{
    return woken_by_close(recvfrom(SOCK(s), (char *)buf, len, flags, (struct sockaddr *)from, fromlen));
}

int ps_shutdown(ps_socket s, int how)
{
    return shutdown(SOCK(s), how);
}

int ps_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen)
{
    return setsockopt(SOCK(s), level, optname, (const char *)optval, optlen);
}

int ps_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen)
{
    return getsockopt(SOCK(s), level, optname, (char *)optval, optlen);
}

int ps_ioctlsocket(ps_socket s, long cmd, unsigned long *argp)
{
    return ioctlsocket(SOCK(s), cmd, argp);
}

int ps_getsockname(ps_socket s, void *name, int *namelen)
{
    return getsockname(SOCK(s), (struct sockaddr *)name, namelen);
}

int ps_getpeername(ps_socket s, void *name, int *namelen)
{
    return getpeername(SOCK(s), (struct sockaddr *)name, namelen);
}

/* ---- waiting on several sockets ------------------------------------------ */

int ps_select(int nfds, ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
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

int ps_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms)
{
    return WSAPoll((WSAPOLLFD *)fds, nfds, timeout_ms);
}

/* ---- names --------------------------------------------------------------- */

int ps_getaddrinfo(const char *node, const char *service,
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
static deadline_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? PS_NO_DEADLINE : (deadline_t)GetTickCount64() + timeout_ms;
}

enum ready_for { READY_READ, READY_WRITE, READY_CONNECT };

/* Waits until s is ready or the deadline passes. Returns 0 when ready, else
   the Winsock code: WSAETIMEDOUT, or select's error. */
static int wait_ready(SOCKET s, enum ready_for what, deadline_t deadline)
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

int ps_sendall(ps_socket s, const void *buf, size_t len, int flags,
               int timeout_ms, size_t *sent)
{
    const char *p = (const char *)buf;
    size_t done = 0, ignored;
    int err = 0;
    deadline_t deadline = len > 0 ? deadline_after(timeout_ms) : PS_NO_DEADLINE;

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
        err = wait_ready(SOCK(s), READY_WRITE, deadline);
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
            err = wait_ready(s, READY_READ, deadline);
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

int ps_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    size_t ignored;
    int rc;

    if (received == NULL)
        received = &ignored;
    *received = 0;
    if (buf == NULL && cap != 0)
        return fail_with(WSAEFAULT);
    rc = drain_to(SOCK(s), (char *)buf, cap, received, deadline_after(timeout_ms));
    return rc < 0 ? fail_with(-rc) : rc;
}

/* Closes s after a failure, keeping the failure's code as the last error. */
static int close_after_failure(SOCKET s, int err)
{
    /* WSAENOTSOCK means s is no socket of ours: closing that value could
       close a handle that another thread has just been given. */
    if (err != WSAENOTSOCK)
        closesocket(s);
    return fail_with(err);
}

int ps_disconnect(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    size_t ignored;
    deadline_t deadline = deadline_after(timeout_ms);
    int rc;

    if (received == NULL)
        received = &ignored;
    *received = 0;
    if (buf == NULL && cap != 0)
        return close_after_failure(SOCK(s), WSAEFAULT);

    if (shutdown(SOCK(s), SD_SEND) == SOCKET_ERROR)
        return close_after_failure(SOCK(s), WSAGetLastError());
    rc = drain_to(SOCK(s), (char *)buf, cap, received, deadline);
    if (rc == 1)
        return 1;
    if (rc < 0)
        return close_after_failure(SOCK(s), -rc);
    return closesocket(SOCK(s));
}

int ps_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms)
{
    const struct sockaddr *addr = (const struct sockaddr *)name;
    deadline_t deadline = deadline_after(timeout_ms);
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
            err = wait_ready(SOCK(s), READY_CONNECT, deadline);
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
