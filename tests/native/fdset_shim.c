/*
 * fdset_shim.c - Winsock's fd_set through the shim: the program that used to
 * crash (issue 11: the shim left glibc's fd_set, FD_SET and select in place,
 * and FD_SET on a portsock SOCKET wrote megabytes past a 128-byte set).
 *
 * Plain Winsock C, built unchanged three ways (tests/test_select.py):
 *   gcc -std=c11 -D_FORTIFY_SOURCE=2 -O2 -Icsrc/include/portsock -Icsrc  (+ the core)
 *   clang -fsanitize=address,undefined, the same way
 *   x86_64-w64-mingw32-gcc ... -lws2_32, run under Wine
 * and the outputs must be the same. -DFD_SETSIZE=N builds it with the
 * program's own set size, as on Windows.
 *
 * Prints one line per check; exits 0.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define EXTRA 5

int main(void)
{
    WSADATA data;
    SOCKET s, more[FD_SETSIZE + EXTRA];
    fd_set readfds, writefds;
    struct timeval tv;
    int rc, i, made = 0;

    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return 1;
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return 1;

    printf("FD_SETSIZE %d, sizeof(fd_set) is its: %d\n", (int)FD_SETSIZE,
           sizeof(fd_set) == offsetof(fd_set, fd_array) + FD_SETSIZE * sizeof(SOCKET));

    /* The crash: FD_SET of a SOCKET, then select. */
    FD_ZERO(&readfds);
    FD_SET(s, &readfds);
    printf("FD_SET: fd_count %u, FD_ISSET %d\n", readfds.fd_count, FD_ISSET(s, &readfds) != 0);
    tv.tv_sec = 0;
    tv.tv_usec = 50000;
    rc = select(0, &readfds, NULL, NULL, &tv);
    printf("select: %d, fd_count %u, FD_ISSET %d\n", rc, readfds.fd_count, FD_ISSET(s, &readfds) != 0);

    /* No duplicates; FD_CLR closes the gap. */
    FD_ZERO(&readfds);
    FD_SET(s, &readfds);
    FD_SET(s, &readfds);
    printf("FD_SET twice: fd_count %u\n", readfds.fd_count);
    FD_CLR(s, &readfds);
    printf("FD_CLR: fd_count %u, FD_ISSET %d\n", readfds.fd_count, FD_ISSET(s, &readfds) != 0);

    /* Never past FD_SETSIZE. */
    FD_ZERO(&writefds);
    for (i = 0; i < FD_SETSIZE + EXTRA; i++) {
        more[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        if (more[i] == INVALID_SOCKET)
            break;
        made++;
        FD_SET(more[i], &writefds);
    }
    printf("FD_SET x FD_SETSIZE+%d: fd_count is FD_SETSIZE: %d, last one in: %d\n", EXTRA,
           writefds.fd_count == FD_SETSIZE, FD_ISSET(more[made - 1], &writefds) != 0);
    FD_CLR(more[1], &writefds);
    printf("FD_CLR of the second: fd_count %d below, first %d, third now second %d\n",
           (int)(FD_SETSIZE - writefds.fd_count), writefds.fd_array[0] == more[0],
           writefds.fd_array[1] == more[2]);
    /* Unbound datagram sockets are writable: every one in the set counts. */
    tv.tv_sec = 1;
    tv.tv_usec = 0;
    rc = select(0, NULL, &writefds, NULL, &tv);
    printf("select on the full set: %d is fd_count: %d\n", rc == FD_SETSIZE - 1,
           (u_int)rc == writefds.fd_count);

    for (i = 0; i < made; i++)
        closesocket(more[i]);
    closesocket(s);
    WSACleanup();
    printf("done\n");
    return 0;
}
