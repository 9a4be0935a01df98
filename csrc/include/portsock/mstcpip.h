/*
 * portsock/mstcpip.h - SIO_KEEPALIVE_VALS and struct tcp_keepalive, then the
 * winsock2.h shim next to this file.
 *
 * Winsock code includes <mstcpip.h> for WSAIoctl's TCP keep-alive control;
 * with -Icsrc/include/portsock on POSIX that include lands here. On Windows
 * the real header comes next on the include path.
 */
#ifdef _WIN32
/* The real <ws2tcpip.h>, which the shim's winsock2.h includes, includes
   <mstcpip.h> itself and needs its types: that inner include lands here
   again, so only the winsock2.h part is guarded, and the real header (which
   has its own guard) is reached every time. Angle brackets, so that the shim
   in this directory is found through the include path and its #include_next
   can reach the real headers. */
#ifndef PORTSOCK_MSTCPIP_SHIM_WIN
#define PORTSOCK_MSTCPIP_SHIM_WIN 1
#include <winsock2.h>
#endif
#include_next <mstcpip.h>
#else
#ifndef PORTSOCK_MSTCPIP_SHIM_H
#define PORTSOCK_MSTCPIP_SHIM_H
#include "winsock2.h"

/* Windows' layout: three ULONGs (32 bits), the times in milliseconds; the
   core reads this very layout (ps_tcp_keepalive). */
struct tcp_keepalive {
    uint32_t onoff;
    uint32_t keepalivetime;
    uint32_t keepaliveinterval;
};

#define SIO_KEEPALIVE_VALS PS_SIO_KEEPALIVE_VALS
#endif /* PORTSOCK_MSTCPIP_SHIM_H */
#endif /* _WIN32 */
