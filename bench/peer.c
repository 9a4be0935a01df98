/*
 * peer.c - the benchmark's peer server (plain POSIX sockets, built by bench/run.py).
 *
 *     peer [THREADS]
 *
 * Listens on 127.0.0.1 on a free port, prints "PORT <n>" on stdout, and serves
 * connections with THREADS threads (default 16), each blocking in accept():
 *
 *   - it reads the client's request until the client's FIN (recv returns 0);
 *   - a request of the form "B<13 decimal digits>" (14 bytes, like the sample's
 *     "this is a test") asks for that many bytes: the peer sends them, then closes;
 *   - any other request is echoed back, then the peer closes.
 *
 * So every connection is the Winsock sample's graceful lifecycle seen from the
 * server side: the client half-closes first, drains the reply until the peer's
 * FIN, then closes. The peer runs until its stdin is closed (the bench's exit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif

#define REQ_MAX 65536
#define BULK_CHUNK (1 << 20)

static int listener;
static char bulk[BULK_CHUNK];

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void serve(int fd)
{
    char *req = malloc(REQ_MAX);
    size_t got = 0;
    if (req == NULL) {
        close(fd);
        return;
    }
    for (;;) {
        ssize_t r = recv(fd, req + got, REQ_MAX - got, 0);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto out;   /* a reset: nothing to answer */
        }
        got += (size_t)r;
        if (got == REQ_MAX)
            got = 0;    /* a larger request is only read, not echoed whole */
    }
    if (got == 14 && req[0] == 'B') {
        unsigned long long left = strtoull(req + 1, NULL, 10);
        while (left > 0) {
            size_t n = left < BULK_CHUNK ? (size_t)left : BULK_CHUNK;
            if (send_all(fd, bulk, n) != 0)
                goto out;
            left -= n;
        }
    } else if (got > 0 && send_all(fd, req, got) != 0)
        goto out;
out:
    free(req);
    close(fd);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            perror("accept");
            exit(1);
        }
        serve(fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 16, i, one = 1;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    char c;

    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < BULK_CHUNK; i++)
        bulk[i] = (char)(i % 251);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("socket");
        return 1;
    }
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    if (bind(listener, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(listener, SOMAXCONN) != 0 ||
        getsockname(listener, (struct sockaddr *)&sin, &len) != 0) {
        perror("bind/listen");
        return 1;
    }
    for (i = 0; i < (threads > 0 ? threads : 1); i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        pthread_detach(t);
    }
    printf("PORT %d\n", ntohs(sin.sin_port));
    fflush(stdout);
    /* Runs until the bench closes our stdin (or dies). */
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}
