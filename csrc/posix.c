/*
 * posix.c - the Winsock rules on Linux and macOS: return values, error codes
 * and state rules (docs/porting.md, sections 6 and 7), and the I/O loops that
 * apply them.
 *
 * The handle table and a socket's lifetime live in posix_handles.c; blocking,
 * deadlines, waking and signals in posix_wait.c. The I/O loops here follow one
 * shape:
 *
 *     for (;;) {
 *         n = the system call;            (MSG_DONTWAIT when it must not sleep)
 *         if it worked: return n;
 *         code = io_failed(...);          EINTR: retry, or stop for a signal;
 *         if (code == 0) continue;        EAGAIN: ps_wait_ready, then retry
 *         return -code;
 *     }
 *
 * No exported function changes errno: each is a wrapper, at the end of this
 * file, that keeps the caller's errno around the function doing the work.
 */
#include "posix_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* ------------------------------------------------------------------------ */
/* Per-thread last error                                                     */

_Thread_local int ps_thread_last_error;

int ps_last_error(void) { return ps_thread_last_error; }
void ps_set_last_error(int code) { ps_thread_last_error = code; }

int ps_fail(int code)
{
    ps_thread_last_error = code;
    return PS_SOCKET_ERROR;
}

int ps_ok(int ret)
{
    ps_thread_last_error = 0;
    return ret;
}

static ps_socket fail_socket(int code)
{
    ps_thread_last_error = code;
    return PS_INVALID_SOCKET;
}

/* ------------------------------------------------------------------------ */
/* Startup and cleanup                                                       */

static int ws_startup(uint16_t version, ps_wsadata *data)
{
    unsigned major = version & 0xff, minor = version >> 8;
    uint16_t granted;

    if (data != NULL) {
        memset(data, 0, sizeof *data);
        data->wVersion = 0x0202;
        data->wHighVersion = 0x0202;
        strcpy(data->szDescription, "WinSock 2.0");
        strcpy(data->szSystemStatus, "Running");
    }
    if (major == 0)
        return PS_WSAVERNOTSUPPORTED;
    if (data == NULL)
        return PS_WSAEFAULT;
    if (major == 1)
        granted = minor == 0 ? 0x0001 : 0x0101;
    else if (major == 2 && minor <= 2)
        granted = version;
    else
        granted = 0x0202;
    data->wVersion = granted;
    if (major < 2) {
        data->iMaxSockets = 32767;
        data->iMaxUdpDg = 65467;
    }
    ps_count_startup();
    return 0;
}

static int ws_cleanup(void)
{
    int code = ps_count_cleanup();
    return code ? ps_fail(code) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* The kernel side of a socket                                               */

/* A blocking Winsock socket is blocking in the kernel, a non-blocking one
   (FIONBIO) non-blocking: see the top of posix_wait.c. */
static int new_socket_fd(int af, int type, int protocol)
{
#ifdef PS_HAVE_SOCK_FLAGS
    return socket(af, type | SOCK_CLOEXEC, protocol);
#else
    int fd = socket(af, type, protocol);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#endif
}

static int accept_fd(int fd, struct sockaddr *addr, socklen_t *len, int nonblocking)
{
#ifdef PS_HAVE_SOCK_FLAGS
    return accept4(fd, addr, len, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
#else
    int c = accept(fd, addr, len);
    if (c >= 0) {
        int one = 1;
        fcntl(c, F_SETFD, FD_CLOEXEC);
        if (nonblocking)
            ioctl(c, FIONBIO, &one);
    }
    return c;
#endif
}

/* Sets the fd's O_NONBLOCK; 0 or the Winsock code. An inherited socket's is
   the parent's too, so it is never changed (MSG_DONTWAIT and poll serve). */
static int kernel_nonblocking(struct slot *sl, int on)
{
    if (has_flag(sl, F_INHERITED))
        return 0;
    return ioctl(sl->fd, FIONBIO, &on) == 0 ? 0 : ps_wsa_from_errno(errno);
}

/* No call may raise SIGPIPE: every send passes PS_MSG_NOSIGNAL, and where the
   system has SO_NOSIGPIPE instead (macOS), the socket's option is set once,
   here. */
static void no_sigpipe(int fd)
{
#ifdef PS_HAVE_SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#else
    (void)fd;
#endif
}

/* ------------------------------------------------------------------------ */
/* Creating and closing sockets                                              */

/* Winsock's choice of a provider for (af, type, protocol), 0 meaning "any":
   the Winsock code when none fits, else 0 with *type filled in. Linux would
   accept more (AF_UNSPEC, IPPROTO_ICMP datagrams, SOCK_SEQPACKET) and reject
   type 0. The order of the checks is Winsock's: Wine 8.0, whose WSASocketW is
   fitted to conformance tests that pass on Windows, gives the same code for
   every af x type x protocol of {UNSPEC, INET, INET6, 12345, -1} x {0, STREAM,
   DGRAM, 999, -1} x {0, TCP, UDP, 999, -1}. */
static int winsock_provider(int *af, int *type, int protocol)
{
    int known_type = *type == SOCK_STREAM || *type == SOCK_DGRAM || *type == SOCK_RAW;
    int known_proto = protocol == 0 || protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
                      (*type == SOCK_RAW && protocol > 0 && protocol < 256);
    int unspec = *af == AF_UNSPEC, want;

    if (!known_proto)
        return *type != 0 && !known_type ? PS_WSAESOCKTNOSUPPORT : PS_WSAEPROTONOSUPPORT;
    if (unspec && protocol == 0)
        return PS_WSAEINVAL;        /* no family and no protocol to pick one by */
    if (*af != AF_INET && *af != AF_INET6 && *af != AF_UNSPEC)
        return *af >= 0 && !known_type ? PS_WSAESOCKTNOSUPPORT : PS_WSAEAFNOSUPPORT;
    if (*type != 0 && !known_type)
        return PS_WSAESOCKTNOSUPPORT;
    if (unspec)
        *af = AF_INET;              /* the protocol decides; TCP and UDP mean IPv4 */
    if (*type == SOCK_RAW)
        return 0;                   /* the kernel judges the protocol */
    want = protocol == IPPROTO_UDP ? SOCK_DGRAM : protocol == IPPROTO_TCP ? SOCK_STREAM : 0;
    if (*type == 0)
        *type = want ? want : SOCK_STREAM;
    else if (want && want != *type)
        /* A protocol of another type: no provider has the pair, and without
           a family none has the family either. */
        return unspec ? PS_WSAEAFNOSUPPORT : PS_WSAEPROTONOSUPPORT;
    return 0;
}

ps_socket ps_ws_socket(int af, int type, int protocol)
{
    int fd, code;
    ps_socket h;
    if (!ps_started())
        return fail_socket(PS_WSANOTINITIALISED);
    code = winsock_provider(&af, &type, protocol);
    if (code != 0)
        return fail_socket(code);
    fd = new_socket_fd(af, type, protocol);
    if (fd < 0) {
        int e = errno;
        return fail_socket(e == EINVAL || e == EPROTONOSUPPORT ? PS_WSAEPROTONOSUPPORT
                                                               : ps_wsa_from_errno(e));
    }
    no_sigpipe(fd);
    h = ps_register(fd, type, 0, 0, 0, NULL);
    if (h == PS_INVALID_SOCKET)
        close(fd);
    else
        ps_thread_last_error = 0;
    return h;
}

static int ws_closesocket(ps_socket s)
{
    int code;
    if (!ps_started())
        return ps_fail(PS_WSANOTINITIALISED);
    code = ps_close_handle(s);
    return code ? ps_fail(code) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* Connection state                                                          */

/* Whether the socket has a peer; a non-blocking connect that has since
   completed is noticed here. */
int ps_is_connected(struct slot *sl)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (has_flag(sl, F_CONNECTED))
        return 1;
    if (has_flag(sl, F_CONNECTING) && getpeername(sl->fd, (struct sockaddr *)&ss, &len) == 0) {
        set_flag(sl, F_CONNECTED);
        clear_flag(sl, F_CONNECTING);
        return 1;
    }
    return 0;
}

/* The Winsock code for a failed send: EPIPE never escapes. */
static int send_error(struct slot *sl, int err)
{
    /* macOS's send can say EPROTOTYPE while the peer tears the connection
       down (xnu, see docs/platforms.md); it means what EPIPE means. Linux's
       send never returns it. */
    if (err == EPROTOTYPE)
        err = EPIPE;
    if (err == EPIPE) {
        if (has_flag(sl, F_SHUT_SEND))
            return PS_WSAESHUTDOWN;
        set_flag(sl, F_RESET);
        return PS_WSAECONNRESET;
    }
    if (err == ECONNRESET) {
        set_flag(sl, F_RESET);
        return PS_WSAECONNRESET;
    }
    if (err == EDESTADDRREQ)
        return PS_WSAENOTCONN;   /* an unconnected datagram socket */
    return ps_wsa_from_errno(err);
}

static int recv_error(struct slot *sl, int err)
{
    if (err == ECONNRESET)
        set_flag(sl, F_RESET);
    return ps_wsa_from_errno(err);
}

/* ------------------------------------------------------------------------ */
/* One blocking attempt after another                                        */

/* The state of one call's attempts: its deadline, and whether an attempt
   must not sleep in the kernel (MSG_DONTWAIT). */
struct attempt {
    deadline_t deadline;
    int dontwait;
};

/* A call's attempts. The deadline is the caller's (a one-call path's own
   timeout, which alone counts, as on the Windows backend, where select waits
   and no SO_RCVTIMEO/SO_SNDTIMEO shortens it) or else the socket's timeout
   (timeo: ms, 0 for none). A blocking call without either sleeps in the
   kernel; every other waits in poll first (posix_wait.c). */
static void attempt_begin(struct attempt *a, struct slot *sl, unsigned timeo, deadline_t caller)
{
    a->deadline = caller != PS_NO_DEADLINE ? caller : timeo ? ps_now_ms() + timeo : PS_NO_DEADLINE;
    a->dontwait = a->deadline != PS_NO_DEADLINE || has_flag(sl, F_NONBLOCK) ||
                  has_flag(sl, F_INHERITED) ? MSG_DONTWAIT : 0;
}

/* After an attempt failed with err: 0 to make another (interrupted and to go
   on, or the socket became ready), else the Winsock code to report. */
static int attempt_failed(struct attempt *a, struct slot *sl, int err, enum ready_for what,
                          int (*to_wsa)(struct slot *, int))
{
    if (err == EINTR)
        return ps_after_eintr(sl);
    if (err == EAGAIN || err == EWOULDBLOCK) {
        if (has_flag(sl, F_NONBLOCK))
            return PS_WSAEWOULDBLOCK;
        /* A blocking socket's attempt fails so only with MSG_DONTWAIT, or
           when its fd was made non-blocking behind the core's back: either
           way, wait, and make the next attempts without sleeping. */
        a->dontwait = MSG_DONTWAIT;
        return ps_wait_ready(sl, what, a->deadline);
    }
    /* A failure after closesocket in another thread is what its wake-up did
       to the call (posix_wait.c). */
    if (ps_closing(sl))
        return PS_WSAEINTR;
    return to_wsa(sl, err);
}

/* ------------------------------------------------------------------------ */
/* bind, listen, accept                                                      */

static int ws_bind(ps_socket s, const void *name, int namelen)
{
    struct slot *sl = ps_acquire(s);
    int ret;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (name == NULL || namelen < (int)sizeof(struct sockaddr_in)) {
        ps_release(sl);
        return ps_fail(PS_WSAEFAULT);
    }
    ret = bind(sl->fd, (const struct sockaddr *)name, (socklen_t)namelen);
    ret = ret == 0 ? ps_ok(0) : ps_fail(errno == EAFNOSUPPORT ? PS_WSAEFAULT : ps_wsa_from_errno(errno));
    ps_release(sl);
    return ret;
}

/* Whether a local name is a bound one: an unbound socket's port is 0. */
static int name_is_bound(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_port != 0;
    if (ss->ss_family == AF_INET6)
        return ((const struct sockaddr_in6 *)ss)->sin6_port != 0;
    return 0;
}

int ps_is_bound(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    return name_is_bound(&ss);
}

static int ws_listen(ps_socket s, int backlog)
{
    struct slot *sl = ps_acquire(s);
    int ret;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (ps_is_connected(sl))
        ret = ps_fail(PS_WSAEISCONN);
    else if (sl->type != SOCK_STREAM)
        ret = ps_fail(PS_WSAEOPNOTSUPP);
    else if (!ps_is_bound(sl->fd))
        ret = ps_fail(PS_WSAEINVAL);   /* POSIX would bind an ephemeral port */
    else if (listen(sl->fd, backlog < 0 ? 0 : backlog) != 0)
        ret = ps_fail(ps_wsa_from_errno(errno));
    else {
        set_flag(sl, F_LISTENING);
        ret = ps_ok(0);
    }
    ps_release(sl);
    return ret;
}

/* A connection reset before accept took it: Winsock waits for the next. */
static int accept_error(struct slot *sl, int err)
{
    (void)sl;
    return err == ECONNABORTED ? 0 : ps_wsa_from_errno(err);
}

static ps_socket ws_accept(ps_socket s, void *addr, int *addrlen)
{
    struct slot *sl = ps_acquire(s);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    struct attempt a;
    int fd = -1, code = 0, nonblocking;
    ps_socket h;

    if (!sl)
        return PS_INVALID_SOCKET;
    if (addr != NULL && (addrlen == NULL || *addrlen < (int)sizeof(struct sockaddr_in)))
        code = PS_WSAEFAULT;
    else if (!has_flag(sl, F_LISTENING))
        code = PS_WSAEINVAL;
    /* accept has no timeout in Winsock (SO_RCVTIMEO is for receiving). */
    attempt_begin(&a, sl, 0, PS_NO_DEADLINE);
    nonblocking = has_flag(sl, F_NONBLOCK);
    while (code == 0) {
        /* accept takes no MSG_DONTWAIT: where it must not sleep in the
           kernel, where no shutdown could wake it, it looks first. */
        if (ps_waits_in_slices(sl)) {
            code = ps_wait_ready(sl, READY_READ, nonblocking ? ps_now_ms() : PS_NO_DEADLINE);
            if (code != 0) {
                code = code == PS_WSAETIMEDOUT ? PS_WSAEWOULDBLOCK : code;
                break;
            }
        }
        len = sizeof ss;
        fd = accept_fd(sl->fd, (struct sockaddr *)&ss, &len, nonblocking);
        if (fd >= 0)
            break;
        code = attempt_failed(&a, sl, errno, READY_READ, accept_error);
    }
    if (code != 0) {
        ps_release(sl);
        return fail_socket(code);
    }
    no_sigpipe(fd);
    /* Winsock's accepted socket inherits the listening socket's properties. */
    h = ps_register(fd, sl->type, F_CONNECTED | (nonblocking ? F_NONBLOCK : 0),
                    atomic_load(&sl->rcvtimeo), atomic_load(&sl->sndtimeo), sl);
    ps_release(sl);
    if (h == PS_INVALID_SOCKET) {
        close(fd);   /* the caller never saw it: the peer gets a reset */
        return PS_INVALID_SOCKET;
    }
    if (addr != NULL) {
        int n = (int)len < *addrlen ? (int)len : *addrlen;
        memcpy(addr, &ss, (size_t)n);
        *addrlen = (int)len;
    }
    ps_thread_last_error = 0;
    return h;
}

/* ------------------------------------------------------------------------ */
/* connect                                                                   */

/* Waits for a connect under way to finish; returns 0 or the Winsock code.
   F_CONNECTING stays set only when a signal stopped the wait: a blocking
   connect called again then takes the wait up where it was left. */
static int finish_connect(struct slot *sl, deadline_t deadline)
{
    int err = 0, code;
    short revents = 0;
    socklen_t len = sizeof err;
    code = ps_wait_ready_events(sl, READY_CONNECT, deadline, &revents);
    if (code == PS_WSAEINTR && !ps_closing(sl))
        return code;
    clear_flag(sl, F_CONNECTING);
    if (code != 0)
        return code;
    if (revents == POLLOUT)
        return 0;   /* writable and nothing wrong: connected, SO_ERROR is 0 */
    if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return ps_wsa_from_errno(errno);
    if (err == ECONNRESET || err == EPIPE) {
        /* The handshake completed and the peer reset right after, before we
           looked: Winsock's connect succeeds and the next call sees the reset. */
        set_flag(sl, F_RESET);
        return 0;
    }
    return err ? ps_wsa_from_errno(err) : 0;
}

/* A connect under way, from the system call to its outcome. */
static int connect_steps(struct slot *sl, const void *name, int namelen, deadline_t deadline)
{
    int err, code, timed;
    if (has_flag(sl, F_CONNECTING)) {
        if (has_flag(sl, F_NONBLOCK))
            return PS_WSAEALREADY;
        return finish_connect(sl, deadline);   /* one that a signal interrupted */
    }
    atomic_store(&sl->so_error, 0);
    /* With a deadline, the blocking connect is made non-blocking for the
       call (an inherited socket cannot be: it sleeps in the kernel). */
    timed = deadline != PS_NO_DEADLINE && !has_flag(sl, F_NONBLOCK) && !has_flag(sl, F_INHERITED);
    if (timed && (code = kernel_nonblocking(sl, 1)) != 0)
        return code;
    err = connect(sl->fd, (const struct sockaddr *)name, (socklen_t)namelen) == 0 ? 0 : errno;
    if (err == 0)
        code = 0;
    else if (err == EINPROGRESS || err == EINTR) {
        /* Started (non-blocking), or interrupted by a signal, in which case
           the kernel goes on connecting: either way it is under way. */
        set_flag(sl, F_CONNECTING);
        code = has_flag(sl, F_NONBLOCK) ? PS_WSAEWOULDBLOCK : err == EINTR ? ps_after_eintr(sl) : 0;
        if (code == 0)
            code = finish_connect(sl, deadline);
    } else
        code = ps_closing(sl) ? PS_WSAEINTR : ps_wsa_from_errno(err);
    if (timed) {
        int restore = kernel_nonblocking(sl, 0);
        if (code == 0)
            code = restore;
    }
    return code;
}

static int connect_slot(struct slot *sl, const void *name, int namelen, deadline_t deadline)
{
    int code;
    if (name == NULL || namelen < (int)sizeof(struct sockaddr_in))
        return PS_WSAEFAULT;
    if (has_flag(sl, F_LISTENING))
        return PS_WSAEINVAL;
    if (sl->type == SOCK_STREAM && ps_is_connected(sl))
        return PS_WSAEISCONN;
    /* The one call a closesocket's shutdown cannot stop before it starts: a
       connect begun after it would run afresh. So the connect counts itself
       in in_connect before it looks at the closing mark, and closesocket sets
       the mark before it looks at in_connect (both sequentially consistent):
       either this call sees the mark, or closesocket sees the call and shuts
       the socket down again until it has ended (ps_wake_blocked). */
    atomic_fetch_add(&sl->in_connect, 1);
    code = ps_closing(sl) ? PS_WSAEINTR : connect_steps(sl, name, namelen, deadline);
    atomic_fetch_sub(&sl->in_connect, 1);
    if (code == 0)
        set_flag(sl, F_CONNECTED);
    return code;
}

static int ws_connect(ps_socket s, const void *name, int namelen)
{
    struct slot *sl = ps_acquire(s);
    int code;
    if (!sl)
        return PS_SOCKET_ERROR;
    code = connect_slot(sl, name, namelen, PS_NO_DEADLINE);
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

static int ws_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms)
{
    struct slot *sl = ps_acquire(s);
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (has_flag(sl, F_NONBLOCK)) {
        code = kernel_nonblocking(sl, 0);
        if (code == 0)
            clear_flag(sl, F_NONBLOCK);
    }
    if (code == 0)
        code = connect_slot(sl, name, namelen, ps_deadline_after(timeout_ms));
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* Sending and receiving                                                     */

int ps_check_send(struct slot *sl, const void *buf, int len)
{
    if (len < 0 || (buf == NULL && len > 0))
        return PS_WSAEFAULT;
    if (has_flag(sl, F_SHUT_SEND))
        return PS_WSAESHUTDOWN;
    if (has_flag(sl, F_RESET))
        return PS_WSAECONNRESET;
    if (has_flag(sl, F_LISTENING))
        return PS_WSAENOTCONN;
    return 0;
}

/* The iovecs past the first n bytes. They are the call's own copy, so the
   entry cut in the middle is cut in place. */
static void iov_advance(struct iovec **iov, int *iovcnt, size_t n)
{
    while (*iovcnt > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*iovcnt)--;
    }
    if (*iovcnt > 0 && n > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

size_t ps_iov_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    int i;
    for (i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    return total;
}

/* One system call's worth of iovecs: the system takes at most IOV_MAX. */
static int iov_batch(int iovcnt)
{
    return iovcnt > IOV_MAX ? IOV_MAX : iovcnt;
}

/* Sends the bytes of iov, as a blocking Winsock send does (all of them,
   unless the socket is non-blocking). Returns 0 or the Winsock code of what
   stopped it; *sent counts the bytes that went out either way. One buffer
   goes out with send or sendto, several with sendmsg (WSASend's gather). */
int ps_send_iov(struct slot *sl, struct iovec *iov, int iovcnt, int flags,
             const struct sockaddr *to, socklen_t tolen, deadline_t caller_deadline, size_t *sent)
{
    size_t done = 0, len = ps_iov_total(iov, iovcnt);
    int code = 0;
    struct attempt a;
    attempt_begin(&a, sl, atomic_load_explicit(&sl->sndtimeo, memory_order_relaxed), caller_deadline);
    for (;;) {
        ssize_t n;
        int f = flags | PS_MSG_NOSIGNAL | a.dontwait;
        if (iovcnt > 1) {
            struct msghdr msg;
            memset(&msg, 0, sizeof msg);
            msg.msg_name = (void *)to;
            msg.msg_namelen = to ? tolen : 0;
            msg.msg_iov = iov;
            msg.msg_iovlen = iov_batch(iovcnt);
            n = sendmsg(sl->fd, &msg, f);
        } else {
            /* send(s, NULL, 0, 0) is valid: an empty iov is a NULL buffer. */
            const char *p = iovcnt == 1 ? (const char *)iov->iov_base : NULL;
            size_t left = iovcnt == 1 ? iov->iov_len : 0;
            if (to)
                n = sendto(sl->fd, p, left, f, to, tolen);
            else
                n = send(sl->fd, p, left, f);
        }
        if (n >= 0) {
            done += (size_t)n;
            iov_advance(&iov, &iovcnt, (size_t)n);
            if (done == len || sl->type != SOCK_STREAM || has_flag(sl, F_NONBLOCK))
                break;
            if (a.dontwait)
                continue;
            /* A send sleeping in the kernel stops short only for a signal (the
               kernel says EINTR only when nothing went out yet), or at the end
               of a batch of IOV_MAX buffers: either way, the signal decides. */
            code = ps_after_eintr(sl);
        } else
            code = attempt_failed(&a, sl, errno, READY_WRITE, send_error);
        if (code != 0)
            break;
    }
    *sent = done;
    return code;
}

/* ps_send_iov of one buffer. */
static int send_some(struct slot *sl, const void *buf, size_t len, int flags,
                     const struct sockaddr *to, socklen_t tolen, deadline_t caller_deadline,
                     size_t *sent)
{
    struct iovec one;
    one.iov_base = (void *)buf;
    one.iov_len = len;
    return ps_send_iov(sl, &one, 1, flags, to, tolen, caller_deadline, sent);
}

int ps_valid_send_flags(int flags)
{
    return (flags & ~(MSG_OOB | MSG_DONTROUTE)) == 0;
}

int ps_valid_recv_flags(int flags)
{
    return (flags & ~(MSG_OOB | MSG_PEEK | MSG_WAITALL)) == 0;
}

static int ws_send(ps_socket s, const void *buf, int len, int flags)
{
    struct slot *sl = ps_acquire(s);
    size_t sent = 0;
    int code;
    if (!sl)
        return PS_SOCKET_ERROR;
    code = ps_check_send(sl, buf, len);
    if (code == 0 && !ps_valid_send_flags(flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && sl->type == SOCK_STREAM && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code != 0) {
        ps_release(sl);
        return ps_fail(code);
    }
    code = send_some(sl, buf, (size_t)len, flags, NULL, 0, PS_NO_DEADLINE, &sent);
    ps_release(sl);
    /* Bytes that went out are reported, never lost in an error. */
    return sent > 0 || code == 0 ? ps_ok((int)sent) : ps_fail(code);
}

static int ws_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen)
{
    struct slot *sl = ps_acquire(s);
    size_t sent = 0;
    int code;
    if (!sl)
        return PS_SOCKET_ERROR;
    code = ps_check_send(sl, buf, len);
    if (code == 0 && !ps_valid_send_flags(flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && to != NULL && tolen < (int)sizeof(struct sockaddr_in))
        code = PS_WSAEFAULT;
    if (code != 0) {
        ps_release(sl);
        return ps_fail(code);
    }
    /* On a connected TCP socket Winsock ignores the address, as send would. */
    if (sl->type == SOCK_STREAM)
        to = NULL;
    if (to == NULL && sl->type == SOCK_STREAM && !ps_is_connected(sl)) {
        ps_release(sl);
        return ps_fail(PS_WSAENOTCONN);
    }
    code = send_some(sl, buf, (size_t)len, flags, (const struct sockaddr *)to, (socklen_t)tolen,
                     PS_NO_DEADLINE, &sent);
    ps_release(sl);
    return sent > 0 || code == 0 ? ps_ok((int)sent) : ps_fail(code);
}

int ps_check_recv(struct slot *sl, const void *buf, int len)
{
    if (len < 0 || (buf == NULL && len > 0))
        return PS_WSAEFAULT;
    if (has_flag(sl, F_SHUT_RECV))
        return PS_WSAESHUTDOWN;   /* on every call: POSIX would return 0 */
    if (has_flag(sl, F_RESET))
        return PS_WSAECONNRESET;
    if (has_flag(sl, F_LISTENING))
        return PS_WSAENOTCONN;
    return 0;
}

/* recvmsg into iov: one datagram, or what a stream has for WSARecv's
   scatter. A datagram's truncation shows: Winsock fills the buffers with the
   start of a datagram too long for them and fails with WSAEMSGSIZE, where
   POSIX returns the truncated length as a success. */
static ssize_t recv_vector(int fd, struct iovec *iov, int iovcnt, int flags,
                           struct sockaddr *from, socklen_t *fromlen, int *truncated)
{
    struct msghdr msg;
    ssize_t n;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = from;
    msg.msg_namelen = from ? *fromlen : 0;
    msg.msg_iov = iov;
    msg.msg_iovlen = iov_batch(iovcnt);
    n = recvmsg(fd, &msg, flags);
    if (n >= 0) {
        if (from)
            *fromlen = msg.msg_namelen;
        *truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
}

/* Receives into iov as a blocking Winsock recv does; MSG_WAITALL fills the
   buffers (looped here, so that a signal or a deadline between the pieces
   is handled as for any other wait). Returns bytes (0 at the peer's FIN), or
   -code. One stream buffer is read with recv or recvfrom, several with
   recvmsg (WSARecv's scatter); a datagram always with recvmsg. */
ssize_t ps_recv_iov(struct slot *sl, struct iovec *iov, int iovcnt, int flags,
                 struct sockaddr *from, socklen_t *fromlen, deadline_t caller_deadline)
{
    size_t done = 0, len = ps_iov_total(iov, iovcnt);
    int waitall = (flags & MSG_WAITALL) != 0;
    struct attempt a;
    attempt_begin(&a, sl, atomic_load_explicit(&sl->rcvtimeo, memory_order_relaxed), caller_deadline);
    flags &= ~MSG_WAITALL;
    for (;;) {
        ssize_t n;
        int code, f = flags | a.dontwait, truncated = 0;
        if (sl->type != SOCK_STREAM) {
            n = recv_vector(sl->fd, iov, iovcnt, f, from, fromlen, &truncated);
            if (n >= 0 && truncated)
                return -(ssize_t)PS_WSAEMSGSIZE;
        } else if (len == 0) {
            /* Winsock's zero-length recv on a stream waits until there is
               something to read (data, the FIN, an error) and returns 0
               without consuming it; POSIX returns 0 at once, which a Winsock
               program would take for the peer's FIN. */
            char peek;
            n = recv(sl->fd, &peek, 1, f | MSG_PEEK);
            if (n > 0)
                n = 0;
        } else if (iovcnt > 1)
            n = recv_vector(sl->fd, iov, iovcnt, f, from, fromlen, &truncated);
        else if (from)
            n = recvfrom(sl->fd, iov->iov_base, iov->iov_len, f, from, fromlen);
        else
            n = recv(sl->fd, iov->iov_base, iov->iov_len, f);
        if (n > 0 && waitall && sl->type == SOCK_STREAM && done + (size_t)n < len) {
            done += (size_t)n;
            iov_advance(&iov, &iovcnt, (size_t)n);
            continue;
        }
        if (n > 0 || (n == 0 && !ps_closing(sl)))
            return (ssize_t)(done + (size_t)n);
        /* 0 on a closing socket is the end of the stream its wake-up made. */
        code = n == 0 ? PS_WSAEINTR : attempt_failed(&a, sl, errno, READY_READ, recv_error);
        if (code == 0)
            continue;
        return done > 0 ? (ssize_t)done : -(ssize_t)code;
    }
}

/* ps_recv_iov of one buffer. */
static ssize_t recv_some(struct slot *sl, void *buf, size_t len, int flags,
                         struct sockaddr *from, socklen_t *fromlen, deadline_t caller_deadline)
{
    struct iovec one;
    one.iov_base = buf;
    one.iov_len = len;
    return ps_recv_iov(sl, &one, 1, flags, from, fromlen, caller_deadline);
}

static int ws_recv(ps_socket s, void *buf, int len, int flags)
{
    struct slot *sl = ps_acquire(s);
    ssize_t n;
    int code;
    if (!sl)
        return PS_SOCKET_ERROR;
    code = ps_check_recv(sl, buf, len);
    if (code == 0 && !ps_valid_recv_flags(flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && sl->type == SOCK_STREAM && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code != 0) {
        ps_release(sl);
        return ps_fail(code);
    }
    n = recv_some(sl, buf, (size_t)len, flags, NULL, NULL, PS_NO_DEADLINE);
    ps_release(sl);
    return n >= 0 ? ps_ok((int)n) : ps_fail((int)-n);
}

static int ws_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen)
{
    struct slot *sl = ps_acquire(s);
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    ssize_t n;
    int code;
    if (!sl)
        return PS_SOCKET_ERROR;
    /* A datagram socket shut for receiving fails here with WSAESHUTDOWN, as on
       Windows, bound or not (ps_check_recv comes before the bound check). */
    code = ps_check_recv(sl, buf, len);
    if (code == 0 && !ps_valid_recv_flags(flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && from != NULL && (fromlen == NULL || *fromlen < (int)sizeof(struct sockaddr_in)))
        code = PS_WSAEFAULT;
    if (code == 0 && sl->type == SOCK_STREAM && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code == 0 && sl->type == SOCK_DGRAM && !ps_is_bound(sl->fd))
        code = PS_WSAEINVAL;
    if (code != 0) {
        ps_release(sl);
        return ps_fail(code);
    }
    n = recv_some(sl, buf, (size_t)len, flags, (struct sockaddr *)&ss, &sslen, PS_NO_DEADLINE);
    ps_release(sl);
    if (n < 0)
        return ps_fail((int)-n);
    if (from != NULL) {
        int copy = (int)sslen < *fromlen ? (int)sslen : *fromlen;
        memcpy(from, &ss, (size_t)copy);
        *fromlen = (int)sslen;
    }
    return ps_ok((int)n);
}

/* ------------------------------------------------------------------------ */
/* shutdown                                                                  */

int ps_ws_shutdown(ps_socket s, int how)
{
    struct slot *sl = ps_acquire(s);
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (how != PS_SD_RECEIVE && how != PS_SD_SEND && how != PS_SD_BOTH)
        code = PS_WSAEINVAL;
    else if (sl->type == SOCK_STREAM && (has_flag(sl, F_LISTENING) || !ps_is_connected(sl)))
        code = PS_WSAENOTCONN;   /* POSIX accepts a listener: Windows does not */
    else if (sl->type == SOCK_STREAM && how != PS_SD_RECEIVE &&
             shutdown(sl->fd, SHUT_WR) != 0 && errno != ENOTCONN)
        /* After the peer's reset the kernel says ENOTCONN; Winsock still
           records the shutdown and returns 0. */
        code = ps_wsa_from_errno(errno);
    if (code == 0) {
        /* SD_RECEIVE is bookkeeping only: SHUT_RD would make recv return 0
           where Winsock says WSAESHUTDOWN, and would wake a recv blocked in
           another thread, which Windows does not. */
        if (how != PS_SD_SEND)
            set_flag(sl, F_SHUT_RECV);
        if (how != PS_SD_RECEIVE)
            set_flag(sl, F_SHUT_SEND);
    }
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* Options and ioctls                                                        */

/* Winsock's LINGER: two u_short, 4 bytes. */
struct winsock_linger {
    unsigned short l_onoff;
    unsigned short l_linger;
};

static int read_dword(const void *optval, int optlen, unsigned *out)
{
    uint32_t v = 0;
    if (optlen < (int)sizeof v)
        return PS_WSAEFAULT;
    memcpy(&v, optval, sizeof v);
    *out = v;
    return 0;
}

/* Winsock knows the option levels of its providers only: any other level is
   WSAEINVAL for setsockopt and getsockopt alike (Wine 8.0, whose ws2_32 is
   fitted to tests that pass on Windows, says so for levels 12345, -1 and
   0x7fffffff). Linux would pass it to the protocol, which answers ENOPROTOOPT
   or EOPNOTSUPP. */
static int known_level(int level)
{
    return level == SOL_SOCKET || level == IPPROTO_IP || level == IPPROTO_IPV6 ||
           level == IPPROTO_TCP || level == IPPROTO_UDP;
}

/* SO_LINGER. An inherited socket's is kept in the slot: the kernel's is the
   parent's too, and closing the child's copy never ends the connection, so a
   linger there (an abortive close, say) could only change the parent's
   close. */
static int set_linger(struct slot *sl, const struct winsock_linger *wl)
{
    struct linger native;
    if (has_flag(sl, F_INHERITED)) {
        atomic_store(&sl->kept_linger, ((unsigned)(wl->l_onoff != 0) << 16) | wl->l_linger);
        set_flag(sl, F_KEPT_LINGER);
        return 0;
    }
    native.l_onoff = wl->l_onoff != 0;
    native.l_linger = wl->l_linger;
    if (setsockopt(sl->fd, SOL_SOCKET, PS_SO_LINGER_SECONDS, &native, sizeof native) != 0)
        return ps_wsa_from_errno(errno);
    return 0;
}

static int get_linger(struct slot *sl, struct winsock_linger *wl)
{
    struct linger native;
    socklen_t len = sizeof native;
    if (has_flag(sl, F_KEPT_LINGER)) {
        unsigned kept = atomic_load(&sl->kept_linger);
        wl->l_onoff = (unsigned short)(kept >> 16);
        wl->l_linger = (unsigned short)(kept & 0xffff);
        return 0;
    }
    if (getsockopt(sl->fd, SOL_SOCKET, PS_SO_LINGER_SECONDS, &native, &len) != 0)
        return ps_wsa_from_errno(errno);
    wl->l_onoff = (unsigned short)(native.l_onoff != 0);
    wl->l_linger = (unsigned short)native.l_linger;
    return 0;
}

static int ws_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen)
{
    struct slot *sl = ps_acquire(s);
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (optval == NULL || optlen < 0)
        code = PS_WSAEFAULT;
    else if (!known_level(level))
        code = PS_WSAEINVAL;
    else if (level == SOL_SOCKET && optname == SO_LINGER) {
        struct winsock_linger wl;
        if (optlen < (int)sizeof wl)
            code = PS_WSAEFAULT;
        else {
            memcpy(&wl, optval, sizeof wl);
            code = set_linger(sl, &wl);
        }
    } else if (level == SOL_SOCKET && (optname == SO_RCVTIMEO || optname == SO_SNDTIMEO)) {
        /* Kept here and applied by the calls (attempt_begin): a DWORD of ms. */
        unsigned ms;
        code = read_dword(optval, optlen, &ms);
        if (code == 0)
            atomic_store(optname == SO_RCVTIMEO ? &sl->rcvtimeo : &sl->sndtimeo, ms);
    } else {
        /* Winsock reads BOOL and DWORD options from as few as one byte. */
        int v = 0;
        const void *val = optval;
        socklen_t vlen = (socklen_t)optlen;
        if (optlen < (int)sizeof v) {
            if (optlen == 0)
                code = PS_WSAEFAULT;
            memcpy(&v, optval, (size_t)optlen);
            val = &v;
            vlen = sizeof v;
        }
        if (code == 0 && setsockopt(sl->fd, level, optname, val, vlen) != 0)
            code = errno == EINVAL || errno == ENOPROTOOPT ? PS_WSAENOPROTOOPT : ps_wsa_from_errno(errno);
    }
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

/* SO_ERROR: Winsock reports the code and, unlike POSIX, keeps it. */
static uint32_t read_so_error(struct slot *sl)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (atomic_load(&sl->so_error) == 0 &&
        getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
        atomic_store(&sl->so_error, ps_wsa_from_errno(err));
        clear_flag(sl, F_CONNECTING);
        /* Reading SO_ERROR takes a pending reset away from the kernel, whose
           next recv would then return 0: keep it. */
        if (err == ECONNRESET)
            set_flag(sl, F_RESET);
    }
    return (uint32_t)atomic_load(&sl->so_error);
}

static int ws_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen)
{
    struct slot *sl = ps_acquire(s);
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (optval == NULL || optlen == NULL || *optlen < 0)
        code = PS_WSAEFAULT;
    else if (!known_level(level))
        code = PS_WSAEINVAL;
    else if (level == SOL_SOCKET && optname == SO_LINGER) {
        struct winsock_linger wl;
        if (*optlen < (int)sizeof wl)
            code = PS_WSAEFAULT;
        else if ((code = get_linger(sl, &wl)) == 0) {
            memcpy(optval, &wl, sizeof wl);
            *optlen = (int)sizeof wl;
        }
    } else if (level == SOL_SOCKET && (optname == SO_RCVTIMEO || optname == SO_SNDTIMEO ||
                                       optname == SO_ERROR)) {
        uint32_t v;
        if (*optlen < (int)sizeof v)
            code = PS_WSAEFAULT;
        else {
            if (optname == SO_ERROR)
                v = read_so_error(sl);
            else
                v = atomic_load(optname == SO_RCVTIMEO ? &sl->rcvtimeo : &sl->sndtimeo);
            memcpy(optval, &v, sizeof v);
            *optlen = (int)sizeof v;
        }
    } else {
        socklen_t len = (socklen_t)*optlen;
        if (*optlen == 0)
            code = PS_WSAEFAULT;
        else if (getsockopt(sl->fd, level, optname, optval, &len) != 0)
            code = errno == EINVAL || errno == ENOPROTOOPT ? PS_WSAENOPROTOOPT : ps_wsa_from_errno(errno);
        else
            *optlen = (int)len;
    }
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

int ps_ws_ioctlsocket(ps_socket s, long cmd, unsigned long *argp)
{
    struct slot *sl = ps_acquire(s);
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (argp == NULL)
        code = PS_WSAEFAULT;
    else if (cmd == (long)FIONBIO) {
        int on = *argp != 0;
        if (on != has_flag(sl, F_NONBLOCK))
            code = kernel_nonblocking(sl, on);
        if (code == 0 && on)
            set_flag(sl, F_NONBLOCK);
        else if (code == 0)
            clear_flag(sl, F_NONBLOCK);
    } else if (cmd == (long)FIONREAD) {
        int n = 0;
        if (ioctl(sl->fd, FIONREAD, &n) != 0)
            code = ps_wsa_from_errno(errno);
        else
            *argp = (unsigned long)n;
    } else if (cmd == (long)SIOCATMARK) {
        /* Winsock's SIOCATMARK is TRUE when no out-of-band data waits to be
           read (MS docs, ioctlsocket), which is not POSIX's "the read
           position is at the urgent mark". An urgent byte waits when a peek
           at it succeeds, or would once it arrives (EAGAIN: the urgent
           pointer came first); none did or it was read: EINVAL. With
           SO_OOBINLINE the byte is in the stream and no peek tells whether
           it is still ahead: TRUE, as Wine answers too. */
        int inline_oob = 0;
        socklen_t optlen = sizeof inline_oob;
        char byte;
        if (getsockopt(sl->fd, SOL_SOCKET, SO_OOBINLINE, &inline_oob, &optlen) != 0)
            code = ps_wsa_from_errno(errno);
        else if (inline_oob)
            *argp = 1;
        else {
            ssize_t n = recv(sl->fd, &byte, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT);
            *argp = (n == 1 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) ? 0 : 1;
        }
    } else
        code = PS_WSAEOPNOTSUPP;   /* Winsock's answer to an unknown command */
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

static int name_call(ps_socket s, void *name, int *namelen, int peer)
{
    struct slot *sl = ps_acquire(s);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int code = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (name == NULL || namelen == NULL)
        code = PS_WSAEFAULT;
    else if (peer ? getpeername(sl->fd, (struct sockaddr *)&ss, &len) != 0
                  : getsockname(sl->fd, (struct sockaddr *)&ss, &len) != 0)
        code = ps_wsa_from_errno(errno);
    else if (!peer && !name_is_bound(&ss))
        code = PS_WSAEINVAL;   /* Winsock: an unbound socket has no name */
    else if (*namelen < (int)len)
        code = PS_WSAEFAULT;
    else {
        memcpy(name, &ss, len);
        *namelen = (int)len;
    }
    ps_release(sl);
    return code ? ps_fail(code) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */

int ps_ws_getaddrinfo(const char *node, const char *service,
                          const struct addrinfo *hints, struct addrinfo **res)
{
    char host[256];
    int ret;
    if (!ps_started())
        return ps_thread_last_error = PS_WSANOTINITIALISED;
    if (res == NULL)
        return ps_thread_last_error = PS_WSAEINVAL;
    *res = NULL;
    if (node == NULL && service == NULL)
        return ps_thread_last_error = PS_WSAHOST_NOT_FOUND;
    if (ps_reserved_invalid_name(node))
        return ps_thread_last_error = PS_WSAHOST_NOT_FOUND;
    if (node != NULL && node[0] == '\0') {
        /* Winsock resolves "" as the local host; glibc refuses it. */
        if (gethostname(host, sizeof host) == 0) {
            host[sizeof host - 1] = '\0';
            node = host;
        } else
            node = "localhost";
    }
    ret = getaddrinfo(node, service, hints, res);
    if (ret == EAI_NONAME && node == host) {
        /* A host name that does not resolve still means this machine. */
        ret = getaddrinfo("localhost", service, hints, res);
    }
    if (ret != 0) {
        *res = NULL;
        return ps_thread_last_error = ps_wsa_from_eai(ret, errno);
    }
    return ps_thread_last_error = 0;
}

void ps_freeaddrinfo(struct addrinfo *res)
{
    if (res != NULL)
        freeaddrinfo(res);
}

/* ------------------------------------------------------------------------ */
/* One-call paths                                                            */

static int ws_sendall(ps_socket s, const void *buf, size_t len, int flags, int timeout_ms, size_t *sent)
{
    struct slot *sl = ps_acquire(s);
    deadline_t deadline = ps_deadline_after(timeout_ms);
    size_t done = 0;
    int code;
    if (sent)
        *sent = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    code = ps_check_send(sl, buf, 0);
    if (code == 0 && buf == NULL && len > 0)
        code = PS_WSAEFAULT;
    if (code == 0 && !ps_valid_send_flags(flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code == 0 && len > 0)
        code = send_some(sl, buf, len, flags, NULL, 0, deadline, &done);
    if (code == 0 && done < len)
        code = PS_WSAEWOULDBLOCK;   /* a non-blocking socket's buffer is full */
    ps_release(sl);
    if (sent)
        *sent = done;
    return code ? ps_fail(code) : ps_ok(0);
}

/* Receives into buf until the peer's FIN: 0 at the FIN, 1 when buf is full,
   or -code; *received counts the bytes. With buf NULL and cap 0 they are
   counted and discarded. */
static int drain_to(struct slot *sl, void *buf, size_t cap, size_t *received, deadline_t deadline)
{
    /* Discarding reads in the stdlib's 64 KiB steps; off the stack, which is
       small in some threads (512 KiB on macOS). */
    enum { SCRATCH = 65536 };
    int discard = buf == NULL && cap == 0;
    char *scratch = discard ? malloc(SCRATCH) : NULL;
    size_t got = 0;
    int code = discard && scratch == NULL ? PS_WSAENOBUFS : ps_check_recv(sl, discard ? scratch : buf, 0);
    if (code == 0 && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    while (code == 0) {
        ssize_t n;
        if (!discard && got == cap) {
            *received = got;
            return 1;
        }
        n = discard ? recv_some(sl, scratch, SCRATCH, 0, NULL, NULL, deadline)
                    : recv_some(sl, (char *)buf + got, cap - got, 0, NULL, NULL, deadline);
        if (n < 0)
            code = (int)-n;
        else if (n == 0)
            break;
        else
            got += (size_t)n;
    }
    free(scratch);
    *received = got;
    return code ? -code : 0;
}

static int ws_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    struct slot *sl = ps_acquire(s);
    size_t got = 0;
    int ret;
    if (received)
        *received = 0;
    if (!sl)
        return PS_SOCKET_ERROR;
    if (buf == NULL && cap > 0) {
        ps_release(sl);
        return ps_fail(PS_WSAEFAULT);
    }
    ret = drain_to(sl, buf, cap, &got, ps_deadline_after(timeout_ms));
    ps_release(sl);
    if (received)
        *received = got;
    return ret < 0 ? ps_fail(-ret) : ps_ok(ret);
}

static int ws_disconnect(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
{
    deadline_t deadline = ps_deadline_after(timeout_ms);
    struct slot *sl = ps_acquire(s);
    size_t got = 0;
    int ret = 0, stopped_by_signal;
    if (received)
        *received = 0;
    if (!sl) {
        PS_TRACE_RESULT(INT, "shutdown", PS_SOCKET_ERROR);
        return PS_SOCKET_ERROR;
    }
    if (buf == NULL && cap > 0)
        ret = -PS_WSAEFAULT;
    else if (!ps_is_connected(sl))
        ret = -PS_WSAENOTCONN;
    else if (!has_flag(sl, F_SHUT_SEND)) {
        if (shutdown(sl->fd, SHUT_WR) != 0 && errno != ENOTCONN)
            ret = -ps_wsa_from_errno(errno);
        else
            set_flag(sl, F_SHUT_SEND);
    }
    if (PS_TRACING())
        ps_trace_call("shutdown", ret == 0 ? 0 : -1, -ret);
    if (ret == 0) {
        ret = drain_to(sl, buf, cap, &got, deadline);
        if (PS_TRACING())
            ps_trace_drain(ret < 0 ? -1 : ret, got, -ret);
    }
    /* WSAEINTR on a socket nobody closed: the signal hook stopped the call,
       which leaves the socket open and half-closed, to be drained on. */
    stopped_by_signal = ret == -PS_WSAEINTR && !ps_closing(sl);
    ps_release(sl);
    if (received)
        *received = got;
    if (ret == 1)
        return ps_ok(1);
    if (!stopped_by_signal) {
        int closed = ws_closesocket(s);
        PS_TRACE_RESULT(INT, "closesocket", closed);
    }
    return ret < 0 ? ps_fail(-ret) : ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* The native socket                                                         */

static intptr_t ws_native_handle(ps_socket s)
{
    struct slot *sl = ps_acquire(s);
    intptr_t fd;
    if (!sl)
        return -1;
    fd = sl->fd;
    ps_release(sl);
    ps_thread_last_error = 0;
    return fd;
}

static ps_socket ws_adopt(intptr_t native)
{
    int fd = (int)native, type = 0, listening = 0, flags = 0, off = 0;
    socklen_t len = sizeof type;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    ps_socket h;

    if (!ps_started())
        return fail_socket(PS_WSANOTINITIALISED);
    if (native < 0 || native > INT_MAX || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return fail_socket(PS_WSAENOTSOCK);
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
        flags |= F_LISTENING;
    else if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0)
        flags |= F_CONNECTED;
    /* A Winsock socket starts blocking, in the kernel too (posix_wait.c). */
    if (ioctl(fd, FIONBIO, &off) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return fail_socket(ps_wsa_from_errno(errno));
    no_sigpipe(fd);
    /* On failure the fd stays open, as promised: the caller still owns it. */
    h = ps_register(fd, type, flags, 0, 0, NULL);
    if (h != PS_INVALID_SOCKET)
        ps_thread_last_error = 0;
    return h;
}

/* ------------------------------------------------------------------------ */
/* The exported calls: Winsock never sets errno, so none of them leaves it
   changed, whatever the system calls inside did to it (KEEP_ERRNO). Each
   Winsock call is TRACED (trace.h: KEEP_ERRNO, and the trace line while the
   trace is on); the one-call paths write the calls they stand for themselves
   (ws_sendall, ws_drain, ws_disconnect, ws_connect_timeout). */

int ps_startup(uint16_t version, ps_wsadata *data)
    TRACED(int, CODE, "WSAStartup", ws_startup(version, data))
int ps_cleanup(void) TRACED(int, INT, "WSACleanup", ws_cleanup())
ps_socket ps_socket_open(int af, int type, int protocol)
    TRACED(ps_socket, SOCKET, "socket", ps_ws_socket(af, type, protocol))
int ps_closesocket(ps_socket s) TRACED(int, INT, "closesocket", ws_closesocket(s))
int ps_bind(ps_socket s, const void *name, int namelen)
    TRACED(int, INT, "bind", ws_bind(s, name, namelen))
int ps_listen(ps_socket s, int backlog) TRACED(int, INT, "listen", ws_listen(s, backlog))
ps_socket ps_accept(ps_socket s, void *addr, int *addrlen)
    TRACED(ps_socket, SOCKET, "accept", ws_accept(s, addr, addrlen))
int ps_connect(ps_socket s, const void *name, int namelen)
    TRACED(int, INT, "connect", ws_connect(s, name, namelen))
int ps_connect_timeout(ps_socket s, const void *name, int namelen, int timeout_ms)
    TRACED(int, INT, "connect", ws_connect_timeout(s, name, namelen, timeout_ms))
int ps_send(ps_socket s, const void *buf, int len, int flags)
    TRACED(int, INT, "send", ws_send(s, buf, len, flags))
int ps_recv(ps_socket s, void *buf, int len, int flags)
    TRACED(int, INT, "recv", ws_recv(s, buf, len, flags))
int ps_sendto(ps_socket s, const void *buf, int len, int flags, const void *to, int tolen)
    TRACED(int, INT, "sendto", ws_sendto(s, buf, len, flags, to, tolen))
int ps_recvfrom(ps_socket s, void *buf, int len, int flags, void *from, int *fromlen)
    TRACED(int, INT, "recvfrom", ws_recvfrom(s, buf, len, flags, from, fromlen))
int ps_shutdown(ps_socket s, int how) TRACED(int, INT, "shutdown", ps_ws_shutdown(s, how))
int ps_setsockopt(ps_socket s, int level, int optname, const void *optval, int optlen)
    TRACED(int, INT, "setsockopt", ws_setsockopt(s, level, optname, optval, optlen))
int ps_getsockopt(ps_socket s, int level, int optname, void *optval, int *optlen)
    TRACED(int, INT, "getsockopt", ws_getsockopt(s, level, optname, optval, optlen))
int ps_ioctlsocket(ps_socket s, long cmd, unsigned long *argp)
    TRACED(int, INT, "ioctlsocket", ps_ws_ioctlsocket(s, cmd, argp))
int ps_getsockname(ps_socket s, void *name, int *namelen)
    TRACED(int, INT, "getsockname", name_call(s, name, namelen, 0))
int ps_getpeername(ps_socket s, void *name, int *namelen)
    TRACED(int, INT, "getpeername", name_call(s, name, namelen, 1))
int ps_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                   struct addrinfo **res)
    TRACED(int, CODE, "getaddrinfo", ps_ws_getaddrinfo(node, service, hints, res))
int ps_sendall(ps_socket s, const void *buf, size_t len, int flags, int timeout_ms, size_t *sent)
    TRACED_SENDALL(ws_sendall)
int ps_drain(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
    TRACED_DRAIN(ws_drain)
int ps_disconnect(ps_socket s, void *buf, size_t cap, size_t *received, int timeout_ms)
    KEEP_ERRNO(int, ws_disconnect(s, buf, cap, received, timeout_ms))
intptr_t ps_native_handle(ps_socket s) KEEP_ERRNO(intptr_t, ws_native_handle(s))
ps_socket ps_adopt(intptr_t native) KEEP_ERRNO(ps_socket, ws_adopt(native))
