/*
 * posix_resolver.c - Winsock's old resolver and address calls on POSIX:
 * gethostbyname, gethostbyaddr, gethostname, inet_ntoa, getservbyname,
 * getservbyport and getnameinfo.
 *
 * Thread safety: the lookups go through getaddrinfo, getnameinfo and the
 * reentrant service calls, never glibc's gethostbyname or getservbyname,
 * whose results live in one static buffer for the whole process (and which
 * report through h_errno).
 *
 * Results, as Winsock keeps them: each thread has one HOSTENT (shared by
 * gethostbyname and gethostbyaddr), one SERVENT (getservbyname and
 * getservbyport) and one inet_ntoa buffer. A call overwrites its own thread's
 * result and nothing else, so a pointer stays valid until that thread's next
 * call of the same family, whatever other threads do. The storage is
 * _Thread_local and of fixed size: no call allocates, the memory does not grow
 * with the number of calls, and the C runtime frees it when the thread ends
 * (no key destructor to get wrong). A thread that never calls these functions
 * costs nothing: the runtime sets a thread's block up on its first use.
 *
 * What the results hold: getaddrinfo and getnameinfo report no aliases, so
 * h_aliases is always empty here (Windows lists a name's DNS aliases); at
 * most HOST_ADDRS_MAX addresses are kept, in getaddrinfo's order, each once.
 */
#include "posix_internal.h"

#include <stdio.h>
#include <string.h>

#define HOST_ADDRS_MAX 32
#define SERV_ALIASES_MAX 16
#define SERV_TEXT 1024
#define HOSTNAME_MAX 256

struct host_result {
    ps_hostent hostent;
    char *aliases[1];
    char *addr_list[HOST_ADDRS_MAX + 1];
    uint32_t addrs[HOST_ADDRS_MAX][4];   /* uint32_t: aligned for an in_addr cast */
    char name[PS_NI_MAXHOST];
};

struct serv_result {
    ps_servent servent;
    char *aliases[SERV_ALIASES_MAX + 1];
    char text[SERV_TEXT];   /* s_name, s_proto and the aliases, NUL-terminated */
};

static _Thread_local struct host_result host_result;
static _Thread_local struct serv_result serv_result;
static _Thread_local char ntoa_text[16];

static void *fail_null(int code)
{
    ps_thread_last_error = code;
    return NULL;
}

static int fail_int(int code)
{
    ps_thread_last_error = code;
    return PS_SOCKET_ERROR;
}

/* Copies text into dst (size bytes), cut short if it must be. */
static void copy_text(char *dst, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n >= size)
        n = size - 1;
    memcpy(dst, text, n);
    dst[n] = '\0';
}

/* This thread's HOSTENT, reset to hold name and no address. */
static struct host_result *host_start(const char *name, int type, int length)
{
    struct host_result *r = &host_result;
    copy_text(r->name, sizeof r->name, name);
    r->aliases[0] = NULL;
    r->addr_list[0] = NULL;
    r->hostent.h_name = r->name;
    r->hostent.h_aliases = r->aliases;
    r->hostent.h_addrtype = (short)type;
    r->hostent.h_length = (short)length;
    r->hostent.h_addr_list = r->addr_list;
    return r;
}

/* Appends an address unless it is there already; 0 when full. */
static int host_add(struct host_result *r, const void *addr)
{
    size_t len = (size_t)r->hostent.h_length;
    int i;
    for (i = 0; r->addr_list[i] != NULL; i++)
        if (memcmp(r->addr_list[i], addr, len) == 0)
            return 1;
    if (i == HOST_ADDRS_MAX)
        return 0;
    memcpy(r->addrs[i], addr, len);
    r->addr_list[i] = (char *)r->addrs[i];
    r->addr_list[i + 1] = NULL;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Hosts                                                                     */

static ps_hostent *ws_gethostbyname(const char *name)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct host_result *r;
    int code;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;   /* gethostbyname knows IPv4 only */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    /* NULL means this host, as "" does. getaddrinfo's rules apply as they
       are: not started, a name under .invalid, "" for the local host. */
    code = ps_ws_getaddrinfo(name != NULL ? name : "", NULL, &hints, &res);
    if (code != 0)
        return fail_null(code);
    r = host_start(res->ai_canonname != NULL ? res->ai_canonname : (name != NULL ? name : ""),
                   AF_INET, 4);
    for (ai = res; ai != NULL; ai = ai->ai_next)
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)
            && !host_add(r, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr))
            break;
    ps_freeaddrinfo(res);
    if (r->addr_list[0] == NULL)
        return fail_null(PS_WSANO_DATA);
    ps_thread_last_error = 0;
    return &r->hostent;
}

/* The Winsock code for getnameinfo's EAI_* failure. */
static int nameinfo_code(int eai)
{
    return ps_wsa_from_eai(eai, errno);
}

static ps_hostent *ws_gethostbyaddr(const void *addr, int len, int type)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    char host[PS_NI_MAXHOST];
    int size, eai;
    if (!ps_started())
        return fail_null(PS_WSANOTINITIALISED);
    if (type == AF_INET)
        size = 4;
    else if (type == AF_INET6)
        size = 16;
    else
        return fail_null(PS_WSAEAFNOSUPPORT);
    /* MS docs: WSAEFAULT for an address outside the caller's memory or a
       length too small for the type. */
    if (addr == NULL || len < size)
        return fail_null(PS_WSAEFAULT);
    memset(&ss, 0, sizeof ss);
    if (type == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr, 4);
        sslen = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr, 16);
        sslen = sizeof *sin6;
    }
#ifdef PS_HAVE_SIN_LEN
    ((struct sockaddr *)&ss)->sa_len = (uint8_t)sslen;
#endif
    eai = getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, NULL, 0, NI_NAMEREQD);
    if (eai != 0)
        return fail_null(nameinfo_code(eai));
    host_add(host_start(host, type, size), addr);
    ps_thread_last_error = 0;
    return &host_result.hostent;
}

static int ws_gethostname(char *name, int namelen)
{
    char host[HOSTNAME_MAX + 1];
    size_t n;
    if (!ps_started())
        return fail_int(PS_WSANOTINITIALISED);
    if (name == NULL || namelen <= 0)
        return fail_int(PS_WSAEFAULT);
    if (gethostname(host, HOSTNAME_MAX) != 0)
        return fail_int(ps_wsa_from_errno(errno));
    host[HOSTNAME_MAX] = '\0';
    n = strlen(host);
    /* The name and its NUL must fit; otherwise the buffer is left as it was
       (Wine's protocol.c test_gethostname checks both on Windows). */
    if (n >= (size_t)namelen)
        return fail_int(PS_WSAEFAULT);
    memcpy(name, host, n + 1);
    return 0;
}

static const char *ws_inet_ntoa(uint32_t in)
{
    unsigned char b[4];
    memcpy(b, &in, 4);
    snprintf(ntoa_text, sizeof ntoa_text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return ntoa_text;
}

/* ------------------------------------------------------------------------ */
/* Services                                                                  */

/* Puts a service into this thread's SERVENT: as many aliases as fit. */
static ps_servent *serv_keep(const char *name, char **aliases, const char *proto, int port)
{
    struct serv_result *r = &serv_result;
    size_t used = 0, n;
    int i, kept = 0;
    copy_text(r->text, SERV_TEXT / 2, name);
    r->servent.s_name = r->text;
    used = strlen(r->text) + 1;
    copy_text(r->text + used, 64, proto != NULL ? proto : "");
    r->servent.s_proto = r->text + used;
    used += strlen(r->text + used) + 1;
    for (i = 0; aliases != NULL && aliases[i] != NULL && kept < SERV_ALIASES_MAX; i++) {
        n = strlen(aliases[i]) + 1;
        if (used + n > SERV_TEXT)
            break;
        memcpy(r->text + used, aliases[i], n);
        r->aliases[kept++] = r->text + used;
        used += n;
    }
    r->aliases[kept] = NULL;
    r->servent.s_aliases = r->aliases;
    r->servent.s_port = (short)port;
    ps_thread_last_error = 0;
    return &r->servent;
}

/* One lookup, by name (name != NULL) or by port, in the services database:
   1 found (*found filled, its text in buf), 0 not. */
static int serv_lookup(const char *name, int port, const char *proto, struct servent *se,
                       char *buf, size_t buflen)
{
#ifdef PS_HAVE_GETSERV_R
    struct servent *found = NULL;
    int rc = name != NULL ? getservbyname_r(name, proto, se, buf, buflen, &found)
                          : getservbyport_r(port, proto, se, buf, buflen, &found);
    return rc == 0 && found != NULL;
#else
    /* Without the reentrant calls (macOS), the system's own keep their
       result per thread (libinfo's thread-specific storage). */
    struct servent *found = name != NULL ? getservbyname(name, proto) : getservbyport(port, proto);
    (void)buf;
    (void)buflen;
    if (found == NULL)
        return 0;
    *se = *found;
    return 1;
#endif
}

/* Lowercase copy of text into dst (size bytes); 0 if it does not fit. */
static int lower_copy(char *dst, size_t size, const char *text)
{
    size_t i, n = strlen(text);
    if (n >= size)
        return 0;
    for (i = 0; i <= n; i++)
        dst[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i]);
    return 1;
}

/* getservbyname (name != NULL) or getservbyport. */
static ps_servent *ws_getserv(const char *name, int port, const char *proto)
{
    struct servent se;
    char buf[4096], lname[256], lproto[64];
    if (!ps_started())
        return fail_null(PS_WSANOTINITIALISED);
    if (serv_lookup(name, port, proto, &se, buf, sizeof buf))
        return serv_keep(se.s_name, se.s_aliases, se.s_proto, se.s_port);
    /* Winsock matches the services file without regard to case (Wine 8:
       getservbyname("HTTP", "TCP") is http); the POSIX database is
       lowercase, so a second look with the words lowercased finds those. */
    if ((name == NULL || lower_copy(lname, sizeof lname, name))
        && (proto == NULL || lower_copy(lproto, sizeof lproto, proto))
        && ((name != NULL && strcmp(lname, name) != 0) || (proto != NULL && strcmp(lproto, proto) != 0))
        && serv_lookup(name != NULL ? lname : NULL, port, proto != NULL ? lproto : NULL, &se, buf,
                       sizeof buf))
        return serv_keep(se.s_name, se.s_aliases, se.s_proto, se.s_port);
    /* A service the database lacks is WSANO_DATA on Windows (Wine 8). */
    return fail_null(PS_WSANO_DATA);
}

static ps_servent *ws_getservbyname(const char *name, const char *proto)
{
    if (name == NULL)
        return fail_null(ps_started() ? PS_WSAEFAULT : PS_WSANOTINITIALISED);
    return ws_getserv(name, 0, proto);
}

/* ------------------------------------------------------------------------ */
/* getnameinfo                                                               */

/* Winsock's NI_* flags as this system's; bits Winsock does not define are
   ignored, as Wine 8 ignores them. */
static int system_ni_flags(int flags)
{
    return (flags & PS_NI_NOFQDN ? NI_NOFQDN : 0) | (flags & PS_NI_NUMERICHOST ? NI_NUMERICHOST : 0)
           | (flags & PS_NI_NAMEREQD ? NI_NAMEREQD : 0)
           | (flags & PS_NI_NUMERICSERV ? NI_NUMERICSERV : 0) | (flags & PS_NI_DGRAM ? NI_DGRAM : 0);
}

/* Copies a result into the caller's buffer if it fits with its NUL. */
static int put_text(char *dst, uint32_t size, const char *text)
{
    size_t n = strlen(text);
    if (n >= size)
        return PS_WSAEFAULT;
    memcpy(dst, text, n + 1);
    return 0;
}

static int ws_getnameinfo(const void *sa, int salen, char *host, uint32_t hostlen, char *serv,
                          uint32_t servlen, int flags)
{
    struct sockaddr_storage ss;
    ps_sockaddr_view view;
    char hostbuf[PS_NI_MAXHOST], servbuf[PS_NI_MAXSERV];
    int code = 0, eai, size;
    if (!ps_started())
        return ps_thread_last_error = PS_WSANOTINITIALISED;
    /* MS docs: WSAEFAULT for no address, or one shorter than the structure
       of its family; WSAEAFNOSUPPORT for another family. */
    if (ps_sockaddr_decode(sa, salen, &view) != 0)
        return ps_thread_last_error = ps_last_error();
    /* MS docs: asking for neither a host nor a service is EAI_NONAME; a
       buffer given with a zero size is EAI_BADFLAGS (WSAEINVAL). */
    if (host == NULL && serv == NULL)
        return ps_thread_last_error = PS_WSAHOST_NOT_FOUND;
    if ((host != NULL && hostlen == 0) || (serv != NULL && servlen == 0))
        return ps_thread_last_error = PS_WSAEINVAL;
    size = ps_sockaddr_encode(&view, &ss, (int)sizeof ss);
    /* The system writes into buffers of the largest sizes Winsock allows and
       the caller's get the text only if it fits: a short buffer is WSAEFAULT
       and is left as it was, never holds a cut-off name. */
    eai = getnameinfo((struct sockaddr *)&ss, (socklen_t)size, host != NULL ? hostbuf : NULL,
                      host != NULL ? sizeof hostbuf : 0, serv != NULL ? servbuf : NULL,
                      serv != NULL ? sizeof servbuf : 0, system_ni_flags(flags));
    if (eai != 0)
        return ps_thread_last_error = nameinfo_code(eai);
    if (host != NULL)
        code = put_text(host, hostlen, hostbuf);
    if (code == 0 && serv != NULL)
        code = put_text(serv, servlen, servbuf);
    return ps_thread_last_error = code;
}

/* ------------------------------------------------------------------------ */
/* The exported calls: errno is the caller's afterwards (KEEP_ERRNO).        */

ps_hostent *ps_gethostbyname(const char *name)
    TRACED(ps_hostent *, HOSTENT, "gethostbyname", ws_gethostbyname(name))
ps_hostent *ps_gethostbyaddr(const void *addr, int len, int type)
    TRACED(ps_hostent *, HOSTENT, "gethostbyaddr", ws_gethostbyaddr(addr, len, type))
int ps_gethostname(char *name, int namelen)
    TRACED(int, INT, "gethostname", ws_gethostname(name, namelen))
const char *ps_inet_ntoa(uint32_t in) TRACED(const char *, TEXT, "inet_ntoa", ws_inet_ntoa(in))
ps_servent *ps_getservbyname(const char *name, const char *proto)
    TRACED(ps_servent *, SERVENT, "getservbyname", ws_getservbyname(name, proto))
ps_servent *ps_getservbyport(int port, const char *proto)
    TRACED(ps_servent *, SERVENT, "getservbyport", ws_getserv(NULL, port, proto))
int ps_getnameinfo(const void *sa, int salen, char *host, uint32_t hostlen, char *serv, uint32_t servlen,
                   int flags) TRACED(int, CODE, "getnameinfo", ws_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags))
