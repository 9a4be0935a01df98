/*
 * trace.c - the trace of Winsock calls, shared by both backends: one JSON line
 * per call, {"call": ..., "ret": ..., "err": ...}, in the format of
 * portsock.winsock.trace() and of the parity driver (tests/native/driver.c).
 *
 * Switched on by PORTSOCK_TRACE=path ("-": stderr), looked at by the first
 * traced call of the process, or by ps_trace_open(path); off by
 * ps_trace_close(). The file is appended to, one whole line per write.
 *
 * The hook is in each backend's exported wrappers (TRACED, in trace.h, whose
 * top says how a new function gets traced: one line). The one-call paths of
 * the Pythonic layer (ps_sendall, ps_drain, ps_disconnect, ps_connect_timeout)
 * write the Winsock calls they stand for, through ps_trace_call, from inside
 * each backend.
 *
 * The rules it keeps:
 *   - off, a call costs one relaxed load and a predictable branch
 *     (ps_trace_flag, in TRACED); nothing else of this file runs;
 *   - on, one lock (trace_lock) around numbering, formatting and writing, so
 *     lines never interleave and "S1", "S2" ... are numbered across threads
 *     in the order of the lines;
 *   - bounded memory: one line on the stack, the stdio buffer, a counter;
 *   - a failed write changes nothing of the call: its result is already
 *     taken, and errno and the last error are put back as they were.
 */
#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ps_trace_flag = 1;   /* see trace.h: the first call looks at the environment */

static ps_trace_lock_t trace_lock = PS_TRACE_LOCK_INIT;
static FILE *trace_out;           /* NULL: off */
static int env_looked_at;
static unsigned long sockets_numbered;

/* Guarded by trace_lock from here on. */

static void close_locked(void)
{
    if (trace_out != NULL && trace_out != stderr)
        fclose(trace_out);
    trace_out = NULL;
    PS_STORE_RELAXED(&ps_trace_flag, 0);
}

/* 0, or the errno of the failed fopen (the trace is then off). */
static int open_locked(const char *path)
{
    FILE *f;
    close_locked();
    env_looked_at = 1;
    sockets_numbered = 0;
    if (path == NULL || path[0] == '\0')
        return 0;
    if (strcmp(path, "-") == 0)
        f = stderr;
    else {
        f = fopen(path, "a");
        if (f == NULL)
            return errno != 0 ? errno : EINVAL;
    }
    trace_out = f;
    PS_STORE_RELAXED(&ps_trace_flag, 1);
    return 0;
}

static void look_at_env_locked(void)
{
    if (!env_looked_at) {
        const char *path = getenv("PORTSOCK_TRACE");
        /* A path that cannot be opened leaves the trace off: the program runs
           as it would without it. */
        open_locked(path);
    }
}

/* The call name as a JSON string's contents (names are identifiers; anything
   else is escaped rather than trusted). */
static void put_name(char *out, size_t size, const char *call)
{
    size_t n = 0;
    for (; *call != '\0' && n + 7 < size; call++) {
        unsigned char c = (unsigned char)*call;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f)
            n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
        else
            out[n++] = (char)c;
    }
    out[n] = '\0';
}

/* ret and err of a result, as the line shows them; last_error is the call's,
   read before the trace did anything (on Windows the trace's own file calls
   set the same per-thread value: WSAGetLastError is GetLastError). */
static int format_result(enum ps_trace_kind kind, intptr_t ret, int last_error, char *shown, size_t size)
{
    switch (kind) {
    case PS_TRACE_SOCKET:
        if ((ps_socket)ret == PS_INVALID_SOCKET) {
            snprintf(shown, size, "\"INVALID_SOCKET\"");
            return last_error;
        }
        snprintf(shown, size, "\"S%lu\"", ++sockets_numbered);
        return 0;
    case PS_TRACE_CODE:
        snprintf(shown, size, "%ld", (long)ret);
        return (int)ret;
    case PS_TRACE_POINTER:
    case PS_TRACE_HOSTENT:
    case PS_TRACE_SERVENT:
        snprintf(shown, size, "\"%s\"", ret == 0 ? "NULL" : kind == PS_TRACE_HOSTENT ? "HOSTENT"
                                                   : kind == PS_TRACE_SERVENT ? "SERVENT" : "ptr");
        return ret == 0 ? last_error : 0;
    case PS_TRACE_TEXT:
        /* put_name keeps the line valid JSON whatever the text holds. */
        if (ret == 0) {
            snprintf(shown, size, "\"NULL\"");
        } else {
            char text[40];   /* inet_ntoa's text has at most 15 characters */
            put_name(text, sizeof text, (const char *)ret);
            snprintf(shown, size, "\"%s\"", text);
        }
        return 0;
    case PS_TRACE_INT:
    default:
        snprintf(shown, size, "%ld", (long)(int)ret);
        return (int)ret == PS_SOCKET_ERROR ? last_error : 0;
    }
}

static void write_locked(const char *call, const char *shown, int err)
{
    char name[96], line[192];
    put_name(name, sizeof name, call);
    snprintf(line, sizeof line, "{\"call\": \"%s\", \"ret\": %s, \"err\": %d}\n", name, shown, err);
    /* One fputs and a flush: the line reaches the file whole, in one write
       (the stdio buffer is larger than any line), and nothing stays behind
       in the buffer if the program ends abruptly. Failures are ignored. */
    fputs(line, trace_out);
    fflush(trace_out);
}

/* ------------------------------------------------------------------------ */

void ps_trace_result(enum ps_trace_kind kind, const char *call, intptr_t ret)
{
    int saved_errno = errno, saved_last = ps_last_error();
    ps_trace_lock(&trace_lock);
    look_at_env_locked();
    if (trace_out != NULL) {
        char shown[48];
        int err = format_result(kind, ret, saved_last, shown, sizeof shown);
        write_locked(call, shown, err);
    }
    ps_trace_unlock(&trace_lock);
    ps_set_last_error(saved_last);
    errno = saved_errno;
}

/* A line for an answer a layer above gave itself (ps_trace_call, and
   ps_trace_null for a NULL pointer). */
static void write_answer(const char *call, int null, intptr_t ret, int err)
{
    int saved_errno = errno, saved_last = ps_last_error();
    if (!PS_TRACING() || call == NULL)
        return;
    ps_trace_lock(&trace_lock);
    look_at_env_locked();
    if (trace_out != NULL) {
        char shown[32];
        if (null)
            snprintf(shown, sizeof shown, "\"NULL\"");
        else
            snprintf(shown, sizeof shown, "%lld", (long long)ret);
        write_locked(call, shown, err);
    }
    ps_trace_unlock(&trace_lock);
    ps_set_last_error(saved_last);
    errno = saved_errno;
}

void ps_trace_call(const char *call, intptr_t ret, int err)
{
    write_answer(call, 0, ret, err);
}

void ps_trace_null(const char *call, int err)
{
    write_answer(call, 1, 0, err);
}

int ps_trace_open(const char *path)
{
    int saved_errno = errno, code;
    ps_trace_lock(&trace_lock);
    code = open_locked(path);
    ps_trace_unlock(&trace_lock);
    errno = saved_errno;
    return code;
}

void ps_trace_close(void)
{
    int saved_errno = errno;
    ps_trace_lock(&trace_lock);
    close_locked();
    env_looked_at = 1;
    ps_trace_unlock(&trace_lock);
    errno = saved_errno;
}

int ps_trace_active(void)
{
    int on;
    ps_trace_lock(&trace_lock);
    look_at_env_locked();
    on = trace_out != NULL;
    ps_trace_unlock(&trace_lock);
    return on;
}

/* ------------------------------------------------------------------------ */
/* The one-call paths, as the Winsock calls they stand for. Each backend calls
   these only while the trace is on (PS_TRACING()). */

/* ps_sendall: one blocking send of everything (a Winsock blocking send
   returns once all of it is sent): "send" with the bytes sent, or
   SOCKET_ERROR and the last error. */
void ps_trace_sendall(int ret, size_t sent)
{
    ps_trace_call("send", ret == 0 ? (intptr_t)sent : -1, ret == 0 ? 0 : ps_last_error());
}

/* ps_drain, and the receiving part of ps_disconnect: the loop of recv until
   0. Written as one "recv" with all the bytes received (when there were any)
   and the recv that ended the loop: 0 at the peer's FIN, SOCKET_ERROR with
   code on failure; none after a full buffer (ret 1: the caller goes on).
   How many recv the bytes took depends on the network, not on the program,
   so the trace does not show it. */
void ps_trace_drain(int ret, size_t got, int code)
{
    if (got > 0)
        ps_trace_call("recv", (intptr_t)got, 0);
    if (ret == 0)
        ps_trace_call("recv", 0, 0);
    else if (ret < 0)
        ps_trace_call("recv", -1, code);
}
