"""select_server.py - select_server.c on the mirror, line for line.

The client threads are Python threads (CreateThread's place); everything
else is the C program's calls, with the same arguments and results.
"""

import sys
import threading

from portsock import winsock as ws

NUM_CLIENTS = 3
DEFAULT_BUFLEN = 512
MAX_ROUNDS = 100          # select() rounds before the server gives up


class CLIENT_JOB:
    def __init__(self) -> None:
        self.id = 0
        self.server = ws.sockaddr_in()
        self.message = b""
        self.sent = 0
        self.received = 0
        self.reply = bytearray(DEFAULT_BUFLEN)
        self.error = 0        # the WSA code of the first failure, or 0
        self.exitCode = 1


# One client: send a line, half-close, read the echo until the server closes.
def ClientThread(job: CLIENT_JOB) -> None:
    job.exitCode = ClientMain(job)


def ClientMain(job: CLIENT_JOB) -> int:
    ConnectSocket = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    if ConnectSocket == ws.INVALID_SOCKET:
        job.error = ws.WSAGetLastError()
        return 1
    if ws.connect(ConnectSocket, job.server, ws.sizeof(job.server)) == ws.SOCKET_ERROR:
        job.error = ws.WSAGetLastError()
        ws.closesocket(ConnectSocket)
        return 1
    job.sent = ws.send(ConnectSocket, job.message, len(job.message), 0)
    if job.sent == ws.SOCKET_ERROR or ws.shutdown(ConnectSocket, ws.SD_SEND) == ws.SOCKET_ERROR:
        job.error = ws.WSAGetLastError()
        ws.closesocket(ConnectSocket)
        return 1
    while True:
        iResult = ws.recv(ConnectSocket, memoryview(job.reply)[job.received:],
                          DEFAULT_BUFLEN - 1 - job.received, 0)
        if iResult > 0:
            job.received += iResult
        elif iResult == ws.SOCKET_ERROR:
            job.error = ws.WSAGetLastError()
        if not (iResult > 0 and job.received < DEFAULT_BUFLEN - 1):
            break
    ws.closesocket(ConnectSocket)
    return 0 if job.error == 0 else 1


def main() -> int:
    wsaData = ws.WSADATA()
    clients = []
    service = ws.sockaddr_in()
    addrlen = ws.c_int(ws.sizeof(service))
    jobs = [CLIENT_JOB() for _ in range(NUM_CLIENTS)]
    threads = []
    recvbuf = bytearray(DEFAULT_BUFLEN)
    accepted = finished = fins = echoed = 0

    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:
        print("WSAStartup failed with error: %d" % iResult)
        return 1

    ListenSocket = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    if ListenSocket == ws.INVALID_SOCKET:
        print("socket failed with error: %d" % ws.WSAGetLastError())
        ws.WSACleanup()
        return 1
    service.sin_family = ws.AF_INET
    service.sin_addr.s_addr = ws.inet_addr("127.0.0.1")
    service.sin_port = 0      # any free port: the clients learn it below
    if (ws.bind(ListenSocket, service, ws.sizeof(service)) == ws.SOCKET_ERROR
            or ws.getsockname(ListenSocket, service, addrlen) == ws.SOCKET_ERROR
            or ws.listen(ListenSocket, ws.SOMAXCONN) == ws.SOCKET_ERROR):
        print("listening failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ListenSocket)
        ws.WSACleanup()
        return 1
    print("Listening on 127.0.0.1")

    for i in range(NUM_CLIENTS):
        jobs[i].id = i + 1
        jobs[i].server = service
        jobs[i].message = b"hello from client %d" % (i + 1)
        threads.append(threading.Thread(target=ClientThread, args=(jobs[i],)))
        threads[i].start()

    for _round in range(MAX_ROUNDS):
        if finished >= NUM_CLIENTS:
            break
        timeout = ws.TIMEVAL()
        timeout.tv_sec = 5
        timeout.tv_usec = 0
        readfds = ws.fd_set()
        ws.FD_ZERO(readfds)
        if accepted < NUM_CLIENTS:
            ws.FD_SET(ListenSocket, readfds)
        for c in clients:
            ws.FD_SET(c, readfds)

        iResult = ws.select(0, readfds, None, None, timeout)
        if iResult == ws.SOCKET_ERROR:
            print("select failed with error: %d" % ws.WSAGetLastError())
            break
        if iResult == 0:
            print("select timed out")
            break

        if ws.FD_ISSET(ListenSocket, readfds):
            ClientSocket = ws.accept(ListenSocket, None, None)
            if ClientSocket == ws.INVALID_SOCKET:
                print("accept failed with error: %d" % ws.WSAGetLastError())
                break
            clients.append(ClientSocket)
            accepted += 1

        # select() kept only the ready sockets: walk what is left.
        for n in range(readfds.fd_count):
            s = readfds.fd_array[n]
            if s == ListenSocket:
                continue
            iResult = ws.recv(s, recvbuf, DEFAULT_BUFLEN, 0)
            if iResult > 0:
                sent = ws.send(s, recvbuf, iResult, 0)
                if sent == ws.SOCKET_ERROR:
                    print("send failed with error: %d" % ws.WSAGetLastError())
                else:
                    echoed += sent
                continue
            if iResult == 0:
                fins += 1     # the client is done sending: close our side too
            else:
                print("recv failed with error: %d" % ws.WSAGetLastError())
            ws.closesocket(s)
            finished += 1
            clients.remove(s)

    print("Accepted %d connections" % accepted)
    print("Echoed %d bytes" % echoed)
    print("Clients that closed with a FIN: %d" % fins)

    for c in clients:
        ws.closesocket(c)
    ws.closesocket(ListenSocket)

    for i in range(NUM_CLIENTS):
        threads[i].join(10.0)
        if threads[i].is_alive():
            print("client %d did not finish" % jobs[i].id)
        elif jobs[i].exitCode != 0:
            print("client %d failed with error: %d" % (jobs[i].id, jobs[i].error))
        else:
            print("client %d: sent %d, received %d: %s" % (
                jobs[i].id, jobs[i].sent, jobs[i].received,
                jobs[i].reply[:jobs[i].received].decode()))

    ws.WSACleanup()
    return 0 if fins == NUM_CLIENTS else 1


if __name__ == "__main__":
    sys.exit(main())
