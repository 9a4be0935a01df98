/*
 * reset_before_recv.c - a client whose peer resets the connection before its
 * recv: Windows (and the POSIX core) fail that recv with WSAECONNRESET; Wine 8
 * reports a graceful end (recv 0), a known Wine 8 difference
 * (portsock/_parity/wine_differences.py). `portsock parity` must mark it with
 * the table's reason and count nothing (tests/test_parity_command.py).
 *
 * usage: reset_before_recv PORT    (the peer: tests/parity_programs/peers/reset_peer.py PORT)
 */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#  include <time.h>
#endif

static void pause_ms(int ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
#endif
}

int main(int argc, char **argv)
{
    WSADATA data;
    SOCKET s;
    struct sockaddr_in to;
    char buf[64];
    int n;

    if (argc != 2 || WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return 2;
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((u_short)atoi(argv[1]));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&to, (int)sizeof to) != 0) {
        printf("connect failed with error: %d\n", WSAGetLastError());
        return 1;
    }
    send(s, "hello", 5, 0);
    shutdown(s, SD_SEND);
    pause_ms(1000);   /* the peer's reset arrives first */
    n = recv(s, buf, (int)sizeof buf, 0);
    printf("recv: %d %d\n", n, n < 0 ? WSAGetLastError() : 0);
    closesocket(s);
    WSACleanup();
    return n < 0 ? 1 : 0;
}
