/*
 * client_winsock.c - the benchmark's Winsock C client: the lifecycle of the
 * Winsock sample client in plain Winsock C, built by bench/run.py through the
 * shim headers against the portsock core, and compared with bench/client.c
 * (the same lifecycle on POSIX sockets). The same file builds unchanged for
 * real Winsock:
 *
 *   Linux, through the shim (what bench/run.py does; the core's sources are
 *   listed by core_sources() in bench/run.py):
 *     gcc -O2 -std=c11 -Wall -Icsrc/include/portsock -Icsrc bench/client_winsock.c \
 *         csrc/posix.c csrc/errmap.c csrc/addr.c -lpthread
 *   Windows (ws2_32):
 *     x86_64-w64-mingw32-gcc -O2 -std=c11 -Wall bench/client_winsock.c -lws2_32
 *
 * Only the measuring (CPU and wall clocks) and the syscall markers are written
 * per platform; every socket call is Winsock's.
 *
 * It reads commands from stdin, one per line, and answers each with one JSON
 * line measured in this process, as bench/client.c does:
 *
 *   lifecycle N PORT   N times: WSAStartup(2.2), getaddrinfo("127.0.0.1", PORT),
 *                      socket, connect, send 14 bytes, shutdown(SD_SEND), recv
 *                      until 0, closesocket, WSACleanup
 *   bulk SIZE PORT     one lifecycle whose reply is SIZE bytes, received with a
 *                      recv loop into one 64 KiB buffer
 *   syscalls N PORT    N lifecycles, each preceded by a marker the syscall
 *                      count of bench/run.py cuts the strace log at (POSIX:
 *                      access() of a path that does not exist), and one after
 *                      the last
 *   quit
 */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#endif

#define DEFAULT_BUFLEN 512
#define BULK_BUFLEN 65536
#define MARKER "/portsock-bench-lifecycle-marker"

/* ---- measuring, per platform --------------------------------------------- */

#ifdef _WIN32
static double now(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}

static double filetime_s(FILETIME ft)
{
    ULARGE_INTEGER u;
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    return (double)u.QuadPart / 1e7;
}

static void cpu(double *user, double *sys)
{
    FILETIME created, exited, kernel, usr;
    GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &usr);
    *user = filetime_s(usr);
    *sys = filetime_s(kernel);
}

static void marker(void)
{
}
#else
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

static void marker(void)
{
    (void)access(MARKER, F_OK);
}
#endif

/* ---- the lifecycle, in Winsock ------------------------------------------- */

static void fail(const char *what, int code)
{
    fprintf(stderr, "client_winsock: %s failed with error: %d\n", what, code);
    exit(1);
}

/* One lifecycle, WSAStartup to WSACleanup; returns the bytes received before
   the peer's FIN. */
static unsigned long long lifecycle(const char *port, const char *sendbuf, char *recvbuf, int recvbuflen)
{
    WSADATA wsaData;
    SOCKET ConnectSocket = INVALID_SOCKET;
    struct addrinfo *result = NULL, *ptr = NULL, hints;
    unsigned long long total = 0;
    int iResult;

    iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
    if (iResult != 0)
        fail("WSAStartup", iResult);
    ZeroMemory(&hints, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    iResult = getaddrinfo("127.0.0.1", port, &hints, &result);
    if (iResult != 0)
        fail("getaddrinfo", iResult);
    for (ptr = result; ptr != NULL; ptr = ptr->ai_next) {
        ConnectSocket = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
        if (ConnectSocket == INVALID_SOCKET)
            fail("socket", WSAGetLastError());
        iResult = connect(ConnectSocket, ptr->ai_addr, (int)ptr->ai_addrlen);
        if (iResult == SOCKET_ERROR) {
            closesocket(ConnectSocket);
            ConnectSocket = INVALID_SOCKET;
            continue;
        }
        break;
    }
    freeaddrinfo(result);
    if (ConnectSocket == INVALID_SOCKET)
        fail("connect", WSAGetLastError());
    iResult = send(ConnectSocket, sendbuf, 14, 0);
    if (iResult != 14)
        fail("send", WSAGetLastError());
    iResult = shutdown(ConnectSocket, SD_SEND);
    if (iResult == SOCKET_ERROR)
        fail("shutdown", WSAGetLastError());
    for (;;) {
        iResult = recv(ConnectSocket, recvbuf, recvbuflen, 0);
        if (iResult > 0)
            total += (unsigned long long)iResult;
        else if (iResult == 0)
            break;
        else
            fail("recv", WSAGetLastError());
    }
    if (closesocket(ConnectSocket) == SOCKET_ERROR)
        fail("closesocket", WSAGetLastError());
    if (WSACleanup() != 0)
        fail("WSACleanup", WSAGetLastError());
    return total;
}

int __cdecl main(void)
{
    char line[256], cmd[32], port[16];
    static char buf[BULK_BUFLEN];
    unsigned long long arg;

    while (fgets(line, sizeof line, stdin) != NULL) {
        double u0, s0, u1, s1, t0, t1;
        unsigned long long i, total = 0, expected;
        if (sscanf(line, "%31s %llu %15s", cmd, &arg, port) != 3) {
            if (strncmp(line, "quit", 4) == 0)
                break;
            fprintf(stderr, "client_winsock: bad command: %s", line);
            return 2;
        }
        if (strcmp(cmd, "lifecycle") == 0 || strcmp(cmd, "syscalls") == 0) {
            int marked = cmd[0] == 's';
            cpu(&u0, &s0);
            t0 = now();
            for (i = 0; i < arg; i++) {
                if (marked)
                    marker();
                total += lifecycle(port, "this is a test", buf, DEFAULT_BUFLEN);
            }
            if (marked)
                marker();
            t1 = now();
            cpu(&u1, &s1);
            expected = 14 * arg;
        } else if (strcmp(cmd, "bulk") == 0) {
            char msg[32];
            snprintf(msg, sizeof msg, "B%013llu", arg);
            cpu(&u0, &s0);
            t0 = now();
            total = lifecycle(port, msg, buf, BULK_BUFLEN);
            t1 = now();
            cpu(&u1, &s1);
            expected = arg;
            arg = 1;
        } else {
            fprintf(stderr, "client_winsock: unknown command %s\n", cmd);
            return 2;
        }
        if (total != expected) {
            fprintf(stderr, "client_winsock: received %llu bytes, expected %llu\n", total, expected);
            return 1;
        }
        printf("{\"n\": %llu, \"bytes\": %llu, \"user\": %.6f, \"sys\": %.6f, \"wall\": %.6f}\n",
               arg, total, u1 - u0, s1 - s0, t1 - t0);
        fflush(stdout);
    }
    return 0;
}
