/*
 * portsock_winapi.h - the few Windows calls (not Winsock) that socket programs
 * make, implemented on POSIX by csrc/posix_winapi.c for the shim's
 * <windows.h> (csrc/include/portsock/windows.h), which maps Sleep,
 * GetTickCount, FormatMessageA, CreateThread, WaitForSingleObject and the rest
 * to them. Each returns what Windows returns and sets the last error Windows
 * sets: the core's per-thread value, WSAGetLastError's, as on Windows, where
 * GetLastError and WSAGetLastError are one.
 *
 * Not part of the cffi interface: Python has its own sleep, clock and threads.
 * POSIX only (on Windows the program calls the real ones).
 */
#ifndef PORTSOCK_WINAPI_H
#define PORTSOCK_WINAPI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Win32 error codes these calls set (winerror.h values). */
#define PS_ERROR_SUCCESS 0
#define PS_ERROR_INVALID_HANDLE 6
#define PS_ERROR_NOT_ENOUGH_MEMORY 8
#define PS_ERROR_INVALID_PARAMETER 87
#define PS_ERROR_INSUFFICIENT_BUFFER 122
#define PS_ERROR_MR_MID_NOT_FOUND 317
#define PS_ERROR_NOACCESS 998
#define PS_ERROR_MUI_FILE_NOT_FOUND 15100

#define PS_INFINITE 0xFFFFFFFFu
#define PS_WAIT_OBJECT_0 0u
#define PS_WAIT_TIMEOUT 258u
#define PS_WAIT_FAILED 0xFFFFFFFFu
#define PS_STILL_ACTIVE 259u
#define PS_MAXIMUM_WAIT_OBJECTS 64

#define PS_FORMAT_MESSAGE_ALLOCATE_BUFFER 0x00000100u
#define PS_FORMAT_MESSAGE_IGNORE_INSERTS 0x00000200u
#define PS_FORMAT_MESSAGE_FROM_STRING 0x00000400u
#define PS_FORMAT_MESSAGE_FROM_HMODULE 0x00000800u
#define PS_FORMAT_MESSAGE_FROM_SYSTEM 0x00001000u
#define PS_FORMAT_MESSAGE_ARGUMENT_ARRAY 0x00002000u
#define PS_FORMAT_MESSAGE_MAX_WIDTH_MASK 0x000000FFu

#define PS_LMEM_FIXED 0x0000u
#define PS_LMEM_ZEROINIT 0x0040u

#define PS_STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000u

/* Sleep: ms milliseconds (signals do not cut it short); 0 yields;
   PS_INFINITE never returns. */
void ps_win_sleep(uint32_t ms);
/* GetTickCount, GetTickCount64: milliseconds of a monotonic clock (since
   boot, as on Windows); the 32-bit one wraps at 2^32, i.e. every 49.7 days. */
uint32_t ps_win_get_tick_count(void);
uint64_t ps_win_get_tick_count64(void);
/* SecureZeroMemory: memset to 0 that the compiler may not drop; returns dst. */
void *ps_win_secure_zero_memory(void *dst, size_t len);

/* FormatMessageA, for the system's messages: FORMAT_MESSAGE_FROM_SYSTEM, with
   FORMAT_MESSAGE_IGNORE_INSERTS, FORMAT_MESSAGE_ALLOCATE_BUFFER (buffer is
   then a char ** that receives a LocalAlloc'ed copy) and the line width
   FORMAT_MESSAGE_MAX_WIDTH_MASK. The text is Windows' message for a Winsock
   code (csrc/errmap.c) or for the Win32 codes above, ending in "\r\n".
   Returns its length, or 0 with the last error set: ERROR_MR_MID_NOT_FOUND
   for an unknown code, ERROR_INSUFFICIENT_BUFFER when size cannot hold it
   and its NUL, ERROR_MUI_FILE_NOT_FOUND for a language other than neutral or
   English, ERROR_INVALID_PARAMETER for a source other than the system (or
   inserts to fill without IGNORE_INSERTS: arguments are not read). */
uint32_t ps_win_format_message_a(uint32_t flags, const void *source, uint32_t message_id,
                                 uint32_t language_id, char *buffer, uint32_t size,
                                 va_list *arguments);
/* LocalAlloc (LMEM_FIXED, LMEM_ZEROINIT) and LocalFree (NULL on success). */
void *ps_win_local_alloc(uint32_t flags, size_t bytes);
void *ps_win_local_free(void *mem);

/* Threads. A HANDLE is an opaque value (a slot number and a generation, never
   a pointer): a closed, forged or NULL handle is ERROR_INVALID_HANDLE, never
   a crash. The pseudo-handle INVALID_HANDLE_VALUE (GetCurrentProcess()'s) is
   a process that never ends: waits on it time out and closing it succeeds,
   as on Windows. A thread handle may be closed while the thread runs: the
   thread goes on, and what it holds is freed when it ends. */
typedef uint32_t (*ps_win_thread_start)(void *arg);
/* CreateThread: flags 0 or STACK_SIZE_PARAM_IS_A_RESERVATION (CREATE_SUSPENDED
   is refused: ERROR_INVALID_PARAMETER, as is a NULL start). */
void *ps_win_create_thread(void *attributes, size_t stack_size, ps_win_thread_start start,
                           void *arg, uint32_t flags, uint32_t *thread_id);
/* WaitForSingleObject and WaitForMultipleObjects on thread handles: WAIT_OBJECT_0
   (+ index) once the thread has ended, WAIT_TIMEOUT after ms (PS_INFINITE: no
   limit), WAIT_FAILED with the last error. */
uint32_t ps_win_wait_for_single_object(void *handle, uint32_t ms);
uint32_t ps_win_wait_for_multiple_objects(uint32_t count, void *const *handles, int wait_all,
                                          uint32_t ms);
/* GetExitCodeThread: STILL_ACTIVE while the thread runs, then what its start
   routine returned. Returns 1 (TRUE), or 0 with the last error. */
int ps_win_get_exit_code_thread(void *handle, uint32_t *exit_code);
/* CloseHandle: 1, or 0 with ERROR_INVALID_HANDLE. */
int ps_win_close_handle(void *handle);
/* GetCurrentThreadId: never 0; CreateThread's thread_id for its threads. */
uint32_t ps_win_get_current_thread_id(void);

#ifdef __cplusplus
}
#endif

#endif /* PORTSOCK_WINAPI_H */
