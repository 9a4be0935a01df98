/*
 * posix_internal.h - what the files of the POSIX backend share.
 *
 *   posix_handles.c  the handle table: a socket's lifetime, references, close,
 *                    startup and cleanup, fork
 *   posix_wait.c     waiting and waking: deadlines, poll, signals
 *   posix_select.c   select and WSAPoll: waiting on several sockets at once
 *   posix_resolver.c the old resolver calls (gethostbyname, getservbyname, ...)
 *   posix_wsa.c      the Winsock 2 calls (WSASocket, WSASend, WSARecv, ...),
 *                    on the rules and I/O loops of posix.c
 *   posix.c          the Winsock rules, and the I/O loops that use the files above
 *
 * Not part of the public API; no other file includes it.
 */
#ifndef PORTSOCK_POSIX_INTERNAL_H
#define PORTSOCK_POSIX_INTERNAL_H

#include "platform.h"

#include <stdatomic.h>
#include <stdint.h>

/* The per-thread last error (WSAGetLastError). */
extern _Thread_local int ps_thread_last_error;

/* Socket state flags (struct slot's flags). */
enum {
    F_CONNECTED = 1 << 0,
    F_LISTENING = 1 << 1,
    F_SHUT_SEND = 1 << 2,
    F_SHUT_RECV = 1 << 3,
    F_NONBLOCK = 1 << 4,   /* FIONBIO: the fd is O_NONBLOCK in the kernel too,
                              except on an inherited slot (see F_INHERITED) */
    F_RESET = 1 << 5,      /* the peer reset the connection: sticky, as on Windows */
    F_CONNECTING = 1 << 6, /* a connect is under way: non-blocking, or a blocking
                              one that a signal interrupted */
    F_INHERITED = 1 << 7,  /* this process is a fork()ed child and the socket came
                              from the parent: its open file description is shared
                              with the parent, so nothing here may change it */
    F_KEPT_LINGER = 1 << 8 /* an inherited slot's SO_LINGER, kept in the slot */
};

/* One socket. The contract of the fields is at the top of posix_handles.c. */
struct slot {
    /* Guarded by the table lock. */
    uint32_t gen;
    unsigned refs;       /* one for the open handle, one per call in progress */
    int closing;         /* also read without the lock, with atomic loads */
    int next_free;
    int index;           /* this slot's own place in the table */
    /* Constant while any reference is held. */
    int fd;
    int type;
    /* Read and written by calls on the socket, possibly in several threads. */
    atomic_int flags;
    atomic_int so_error;            /* a Winsock code, kept until the next connect */
    atomic_uint rcvtimeo, sndtimeo; /* ms, 0 = none */
    atomic_int in_connect;          /* threads inside a connect call (connect_slot) */
    atomic_uint kept_linger;        /* F_KEPT_LINGER's value: l_onoff << 16 | l_linger */
};

/* The body of an exported function: Winsock never sets errno, so the call
   keeps the caller's, whatever the system calls inside did to it. An
   exported Winsock call uses TRACED instead (trace.h, included by
   platform.h): KEEP_ERRNO and the trace line, one line per export, e.g.
       int ps_send(ps_socket s, const void *buf, int len, int flags)
           TRACED(int, INT, "send", ws_send(s, buf, len, flags))
   (trace.h lists the kinds: INT, SOCKET, CODE, POINTER). */
#define KEEP_ERRNO(type, call)          \
    {                                   \
        int saved_errno = errno;        \
        type result = call;             \
        errno = saved_errno;            \
        return result;                  \
    }

/* --- posix.c: the work behind four exports ------------------------------
   For calls built on them (WSASocket, WSASendDisconnect, WSAIoctl,
   gethostbyname): the same as ps_socket_open, ps_shutdown, ps_ioctlsocket
   and ps_getaddrinfo, untraced, so that a trace shows only the call the
   program made (trace.h). */
ps_socket ps_ws_socket(int af, int type, int protocol);
int ps_ws_shutdown(ps_socket s, int how);
int ps_ws_ioctlsocket(ps_socket s, long cmd, unsigned long *argp);
int ps_ws_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                      struct addrinfo **res);

/* --- posix_handles.c ----------------------------------------------------- */

/* Whether WSAStartup's count is above zero (read without the lock). */
int ps_started(void);
/* A reference on the open socket s for one call; NULL with the last error set
   (WSANOTINITIALISED, WSAENOTSOCK) otherwise. */
struct slot *ps_acquire(ps_socket s);
/* Drops a call's reference; the last one closes the fd. */
void ps_release(struct slot *sl);
/* Puts a new fd in a slot and returns its handle; PS_INVALID_SOCKET with the
   last error set, and the fd left to the caller, on failure. parent: the
   listening slot of an accept (its closing cancels the accept), else NULL. */
ps_socket ps_register(int fd, int type, int flags, unsigned rcvtimeo, unsigned sndtimeo,
                      const struct slot *parent);
/* closesocket: 0, or the Winsock code. */
int ps_close_handle(ps_socket s);
/* WSAStartup's count, up; and down, the final one closing every socket as
   closesocket would: 0, or WSANOTINITIALISED when the count is 0. */
void ps_count_startup(void);
int ps_count_cleanup(void);

/* Sequentially consistent, as the store that sets it: connect_slot in
   posix.c relies on it. */
static inline int ps_closing(struct slot *sl)
{
    return __atomic_load_n(&sl->closing, __ATOMIC_SEQ_CST);
}

static inline int has_flag(struct slot *sl, int flag)
{
    return (atomic_load_explicit(&sl->flags, memory_order_relaxed) & flag) != 0;
}

static inline void set_flag(struct slot *sl, int flag) { atomic_fetch_or(&sl->flags, flag); }
static inline void clear_flag(struct slot *sl, int flag) { atomic_fetch_and(&sl->flags, ~flag); }

/* --- posix_wait.c -------------------------------------------------------- */

/* A deadline: PS_NO_DEADLINE, or an absolute CLOCK_MONOTONIC time in ms. */
typedef int64_t deadline_t;
#define PS_NO_DEADLINE ((deadline_t)-1)

enum ready_for { READY_READ, READY_WRITE, READY_CONNECT };

int64_t ps_now_ms(void);
/* PS_NO_DEADLINE for timeout_ms < 0, else now + timeout_ms. */
deadline_t ps_deadline_after(int64_t timeout_ms);
/* Waits until the socket is ready, the deadline passes (WSAETIMEDOUT) or the
   socket is closed by another thread (WSAEINTR); a signal is dealt with as
   ps_signal_stops says. Returns 0 when ready, else the Winsock code. */
int ps_wait_ready(struct slot *sl, enum ready_for what, deadline_t deadline);
/* wait_ready, also giving what poll() saw on the fd. */
int ps_wait_ready_events(struct slot *sl, enum ready_for what, deadline_t deadline, short *revents);
/* After a system call failed with EINTR: 0 to retry it, or WSAEINTR when the
   call must end (the socket is closing, or the signal hook asked to stop). */
int ps_after_eintr(struct slot *sl);
/* The signal part of ps_after_eintr, for a wait on several sockets: runs the
   hook, if any; WSAEINTR when it asks the call to stop, else 0. */
int ps_signal_stops(void);
/* How often a wait that cannot be woken by shutdown looks at the closing
   mark. */
#define WAKE_SLICE_MS 100
/* The timeout for the next poll() of a wait: -1 without a deadline, 0 once it
   has passed, else the ms left (at most INT_MAX); with sliced, at most
   WAKE_SLICE_MS. */
int ps_poll_timeout(deadline_t deadline, int sliced);
/* Whether a blocked call on sl cannot be woken by ps_wake_blocked, and so
   waits in slices, looking at the closing mark in between. */
int ps_waits_in_slices(struct slot *sl);
/* Wakes every call blocked on sl in other threads; the caller holds a
   reference, so the fd stays open meanwhile. */
void ps_wake_blocked(struct slot *sl);

/* --- posix.c, for posix_wsa.c ---------------------------------------------
   The Winsock 2 calls are send and recv with several buffers: they use the
   very checks and I/O loops of send and recv. */

struct iovec;
/* A call's end: PS_SOCKET_ERROR with code as the last error; ret with 0. */
int ps_fail(int code);
int ps_ok(int ret);
/* 0, or the Winsock code that stops any send (recv) on sl before the system
   call; buf and len as send's (recv's). */
int ps_check_send(struct slot *sl, const void *buf, int len);
int ps_check_recv(struct slot *sl, const void *buf, int len);
int ps_valid_send_flags(int flags);
int ps_valid_recv_flags(int flags);
/* Whether the socket has a peer (a non-blocking connect that has since
   completed is noticed here); whether its fd has a local name. */
int ps_is_connected(struct slot *sl);
int ps_is_bound(int fd);
size_t ps_iov_total(const struct iovec *iov, int iovcnt);
/* send's and recv's loops, on iovcnt buffers (the caller's own copy of the
   iovecs, which they advance). send_iov: 0 or the Winsock code, *sent the
   bytes that went out either way; recv_iov: bytes (0 at the FIN) or -code. */
int ps_send_iov(struct slot *sl, struct iovec *iov, int iovcnt, int flags,
             const struct sockaddr *to, socklen_t tolen, deadline_t caller_deadline, size_t *sent);
ssize_t ps_recv_iov(struct slot *sl, struct iovec *iov, int iovcnt, int flags,
                 struct sockaddr *from, socklen_t *fromlen, deadline_t caller_deadline);

#endif /* PORTSOCK_POSIX_INTERNAL_H */
