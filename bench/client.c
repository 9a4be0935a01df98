/*
 * client.c - the benchmark's plain C client (POSIX sockets, no portsock), built
 * by bench/run.py. It is the baseline: the Winsock sample client's lifecycle,
 * written directly on the OS.
 *
 * It reads commands from stdin, one per line, and answers each with one JSON
 * line measured in this process (getrusage(RUSAGE_SELF) and CLOCK_MONOTONIC):
 *
 *   lifecycle N PORT   N times: getaddrinfo("127.0.0.1", PORT), socket, connect,
 *                      send 14 bytes, shutdown(SHUT_WR), recv until 0, close
 *   bulk SIZE PORT     one lifecycle whose reply is SIZE bytes, received with a
 *                      recv loop into one 64 KiB buffer
 *   syscalls N PORT    N lifecycles, each preceded by a marker the syscall count
 *                      of bench/run.py cuts the strace log at (access() of a
 *                      path that does not exist), and one after the last
 *   quit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BUFLEN 512
#define BULK_BUFLEN 65536
#define MARKER "/portsock-bench-lifecycle-marker"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cpu(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "client: %s failed: %s\n", what, strerror(errno));
    exit(1);
}

/* One lifecycle; returns the bytes received before the peer's FIN. */
static unsigned long long lifecycle(const char *port, const char *msg, char *buf, size_t buflen)
{
    struct addrinfo hints, *result = NULL, *ptr;
    int fd = -1, rc;
    unsigned long long total = 0;
    ssize_t n;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    rc = getaddrinfo("127.0.0.1", port, &hints, &result);
    if (rc != 0) {
        fprintf(stderr, "client: getaddrinfo: %s\n", gai_strerror(rc));
        exit(1);
    }
    for (ptr = result; ptr != NULL; ptr = ptr->ai_next) {
        fd = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
        if (fd < 0)
            die("socket");
        if (connect(fd, ptr->ai_addr, ptr->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(result);
    if (fd < 0)
        die("connect");
    if (send(fd, msg, 14, MSG_NOSIGNAL) != 14)
        die("send");
    if (shutdown(fd, SHUT_WR) != 0)
        die("shutdown");
    for (;;) {
        n = recv(fd, buf, buflen, 0);
        if (n > 0)
            total += (unsigned long long)n;
        else if (n == 0)
            break;
        else if (errno != EINTR)
            die("recv");
    }
    close(fd);
    return total;
}

int main(void)
{
    char line[256], cmd[32], port[16];
    static char buf[BULK_BUFLEN];
    unsigned long long arg;

    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin) != NULL) {
        double u0, s0, u1, s1, t0, t1;
        unsigned long long i, total = 0;
        if (sscanf(line, "%31s %llu %15s", cmd, &arg, port) != 3) {
            if (strncmp(line, "quit", 4) == 0)
                break;
            fprintf(stderr, "client: bad command: %s", line);
            return 2;
        }
        if (strcmp(cmd, "lifecycle") == 0 || strcmp(cmd, "syscalls") == 0) {
            int marked = cmd[0] == 's';
            cpu(&u0, &s0);
            t0 = now();
            for (i = 0; i < arg; i++) {
                if (marked)
                    (void)access(MARKER, F_OK);
                total += lifecycle(port, "this is a test", buf, DEFAULT_BUFLEN);
            }
            if (marked)
                (void)access(MARKER, F_OK);
            t1 = now();
            cpu(&u1, &s1);
            if (total != 14 * arg) {
                fprintf(stderr, "client: received %llu bytes, expected %llu\n", total, 14 * arg);
                return 1;
            }
            printf("{\"n\": %llu, \"bytes\": %llu, \"user\": %.6f, \"sys\": %.6f, \"wall\": %.6f}\n",
                   arg, total, u1 - u0, s1 - s0, t1 - t0);
        } else if (strcmp(cmd, "bulk") == 0) {
            char msg[32];
            snprintf(msg, sizeof msg, "B%013llu", arg);
            cpu(&u0, &s0);
            t0 = now();
            total = lifecycle(port, msg, buf, BULK_BUFLEN);
            t1 = now();
            cpu(&u1, &s1);
            if (total != arg) {
                fprintf(stderr, "client: received %llu bytes, expected %llu\n", total, arg);
                return 1;
            }
            printf("{\"n\": 1, \"bytes\": %llu, \"user\": %.6f, \"sys\": %.6f, \"wall\": %.6f}\n",
                   total, u1 - u0, s1 - s0, t1 - t0);
        } else {
            fprintf(stderr, "client: unknown command %s\n", cmd);
            return 2;
        }
    }
    return 0;
}
