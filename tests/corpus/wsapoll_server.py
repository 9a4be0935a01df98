"""wsapoll_server.py - wsapoll_server.c on the mirror, line for line.

The client threads are Python threads (CreateThread's place).
"""

import sys
import threading

from portsock import winsock as ws

CLIENTS = 4
BUFSIZE = 256
POLL_TIMEOUT_MS = 5000
MAX_POLLS = 100


class client_args:
    def __init__(self) -> None:
        self.server = ws.sockaddr_in()
        self.number = 0
        self.answer = bytearray(BUFSIZE)
        self.answer_len = 0
        self.last_error = 0
        self.exit_code = 1


def client_main(c: client_args) -> None:
    c.exit_code = client_run(c)


def client_run(c: client_args) -> int:
    s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)

    if s == ws.INVALID_SOCKET:
        c.last_error = ws.WSAGetLastError()
        return 1
    line = b"ping %d" % c.number
    if (ws.connect(s, c.server, ws.sizeof(c.server)) != 0
            or ws.send(s, line, len(line), 0) == ws.SOCKET_ERROR
            or ws.shutdown(s, ws.SD_SEND) != 0):
        c.last_error = ws.WSAGetLastError()
        ws.closesocket(s)
        return 1
    while True:
        got = ws.recv(s, memoryview(c.answer)[c.answer_len:], BUFSIZE - 1 - c.answer_len, 0)
        if got <= 0:
            break
        c.answer_len += got
    if got == ws.SOCKET_ERROR:
        c.last_error = ws.WSAGetLastError()
    ws.closesocket(s)
    return 0 if got == 0 else 1


def main() -> int:
    wsa = ws.WSADATA()
    fds = [ws.WSAPOLLFD() for _ in range(1 + CLIENTS)]
    args = [client_args() for _ in range(CLIENTS)]
    workers = []
    addr = ws.sockaddr_in()
    addrlen = ws.c_int(ws.sizeof(addr))
    answered = hangups = done = 0
    buf = bytearray(BUFSIZE)

    if ws.WSAStartup(ws.MAKEWORD(2, 2), wsa):
        print("WSAStartup failed")
        return 1

    addr.sin_family = ws.AF_INET
    addr.sin_addr.s_addr = ws.inet_addr("127.0.0.1")
    fds[0].fd = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    fds[0].events = ws.POLLRDNORM
    nfds = 1
    if (fds[0].fd == ws.INVALID_SOCKET
            or ws.bind(fds[0].fd, addr, ws.sizeof(addr))
            or ws.getsockname(fds[0].fd, addr, addrlen)
            or ws.listen(fds[0].fd, ws.SOMAXCONN)):
        print("listen failed: %d" % ws.WSAGetLastError())
        return 1

    for i in range(CLIENTS):
        args[i].server = addr
        args[i].number = i + 1
        workers.append(threading.Thread(target=client_main, args=(args[i],)))
        workers[i].start()

    for _polls in range(MAX_POLLS):
        if done >= CLIENTS:
            break
        ready = ws.WSAPoll(fds, nfds, POLL_TIMEOUT_MS)
        if ready == ws.SOCKET_ERROR:
            print("WSAPoll failed: %d" % ws.WSAGetLastError())
            break
        if ready == 0:
            print("WSAPoll timed out")
            break
        if (fds[0].revents & ws.POLLRDNORM) and nfds < 1 + CLIENTS:
            client = ws.accept(fds[0].fd, None, None)
            if client == ws.INVALID_SOCKET:
                print("accept failed: %d" % ws.WSAGetLastError())
                break
            fds[nfds].fd = client
            fds[nfds].events = ws.POLLRDNORM
            fds[nfds].revents = 0
            nfds += 1
        n = 1
        while n < nfds:
            if not (fds[n].revents & (ws.POLLRDNORM | ws.POLLHUP | ws.POLLERR)):
                n += 1
                continue
            got = ws.recv(fds[n].fd, buf, len(buf), 0)
            if got > 0:
                buf[:got] = buf[:got].upper()
                got = ws.send(fds[n].fd, buf, got, 0)
                if got == ws.SOCKET_ERROR:
                    print("send failed: %d" % ws.WSAGetLastError())
                else:
                    answered += got
                n += 1
                continue
            if got == 0 and (fds[n].revents & ws.POLLHUP):
                hangups += 1
            elif got == ws.SOCKET_ERROR:
                print("recv failed: %d" % ws.WSAGetLastError())
            ws.closesocket(fds[n].fd)
            done += 1
            nfds -= 1
            # the moved entry is looked at in this pass
            fds[n].fd, fds[n].events, fds[n].revents = fds[nfds].fd, fds[nfds].events, fds[nfds].revents

    print("WSAPoll served %d clients" % done)
    print("bytes answered: %d" % answered)
    print("hang-ups seen as POLLHUP: %d" % hangups)

    for i in range(1, nfds):
        ws.closesocket(fds[i].fd)
    ws.closesocket(fds[0].fd)
    for i in range(CLIENTS):
        workers[i].join(10.0)
        if workers[i].is_alive():
            print("client %d: still running" % (i + 1))
        elif args[i].exit_code == 0:
            print('client %d got "%s"' % (i + 1, args[i].answer[:args[i].answer_len].decode()))
        else:
            print("client %d: error %d" % (i + 1, args[i].last_error))
    ws.WSACleanup()
    return 0 if hangups == CLIENTS else 1


if __name__ == "__main__":
    sys.exit(main())
