/*
 * gethostbyname_client.c - a client in the old style, before getaddrinfo.
 *
 * gethostbyname() for the server's address, copied into a SOCKADDR_IN through
 * S_un.S_addr from the first entry of h_addr_list, inet_ntoa() to show it,
 * and a port from atoi() and htons(). Code from the Windows Sockets 1.1 days
 * still looks like this, and still builds against Ws2_32.
 *
 * usage: gethostbyname_client host port
 */
#include <winsock2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma comment(lib, "wsock32.lib")

#define REQUEST "GET /index.html"

int main(int argc, char *argv[])
{
    WSADATA wsaData;
    struct hostent FAR *remoteHost;
    SOCKADDR_IN addr;
    SOCKET sock;
    char reply[1024];
    int total = 0, n, i;

    if (argc != 3) {
        printf("usage: %s host port\n", argv[0]);
        return 1;
    }
    if (WSAStartup(MAKEWORD(1, 1), &wsaData) != 0) {
        printf("WSAStartup failed: %d\n", WSAGetLastError());
        return 1;
    }
    printf("Winsock version %d.%d\n", LOBYTE(wsaData.wVersion), HIBYTE(wsaData.wVersion));

    remoteHost = gethostbyname(argv[1]);
    if (remoteHost == NULL) {
        DWORD dwError = WSAGetLastError();
        if (dwError == WSAHOST_NOT_FOUND)
            printf("Host not found\n");
        else if (dwError == WSANO_DATA)
            printf("No data record found\n");
        else
            printf("gethostbyname failed with error: %ld\n", (long)dwError);
        WSACleanup();
        return 1;
    }
    printf("Official name: %s\n", remoteHost->h_name);
    for (i = 0; remoteHost->h_aliases[i] != NULL; i++)
        printf("Alternate name #%d: %s\n", i + 1, remoteHost->h_aliases[i]);
    printf("Address type: %s\n", remoteHost->h_addrtype == AF_INET ? "AF_INET" : "other");
    printf("Address length: %d\n", remoteHost->h_length);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.S_un.S_addr = *(u_long *)remoteHost->h_addr_list[0];
    addr.sin_port = htons((u_short)atoi(argv[2]));
    printf("First IP Address: %s\n", inet_ntoa(addr.sin_addr));

    sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock == INVALID_SOCKET) {
        printf("socket failed: %d\n", WSAGetLastError());
        WSACleanup();
        return 1;
    }
    if (connect(sock, (struct sockaddr FAR *)&addr, sizeof(addr)) == SOCKET_ERROR) {
        printf("connect failed: %d\n", WSAGetLastError());
        closesocket(sock);
        WSACleanup();
        return 1;
    }
    if (send(sock, REQUEST, (int)strlen(REQUEST), 0) == SOCKET_ERROR) {
        printf("send failed: %d\n", WSAGetLastError());
        closesocket(sock);
        WSACleanup();
        return 1;
    }
    shutdown(sock, SD_SEND);

    while (total < (int)sizeof(reply) - 1 &&
           (n = recv(sock, reply + total, sizeof(reply) - 1 - total, 0)) > 0)
        total += n;
    reply[total] = '\0';
    printf("Received %d bytes: %s\n", total, reply);

    closesocket(sock);
    WSACleanup();
    return 0;
}
