/*
 * posix_wait.c - waiting and waking on POSIX.
 *
 * How a blocking Winsock call blocks. A blocking socket's fd is blocking in
 * the kernel too, and a call without a timeout is one system call that the
 * kernel puts to sleep, exactly what plain C does: no descriptor beyond the
 * socket's own, no extra system call. Only a call with a deadline (SO_RCVTIMEO,
 * SO_SNDTIMEO, or a one-call path's timeout) waits here, in poll() on the one
 * fd, and then makes its attempt with MSG_DONTWAIT.
 *
 * How such a call is woken. closesocket (or the final WSACleanup) in another
 * thread shuts the socket down (ps_wake_blocked): every call asleep on it in
 * the kernel, or in poll(), returns at once, sees the closing mark and returns
 * WSAEINTR. Two cases cannot be woken that way and wait in slices of
 * WAKE_SLICE_MS, looking at the closing mark in between: a socket inherited
 * across fork (shutting it down would end the parent's connection too), and a
 * listener where shutdown does not wake accept (PS_SHUTDOWN_WAKES_ACCEPT).
 *
 * Signals. A signal whose handler was installed without SA_RESTART makes the
 * sleeping system call fail with EINTR. Winsock never reports that, so the
 * call goes on, with what is left of its deadline; unless a signal hook is set
 * (ps_set_signal_hook) and asks the call to stop, which is how the Python
 * layers let a handler's exception, KeyboardInterrupt for Ctrl-C, interrupt a
 * blocking call as the stdlib does (PEP 475).
 */
#include "posix_internal.h"

#include <limits.h>
#include <time.h>

static _Atomic(ps_signal_hook) signal_hook;

ps_signal_hook ps_set_signal_hook(ps_signal_hook hook)
{
    return atomic_exchange(&signal_hook, hook);
}

int64_t ps_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

deadline_t ps_deadline_after(int64_t timeout_ms)
{
    return timeout_ms < 0 ? PS_NO_DEADLINE : ps_now_ms() + timeout_ms;
}

int ps_signal_stops(void)
{
    ps_signal_hook hook = atomic_load(&signal_hook);
    /* The hook runs with no lock of the core held, so it may call the core,
       even close the very socket the call waits on. */
    return hook != NULL && hook() != 0 ? PS_WSAEINTR : 0;
}

int ps_after_eintr(struct slot *sl)
{
    if (ps_closing(sl) || ps_signal_stops() != 0)
        return PS_WSAEINTR;
    return ps_closing(sl) ? PS_WSAEINTR : 0;
}

int ps_poll_timeout(deadline_t deadline, int sliced)
{
    int timeout = -1;
    if (deadline != PS_NO_DEADLINE) {
        int64_t left = deadline - ps_now_ms();
        timeout = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
    }
    if (sliced && (timeout < 0 || timeout > WAKE_SLICE_MS))
        timeout = WAKE_SLICE_MS;
    return timeout;
}

int ps_waits_in_slices(struct slot *sl)
{
#ifdef PS_SHUTDOWN_WAKES_ACCEPT
    return has_flag(sl, F_INHERITED);
#else
    return has_flag(sl, F_INHERITED) || has_flag(sl, F_LISTENING);
#endif
}

int ps_wait_ready_events(struct slot *sl, enum ready_for what, deadline_t deadline, short *revents)
{
    struct pollfd pfd;
    int sliced = ps_waits_in_slices(sl);

    pfd.fd = sl->fd;
    pfd.events = what == READY_READ ? POLLIN : POLLOUT;
    for (;;) {
        int timeout, n, code, expired;
        if (ps_closing(sl))
            return PS_WSAEINTR;
        /* A deadline that has passed still gets one look (a zero timeout
           means "if it is ready now"), as select() gives on Windows. */
        timeout = ps_poll_timeout(deadline, sliced);
        expired = timeout == 0;
        n = poll(&pfd, 1, timeout);
        if (ps_closing(sl))
            return PS_WSAEINTR;
        if (n > 0) {
            if (revents != NULL)
                *revents = pfd.revents;
            return 0;
        }
        if (n < 0) {
            if (errno != EINTR)
                return ps_wsa_from_errno(errno);
            code = ps_after_eintr(sl);
            if (code != 0)
                return code;
        } else if (expired)
            return PS_WSAETIMEDOUT;
    }
}

int ps_wait_ready(struct slot *sl, enum ready_for what, deadline_t deadline)
{
    return ps_wait_ready_events(sl, what, deadline, NULL);
}

void ps_wake_blocked(struct slot *sl)
{
    int tries;
    /* After shutdown every call on the socket returns at once, and so does
       every call that has yet to start: recv sees the end of the stream, send
       EPIPE, accept EINVAL (Linux), a connect under way fails, poll reports
       the fd ready. This is also what the peer sees of such a close: a FIN
       (then a reset if unread data is thrown away), where Windows would send
       the FIN or the reset alone. */
    shutdown(sl->fd, SHUT_RDWR);
    /* The one call that shutdown does not stop before it starts is connect:
       one that had not reached the kernel yet would start afresh, and could
       sleep for the kernel's whole connect timeout. While one is in progress
       (connect_slot counts it), shut the socket down again until it has ended
       (a connect under way in the kernel is aborted by shutdown). Bounded, for
       a system whose shutdown would not abort one: 2 s. */
    for (tries = 0; tries < 2000 && atomic_load(&sl->in_connect) > 0; tries++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        shutdown(sl->fd, SHUT_RDWR);
    }
}
