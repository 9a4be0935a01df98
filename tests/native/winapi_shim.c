/*
 * winapi_shim.c - the shim's Windows names, run: Win64's type sizes, Windows'
 * in_addr (S_un), GetLastError/WSAGetLastError as one value, FormatMessageA,
 * Sleep and GetTickCount, threads and their handles, the memory macros.
 *
 * Plain Windows C (also valid C++), built unchanged (tests/test_shim.py):
 *   gcc, clang (ASan+UBSan) and g++ -std=c++17, -Wall -Wextra -Werror,
 *       -Icsrc/include/portsock -Icsrc  (+ the core)
 *   x86_64-w64-mingw32-gcc ... -lws2_32, run under Wine
 * Each line is the same in every build, except FormatMessageA's text, where
 * Wine 8 has its own (tests/parity/wine_differences.py).
 *
 * Prints one line per check; exits 0 (1 if the sockets cannot be set up).
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <string.h>

#define SHOW(label, value) printf("%s: %lu\n", label, (unsigned long)(value))
#define SIZE(type) printf("sizeof(%s) %u\n", #type, (unsigned)sizeof(type))
/* A call that fails: its value, and the last error it set. */
#define FAILS(label, value)                          \
    do {                                             \
        SetLastError(0xdead);                        \
        SHOW(label, value);                          \
        SHOW("  last error", GetLastError());        \
    } while (0)

/* A thread's go-ahead, set by main, polled by the thread (Sleep between). */
static volatile LONG release_first, release_second;
static volatile DWORD first_thread_id;
static volatile LONG second_done;

static DWORD WINAPI held_thread(LPVOID arg)
{
    volatile LONG *release = (volatile LONG *)arg;
    int i;
    first_thread_id = GetCurrentThreadId();
    SetLastError(77);      /* this thread's own last error */
    for (i = 0; i < 2000 && !*release; i++)
        Sleep(5);
    return GetLastError() == 77 ? 42 : 1;
}

static DWORD WINAPI closed_thread(LPVOID arg)
{
    (void)arg;
    while (!release_second)
        Sleep(5);
    second_done = 1;
    return 0;
}

static void escaped(const char *text)
{
    for (; *text; text++) {
        if (*text == '\r')
            printf("\\r");
        else if (*text == '\n')
            printf("\\n");
        else
            putchar(*text);
    }
}

static const DWORD SYSTEM = FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;

static void message(DWORD code)
{
    char text[512];
    DWORD n;
    SetLastError(0xdead);
    n = FormatMessageA(SYSTEM, NULL, code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), text, sizeof text, NULL);
    if (n == 0) {
        printf("FormatMessageA(%lu) = 0, last error %lu\n", (unsigned long)code, (unsigned long)GetLastError());
        return;
    }
    printf("FormatMessageA(%lu) = strlen %d, \"", (unsigned long)code, n == strlen(text));
    escaped(text);
    printf("\"\n");
}

static void sizes(void)
{
    SIZE(BYTE);
    SIZE(WORD);
    SIZE(DWORD);
    SIZE(BOOL);
    SIZE(BOOLEAN);
    SIZE(CHAR);
    SIZE(UCHAR);
    SIZE(SHORT);
    SIZE(USHORT);
    SIZE(INT);
    SIZE(UINT);
    SIZE(LONG);
    SIZE(ULONG);
    SIZE(LONGLONG);
    SIZE(ULONGLONG);
    SIZE(DWORD64);
    SIZE(INT_PTR);
    SIZE(UINT_PTR);
    SIZE(LONG_PTR);
    SIZE(ULONG_PTR);
    SIZE(DWORD_PTR);
    SIZE(SIZE_T);
    SIZE(LPVOID);
    SIZE(LPCVOID);
    SIZE(LPSTR);
    SIZE(LPCWSTR);
    SIZE(HANDLE);
    SIZE(HLOCAL);
    SIZE(HMODULE);
    SIZE(LPDWORD);
    SIZE(LPINT);
    SIZE(LPBYTE);
    SIZE(SOCKET);
    SIZE(IN_ADDR);
    SIZE(struct in_addr);
    SIZE(SOCKADDR_IN);
    SIZE(SOCKADDR_IN6);
    SIZE(SOCKADDR_STORAGE);
    SIZE(PSOCKADDR_STORAGE);
    SIZE(LPSOCKADDR_STORAGE);
    SIZE(PADDRINFOA);
    SIZE(LINGER);
    SIZE(WSAPOLLFD);
    SIZE(fd_set);
    SIZE(SECURITY_ATTRIBUTES);
    SHOW("LONG is signed", (LONG)-1 < 0);
    SHOW("ULONG is unsigned", (ULONG)-1 > 0);
    SHOW("DWORD is unsigned", (DWORD)-1 > 0);
    SHOW("LONG_PTR is signed", (LONG_PTR)-1 < 0);
    SHOW("SIZE_T is unsigned", (SIZE_T)-1 > 0);
    SHOW("NO_ERROR", NO_ERROR);
    SHOW("ERROR_SUCCESS", ERROR_SUCCESS);
    SHOW("INVALID_HANDLE_VALUE is -1", INVALID_HANDLE_VALUE == (HANDLE)(LONG_PTR)-1);
    SHOW("MAKEWORD(2, 2)", MAKEWORD(2, 2));
    SHOW("LOBYTE, HIBYTE", (DWORD)LOBYTE(0x1234) << 8 | HIBYTE(0x1234));
    SHOW("MAKELONG(1, 2)", MAKELONG(1, 2));
    SHOW("LOWORD, HIWORD", (DWORD)LOWORD(0x12345678) << 16 | HIWORD(0x12345678));
    SHOW("MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT)", MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT));
    SHOW("INFINITE", INFINITE);
    SHOW("WAIT_OBJECT_0", WAIT_OBJECT_0);
    SHOW("WAIT_TIMEOUT", WAIT_TIMEOUT);
    SHOW("WAIT_FAILED", WAIT_FAILED);
    SHOW("STILL_ACTIVE", STILL_ACTIVE);
    SHOW("MAXIMUM_WAIT_OBJECTS", MAXIMUM_WAIT_OBJECTS);
    SHOW("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE);
    SHOW("ERROR_INSUFFICIENT_BUFFER", ERROR_INSUFFICIENT_BUFFER);
    SHOW("ERROR_MR_MID_NOT_FOUND", ERROR_MR_MID_NOT_FOUND);
}

static int addresses(void)
{
    SOCKADDR_IN a, bound, peer;
    IN_ADDR b;
    SOCKET listener, client, server;
    int len = sizeof bound;
    char text[INET_ADDRSTRLEN], buf[8];

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = inet_addr("192.168.1.2");
    printf("S_un_b: %u %u %u %u\n", a.sin_addr.S_un.S_un_b.s_b1, a.sin_addr.S_un.S_un_b.s_b2,
           a.sin_addr.S_un.S_un_b.s_b3, a.sin_addr.S_un.S_un_b.s_b4);
    printf("s_net s_host s_lh s_impno: %u %u %u %u\n", a.sin_addr.s_net, a.sin_addr.s_host, a.sin_addr.s_lh,
           a.sin_addr.s_impno);
    printf("S_un_w: %#x %#x, s_imp %#x\n", a.sin_addr.S_un.S_un_w.s_w1, a.sin_addr.S_un.S_un_w.s_w2,
           a.sin_addr.s_imp);
    SHOW("s_addr is S_un.S_addr", a.sin_addr.s_addr == a.sin_addr.S_un.S_addr);
    SHOW("inet_addr of a bad address is INADDR_NONE", inet_addr("1.2.3.x") == INADDR_NONE);

    b.S_un.S_addr = htonl(INADDR_LOOPBACK);
    printf("inet_ntop of S_un.S_addr = htonl(INADDR_LOOPBACK): %s\n",
           inet_ntop(AF_INET, &b, text, sizeof text));
    SHOW("inet_pton into sin_addr", inet_pton(AF_INET, "10.1.2.3", &a.sin_addr));
    printf("S_un_b after inet_pton: %u %u %u %u\n", a.sin_addr.S_un.S_un_b.s_b1, a.sin_addr.s_host,
           a.sin_addr.s_lh, a.sin_addr.s_impno);
    printf("inet_ntoa: %s\n", inet_ntoa(a.sin_addr));

    /* A connection made with those addresses. */
    listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (listener == INVALID_SOCKET || client == INVALID_SOCKET)
        return 1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.S_un.S_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (SOCKADDR *)&a, sizeof a) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (SOCKADDR *)&bound, &len) != 0)
        return 1;
    printf("bound to: %u.%u.%u.%u\n", bound.sin_addr.s_net, bound.sin_addr.s_host, bound.sin_addr.s_lh,
           bound.sin_addr.s_impno);
    peer = bound;
    peer.sin_addr.s_addr = inet_addr("127.0.0.1");
    SHOW("connect", connect(client, (SOCKADDR *)&peer, sizeof peer));
    server = accept(listener, NULL, NULL);
    SHOW("send", send(client, "hello", 5, 0));
    SHOW("recv", recv(server, buf, sizeof buf, 0));
    closesocket(server);
    closesocket(client);
    closesocket(listener);
    return 0;
}

static void last_error(void)
{
    SetLastError(1234);
    SHOW("SetLastError(1234), then WSAGetLastError", WSAGetLastError());
    WSASetLastError(10054);
    SHOW("WSASetLastError(10054), then GetLastError", GetLastError());
    SHOW("closesocket(INVALID_SOCKET)", closesocket(INVALID_SOCKET) == SOCKET_ERROR);
    SHOW("then GetLastError", GetLastError());
}

static void messages(void)
{
    static const DWORD codes[] = {10054, 10061, 10060, 11001, 10035, 10038, 10093, 0, 6, 87};
    char text[512], small[10];
    LPSTR allocated = NULL;
    DWORD n, i;

    for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
        message(codes[i]);

    n = FormatMessageA(SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER, NULL, 10054, 0, (LPSTR)&allocated, 0, NULL);
    SHOW("ALLOCATE_BUFFER: a buffer", allocated != NULL);
    SHOW("ALLOCATE_BUFFER: its length", allocated != NULL && n == strlen(allocated));
    SHOW("ALLOCATE_BUFFER: ends in CRLF", allocated != NULL && n >= 2 && strcmp(allocated + n - 2, "\r\n") == 0);
    SHOW("LocalFree returns NULL", LocalFree(allocated) == NULL);
    SHOW("LocalFree(NULL) returns NULL", LocalFree(NULL) == NULL);

    SHOW("nSize n + 1", FormatMessageA(SYSTEM, NULL, 10054, 0, text, n + 1, NULL) == n);
    FAILS("nSize n", FormatMessageA(SYSTEM, NULL, 10054, 0, text, n, NULL));
    FAILS("nSize 10", FormatMessageA(SYSTEM, NULL, 10054, 0, small, sizeof small, NULL));
    FAILS("unknown code 99999", FormatMessageA(SYSTEM, NULL, 99999, 0, text, sizeof text, NULL));
    allocated = (LPSTR)text;
    FAILS("unknown code, ALLOCATE_BUFFER",
          FormatMessageA(SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER, NULL, 99999, 0, (LPSTR)&allocated, 0, NULL));
    SHOW("  the pointer set to NULL", allocated == NULL);
    FAILS("no FROM_SYSTEM", FormatMessageA(FORMAT_MESSAGE_IGNORE_INSERTS, NULL, 10054, 0, text, sizeof text, NULL));
    SHOW("without IGNORE_INSERTS", FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 10054, 0, text, sizeof text, NULL) == n);
    n = FormatMessageA(SYSTEM | FORMAT_MESSAGE_MAX_WIDTH_MASK, NULL, 10054, 0, text, sizeof text, NULL);
    SHOW("MAX_WIDTH_MASK: no line break", n > 0 && strchr(text, '\r') == NULL && strchr(text, '\n') == NULL);
    SHOW("MAX_WIDTH_MASK: ends in a space", n > 0 && text[n - 1] == ' ');
}

static void time_calls(void)
{
    ULONGLONG t0, t1, previous;
    DWORD tick;
    int i, monotonic = 1;

    t0 = GetTickCount64();
    Sleep(100);
    t1 = GetTickCount64();
    /* Windows' tick is 10-16 ms; the upper bound leaves room for a loaded machine. */
    SHOW("Sleep(100): 75 <= ms < 5000", t1 - t0 >= 75 && t1 - t0 < 5000);
    Sleep(0);
    previous = GetTickCount64();
    for (i = 0; i < 100000; i++) {
        ULONGLONG now = GetTickCount64();
        if (now < previous)
            monotonic = 0;
        previous = now;
    }
    SHOW("GetTickCount64 never goes back", monotonic);
    tick = GetTickCount();
    t0 = GetTickCount64();
    SHOW("GetTickCount is GetTickCount64's low 32 bits", (DWORD)((DWORD)t0 - tick) < 100);
}

static void threads(void)
{
    HANDLE h, h2, pair[2], forged = (HANDLE)(UINT_PTR)0x123450;
    DWORD id = 0, code = 0;
    ULONGLONG t0;
    int i;

    h = CreateThread(NULL, 0, held_thread, (LPVOID)&release_first, 0, &id);
    SHOW("CreateThread", h != NULL);
    SHOW("  its id is not 0", id != 0);
    SHOW("  nor this thread's", id != GetCurrentThreadId());
    t0 = GetTickCount64();
    SHOW("WaitForSingleObject 50 ms on a running thread", WaitForSingleObject(h, 50));
    SHOW("  waited at least 30 ms", GetTickCount64() - t0 >= 30);
    SHOW("WaitForSingleObject 0 ms", WaitForSingleObject(h, 0));
    SHOW("GetExitCodeThread while it runs", GetExitCodeThread(h, &code));
    SHOW("  exit code", code);
    SetLastError(5);
    release_first = 1;
    SHOW("WaitForSingleObject INFINITE", WaitForSingleObject(h, INFINITE));
    SHOW("  this thread's last error is its own", GetLastError());
    SHOW("  the thread saw its id", first_thread_id == id);
    SHOW("GetExitCodeThread after", GetExitCodeThread(h, &code));
    SHOW("  exit code", code);
    SHOW("WaitForSingleObject on an ended thread", WaitForSingleObject(h, 0));
    SHOW("CloseHandle", CloseHandle(h));

    FAILS("CloseHandle again", CloseHandle(h));
    FAILS("WaitForSingleObject on a closed handle", WaitForSingleObject(h, 0));
    FAILS("GetExitCodeThread on a closed handle", GetExitCodeThread(h, &code));
    FAILS("CloseHandle(NULL)", CloseHandle(NULL));
    FAILS("WaitForSingleObject(NULL)", WaitForSingleObject(NULL, 0));
    FAILS("GetExitCodeThread(NULL)", GetExitCodeThread(NULL, &code));
    FAILS("CloseHandle of a made-up handle", CloseHandle(forged));
    FAILS("WaitForSingleObject on a made-up handle", WaitForSingleObject(forged, 0));
    SHOW("WaitForSingleObject(GetCurrentProcess(), 10)", WaitForSingleObject(GetCurrentProcess(), 10));
    SHOW("CloseHandle(GetCurrentProcess())", CloseHandle(GetCurrentProcess()));

    /* Closed while it runs: it goes on to the end. */
    h2 = CreateThread(NULL, 0, closed_thread, NULL, 0, NULL);
    SHOW("CreateThread without an id", h2 != NULL);
    SHOW("CloseHandle while it runs", CloseHandle(h2));
    release_second = 1;
    for (i = 0; i < 1000 && !second_done; i++)
        Sleep(5);
    SHOW("  it ran to its end", second_done);

    release_first = 0;
    pair[0] = CreateThread(NULL, 0, held_thread, (LPVOID)&release_first, 0, NULL);
    pair[1] = CreateThread(NULL, 0, held_thread, (LPVOID)&release_second, 0, NULL);
    SHOW("WaitForMultipleObjects, any: the second", WaitForMultipleObjects(2, pair, FALSE, 5000));
    SHOW("WaitForMultipleObjects, all, 10 ms", WaitForMultipleObjects(2, pair, TRUE, 10));
    release_first = 1;
    SHOW("WaitForMultipleObjects, all", WaitForMultipleObjects(2, pair, TRUE, 5000));
    SHOW("WaitForMultipleObjects, any, both ended: the first", WaitForMultipleObjects(2, pair, FALSE, 0));
    FAILS("WaitForMultipleObjects of 0", WaitForMultipleObjects(0, pair, FALSE, 0));
    FAILS("WaitForMultipleObjects of 65", WaitForMultipleObjects(65, pair, FALSE, 0));
    CloseHandle(pair[0]);
    FAILS("WaitForMultipleObjects with a closed handle", WaitForMultipleObjects(2, pair, FALSE, 0));
    SHOW("CloseHandle of the other", CloseHandle(pair[1]));
}

static void memory(void)
{
    char buf[16] = "abcdefghijklmno", copy[16];
    SHOW("SecureZeroMemory returns its pointer", SecureZeroMemory(buf, 4) == (PVOID)buf);
    SHOW("  and zeroes", buf[0] == 0 && buf[3] == 0 && buf[4] == 'e');
    FillMemory(buf, 3, 0xAB);
    SHOW("FillMemory", (BYTE)buf[0] == 0xAB && (BYTE)buf[2] == 0xAB && buf[3] == 0);
    CopyMemory(copy, "0123456789", 11);
    MoveMemory(copy + 2, copy, 8);
    printf("MoveMemory overlapping: %s\n", copy);
    ZeroMemory(copy, sizeof copy);
    SHOW("ZeroMemory", copy[0] == 0 && copy[15] == 0);
}

int main(void)
{
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return 1;
    sizes();
    if (addresses() != 0)
        return 1;
    last_error();
    messages();
    time_calls();
    threads();
    memory();
    WSACleanup();
    printf("done\n");
    return 0;
}
