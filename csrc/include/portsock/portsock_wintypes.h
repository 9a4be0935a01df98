/*
 * portsock/portsock_wintypes.h - Windows' base types and the words around them,
 * for Winsock code compiled on POSIX through the shim. Included by winsock2.h
 * (after the system headers); a program includes <winsock2.h> or <windows.h>.
 *
 * Sizes are Win64's (LLP64), not the platform's: LONG and ULONG are 32 bits
 * (long is 64 on Linux and macOS), the _PTR types and SIZE_T are pointer-sized.
 * Two exceptions, on purpose: WCHAR is the platform's wchar_t (4 bytes here,
 * 2 on Windows), so that L"..." literals still initialise a WCHAR array; and
 * u_long, Winsock's own, stays the system's unsigned long (8 bytes), as the
 * core's ioctlsocket takes it (pass sizeof(DWORD), not sizeof(u_long), as an
 * option length). Text types are the ANSI ones (TCHAR is char): a program
 * built with UNICODE defined gets no *W calls here.
 *
 * Redefining a typedef to the same type is valid C11 and C++, so these may
 * repeat a line of winsock2.h. POSIX only: on Windows the real headers are
 * used.
 */
#ifndef PORTSOCK_WINTYPES_SHIM_H
#define PORTSOCK_WINTYPES_SHIM_H

#ifndef _WIN32

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- integers -------------------------------------------------------------- */
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef int BOOL;
typedef BYTE BOOLEAN;
typedef char CHAR;
typedef unsigned char UCHAR;
typedef short SHORT;
typedef unsigned short USHORT;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;
typedef uint64_t DWORDLONG;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef float FLOAT;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef ULONG_PTR DWORD_PTR;
typedef size_t SIZE_T;
typedef ptrdiff_t SSIZE_T;
typedef LONG HRESULT;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef LONG_PTR LRESULT;
typedef WORD ATOM;

/* ---- pointers to them -------------------------------------------------------- */
typedef BYTE *PBYTE, *LPBYTE;
typedef WORD *PWORD, *LPWORD;
typedef DWORD *PDWORD, *LPDWORD;
typedef BOOL *PBOOL, *LPBOOL;
typedef BOOLEAN *PBOOLEAN;
typedef CHAR *PCHAR;
typedef UCHAR *PUCHAR;
typedef SHORT *PSHORT;
typedef USHORT *PUSHORT;
typedef INT *PINT, *LPINT;
typedef UINT *PUINT;
typedef LONG *PLONG, *LPLONG;
typedef ULONG *PULONG;
typedef ULONG_PTR *PULONG_PTR;
typedef DWORD_PTR *PDWORD_PTR;
typedef SIZE_T *PSIZE_T;
typedef void *PVOID, *LPVOID;
typedef const void *LPCVOID, *PCVOID;

/* ---- text (ANSI) ----------------------------------------------------------- */
typedef wchar_t WCHAR;
typedef CHAR *PSTR, *LPSTR;
typedef const CHAR *PCSTR, *LPCSTR;
typedef WCHAR *PWSTR, *LPWSTR;
typedef const WCHAR *PCWSTR, *LPCWSTR;
typedef char TCHAR;
typedef TCHAR *PTSTR, *LPTSTR;
typedef const TCHAR *PCTSTR, *LPCTSTR;
#ifndef TEXT
#define TEXT(quote) quote
#endif
#ifndef __TEXT
#define __TEXT(quote) quote
#endif

/* ---- handles --------------------------------------------------------------- */
/* Opaque values, as on Windows: a HANDLE from CreateThread is no pointer to
   anything (see windows.h). */
typedef void *HANDLE;
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef HANDLE HLOCAL;
typedef HANDLE HGLOBAL;
typedef HANDLE HMODULE;
typedef HANDLE HINSTANCE;
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

/* ---- words of the declarations --------------------------------------------- */
#ifndef VOID
#define VOID void
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif
/* Calling conventions mean nothing off 32-bit Windows (and are ignored on
   Win64 too). */
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef _stdcall
#define _stdcall
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef PASCAL
#define PASCAL
#endif
#ifndef WSAAPI
#define WSAAPI
#endif
#ifndef FAR
#define FAR
#endif
#ifndef NEAR
#define NEAR
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#endif

/* The SAL annotations of Microsoft's headers and samples, as nothing (what
   they say is for Microsoft's analyser). The old double-underscore spellings
   (__in, __out) are left out on purpose: libstdc++ uses those names. */
#ifndef _In_
#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(size)
#define _In_reads_opt_(size)
#define _In_reads_bytes_(size)
#define _In_reads_bytes_opt_(size)
#define _Out_
#define _Out_opt_
#define _Out_writes_(size)
#define _Out_writes_opt_(size)
#define _Out_writes_bytes_(size)
#define _Out_writes_bytes_opt_(size)
#define _Out_writes_to_(size, count)
#define _Out_writes_bytes_to_(size, count)
#define _Out_writes_bytes_to_opt_(size, count)
#define _Inout_
#define _Inout_opt_
#define _Inout_updates_(size)
#define _Inout_updates_bytes_(size)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Success_(expr)
#define _Check_return_
#define _Must_inspect_result_
#define _Field_size_(size)
#define _Field_size_bytes_(size)
#define _Reserved_
#define _Printf_format_string_
#define _Frees_ptr_opt_
#define _Null_terminated_
#define _When_(expr, annotation)
#endif

/* ---- words of values ------------------------------------------------------- */
#ifndef MAKEWORD
#define MAKEWORD(lo, hi) ((WORD)(((WORD)((BYTE)(lo))) | ((WORD)((BYTE)(hi)) << 8)))
#endif
#ifndef LOBYTE
#define LOBYTE(w) ((BYTE)((w) & 0xff))
#endif
#ifndef HIBYTE
#define HIBYTE(w) ((BYTE)(((w) >> 8) & 0xff))
#endif
#define MAKELONG(lo, hi) ((LONG)(((WORD)((DWORD_PTR)(lo) & 0xffff)) | ((DWORD)((WORD)((DWORD_PTR)(hi) & 0xffff))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l) & 0xffff))
#define HIWORD(l) ((WORD)(((DWORD_PTR)(l) >> 16) & 0xffff))

#ifdef __cplusplus
}
#endif

#endif /* !_WIN32 */

#endif /* PORTSOCK_WINTYPES_SHIM_H */
