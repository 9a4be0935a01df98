"""nonblocking_connect.py - nonblocking_connect.c on the mirror, line for line."""

import sys

from portsock import winsock as ws

CONNECT_TIMEOUT_MS = 5000


# Returns 0 once connected within timeoutMs, else the Winsock error code.
def ConnectWithTimeout(s: int, addr: ws.sockaddr_in, timeoutMs: int) -> int:
    iMode = ws.u_long(1)
    err, errlen = ws.DWORD(0), ws.c_int(4)

    iResult = ws.ioctlsocket(s, ws.FIONBIO, iMode)
    if iResult != 0:  # NO_ERROR
        return ws.WSAGetLastError()

    if ws.connect(s, addr, ws.sizeof(addr)) == ws.SOCKET_ERROR:
        iResult = ws.WSAGetLastError()
        if iResult != ws.WSAEWOULDBLOCK:
            return iResult
        print("connect: WSAEWOULDBLOCK, waiting in select")

    writefds, exceptfds = ws.fd_set(), ws.fd_set()
    ws.FD_ZERO(writefds)
    ws.FD_ZERO(exceptfds)
    ws.FD_SET(s, writefds)
    ws.FD_SET(s, exceptfds)
    tv = ws.TIMEVAL()
    tv.tv_sec = timeoutMs // 1000
    tv.tv_usec = (timeoutMs % 1000) * 1000

    iResult = ws.select(0, None, writefds, exceptfds, tv)
    if iResult == ws.SOCKET_ERROR:
        return ws.WSAGetLastError()
    if iResult == 0:
        return ws.WSAETIMEDOUT
    print("select: %d ready, writefds %u, exceptfds %u" % (iResult, writefds.fd_count,
                                                         exceptfds.fd_count))
    if ws.FD_ISSET(s, exceptfds):
        if ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_ERROR, err, errlen) == ws.SOCKET_ERROR:
            return ws.WSAGetLastError()
        return err.value

    # Connected: back to blocking mode for the rest of the program.
    iMode = ws.u_long(0)
    if ws.ioctlsocket(s, ws.FIONBIO, iMode) != 0:  # NO_ERROR
        return ws.WSAGetLastError()
    return 0


def TryPort(label: str, addr: ws.sockaddr_in) -> int:
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)

    if s == ws.INVALID_SOCKET:
        print("socket failed with error: %d" % ws.WSAGetLastError())
        return 1
    print("%s port:" % label)
    err = ConnectWithTimeout(s, addr, CONNECT_TIMEOUT_MS)
    if err == 0:
        print("connected")
    else:
        print("connect failed with error: %d" % err)
    ws.closesocket(s)
    return err


def main() -> int:
    wsaData = ws.WSADATA()

    if ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData) != 0:
        print("WSAStartup failed")
        return 1

    # An open port: a listener on any free port.
    openAddr = ws.sockaddr_in()
    openAddr.sin_family = ws.AF_INET
    openAddr.sin_addr.s_addr = ws.htonl(ws.INADDR_LOOPBACK)
    ListenSocket = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    length = ws.c_int(ws.sizeof(openAddr))
    if (ListenSocket == ws.INVALID_SOCKET
            or ws.bind(ListenSocket, openAddr, ws.sizeof(openAddr)) == ws.SOCKET_ERROR
            or ws.getsockname(ListenSocket, openAddr, length) == ws.SOCKET_ERROR
            or ws.listen(ListenSocket, 1) == ws.SOCKET_ERROR):
        print("listener failed with error: %d" % ws.WSAGetLastError())
        ws.WSACleanup()
        return 1

    # A closed port: one that was bound a moment ago and is free again.
    closedAddr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(openAddr.sin_addr.s_addr))
    Unused = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    length = ws.c_int(ws.sizeof(closedAddr))
    if (Unused == ws.INVALID_SOCKET
            or ws.bind(Unused, closedAddr, ws.sizeof(closedAddr)) == ws.SOCKET_ERROR
            or ws.getsockname(Unused, closedAddr, length) == ws.SOCKET_ERROR):
        print("bind failed with error: %d" % ws.WSAGetLastError())
        ws.WSACleanup()
        return 1
    ws.closesocket(Unused)

    openResult = TryPort("open", openAddr)
    closedResult = TryPort("closed", closedAddr)

    ws.closesocket(ListenSocket)
    ws.WSACleanup()
    return 0 if openResult == 0 and closedResult == ws.WSAECONNREFUSED else 1


if __name__ == "__main__":
    sys.exit(main())
