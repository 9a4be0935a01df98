/*
 * wsasend_client.c - scatter/gather I/O with WSASend and WSARecv.
 *
 * A request goes out as three WSABUFs (header, body, trailer) in one WSASend,
 * whose byte count comes back through lpNumberOfBytesSent; the reply is read
 * with WSARecv into two WSABUFs, a small one and a large one, which fill in
 * order. WSARecv reports the end of the stream as success with 0 bytes.
 * Blocking sockets, no OVERLAPPED: the completion arguments are NULL.
 *
 * usage: wsasend_client host port
 */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

#pragma comment(lib, "Ws2_32.lib")

#define HEAD_LEN 8
#define TAIL_LEN 120

int __cdecl main(int argc, char **argv)
{
    WSADATA wsaData;
    ADDRINFOA hints, *result = NULL, *ptr;
    SOCKET s = INVALID_SOCKET;
    WSABUF out[3], in[2];
    char header[] = "LEN=11;", body[] = "hello world", trailer[] = "\r\n";
    char head[HEAD_LEN], tail[TAIL_LEN], reply[HEAD_LEN + TAIL_LEN + 1];
    DWORD bytesSent = 0, bytesRecvd = 0, flags = 0;
    int iResult, calls = 0, total = 0, exitCode = 1;

    if (argc != 3) {
        printf("usage: %s host port\n", argv[0]);
        return 1;
    }
    if ((iResult = WSAStartup(MAKEWORD(2, 2), &wsaData)) != 0) {
        printf("WSAStartup failed: %d\n", iResult);
        return 1;
    }

    ZeroMemory(&hints, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if ((iResult = getaddrinfo(argv[1], argv[2], &hints, &result)) != 0) {
        printf("getaddrinfo failed: %d\n", iResult);
        WSACleanup();
        return 1;
    }
    for (ptr = result; ptr != NULL && s == INVALID_SOCKET; ptr = ptr->ai_next) {
        s = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
        if (s != INVALID_SOCKET && connect(s, ptr->ai_addr, (int)ptr->ai_addrlen) == SOCKET_ERROR) {
            closesocket(s);
            s = INVALID_SOCKET;
        }
    }
    freeaddrinfo(result);
    if (s == INVALID_SOCKET) {
        printf("Unable to connect to server!\n");
        WSACleanup();
        return 1;
    }

    out[0].buf = header;
    out[0].len = (ULONG)strlen(header);
    out[1].buf = body;
    out[1].len = (ULONG)strlen(body);
    out[2].buf = trailer;
    out[2].len = (ULONG)strlen(trailer);
    if (WSASend(s, out, 3, &bytesSent, 0, NULL, NULL) == SOCKET_ERROR) {
        printf("WSASend failed with error: %d\n", WSAGetLastError());
        goto done;
    }
    printf("WSASend: %lu bytes from 3 buffers\n", (unsigned long)bytesSent);

    if (shutdown(s, SD_SEND) == SOCKET_ERROR) {
        printf("shutdown failed with error: %d\n", WSAGetLastError());
        goto done;
    }

    /* Until the server closes: each WSARecv fills head first, then tail. */
    for (calls = 0; calls < 100; calls++) {
        in[0].buf = head;
        in[0].len = sizeof(head);
        in[1].buf = tail;
        in[1].len = sizeof(tail);
        flags = 0;
        if (WSARecv(s, in, 2, &bytesRecvd, &flags, NULL, NULL) == SOCKET_ERROR) {
            printf("WSARecv failed with error: %d\n", WSAGetLastError());
            goto done;
        }
        if (bytesRecvd == 0) {
            printf("WSARecv: 0 bytes, flags %lu: connection closed\n", (unsigned long)flags);
            break;
        }
        if (total + (int)bytesRecvd > HEAD_LEN + TAIL_LEN)
            break;
        /* Scattered in order: the first HEAD_LEN bytes in head, the rest in tail. */
        memcpy(reply + total, head, bytesRecvd < HEAD_LEN ? bytesRecvd : HEAD_LEN);
        if (bytesRecvd > HEAD_LEN)
            memcpy(reply + total + HEAD_LEN, tail, bytesRecvd - HEAD_LEN);
        total += (int)bytesRecvd;
    }
    reply[total] = '\0';
    if (total > 0 && reply[total - 1] == '\n')
        reply[total - 2] = '\0';
    printf("received %d bytes in all: %s\n", total, reply);
    exitCode = total == (int)bytesSent ? 0 : 1;

done:
    closesocket(s);
    WSACleanup();
    return exitCode;
}
