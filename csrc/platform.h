/*
 * platform.h - the one place that knows which OS it is compiled for.
 *
 * Every "#ifdef _WIN32" of the core lives here: the C files include this header
 * and stay free of platform tests. It brings in the system's socket headers and
 * names the few things the backends and the cffi module need from them.
 */
#ifndef PORTSOCK_PLATFORM_H
#define PORTSOCK_PLATFORM_H

#ifdef _WIN32
   /* inet_pton and inet_ntop need Windows Vista's headers. */
#  if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#    undef _WIN32_WINNT
#    define _WIN32_WINNT 0x0601
#  endif
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <windows.h>
#  include <errno.h>
#  define PS_PLATFORM_NAME "win32"
#else
   /* Full system interfaces (accept4, MSG_NOSIGNAL, EAI_*) under -std=c11. */
#  ifndef _GNU_SOURCE
#    define _GNU_SOURCE
#  endif
#  ifndef _DARWIN_C_SOURCE
#    define _DARWIN_C_SOURCE
#  endif
#  include <sys/types.h>
#  include <sys/socket.h>
#  include <sys/ioctl.h>
#  include <sys/time.h>
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <arpa/inet.h>
#  include <netdb.h>
#  include <errno.h>
#  include <fcntl.h>
#  include <poll.h>
#  include <unistd.h>
#  define PS_PLATFORM_NAME "posix"
#  if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
     /* BSD socket addresses carry their own length byte. */
#    define PS_HAVE_SIN_LEN 1
#  endif
#endif

#include "portsock.h"

/* A compile-time check every compiler here takes (MSVC knows _Static_assert
   only under /std:c11, which Python's build does not pass). */
#define PS_STATIC_ASSERT(cond, name) typedef char ps_static_assert_##name[(cond) ? 1 : -1]

/* Backend-internal helpers shared by posix.c, win32.c and addr.c (not part of
   the public API). */
int ps_wsa_from_errno(int err);
int ps_wsa_from_eai(int eai, int err);
int ps_reserved_invalid_name(const char *node);

#endif /* PORTSOCK_PLATFORM_H */
