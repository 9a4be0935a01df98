/*
 * sample_client.c - the Winsock "complete client" lifecycle, as plain Winsock C.
 *
 * Follows the structure and the output of Microsoft's client sample (resolve,
 * try each address, send one message, shut down the sending side, receive
 * until the server closes), so that its output can be compared line by line.
 * The same source builds three ways:
 *
 *   Windows (real Winsock):
 *     x86_64-w64-mingw32-gcc -std=c11 -Wall tests/native/sample_client.c -o client.exe -lws2_32
 *   POSIX, against the portsock core through the shim headers:
 *     gcc -std=c11 -Wall -Icsrc/include/portsock -Icsrc -c tests/native/sample_client.c
 *     (then link with the core: csrc/posix.c csrc/errmap.c csrc/addr.c)
 *
 * usage: sample_client server-name [port]      (port defaults to 27015)
 * Exit status 0 when the whole lifecycle ran, 1 on the first failure.
 */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#if defined(_MSC_VER)
#pragma comment(lib, "Ws2_32.lib")
#endif

#define DEFAULT_BUFLEN 512
#define DEFAULT_PORT "27015"

int __cdecl main(int argc, char **argv)
{
    WSADATA wsaData;
    SOCKET ConnectSocket = INVALID_SOCKET;
    struct addrinfo *result = NULL;
    struct addrinfo *ptr = NULL;
    struct addrinfo hints;
    const char *sendbuf = "this is a test";
    const char *port = DEFAULT_PORT;
    char recvbuf[DEFAULT_BUFLEN];
    int recvbuflen = DEFAULT_BUFLEN;
    int iResult;

    if (argc < 2 || argc > 3) {
        printf("usage: %s server-name [port]\n", argv[0]);
        return 1;
    }
    if (argc == 3)
        port = argv[2];

    /* Ask for Winsock 2.2. */
    iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
    if (iResult != 0) {
        printf("WSAStartup failed with error: %d\n", iResult);
        return 1;
    }

    ZeroMemory(&hints, sizeof(hints));
    hints.ai_family = AF_UNSPEC;        /* IPv4 or IPv6, whichever resolves */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;

    iResult = getaddrinfo(argv[1], port, &hints, &result);
    if (iResult != 0) {
        printf("getaddrinfo failed with error: %d\n", iResult);
        WSACleanup();
        return 1;
    }

    /* The first address that accepts the connection wins. */
    for (ptr = result; ptr != NULL; ptr = ptr->ai_next) {
        ConnectSocket = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
        if (ConnectSocket == INVALID_SOCKET) {
            printf("socket failed with error: %ld\n", (long)WSAGetLastError());
            freeaddrinfo(result);
            WSACleanup();
            return 1;
        }

        iResult = connect(ConnectSocket, ptr->ai_addr, (int)ptr->ai_addrlen);
        if (iResult == SOCKET_ERROR) {
            closesocket(ConnectSocket);
            ConnectSocket = INVALID_SOCKET;
            continue;
        }
        break;
    }

    freeaddrinfo(result);

    if (ConnectSocket == INVALID_SOCKET) {
        printf("Unable to connect to server!\n");
        WSACleanup();
        return 1;
    }

    iResult = send(ConnectSocket, sendbuf, (int)strlen(sendbuf), 0);
    if (iResult == SOCKET_ERROR) {
        printf("send failed with error: %d\n", WSAGetLastError());
        closesocket(ConnectSocket);
        WSACleanup();
        return 1;
    }

    printf("Bytes Sent: %ld\n", (long)iResult);

    /* Nothing more to send: half-close, so the server sees end-of-stream
       while this side can still receive its reply. */
    iResult = shutdown(ConnectSocket, SD_SEND);
    if (iResult == SOCKET_ERROR) {
        printf("shutdown failed with error: %d\n", WSAGetLastError());
        closesocket(ConnectSocket);
        WSACleanup();
        return 1;
    }

    /* Read until the server closes its side (recv returns 0). */
    do {
        iResult = recv(ConnectSocket, recvbuf, recvbuflen, 0);
        if (iResult > 0)
            printf("Bytes received: %d\n", iResult);
        else if (iResult == 0)
            printf("Connection closed\n");
        else
            printf("recv failed with error: %d\n", WSAGetLastError());
    } while (iResult > 0);

    closesocket(ConnectSocket);
    WSACleanup();

    return iResult == 0 ? 0 : 1;
}
