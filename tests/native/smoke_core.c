/*
 * smoke_core.c - a smoke test of the portsock core through its ps_* API only.
 *
 * The main scenario is the graceful client lifecycle against a loopback server:
 * the client sends 14 bytes and half-closes, the server reads to end-of-stream,
 * replies 5 bytes and closes, and ps_disconnect collects the reply and closes
 * the client. Further checks cover the other one-call paths (deadlines, a
 * full buffer, discarding, failures) and startup/cleanup/getaddrinfo codes.
 *
 * Everything runs in one thread: each blocking call is made only once the
 * kernel already holds what it waits for, so the program is the same on every
 * platform and needs no thread API.
 *
 * Windows backend, run under Wine:
 *   x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Icsrc -o /tmp/smoke.exe \
 *       tests/native/smoke_core.c csrc/win32.c csrc/errmap.c csrc/addr.c -lws2_32 -static
 *   WINEDEBUG=-all WINEPREFIX=$(mktemp -d) /usr/lib/wine/wine64 /tmp/smoke.exe
 * POSIX backend:
 *   cc -std=c11 -Wall -Wextra -Icsrc -o /tmp/smoke \
 *       tests/native/smoke_core.c csrc/posix.c csrc/errmap.c csrc/addr.c
 *
 * Prints one PASS or FAIL line per check (INFO lines report what was seen
 * where the platforms may legitimately differ); exits 1 if any check failed.
 */
#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

static void check(int ok, const char *what, const char *fmt, long a, long b)
{
    if (ok) {
        printf("PASS %s\n", what);
    } else {
        failures++;
        printf("FAIL %s: ", what);
        printf(fmt, a, b);
        printf("\n");
    }
    fflush(stdout);
}

/* A call's result and last error against what Windows gives. */
static void expect(const char *what, long ret, long want_ret, int want_err)
{
    long err = ps_last_error();
    if (ret == want_ret && (want_err == 0 || err == want_err)) {
        check(1, what, "", 0, 0);
        return;
    }
    failures++;
    printf("FAIL %s: returned %ld (want %ld), last error %ld (want %d)\n",
           what, ret, want_ret, err, want_err);
    fflush(stdout);
}

/* An IPv4 loopback address with the given port (network byte order). */
static int loopback(uint16_t port_n, unsigned char *buf, int buflen)
{
    ps_sockaddr_view v;
    memset(&v, 0, sizeof v);
    v.family = AF_INET;
    v.port = port_n;
    if (ps_inet_pton(AF_INET, "127.0.0.1", v.addr) != 1)
        return -1;
    return ps_sockaddr_encode(&v, buf, buflen);
}

/* A listening socket on 127.0.0.1 and an ephemeral port. */
static ps_socket open_listener(uint16_t *port_n, int backlog)
{
    unsigned char sa[128];
    int salen = loopback(0, sa, (int)sizeof sa);
    ps_sockaddr_view v;
    ps_socket l = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);

    if (l == PS_INVALID_SOCKET)
        return l;
    if (salen < 0 || ps_bind(l, sa, salen) != 0 || ps_listen(l, backlog) != 0)
        goto fail;
    salen = (int)sizeof sa;
    if (ps_getsockname(l, sa, &salen) != 0 || ps_sockaddr_decode(sa, salen, &v) != 0)
        goto fail;
    *port_n = v.port;
    return l;
fail:
    printf("INFO listener setup failed: %d\n", ps_last_error());
    ps_closesocket(l);
    return PS_INVALID_SOCKET;
}

/* A connected client/server pair through listener l. */
static int open_pair(ps_socket l, uint16_t port_n, ps_socket *client, ps_socket *server)
{
    unsigned char sa[128];
    int salen = loopback(port_n, sa, (int)sizeof sa);

    *client = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    *server = PS_INVALID_SOCKET;
    if (*client == PS_INVALID_SOCKET)
        return -1;
    if (ps_connect(*client, sa, salen) != 0) {
        printf("INFO connect failed: %d\n", ps_last_error());
        ps_closesocket(*client);
        return -1;
    }
    *server = ps_accept(l, NULL, NULL);
    if (*server == PS_INVALID_SOCKET) {
        printf("INFO accept failed: %d\n", ps_last_error());
        ps_closesocket(*client);
        return -1;
    }
    return 0;
}

/* The server side of the main scenario: read to end-of-stream. */
static long read_to_eof(ps_socket s, char *buf, int cap)
{
    long total = 0;
    for (;;) {
        int n = ps_recv(s, buf + total, cap - (int)total, 0);
        if (n <= 0)
            return n == 0 ? total : -1;
        total += n;
        if (total == cap)
            return total;
    }
}

/* Whether s is in blocking mode, seen from outside: with SO_RCVTIMEO set, a
   recv with nothing to read times out (WSAETIMEDOUT) on a blocking socket and
   fails at once (WSAEWOULDBLOCK) on a non-blocking one. */
static void expect_blocking(const char *what, ps_socket s)
{
    uint32_t ms = 200;   /* Winsock's SO_RCVTIMEO is a DWORD of milliseconds */
    char c;
    if (ps_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &ms, (int)sizeof ms) != 0) {
        check(0, what, "setsockopt(SO_RCVTIMEO) failed with %ld%ld", ps_last_error(), 0);
        return;
    }
    expect(what, ps_recv(s, &c, 1, 0), PS_SOCKET_ERROR, PS_WSAETIMEDOUT);
}

static void lifecycle(ps_socket l, uint16_t port_n)
{
    static const char msg[] = "this is a test";
    char in[64], reply[64];
    ps_socket c, s;
    size_t got = 12345;
    long n;

    if (open_pair(l, port_n, &c, &s) != 0) {
        check(0, "lifecycle: connect and accept", "error %ld%ld", ps_last_error(), 0);
        return;
    }
    check(1, "lifecycle: connect and accept", "", 0, 0);
    expect("lifecycle: client send 14", ps_send(c, msg, 14, 0), 14, 0);
    expect("lifecycle: client shutdown(SD_SEND)", ps_shutdown(c, PS_SD_SEND), 0, 0);

    n = read_to_eof(s, in, (int)sizeof in);
    check(n == 14 && memcmp(in, msg, 14) == 0, "lifecycle: server reads 14 bytes then EOF",
          "read %ld (errno-like %ld)", n, ps_last_error());
    expect("lifecycle: server send 5", ps_send(s, "hello", 5, 0), 5, 0);
    expect("lifecycle: server closesocket", ps_closesocket(s), 0, 0);

    memset(reply, 0, sizeof reply);
    n = ps_disconnect(c, reply, sizeof reply, &got, 5000);
    check(n == 0 && got == 5 && memcmp(reply, "hello", 5) == 0,
          "lifecycle: ps_disconnect returns 0 with the 5-byte reply",
          "returned %ld, received %ld", n, (long)got);
    /* ps_disconnect closed it: the handle is gone. */
    expect("lifecycle: handle closed by ps_disconnect", ps_closesocket(c), PS_SOCKET_ERROR,
           PS_WSAENOTSOCK);
}

static void disconnect_buffer_full(ps_socket l, uint16_t port_n)
{
    char part[4], rest[64];
    ps_socket c, s;
    size_t got = 0;
    int rc;

    if (open_pair(l, port_n, &c, &s) != 0) {
        check(0, "buffer full: pair", "error %ld%ld", ps_last_error(), 0);
        return;
    }
    ps_send(s, "0123456789", 10, 0);
    ps_closesocket(s);

    rc = ps_disconnect(c, part, sizeof part, &got, 5000);
    check(rc == 1 && got == 4 && memcmp(part, "0123", 4) == 0,
          "buffer full: ps_disconnect returns 1 with 4 bytes", "returned %ld, received %ld",
          rc, (long)got);
    rc = ps_drain(c, rest, sizeof rest, &got, 5000);
    check(rc == 0 && got == 6 && memcmp(rest, "456789", 6) == 0,
          "buffer full: ps_drain gets the other 6 and the FIN", "returned %ld, received %ld",
          rc, (long)got);
    expect("buffer full: closesocket afterwards", ps_closesocket(c), 0, 0);
}

static void drain_discard(ps_socket l, uint16_t port_n)
{
    enum { BULK = 65536 };
    char *bulk = malloc(BULK);
    ps_socket c, s;
    size_t sent = 0, got = 0;
    int rc;

    if (bulk == NULL || open_pair(l, port_n, &c, &s) != 0) {
        check(0, "discard: pair", "error %ld%ld", ps_last_error(), 0);
        free(bulk);
        return;
    }
    memset(bulk, 'x', BULK);
    rc = ps_sendall(s, bulk, BULK, 0, 5000, &sent);
    check(rc == 0 && sent == BULK, "discard: ps_sendall of 64 KiB with a deadline",
          "returned %ld, sent %ld", rc, (long)sent);
    ps_closesocket(s);
    rc = ps_drain(c, NULL, 0, &got, 5000);
    check(rc == 0 && got == sent, "discard: ps_drain(NULL, 0) counts to the FIN",
          "returned %ld, counted %ld", rc, (long)got);
    ps_closesocket(c);
    free(bulk);
}

static void drain_timeout(ps_socket l, uint16_t port_n)
{
    char buf[64];
    ps_socket c, s;
    size_t got = 99;
    time_t t0;
    int rc;

    if (open_pair(l, port_n, &c, &s) != 0) {
        check(0, "drain timeout: pair", "error %ld%ld", ps_last_error(), 0);
        return;
    }
    ps_send(s, "abc", 3, 0);    /* some data, then silence: no FIN */
    t0 = time(NULL);
    rc = ps_drain(c, buf, sizeof buf, &got, 1000);
    expect("drain timeout: -1 with WSAETIMEDOUT", rc, PS_SOCKET_ERROR, PS_WSAETIMEDOUT);
    check(got == 3, "drain timeout: the bytes before the silence are counted",
          "received %ld%ld", (long)got, 0);
    check(time(NULL) - t0 <= 3, "drain timeout: returns near the deadline",
          "took about %ld s%ld", (long)(time(NULL) - t0), 0);

    /* The same through ps_disconnect: the socket ends up closed, and the
       timeout is still the last error. */
    rc = ps_disconnect(c, buf, sizeof buf, &got, 300);
    expect("disconnect timeout: -1 with WSAETIMEDOUT", rc, PS_SOCKET_ERROR, PS_WSAETIMEDOUT);
    expect("disconnect timeout: socket was closed", ps_closesocket(c), PS_SOCKET_ERROR,
           PS_WSAENOTSOCK);
    ps_closesocket(s);
}

static void sendall_timeout(ps_socket l, uint16_t port_n)
{
    const size_t big = (size_t)64 << 20;   /* far beyond any socket buffers */
    char *bulk = malloc(big);
    ps_socket c, s;
    size_t sent = 0;
    time_t t0;
    int rc;

    if (bulk == NULL || open_pair(l, port_n, &c, &s) != 0) {
        check(0, "sendall timeout: pair", "error %ld%ld", ps_last_error(), 0);
        free(bulk);
        return;
    }
    memset(bulk, 'y', big);
    t0 = time(NULL);
    rc = ps_sendall(c, bulk, big, 0, 1000, &sent);   /* the server never reads */
    expect("sendall timeout: -1 with WSAETIMEDOUT", rc, PS_SOCKET_ERROR, PS_WSAETIMEDOUT);
    check(sent > 0 && sent < big, "sendall timeout: *sent is the partial count",
          "sent %ld of %ld", (long)sent, (long)big);
    check(time(NULL) - t0 <= 3, "sendall timeout: returns near the deadline",
          "took about %ld s%ld", (long)(time(NULL) - t0), 0);
    printf("INFO sendall timeout: %lu bytes went out before the deadline\n",
           (unsigned long)sent);
    expect_blocking("sendall timeout: socket is blocking afterwards", c);
    ps_closesocket(c);
    ps_closesocket(s);
    free(bulk);
}

static void connect_with_timeout(ps_socket l, uint16_t port_n)
{
    unsigned char sa[128];
    int salen;
    uint16_t dead_port;
    ps_socket c, s, dead;
    int rc;

    salen = loopback(port_n, sa, (int)sizeof sa);
    c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expect("connect_timeout: to a listener", ps_connect_timeout(c, sa, salen, 5000), 0, 0);
    s = ps_accept(l, NULL, NULL);
    expect_blocking("connect_timeout: socket is blocking afterwards", c);
    expect("connect_timeout: send afterwards", ps_send(c, "z", 1, 0), 1, 0);
    {
        char z = 0;
        expect("connect_timeout: server recv", ps_recv(s, &z, 1, 0), 1, 0);
    }
    ps_closesocket(c);
    ps_closesocket(s);

    /* A port that was just free: nobody listens there. */
    dead = open_listener(&dead_port, 1);
    ps_closesocket(dead);
    salen = loopback(dead_port, sa, (int)sizeof sa);
    c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    rc = ps_connect_timeout(c, sa, salen, 5000);
    expect("connect_timeout: refused port gives WSAECONNREFUSED", rc, PS_SOCKET_ERROR,
           PS_WSAECONNREFUSED);
    expect("connect_timeout: closesocket after refusal", ps_closesocket(c), 0, 0);

    c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    rc = ps_connect_timeout(c, sa, salen, -1);
    expect("connect_timeout(-1): plain connect, WSAECONNREFUSED", rc, PS_SOCKET_ERROR,
           PS_WSAECONNREFUSED);
    ps_closesocket(c);
}

static void disconnect_failure(void)
{
    ps_socket c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    size_t got = 7;
    char buf[8];
    int rc = ps_disconnect(c, buf, sizeof buf, &got, 1000);
    expect("disconnect unconnected: -1 with WSAENOTCONN", rc, PS_SOCKET_ERROR, PS_WSAENOTCONN);
    check(got == 0, "disconnect unconnected: *received is 0", "received %ld%ld", (long)got, 0);
    expect("disconnect unconnected: socket was closed", ps_closesocket(c), PS_SOCKET_ERROR,
           PS_WSAENOTSOCK);
    expect("disconnect NULL buffer with cap: WSAEFAULT",
           ps_disconnect(ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP), NULL, 8, &got, -1),
           PS_SOCKET_ERROR, PS_WSAEFAULT);
}

static void names(void)
{
    struct addrinfo *res = NULL;
    ps_addrinfo_view v;
    int rc;

    rc = ps_getaddrinfo_hints("127.0.0.1", "27015", 1, 0, AF_INET, SOCK_STREAM, IPPROTO_TCP, &res);
    ps_addrinfo_read(res, &v);
    check(rc == 0 && res != NULL && v.ai_family == AF_INET, "getaddrinfo 127.0.0.1:27015",
          "returned %ld, family %ld", rc, res ? v.ai_family : -1);
    ps_freeaddrinfo(res);

    res = NULL;
    ps_set_last_error(0);
    rc = ps_getaddrinfo(NULL, NULL, NULL, &res);
    expect("getaddrinfo(NULL, NULL): WSAHOST_NOT_FOUND, also the last error", rc,
           PS_WSAHOST_NOT_FOUND, PS_WSAHOST_NOT_FOUND);
    ps_freeaddrinfo(res);
}

int main(void)
{
    ps_wsadata wsa;
    ps_socket l;
    uint16_t port_n = 0;
    int rc;

    memset(&wsa, 0, sizeof wsa);
    rc = ps_startup(0x0000, &wsa);
    check(rc == PS_WSAVERNOTSUPPORTED, "startup 0.0: WSAVERNOTSUPPORTED", "returned %ld%ld",
          rc, 0);
    printf("INFO startup 0.0: wVersion 0x%04lx wHighVersion 0x%04lx\n",
           (unsigned long)wsa.wVersion, (unsigned long)wsa.wHighVersion);
    rc = ps_startup(0x0202, NULL);
    check(rc == PS_WSAEFAULT, "startup with NULL data: WSAEFAULT", "returned %ld%ld", rc, 0);

    memset(&wsa, 0, sizeof wsa);
    rc = ps_startup(0x0202, &wsa);
    check(rc == 0 && wsa.wVersion == 0x0202, "startup 2.2", "returned %ld, wVersion 0x%lx", rc,
          wsa.wVersion);
    if (rc != 0)
        return 1;
    printf("INFO WSADATA: wVersion 0x%04x wHighVersion 0x%04x iMaxSockets %u iMaxUdpDg %u "
           "szDescription \"%s\" szSystemStatus \"%s\"\n",
           wsa.wVersion, wsa.wHighVersion, wsa.iMaxSockets, wsa.iMaxUdpDg, wsa.szDescription,
           wsa.szSystemStatus);

    l = open_listener(&port_n, 16);
    check(l != PS_INVALID_SOCKET, "listen on 127.0.0.1 port 0", "error %ld%ld", ps_last_error(),
          0);
    if (l == PS_INVALID_SOCKET)
        return 1;

    lifecycle(l, port_n);
    disconnect_buffer_full(l, port_n);
    drain_discard(l, port_n);
    drain_timeout(l, port_n);
    sendall_timeout(l, port_n);
    connect_with_timeout(l, port_n);
    disconnect_failure();
    names();

    expect("closesocket listener", ps_closesocket(l), 0, 0);
    expect("cleanup", ps_cleanup(), 0, 0);
    expect("cleanup once too often: WSANOTINITIALISED", ps_cleanup(), PS_SOCKET_ERROR,
           PS_WSANOTINITIALISED);

    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
