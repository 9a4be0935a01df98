/*
 * resolver_core.c - the old resolver calls as Winsock C sees them, through the
 * shim on the POSIX core: struct hostent / HOSTENT / h_addr, struct servent,
 * inet_ntoa taking a struct in_addr by value, the NI_* values, and the rules
 * C code relies on that a trace cannot show:
 *   - each thread's result stays put while other threads call (the pointer
 *     and what it points to), until the same thread's next call;
 *   - a thread's result is the same storage every call (no memory per call),
 *     freed when the thread ends (run under ASan/LSan to see it);
 *   - errno is never changed.
 *
 *   cc -std=c11 -Icsrc/include/portsock -Icsrc tests/native/resolver_core.c \
 *       <the core's POSIX sources> -lpthread
 *
 * Prints "N passed, N failed"; exit status 1 if any check failed.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond)                                                          \
            passed++;                                                      \
        else {                                                             \
            failed++;                                                      \
            printf("FAILED line %d: %s (last error %d)\n", __LINE__, #cond, \
                   WSAGetLastError());                                     \
        }                                                                  \
    } while (0)

#define ROUNDS 2000

static const char *first_address(const struct hostent *h, char *buf, size_t size)
{
    struct in_addr in;
    memcpy(&in, h->h_addr, sizeof in);
    snprintf(buf, size, "%s", inet_ntoa(in));
    return buf;
}

/* The other thread: resolves other things, many times, while the main thread
   holds its results. */
static void *other_thread(void *arg)
{
    int i, *ok = (int *)arg;
    char text[32];
    *ok = 1;
    for (i = 0; i < ROUNDS; i++) {
        struct hostent *h = gethostbyname("192.0.2.7");
        struct servent *s = getservbyname("domain", "udp");
        struct in_addr in;
        in.s_addr = htonl(0x0A000001);
        if (h == NULL || strcmp(first_address(h, text, sizeof text), "192.0.2.7") != 0
            || s == NULL || ntohs((u_short)s->s_port) != 53 || strcmp(inet_ntoa(in), "10.0.0.1") != 0)
            *ok = 0;
    }
    return NULL;
}

/* Threads that call once and end at once: their storage must be freed (LSan
   reports it otherwise). */
static void *short_lived(void *arg)
{
    (void)arg;
    gethostbyname("127.0.0.1");
    getservbyport(htons(80), "tcp");
    {
        struct in_addr in;
        in.s_addr = htonl(0x7F000001);
        inet_ntoa(in);
    }
    return NULL;
}

int main(void)
{
    WSADATA data;
    struct hostent *h, *again;
    HOSTENT *typed;
    struct servent *s;
    SERVENT *styped;
    struct in_addr in;
    const char *ntoa;
    char text[32], host[NI_MAXHOST], serv[NI_MAXSERV];
    pthread_t t, shorts[8];
    int other_ok = 0, i;
    struct sockaddr_in sin;

    /* Winsock's values, not glibc's. */
    CHECK(NI_NUMERICHOST == 2 && NI_NUMERICSERV == 8 && NI_NAMEREQD == 4 && NI_NOFQDN == 1 && NI_DGRAM == 16);
    CHECK(NI_MAXHOST == 1025 && NI_MAXSERV == 32);
    CHECK(sizeof(((struct hostent *)0)->h_addrtype) == 2 && sizeof(((struct hostent *)0)->h_length) == 2);
    CHECK(sizeof(((struct servent *)0)->s_port) == 2);

    errno = 12345;
    CHECK(gethostbyname("localhost") == NULL && WSAGetLastError() == WSANOTINITIALISED);
    CHECK(gethostname(host, sizeof host) == SOCKET_ERROR && WSAGetLastError() == WSANOTINITIALISED);
    CHECK(errno == 12345);
    CHECK(WSAStartup(MAKEWORD(2, 2), &data) == 0);

    errno = 12345;
    h = gethostbyname("127.0.0.1");
    CHECK(h != NULL && h->h_addrtype == AF_INET && h->h_length == 4);
    CHECK(h != NULL && strcmp(h->h_name, "127.0.0.1") == 0 && h->h_aliases[0] == NULL);
    CHECK(h != NULL && strcmp(first_address(h, text, sizeof text), "127.0.0.1") == 0);
    CHECK(h != NULL && h->h_addr_list[1] == NULL);
    typed = gethostbyname("nosuchhost.invalid");
    CHECK(typed == NULL && WSAGetLastError() == WSAHOST_NOT_FOUND);
    CHECK(errno == 12345);

    /* The same thread's next call reuses the same storage. */
    h = gethostbyname("127.0.0.1");
    again = gethostbyname("192.0.2.9");
    CHECK(h != NULL && h == again && strcmp(first_address(again, text, sizeof text), "192.0.2.9") == 0);
    for (i = 0; i < ROUNDS; i++)
        again = gethostbyname("127.0.0.1");
    CHECK(again == h);

    s = getservbyname("http", "tcp");
    CHECK(s != NULL && ntohs((u_short)s->s_port) == 80 && strcmp(s->s_name, "http") == 0
          && strcmp(s->s_proto, "tcp") == 0);
    styped = getservbyport(htons(80), NULL);
    CHECK(styped != NULL && styped == s && strcmp(styped->s_name, "http") == 0);
    CHECK(getservbyname("nosuchservice", "tcp") == NULL && WSAGetLastError() == WSANO_DATA);

    in.s_addr = htonl(0x7F000001);
    ntoa = inet_ntoa(in);
    CHECK(strcmp(ntoa, "127.0.0.1") == 0);

    /* Another thread's calls leave this thread's results as they are. */
    h = gethostbyname("127.0.0.1");
    s = getservbyname("http", "tcp");
    ntoa = inet_ntoa(in);
    CHECK(pthread_create(&t, NULL, other_thread, &other_ok) == 0);
    pthread_join(t, NULL);
    CHECK(other_ok == 1);
    CHECK(h != NULL && strcmp(first_address(h, text, sizeof text), "127.0.0.1") == 0
          && strcmp(h->h_name, "127.0.0.1") == 0);
    CHECK(s != NULL && ntohs((u_short)s->s_port) == 80 && strcmp(s->s_name, "http") == 0);
    CHECK(strcmp(ntoa, "127.0.0.1") == 0);

    for (i = 0; i < (int)(sizeof shorts / sizeof shorts[0]); i++)
        CHECK(pthread_create(&shorts[i], NULL, short_lived, NULL) == 0);
    for (i = 0; i < (int)(sizeof shorts / sizeof shorts[0]); i++)
        pthread_join(shorts[i], NULL);

    /* gethostname: the name and its NUL, or WSAEFAULT and the buffer untouched. */
    CHECK(gethostname(host, sizeof host) == 0 && strlen(host) > 0);
    {
        char small[2] = {'Z', 'Z'};
        size_t n = strlen(host);
        char exact[NI_MAXHOST];
        memset(exact, 'Z', sizeof exact);
        CHECK(gethostname(exact, (int)n) == SOCKET_ERROR && WSAGetLastError() == WSAEFAULT && exact[0] == 'Z');
        CHECK(gethostname(exact, (int)n + 1) == 0 && strcmp(exact, host) == 0);
        CHECK(n < 1 || (gethostname(small, 1) == SOCKET_ERROR && small[0] == 'Z'));
    }

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    sin.sin_addr.s_addr = htonl(0x7F000001);
    errno = 12345;
    CHECK(getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv, sizeof serv,
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0);
    CHECK(strcmp(host, "127.0.0.1") == 0 && strcmp(serv, "80") == 0);
    CHECK(getnameinfo((struct sockaddr *)&sin, sizeof sin, NULL, 0, serv, sizeof serv, 0) == 0
          && strcmp(serv, "http") == 0);
    strcpy(host, "untouched");
    CHECK(getnameinfo((struct sockaddr *)&sin, sizeof sin, host, 5, NULL, 0, NI_NUMERICHOST) == WSAEFAULT
          && WSAGetLastError() == WSAEFAULT && strcmp(host, "untouched") == 0);
    CHECK(getnameinfo((struct sockaddr *)&sin, sizeof sin - 1, host, sizeof host, NULL, 0, 0) == WSAEFAULT);
    CHECK(getnameinfo(NULL, sizeof sin, host, sizeof host, NULL, 0, 0) == WSAEFAULT);
    CHECK(errno == 12345);

    CHECK(WSACleanup() == 0);
    CHECK(getservbyport(htons(80), "tcp") == NULL && WSAGetLastError() == WSANOTINITIALISED);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
