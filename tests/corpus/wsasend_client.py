"""wsasend_client.py - wsasend_client.c on the mirror, line for line.

usage: python wsasend_client.py host port
"""

import sys

from portsock import winsock as ws

HEAD_LEN = 8
TAIL_LEN = 120


def main(argv: list) -> int:
    wsaData = ws.WSADATA()
    result: list = []
    s = ws.INVALID_SOCKET
    header, body, trailer = bytearray(b"LEN=11;"), bytearray(b"hello world"), bytearray(b"\r\n")
    head, tail, reply = bytearray(HEAD_LEN), bytearray(TAIL_LEN), bytearray()
    bytesSent, bytesRecvd, flags = ws.DWORD(0), ws.DWORD(0), ws.DWORD(0)
    total, exitCode = 0, 1

    if len(argv) != 3:
        print("usage: %s host port" % argv[0])
        return 1
    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:
        print("WSAStartup failed: %d" % iResult)
        return 1

    hints = ws.ADDRINFOA()
    hints.ai_family = ws.AF_INET
    hints.ai_socktype = ws.SOCK_STREAM
    hints.ai_protocol = ws.IPPROTO_TCP
    iResult = ws.getaddrinfo(argv[1], argv[2], hints, result)
    if iResult != 0:
        print("getaddrinfo failed: %d" % iResult)
        ws.WSACleanup()
        return 1
    for ptr in result:
        if s != ws.INVALID_SOCKET:
            break
        s = ws.socket(ptr.ai_family, ptr.ai_socktype, ptr.ai_protocol)
        if s != ws.INVALID_SOCKET and ws.connect(s, ptr.ai_addr, ptr.ai_addrlen) == ws.SOCKET_ERROR:
            ws.closesocket(s)
            s = ws.INVALID_SOCKET
    ws.freeaddrinfo(result)
    if s == ws.INVALID_SOCKET:
        print("Unable to connect to server!")
        ws.WSACleanup()
        return 1

    out = [ws.WSABUF(len(header), header), ws.WSABUF(len(body), body), ws.WSABUF(len(trailer), trailer)]
    while True:   # the C program's `goto done` is a break out of this
        if ws.WSASend(s, out, 3, bytesSent, 0, None, None) == ws.SOCKET_ERROR:
            print("WSASend failed with error: %d" % ws.WSAGetLastError())
            break
        print("WSASend: %lu bytes from 3 buffers" % bytesSent.value)

        if ws.shutdown(s, ws.SD_SEND) == ws.SOCKET_ERROR:
            print("shutdown failed with error: %d" % ws.WSAGetLastError())
            break

        # Until the server closes: each WSARecv fills head first, then tail.
        failed = False
        for _calls in range(100):
            in_ = [ws.WSABUF(len(head), head), ws.WSABUF(len(tail), tail)]
            flags.value = 0
            if ws.WSARecv(s, in_, 2, bytesRecvd, flags, None, None) == ws.SOCKET_ERROR:
                print("WSARecv failed with error: %d" % ws.WSAGetLastError())
                failed = True
                break
            if bytesRecvd.value == 0:
                print("WSARecv: 0 bytes, flags %lu: connection closed" % flags.value)
                break
            if total + bytesRecvd.value > HEAD_LEN + TAIL_LEN:
                break
            # Scattered in order: the first HEAD_LEN bytes in head, the rest in tail.
            reply += head[:min(bytesRecvd.value, HEAD_LEN)]
            if bytesRecvd.value > HEAD_LEN:
                reply += tail[:bytesRecvd.value - HEAD_LEN]
            total += bytesRecvd.value
        if failed:
            break
        text = reply[:total]
        if total > 0 and text.endswith(b"\n"):
            text = text[:total - 2]
        print("received %d bytes in all: %s" % (total, text.decode()))
        exitCode = 0 if total == bytesSent.value else 1
        break

    # done:
    ws.closesocket(s)
    ws.WSACleanup()
    return exitCode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
