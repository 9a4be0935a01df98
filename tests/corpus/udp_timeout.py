"""udp_timeout.py - udp_timeout.c on the mirror, line for line.

GetTickCount() is time.monotonic() in milliseconds here.
"""

import sys
import time

from portsock import winsock as ws

RECV_TIMEOUT_MS = 300


def GetTickCount() -> int:
    return int(time.monotonic() * 1000) & 0xFFFFFFFF


def main() -> int:
    wsaData = ws.WSADATA()
    timeout = ws.DWORD(RECV_TIMEOUT_MS)
    readBack = ws.DWORD(0)
    optLen = ws.c_int(4)
    buf = bytearray(64)
    exitCode = 1

    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:  # NO_ERROR
        print("WSAStartup failed with error: %d" % iResult)
        return 1

    server = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
    client = ws.socket(ws.AF_INET, ws.SOCK_DGRAM, ws.IPPROTO_UDP)
    if server == ws.INVALID_SOCKET or client == ws.INVALID_SOCKET:
        print("socket failed with error: %d" % ws.WSAGetLastError())
        ws.WSACleanup()
        return 1

    while True:   # the C program's `goto cleanup` is a break out of this
        serverAddr = ws.sockaddr_in()
        serverAddr.sin_family = ws.AF_INET
        ws.inet_pton(ws.AF_INET, "127.0.0.1", serverAddr.sin_addr)
        addrLen = ws.c_int(ws.sizeof(serverAddr))
        if (ws.bind(server, serverAddr, ws.sizeof(serverAddr)) == ws.SOCKET_ERROR
                or ws.getsockname(server, serverAddr, addrLen) == ws.SOCKET_ERROR):
            print("bind failed with error: %d" % ws.WSAGetLastError())
            break

        iResult = ws.setsockopt(server, ws.SOL_SOCKET, ws.SO_RCVTIMEO, timeout, 4)
        if iResult == ws.SOCKET_ERROR:
            print("setsockopt(SO_RCVTIMEO) failed with error: %d" % ws.WSAGetLastError())
            break
        iResult = ws.getsockopt(server, ws.SOL_SOCKET, ws.SO_RCVTIMEO, readBack, optLen)
        print("getsockopt(SO_RCVTIMEO): %d, %lu ms, length %d" % (iResult, readBack.value, optLen.value))

        # Nothing has been sent: this waits the whole timeout.
        started = GetTickCount()
        from_ = ws.sockaddr_in()
        fromLen = ws.c_int(ws.sizeof(from_))
        iResult = ws.recvfrom(server, buf, len(buf), 0, from_, fromLen)
        waited = (GetTickCount() - started) & 0xFFFFFFFF
        if iResult == ws.SOCKET_ERROR:
            print("recvfrom failed with error: %d" % ws.WSAGetLastError())
        else:
            print("recvfrom returned %d" % iResult)
        # GetTickCount ticks in 10-16 ms steps: allow one step short.
        print("waited out the timeout: %s" % ("yes" if waited + 20 >= RECV_TIMEOUT_MS else "no"))

        iResult = ws.sendto(client, b"ping", 4, 0, serverAddr, ws.sizeof(serverAddr))
        print("sendto: %d bytes" % iResult)

        fromLen = ws.c_int(ws.sizeof(from_))
        iResult = ws.recvfrom(server, buf, len(buf) - 1, 0, from_, fromLen)
        if iResult == ws.SOCKET_ERROR:
            print("recvfrom failed with error: %d" % ws.WSAGetLastError())
            break
        fromText = ws.inet_ntop(ws.AF_INET, from_.sin_addr)
        print("server received %d bytes from %s: %s" % (iResult, fromText, buf[:iResult].decode()))

        # Answer the address the datagram came from.
        iResult = ws.sendto(server, b"pong", 4, 0, from_, fromLen.value)
        print("sendto: %d bytes" % iResult)

        timeout = ws.DWORD(5000)
        ws.setsockopt(client, ws.SOL_SOCKET, ws.SO_RCVTIMEO, timeout, 4)
        iResult = ws.recv(client, buf, len(buf) - 1, 0)
        if iResult == ws.SOCKET_ERROR:
            print("recv failed with error: %d" % ws.WSAGetLastError())
            break
        print("client received %d bytes: %s" % (iResult, buf[:iResult].decode()))
        exitCode = 0
        break

    # cleanup:
    ws.closesocket(client)
    ws.closesocket(server)
    ws.WSACleanup()
    return exitCode


if __name__ == "__main__":
    sys.exit(main())
