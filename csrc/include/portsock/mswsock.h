/*
 * portsock/mswsock.h - forwards to the winsock2.h shim next to this file.
 *
 * Winsock code often includes <mswsock.h> among its headers. Its own calls
 * (AcceptEx, TransmitFile, WSARecvEx, ConnectEx) are Microsoft's extensions
 * around overlapped I/O, which portsock does not have: none is declared on
 * POSIX, so a program that uses one fails to compile there, and one that only
 * includes the header compiles unchanged. On Windows the real header comes
 * next on the include path.
 */
#ifndef PORTSOCK_MSWSOCK_SHIM_H
#define PORTSOCK_MSWSOCK_SHIM_H

#ifdef _WIN32
/* Angle brackets, so that the shim in this directory is found through the
   include path and its #include_next can reach the real headers. */
#include <winsock2.h>
#include_next <mswsock.h>
#else
#include "winsock2.h"
#endif

#endif /* PORTSOCK_MSWSOCK_SHIM_H */
