/*
 * udp_timeout.c - a UDP receive with SO_RCVTIMEO, then a datagram round trip.
 *
 * On Windows SO_RCVTIMEO is a DWORD of milliseconds (POSIX takes a struct
 * timeval), and a receive that times out fails with WSAETIMEDOUT (10060),
 * not WSAEWOULDBLOCK. The first recvfrom waits out the timeout; then a
 * "ping" goes from one socket to the other and a "pong" comes back to the
 * address recvfrom reported.
 */
#define WIN32_LEAN_AND_MEAN

#include <Windows.h>
#include <WinSock2.h>
#include <WS2tcpip.h>
#include <stdio.h>

#pragma comment(lib, "Ws2_32.lib")

#define RECV_TIMEOUT_MS 300

int main(void)
{
    WSADATA wsaData;
    SOCKET server = INVALID_SOCKET, client = INVALID_SOCKET;
    SOCKADDR_IN serverAddr, from;
    int fromLen, addrLen, iResult, exitCode = 1;
    DWORD timeout = RECV_TIMEOUT_MS, readBack = 0, started, waited;
    int optLen = sizeof(readBack);
    char buf[64];
    char fromText[INET_ADDRSTRLEN];

    iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
    if (iResult != NO_ERROR) {
        printf("WSAStartup failed with error: %d\n", iResult);
        return 1;
    }

    server = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    client = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (server == INVALID_SOCKET || client == INVALID_SOCKET) {
        printf("socket failed with error: %d\n", WSAGetLastError());
        WSACleanup();
        return 1;
    }

    ZeroMemory(&serverAddr, sizeof(serverAddr));
    serverAddr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &serverAddr.sin_addr);
    addrLen = sizeof(serverAddr);
    if (bind(server, (SOCKADDR *)&serverAddr, sizeof(serverAddr)) == SOCKET_ERROR ||
        getsockname(server, (SOCKADDR *)&serverAddr, &addrLen) == SOCKET_ERROR) {
        printf("bind failed with error: %d\n", WSAGetLastError());
        goto cleanup;
    }

    iResult = setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
    if (iResult == SOCKET_ERROR) {
        printf("setsockopt(SO_RCVTIMEO) failed with error: %d\n", WSAGetLastError());
        goto cleanup;
    }
    iResult = getsockopt(server, SOL_SOCKET, SO_RCVTIMEO, (char *)&readBack, &optLen);
    printf("getsockopt(SO_RCVTIMEO): %d, %lu ms, length %d\n", iResult,
           (unsigned long)readBack, optLen);

    /* Nothing has been sent: this waits the whole timeout. */
    started = GetTickCount();
    fromLen = sizeof(from);
    iResult = recvfrom(server, buf, sizeof(buf), 0, (SOCKADDR *)&from, &fromLen);
    waited = GetTickCount() - started;
    if (iResult == SOCKET_ERROR)
        printf("recvfrom failed with error: %d\n", WSAGetLastError());
    else
        printf("recvfrom returned %d\n", iResult);
    /* GetTickCount ticks in 10-16 ms steps: allow one step short. */
    printf("waited out the timeout: %s\n", waited + 20 >= RECV_TIMEOUT_MS ? "yes" : "no");

    iResult = sendto(client, "ping", 4, 0, (SOCKADDR *)&serverAddr, sizeof(serverAddr));
    printf("sendto: %d bytes\n", iResult);

    fromLen = sizeof(from);
    iResult = recvfrom(server, buf, sizeof(buf) - 1, 0, (SOCKADDR *)&from, &fromLen);
    if (iResult == SOCKET_ERROR) {
        printf("recvfrom failed with error: %d\n", WSAGetLastError());
        goto cleanup;
    }
    buf[iResult] = '\0';
    inet_ntop(AF_INET, &from.sin_addr, fromText, sizeof(fromText));
    printf("server received %d bytes from %s: %s\n", iResult, fromText, buf);

    /* Answer the address the datagram came from. */
    iResult = sendto(server, "pong", 4, 0, (SOCKADDR *)&from, fromLen);
    printf("sendto: %d bytes\n", iResult);

    timeout = 5000;
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
    iResult = recv(client, buf, sizeof(buf) - 1, 0);
    if (iResult == SOCKET_ERROR) {
        printf("recv failed with error: %d\n", WSAGetLastError());
        goto cleanup;
    }
    buf[iResult] = '\0';
    printf("client received %d bytes: %s\n", iResult, buf);
    exitCode = 0;

cleanup:
    closesocket(client);
    closesocket(server);
    WSACleanup();
    return exitCode;
}
