"""format_message.py - format_message.c on the mirror, line for line.

The mirror has no FormatMessageA (it is Windows' kernel32, not Winsock): the
message is portsock.WinsockError's strerror, which is the same text from the
core's one table (csrc/errmap.c), without the CRLF; a code that table does
not know is FormatMessage's failure, ERROR_MR_MID_NOT_FOUND (317).
"""

import sys

import portsock
from portsock import winsock as ws

ERROR_MR_MID_NOT_FOUND = 317


def PrintError(what: str, code: int) -> None:
    error = portsock.WinsockError(code)
    if error.name == "WSA error":      # no message for this code
        print("%s: error %d (FormatMessage failed with error %lu)" % (what, code, ERROR_MR_MID_NOT_FOUND))
        return
    print("%s: error %d: %s" % (what, code, error.strerror.rstrip("\r\n ")))


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
