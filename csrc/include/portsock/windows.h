/*
 * portsock/windows.h - the part of <windows.h> that socket programs use, on
 * POSIX, over the portsock core (csrc/posix_winapi.c, csrc/portsock_winapi.h).
 *
 * Winsock samples include <windows.h> first; with -Icsrc/include/portsock on
 * POSIX that include lands here. It brings in the winsock2.h shim (as the real
 * one brings in Winsock 1.1's header) and provides:
 *
 *   types       Windows' base types with Win64's sizes (portsock_wintypes.h:
 *               BYTE ... DWORD, LONG and ULONG of 32 bits, the _PTR types,
 *               SIZE_T, LPSTR ... LPCWSTR, LPVOID, HANDLE, HMODULE, ...), SAL
 *               annotations and calling-convention words as nothing,
 *               SECURITY_ATTRIBUTES, LPTHREAD_START_ROUTINE
 *   errors      GetLastError and SetLastError: the one per-thread value that
 *               WSAGetLastError reads, as on Windows; ERROR_* and NO_ERROR
 *   messages    FormatMessageA (FormatMessage) with FORMAT_MESSAGE_FROM_SYSTEM,
 *               _IGNORE_INSERTS, _ALLOCATE_BUFFER and _MAX_WIDTH_MASK: Windows'
 *               text for the Winsock codes (the core's table, csrc/errmap.c)
 *               and for the Win32 codes these calls set, in English;
 *               MAKELANGID and the LANG_/SUBLANG_ words; LocalAlloc, LocalFree
 *   time        Sleep, GetTickCount (wraps at 2^32 ms), GetTickCount64
 *   memory      ZeroMemory, SecureZeroMemory, CopyMemory, MoveMemory,
 *               FillMemory (and their Rtl* names)
 *   threads     CreateThread, WaitForSingleObject, WaitForMultipleObjects,
 *               GetExitCodeThread, CloseHandle (of thread handles, also while
 *               the thread runs), GetCurrentThreadId, GetCurrentProcess;
 *               INFINITE, WAIT_*, STILL_ACTIVE
 *   min, max    in C only, as function-like macros (unless NOMINMAX); in C++
 *               they would break <algorithm> included after this header
 *
 * Limits: the calls are function-like macros over ps_win_* functions (their
 * address is not Windows'); a HANDLE is only ever a thread's (no events,
 * mutexes, files: WSAEVENT and the like belong to the Winsock calls that use
 * them); no *W (UTF-16) calls, and UNICODE is not honoured (FormatMessage is
 * FormatMessageA); CREATE_SUSPENDED, FORMAT_MESSAGE_FROM_STRING/FROM_HMODULE
 * and message inserts are refused with ERROR_INVALID_PARAMETER; DWORD is 32
 * bits, so printf("%lu", dw) warns under -Wall (as %u is wrong on Windows:
 * cast to unsigned long). WIN32_LEAN_AND_MEAN changes nothing here. Anything
 * else of the Windows API is out of scope.
 *
 * Such samples also carry `#pragma comment(lib, "Ws2_32.lib")`: gcc and clang
 * ignore that pragma, and only warn about it under -Wall (-Wunknown-pragmas).
 *
 * On Windows the shim includes the real <windows.h> and <winsock2.h>.
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
/* Its system headers come first, and its types (portsock_wintypes.h); it
   includes this header at its end, which is then skipped. */
#include "winsock2.h"
#include "../../portsock_winapi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ----------------------------------------------------------------- */
typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef DWORD (WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

#ifdef __cplusplus
}
#endif

/* ---- errors ---------------------------------------------------------------- */
#define ERROR_SUCCESS 0L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_MR_MID_NOT_FOUND 317L
#define ERROR_NOACCESS 998L
#define ERROR_MUI_FILE_NOT_FOUND 15100L

#define GetLastError() ((DWORD)ps_last_error())
#define SetLastError(code) ps_set_last_error((int)(code))

/* ---- messages -------------------------------------------------------------- */
#define FORMAT_MESSAGE_ALLOCATE_BUFFER PS_FORMAT_MESSAGE_ALLOCATE_BUFFER
#define FORMAT_MESSAGE_IGNORE_INSERTS PS_FORMAT_MESSAGE_IGNORE_INSERTS
#define FORMAT_MESSAGE_FROM_STRING PS_FORMAT_MESSAGE_FROM_STRING
#define FORMAT_MESSAGE_FROM_HMODULE PS_FORMAT_MESSAGE_FROM_HMODULE
#define FORMAT_MESSAGE_FROM_SYSTEM PS_FORMAT_MESSAGE_FROM_SYSTEM
#define FORMAT_MESSAGE_ARGUMENT_ARRAY PS_FORMAT_MESSAGE_ARGUMENT_ARRAY
#define FORMAT_MESSAGE_MAX_WIDTH_MASK PS_FORMAT_MESSAGE_MAX_WIDTH_MASK

#define LANG_NEUTRAL 0x00
#define LANG_INVARIANT 0x7f
#define LANG_ENGLISH 0x09
#define SUBLANG_NEUTRAL 0x00
#define SUBLANG_DEFAULT 0x01
#define SUBLANG_SYS_DEFAULT 0x02
#define SUBLANG_ENGLISH_US 0x01
#define SUBLANG_ENGLISH_UK 0x02
#define MAKELANGID(primary, sub) ((((WORD)(sub)) << 10) | (WORD)(primary))
#define PRIMARYLANGID(lang) ((WORD)(lang) & 0x3ff)
#define SUBLANGID(lang) ((WORD)(lang) >> 10)
#define LANG_SYSTEM_DEFAULT MAKELANGID(LANG_NEUTRAL, SUBLANG_SYS_DEFAULT)
#define LANG_USER_DEFAULT MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT)

#define FormatMessageA(flags, source, id, language, buffer, size, arguments)                  \
    ps_win_format_message_a((DWORD)(flags), (source), (DWORD)(id), (DWORD)(language), (buffer), \
                            (DWORD)(size), (arguments))
#ifndef UNICODE
#define FormatMessage FormatMessageA
#endif

#define LMEM_FIXED PS_LMEM_FIXED
#define LMEM_ZEROINIT PS_LMEM_ZEROINIT
#define LPTR (LMEM_FIXED | LMEM_ZEROINIT)
#define LocalAlloc(flags, bytes) ((HLOCAL)ps_win_local_alloc((UINT)(flags), (SIZE_T)(bytes)))
#define LocalFree(mem) ((HLOCAL)ps_win_local_free(mem))

/* ---- time ------------------------------------------------------------------ */
#define Sleep(ms) ps_win_sleep((DWORD)(ms))
#define GetTickCount() ps_win_get_tick_count()
#define GetTickCount64() ((ULONGLONG)ps_win_get_tick_count64())

/* ---- memory ---------------------------------------------------------------- */
#define ZeroMemory(dst, len) ((void)memset((dst), 0, (len)))
#define RtlZeroMemory ZeroMemory
#define SecureZeroMemory(dst, len) ps_win_secure_zero_memory((dst), (SIZE_T)(len))
#define RtlSecureZeroMemory SecureZeroMemory
#define CopyMemory(dst, src, len) ((void)memcpy((dst), (src), (len)))
#define RtlCopyMemory CopyMemory
#define MoveMemory(dst, src, len) ((void)memmove((dst), (src), (len)))
#define RtlMoveMemory MoveMemory
#define FillMemory(dst, len, fill) ((void)memset((dst), (BYTE)(fill), (len)))
#define RtlFillMemory FillMemory

/* ---- threads --------------------------------------------------------------- */
#define INFINITE PS_INFINITE
#define WAIT_OBJECT_0 PS_WAIT_OBJECT_0
#define WAIT_TIMEOUT PS_WAIT_TIMEOUT
#define WAIT_FAILED PS_WAIT_FAILED
#define STILL_ACTIVE PS_STILL_ACTIVE
#define MAXIMUM_WAIT_OBJECTS PS_MAXIMUM_WAIT_OBJECTS
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION PS_STACK_SIZE_PARAM_IS_A_RESERVATION

#define CreateThread(attributes, stack_size, start, arg, flags, thread_id)                   \
    ((HANDLE)ps_win_create_thread((attributes), (SIZE_T)(stack_size), (start), (arg),       \
                                  (DWORD)(flags), (thread_id)))
#define WaitForSingleObject(handle, ms) ((DWORD)ps_win_wait_for_single_object((handle), (DWORD)(ms)))
#define WaitForMultipleObjects(count, handles, wait_all, ms) \
    ((DWORD)ps_win_wait_for_multiple_objects((DWORD)(count), (handles), (BOOL)(wait_all), (DWORD)(ms)))
#define GetExitCodeThread(handle, exit_code) ((BOOL)ps_win_get_exit_code_thread((handle), (exit_code)))
#define CloseHandle(handle) ((BOOL)ps_win_close_handle(handle))
#define GetCurrentThreadId() ((DWORD)ps_win_get_current_thread_id())
#define GetCurrentProcess() INVALID_HANDLE_VALUE

/* ---- min, max ---------------------------------------------------------------- */
#if !defined(__cplusplus) && !defined(NOMINMAX)
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

#endif /* _WIN32 */

#endif /* PORTSOCK_WINDOWS_SHIM_H */
