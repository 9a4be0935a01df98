/*
 * portsock/windows.h - forwards to the winsock2.h shim next to this file.
 *
 * Winsock samples include <windows.h> first; with -Icsrc/include/portsock on
 * POSIX that include lands here. Only the Winsock part of Windows is provided
 * (plus the few basic types it uses: BYTE, WORD, DWORD, BOOL, ZeroMemory,
 * MAKEWORD, __cdecl); the rest of the Windows API is out of scope.
 *
 * Such samples also carry `#pragma comment(lib, "Ws2_32.lib")`: gcc and clang
 * ignore that pragma, and only warn about it under -Wall (-Wunknown-pragmas).
 *
 * On Windows the shim includes the real <winsock2.h>, which includes the real
 * <windows.h> itself.
 */
#ifndef PORTSOCK_WINDOWS_SHIM_H
#define PORTSOCK_WINDOWS_SHIM_H

#ifdef _WIN32
/* Found on the include path (mode 2): the real header comes next. */
#include_next <windows.h>
/* Angle brackets, so that the shim in this directory is found through the
   include path and its #include_next can reach the real headers. */
#include <winsock2.h>
#else
#include "winsock2.h"
#endif

#endif /* PORTSOCK_WINDOWS_SHIM_H */
