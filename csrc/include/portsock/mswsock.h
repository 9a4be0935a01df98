/*
 * portsock/mswsock.h - Microsoft's Winsock extensions header.
 *
 * On POSIX it brings in the winsock2.h shim next to this file, so that code
 * including it compiles; the extensions themselves (AcceptEx, ConnectEx,
 * TransmitFile, SO_UPDATE_ACCEPT_CONTEXT, ...) are not provided by the core.
 *
 * On Windows (mode 2, this directory on the include path) the shim's
 * winsock2.h comes first and the real <mswsock.h> next.
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
