/*
 * portsock/winsock.h - Winsock 1.1's header, for code that still includes it.
 *
 * On POSIX it is the winsock2.h shim next to this file: Winsock 2 keeps every
 * name of 1.1 with the same meaning, and the core implements 2.2 (WSAStartup
 * with MAKEWORD(1, 1) is accepted and reports 1.1, as on Windows). The 1.1
 * names that 2 dropped (WSAAsyncSelect and the other window-message calls,
 * WSACancelBlockingCall, WSASetBlockingHook) are not provided.
 *
 * On Windows (mode 2, this directory on the include path) the real
 * <winsock.h> comes next, as the program asked; PORTSOCK_USE_CORE needs
 * <winsock2.h>.
 */
#ifndef PORTSOCK_WINSOCK_SHIM_H
#define PORTSOCK_WINSOCK_SHIM_H

#ifdef _WIN32
#include_next <winsock.h>
#else
#include "winsock2.h"
#endif

#endif /* PORTSOCK_WINSOCK_SHIM_H */
