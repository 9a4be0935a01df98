/*
 * nonblocking_connect.c - connect with a timeout: FIONBIO, connect, select.
 *
 * How Windows programs bound a connect: put the socket in non-blocking mode
 * with ioctlsocket(FIONBIO), start the connect (WSAEWOULDBLOCK), and wait in
 * select() for writefds (connected) or exceptfds (failed; SO_ERROR gives the
 * reason). Winsock reports a failed connect in exceptfds only, never in
 * writefds as POSIX does. Tried against a port that listens and one that
 * does not (10061, WSAECONNREFUSED), both made here on 127.0.0.1.
 */
#define WIN32_LEAN_AND_MEAN

#include <WinSock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

#pragma comment(lib, "Ws2_32.lib")

#define CONNECT_TIMEOUT_MS 5000

/* Returns 0 once connected within timeoutMs, else the Winsock error code. */
static int ConnectWithTimeout(SOCKET s, const SOCKADDR_IN *addr, long timeoutMs)
{
    u_long iMode = 1;
    fd_set writefds, exceptfds;
    TIMEVAL tv;
    int iResult, err = 0, errlen = sizeof(err);

    iResult = ioctlsocket(s, FIONBIO, &iMode);
    if (iResult != NO_ERROR)
        return WSAGetLastError();

    if (connect(s, (const SOCKADDR *)addr, sizeof(*addr)) == SOCKET_ERROR) {
        iResult = WSAGetLastError();
        if (iResult != WSAEWOULDBLOCK)
            return iResult;
        printf("connect: WSAEWOULDBLOCK, waiting in select\n");
    }

    FD_ZERO(&writefds);
    FD_ZERO(&exceptfds);
    FD_SET(s, &writefds);
    FD_SET(s, &exceptfds);
    tv.tv_sec = timeoutMs / 1000;
    tv.tv_usec = (timeoutMs % 1000) * 1000;

    iResult = select(0, NULL, &writefds, &exceptfds, &tv);
    if (iResult == SOCKET_ERROR)
        return WSAGetLastError();
    if (iResult == 0)
        return WSAETIMEDOUT;
    printf("select: %d ready, writefds %u, exceptfds %u\n", iResult, writefds.fd_count,
           exceptfds.fd_count);
    if (FD_ISSET(s, &exceptfds)) {
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &errlen) == SOCKET_ERROR)
            return WSAGetLastError();
        return err;
    }

    /* Connected: back to blocking mode for the rest of the program. */
    iMode = 0;
    if (ioctlsocket(s, FIONBIO, &iMode) != NO_ERROR)
        return WSAGetLastError();
    return 0;
}

static int TryPort(const char *label, const SOCKADDR_IN *addr)
{
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int err;

    if (s == INVALID_SOCKET) {
        printf("socket failed with error: %d\n", WSAGetLastError());
        return 1;
    }
    printf("%s port:\n", label);
    err = ConnectWithTimeout(s, addr, CONNECT_TIMEOUT_MS);
    if (err == 0)
        printf("connected\n");
    else
        printf("connect failed with error: %d\n", err);
    closesocket(s);
    return err;
}

int main(void)
{
    WSADATA wsaData;
    SOCKET ListenSocket, Unused;
    SOCKADDR_IN openAddr, closedAddr;
    int len, openResult, closedResult;

    if (WSAStartup(MAKEWORD(2, 2), &wsaData) != 0) {
        printf("WSAStartup failed\n");
        return 1;
    }

    /* An open port: a listener on any free port. */
    ZeroMemory(&openAddr, sizeof(openAddr));
    openAddr.sin_family = AF_INET;
    openAddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ListenSocket = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    len = sizeof(openAddr);
    if (ListenSocket == INVALID_SOCKET ||
        bind(ListenSocket, (SOCKADDR *)&openAddr, sizeof(openAddr)) == SOCKET_ERROR ||
        getsockname(ListenSocket, (SOCKADDR *)&openAddr, &len) == SOCKET_ERROR ||
        listen(ListenSocket, 1) == SOCKET_ERROR) {
        printf("listener failed with error: %d\n", WSAGetLastError());
        WSACleanup();
        return 1;
    }

    /* A closed port: one that was bound a moment ago and is free again. */
    closedAddr = openAddr;
    closedAddr.sin_port = 0;
    Unused = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    len = sizeof(closedAddr);
    if (Unused == INVALID_SOCKET ||
        bind(Unused, (SOCKADDR *)&closedAddr, sizeof(closedAddr)) == SOCKET_ERROR ||
        getsockname(Unused, (SOCKADDR *)&closedAddr, &len) == SOCKET_ERROR) {
        printf("bind failed with error: %d\n", WSAGetLastError());
        WSACleanup();
        return 1;
    }
    closesocket(Unused);

    openResult = TryPort("open", &openAddr);
    closedResult = TryPort("closed", &closedAddr);

    closesocket(ListenSocket);
    WSACleanup();
    return openResult == 0 && closedResult == WSAECONNREFUSED ? 0 : 1;
}
