/*
 * signals_core.c - signals and the core's blocking calls, for C programs.
 *
 * Winsock never reports EINTR, so without a signal hook a signal never
 * surfaces: the call goes on, with what is left of its timeout. A program that
 * opts in (ps_set_signal_hook with a hook returning nonzero) has its blocking
 * calls end with WSAEINTR, and the socket stays open and usable. SIGALRM comes
 * every 100 ms from setitimer, its handler installed without SA_RESTART (as
 * Python installs its handlers). Prints "N passed, N failed"; exit 1 on a
 * failure. POSIX only.
 */
#include "platform.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static int passed, failed;
static volatile sig_atomic_t alarms;
static int hook_calls;

static void check(int ok, const char *what, long a, long b)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL: %s (%ld, %ld)\n", what, a, b);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static int hook_go_on(void)
{
    hook_calls++;
    return 0;
}

static int hook_stop(void)
{
    hook_calls++;
    return 1;
}

static void alarms_every_100ms(int on)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (on) {
        it.it_interval.tv_usec = 100000;
        it.it_value.tv_usec = 100000;
    }
    setitimer(ITIMER_REAL, &it, NULL);
}

static ps_socket listener;
static struct sockaddr_in bound;

static void pair(ps_socket *client, ps_socket *server)
{
    *client = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (ps_connect(*client, &bound, (int)sizeof bound) != 0)
        printf("connect failed: %d\n", ps_last_error());
    *server = ps_accept(listener, NULL, NULL);
}

struct late_send {
    ps_socket s;
    int delay_ms;
};

static void *send_late(void *arg)
{
    struct late_send *ls = arg;
    struct timespec ts = {ls->delay_ms / 1000, (ls->delay_ms % 1000) * 1000000L};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* the alarms are the main thread's */
    nanosleep(&ts, NULL);
    ps_send(ls->s, "late!", 5, 0);
    return NULL;
}

/* One recv on s with the hook set and SIGALRM every 100 ms meanwhile:
   its return value; *err gets the last error, *took the seconds it took. */
static int recv_under_alarms(ps_socket s, ps_signal_hook hook, int *err, double *took)
{
    char buf[16];
    double t0;
    int ret;
    ps_set_signal_hook(hook);
    alarms = 0;
    hook_calls = 0;
    alarms_every_100ms(1);
    t0 = now();
    ret = ps_recv(s, buf, sizeof buf, 0);
    *err = ps_last_error();
    *took = now() - t0;
    alarms_every_100ms(0);
    ps_set_signal_hook(NULL);
    return ret;
}

/* recv with SO_RCVTIMEO 1000 ms under alarms: WSAETIMEDOUT after about 1 s,
   never WSAEINTR, with or without a hook that lets it go on. */
static void timed_recv_keeps_its_timeout(ps_signal_hook hook)
{
    ps_socket c, s;
    uint32_t ms = 1000;
    double took;
    int ret, err;
    pair(&c, &s);
    ps_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &ms, (int)sizeof ms);
    ret = recv_under_alarms(s, hook, &err, &took);
    check(ret == -1 && err == PS_WSAETIMEDOUT, "timed recv under signals: -1, WSAETIMEDOUT", ret, err);
    check(took >= 0.95 && took < 1.6, "timed recv under signals: after its own 1 s", (long)(took * 1000), 0);
    check(alarms >= 5, "timed recv under signals: the signals came", alarms, 0);
    if (hook)
        check(hook_calls >= 5, "timed recv: the hook ran for each signal", hook_calls, alarms);
    ps_closesocket(c);
    ps_closesocket(s);
}

/* A blocking recv without a timeout under alarms gets the data sent 0.6 s
   later. */
static void untimed_recv_goes_on(void)
{
    ps_socket c, s;
    pthread_t t;
    struct late_send ls;
    char buf[16];
    int ret;
    pair(&c, &s);
    ls.s = c;
    ls.delay_ms = 600;
    alarms = 0;
    pthread_create(&t, NULL, send_late, &ls);
    alarms_every_100ms(1);
    ret = ps_recv(s, buf, sizeof buf, 0);
    alarms_every_100ms(0);
    pthread_join(t, NULL);
    check(ret == 5 && memcmp(buf, "late!", 5) == 0, "untimed recv under signals: gets the late data", ret,
          ps_last_error());
    check(alarms >= 3, "untimed recv under signals: the signals came", alarms, 0);
    ps_closesocket(c);
    ps_closesocket(s);
}

/* With a hook that stops, a blocked recv ends with WSAEINTR at the first
   signal and the socket is still usable. */
static void hook_stops_recv(void)
{
    ps_socket c, s;
    char buf[16];
    double took;
    int ret, err;
    pair(&c, &s);
    ret = recv_under_alarms(s, hook_stop, &err, &took);
    check(ret == -1 && err == PS_WSAEINTR, "hook stops recv: -1, WSAEINTR", ret, err);
    check(took < 0.5 && hook_calls == 1, "hook stops recv: at the first signal", (long)(took * 1000), hook_calls);
    check(ps_send(c, "after", 5, 0) == 5 && ps_recv(s, buf, sizeof buf, 0) == 5,
          "hook stops recv: the socket still works", ps_last_error(), 0);
    ps_closesocket(c);
    ps_closesocket(s);
}

/* ... a sendall to a peer that never reads: WSAEINTR, *sent says how much. */
static void hook_stops_sendall(void)
{
    static char big[64 << 20];
    ps_socket c, s;
    size_t sent = 0;
    int ret, err;
    pair(&c, &s);
    ps_set_signal_hook(hook_stop);
    alarms_every_100ms(1);
    ret = ps_sendall(c, big, sizeof big, 0, -1, &sent);
    err = ps_last_error();
    alarms_every_100ms(0);
    ps_set_signal_hook(NULL);
    check(ret == -1 && err == PS_WSAEINTR, "hook stops sendall: -1, WSAEINTR", ret, err);
    check(sent < sizeof big, "hook stops sendall: *sent is partial", (long)sent, 0);
    ps_closesocket(c);
    ps_closesocket(s);
}

/* ... a disconnect waiting for a FIN: WSAEINTR, the socket open and
   half-closed; draining on gets the rest. */
static void hook_stops_disconnect(void)
{
    ps_socket c, s;
    char buf[64];
    size_t got = 0;
    int ret, err;
    pair(&c, &s);
    ps_send(s, "part1", 5, 0);
    ps_set_signal_hook(hook_stop);
    alarms_every_100ms(1);
    ret = ps_disconnect(c, buf, sizeof buf, &got, -1);
    err = ps_last_error();
    alarms_every_100ms(0);
    ps_set_signal_hook(NULL);
    check(ret == -1 && err == PS_WSAEINTR && got == 5, "hook stops disconnect: -1, WSAEINTR, 5 bytes", ret, err);
    check(ps_recv(s, buf, sizeof buf, 0) == 0, "hook stops disconnect: the peer has our FIN", ps_last_error(), 0);
    ps_send(s, "part2", 5, 0);
    ps_closesocket(s);
    ret = ps_drain(c, buf + got, sizeof buf - got, &got, 2000);
    check(ret == 0 && got == 5 && memcmp(buf, "part1part2", 10) == 0,
          "hook stops disconnect: draining on gets the rest", ret, (long)got);
    check(ps_closesocket(c) == 0, "hook stops disconnect: the socket was still open", ps_last_error(), 0);
}

/* ... a blocked accept: WSAEINTR, and the listener still accepts. */
static void hook_stops_accept(void)
{
    ps_socket c, s;
    int ret, err;
    ps_set_signal_hook(hook_stop);
    alarms_every_100ms(1);
    s = ps_accept(listener, NULL, NULL);
    err = ps_last_error();
    alarms_every_100ms(0);
    ps_set_signal_hook(NULL);
    check(s == PS_INVALID_SOCKET && err == PS_WSAEINTR, "hook stops accept: INVALID_SOCKET, WSAEINTR", 0, err);
    pair(&c, &s);
    ret = s != PS_INVALID_SOCKET;
    check(ret, "hook stops accept: the listener still accepts", ps_last_error(), 0);
    ps_closesocket(c);
    ps_closesocket(s);
}

int main(void)
{
    ps_wsadata data;
    struct sigaction sa;
    struct sockaddr_in addr;
    int len = (int)sizeof bound;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);   /* no SA_RESTART */

    ps_startup(0x0202, &data);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ps_bind(listener, &addr, (int)sizeof addr);
    ps_getsockname(listener, &bound, &len);
    ps_listen(listener, 16);

    timed_recv_keeps_its_timeout(NULL);
    timed_recv_keeps_its_timeout(hook_go_on);
    untimed_recv_goes_on();
    hook_stops_recv();
    hook_stops_sendall();
    hook_stops_disconnect();
    hook_stops_accept();

    ps_closesocket(listener);
    ps_cleanup();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
