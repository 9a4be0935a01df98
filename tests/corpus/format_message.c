/*
 * format_message.c - Winsock errors as text, the way Windows programs log them.
 *
 * FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER)
 * allocates the system's message for an error code (LocalFree releases it);
 * the text ends in CRLF, which a logger trims. The codes come from calls that
 * really fail (before WSAStartup, a stale handle, a closed port) and from a
 * list; a code the system has no message for makes FormatMessage return 0
 * with GetLastError() 317 (ERROR_MR_MID_NOT_FOUND).
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

#pragma comment(lib, "Ws2_32.lib")

static void PrintError(const char *what, int code)
{
    LPSTR text = NULL;
    DWORD len = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER |
                                   FORMAT_MESSAGE_IGNORE_INSERTS,
                               NULL, (DWORD)code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                               (LPSTR)&text, 0, NULL);
    if (len == 0) {
        printf("%s: error %d (FormatMessage failed with error %lu)\n", what, code,
               (unsigned long)GetLastError());
        return;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    printf("%s: error %d: %s\n", what, code, text);
    LocalFree(text);
}

int main(void)
{
    static const int codes[] = {
        WSAEINTR, WSAEFAULT, WSAEINVAL, WSAEWOULDBLOCK, WSAENOTSOCK, WSAEADDRINUSE,
        WSAECONNABORTED, WSAECONNRESET, WSAENOTCONN, WSAETIMEDOUT, WSAECONNREFUSED,
        WSAHOST_NOT_FOUND, 10099,
    };
    WSADATA wsaData;
    SOCKET s;
    SOCKADDR_IN addr;
    int len = sizeof(addr);
    char name[32];
    size_t i;

    /* Before WSAStartup every call fails with WSANOTINITIALISED. */
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        PrintError("socket before WSAStartup", WSAGetLastError());

    if (WSAStartup(MAKEWORD(2, 2), &wsaData) != 0) {
        printf("WSAStartup failed\n");
        return 1;
    }

    /* A handle that was closed is no socket any more. */
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    closesocket(s);
    if (send(s, "x", 1, 0) == SOCKET_ERROR)
        PrintError("send on a closed socket", WSAGetLastError());

    /* A port that was just free: nobody listens there. */
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ZeroMemory(&addr, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (SOCKADDR *)&addr, sizeof(addr));
    getsockname(s, (SOCKADDR *)&addr, &len);
    closesocket(s);
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(s, (SOCKADDR *)&addr, sizeof(addr)) == SOCKET_ERROR)
        PrintError("connect to a closed port", WSAGetLastError());
    closesocket(s);

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        sprintf(name, "code %d", codes[i]);
        PrintError(name, codes[i]);
    }

    WSACleanup();
    return 0;
}
