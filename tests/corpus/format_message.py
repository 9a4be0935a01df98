"""format_message.py - format_message.c on the mirror, line for line.

FormatMessageA with FORMAT_MESSAGE_ALLOCATE_BUFFER fills an LPSTR (C's
`(LPSTR)&text`) with the system's message, and LocalFree releases it.
"""

import sys

from portsock import winsock as ws


def PrintError(what: str, code: int) -> None:
    text = ws.LPSTR()
    length = ws.FormatMessageA(ws.FORMAT_MESSAGE_FROM_SYSTEM | ws.FORMAT_MESSAGE_ALLOCATE_BUFFER |
                               ws.FORMAT_MESSAGE_IGNORE_INSERTS,
                               None, code, ws.MAKELANGID(ws.LANG_NEUTRAL, ws.SUBLANG_DEFAULT),
                               text, 0, None)
    if length == 0:
        print("%s: error %d (FormatMessage failed with error %lu)" % (what, code, ws.GetLastError()))
        return
    print("%s: error %d: %s" % (what, code, text.value.rstrip(b"\r\n ").decode()))
    ws.LocalFree(text)


def main() -> int:
    codes = [
        ws.WSAEINTR, ws.WSAEFAULT, ws.WSAEINVAL, ws.WSAEWOULDBLOCK, ws.WSAENOTSOCK, ws.WSAEADDRINUSE,
        ws.WSAECONNABORTED, ws.WSAECONNRESET, ws.WSAENOTCONN, ws.WSAETIMEDOUT, ws.WSAECONNREFUSED,
        ws.WSAHOST_NOT_FOUND, 10099,
    ]
    wsaData = ws.WSADATA()

    # Before WSAStartup every call fails with WSANOTINITIALISED.
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    if s == ws.INVALID_SOCKET:
        PrintError("socket before WSAStartup", ws.WSAGetLastError())

    if ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData) != 0:
        print("WSAStartup failed")
        return 1

    # A handle that was closed is no socket any more.
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    ws.closesocket(s)
    if ws.send(s, b"x", 1, 0) == ws.SOCKET_ERROR:
        PrintError("send on a closed socket", ws.WSAGetLastError())

    # A port that was just free: nobody listens there.
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr = ws.sockaddr_in()
    addr.sin_family = ws.AF_INET
    addr.sin_addr.s_addr = ws.htonl(ws.INADDR_LOOPBACK)
    ws.bind(s, addr, ws.sizeof(addr))
    ws.getsockname(s, addr, ws.c_int(ws.sizeof(addr)))
    ws.closesocket(s)
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    if ws.connect(s, addr, ws.sizeof(addr)) == ws.SOCKET_ERROR:
        PrintError("connect to a closed port", ws.WSAGetLastError())
    ws.closesocket(s)

    for code in codes:
        name = "code %d" % code
        PrintError(name, code)

    ws.WSACleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
