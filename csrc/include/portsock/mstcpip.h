/*
 * portsock/mstcpip.h - SIO_KEEPALIVE_VALS and struct tcp_keepalive, then the
 * winsock2.h shim next to this file.
 *
 * Winsock code includes <mstcpip.h> for WSAIoctl's TCP keep-alive control;
 * with -Icsrc/include/portsock on POSIX that include lands here. On Windows
 * the real header comes next on the include path.
 */
#ifndef PORTSOCK_MSTCPIP_SHIM_H
#define PORTSOCK_MSTCPIP_SHIM_H

#ifdef _WIN32
/* Angle brackets, so that the shim in this directory is found through the
   include path and its #include_next can reach the real headers. */
#include <winsock2.h>
#include_next <mstcpip.h>
#else
#include "winsock2.h"

/* Windows' layout: three ULONGs (32 bits), the times in milliseconds; the
   core reads this very layout (ps_tcp_keepalive). */
struct tcp_keepalive {
    uint32_t onoff;
    uint32_t keepalivetime;
    uint32_t keepaliveinterval;
};

#define SIO_KEEPALIVE_VALS PS_SIO_KEEPALIVE_VALS
#endif

#endif /* PORTSOCK_MSTCPIP_SHIM_H */
