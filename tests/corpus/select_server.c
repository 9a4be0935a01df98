/*
 * select_server.c - an echo server on one thread, driven by select().
 *
 * The classic Winsock shape: one fd_set rebuilt every round from the listener
 * and the connected clients, select() with a timeout, then a walk over the
 * sockets select() left in readfds (fd_count / fd_array, which Winsock code
 * reads directly). A client whose recv returns 0 has sent its FIN and is
 * closed. The clients are threads of this program, so it needs no peer.
 *
 *   cl select_server.c                       (MSVC; the pragma links ws2_32)
 *   x86_64-w64-mingw32-gcc select_server.c -lws2_32
 */
#undef UNICODE
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

#pragma comment(lib, "Ws2_32.lib")

#define NUM_CLIENTS 3
#define DEFAULT_BUFLEN 512
#define MAX_ROUNDS 100          /* select() rounds before the server gives up */

typedef struct {
    int id;
    SOCKADDR_IN server;
    char message[64];
    int sent;
    int received;
    char reply[DEFAULT_BUFLEN];
    int error;                  /* the WSA code of the first failure, or 0 */
} CLIENT_JOB;

/* One client: send a line, half-close, read the echo until the server closes. */
static DWORD WINAPI ClientThread(LPVOID lpParam)
{
    CLIENT_JOB *job = (CLIENT_JOB *)lpParam;
    SOCKET ConnectSocket;
    int iResult;

    ConnectSocket = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (ConnectSocket == INVALID_SOCKET) {
        job->error = WSAGetLastError();
        return 1;
    }
    if (connect(ConnectSocket, (SOCKADDR *)&job->server, sizeof(job->server)) == SOCKET_ERROR) {
        job->error = WSAGetLastError();
        closesocket(ConnectSocket);
        return 1;
    }
    job->sent = send(ConnectSocket, job->message, (int)strlen(job->message), 0);
    if (job->sent == SOCKET_ERROR || shutdown(ConnectSocket, SD_SEND) == SOCKET_ERROR) {
        job->error = WSAGetLastError();
        closesocket(ConnectSocket);
        return 1;
    }
    do {
        iResult = recv(ConnectSocket, job->reply + job->received,
                       DEFAULT_BUFLEN - 1 - job->received, 0);
        if (iResult > 0)
            job->received += iResult;
        else if (iResult == SOCKET_ERROR)
            job->error = WSAGetLastError();
    } while (iResult > 0 && job->received < DEFAULT_BUFLEN - 1);
    job->reply[job->received] = '\0';
    closesocket(ConnectSocket);
    return job->error == 0 ? 0 : 1;
}

int __cdecl main(void)
{
    WSADATA wsaData;
    SOCKET ListenSocket = INVALID_SOCKET;
    SOCKET clients[NUM_CLIENTS];
    SOCKADDR_IN service;
    int addrlen = sizeof(service);
    CLIENT_JOB jobs[NUM_CLIENTS];
    HANDLE threads[NUM_CLIENTS];
    char recvbuf[DEFAULT_BUFLEN];
    int nclients = 0, accepted = 0, finished = 0, fins = 0, echoed = 0;
    int round, i, iResult;
    u_int n;

    iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
    if (iResult != 0) {
        printf("WSAStartup failed with error: %d\n", iResult);
        return 1;
    }

    ListenSocket = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (ListenSocket == INVALID_SOCKET) {
        printf("socket failed with error: %d\n", WSAGetLastError());
        WSACleanup();
        return 1;
    }
    ZeroMemory(&service, sizeof(service));
    service.sin_family = AF_INET;
    service.sin_addr.s_addr = inet_addr("127.0.0.1");
    service.sin_port = 0;       /* any free port: the clients learn it below */
    if (bind(ListenSocket, (SOCKADDR *)&service, sizeof(service)) == SOCKET_ERROR ||
        getsockname(ListenSocket, (SOCKADDR *)&service, &addrlen) == SOCKET_ERROR ||
        listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {
        printf("listening failed with error: %d\n", WSAGetLastError());
        closesocket(ListenSocket);
        WSACleanup();
        return 1;
    }
    printf("Listening on 127.0.0.1\n");

    for (i = 0; i < NUM_CLIENTS; i++) {
        ZeroMemory(&jobs[i], sizeof(jobs[i]));
        jobs[i].id = i + 1;
        jobs[i].server = service;
        sprintf(jobs[i].message, "hello from client %d", i + 1);
        threads[i] = CreateThread(NULL, 0, ClientThread, &jobs[i], 0, NULL);
        if (threads[i] == NULL) {
            printf("CreateThread failed with error: %lu\n", (unsigned long)GetLastError());
            return 1;
        }
    }

    for (round = 0; round < MAX_ROUNDS && finished < NUM_CLIENTS; round++) {
        fd_set readfds;
        TIMEVAL timeout;

        timeout.tv_sec = 5;
        timeout.tv_usec = 0;
        FD_ZERO(&readfds);
        if (accepted < NUM_CLIENTS)
            FD_SET(ListenSocket, &readfds);
        for (i = 0; i < nclients; i++)
            FD_SET(clients[i], &readfds);

        iResult = select(0, &readfds, NULL, NULL, &timeout);
        if (iResult == SOCKET_ERROR) {
            printf("select failed with error: %d\n", WSAGetLastError());
            break;
        }
        if (iResult == 0) {
            printf("select timed out\n");
            break;
        }

        if (FD_ISSET(ListenSocket, &readfds)) {
            SOCKET ClientSocket = accept(ListenSocket, NULL, NULL);
            if (ClientSocket == INVALID_SOCKET) {
                printf("accept failed with error: %d\n", WSAGetLastError());
                break;
            }
            clients[nclients++] = ClientSocket;
            accepted++;
        }

        /* select() kept only the ready sockets: walk what is left. */
        for (n = 0; n < readfds.fd_count; n++) {
            SOCKET s = readfds.fd_array[n];
            if (s == ListenSocket)
                continue;
            iResult = recv(s, recvbuf, DEFAULT_BUFLEN, 0);
            if (iResult > 0) {
                int sent = send(s, recvbuf, iResult, 0);
                if (sent == SOCKET_ERROR)
                    printf("send failed with error: %d\n", WSAGetLastError());
                else
                    echoed += sent;
                continue;
            }
            if (iResult == 0)
                fins++;         /* the client is done sending: close our side too */
            else
                printf("recv failed with error: %d\n", WSAGetLastError());
            closesocket(s);
            finished++;
            for (i = 0; i < nclients; i++) {
                if (clients[i] == s) {
                    clients[i] = clients[--nclients];
                    break;
                }
            }
        }
    }

    printf("Accepted %d connections\n", accepted);
    printf("Echoed %d bytes\n", echoed);
    printf("Clients that closed with a FIN: %d\n", fins);

    for (i = 0; i < nclients; i++)
        closesocket(clients[i]);
    closesocket(ListenSocket);

    for (i = 0; i < NUM_CLIENTS; i++) {
        DWORD exitCode = 1;
        if (WaitForSingleObject(threads[i], 10000) != WAIT_OBJECT_0)
            printf("client %d did not finish\n", jobs[i].id);
        else if (!GetExitCodeThread(threads[i], &exitCode) || exitCode != 0)
            printf("client %d failed with error: %d\n", jobs[i].id, jobs[i].error);
        else
            printf("client %d: sent %d, received %d: %s\n", jobs[i].id, jobs[i].sent,
                   jobs[i].received, jobs[i].reply);
        CloseHandle(threads[i]);
    }

    WSACleanup();
    return fins == NUM_CLIENTS ? 0 : 1;
}
