/*
 * stress_core.c - the POSIX core's handle table, wake-ups and startup count
 * under threads, for the sanitizers and valgrind (tools/native_checks.sh).
 *
 *   cc -std=c11 -Wall -Wextra -Icsrc -o /tmp/stress tests/native/stress_core.c \
 *       csrc/posix.c csrc/errmap.c csrc/addr.c -lpthread
 *   /tmp/stress [SECONDS]      (default 3; every phase is bounded in time and count)
 *
 * Phases, each checked:
 *   lifecycles   8 threads of loopback lifecycles (connect, accept, send,
 *                shutdown, recv to the FIN, close), every byte compared;
 *   close_wakes  closesocket from another thread at a random moment around
 *                a blocked recv, send, accept or connect: the call returns
 *                WSAEINTR or WSAENOTSOCK (or its own success), never hangs;
 *   forged       calls on closed, stale and forged handles from many threads
 *                while handles are being reused: always WSAENOTSOCK;
 *   cleanup      threads open and close sockets while the main thread cycles
 *                startup and the final cleanup; after each cleanup, with the
 *                threads paused, no socket or eventfd may be left open.
 * Prints one line per phase and exits 1 if any check failed.
 */
#include "platform.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int failures;
static double run_seconds = 3.0;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            atomic_fetch_add(&failures, 1);                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fputc('\n', stderr);                           \
        }                                                  \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

static unsigned rnd(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 8) & 0xffffff;
}

/* Sockets and eventfds of this process. */
static void count_fds(int *sockets, int *eventfds)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char path[300], target[128];
    *sockets = *eventfds = 0;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        ssize_t n;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "socket:", 7) == 0)
            (*sockets)++;
        else if (strstr(target, "eventfd") != NULL)
            (*eventfds)++;
    }
    closedir(d);
}

static void set_timeouts(ps_socket s, unsigned ms)
{
    uint32_t v = ms;
    ps_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &v, sizeof v);
    ps_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &v, sizeof v);
}

/* A loopback listener on a free port; its address in *addr. */
static ps_socket make_listener(struct sockaddr_in *addr, int backlog)
{
    int len = sizeof *addr;
    ps_socket l = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == PS_INVALID_SOCKET)
        return l;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ps_bind(l, addr, sizeof *addr) != 0 || ps_listen(l, backlog) != 0 ||
        ps_getsockname(l, addr, &len) != 0) {
        ps_closesocket(l);
        return PS_INVALID_SOCKET;
    }
    return l;
}

static int make_pair(ps_socket *c, ps_socket *s)
{
    struct sockaddr_in addr;
    ps_socket l = make_listener(&addr, 4);
    if (l == PS_INVALID_SOCKET)
        return -1;
    *c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (*c == PS_INVALID_SOCKET || ps_connect(*c, &addr, sizeof addr) != 0) {
        ps_closesocket(l);
        if (*c != PS_INVALID_SOCKET)
            ps_closesocket(*c);
        return -1;
    }
    *s = ps_accept(l, NULL, NULL);
    ps_closesocket(l);
    if (*s == PS_INVALID_SOCKET) {
        ps_closesocket(*c);
        return -1;
    }
    set_timeouts(*c, 10000);
    set_timeouts(*s, 10000);
    return 0;
}

/* ---- lifecycles ---------------------------------------------------------- */

static atomic_long lifecycles_done, bytes_checked;

static void *lifecycle_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    double end = now_s() + run_seconds;
    static char zero[1];
    char *out = malloc(70000), *in = malloc(70000);
    (void)zero;
    while (now_s() < end) {
        ps_socket c, s;
        int n = (int)(rnd(&seed) % 65536), i, got = 0, r;
        if (make_pair(&c, &s) != 0) {
            CHECK(0, "make_pair failed: %d", ps_last_error());
            break;
        }
        for (i = 0; i < n; i++)
            out[i] = (char)(seed + (unsigned)i * 31u);
        r = ps_send(c, out, n, 0);
        CHECK(r == n, "send %d of %d: %d", r, n, ps_last_error());
        CHECK(ps_shutdown(c, PS_SD_SEND) == 0, "shutdown: %d", ps_last_error());
        for (;;) {
            r = ps_recv(s, in + got, 70000 - got, 0);
            if (r <= 0)
                break;
            got += r;
        }
        CHECK(r == 0 && got == n && memcmp(in, out, (size_t)n) == 0,
              "server got %d of %d (last %d, error %d)", got, n, r, ps_last_error());
        /* The reply, and the client's drain to the FIN via ps_disconnect. */
        CHECK(ps_send(s, in, got, 0) == got, "reply: %d", ps_last_error());
        CHECK(ps_shutdown(s, PS_SD_BOTH) == 0, "server shutdown: %d", ps_last_error());
        {
            size_t received = 0;
            r = ps_disconnect(c, in, 70000, &received, 10000);
            CHECK(r == 0 && received == (size_t)n && memcmp(in, out, (size_t)n) == 0,
                  "disconnect %d received %zu of %d: %d", r, received, n, ps_last_error());
        }
        CHECK(ps_closesocket(s) == 0, "close: %d", ps_last_error());
        CHECK(ps_closesocket(c) == PS_SOCKET_ERROR && ps_last_error() == PS_WSAENOTSOCK,
              "disconnect left the handle open");
        atomic_fetch_add(&lifecycles_done, 1);
        atomic_fetch_add(&bytes_checked, 2L * n);
    }
    free(out);
    free(in);
    return NULL;
}

static void phase_lifecycles(void)
{
    pthread_t t[8];
    int i;
    for (i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, lifecycle_thread, (void *)(uintptr_t)(i * 7919 + 1));
    for (i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("lifecycles: %ld lifecycles, %ld bytes checked\n", atomic_load(&lifecycles_done),
           atomic_load(&bytes_checked));
}

/* ---- close wakes a blocked call -------------------------------------------- */

struct blocked {
    int kind;           /* 0 recv, 1 send, 2 accept, 3 connect */
    ps_socket s;
    struct sockaddr_in addr;
    char *buf;
    int ret, err;
    atomic_int done;
};

static void *blocked_call(void *arg)
{
    struct blocked *b = arg;
    switch (b->kind) {
    case 0:
        b->ret = ps_recv(b->s, b->buf, 64, 0);
        break;
    case 1:
        b->ret = ps_send(b->s, b->buf, 1 << 20, 0);
        break;
    case 2:
        b->ret = ps_accept(b->s, NULL, NULL) == PS_INVALID_SOCKET ? PS_SOCKET_ERROR : 1;
        break;
    default:
        b->ret = ps_connect(b->s, &b->addr, sizeof b->addr);
        break;
    }
    b->err = ps_last_error();
    atomic_store(&b->done, 1);
    return NULL;
}

static void fill(ps_socket c, ps_socket s)
{
    int small = 4096;
    unsigned long on = 1, off = 0;
    static char chunk[65536];
    ps_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ps_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ps_ioctlsocket(c, FIONBIO, &on);
    while (ps_send(c, chunk, sizeof chunk, 0) > 0)
        ;
    ps_ioctlsocket(c, FIONBIO, &off);
}

static void phase_close_wakes(void)
{
    unsigned seed = 4242;
    int round, intr = 0, notsock = 0, other = 0;
    char *buf = calloc(1, 1 << 20);
    double end = now_s() + run_seconds;
    for (round = 0; round < 400 && now_s() < end; round++) {
        struct blocked b;
        pthread_t t;
        ps_socket c = PS_INVALID_SOCKET, s = PS_INVALID_SOCKET, l = PS_INVALID_SOCKET,
                  filler = PS_INVALID_SOCKET;
        double t0;
        memset(&b, 0, sizeof b);
        b.kind = round % 4;
        b.buf = buf;
        if (b.kind <= 1) {
            if (make_pair(&c, &s) != 0) {
                CHECK(0, "make_pair: %d", ps_last_error());
                break;
            }
            if (b.kind == 1)
                fill(c, s);
            b.s = c;
        } else if (b.kind == 2) {
            b.s = l = make_listener(&b.addr, 4);
        } else {
            /* A listener with a full queue: the connect below blocks. */
            l = make_listener(&b.addr, 0);
            filler = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
            ps_connect(filler, &b.addr, sizeof b.addr);
            b.s = c = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        }
        pthread_create(&t, NULL, blocked_call, &b);
        sleep_us((long)(rnd(&seed) % 3000));
        CHECK(ps_closesocket(b.s) == 0, "close of the blocked handle: %d", ps_last_error());
        t0 = now_s();
        while (!atomic_load(&b.done) && now_s() - t0 < 5.0)
            sleep_us(200);
        CHECK(atomic_load(&b.done), "kind %d: the call was not woken", b.kind);
        pthread_join(t, NULL);
        if (b.ret == PS_SOCKET_ERROR && b.err == PS_WSAEINTR)
            intr++;
        else if (b.ret == PS_SOCKET_ERROR && b.err == PS_WSAENOTSOCK)
            notsock++;
        else {
            other++;
            CHECK(b.kind == 1 && b.ret > 0, "kind %d: ret %d error %d", b.kind, b.ret, b.err);
        }
        if (s != PS_INVALID_SOCKET)
            ps_closesocket(s);
        if (filler != PS_INVALID_SOCKET)
            ps_closesocket(filler);
        if (l != PS_INVALID_SOCKET && b.kind == 3)
            ps_closesocket(l);
    }
    free(buf);
    CHECK(intr > 0, "no call was ever woken with WSAEINTR");
    printf("close_wakes: %d rounds: %d WSAEINTR, %d WSAENOTSOCK, %d partial sends\n", round, intr,
           notsock, other);
}

/* ---- forged and stale handles ------------------------------------------------ */

static atomic_int forged_stop;
static atomic_long forged_calls;
static ps_socket stale[64];

static void *forger(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[16];
    while (!atomic_load(&forged_stop)) {
        ps_socket h;
        int r;
        switch (rnd(&seed) % 4) {
        case 0: h = stale[rnd(&seed) % 64]; break;
        case 1: h = (ps_socket)rnd(&seed) * 4u; break;
        case 2: h = ((ps_socket)rnd(&seed) << 24) | ((ps_socket)(rnd(&seed) % 64) << 2); break;
        default: h = ~(ps_socket)0 - rnd(&seed); break;
        }
        switch (rnd(&seed) % 3) {
        case 0: r = ps_recv(h, buf, sizeof buf, 0); break;
        case 1: r = ps_send(h, buf, sizeof buf, 0); break;
        default: r = ps_shutdown(h, PS_SD_BOTH); break;
        }
        /* A forged value may by chance be a live handle of the reuser
           thread; the stale ones never are. Either way, no crash. */
        if (r != PS_SOCKET_ERROR || ps_last_error() != PS_WSAENOTSOCK) {
            int is_stale = 0, i;
            for (i = 0; i < 64; i++)
                is_stale |= stale[i] == h;
            CHECK(!is_stale, "a stale handle reached a socket: %d/%d", r, ps_last_error());
        }
        atomic_fetch_add(&forged_calls, 1);
    }
    return NULL;
}

static void phase_forged(void)
{
    pthread_t t[4];
    int i;
    long reused = 0;
    double end = now_s() + run_seconds / 2;
    for (i = 0; i < 64; i++) {
        stale[i] = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ps_closesocket(stale[i]);
    }
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, forger, (void *)(uintptr_t)(i + 99));
    while (now_s() < end) {
        /* Reuse the slots (and fds) the stale handles had. */
        ps_socket s = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        CHECK(s != PS_INVALID_SOCKET, "socket: %d", ps_last_error());
        ps_closesocket(s);
        reused++;
    }
    atomic_store(&forged_stop, 1);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("forged: %ld calls on forged or stale handles while %ld sockets reused the slots\n",
           atomic_load(&forged_calls), reused);
}

/* ---- the final cleanup racing other threads ------------------------------------ */

static atomic_int cl_run, cl_stop, cl_idle;
static atomic_long cl_made;

static void *cleanup_worker(void *arg)
{
    int kind = (int)(uintptr_t)arg;
    while (!atomic_load(&cl_stop)) {
        if (!atomic_load(&cl_run)) {
            atomic_fetch_add(&cl_idle, 1);
            while (!atomic_load(&cl_run) && !atomic_load(&cl_stop))
                sleep_us(50);
            atomic_fetch_sub(&cl_idle, 1);
            continue;
        }
        if (kind == 0) {
            ps_socket s = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
            if (s != PS_INVALID_SOCKET) {
                atomic_fetch_add(&cl_made, 1);
                ps_closesocket(s);
            }
        } else {
            ps_socket c, s;
            if (make_pair(&c, &s) == 0) {
                char b[8];
                atomic_fetch_add(&cl_made, 1);
                set_timeouts(s, 200);
                ps_send(c, "ping", 4, 0);
                ps_recv(s, b, sizeof b, 0);
                ps_recv(s, b, sizeof b, 0);   /* blocks until the cleanup, or 200 ms */
                ps_closesocket(c);
                ps_closesocket(s);
            }
        }
    }
    return NULL;
}

static void phase_cleanup(void)
{
    enum { WORKERS = 5 };
    pthread_t t[WORKERS];
    int i, cycles = 0, leftovers = 0;
    unsigned seed = 77;
    ps_wsadata data;
    double end = now_s() + run_seconds;
    int base_sockets, base_events;

    ps_cleanup();   /* this phase owns the count: from 1 to 0 */
    count_fds(&base_sockets, &base_events);
    for (i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, cleanup_worker, (void *)(uintptr_t)(i < 3 ? 0 : 1));
    while (atomic_load(&cl_idle) < WORKERS)
        sleep_us(100);
    while (now_s() < end && cycles < 20000) {
        int sockets, events;
        ps_startup(0x0202, &data);
        atomic_store(&cl_run, 1);
        sleep_us((long)(rnd(&seed) % 2000));
        CHECK(ps_cleanup() == 0, "cleanup: %d", ps_last_error());
        atomic_store(&cl_run, 0);
        while (atomic_load(&cl_idle) < WORKERS)
            sleep_us(50);
        count_fds(&sockets, &events);
        if (sockets != base_sockets || events != base_events) {
            leftovers++;
            ps_startup(0x0202, &data);   /* close them for the next cycle */
            ps_cleanup();
        }
        cycles++;
    }
    atomic_store(&cl_stop, 1);
    for (i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    CHECK(leftovers == 0, "sockets outlived the final cleanup in %d of %d cycles", leftovers, cycles);
    CHECK(ps_cleanup() == PS_SOCKET_ERROR && ps_last_error() == PS_WSANOTINITIALISED, "the count is not 0");
    printf("cleanup: %d startup/cleanup cycles, %ld sockets made meanwhile, %d left open\n", cycles,
           atomic_load(&cl_made), leftovers);
    ps_startup(0x0202, &data);
}

int main(int argc, char **argv)
{
    ps_wsadata data;
    int sockets, events;
    if (argc > 1)
        run_seconds = atof(argv[1]);
    if (ps_startup(0x0202, &data) != 0) {
        fprintf(stderr, "startup failed\n");
        return 1;
    }
    phase_lifecycles();
    phase_close_wakes();
    phase_forged();
    phase_cleanup();
    CHECK(ps_cleanup() == 0, "final cleanup: %d", ps_last_error());
    count_fds(&sockets, &events);
    CHECK(sockets == 0 && events == 0, "%d sockets and %d eventfds open at the end", sockets, events);
    printf("%s: %d failures\n", atomic_load(&failures) ? "FAIL" : "PASS", atomic_load(&failures));
    return atomic_load(&failures) ? 1 : 0;
}
