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
   /* gethostbyname, gethostbyaddr and inet_ntoa are marked deprecated in the
      Windows SDK (C4996, an error under /sdl); the core passes them through. */
#  ifndef _WINSOCK_DEPRECATED_NO_WARNINGS
#    define _WINSOCK_DEPRECATED_NO_WARNINGS
#  endif
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <mstcpip.h>   /* SIO_KEEPALIVE_VALS, struct tcp_keepalive */
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
   /* What the POSIX backend may rely on, as capabilities rather than OS
      names (the C files test these, never __linux__ or __APPLE__). */
#  if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
     /* BSD socket addresses carry their own length byte. */
#    define PS_HAVE_SIN_LEN 1
#  endif
#  ifdef SOCK_NONBLOCK
     /* socket() and accept4() take SOCK_CLOEXEC and SOCK_NONBLOCK in the type
        or flags (Linux, the BSDs); elsewhere fcntl/ioctl follow the call. */
#    define PS_HAVE_SOCK_FLAGS 1
#  endif
#  ifdef MSG_NOSIGNAL
     /* The send flag that keeps a broken connection from raising SIGPIPE. */
#    define PS_MSG_NOSIGNAL MSG_NOSIGNAL
#  else
#    define PS_MSG_NOSIGNAL 0
#  endif
#  ifdef SO_NOSIGPIPE
     /* The socket option that does the same (macOS, whose older SDKs lack
        MSG_NOSIGNAL). */
#    define PS_HAVE_SO_NOSIGPIPE 1
#  endif
#  ifdef SO_LINGER_SEC
     /* macOS measures SO_LINGER in clock ticks; SO_LINGER_SEC is the option
        in seconds that Winsock's l_linger means. */
#    define PS_SO_LINGER_SECONDS SO_LINGER_SEC
#  else
#    define PS_SO_LINGER_SECONDS SO_LINGER
#  endif
#  if defined(__GLIBC__) || defined(__FreeBSD__)
     /* getservbyname_r and getservbyport_r, with glibc's signature (the
        resolver's service lookups; elsewhere the system's own calls keep
        their result per thread, as macOS's libinfo does). */
#    define PS_HAVE_GETSERV_R 1
#  endif
#  include <limits.h>
#  ifndef IOV_MAX
     /* The most buffers one sendmsg or recvmsg takes (1024 on Linux and
        macOS, in <limits.h>); POSIX promises at least 16. */
#    define IOV_MAX 16
#  endif
#  ifdef TCP_KEEPIDLE
     /* The idle time before the first keep-alive probe, in seconds: Linux's
        TCP_KEEPIDLE; macOS calls it TCP_KEEPALIVE. */
#    define PS_TCP_KEEPIDLE TCP_KEEPIDLE
#  elif defined(TCP_KEEPALIVE)
#    define PS_TCP_KEEPIDLE TCP_KEEPALIVE
#  endif
#  ifdef __linux__
     /* shutdown() of a listening socket wakes the threads blocked in its
        accept() (Linux's inet_shutdown); the BSDs answer ENOTCONN and wake
        nothing, so there a blocked accept waits in slices instead. */
#    define PS_SHUTDOWN_WAKES_ACCEPT 1
#  endif
#endif

#include "portsock.h"

/* The trace (trace.c): the one lock its writers take, and the on/off flag
   every exported call reads without any lock. The flag is read relaxed: a
   call that starts while another thread switches the trace on or off may
   still see the old value, which only decides whether that one call is
   written. */
#ifdef _WIN32
typedef SRWLOCK ps_trace_lock_t;
#  define PS_TRACE_LOCK_INIT SRWLOCK_INIT
#  define ps_trace_lock(l) AcquireSRWLockExclusive(l)
#  define ps_trace_unlock(l) ReleaseSRWLockExclusive(l)
#else
#  include <pthread.h>
typedef pthread_mutex_t ps_trace_lock_t;
#  define PS_TRACE_LOCK_INIT PTHREAD_MUTEX_INITIALIZER
#  define ps_trace_lock(l) pthread_mutex_lock(l)
#  define ps_trace_unlock(l) pthread_mutex_unlock(l)
#endif
#if defined(_MSC_VER) && !defined(__clang__)
   /* MSVC: an aligned int is read and written whole; volatile keeps each
      access a real load or store. */
#  define PS_LOAD_RELAXED(p) (*(volatile const int *)(p))
#  define PS_STORE_RELAXED(p, v) (*(volatile int *)(p) = (v))
#  define PS_UNLIKELY(x) (x)
#else
#  define PS_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#  define PS_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#  define PS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

/* A compile-time check every compiler here takes (MSVC knows _Static_assert
   only under /std:c11, which Python's build does not pass). */
#define PS_STATIC_ASSERT(cond, name) typedef char ps_static_assert_##name[(cond) ? 1 : -1]

/* Backend-internal helpers shared by posix.c, win32.c and addr.c (not part of
   the public API). */
int ps_wsa_from_errno(int err);
int ps_wsa_from_eai(int eai, int err);
int ps_reserved_invalid_name(const char *node);

#include "trace.h"

#endif /* PORTSOCK_PLATFORM_H */
