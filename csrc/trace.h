/*
 * trace.h - the hook every exported Winsock call of both backends goes
 * through (trace.c writes the lines). Not part of the public API: portsock.h
 * declares what programs may call (ps_trace_open, ps_trace_close, ...).
 *
 * Tracing a new exported function is one line, its export, in the same form
 * in posix*.c and in win32.c:
 *
 *     int ps_send(ps_socket s, const void *buf, int len, int flags)
 *         TRACED(int, INT, "send", ws_send(s, buf, len, flags))
 *
 * TRACED(type, KIND, "WinsockName", the call doing the work): the function's
 * body. It keeps the caller's errno (as KEEP_ERRNO does) and, only while the
 * trace is on, writes the line {"call": "WinsockName", "ret": ..., "err": ...}
 * for the result, the KIND saying how the result reads:
 *
 *     INT      an int, SOCKET_ERROR (-1) on failure (send, connect, WSASend ...):
 *              ret is the value, err WSAGetLastError() after -1, else 0
 *     SOCKET   a ps_socket (socket, accept, WSASocket): "S1", "S2" ... a new
 *              number for every socket returned, in the trace's order;
 *              "INVALID_SOCKET" with WSAGetLastError() on failure
 *     CODE     the error code itself (WSAStartup, getaddrinfo): err = ret
 *     POINTER  a pointer, NULL on failure: "NULL" with WSAGetLastError(),
 *              else "ptr" and 0
 *     HOSTENT  a HOSTENT * (gethostbyname, gethostbyaddr): "HOSTENT", or
 *              "NULL" with WSAGetLastError(); SERVENT the same for a SERVENT *
 *              (getservbyname, getservbyport), as the mirror's trace() shows them
 *     TEXT     a string that cannot fail (inet_ntoa): the text itself
 *
 * A call of another shape gets a kind: one enum entry here and one case in
 * trace.c's format_result. Out-parameters (WSASend's byte count) are not in the
 * line: the format has the call, its return value and the error only.
 *
 * When the trace is off (the usual case) the cost is one load of a flag and
 * one predictable branch. -DPS_TRACE_COMPILED_OUT removes even that (for the
 * benchmark's "before" row).
 */
#ifndef PORTSOCK_TRACE_H
#define PORTSOCK_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum ps_trace_kind {
    PS_TRACE_INT,
    PS_TRACE_SOCKET,
    PS_TRACE_CODE,
    PS_TRACE_POINTER,
    PS_TRACE_HOSTENT,
    PS_TRACE_SERVENT,
    PS_TRACE_TEXT
};

/* Nonzero while a trace may be on (trace.c; written under its lock). It
   starts nonzero so that the first traced call looks at PORTSOCK_TRACE. */
extern int ps_trace_flag;

/* Writes one line for a result of the given kind (the trace's slow path:
   only called when ps_trace_flag is set). Keeps errno and the last error. */
void ps_trace_result(enum ps_trace_kind kind, const char *call, intptr_t ret);

/* A line with the given values (portsock.h's ps_trace_call), and the lines of
   the one-call paths (trace.c says what each stands for). */
void ps_trace_sendall(int ret, size_t sent);
void ps_trace_drain(int ret, size_t got, int code);

#ifdef PS_TRACE_COMPILED_OUT
#  define PS_TRACE_RESULT(kind, call, ret) ((void)0)
#  define PS_TRACING() 0
#else
#  define PS_TRACING() PS_UNLIKELY(PS_LOAD_RELAXED(&ps_trace_flag))
#  define PS_TRACE_RESULT(kind, call, ret)                              \
    do {                                                                \
        if (PS_TRACING())                                               \
            ps_trace_result(PS_TRACE_##kind, (call), (intptr_t)(ret)); \
    } while (0)
#endif

/* The body of an exported, traced call (see the top of this file). */
#define TRACED(type, kind, call_name, call)          \
    {                                                \
        int saved_errno = errno;                     \
        type result = call;                          \
        PS_TRACE_RESULT(kind, call_name, result);    \
        errno = saved_errno;                         \
        return result;                               \
    }

/* The bodies of the exported ps_sendall and ps_drain (the parameter names are
   portsock.h's), around the backend's function doing the work: what TRACED is
   for them, with the lines of trace.c's ps_trace_sendall and ps_trace_drain. */
#define TRACED_SENDALL(work)                                           \
    {                                                                  \
        int saved_errno = errno;                                       \
        size_t done = 0;                                               \
        int ret = work(s, buf, len, flags, timeout_ms, &done);         \
        if (sent != NULL)                                              \
            *sent = done;                                              \
        if (PS_TRACING())                                              \
            ps_trace_sendall(ret, done);                               \
        errno = saved_errno;                                           \
        return ret;                                                    \
    }
#define TRACED_DRAIN(work)                                             \
    {                                                                  \
        int saved_errno = errno;                                       \
        size_t got = 0;                                                \
        int ret = work(s, buf, cap, &got, timeout_ms);                 \
        if (received != NULL)                                          \
            *received = got;                                           \
        if (PS_TRACING())                                              \
            ps_trace_drain(ret, got, ret < 0 ? ps_last_error() : 0);   \
        errno = saved_errno;                                           \
        return ret;                                                    \
    }

#endif /* PORTSOCK_TRACE_H */
