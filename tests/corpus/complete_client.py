"""complete_client.py - complete_client.c on the mirror, line for line.

usage: python complete_client.py server-name port [message]
"""

import sys

from portsock import winsock as ws

DEFAULT_BUFLEN = 512


def ConnectToServer(host: str, port: str) -> int:
    result: list = []
    ConnectSocket = ws.INVALID_SOCKET

    hints = ws.ADDRINFOA()
    hints.ai_family = ws.AF_UNSPEC
    hints.ai_socktype = ws.SOCK_STREAM
    hints.ai_protocol = ws.IPPROTO_TCP

    iResult = ws.getaddrinfo(host, port, hints, result)
    if iResult != 0:
        print("getaddrinfo failed with error: %d" % iResult)
        return ws.INVALID_SOCKET

    # Attempt to connect to an address until one succeeds
    for ptr in result:
        ConnectSocket = ws.socket(ptr.ai_family, ptr.ai_socktype, ptr.ai_protocol)
        if ConnectSocket == ws.INVALID_SOCKET:
            print("socket failed with error: %ld" % ws.WSAGetLastError())
            break
        iResult = ws.connect(ConnectSocket, ptr.ai_addr, ptr.ai_addrlen)
        if iResult != ws.SOCKET_ERROR:
            break
        ws.closesocket(ConnectSocket)
        ConnectSocket = ws.INVALID_SOCKET

    ws.freeaddrinfo(result)
    return ConnectSocket


def main(argv: list) -> int:
    wsaData = ws.WSADATA()
    sendbuf = argv[3].encode() if len(argv) > 3 else b"this is a test"
    recvbuf = bytearray(DEFAULT_BUFLEN)
    recvbuflen = DEFAULT_BUFLEN

    # Validate the parameters
    if len(argv) < 3:
        print("usage: %s server-name port [message]" % argv[0])
        return 1

    # Initialize Winsock
    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:
        print("WSAStartup failed with error: %d" % iResult)
        return 1

    ConnectSocket = ConnectToServer(argv[1], argv[2])
    if ConnectSocket == ws.INVALID_SOCKET:
        print("Unable to connect to server!")
        ws.WSACleanup()
        return 1

    # Send an initial buffer
    iResult = ws.send(ConnectSocket, sendbuf, len(sendbuf), 0)
    if iResult == ws.SOCKET_ERROR:
        print("send failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ConnectSocket)
        ws.WSACleanup()
        return 1
    print("Bytes Sent: %ld" % iResult)

    # shutdown the connection since no more data will be sent
    iResult = ws.shutdown(ConnectSocket, ws.SD_SEND)
    if iResult == ws.SOCKET_ERROR:
        print("shutdown failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ConnectSocket)
        ws.WSACleanup()
        return 1

    # Receive until the peer closes the connection
    while True:
        iResult = ws.recv(ConnectSocket, recvbuf, recvbuflen, 0)
        if iResult > 0:
            print("Bytes received: %d" % iResult)
        elif iResult == 0:
            print("Connection closed")
        else:
            print("recv failed with error: %d" % ws.WSAGetLastError())
        if not iResult > 0:
            break

    # cleanup
    ws.closesocket(ConnectSocket)
    ws.WSACleanup()

    return 0 if iResult == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
