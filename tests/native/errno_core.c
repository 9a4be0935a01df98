/*
 * errno_core.c - no call of the core changes errno (Winsock never sets it).
 *
 * Every ps_* call below runs with errno set to a sentinel, and errno must
 * still hold it afterwards, whether the call succeeded or failed, blocked or
 * not. Prints one line per failure and "N passed, N failed" at the end; exit
 * status 1 if any failed. POSIX only (the Windows backend is ws2_32's).
 */
#include "platform.h"

#include <stdio.h>
#include <string.h>

#define SENTINEL 4242

static int passed, failed;

static void check_errno(const char *what, int line)
{
    if (errno == SENTINEL) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL line %d: %s changed errno to %d (%s)\n", line, what, errno, strerror(errno));
}

/* Runs expr with errno at the sentinel and checks errno afterwards. */
#define CALL(expr) (errno = SENTINEL, (void)(expr), check_errno(#expr, __LINE__))
#define VALUE(var, expr) (errno = SENTINEL, (var) = (expr), check_errno(#expr, __LINE__))

int main(void)
{
    ps_wsadata data;
    struct sockaddr_in addr, bound;
    int len = (int)sizeof bound, optlen;
    ps_socket l, c, a, u;
    char buf[256];
    unsigned long arg;
    uint32_t ms = 200;
    size_t n;
    struct addrinfo *res = NULL;

    CALL(ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP));   /* before startup */
    CALL(ps_startup(0x0202, &data));
    CALL(ps_startup(0x0000, &data));
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    VALUE(l, ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    CALL(ps_socket_open(12345, SOCK_STREAM, 0));
    CALL(ps_bind(l, &addr, (int)sizeof addr));
    CALL(ps_getsockname(l, &bound, &len));
    CALL(ps_listen(l, 8));
    CALL(ps_shutdown(l, PS_SD_SEND));                           /* 10057 */

    VALUE(c, ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    CALL(ps_connect(c, &bound, (int)sizeof bound));             /* a blocking connect */
    VALUE(a, ps_accept(l, NULL, NULL));
    CALL(ps_connect(c, &bound, (int)sizeof bound));             /* 10056 */
    CALL(ps_send(c, "hello", 5, 0));
    CALL(ps_recv(a, buf, 5, 0));
    CALL(ps_setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &ms, (int)sizeof ms));
    CALL(ps_recv(a, buf, sizeof buf, 0));                       /* times out: 10060 */
    optlen = (int)sizeof ms;
    CALL(ps_getsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &ms, &optlen));
    CALL(ps_getsockopt(a, 12345, SO_RCVTIMEO, &ms, &optlen));  /* 10022 */
    arg = 1;
    CALL(ps_ioctlsocket(a, (long)FIONBIO, &arg));
    CALL(ps_recv(a, buf, sizeof buf, 0));                       /* 10035 */
    arg = 0;
    CALL(ps_ioctlsocket(a, (long)FIONBIO, &arg));
    CALL(ps_ioctlsocket(a, (long)FIONREAD, &arg));
    CALL(ps_ioctlsocket(a, 0x7777, &arg));                      /* 10045 */
    CALL(ps_getpeername(c, &bound, &len));
    {
        /* select and WSAPoll: ready, timing out, and failing. */
        ps_fd_set set;
        ps_timeval tv = {0, 20000};
        ps_wsapollfd pfd;
        set.fd_count = 1;
        set.fd_array[0] = c;
        CALL(ps_select(0, NULL, &set, NULL, &tv));              /* writable: 1 */
        set.fd_count = 1;
        set.fd_array[0] = c;
        CALL(ps_select(0, &set, NULL, NULL, &tv));              /* 0 at the timeout */
        CALL(ps_select(0, NULL, NULL, NULL, &tv));              /* 10022 */
        CALL(ps_fd_isset(c, &set));
        pfd.fd = c;
        pfd.events = PS_POLLIN;
        CALL(ps_wsapoll(&pfd, 1, 20));                          /* 0 at the timeout */
        pfd.fd = (ps_socket)0xdeadbeef;
        CALL(ps_wsapoll(&pfd, 1, 0));                           /* 10038 */
    }
    CALL(ps_native_handle(c));
    CALL(ps_adopt(-1));
    CALL(ps_sendall(a, "reply", 5, 0, 1000, &n));
    CALL(ps_shutdown(a, PS_SD_SEND));
    CALL(ps_disconnect(c, buf, sizeof buf, &n, 1000));
    CALL(ps_send(c, "x", 1, 0));                                /* closed: 10038 */
    CALL(ps_closesocket(c));                                    /* 10038 */
    CALL(ps_drain(a, NULL, 0, &n, 1000));
    CALL(ps_closesocket(a));

    /* A refused connect, with and without a deadline. */
    VALUE(c, ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    CALL(ps_closesocket(l));
    CALL(ps_connect(c, &bound, (int)sizeof bound));             /* 10061 */
    CALL(ps_closesocket(c));
    VALUE(c, ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    CALL(ps_connect_timeout(c, &bound, (int)sizeof bound, 1000));
    CALL(ps_closesocket(c));

    /* Datagrams. */
    VALUE(u, ps_socket_open(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
    CALL(ps_recvfrom(u, buf, sizeof buf, 0, NULL, NULL));       /* unbound: 10022 */
    CALL(ps_bind(u, &addr, (int)sizeof addr));
    len = (int)sizeof bound;
    CALL(ps_getsockname(u, &bound, &len));
    CALL(ps_sendto(u, "dgram", 5, 0, &bound, (int)sizeof bound));
    CALL(ps_recvfrom(u, buf, 2, 0, NULL, NULL));                /* truncated: 10040 */
    CALL(ps_closesocket(u));

    /* Names and addresses. */
    CALL(ps_getaddrinfo("127.0.0.1", "80", NULL, &res));
    CALL(ps_freeaddrinfo(res));
    CALL(ps_getaddrinfo("no-such-host.invalid", NULL, NULL, &res));
    CALL(ps_getaddrinfo(NULL, NULL, NULL, &res));
    CALL(ps_inet_pton(AF_INET, "not an address", buf));
    CALL(ps_inet_pton(12345, "1.2.3.4", buf));
    CALL(ps_inet_ntop(AF_INET, &addr.sin_addr, buf, 2));         /* too small */
    CALL(ps_inet_addr("1.2.3.4"));

    CALL(ps_cleanup());
    CALL(ps_cleanup());
    CALL(ps_cleanup());                                         /* 10093 */
    CALL(ps_closesocket(l));                                    /* 10093 */

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
