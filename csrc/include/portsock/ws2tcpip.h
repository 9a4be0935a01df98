/*
 * portsock/ws2tcpip.h - forwards to the winsock2.h shim next to this file.
 *
 * Winsock code includes <ws2tcpip.h> for getaddrinfo and friends; with
 * -Icsrc/include/portsock on POSIX that include lands here, and everything it
 * would declare is in the shim. On Windows the shim includes the real headers.
 */
#ifndef PORTSOCK_WS2TCPIP_SHIM_H
#define PORTSOCK_WS2TCPIP_SHIM_H

#ifdef _WIN32
/* Angle brackets, so that the shim in this directory is found through the
   include path and its #include_next can reach the real headers. */
#include <winsock2.h>
#else
#include "winsock2.h"
#endif

#endif /* PORTSOCK_WS2TCPIP_SHIM_H */
