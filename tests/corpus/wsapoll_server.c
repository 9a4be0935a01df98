/*
 * wsapoll_server.c - a line server on one thread, driven by WSAPoll().
 *
 * An array of WSAPOLLFD, the listener first, one entry per client after it;
 * POLLRDNORM on the listener is a pending connection, on a client it is data
 * (answered in upper case), and POLLHUP is the client's FIN once its data is
 * read. Closed clients leave the array by moving the last entry into their
 * slot. The clients are threads of this program.
 */
#define WIN32_LEAN_AND_MEAN

#include <winsock2.h>
#include <windows.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#pragma comment(lib, "ws2_32.lib")

#define CLIENTS 4
#define BUFSIZE 256
#define POLL_TIMEOUT_MS 5000
#define MAX_POLLS 100

struct client_args {
    SOCKADDR_IN server;
    int number;
    char answer[BUFSIZE];
    int answer_len;
    int last_error;
};

static DWORD WINAPI client_main(LPVOID arg)
{
    struct client_args *c = arg;
    char line[32];
    int got;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

    if (s == INVALID_SOCKET) {
        c->last_error = WSAGetLastError();
        return 1;
    }
    sprintf(line, "ping %d", c->number);
    if (connect(s, (struct sockaddr *)&c->server, sizeof c->server) != 0 ||
        send(s, line, (int)strlen(line), 0) == SOCKET_ERROR ||
        shutdown(s, SD_SEND) != 0) {
        c->last_error = WSAGetLastError();
        closesocket(s);
        return 1;
    }
    while ((got = recv(s, c->answer + c->answer_len, BUFSIZE - 1 - c->answer_len, 0)) > 0)
        c->answer_len += got;
    if (got == SOCKET_ERROR)
        c->last_error = WSAGetLastError();
    c->answer[c->answer_len] = 0;
    closesocket(s);
    return got == 0 ? 0 : 1;
}

int main(void)
{
    WSADATA wsa;
    WSAPOLLFD fds[1 + CLIENTS];
    ULONG nfds = 0;
    struct client_args args[CLIENTS];
    HANDLE workers[CLIENTS];
    SOCKADDR_IN addr;
    int addrlen = sizeof addr;
    int polls, answered = 0, hangups = 0, done = 0, i;
    char buf[BUFSIZE];

    if (WSAStartup(MAKEWORD(2, 2), &wsa)) {
        printf("WSAStartup failed\n");
        return 1;
    }

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = inet_addr("127.0.0.1");
    fds[0].fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    fds[0].events = POLLRDNORM;
    nfds = 1;
    if (fds[0].fd == INVALID_SOCKET ||
        bind(fds[0].fd, (struct sockaddr *)&addr, sizeof addr) ||
        getsockname(fds[0].fd, (struct sockaddr *)&addr, &addrlen) ||
        listen(fds[0].fd, SOMAXCONN)) {
        printf("listen failed: %d\n", WSAGetLastError());
        return 1;
    }

    for (i = 0; i < CLIENTS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].server = addr;
        args[i].number = i + 1;
        workers[i] = CreateThread(NULL, 0, client_main, &args[i], 0, NULL);
    }

    for (polls = 0; polls < MAX_POLLS && done < CLIENTS; polls++) {
        ULONG n;
        int ready = WSAPoll(fds, nfds, POLL_TIMEOUT_MS);
        if (ready == SOCKET_ERROR) {
            printf("WSAPoll failed: %d\n", WSAGetLastError());
            break;
        }
        if (ready == 0) {
            printf("WSAPoll timed out\n");
            break;
        }
        if ((fds[0].revents & POLLRDNORM) && nfds < 1 + CLIENTS) {
            SOCKET client = accept(fds[0].fd, NULL, NULL);
            if (client == INVALID_SOCKET) {
                printf("accept failed: %d\n", WSAGetLastError());
                break;
            }
            fds[nfds].fd = client;
            fds[nfds].events = POLLRDNORM;
            fds[nfds].revents = 0;
            nfds++;
        }
        for (n = 1; n < nfds; n++) {
            int got;
            if (!(fds[n].revents & (POLLRDNORM | POLLHUP | POLLERR)))
                continue;
            got = recv(fds[n].fd, buf, sizeof buf, 0);
            if (got > 0) {
                int k;
                for (k = 0; k < got; k++)
                    buf[k] = (char)toupper((unsigned char)buf[k]);
                got = send(fds[n].fd, buf, got, 0);
                if (got == SOCKET_ERROR)
                    printf("send failed: %d\n", WSAGetLastError());
                else
                    answered += got;
                continue;
            }
            if (got == 0 && (fds[n].revents & POLLHUP))
                hangups++;
            else if (got == SOCKET_ERROR)
                printf("recv failed: %d\n", WSAGetLastError());
            closesocket(fds[n].fd);
            done++;
            fds[n] = fds[--nfds];    /* the moved entry is looked at in this pass */
            n--;
        }
    }

    printf("WSAPoll served %d clients\n", done);
    printf("bytes answered: %d\n", answered);
    printf("hang-ups seen as POLLHUP: %d\n", hangups);

    for (i = 1; i < (int)nfds; i++)
        closesocket(fds[i].fd);
    closesocket(fds[0].fd);
    for (i = 0; i < CLIENTS; i++) {
        DWORD code = 1;
        if (workers[i] == NULL)
            printf("client %d: CreateThread failed: %lu\n", i + 1, (unsigned long)GetLastError());
        else if (WaitForSingleObject(workers[i], 10000) != WAIT_OBJECT_0)
            printf("client %d: still running\n", i + 1);
        else if (GetExitCodeThread(workers[i], &code) && code == 0)
            printf("client %d got \"%s\"\n", i + 1, args[i].answer);
        else
            printf("client %d: error %d\n", i + 1, args[i].last_error);
        if (workers[i] != NULL)
            CloseHandle(workers[i]);
    }
    WSACleanup();
    return hangups == CLIENTS ? 0 : 1;
}
