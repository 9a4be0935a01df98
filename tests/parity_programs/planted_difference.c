/*
 * planted_difference.c - a Winsock program that is not the same program on
 * Windows and on POSIX: under _WIN32 it prints another line and makes one more
 * Winsock call. `portsock parity` must find both differences (stdout, and the
 * trace of the two core builds) and exit 1 (tests/test_parity_command.py).
 */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

int main(void)
{
    WSADATA data;
    SOCKET s;

    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return 1;
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) {
        WSACleanup();
        return 1;
    }
#ifdef _WIN32
    printf("built for Windows\n");
    closesocket(INVALID_SOCKET);   /* the call only the Windows builds make */
#else
    printf("built for POSIX\n");
#endif
    closesocket(s);
    WSACleanup();
    printf("done\n");
    return 0;
}
