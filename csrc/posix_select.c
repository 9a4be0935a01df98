/*
 * posix_select.c - select and WSAPoll on POSIX: waiting on several sockets.
 *
 * Both calls take a reference on every handle they are given (ps_acquire),
 * so no fd can be closed or reused under them, and wait in poll() on the fds,
 * as posix_wait.c waits on one: a closesocket in another thread shuts its
 * socket down (ps_wake_blocked), which ends the poll; a signal's EINTR goes to
 * the signal hook (ps_signal_stops), and the wait goes on with what is left of
 * the timeout unless the hook stops it (WSAEINTR).
 *
 * What poll() says is then put in Winsock's terms (classify): an unconnected
 * TCP socket is never ready (POSIX reports POLLOUT|POLLHUP), a non-blocking
 * connect that failed is exceptional and not writable, the peer's FIN is told
 * from data by a one-byte peek. A socket that poll reports at once for a
 * condition that does not count (that unconnected socket, say) is left out of
 * the following waits, which then come back every WAKE_SLICE_MS to look at it
 * again, rather than spin.
 *
 * A socket closed by another thread during the wait ends it: select reports
 * it readable if it is in readfds, and fails with WSAENOTSOCK if that leaves
 * nothing to report; WSAPoll gives it POLLNVAL (both as Wine 8 does).
 *
 * Memory: two arrays of one element per handle given, on the heap (fd_count
 * is trusted, as Winsock trusts it; failing to allocate is WSAENOBUFS).
 */
#include "posix_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

PS_STATIC_ASSERT(sizeof(((ps_fd_set *)0)->fd_array) == PS_FD_SETSIZE * sizeof(ps_socket), fd_setsize);

/* What a socket is ready for, in Winsock's terms. */
enum {
    R_DATA = 1 << 0,     /* data, a pending connection, a datagram: readable, POLLRDNORM */
    R_OOB = 1 << 1,      /* urgent data: exceptfds, POLLRDBAND */
    R_WRITE = 1 << 2,    /* writable: writefds, POLLWRNORM */
    R_FIN = 1 << 3,      /* the peer's FIN and no data left: readable, POLLHUP */
    R_RESET = 1 << 4,    /* reset: readable and writable, POLLHUP|POLLERR */
    R_CONNFAIL = 1 << 5, /* a connect that failed: exceptfds, POLLHUP|POLLERR */
    R_CLOSED = 1 << 6    /* closed by another thread during the wait */
};

/* One handle of the call. */
struct entry {
    struct slot *sl;  /* NULL: not waited on (WSAPoll: ignored, or no socket) */
    int want;         /* the R_* bits that make it count */
    short interest;   /* the poll() events the wait asks for */
    short woke;       /* the last wait returned for it */
    int muted;        /* poll reports it at once for nothing that counts */
    int ready;        /* R_* bits seen by the last look */
};

/* What revents (of a poll for POLLIN|POLLPRI|POLLOUT) means for sl. */
static int classify(struct slot *sl, short rev)
{
    int flags = atomic_load(&sl->flags), r = 0;
    if (ps_closing(sl))
        return R_CLOSED;
    if (sl->type != SOCK_STREAM)
        /* A datagram socket's error (an ICMP report) is for recv to give. */
        return (rev & (POLLIN | POLLERR) ? R_DATA : 0) | (rev & POLLOUT ? R_WRITE : 0);
    if (flags & F_LISTENING)
        return rev & POLLIN ? R_DATA : 0;
    if (!(flags & F_CONNECTED)) {
        /* A failed connect stays exceptional once SO_ERROR was read. */
        if (atomic_load(&sl->so_error) != 0)
            return R_CONNFAIL;
        if (!(flags & F_CONNECTING))
            return 0;   /* never connected: not ready, whatever POSIX says */
        if (rev & (POLLERR | POLLHUP))
            return R_CONNFAIL;
        /* else the connect may have completed: it is connected below */
    }
    if ((flags & F_RESET) || (rev & POLLERR))
        return R_RESET | R_WRITE;
    if (rev & POLLPRI)
        r |= R_OOB;
    if (rev & POLLOUT)
        r |= R_WRITE;
    if (rev & (POLLIN | POLLHUP)) {
        char c;
        ssize_t n = recv(sl->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
            r |= R_DATA;
        else if (n == 0)
            r |= R_FIN;
        else if (errno == ECONNRESET) {
            /* The peek took the reset from the kernel: keep it for recv. */
            set_flag(sl, F_RESET);
            return R_RESET | R_WRITE;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK)
            r |= R_DATA;   /* recv has an error to report at once */
    }
    return r;
}

/* Looks at every entry now; returns whether the wait is over. */
static int look(struct entry *e, struct pollfd *pfd, size_t n)
{
    size_t i;
    int over = 0;
    for (i = 0; i < n; i++) {
        pfd[i].fd = e[i].sl != NULL ? e[i].sl->fd : -1;
        pfd[i].events = POLLIN | POLLPRI | POLLOUT;
        pfd[i].revents = 0;
    }
    /* A zero timeout: EINTR cannot happen, and a failure leaves revents 0,
       which the closing marks below still override. */
    (void)poll(pfd, (nfds_t)n, 0);
    for (i = 0; i < n; i++) {
        if (e[i].sl == NULL)
            continue;
        e[i].ready = classify(e[i].sl, pfd[i].revents);
        if (e[i].ready & (e[i].want | R_CLOSED))
            over = 1;
        else if (e[i].woke)
            e[i].muted = 1;
        e[i].woke = 0;
    }
    return over;
}

/* Waits until an entry is ready (its ready bits meet its want), one is closed,
   or the deadline passes (0 either way: the ready bits tell); or returns the
   Winsock code: WSAEINTR when the signal hook stops the call. */
static int wait_any(struct entry *e, struct pollfd *pfd, size_t n, deadline_t deadline)
{
    for (;;) {
        int timeout, sliced = 0, rc;
        size_t i;
        if (look(e, pfd, n))
            return 0;
        if (deadline != PS_NO_DEADLINE && ps_poll_timeout(deadline, 0) == 0)
            return 0;   /* passed: the look above was the last */
        for (i = 0; i < n; i++) {
            int waits = e[i].sl != NULL && !e[i].muted;
            pfd[i].fd = waits ? e[i].sl->fd : -1;
            pfd[i].events = e[i].interest;
            pfd[i].revents = 0;
            if (e[i].sl != NULL && (e[i].muted || ps_waits_in_slices(e[i].sl)))
                sliced = 1;
        }
        timeout = ps_poll_timeout(deadline, sliced);
        rc = poll(pfd, (nfds_t)n, timeout);
        if (rc < 0) {
            int code;
            if (errno != EINTR)
                return ps_wsa_from_errno(errno);
            code = ps_signal_stops();
            if (code != 0)
                return code;
            continue;
        }
        for (i = 0; i < n; i++)
            if (pfd[i].revents != 0)
                e[i].woke = 1;
    }
}

/* The arrays for n handles; 0, or WSAENOBUFS. */
static int entries_new(size_t n, struct entry **e, struct pollfd **pfd)
{
    *e = n <= SIZE_MAX / sizeof **e ? calloc(n, sizeof **e) : NULL;
    *pfd = n <= SIZE_MAX / sizeof **pfd ? malloc(n * sizeof **pfd) : NULL;
    if (*e != NULL && *pfd != NULL)
        return 0;
    free(*e);
    free(*pfd);
    return PS_WSAENOBUFS;
}

static void entries_free(struct entry *e, struct pollfd *pfd, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (e[i].sl != NULL)
            ps_release(e[i].sl);
    free(e);
    free(pfd);
}

/* ------------------------------------------------------------------------ */
/* select                                                                    */

/* The timeout as a deadline: a negative time is no time, as on Windows. */
static deadline_t select_deadline(const ps_timeval *tv)
{
    /* 10^12 ms (31 years) stands for any longer wait. */
    const int64_t longest = 1000000000000LL;
    int64_t ms;
    if (tv == NULL)
        return PS_NO_DEADLINE;
    if (tv->tv_sec > longest / 1000 || tv->tv_usec > longest)
        return ps_deadline_after(longest);
    ms = (int64_t)tv->tv_sec * 1000 + (tv->tv_usec < 0 ? -((-(int64_t)tv->tv_usec) / 1000)
                                                        : ((int64_t)tv->tv_usec + 999) / 1000);
    return ps_deadline_after(ms < 0 ? 0 : ms);
}

/* Keeps a set's ready handles, each once, in place; returns how many. */
static unsigned int keep_ready(ps_fd_set *set, const struct entry *e, int *closed)
{
    ps_socket *handles = set->fd_array;   /* fd_count of them, whatever FD_SETSIZE */
    unsigned int i, j, kept = 0;
    for (i = 0; i < set->fd_count; i++) {
        int dup = 0;
        if (e[i].ready & R_CLOSED)
            *closed = 1;
        if (!(e[i].ready & e[i].want))
            continue;
        for (j = 0; j < kept && !dup; j++)
            dup = handles[j] == handles[i];
        if (!dup)
            handles[kept++] = handles[i];
    }
    set->fd_count = kept;
    return kept;
}

static int ws_select(ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
                     const ps_timeval *timeout)
{
    ps_fd_set *sets[3];
    /* What counts in each set, and what its wait asks poll() for. */
    static const int wants[3] = {R_DATA | R_FIN | R_RESET | R_CLOSED, R_WRITE, R_OOB | R_CONNFAIL};
    static const short interests[3] = {POLLIN, POLLOUT, POLLPRI};
    struct entry *e;
    struct pollfd *pfd;
    size_t n = 0, k = 0;
    unsigned int total = 0, i;
    int s, code, closed = 0;

    sets[0] = readfds;
    sets[1] = writefds;
    sets[2] = exceptfds;
    if (!ps_started())
        return ps_fail(PS_WSANOTINITIALISED);
    for (s = 0; s < 3; s++)
        if (sets[s] != NULL)
            n += sets[s]->fd_count;
    if (n == 0)
        return ps_fail(PS_WSAEINVAL);   /* no socket at all: select is no sleep */
    if ((code = entries_new(n, &e, &pfd)) != 0)
        return ps_fail(code);
    for (s = 0; s < 3 && code == 0; s++) {
        const ps_socket *handles = sets[s] != NULL ? sets[s]->fd_array : NULL;
        for (i = 0; sets[s] != NULL && i < sets[s]->fd_count && code == 0; i++, k++) {
            e[k].sl = ps_acquire(handles[i]);
            e[k].want = wants[s];
            e[k].interest = interests[s];
            if (e[k].sl == NULL)
                code = ps_thread_last_error;   /* WSAENOTSOCK: the sets stay as they were */
        }
    }
    if (code == 0)
        code = wait_any(e, pfd, n, select_deadline(timeout));
    for (s = 0, k = 0; s < 3 && code == 0; s++)
        if (sets[s] != NULL) {
            size_t count = sets[s]->fd_count;
            total += keep_ready(sets[s], e + k, &closed);
            k += count;
        }
    if (code == 0 && total == 0 && closed)
        code = PS_WSAENOTSOCK;   /* a closed socket that no set reports */
    entries_free(e, pfd, n);
    if (code != 0)
        return ps_fail(code);
    ps_thread_last_error = 0;
    return (int)(total > INT_MAX ? INT_MAX : total);
}

static int ws_fd_isset(ps_socket s, const ps_fd_set *set)
{
    const ps_socket *handles;
    unsigned int i;
    if (set == NULL)
        return 0;
    handles = set->fd_array;
    for (i = 0; i < set->fd_count; i++)
        if (handles[i] == s)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* WSAPoll                                                                   */

/* The only events Winsock's provider takes (POLLPRI is refused: MS docs). */
#define POLL_EVENTS (PS_POLLRDNORM | PS_POLLRDBAND | PS_POLLWRNORM)

/* A negative SOCKET (INVALID_SOCKET among them) is ignored (MS docs). */
static int ignored(ps_socket fd)
{
    return (intptr_t)fd < 0;
}

static short revents_of(int ready, short events)
{
    short r = 0;
    if (ready & R_CLOSED)
        return PS_POLLNVAL;
    if ((ready & R_DATA) && (events & PS_POLLRDNORM))
        r |= PS_POLLRDNORM;
    if ((ready & R_OOB) && (events & PS_POLLRDBAND))
        r |= PS_POLLRDBAND;
    /* A failed connect: POLLHUP|POLLERR|POLLWRNORM (MS docs, Windows 10 2004). */
    if ((ready & (R_WRITE | R_CONNFAIL)) && (events & PS_POLLWRNORM))
        r |= PS_POLLWRNORM;
    if (ready & (R_FIN | R_RESET | R_CONNFAIL))
        r |= PS_POLLHUP;
    if (ready & (R_RESET | R_CONNFAIL))
        r |= PS_POLLERR;
    return r;
}

static int ws_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms)
{
    struct entry *e;
    struct pollfd *pfd;
    size_t n = (size_t)nfds, i, valid = 0, invalid = 0;
    int code, count = 0;

    if (!ps_started())
        return ps_fail(PS_WSANOTINITIALISED);
    if (nfds == 0)
        return ps_fail(PS_WSAEINVAL);
    if (fds == NULL)
        return ps_fail(PS_WSAEFAULT);
    for (i = 0; i < n; i++)
        if (!ignored(fds[i].fd) && (fds[i].events & ~POLL_EVENTS) != 0)
            return ps_fail(PS_WSAEINVAL);   /* an event the provider does not know */
    if ((code = entries_new(n, &e, &pfd)) != 0)
        return ps_fail(code);
    for (i = 0; i < n; i++) {
        short ev = fds[i].events;
        if (ignored(fds[i].fd)) {
            fds[i].revents = 0;
            continue;
        }
        e[i].sl = ps_acquire(fds[i].fd);
        if (e[i].sl == NULL) {
            fds[i].revents = PS_POLLNVAL;   /* reported, but not counted (Wine 8) */
            invalid++;
            continue;
        }
        valid++;
        e[i].want = (ev & PS_POLLRDNORM ? R_DATA : 0) | (ev & PS_POLLRDBAND ? R_OOB : 0) |
                    (ev & PS_POLLWRNORM ? R_WRITE : 0) | R_FIN | R_RESET | R_CONNFAIL | R_CLOSED;
        e[i].interest = (short)((ev & PS_POLLRDNORM ? POLLIN : 0) | (ev & PS_POLLRDBAND ? POLLPRI : 0) |
                                (ev & PS_POLLWRNORM ? POLLOUT : 0));
    }
    if (valid == 0)
        code = invalid > 0 ? PS_WSAENOTSOCK : PS_WSAEINVAL;   /* no socket to wait on */
    else
        code = wait_any(e, pfd, n, ps_deadline_after(timeout_ms));
    for (i = 0; i < n && code == 0; i++)
        if (e[i].sl != NULL) {
            fds[i].revents = revents_of(e[i].ready, fds[i].events);
            count += fds[i].revents != 0;
        }
    entries_free(e, pfd, n);
    if (code != 0)
        return ps_fail(code);
    ps_thread_last_error = 0;
    return count;
}

/* ------------------------------------------------------------------------ */
/* The exported calls (errno kept, as everywhere in the core; traced, trace.h) */

int ps_select(int nfds, ps_fd_set *readfds, ps_fd_set *writefds, ps_fd_set *exceptfds,
              const ps_timeval *timeout)
{
    (void)nfds;   /* ignored, as on Windows */
    TRACED(int, INT, "select", ws_select(readfds, writefds, exceptfds, timeout))
}

int ps_fd_isset(ps_socket s, const ps_fd_set *set) KEEP_ERRNO(int, ws_fd_isset(s, set))
int ps_wsapoll(ps_wsapollfd *fds, unsigned long nfds, int timeout_ms)
    TRACED(int, INT, "WSAPoll", ws_wsapoll(fds, nfds, timeout_ms))
