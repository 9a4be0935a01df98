/*
 * addr.c - socket addresses and name resolution results, the same code on every
 * platform: the structures differ only in layout, which the compiler knows.
 */
#include "platform.h"

#include <string.h>

int ps_sockaddr_size(int family)
{
    if (family == AF_INET)
        return (int)sizeof(struct sockaddr_in);
    if (family == AF_INET6)
        return (int)sizeof(struct sockaddr_in6);
    return -1;
}

int ps_sockaddr_encode(const ps_sockaddr_view *view, void *buf, int buflen)
{
    int size;
    if (view == NULL || buf == NULL) {
        ps_set_last_error(PS_WSAEFAULT);
        return -1;
    }
    size = ps_sockaddr_size(view->family);
    if (size < 0) {
        ps_set_last_error(PS_WSAEAFNOSUPPORT);
        return -1;
    }
    if (buflen < size) {
        ps_set_last_error(PS_WSAEFAULT);
        return -1;
    }
    memset(buf, 0, (size_t)size);
    if (view->family == AF_INET) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
#ifdef PS_HAVE_SIN_LEN
        sin.sin_len = (uint8_t)sizeof sin;
#endif
        sin.sin_family = AF_INET;
        sin.sin_port = view->port;
        memcpy(&sin.sin_addr, view->addr, 4);
        memcpy(buf, &sin, sizeof sin);
    } else {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
#ifdef PS_HAVE_SIN_LEN
        sin6.sin6_len = (uint8_t)sizeof sin6;
#endif
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = view->port;
        sin6.sin6_flowinfo = view->flowinfo;
        sin6.sin6_scope_id = view->scope_id;
        memcpy(&sin6.sin6_addr, view->addr, 16);
        memcpy(buf, &sin6, sizeof sin6);
    }
    return size;
}

int ps_sockaddr_decode(const void *buf, int len, ps_sockaddr_view *view)
{
    struct sockaddr_storage ss;
    if (buf == NULL || view == NULL || len < (int)sizeof(struct sockaddr_in)) {
        ps_set_last_error(PS_WSAEFAULT);
        return -1;
    }
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, buf, (size_t)len < sizeof ss ? (size_t)len : sizeof ss);
    memset(view, 0, sizeof *view);
    view->family = ss.ss_family;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        view->port = sin->sin_port;
        memcpy(view->addr, &sin->sin_addr, 4);
        return 0;
    }
    if (ss.ss_family == AF_INET6 && len >= (int)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        view->port = sin6->sin6_port;
        view->flowinfo = sin6->sin6_flowinfo;
        view->scope_id = sin6->sin6_scope_id;
        memcpy(view->addr, &sin6->sin6_addr, 16);
        return 0;
    }
    ps_set_last_error(ss.ss_family == AF_INET6 ? PS_WSAEFAULT : PS_WSAEAFNOSUPPORT);
    return -1;
}

int ps_reserved_invalid_name(const char *node)
{
    /* RFC 6761 6.4: names under "invalid." never exist, and resolver libraries
       should answer so at once. Answering here keeps such a lookup off the
       network, with the result a DNS server would give (WSAHOST_NOT_FOUND). */
    static const char tld[] = "invalid";
    size_t n, k = sizeof tld - 1, i;
    if (node == NULL)
        return 0;
    n = strlen(node);
    if (n > 0 && node[n - 1] == '.')
        n--;
    if (n < k || (n > k && node[n - k - 1] != '.'))
        return 0;
    for (i = 0; i < k; i++) {
        char c = node[n - k + i];
        if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != tld[i])
            return 0;
    }
    return 1;
}

int ps_getaddrinfo_hints(const char *node, const char *service, int has_hints,
                         int flags, int family, int socktype, int protocol,
                         struct addrinfo **res)
{
    struct addrinfo hints;
    if (!has_hints)
        return ps_getaddrinfo(node, service, NULL, res);
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = flags;
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    return ps_getaddrinfo(node, service, &hints, res);
}

void ps_addrinfo_read(const struct addrinfo *ai, ps_addrinfo_view *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (ai == NULL)
        return;
    out->ai_flags = ai->ai_flags;
    out->ai_family = ai->ai_family;
    out->ai_socktype = ai->ai_socktype;
    out->ai_protocol = ai->ai_protocol;
    out->ai_addrlen = (int)ai->ai_addrlen;
    out->ai_addr = ai->ai_addr;
    out->ai_canonname = ai->ai_canonname;
    out->ai_next = ai->ai_next;
}

int ps_inet_pton(int af, const char *src, void *dst)
{
    int ret, saved_errno;
    if (src == NULL || dst == NULL) {
        ps_set_last_error(PS_WSAEFAULT);
        return -1;
    }
    if (af != AF_INET && af != AF_INET6) {
        ps_set_last_error(PS_WSAEAFNOSUPPORT);
        return -1;
    }
    saved_errno = errno;   /* the core never changes errno (Winsock does not) */
    ret = inet_pton(af, src, dst);
    errno = saved_errno;
    if (ret == 0)
        ps_set_last_error(PS_WSAEINVAL);
    return ret;
}

const char *ps_inet_ntop(int af, const void *src, char *dst, size_t size)
{
    const char *ret;
    int saved_errno;
    if (src == NULL || dst == NULL) {
        ps_set_last_error(PS_WSAEFAULT);
        return NULL;
    }
    if (af != AF_INET && af != AF_INET6) {
        ps_set_last_error(PS_WSAEAFNOSUPPORT);
        return NULL;
    }
    /* inet_ntop takes a socklen_t: a size_t above its range would wrap (2^32
       to 0, a spurious "too small"). No address text needs more than 64. */
    saved_errno = errno;
    ret = inet_ntop(af, src, dst, size > 64 ? (socklen_t)64 : (socklen_t)size);
    errno = saved_errno;
    if (ret == NULL)
        ps_set_last_error(PS_WSAEINVAL);
    return ret;
}

uint32_t ps_inet_addr(const char *cp)
{
    if (cp == NULL)
        return 0xffffffffu;   /* INADDR_NONE */
    return (uint32_t)inet_addr(cp);
}

void ps_servent_read(const ps_servent *se, ps_servent_view *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (se == NULL)
        return;
    out->s_name = se->s_name;
    out->s_aliases = se->s_aliases;
    out->s_proto = se->s_proto;
    out->s_port = (unsigned short)se->s_port;
}
