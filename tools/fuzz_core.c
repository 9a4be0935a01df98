/*
 * fuzz_core.c - a libFuzzer target over the POSIX core's argument handling.
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Icsrc -o fuzz_core tools/fuzz_core.c csrc/posix.c csrc/errmap.c csrc/addr.c -lpthread
 *   ./fuzz_core -max_total_time=60 CORPUS_DIR
 *
 * Each input is a little program: a sequence of calls (ps_setsockopt,
 * ps_getsockopt, ps_ioctlsocket, ps_sockaddr_decode/encode, ps_shutdown,
 * ps_send/ps_recv, ps_sendto, ps_bind/ps_connect, ps_getaddrinfo_hints,
 * ps_inet_pton/ntop, ps_closesocket, ps_sendall/ps_drain, the error tables)
 * with fuzzed levels, option names, commands, flags, lengths, handles and
 * bytes, on real sockets made fresh for the input: a connected loopback TCP
 * pair, a listener and a UDP socket. The harness keeps the C API's contract
 * (a length never exceeds the buffer it describes) and keeps the calls from
 * blocking or leaving the machine: the sockets are non-blocking, addresses are
 * forced to 127.0.0.1 / ::1, and getaddrinfo is numeric-only (no DNS).
 *
 * Besides the sanitizers' own checks, every failing call must leave a
 * Winsock code that the core knows (an errno never escapes), every success
 * must keep its promises (recv no longer than asked, getsockopt's length
 * within the buffer), and the process's descriptor count must not grow.
 */
#include "platform.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSOCK 4

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t u8(struct input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

static uint32_t u32(struct input *in)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4; i++)
        v = (v << 8) | u8(in);
    return v;
}

/* A length: mostly small, sometimes negative or huge. */
static int length(struct input *in)
{
    switch (u8(in) % 8) {
    case 0: return -(int)(u8(in) + 1);
    case 1: return (int)u32(in);
    case 2: return 0;
    default: return u8(in);
    }
}

/* Up to n bytes of the input, as a pointer into it (never past its end). */
static const uint8_t *bytes(struct input *in, int want, int *got)
{
    const uint8_t *p = in->p;
    size_t n = want < 0 ? 0 : (size_t)want;
    if (n > in->left)
        n = in->left;
    in->p += n;
    in->left -= n;
    *got = (int)n;
    return p;
}

static int pick_level(struct input *in)
{
    static const int levels[] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP};
    uint8_t b = u8(in);
    return b < 200 ? levels[b % 5] : (int)u32(in);
}

static int pick_optname(struct input *in)
{
    uint8_t b = u8(in);
    return b < 200 ? (int)(b % 64) : (int)u32(in);
}

/* A broken promise: say which, and crash so that libFuzzer keeps the input. */
#define VIOLATION(...)                       \
    do {                                     \
        fprintf(stderr, "violation: ");      \
        fprintf(stderr, __VA_ARGS__);        \
        fputc('\n', stderr);                 \
        __builtin_trap();                    \
    } while (0)

static void check_code(const char *call)
{
    int code = ps_last_error();
    if (ps_wsa_name(code) == NULL) {
        VIOLATION("%s left an unknown error code %d", call, code);
    }
}

/* Forces an address (if it is one) onto loopback: the fuzzer must not send
   anything off this machine. */
static void loopback_only(uint8_t *buf, int len)
{
    if (len >= (int)sizeof(struct sockaddr_in) && ((struct sockaddr *)buf)->sa_family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, buf, sizeof sin);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        memcpy(buf, &sin, sizeof sin);
    } else if (len >= (int)sizeof(struct sockaddr_in6) && ((struct sockaddr *)buf)->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, buf, sizeof sin6);
        memset(&sin6.sin6_addr, 0, sizeof sin6.sin6_addr);
        sin6.sin6_addr.s6_addr[15] = 1;
        sin6.sin6_scope_id = 0;
        memcpy(buf, &sin6, sizeof sin6);
    } else if (len >= 2) {
        /* Any other family: the kernel refuses it before sending anything. */
    }
}

static void make_sockets(ps_socket *s)
{
    struct sockaddr_in addr;
    int len = sizeof addr;
    unsigned long on = 1;
    int i;
    s[0] = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);   /* listener */
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ps_bind(s[0], &addr, sizeof addr);
    ps_listen(s[0], 4);
    ps_getsockname(s[0], &addr, &len);
    s[1] = ps_socket_open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ps_connect(s[1], &addr, sizeof addr);
    s[2] = ps_accept(s[0], NULL, NULL);
    s[3] = ps_socket_open(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    for (i = 0; i < NSOCK; i++)
        ps_ioctlsocket(s[i], FIONBIO, &on);
}

static void close_sockets(ps_socket *s)
{
    int i;
    for (i = 0; i < NSOCK; i++) {
        /* SO_LINGER {1, n} would make this close wait n seconds. */
        unsigned short off[2] = {0, 0};
        ps_setsockopt(s[i], SOL_SOCKET, SO_LINGER, off, sizeof off);
        ps_closesocket(s[i]);
    }
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ps_wsadata data;
    (void)argc;
    (void)argv;
    return ps_startup(0x0202, &data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    ps_socket s[NSOCK];
    static uint8_t buf[70000];
    int steps = 0;

    make_sockets(s);
    while (in.left > 0 && steps++ < 64) {
        uint8_t op = u8(&in);
        ps_socket h = s[u8(&in) % NSOCK];
        int r, n, got;
        if (u8(&in) == 0xff)
            h = ((ps_socket)u32(&in) << 32) | u32(&in);   /* a forged handle */
        switch (op % 18) {
        case 0: {   /* setsockopt */
            int level = pick_level(&in), name = pick_optname(&in);
            const uint8_t *val = bytes(&in, u8(&in) % 64, &got);
            int len = length(&in);
            if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
                break;   /* irrelevant on non-blocking sockets; keeps the run quick */
            if (len > got)
                len = got;   /* the contract: optlen within optval */
            r = ps_setsockopt(h, level, name, u8(&in) == 0 ? NULL : val, len);
            if (r != 0)
                check_code("setsockopt");
            break;
        }
        case 1: {   /* getsockopt */
            int level = pick_level(&in), name = pick_optname(&in);
            int len = length(&in), before;
            if (len > 256)
                len = 256;
            before = len;
            r = ps_getsockopt(h, level, name, u8(&in) == 0 ? NULL : buf, u8(&in) == 0 ? NULL : &len);
            if (r != 0)
                check_code("getsockopt");
            else if (len < 0 || len > before)
                VIOLATION("getsockopt(%d, %d) made optlen %d from %d", level, name, len, before);
            break;
        }
        case 2: {   /* ioctlsocket */
            long cmd;
            unsigned long arg = u32(&in);
            uint8_t b = u8(&in);
            cmd = b < 100 ? (long)FIONBIO : b < 170 ? (long)FIONREAD : b < 200 ? (long)SIOCATMARK
                          : (long)(int32_t)u32(&in);
            if (cmd == (long)FIONBIO)
                arg = 1;   /* stay non-blocking */
            r = ps_ioctlsocket(h, cmd, u8(&in) == 0 ? NULL : &arg);
            if (r != 0)
                check_code("ioctlsocket");
            break;
        }
        case 3: {   /* sockaddr decode */
            ps_sockaddr_view view;
            const uint8_t *raw = bytes(&in, u8(&in) % 40, &got);
            int len = length(&in);
            if (len > got)
                len = got;
            if (ps_sockaddr_decode(raw, len, &view) != 0)
                check_code("sockaddr_decode");
            else if (view.family != AF_INET && view.family != AF_INET6)
                VIOLATION("sockaddr_decode accepted family %d", view.family);
            break;
        }
        case 4: {   /* sockaddr encode */
            ps_sockaddr_view view;
            const uint8_t *raw = bytes(&in, (int)sizeof view, &got);
            int len = length(&in);
            memset(&view, 0, sizeof view);
            memcpy(&view, raw, (size_t)got);
            if (len > 128)
                len = 128;
            r = ps_sockaddr_encode(&view, buf, len);
            if (r < 0)
                check_code("sockaddr_encode");
            else if (r > len)
                VIOLATION("sockaddr_encode wrote %d into %d", r, len);
            break;
        }
        case 5:     /* shutdown */
            r = ps_shutdown(h, u8(&in) < 200 ? u8(&in) % 4 : (int)u32(&in));
            if (r != 0)
                check_code("shutdown");
            break;
        case 6: {   /* send */
            const uint8_t *p = bytes(&in, length(&in), &got);
            int flags = u8(&in) < 200 ? 0 : (int)u32(&in);
            r = ps_send(h, u8(&in) == 0 ? NULL : p, got, flags);
            if (r < 0)
                check_code("send");
            else if (r > got)
                VIOLATION("send of %d returned %d", got, r);
            break;
        }
        case 7: {   /* recv */
            int len = length(&in), flags = u8(&in) < 200 ? 0 : (int)u32(&in);
            if (len > (int)sizeof buf)
                len = (int)sizeof buf;
            r = ps_recv(h, u8(&in) == 0 ? NULL : buf, len, flags);
            if (r < 0)
                check_code("recv");
            else if (r > len)
                VIOLATION("recv of %d returned %d", len, r);
            break;
        }
        case 8: {   /* sendto, to a loopback address */
            uint8_t to[128];
            const uint8_t *raw = bytes(&in, u8(&in) % 40, &got);
            const uint8_t *p;
            int tolen = length(&in), plen;
            memset(to, 0, sizeof to);
            memcpy(to, raw, (size_t)got);
            if (tolen > (int)sizeof to)
                tolen = (int)sizeof to;
            loopback_only(to, (int)sizeof to);
            p = bytes(&in, u8(&in), &plen);
            r = ps_sendto(h, p, plen, 0, u8(&in) == 0 ? NULL : to, tolen);
            if (r < 0)
                check_code("sendto");
            break;
        }
        case 9: {   /* bind or connect, to a loopback address */
            uint8_t name[128];
            const uint8_t *raw = bytes(&in, u8(&in) % 40, &got);
            int len = length(&in);
            memset(name, 0, sizeof name);
            memcpy(name, raw, (size_t)got);
            if (len > (int)sizeof name)
                len = (int)sizeof name;
            loopback_only(name, (int)sizeof name);
            r = u8(&in) & 1 ? ps_bind(h, name, len) : ps_connect(h, name, len);
            if (r != 0)
                check_code("bind/connect");
            break;
        }
        case 10: {  /* getaddrinfo: numeric only, never DNS */
            char node[64], service[64];
            struct addrinfo *res = NULL;
            const uint8_t *a = bytes(&in, u8(&in) % 63, &got);
            memcpy(node, a, (size_t)got);
            node[got] = '\0';
            a = bytes(&in, u8(&in) % 63, &n);
            memcpy(service, a, (size_t)n);
            service[n] = '\0';
            r = ps_getaddrinfo_hints(u8(&in) & 1 ? node : NULL, u8(&in) & 1 ? service : NULL, 1,
                                     (int)(u32(&in) & ~(uint32_t)0) | AI_NUMERICHOST | AI_NUMERICSERV,
                                     (int)(int8_t)u8(&in), (int)(int8_t)u8(&in), (int)(int8_t)u8(&in), &res);
            if (r == 0) {
                ps_addrinfo_view v;
                const struct addrinfo *ai = res;
                while (ai != NULL) {
                    ps_addrinfo_read(ai, &v);
                    ai = v.ai_next;
                }
                ps_freeaddrinfo(res);
            } else if (ps_wsa_name(r) == NULL)
                VIOLATION("getaddrinfo returned an unknown code %d", r);
            break;
        }
        case 11: {  /* inet_pton */
            char text[80];
            const uint8_t *a = bytes(&in, u8(&in) % 79, &got);
            memcpy(text, a, (size_t)got);
            text[got] = '\0';
            r = ps_inet_pton(u8(&in) < 200 ? (u8(&in) & 1 ? AF_INET : AF_INET6) : (int)u32(&in), text, buf);
            if (r < 0)
                check_code("inet_pton");
            break;
        }
        case 12: {  /* inet_ntop */
            uint8_t src[16];
            char dst[64];
            const uint8_t *a = bytes(&in, 16, &got);
            size_t size = u8(&in) % 65;
            memset(src, 0, sizeof src);
            memcpy(src, a, (size_t)got);
            if (ps_inet_ntop(u8(&in) < 200 ? (u8(&in) & 1 ? AF_INET : AF_INET6) : (int)u32(&in), src, dst,
                             size) == NULL)
                check_code("inet_ntop");
            else if (strlen(dst) >= size)
                VIOLATION("inet_ntop wrote %zu characters into %zu", strlen(dst), size);
            break;
        }
        case 13:    /* closesocket */
            if (ps_closesocket(h) != 0)
                check_code("closesocket");
            break;
        case 14: {  /* sendall with no time to wait */
            size_t sent = 0;
            const uint8_t *p = bytes(&in, u8(&in) * 4, &got);
            r = ps_sendall(h, p, (size_t)got, 0, 0, &sent);
            if (r != 0)
                check_code("sendall");
            if (sent > (size_t)got)
                VIOLATION("sendall of %d sent %zu", got, sent);
            break;
        }
        case 15: {  /* drain with no time to wait */
            size_t received = 0, cap = u8(&in) * 64u;
            int discard = u8(&in) == 0;
            r = ps_drain(h, discard ? NULL : buf, discard ? 0 : cap, &received, 0);
            if (r < 0)
                check_code("drain");
            /* Discarding (NULL, 0) counts what it threw away. */
            if (!discard && received > cap)
                VIOLATION("drain into %zu received %zu", cap, received);
            break;
        }
        case 16: {  /* the error tables */
            int code = (int)u32(&in);
            const char *name = ps_wsa_name(code), *message = ps_wsa_message(code);
            if ((name == NULL) != (message == NULL))
                VIOLATION("code %d has a name or a message but not both", code);
            (void)ps_errno_from_wsa(code);
            break;
        }
        default: {  /* getsockname / getpeername with fuzzed lengths */
            int len = length(&in);
            if (len > 128)
                len = 128;
            r = u8(&in) & 1 ? ps_getsockname(h, u8(&in) == 0 ? NULL : buf, &len)
                            : ps_getpeername(h, buf, u8(&in) == 0 ? NULL : &len);
            if (r != 0)
                check_code("getsockname/getpeername");
            break;
        }
        }
    }
    close_sockets(s);
    {
        /* Every input closes what it made: the descriptor count stays put. */
        static long runs;
        static int baseline = -1;
        if (runs++ % 4096 == 0) {
            int now = open_fds();
            if (baseline < 0)
                baseline = now;
            else if (now > baseline + 8)
                VIOLATION("descriptors leak: %d open, %d after the first input", now, baseline);
        }
    }
    return 0;
}
