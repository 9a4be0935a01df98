/*
 * driver.c - runs the parity scenarios (tests/native/scenarios.txt, whose top
 * documents the language) through the Winsock API and prints their traces.
 *
 * Plain Winsock C: the same source builds three ways.
 *
 *   Real Winsock (run under Wine):
 *     x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -o driver_winsock.exe \
 *         tests/native/driver.c -lws2_32 -static
 *   The POSIX core, through the shim headers:
 *     gcc -std=c11 -Wall -Wextra -Icsrc/include/portsock -Icsrc -o driver_shim \
 *         tests/native/driver.c csrc/posix.c csrc/errmap.c csrc/addr.c -lpthread
 *   The core's Windows backend (run under Wine): the shim's -DPORTSOCK_USE_CORE
 *   maps the Winsock names to the ps_* functions, which pass through to ws2_32:
 *     x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -DPORTSOCK_USE_CORE \
 *         -Icsrc/include/portsock -Icsrc -o driver_core.exe tests/native/driver.c \
 *         csrc/win32.c csrc/errmap.c csrc/addr.c -lws2_32 -static
 *
 * usage: driver [SCENARIOS_FILE|-] [NAME ...]   (default: stdin; all scenarios)
 *
 * Prints "== NAME" and then one JSON line per op, in the format of
 * portsock.winsock.trace(). A watchdog ends the process (exit 3, a message on
 * stderr) if one scenario takes longer than SCENARIO_BUDGET_MS.
 */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#  include <pthread.h>
#  include <time.h>
#  include <unistd.h>
#endif

#ifndef SCENARIO_BUDGET_MS
#  define SCENARIO_BUDGET_MS 30000
#endif
#define MAX_LINES 4096
#define MAX_WORDS 20
#define MAX_VARS 32

/* ---- time, sleep, threads: the only per-OS code ------------------------- */

static long long now_ms(void)
{
#ifdef _WIN32
    return (long long)GetTickCount64();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

static void sleep_ms(int ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0)
        ;
#endif
}

typedef void (*thread_fn)(void *);

struct thread_start {
    thread_fn fn;
    void *arg;
};

#ifdef _WIN32
typedef HANDLE thread_t;
static DWORD WINAPI thread_main(LPVOID p)
{
    struct thread_start *ts = (struct thread_start *)p;
    ts->fn(ts->arg);
    return 0;
}
static int thread_create(thread_t *t, struct thread_start *ts)
{
    *t = CreateThread(NULL, 0, thread_main, ts, 0, NULL);
    return *t != NULL ? 0 : -1;
}
static void thread_join(thread_t t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
static void hard_exit(int code)
{
    ExitProcess((UINT)code);
}
#else
typedef pthread_t thread_t;
static void *thread_main(void *p)
{
    struct thread_start *ts = (struct thread_start *)p;
    ts->fn(ts->arg);
    return NULL;
}
static int thread_create(thread_t *t, struct thread_start *ts)
{
    return pthread_create(t, NULL, thread_main, ts) == 0 ? 0 : -1;
}
static void thread_join(thread_t t)
{
    pthread_join(t, NULL);
}
static void hard_exit(int code)
{
    _exit(code);
}
#endif

/* ---- the watchdog --------------------------------------------------------- */

static volatile long long scenario_started;   /* 0: between scenarios */
static char scenario_name[128];
static volatile int scenario_line;

static void watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        long long started = scenario_started;
        sleep_ms(100);
        if (started != 0 && started == scenario_started
            && now_ms() - started > SCENARIO_BUDGET_MS) {
            fflush(stdout);
            fprintf(stderr, "driver: watchdog: scenario %s still running after %d ms "
                    "(at line %d); giving up\n", scenario_name, SCENARIO_BUDGET_MS,
                    scenario_line);
            fflush(stderr);
            hard_exit(3);
        }
    }
}

/* ---- trace output ------------------------------------------------------------ */

static void print_line(const char *call, long ret, long err)
{
    printf("{\"call\": \"%s\", \"ret\": %ld, \"err\": %ld}\n", call, ret, err);
    fflush(stdout);
}

static void print_label(const char *call, const char *label, long err)
{
    printf("{\"call\": \"%s\", \"ret\": \"%s\", \"err\": %ld}\n", call, label, err);
    fflush(stdout);
}

/* A call returning SOCKET_ERROR on failure: err is the last error then, else 0. */
static void print_result(const char *call, int ret)
{
    print_line(call, ret, ret == SOCKET_ERROR ? WSAGetLastError() : 0);
}

/* ---- scenario state ---------------------------------------------------------- */

struct var {
    char name[32];
    SOCKET s;
    int family;
    int has_addr;
    struct sockaddr_storage addr;
    int addrlen;
};

/* The thread's job: recv(s, len) (thread_recv), or closesocket(s) after
   len ms (thread_close). */
struct recv_job {
    SOCKET s;
    int len;
    int close;
    int ret;
    int err;
};

/* The last select's sets, with the words that named their handles. */
#define MAX_SET 16
struct select_set {
    int given;          /* 0: NULL */
    fd_set set;
    int nwords;
    char words[MAX_SET][32];
    SOCKET handles[MAX_SET];
};

#define MAX_POLL 8

/* The Winsock 2 calls' out-parameters, as the last one left them. */
#define MAX_WSABUFS 8
#define WSABUF_BYTES 600
#define UNWRITTEN 0x7777
struct wsa_state {
    DWORD count;
    DWORD flags;
    u_long out;
    int nbufs;
    u_long sizes[MAX_WSABUFS];
    char bytes[MAX_WSABUFS][WSABUF_BYTES];
};

struct state {
    struct var vars[MAX_VARS];
    int nvars;
    int labels;
    WSADATA data;
    int thread_running;
    thread_t thread;
    struct thread_start start;
    struct recv_job job;
    struct select_set sets[3];
    WSAPOLLFD pollfds[MAX_POLL];
    int npollfds;
    /* The last HOSTENT and SERVENT kept (Winsock's per-thread results: this
       thread makes no other call of their families before reading them), and
       getnameinfo's buffers (given: 0 for NULL). */
    struct hostent *host;
    struct servent *serv;
    char nameinfo[2][1026];
    int nameinfo_given[2];
    struct wsa_state wsa;
};

static struct state st;

static struct var *find_var(const char *name)
{
    int i;
    for (i = 0; i < st.nvars; i++)
        if (strcmp(st.vars[i].name, name) == 0)
            return &st.vars[i];
    return NULL;
}

static struct var *set_var(const char *name, SOCKET s, int family)
{
    struct var *v = find_var(name);
    if (v == NULL) {
        if (st.nvars == MAX_VARS)
            return NULL;
        v = &st.vars[st.nvars++];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", name);
    }
    v->s = s;
    v->family = family;
    v->has_addr = 0;
    return v;
}

/* Prints a socket/accept result: a new label for every socket created. */
static void print_socket(const char *call, SOCKET s)
{
    char label[16];
    if (s == INVALID_SOCKET) {
        print_label(call, "INVALID_SOCKET", WSAGetLastError());
        return;
    }
    snprintf(label, sizeof label, "S%d", ++st.labels);
    print_label(call, label, 0);
}

/* ---- words --------------------------------------------------------------------- */

struct name_value {
    const char *name;
    long value;
};

static long number(const char *w)
{
    return strtol(w, NULL, 0);
}

static long lookup(const struct name_value *table, const char *w)
{
    for (; table->name != NULL; table++)
        if (strcmp(table->name, w) == 0)
            return table->value;
    return number(w);
}

static const struct name_value families[] = {
    {"inet", AF_INET}, {"inet6", AF_INET6}, {"unspec", AF_UNSPEC}, {NULL, 0}};
static const struct name_value types[] = {
    {"stream", SOCK_STREAM}, {"dgram", SOCK_DGRAM}, {NULL, 0}};
static const struct name_value protocols[] = {
    {"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {NULL, 0}};
static const struct name_value hows[] = {
    {"receive", SD_RECEIVE}, {"send", SD_SEND}, {"both", SD_BOTH}, {NULL, 0}};
static const struct name_value ai_flags[] = {
    {"numerichost", AI_NUMERICHOST}, {"passive", AI_PASSIVE},
    {"canonname", AI_CANONNAME}, {"numericserv", AI_NUMERICSERV}, {NULL, 0}};

/* Names of a table joined with '+' (numbers too): the OR of their values. */
static int flags_of(const char *w, const struct name_value *table)
{
    char buf[128], *part, *next;
    int flags = 0;
    snprintf(buf, sizeof buf, "%s", w);
    for (part = buf; part != NULL; part = next) {
        next = strchr(part, '+');
        if (next != NULL)
            *next++ = '\0';
        flags |= (int)lookup(table, part);
    }
    return flags;
}

/* NULL, "" or the word itself. */
static const char *text_of(const char *w)
{
    if (strcmp(w, "NULL") == 0)
        return NULL;
    if (strcmp(w, "\"\"") == 0)
        return "";
    return w;
}

/* ---- addresses ------------------------------------------------------------------- */

/* 127.0.0.1 or ::1, port 0. */
static int loopback(int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr.s6_addr[15] = 1;
        return (int)sizeof *sin6;
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return (int)sizeof *sin;
    }
}

/* A loopback address nobody listens on: the port the OS just gave a socket,
   which is then closed. 0 on success. */
static int closed_port(int family, struct sockaddr_storage *ss, int *len)
{
    SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    int rc = -1;
    if (s == INVALID_SOCKET)
        return -1;
    *len = loopback(family, ss);
    if (bind(s, (struct sockaddr *)ss, *len) == 0) {
        *len = (int)sizeof *ss;
        rc = getsockname(s, (struct sockaddr *)ss, len);
    }
    closesocket(s);
    return rc == 0 ? 0 : -1;
}

/* The address a TARGET word names; 0 on success. */
static int target(const char *w, struct sockaddr_storage *ss, int *len)
{
    struct var *v;
    if (strcmp(w, "closedport") == 0)
        return closed_port(AF_INET, ss, len);
    if (strcmp(w, "closedport6") == 0)
        return closed_port(AF_INET6, ss, len);
    v = find_var(w);
    if (v == NULL || !v->has_addr)
        return -1;
    memcpy(ss, &v->addr, sizeof *ss);
    *len = v->addrlen;
    return 0;
}

/* ---- the recv thread ---------------------------------------------------------------- */

static void recv_job_run(void *arg)
{
    struct recv_job *job = (struct recv_job *)arg;
    char *buf;
    if (job->close) {
        sleep_ms(job->len);
        job->ret = closesocket(job->s);
        job->err = job->ret == SOCKET_ERROR ? WSAGetLastError() : 0;
        return;
    }
    buf = (char *)malloc((size_t)job->len + 1);
    job->ret = recv(job->s, buf, job->len, 0);
    job->err = job->ret == SOCKET_ERROR ? WSAGetLastError() : 0;
    free(buf);
}

/* ---- select and WSAPoll ------------------------------------------------------------- */

/* A handle word: a socket variable, invalid (INVALID_SOCKET) or a number. */
static SOCKET handle_word(const char *w)
{
    struct var *v = find_var(w);
    if (v != NULL)
        return v->s;
    if (strcmp(w, "invalid") == 0)
        return INVALID_SOCKET;
    return (SOCKET)strtoull(w, NULL, 0);
}

/* A select set word: - (NULL), none (empty) or handle words joined with ','. */
static fd_set *set_of(const char *w, struct select_set *ss)
{
    char buf[512], *part, *next;
    memset(ss, 0, sizeof *ss);
    if (strcmp(w, "-") == 0)
        return NULL;
    ss->given = 1;
    FD_ZERO(&ss->set);
    if (strcmp(w, "none") == 0)
        return &ss->set;
    snprintf(buf, sizeof buf, "%s", w);
    for (part = buf; part != NULL && ss->nwords < MAX_SET; part = next) {
        next = strchr(part, ',');
        if (next != NULL)
            *next++ = '\0';
        snprintf(ss->words[ss->nwords], sizeof ss->words[0], "%.31s", part);
        ss->handles[ss->nwords] = handle_word(part);
        FD_SET(ss->handles[ss->nwords], &ss->set);
        ss->nwords++;
    }
    return &ss->set;
}

/* {"call": "fd_set(r)", "ret": the words of the handles in the set, or none / NULL}. */
static void print_set(const char *which)
{
    int k = strcmp(which, "r") == 0 ? 0 : strcmp(which, "w") == 0 ? 1 : 2;
    struct select_set *ss = &st.sets[k];
    char call[16], text[600] = "";
    u_int i;
    int j;
    snprintf(call, sizeof call, "fd_set(%s)", which);
    if (!ss->given) {
        print_label(call, "NULL", 0);
        return;
    }
    for (i = 0; i < ss->set.fd_count; i++)
        for (j = 0; j < ss->nwords; j++)
            if (ss->handles[j] == ss->set.fd_array[i]) {
                if (text[0] != '\0')
                    strcat(text, " ");
                strcat(text, ss->words[j]);
                break;
            }
    print_label(call, text[0] != '\0' ? text : "none", 0);
}

static const struct name_value poll_flags[] = {
    {"in", POLLIN}, {"out", POLLOUT}, {"rdnorm", POLLRDNORM}, {"rdband", POLLRDBAND},
    {"wrnorm", POLLWRNORM}, {"wrband", POLLWRBAND}, {"pri", POLLPRI}, {"err", POLLERR},
    {"hup", POLLHUP}, {"nval", POLLNVAL}, {NULL, 0}};

/* ---- the old resolver and address calls ---------------------------------------------- */

static void driver_error(const char *what);

static const struct name_value ni_flags[] = {
    {"numerichost", NI_NUMERICHOST}, {"numericserv", NI_NUMERICSERV}, {"namereqd", NI_NAMEREQD},
    {"nofqdn", NI_NOFQDN}, {"dgram", NI_DGRAM}, {NULL, 0}};

/* The 4 or 16 bytes of an address in text; its size, or 0. */
static int address_bytes(const char *w, unsigned char *out)
{
    int family = strchr(w, ':') != NULL ? AF_INET6 : AF_INET;
    if (inet_pton(family, w, out) != 1)
        return 0;
    return family == AF_INET6 ? 16 : 4;
}

/* A pointer call's line: HOSTENT/SERVENT, or NULL with the last error. */
static void print_pointer(const char *call, const void *p, const char *tag)
{
    if (p != NULL)
        print_label(call, tag, 0);
    else
        print_label(call, "NULL", WSAGetLastError());
}

static void print_hostent_field(const char *field)
{
    char call[32], text[600] = "";
    const struct hostent *h = st.host;
    int i, j;
    snprintf(call, sizeof call, "hostent.%s", field);
    if (h == NULL) {
        print_label(call, "NULL", 0);
    } else if (strcmp(field, "h_name") == 0) {
        print_label(call, h->h_name, 0);
    } else if (strcmp(field, "h_addrtype") == 0) {
        print_line(call, h->h_addrtype, 0);
    } else if (strcmp(field, "h_length") == 0) {
        print_line(call, h->h_length, 0);
    } else if (strcmp(field, "h_aliases") == 0) {
        for (i = 0; h->h_aliases[i] != NULL; i++)
            ;
        print_line(call, i, 0);
    } else {
        for (i = 0; h->h_addr_list[i] != NULL && strlen(text) < sizeof text - 40; i++) {
            const unsigned char *a = (const unsigned char *)h->h_addr_list[i];
            char word[40];
            if (h->h_length == 4) {
                snprintf(word, sizeof word, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
            } else {
                for (j = 0; j < 16; j++)
                    snprintf(word + 2 * j, sizeof word - 2 * (size_t)j, "%02x", a[j]);
            }
            if (text[0] != '\0')
                strcat(text, " ");
            strcat(text, word);
        }
        print_label(call, text[0] != '\0' ? text : "none", 0);
    }
}

static void print_servent_field(const char *field)
{
    char call[32];
    snprintf(call, sizeof call, "servent.%s", field);
    if (st.serv == NULL)
        print_label(call, "NULL", 0);
    else if (strcmp(field, "s_port") == 0)
        print_line(call, ntohs((u_short)st.serv->s_port), 0);
    else
        print_label(call, strcmp(field, "s_name") == 0 ? st.serv->s_name : st.serv->s_proto, 0);
}

/* The resolver's ops; 0 if op is none of them. */
static int resolver_op(const char *op, char **w, int n)
{
    unsigned char addr[16];
    if (strcmp(op, "gethostbyname") == 0 && n >= 2) {
        st.host = gethostbyname(text_of(w[1]));
        print_pointer("gethostbyname", st.host, "HOSTENT");
    } else if (strcmp(op, "gethostbyaddr") == 0 && n >= 4) {
        if (address_bytes(w[1], addr) == 0) {
            driver_error("not an address");
            return 1;
        }
        st.host = gethostbyaddr((const char *)addr, (int)number(w[2]), (int)lookup(families, w[3]));
        print_pointer("gethostbyaddr", st.host, "HOSTENT");
    } else if (strcmp(op, "hostent") == 0 && n >= 2) {
        print_hostent_field(w[1]);
    } else if (strcmp(op, "getservbyname") == 0 && n >= 3) {
        st.serv = getservbyname(w[1], text_of(w[2]));
        print_pointer("getservbyname", st.serv, "SERVENT");
    } else if (strcmp(op, "getservbyport") == 0 && n >= 3) {
        st.serv = getservbyport(htons((u_short)number(w[1])), text_of(w[2]));
        print_pointer("getservbyport", st.serv, "SERVENT");
    } else if (strcmp(op, "servent") == 0 && n >= 2) {
        print_servent_field(w[1]);
    } else if (strcmp(op, "gethostname") == 0 && n >= 2) {
        char name[256];
        print_result("gethostname", gethostname(name, (int)number(w[1])));
    } else if (strcmp(op, "inet_ntoa") == 0 && n >= 2) {
        struct in_addr in;
        memset(&in, 0, sizeof in);
        in.s_addr = inet_addr(w[1]);
        print_label("inet_ntoa", inet_ntoa(in), 0);
    } else if (strcmp(op, "getnameinfo") == 0 && n >= 6) {
        struct sockaddr_storage ss;
        int size = address_bytes(w[1], addr), salen, k, rc;
        DWORD lens[2];
        memset(&ss, 0, sizeof ss);
        if (size == 4) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            sin->sin_family = AF_INET;
            sin->sin_port = htons((u_short)number(w[2]));
            memcpy(&sin->sin_addr, addr, 4);
            salen = (int)sizeof *sin;
        } else if (size == 16) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons((u_short)number(w[2]));
            memcpy(&sin6->sin6_addr, addr, 16);
            salen = (int)sizeof *sin6;
        } else {
            driver_error("not an address");
            return 1;
        }
        for (k = 0; k < 2; k++) {
            st.nameinfo_given[k] = strcmp(w[3 + k], "NULL") != 0;
            lens[k] = st.nameinfo_given[k] ? (DWORD)number(w[3 + k]) : 0;
            memset(st.nameinfo[k], 0, sizeof st.nameinfo[k]);
        }
        rc = getnameinfo((struct sockaddr *)&ss, salen, st.nameinfo_given[0] ? st.nameinfo[0] : NULL, lens[0],
                         st.nameinfo_given[1] ? st.nameinfo[1] : NULL, lens[1],
                         strcmp(w[5], "0") == 0 ? 0 : flags_of(w[5], ni_flags));
        print_line("getnameinfo", rc, rc);
    } else if (strcmp(op, "nameinfo") == 0 && n >= 2) {
        int k = strcmp(w[1], "host") == 0 ? 0 : 1;
        print_label(strcmp(w[1], "host") == 0 ? "nameinfo(host)" : "nameinfo(serv)",
                    st.nameinfo_given[k] ? st.nameinfo[k] : "NULL", 0);
    } else {
        return 0;
    }
    return 1;
}

/* ---- the Winsock 2 calls ------------------------------------------------------------ */

static const struct name_value wsa_flags[] = {
    {"overlapped", WSA_FLAG_OVERLAPPED}, {"noinherit", WSA_FLAG_NO_HANDLE_INHERIT}, {NULL, 0}};
static const struct name_value msg_flags[] = {
    {"peek", MSG_PEEK}, {"oob", MSG_OOB}, {"waitall", MSG_WAITALL}, {NULL, 0}};

/* The sizes of a SIZES word into sizes[]; their count, or -1 for null. */
static int sizes_of(const char *w, u_long *sizes)
{
    int n = 0;
    const char *p = w;
    if (strcmp(w, "null") == 0)
        return -1;
    if (strcmp(w, "none") == 0)
        return 0;
    while (*p != '\0' && n < MAX_WSABUFS) {
        sizes[n++] = strtoul(p, (char **)&p, 10);
        if (*p == ',')
            p++;
    }
    return n;
}

/* WSASend / WSASendTo of one WSABUF per size, buffer i of the letter 'a' + i. */
static void wsa_send(SOCKET s, const char *sizes_word, const struct sockaddr *to, int tolen, DWORD flags)
{
    WSABUF bufs[MAX_WSABUFS];
    u_long sizes[MAX_WSABUFS];
    int n = sizes_of(sizes_word, sizes), i, rc;
    for (i = 0; i < n; i++) {
        if (sizes[i] > WSABUF_BYTES)
            sizes[i] = WSABUF_BYTES;
        bufs[i].len = sizes[i];
        bufs[i].buf = st.wsa.bytes[i];
        memset(bufs[i].buf, 'a' + i, sizes[i]);
    }
    st.wsa.count = UNWRITTEN;
    if (to != NULL)
        rc = WSASendTo(s, n < 0 ? NULL : bufs, n < 0 ? 1 : (DWORD)n, &st.wsa.count, flags, to, tolen,
                       NULL, NULL);
    else
        rc = WSASend(s, n < 0 ? NULL : bufs, n < 0 ? 1 : (DWORD)n, &st.wsa.count, flags, NULL, NULL);
    print_result(to != NULL ? "WSASendTo" : "WSASend", rc);
}

/* WSARecv / WSARecvFrom into one WSABUF per size, each filled with '.' first. */
static void wsa_recv(SOCKET s, const char *sizes_word, int from, DWORD flags)
{
    WSABUF bufs[MAX_WSABUFS];
    int n = sizes_of(sizes_word, st.wsa.sizes), i, rc;
    st.wsa.nbufs = n < 0 ? 0 : n;
    for (i = 0; i < n; i++) {
        if (st.wsa.sizes[i] > WSABUF_BYTES)
            st.wsa.sizes[i] = WSABUF_BYTES;
        bufs[i].len = st.wsa.sizes[i];
        bufs[i].buf = st.wsa.bytes[i];
        memset(bufs[i].buf, '.', st.wsa.sizes[i]);
    }
    st.wsa.count = UNWRITTEN;
    st.wsa.flags = flags;
    if (from)
        rc = WSARecvFrom(s, n < 0 ? NULL : bufs, n < 0 ? 1 : (DWORD)n, &st.wsa.count, &st.wsa.flags,
                         NULL, NULL, NULL, NULL);
    else
        rc = WSARecv(s, n < 0 ? NULL : bufs, n < 0 ? 1 : (DWORD)n, &st.wsa.count, &st.wsa.flags,
                     NULL, NULL);
    print_result(from ? "WSARecvFrom" : "WSARecv", rc);
}

/* {"call": "WSABUF", "ret": the last receive's buffers as text, joined with '|'}. */
static void print_wsabufs(void)
{
    static char text[MAX_WSABUFS * (WSABUF_BYTES + 1) + 1];
    size_t at = 0;
    int i;
    for (i = 0; i < st.wsa.nbufs; i++) {
        if (i > 0)
            text[at++] = '|';
        memcpy(text + at, st.wsa.bytes[i], st.wsa.sizes[i]);
        at += st.wsa.sizes[i];
    }
    text[at] = '\0';
    print_label("WSABUF", text, 0);
}

static void wsa_ioctl(SOCKET s, char **w, int n)
{
    char out[16];
    int rc;
    st.wsa.count = UNWRITTEN;
    if (strcmp(w[2], "fionread") == 0) {
        st.wsa.out = UNWRITTEN;
        rc = WSAIoctl(s, FIONREAD, NULL, 0, &st.wsa.out, (DWORD)sizeof st.wsa.out, &st.wsa.count,
                      NULL, NULL);
    } else if (strcmp(w[2], "fionbio") == 0 && n > 3) {
        u_long mode = (u_long)number(w[3]);
        rc = WSAIoctl(s, FIONBIO, &mode, (DWORD)sizeof mode, NULL, 0, &st.wsa.count, NULL, NULL);
    } else if (strcmp(w[2], "keepalive") == 0 && n > 5) {
        struct tcp_keepalive ka;
        ka.onoff = (u_long)number(w[3]);
        ka.keepalivetime = (u_long)number(w[4]);
        ka.keepaliveinterval = (u_long)number(w[5]);
        rc = WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, (DWORD)sizeof ka, NULL, 0, &st.wsa.count, NULL, NULL);
    } else {
        rc = WSAIoctl(s, (DWORD)strtoul(w[2], NULL, 0), NULL, 0, out, (DWORD)sizeof out, &st.wsa.count,
                      NULL, NULL);
    }
    print_result("WSAIoctl", rc);
}

/* ---- one op -------------------------------------------------------------------------- */

static void driver_error(const char *what)
{
    printf("{\"call\": \"driver_error\", \"ret\": \"%s\", \"err\": 0}\n", what);
    fflush(stdout);
}

static void run_op(char **w, int n)
{
    const char *op = w[0];
    struct var *v = n > 1 ? find_var(w[1]) : NULL;
    SOCKET s = v != NULL ? v->s : INVALID_SOCKET;
    /* Words each op needs, and whether w[1] must be a known socket variable.
       tests/parity/scenarios.py checks the file; this only keeps a hand-edited
       one from crashing the driver. */
    static const struct { const char *op; int words; int var; } shapes[] = {
        {"startup", 2, 0}, {"wsadata", 2, 0}, {"setlasterror", 2, 0}, {"socket", 5, 0},
        {"accept", 3, 0}, {"bind", 3, 1}, {"listen", 3, 1}, {"connect", 3, 1}, {"send", 3, 1},
        {"recv", 3, 1}, {"sendto", 4, 1}, {"recvfrom", 3, 1}, {"shutdown", 3, 1}, {"close", 2, 1},
        {"close_value", 2, 0}, {"linger", 4, 1}, {"rcvtimeo", 3, 1}, {"fionbio", 3, 1},
        {"soerror", 2, 1}, {"getaddrinfo", 3, 0}, {"sleep", 2, 0}, {"thread_recv", 3, 1},
        {"thread_close", 3, 1}, {"select", 5, 0}, {"fdset", 2, 0}, {"wsapoll", 2, 0},
        {"revents", 2, 0}, {"wsasocket", 5, 0}, {"wsasend", 3, 1}, {"wsasendto", 4, 1},
        {"wsarecv", 3, 1}, {"wsarecvfrom", 3, 1}, {"wsasenddisconnect", 2, 1},
        {"wsarecvdisconnect", 2, 1}, {"wsaioctl", 3, 1}, {NULL, 0, 0}};
    int i;

    for (i = 0; shapes[i].op != NULL; i++)
        if (strcmp(op, shapes[i].op) == 0
            && (n < shapes[i].words || (shapes[i].var && v == NULL))) {
            driver_error("unknown socket variable or missing argument");
            return;
        }
    if (strcmp(op, "accept") == 0 && find_var(w[2]) == NULL) {
        driver_error("unknown socket variable");
        return;
    }

    if (strcmp(op, "startup") == 0) {
        unsigned major = 0, minor = 0;
        WORD version;
        if (strchr(w[1], '.') != NULL) {
            sscanf(w[1], "%u.%u", &major, &minor);
            version = MAKEWORD(major, minor);
        } else {
            version = (WORD)strtoul(w[1], NULL, 16);
        }
        memset(&st.data, 0, sizeof st.data);
        if (n > 2 && strcmp(w[2], "null") == 0) {
            int rc = WSAStartup(version, NULL);
            print_line("WSAStartup", rc, rc);
        } else {
            int rc = WSAStartup(version, &st.data);
            print_line("WSAStartup", rc, rc);
        }
    } else if (strcmp(op, "wsadata") == 0) {
        long value = 0;
        if (strcmp(w[1], "wVersion") == 0)
            value = st.data.wVersion;
        else if (strcmp(w[1], "wHighVersion") == 0)
            value = st.data.wHighVersion;
        else if (strcmp(w[1], "iMaxSockets") == 0)
            value = st.data.iMaxSockets;
        else if (strcmp(w[1], "iMaxUdpDg") == 0)
            value = st.data.iMaxUdpDg;
        print_line(w[1], value, 0);
    } else if (strcmp(op, "cleanup") == 0) {
        print_result("WSACleanup", WSACleanup());
    } else if (strcmp(op, "lasterror") == 0) {
        print_line("WSAGetLastError", WSAGetLastError(), 0);
    } else if (strcmp(op, "setlasterror") == 0) {
        WSASetLastError((int)number(w[1]));
        print_line("WSASetLastError", 0, 0);
    } else if (strcmp(op, "socket") == 0) {
        int family = (int)lookup(families, w[2]);
        SOCKET r = socket(family, (int)lookup(types, w[3]), (int)lookup(protocols, w[4]));
        print_socket("socket", r);
        if (set_var(w[1], r, family) == NULL)
            driver_error("too many variables");
    } else if (strcmp(op, "accept") == 0) {
        struct var *from = find_var(w[2]);
        SOCKET r = accept(from->s, NULL, NULL);
        int family = from->family;
        print_socket("accept", r);
        if (set_var(w[1], r, family) == NULL)
            driver_error("too many variables");
    } else if (strcmp(op, "bind") == 0) {
        struct sockaddr_storage ss;
        int family = strcmp(w[2], "loopback6") == 0 ? AF_INET6 : AF_INET;
        int len = loopback(family, &ss);
        int rc = bind(s, (struct sockaddr *)&ss, len);
        print_result("bind", rc);
        if (rc == 0) {
            v->addrlen = (int)sizeof v->addr;
            v->has_addr = getsockname(s, (struct sockaddr *)&v->addr, &v->addrlen) == 0;
        }
    } else if (strcmp(op, "listen") == 0) {
        print_result("listen", listen(s, (int)number(w[2])));
    } else if (strcmp(op, "connect") == 0) {
        struct sockaddr_storage ss;
        int len;
        if (target(w[2], &ss, &len) != 0)
            driver_error("no address for the target");
        else
            print_result("connect", connect(s, (struct sockaddr *)&ss, len));
    } else if (strcmp(op, "send") == 0 || strcmp(op, "recv") == 0) {
        int len = (int)number(w[2]);
        char *buf = (char *)malloc((size_t)len + 1);
        memset(buf, 'x', (size_t)len + 1);
        if (op[0] == 's')
            print_result("send", send(s, buf, len, 0));
        else
            print_result("recv", recv(s, buf, len, 0));
        free(buf);
    } else if (strcmp(op, "sendto") == 0) {
        struct sockaddr_storage ss;
        int len, size = (int)number(w[3]);
        char *buf = (char *)malloc((size_t)size + 1);
        memset(buf, 'x', (size_t)size + 1);
        if (target(w[2], &ss, &len) != 0)
            driver_error("no address for the target");
        else
            print_result("sendto", sendto(s, buf, size, 0, (struct sockaddr *)&ss, len));
        free(buf);
    } else if (strcmp(op, "recvfrom") == 0) {
        int len = (int)number(w[2]);
        char *buf = (char *)malloc((size_t)len + 1);
        print_result("recvfrom", recvfrom(s, buf, len, 0, NULL, NULL));
        free(buf);
    } else if (strcmp(op, "shutdown") == 0) {
        print_result("shutdown", shutdown(s, (int)lookup(hows, w[2])));
    } else if (strcmp(op, "close") == 0) {
        print_result("closesocket", closesocket(s));
    } else if (strcmp(op, "close_value") == 0) {
        SOCKET value = strcmp(w[1], "invalid") == 0 ? INVALID_SOCKET
                                                    : (SOCKET)strtoull(w[1], NULL, 0);
        print_result("closesocket", closesocket(value));
    } else if (strcmp(op, "linger") == 0) {
        struct linger lg;
        lg.l_onoff = (u_short)number(w[2]);
        lg.l_linger = (u_short)number(w[3]);
        print_result("setsockopt", setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg,
                                              (int)sizeof lg));
    } else if (strcmp(op, "rcvtimeo") == 0) {
        DWORD ms = (DWORD)number(w[2]);
        print_result("setsockopt", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms,
                                              (int)sizeof ms));
    } else if (strcmp(op, "fionbio") == 0) {
        u_long mode = (u_long)number(w[2]);
        print_result("ioctlsocket", ioctlsocket(s, FIONBIO, &mode));
    } else if (strcmp(op, "soerror") == 0) {
        long long deadline = now_ms() + (n > 2 ? number(w[2]) : 0);
        int value, len, rc;
        for (;;) {
            value = 0;
            len = (int)sizeof value;
            rc = getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&value, &len);
            if (rc != 0 || value != 0 || now_ms() >= deadline)
                break;
            sleep_ms(10);
        }
        if (rc == 0)
            print_line("getsockopt(SO_ERROR)", value, 0);
        else
            print_line("getsockopt(SO_ERROR)", -1, WSAGetLastError());
    } else if (strcmp(op, "getaddrinfo") == 0) {
        struct addrinfo hints, *res = NULL;
        int rc;
        memset(&hints, 0, sizeof hints);
        if (n == 6) {
            hints.ai_family = (int)lookup(families, w[3]);
            hints.ai_socktype = (int)lookup(types, w[4]);
            hints.ai_flags = flags_of(w[5], ai_flags);
        }
        rc = getaddrinfo(text_of(w[1]), text_of(w[2]), n == 6 ? &hints : NULL, &res);
        print_line("getaddrinfo", rc, rc);
        if (rc == 0 && res != NULL)
            freeaddrinfo(res);
    } else if (strcmp(op, "sleep") == 0) {
        sleep_ms((int)number(w[1]));
        print_line("sleep", 0, 0);
    } else if (strcmp(op, "select") == 0) {
        struct timeval tv;
        fd_set *r = set_of(w[2], &st.sets[0]), *wr = set_of(w[3], &st.sets[1]);
        fd_set *e = set_of(w[4], &st.sets[2]);
        long ms = strcmp(w[1], "null") == 0 ? -1 : number(w[1]);
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        print_result("select", select(0, r, wr, e, ms < 0 ? NULL : &tv));
    } else if (strcmp(op, "fdset") == 0) {
        print_set(w[1]);
    } else if (strcmp(op, "wsapoll") == 0) {
        st.npollfds = 0;
        for (i = 2; i + 1 < n && st.npollfds < MAX_POLL; i += 2, st.npollfds++) {
            st.pollfds[st.npollfds].fd = handle_word(w[i]);
            st.pollfds[st.npollfds].events = (short)flags_of(w[i + 1], poll_flags);
            st.pollfds[st.npollfds].revents = 0x7777;
        }
        print_result("WSAPoll", WSAPoll(st.pollfds, (unsigned long)st.npollfds, (int)number(w[1])));
    } else if (strcmp(op, "revents") == 0) {
        int k = (int)number(w[1]) - 1;
        if (k < 0 || k >= st.npollfds)
            driver_error("no such WSAPoll entry");
        else
            print_line("revents", (unsigned short)st.pollfds[k].revents, 0);
    } else if (strcmp(op, "thread_recv") == 0 || strcmp(op, "thread_close") == 0) {
        st.job.s = s;
        st.job.close = op[7] == 'c';
        st.job.len = (int)number(w[2]);
        st.start.fn = recv_job_run;
        st.start.arg = &st.job;
        if (thread_create(&st.thread, &st.start) != 0) {
            driver_error("cannot start a thread");
            return;
        }
        st.thread_running = 1;
        print_line(op, 0, 0);
    } else if (resolver_op(op, w, n)) {
        /* printed its line */
    } else if (strcmp(op, "wsasocket") == 0) {
        int family = (int)lookup(families, w[2]);
        SOCKET r = WSASocketA(family, (int)lookup(types, w[3]), (int)lookup(protocols, w[4]), NULL, 0,
                              n > 5 ? (DWORD)flags_of(w[5], wsa_flags) : 0);
        print_socket("WSASocketA", r);
        if (set_var(w[1], r, family) == NULL)
            driver_error("too many variables");
    } else if (strcmp(op, "wsasend") == 0) {
        wsa_send(s, w[2], NULL, 0, n > 3 ? (DWORD)flags_of(w[3], msg_flags) : 0);
    } else if (strcmp(op, "wsasendto") == 0) {
        struct sockaddr_storage ss;
        int len;
        if (target(w[2], &ss, &len) != 0)
            driver_error("no address for the target");
        else
            wsa_send(s, w[3], (struct sockaddr *)&ss, len, 0);
    } else if (strcmp(op, "wsarecv") == 0 || strcmp(op, "wsarecvfrom") == 0) {
        wsa_recv(s, w[2], op[7] == 'f', n > 3 ? (DWORD)flags_of(w[3], msg_flags) : 0);
    } else if (strcmp(op, "wsacount") == 0) {
        print_line("count", (long)st.wsa.count, 0);
    } else if (strcmp(op, "wsaflags") == 0) {
        print_line("lpFlags", (long)st.wsa.flags, 0);
    } else if (strcmp(op, "wsabufs") == 0) {
        print_wsabufs();
    } else if (strcmp(op, "wsasenddisconnect") == 0) {
        WSABUF data;
        data.len = 3;
        data.buf = (char *)"abc";
        print_result("WSASendDisconnect", WSASendDisconnect(s, n > 2 ? &data : NULL));
    } else if (strcmp(op, "wsarecvdisconnect") == 0) {
        char bytes[16];
        WSABUF data;
        data.len = sizeof bytes;
        data.buf = bytes;
        print_result("WSARecvDisconnect", WSARecvDisconnect(s, n > 2 ? &data : NULL));
    } else if (strcmp(op, "wsaioctl") == 0) {
        wsa_ioctl(s, w, n);
    } else if (strcmp(op, "wsaout") == 0) {
        print_line("lpvOutBuffer", (long)st.wsa.out, 0);
    } else if (strcmp(op, "join") == 0) {
        if (!st.thread_running) {
            driver_error("no thread");
            return;
        }
        thread_join(st.thread);
        st.thread_running = 0;
        print_line(st.job.close ? "closesocket" : "recv", st.job.ret, st.job.err);
    } else {
        driver_error("unknown op");
    }
}

/* Untraced, after each scenario: the thread joined, Winsock fully cleaned up. */
static void reset(void)
{
    int i;
    if (st.thread_running) {
        thread_join(st.thread);
        st.thread_running = 0;
    }
    for (i = 0; i < 100 && WSACleanup() == 0; i++)
        ;
    memset(&st, 0, sizeof st);
}

/* ---- the file ----------------------------------------------------------------------------- */

static char *lines[MAX_LINES];
static int line_count;

static int read_lines(FILE *f)
{
    char buf[1024];
    while (fgets(buf, sizeof buf, f) != NULL) {
        if (line_count == MAX_LINES)
            return -1;
        lines[line_count] = (char *)malloc(strlen(buf) + 1);
        strcpy(lines[line_count++], buf);
    }
    return 0;
}

/* Splits a line into words, dropping the comment; returns the word count. */
static int split(char *line, char **w)
{
    int n = 0;
    char *p = strchr(line, '#');
    if (p != NULL)
        *p = '\0';
    p = line;
    for (;;) {
        while (*p != '\0' && isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || n == MAX_WORDS)
            break;
        w[n++] = p;
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    return n;
}

static int wanted(const char *name, int argc, char **argv)
{
    int i;
    if (argc <= 2)
        return 1;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    FILE *f = stdin;
    int i, running = 0;
    thread_t dog;
    static struct thread_start dog_start = {watchdog, NULL};

    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        f = fopen(argv[1], "r");
        if (f == NULL) {
            fprintf(stderr, "driver: cannot open %s\n", argv[1]);
            return 2;
        }
    }
    if (read_lines(f) != 0) {
        fprintf(stderr, "driver: too many lines\n");
        return 2;
    }
    if (thread_create(&dog, &dog_start) != 0) {
        fprintf(stderr, "driver: cannot start the watchdog\n");
        return 2;
    }

    for (i = 0; i < line_count; i++) {
        char *w[MAX_WORDS];
        int n = split(lines[i], w);
        if (n == 0)
            continue;
        if (strcmp(w[0], "scenario") == 0) {
            if (running)
                reset();
            running = n > 1 && wanted(w[1], argc, argv);
            scenario_started = 0;
            if (running) {
                snprintf(scenario_name, sizeof scenario_name, "%s", w[1]);
                printf("== %s\n", w[1]);
                fflush(stdout);
                scenario_started = now_ms();
            }
            continue;
        }
        if (running) {
            scenario_line = i + 1;
            run_op(w, n);
        }
    }
    if (running)
        reset();
    scenario_started = 0;
    return 0;
}
