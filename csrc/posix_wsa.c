/*
 * posix_wsa.c - the Winsock 2 calls on POSIX: WSASocket, WSASend, WSARecv,
 * WSASendTo, WSARecvFrom, WSASendDisconnect, WSARecvDisconnect, WSAIoctl.
 *
 * Without overlapped I/O each is a Winsock 1 call with more arguments, and is
 * built on that call: WSASend and WSARecv are send and recv over several
 * buffers, through the same checks and the same I/O loops of posix.c
 * (ps_send_iov, ps_recv_iov: blocking, SO_SNDTIMEO/SO_RCVTIMEO, closesocket from
 * another thread, signals), with sendmsg and recvmsg for the buffers; the
 * disconnects are shutdown; WSAIoctl's FIONBIO and FIONREAD are ioctlsocket.
 * What is WSA's own is judged here: the WSABUF array, the out-parameters,
 * the overlapped arguments (refused: portsock has no overlapped I/O) and
 * SIO_KEEPALIVE_VALS.
 *
 * The rules, with their sources (Wine 8.0's ws2_32, whose conformance tests
 * pass on Windows, and Microsoft's documentation), are in docs/porting.md,
 * section 10, and pinned by tests/test_wsa_calls.py and the wsa_* scenarios.
 */
#include "posix_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* WSABUF arrays up to this many buffers are converted on the stack. */
#define STACK_IOVECS 16
/* No datagram is longer (IPv4's and IPv6's 16-bit length). */
#define MAX_DATAGRAM 65536

/* ------------------------------------------------------------------------ */
/* WSASocket                                                                 */

static ps_socket ws_wsasocket(int af, int type, int protocol, const void *protocol_info,
                              uint32_t g, uint32_t flags)
{
    /* A WSAPROTOCOL_INFO names a provider of the catalog (WSAEnumProtocols)
       or a socket being shared (WSADuplicateSocket): portsock has neither, and
       says so before anything else, as win32.c does. g is reserved (Windows
       has no socket groups) and the flags only allow what a socket here can
       do anyway (overlapped I/O is refused by the calls that would start it;
       no socket is inherited by a child process): Wine 8.0 accepts every g
       and every flag bit too. */
    (void)g;
    (void)flags;
    if (protocol_info != NULL) {
        ps_thread_last_error = PS_WSAEINVAL;
        return PS_INVALID_SOCKET;
    }
    return ps_ws_socket(af, type, protocol);
}

/* ------------------------------------------------------------------------ */
/* The buffers                                                               */

/* The iovecs of a WSABUF array, on the stack or the heap. */
struct buffers {
    struct iovec local[STACK_IOVECS];
    struct iovec *iov;
    int count;
};

/* Converts count WSABUFs (trusted, as Winsock trusts them) to iovecs,
   leaving out the empty ones: 0, or WSAEFAULT (a NULL array with buffers in
   it, a NULL buf with a length), WSAENOBUFS. */
static int buffers_from(struct buffers *b, const ps_wsabuf *wsabufs, uint32_t count)
{
    uint32_t i;
    b->iov = b->local;
    b->count = 0;
    if (count == 0)
        return 0;
    if (wsabufs == NULL)
        return PS_WSAEFAULT;
    if (count > INT_MAX)
        return PS_WSAENOBUFS;
    if (count > STACK_IOVECS) {
        b->iov = malloc((size_t)count * sizeof *b->iov);
        if (b->iov == NULL)
            return PS_WSAENOBUFS;
    }
    for (i = 0; i < count; i++) {
        if (wsabufs[i].len == 0)
            continue;
        if (wsabufs[i].buf == NULL)
            return PS_WSAEFAULT;
        b->iov[b->count].iov_base = wsabufs[i].buf;
        b->iov[b->count].iov_len = wsabufs[i].len;
        b->count++;
    }
    return 0;
}

static void buffers_free(struct buffers *b)
{
    if (b->iov != b->local)
        free(b->iov);
}

/* A datagram is one message: over more buffers than one sendmsg takes, it
   goes out of one heap copy. *copy is NULL when not needed. 0, WSAENOBUFS. */
static int gather_datagram(struct buffers *b, char **copy)
{
    size_t total, at = 0;
    int i;
    *copy = NULL;
    if (b->count <= IOV_MAX)
        return 0;
    total = ps_iov_total(b->iov, b->count);
    *copy = malloc(total ? total : 1);
    if (*copy == NULL)
        return PS_WSAENOBUFS;
    for (i = 0; i < b->count; i++) {
        memcpy(*copy + at, b->iov[i].iov_base, b->iov[i].iov_len);
        at += b->iov[i].iov_len;
    }
    b->iov[0].iov_base = *copy;
    b->iov[0].iov_len = total;
    b->count = 1;
    return 0;
}

/* Spreads n bytes of src over the iovecs. */
static void scatter(const struct buffers *b, const char *src, size_t n)
{
    int i;
    for (i = 0; i < b->count && n > 0; i++) {
        size_t part = b->iov[i].iov_len < n ? b->iov[i].iov_len : n;
        memcpy(b->iov[i].iov_base, src, part);
        src += part;
        n -= part;
    }
}

/* The start of a WSASend or WSARecv: overlapped I/O refused (see
   portsock.h), the buffers empty, the handle's reference taken; NULL with the
   last error set. */
static struct slot *begin_io(ps_socket s, const void *overlapped, ps_wsa_completion completion,
                             struct buffers *b)
{
    b->iov = b->local;
    b->count = 0;
    if (overlapped != NULL || completion != NULL) {
        ps_fail(PS_WSAEOPNOTSUPP);
        return NULL;
    }
    return ps_acquire(s);
}

/* ------------------------------------------------------------------------ */
/* WSASend, WSASendTo                                                        */

static int wsa_send(ps_socket s, const ps_wsabuf *wsabufs, uint32_t count, uint32_t *sent,
                    uint32_t flags, const void *to, int tolen, int with_to, const void *overlapped,
                    ps_wsa_completion completion)
{
    struct slot *sl;
    struct buffers b;
    char *copy = NULL;
    size_t done = 0;
    int code;
    sl = begin_io(s, overlapped, completion, &b);
    if (!sl)
        return PS_SOCKET_ERROR;
    /* Without overlapped I/O the count is where the result goes (Wine 8.0). */
    code = sent == NULL ? PS_WSAEFAULT : buffers_from(&b, wsabufs, count);
    if (code == 0)
        code = ps_check_send(sl, NULL, 0);
    if (code == 0 && !ps_valid_send_flags((int)flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && with_to && to != NULL && tolen < (int)sizeof(struct sockaddr_in))
        code = PS_WSAEFAULT;
    /* On a connected TCP socket Winsock ignores the address, as sendto does. */
    if (sl->type == SOCK_STREAM)
        to = NULL;
    if (code == 0 && to == NULL && sl->type == SOCK_STREAM && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code == 0 && sl->type != SOCK_STREAM)
        code = gather_datagram(&b, &copy);
    if (code == 0)
        code = ps_send_iov(sl, b.iov, b.count, (int)flags, (const struct sockaddr *)to,
                        (socklen_t)(to ? tolen : 0), PS_NO_DEADLINE, &done);
    ps_release(sl);
    buffers_free(&b);
    free(copy);
    /* Bytes that went out are reported, never lost in an error, as by send. */
    if (done > 0 || code == 0) {
        *sent = (uint32_t)done;
        return ps_ok(0);
    }
    return ps_fail(code);
}

/* ------------------------------------------------------------------------ */
/* WSARecv, WSARecvFrom                                                      */

/* ps_recv_iov over the buffers; a datagram over more buffers than one recvmsg
   takes is received into a heap copy and spread over them. */
static ssize_t receive(struct slot *sl, struct buffers *b, int flags, struct sockaddr *from,
                       socklen_t *fromlen)
{
    struct iovec one;
    size_t total;
    char *copy;
    ssize_t n;
    if (sl->type == SOCK_STREAM || b->count <= IOV_MAX)
        return ps_recv_iov(sl, b->iov, b->count, flags, from, fromlen, PS_NO_DEADLINE);
    total = ps_iov_total(b->iov, b->count);
    one.iov_len = total < MAX_DATAGRAM ? total : MAX_DATAGRAM;
    copy = malloc(one.iov_len);
    if (copy == NULL)
        return -(ssize_t)PS_WSAENOBUFS;
    one.iov_base = copy;
    n = ps_recv_iov(sl, &one, 1, flags, from, fromlen, PS_NO_DEADLINE);
    if (n >= 0)
        scatter(b, copy, (size_t)n);
    else if (n == -(ssize_t)PS_WSAEMSGSIZE)
        scatter(b, copy, one.iov_len);   /* the start of the datagram, as Winsock leaves it */
    free(copy);
    return n;
}

static int wsa_recv(ps_socket s, const ps_wsabuf *wsabufs, uint32_t count, uint32_t *received,
                    uint32_t *flags, void *from, int *fromlen, int with_from, const void *overlapped,
                    ps_wsa_completion completion)
{
    struct slot *sl;
    struct buffers b;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    ssize_t n;
    int code;
    sl = begin_io(s, overlapped, completion, &b);
    if (!sl)
        return PS_SOCKET_ERROR;
    /* received may be NULL (Wine 8.0): the count is then not kept. */
    code = flags == NULL ? PS_WSAEFAULT : buffers_from(&b, wsabufs, count);
    if (code == 0)
        code = ps_check_recv(sl, NULL, 0);
    if (code == 0 && !ps_valid_recv_flags((int)*flags))
        code = PS_WSAEOPNOTSUPP;
    if (code == 0 && with_from && from != NULL &&
        (fromlen == NULL || *fromlen < (int)sizeof(struct sockaddr_in)))
        code = PS_WSAEFAULT;
    if (code == 0 && sl->type == SOCK_STREAM && !ps_is_connected(sl))
        code = PS_WSAENOTCONN;
    if (code == 0 && with_from && sl->type == SOCK_DGRAM && !ps_is_bound(sl->fd))
        code = PS_WSAEINVAL;
    if (code != 0) {
        buffers_free(&b);
        ps_release(sl);
        return ps_fail(code);
    }
    n = receive(sl, &b, (int)*flags, with_from ? (struct sockaddr *)&ss : NULL,
                with_from ? &sslen : NULL);
    buffers_free(&b);
    ps_release(sl);
    if (n < 0)
        return ps_fail((int)-n);
    if (with_from && from != NULL) {
        int copy = (int)sslen < *fromlen ? (int)sslen : *fromlen;
        memcpy(from, &ss, (size_t)copy);
        *fromlen = (int)sslen;
    }
    /* *flags stays as it came: the only flag Windows reports, MSG_PARTIAL,
       belongs to message protocols other than TCP and UDP (Wine 8.0 leaves
       it as passed too, MSG_PEEK and MSG_OOB included). */
    if (received != NULL)
        *received = (uint32_t)n;
    return ps_ok(0);
}

/* ------------------------------------------------------------------------ */
/* WSASendDisconnect, WSARecvDisconnect                                      */

static int ws_wsasenddisconnect(ps_socket s, const ps_wsabuf *data)
{
    if (data != NULL) {
        /* TCP/IP carries no disconnect data: Windows' provider fails the call
           (MS docs, WSASendDisconnect: WSAENOPROTOOPT), without shutting
           anything down. Wine 8.0 ignores the data instead. */
        struct slot *sl = ps_acquire(s);
        if (!sl)
            return PS_SOCKET_ERROR;
        ps_release(sl);
        return ps_fail(PS_WSAENOPROTOOPT);
    }
    return ps_ws_shutdown(s, PS_SD_SEND);
}

static int ws_wsarecvdisconnect(ps_socket s, ps_wsabuf *data)
{
    /* No disconnect data ever arrives on TCP/IP; a provider without it need
       not fail (MS docs, WSARecvDisconnect), and Windows' does not: data is
       left as it is. */
    (void)data;
    return ps_ws_shutdown(s, PS_SD_RECEIVE);
}

/* ------------------------------------------------------------------------ */
/* WSAIoctl                                                                  */

/* Winsock's keep-alive times are milliseconds; POSIX's whole seconds, from 1
   to Linux's largest, 32767 (rounded up, so that no probe comes earlier than
   asked). */
static int keepalive_seconds(uint32_t ms)
{
    uint32_t seconds = ms / 1000 + (ms % 1000 != 0);
    return seconds < 1 ? 1 : seconds > 32767 ? 32767 : (int)seconds;
}

static int set_keepalive(struct slot *sl, const ps_tcp_keepalive *ka)
{
    /* Windows (from Vista) sends 10 probes, and no program can change that. */
    const struct {
        int level, name, value;
    } options[] = {
#ifdef PS_TCP_KEEPIDLE
        {IPPROTO_TCP, PS_TCP_KEEPIDLE, keepalive_seconds(ka->keepalivetime)},
#endif
#ifdef TCP_KEEPINTVL
        {IPPROTO_TCP, TCP_KEEPINTVL, keepalive_seconds(ka->keepaliveinterval)},
#endif
#ifdef TCP_KEEPCNT
        {IPPROTO_TCP, TCP_KEEPCNT, 10},
#endif
        {SOL_SOCKET, SO_KEEPALIVE, ka->onoff != 0},
    };
    size_t i;
    if (sl->type != SOCK_STREAM)
        return PS_WSAEINVAL;   /* Wine 8.0: keep-alive is for TCP only */
    for (i = 0; i < sizeof options / sizeof options[0]; i++)
        if (setsockopt(sl->fd, options[i].level, options[i].name, &options[i].value,
                       sizeof options[i].value) != 0)
            return ps_wsa_from_errno(errno);
    return 0;
}

/* Winsock's u_long: 4 bytes on every platform. */
static uint32_t read_u_long(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int ws_wsaioctl(ps_socket s, uint32_t code, const void *in, uint32_t in_size, void *out,
                       uint32_t out_size, uint32_t *returned, const void *overlapped,
                       ps_wsa_completion completion)
{
    struct slot *sl;
    unsigned long arg;
    int err = 0, ret;
    if (overlapped != NULL || completion != NULL)
        return ps_fail(PS_WSAEOPNOTSUPP);   /* no overlapped I/O (see portsock.h) */
    sl = ps_acquire(s);
    if (!sl)
        return PS_SOCKET_ERROR;
    if (returned == NULL)
        err = PS_WSAEFAULT;   /* Wine 8.0, for every code */
    else if (code == (uint32_t)PS_SIO_KEEPALIVE_VALS) {
        ps_tcp_keepalive ka;
        if (in == NULL || in_size < sizeof ka)
            err = PS_WSAEFAULT;
        else {
            memcpy(&ka, in, sizeof ka);
            err = set_keepalive(sl, &ka);
        }
        if (err == 0)
            *returned = 0;
    } else if (code != (uint32_t)FIONBIO && code != (uint32_t)FIONREAD && code != (uint32_t)SIOCATMARK)
        err = PS_WSAEOPNOTSUPP;   /* Winsock's (and Wine 8.0's) answer to an unknown code */
    ps_release(sl);
    if (err != 0)
        return ps_fail(err);
    if (code == (uint32_t)PS_SIO_KEEPALIVE_VALS)
        return ps_ok(0);
    /* The ioctlsocket commands, with their argument in the buffers. */
    if (code == (uint32_t)FIONBIO) {
        if (in == NULL || in_size < sizeof(uint32_t))
            return ps_fail(PS_WSAEFAULT);
        arg = read_u_long(in);
        ret = ps_ws_ioctlsocket(s, (long)FIONBIO, &arg);
        if (ret == 0)
            *returned = 0;
        return ret;
    }
    if (out == NULL || out_size < sizeof(uint32_t))
        return ps_fail(PS_WSAEFAULT);
    ret = ps_ws_ioctlsocket(s, code == (uint32_t)FIONREAD ? (long)FIONREAD : (long)SIOCATMARK, &arg);
    if (ret == 0) {
        uint32_t v = (uint32_t)arg;
        memcpy(out, &v, sizeof v);
        *returned = sizeof v;
    }
    return ret;
}

/* ------------------------------------------------------------------------ */
/* The exported calls (KEEP_ERRNO: none changes errno)                       */

ps_socket ps_wsasocket(int af, int type, int protocol, const void *protocol_info, uint32_t g,
                       uint32_t flags)
    TRACED(ps_socket, SOCKET, "WSASocketA", ws_wsasocket(af, type, protocol, protocol_info, g, flags))
ps_socket ps_wsasocketw(int af, int type, int protocol, const void *protocol_info, uint32_t g,
                        uint32_t flags)
    TRACED(ps_socket, SOCKET, "WSASocketW", ws_wsasocket(af, type, protocol, protocol_info, g, flags))
int ps_wsasend(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent, uint32_t flags,
               const void *overlapped, ps_wsa_completion completion)
    TRACED(int, INT, "WSASend", wsa_send(s, buffers, count, sent, flags, NULL, 0, 0, overlapped, completion))
int ps_wsasendto(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *sent,
                 uint32_t flags, const void *to, int tolen, const void *overlapped,
                 ps_wsa_completion completion)
    TRACED(int, INT, "WSASendTo", wsa_send(s, buffers, count, sent, flags, to, tolen, 1, overlapped, completion))
int ps_wsarecv(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
               uint32_t *flags, const void *overlapped, ps_wsa_completion completion)
    TRACED(int, INT, "WSARecv", wsa_recv(s, buffers, count, received, flags, NULL, NULL, 0, overlapped, completion))
int ps_wsarecvfrom(ps_socket s, const ps_wsabuf *buffers, uint32_t count, uint32_t *received,
                   uint32_t *flags, void *from, int *fromlen, const void *overlapped,
                   ps_wsa_completion completion)
    TRACED(int, INT, "WSARecvFrom", wsa_recv(s, buffers, count, received, flags, from, fromlen, 1, overlapped, completion))
int ps_wsasenddisconnect(ps_socket s, const ps_wsabuf *data) TRACED(int, INT, "WSASendDisconnect", ws_wsasenddisconnect(s, data))
int ps_wsarecvdisconnect(ps_socket s, ps_wsabuf *data) TRACED(int, INT, "WSARecvDisconnect", ws_wsarecvdisconnect(s, data))
int ps_wsaioctl(ps_socket s, uint32_t code, const void *in, uint32_t in_size, void *out,
                uint32_t out_size, uint32_t *returned, const void *overlapped,
                ps_wsa_completion completion)
    TRACED(int, INT, "WSAIoctl", ws_wsaioctl(s, code, in, in_size, out, out_size, returned, overlapped, completion))
