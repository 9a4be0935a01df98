"""gethostbyname_client.py - gethostbyname_client.c on the mirror, line for line.

usage: python gethostbyname_client.py host port
"""

import sys

from portsock import winsock as ws

REQUEST = b"GET /index.html"


def main(argv: list) -> int:
    wsaData = ws.WSADATA()
    reply = bytearray(1024)
    total = 0

    if len(argv) != 3:
        print("usage: %s host port" % argv[0])
        return 1
    if ws.WSAStartup(ws.MAKEWORD(1, 1), wsaData) != 0:
        print("WSAStartup failed: %d" % ws.WSAGetLastError())
        return 1
    print("Winsock version %d.%d" % (ws.LOBYTE(wsaData.wVersion), ws.HIBYTE(wsaData.wVersion)))

    remoteHost = ws.gethostbyname(argv[1])
    if remoteHost is None:
        dwError = ws.WSAGetLastError()
        if dwError == ws.WSAHOST_NOT_FOUND:
            print("Host not found")
        elif dwError == ws.WSANO_DATA:
            print("No data record found")
        else:
            print("gethostbyname failed with error: %ld" % dwError)
        ws.WSACleanup()
        return 1
    print("Official name: %s" % remoteHost.h_name)
    for i, alias in enumerate(remoteHost.h_aliases):
        print("Alternate name #%d: %s" % (i + 1, alias))
    print("Address type: %s" % ("AF_INET" if remoteHost.h_addrtype == ws.AF_INET else "other"))
    print("Address length: %d" % remoteHost.h_length)

    addr = ws.sockaddr_in()
    addr.sin_family = ws.AF_INET
    addr.sin_addr.S_un.S_addr = remoteHost.h_addr_list[0].s_addr
    addr.sin_port = ws.htons(int(argv[2]))
    print("First IP Address: %s" % ws.inet_ntoa(addr.sin_addr))

    sock = ws.socket(ws.AF_INET, ws.SOCK_STREAM, 0)
    if sock == ws.INVALID_SOCKET:
        print("socket failed: %d" % ws.WSAGetLastError())
        ws.WSACleanup()
        return 1
    if ws.connect(sock, addr, ws.sizeof(addr)) == ws.SOCKET_ERROR:
        print("connect failed: %d" % ws.WSAGetLastError())
        ws.closesocket(sock)
        ws.WSACleanup()
        return 1
    if ws.send(sock, REQUEST, len(REQUEST), 0) == ws.SOCKET_ERROR:
        print("send failed: %d" % ws.WSAGetLastError())
        ws.closesocket(sock)
        ws.WSACleanup()
        return 1
    ws.shutdown(sock, ws.SD_SEND)

    while total < len(reply) - 1:
        n = ws.recv(sock, memoryview(reply)[total:], len(reply) - 1 - total, 0)
        if n <= 0:
            break
        total += n
    print("Received %d bytes: %s" % (total, reply[:total].decode()))

    ws.closesocket(sock)
    ws.WSACleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
