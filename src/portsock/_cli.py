"""The command line: Microsoft's complete Winsock client and server samples,
line for line on portsock.winsock, and a demo running both in one process.

Exit codes follow the samples: 0 on success, 1 on any failure (the message
names the failing call and its Winsock code); 2 for a usage error; 130 when
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Callable, List, Optional, TextIO

from portsock import winsock as ws

DEFAULT_BUFLEN = 512
DEFAULT_PORT = "27015"
DEFAULT_MESSAGE = "this is a test"

Printer = Callable[[str], None]


def _printer(stream: TextIO, prefix: str = "") -> Printer:
    lock = threading.Lock()

    def emit(line: str) -> None:
        with lock:
            stream.write(prefix + line + "\n")
            stream.flush()

    return emit


def run_client(server_name: str, port: str = DEFAULT_PORT, message: str = DEFAULT_MESSAGE,
               out: Optional[Printer] = None) -> int:
    """The complete Winsock client: connect, send, shutdown(SD_SEND), receive
    until the server closes, closesocket, WSACleanup."""
    printf = out or _printer(sys.stdout)
    wsaData = ws.WSADATA()
    ConnectSocket = ws.INVALID_SOCKET
    result: List[ws.ADDRINFOA] = []
    sendbuf = message.encode("utf-8")
    recvbuf = bytearray(DEFAULT_BUFLEN)
    recvbuflen = DEFAULT_BUFLEN

    # Initialize Winsock
    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:
        printf("WSAStartup failed with error: %d" % iResult)
        return 1

    hints = ws.ADDRINFOA()
    hints.ai_family = ws.AF_UNSPEC
    hints.ai_socktype = ws.SOCK_STREAM
    hints.ai_protocol = ws.IPPROTO_TCP

    # Resolve the server address and port
    iResult = ws.getaddrinfo(server_name, port, hints, result)
    if iResult != 0:
        printf("getaddrinfo failed with error: %d" % iResult)
        ws.WSACleanup()
        return 1

    # Attempt to connect to an address until one succeeds
    for ptr in result:
        # Create a SOCKET for connecting to server
        ConnectSocket = ws.socket(ptr.ai_family, ptr.ai_socktype, ptr.ai_protocol)
        if ConnectSocket == ws.INVALID_SOCKET:
            printf("socket failed with error: %d" % ws.WSAGetLastError())
            ws.WSACleanup()
            return 1

        # Connect to server.
        iResult = ws.connect(ConnectSocket, ptr.ai_addr, ptr.ai_addrlen)
        if iResult == ws.SOCKET_ERROR:
            ws.closesocket(ConnectSocket)
            ConnectSocket = ws.INVALID_SOCKET
            continue
        break

    ws.freeaddrinfo(result)

    if ConnectSocket == ws.INVALID_SOCKET:
        printf("Unable to connect to server!")
        ws.WSACleanup()
        return 1

    # Send an initial buffer
    iResult = ws.send(ConnectSocket, sendbuf, len(sendbuf), 0)
    if iResult == ws.SOCKET_ERROR:
        printf("send failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ConnectSocket)
        ws.WSACleanup()
        return 1

    printf("Bytes Sent: %d" % iResult)

    # shutdown the connection since no more data will be sent
    iResult = ws.shutdown(ConnectSocket, ws.SD_SEND)
    if iResult == ws.SOCKET_ERROR:
        printf("shutdown failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ConnectSocket)
        ws.WSACleanup()
        return 1

    # Receive until the peer closes the connection
    while True:
        iResult = ws.recv(ConnectSocket, recvbuf, recvbuflen, 0)
        if iResult > 0:
            printf("Bytes received: %d" % iResult)
        elif iResult == 0:
            printf("Connection closed")
            break
        else:
            printf("recv failed with error: %d" % ws.WSAGetLastError())
            ws.closesocket(ConnectSocket)
            ws.WSACleanup()
            return 1

    # cleanup
    ws.closesocket(ConnectSocket)
    ws.WSACleanup()
    return 0


def run_server(host: Optional[str] = "127.0.0.1", port: str = DEFAULT_PORT, out: Optional[Printer] = None,
               on_listening: Optional[Callable[[int], None]] = None) -> int:
    """The complete Winsock server: accept one client, echo what it sends until
    its FIN, shutdown(SD_SEND), closesocket. on_listening, if given, is called
    with the bound port once the server listens."""
    printf = out or _printer(sys.stdout)
    wsaData = ws.WSADATA()
    ListenSocket = ws.INVALID_SOCKET
    ClientSocket = ws.INVALID_SOCKET
    result: List[ws.ADDRINFOA] = []
    recvbuf = bytearray(DEFAULT_BUFLEN)
    recvbuflen = DEFAULT_BUFLEN

    # Initialize Winsock
    iResult = ws.WSAStartup(ws.MAKEWORD(2, 2), wsaData)
    if iResult != 0:
        printf("WSAStartup failed with error: %d" % iResult)
        return 1

    hints = ws.ADDRINFOA()
    hints.ai_family = ws.AF_INET
    hints.ai_socktype = ws.SOCK_STREAM
    hints.ai_protocol = ws.IPPROTO_TCP
    hints.ai_flags = ws.AI_PASSIVE

    # Resolve the server address and port
    iResult = ws.getaddrinfo(host, port, hints, result)
    if iResult != 0:
        printf("getaddrinfo failed with error: %d" % iResult)
        ws.WSACleanup()
        return 1

    # Create a SOCKET for the server to listen for client connections.
    ListenSocket = ws.socket(result[0].ai_family, result[0].ai_socktype, result[0].ai_protocol)
    if ListenSocket == ws.INVALID_SOCKET:
        printf("socket failed with error: %d" % ws.WSAGetLastError())
        ws.freeaddrinfo(result)
        ws.WSACleanup()
        return 1

    # Setup the TCP listening socket
    iResult = ws.bind(ListenSocket, result[0].ai_addr, result[0].ai_addrlen)
    if iResult == ws.SOCKET_ERROR:
        printf("bind failed with error: %d" % ws.WSAGetLastError())
        ws.freeaddrinfo(result)
        ws.closesocket(ListenSocket)
        ws.WSACleanup()
        return 1

    ws.freeaddrinfo(result)

    iResult = ws.listen(ListenSocket, ws.SOMAXCONN)
    if iResult == ws.SOCKET_ERROR:
        printf("listen failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ListenSocket)
        ws.WSACleanup()
        return 1

    if on_listening is not None:
        bound = ws.sockaddr_in()
        ws.getsockname(ListenSocket, bound, ws.c_int(ws.sizeof(bound)))
        on_listening(ws.ntohs(bound.sin_port))

    # Accept a client socket
    ClientSocket = ws.accept(ListenSocket, None, None)
    if ClientSocket == ws.INVALID_SOCKET:
        printf("accept failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ListenSocket)
        ws.WSACleanup()
        return 1

    # No longer need server socket
    ws.closesocket(ListenSocket)

    # Receive until the peer shuts down the connection
    while True:
        iResult = ws.recv(ClientSocket, recvbuf, recvbuflen, 0)
        if iResult > 0:
            printf("Bytes received: %d" % iResult)

            # Echo the buffer back to the sender
            iSendResult = ws.send(ClientSocket, recvbuf, iResult, 0)
            if iSendResult == ws.SOCKET_ERROR:
                printf("send failed with error: %d" % ws.WSAGetLastError())
                ws.closesocket(ClientSocket)
                ws.WSACleanup()
                return 1
            printf("Bytes sent: %d" % iSendResult)
        elif iResult == 0:
            printf("Connection closing...")
            break
        else:
            printf("recv failed with error: %d" % ws.WSAGetLastError())
            ws.closesocket(ClientSocket)
            ws.WSACleanup()
            return 1

    # shutdown the connection since we're done
    iResult = ws.shutdown(ClientSocket, ws.SD_SEND)
    if iResult == ws.SOCKET_ERROR:
        printf("shutdown failed with error: %d" % ws.WSAGetLastError())
        ws.closesocket(ClientSocket)
        ws.WSACleanup()
        return 1

    # cleanup
    ws.closesocket(ClientSocket)
    ws.WSACleanup()
    return 0


def run_demo(message: str = DEFAULT_MESSAGE, stream: Optional[TextIO] = None) -> int:
    """The sample server on 127.0.0.1 with a free port, in a thread, and the
    sample client against it; both sides' output, prefixed."""
    stream = stream or sys.stdout
    server_out = _printer(stream, "[server] ")
    client_out = _printer(stream, "[client] ")
    listening = threading.Event()
    state = {"port": 0, "rc": 1}

    def on_listening(port: int) -> None:
        state["port"] = port
        server_out("listening on 127.0.0.1:%d" % port)
        listening.set()

    def serve() -> None:
        state["rc"] = run_server("127.0.0.1", "0", server_out, on_listening)
        listening.set()

    server = threading.Thread(target=serve, name="portsock-demo-server", daemon=True)
    server.start()
    if not listening.wait(10) or not state["port"]:
        server.join(10)
        client_out("the demo server did not start")
        return 1
    client_rc = run_client("127.0.0.1", str(state["port"]), message, client_out)
    server.join(30)
    if server.is_alive():
        client_out("the demo server did not finish")
        return 1
    return client_rc or state["rc"]


# Exit codes: the samples' 0 and 1, argparse's 2, and the shell's 130 for Ctrl-C.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# The Winsock codes the samples' failure messages most often carry, for the help.
_COMMON_CODES = ("WSAHOST_NOT_FOUND", "WSATYPE_NOT_FOUND", "WSAEADDRINUSE", "WSAEADDRNOTAVAIL",
                 "WSAECONNREFUSED", "WSAETIMEDOUT", "WSAECONNRESET", "WSAECONNABORTED")

_EXIT_STATUS = """\
exit status:
  0    the whole lifecycle ran
  1    a Winsock call failed; the sample's one-line message names the call and
       the Winsock code, e.g. "getaddrinfo failed with error: 11001", or says
       "Unable to connect to server!" when no address accepted the connection
  2    usage error: a missing or unknown argument (message on stderr)
  130  interrupted (Ctrl-C)"""


def _common_codes() -> str:
    lines = ["Winsock codes in failure messages (the same numbers on every OS):"]
    for name in _COMMON_CODES:
        code = getattr(ws, name)
        lines.append("  %-6d %-18s %s" % (code, name, _describe(code)))
    return "\n".join(lines)


def _describe(code: int) -> str:
    from portsock._errors import describe
    text = describe(code)
    return text if len(text) <= 52 else text[:49].rstrip() + "..."


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="portsock",
        formatter_class=formatter,
        description="Run Microsoft's complete Winsock client and server samples, line for line on\n"
                    "portsock.winsock, on Windows, Linux and macOS: WSAStartup, getaddrinfo, connect,\n"
                    "send, shutdown(SD_SEND), recv until 0, closesocket, WSACleanup. Output and exit\n"
                    "status are the samples' own.",
        epilog=_EXIT_STATUS + "\n\n" + _common_codes() + """

examples:
  portsock demo                          both samples in one process, on 127.0.0.1
  portsock server                        in one terminal: listen on 127.0.0.1:27015
  portsock client 127.0.0.1 --trace      in another: the client, and each call as JSON
  portsock parity client.c -- 127.0.0.1  a Winsock program on the core and on Winsock (Wine)

Run "portsock COMMAND --help" for a command's options.""")
    parser.add_argument("--version", action="version", version="%(prog)s " + _version(),
                        help="print portsock's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True

    demo = sub.add_parser(
        "demo", formatter_class=formatter,
        help="run the sample server and client against each other on 127.0.0.1",
        description="Run the complete Winsock server on 127.0.0.1 (on a free port, in a thread) and the\n"
                    "complete client against it, printing both sides' output, prefixed [server] and\n"
                    "[client]. Needs no network and no second terminal.",
        epilog=_EXIT_STATUS + "\n  (the client's status if it failed, otherwise the server's)" + """

example:
  portsock demo --message hello""")
    demo.add_argument("--message", default=DEFAULT_MESSAGE, help="what the client sends (default: %(default)r)")

    client = sub.add_parser(
        "client", formatter_class=formatter,
        help="the complete Winsock client: send, half-close, drain, close",
        description="The complete Winsock client: resolve HOST, connect to the first address that\n"
                    "accepts, send the message, shutdown(SD_SEND), receive until the server closes\n"
                    "(\"Connection closed\"), closesocket, WSACleanup.",
        epilog=_EXIT_STATUS + """

examples:
  portsock client 127.0.0.1
  portsock client localhost --port 8080 --message "hello, server"
  portsock client 127.0.0.1 --trace      also print each Winsock call as {"call", "ret", "err"}""")
    client.add_argument("host", help="the server's name or address (IPv4 or IPv6)")
    client.add_argument("--port", default=DEFAULT_PORT, help="port number or service name (default: %(default)s)")
    client.add_argument("--message", default=DEFAULT_MESSAGE, help="what to send, as UTF-8 (default: %(default)r)")
    client.add_argument("--trace", action="store_true",
                        help="also print every Winsock call as a JSON line {call, ret, err}")

    server = sub.add_parser(
        "server", formatter_class=formatter,
        help="the complete Winsock server: echo one client until its FIN",
        description="The complete Winsock server: listen on HOST:PORT, accept one client, echo what it\n"
                    "sends until its FIN (\"Connection closing...\"), shutdown(SD_SEND), closesocket,\n"
                    "and exit.",
        epilog=_EXIT_STATUS + """

examples:
  portsock server                        127.0.0.1:27015
  portsock server --host 0.0.0.0 --port 5000   every IPv4 interface""")
    server.add_argument("--host", default="127.0.0.1",
                        help="IPv4 address to listen on; 0.0.0.0 for every interface (default: %(default)s)")
    server.add_argument("--port", default=DEFAULT_PORT, help="port to listen on (default: %(default)s)")

    # Parsed by portsock._parity.command itself (main() hands it the arguments);
    # listed here for the help.
    sub.add_parser(
        "parity", add_help=False,
        help="PROGRAM.c|SCENARIOS.txt|SCRIPT.py|DIR: run it on the POSIX core, real Winsock (Wine) and "
             "the core's Windows backend (Wine); differences side by side")
    return parser


def _version() -> str:
    from portsock import __version__
    return __version__


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return run_demo(args.message)
    if args.command == "client":
        if args.trace:
            with ws.trace(echo=_printer(sys.stdout)):
                return run_client(args.host, args.port, args.message)
        return run_client(args.host, args.port, args.message)
    return run_server(args.host, args.port)


def main(argv: Optional[List[str]] = None) -> int:
    """The `portsock` command: returns the exit status (see the help's table)."""
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["parity"]:
        from portsock._parity import command
        return command.main(words[1:])
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        sys.stdout.flush()
        print("portsock: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # anything unforeseen: one line, not a traceback
        sys.stdout.flush()
        from portsock._errors import WinsockError, code_name
        code = getattr(e, "winerror", None)
        if isinstance(e, WinsockError):
            detail = str(e)   # "call: [WSAECONNRESET 10054] message"
        elif isinstance(code, int):
            detail = "%s (%s)" % (e, code_name(code))
        else:
            detail = "%s: %s" % (type(e).__name__, e)
        print("portsock %s: unexpected error: %s" % (args.command, detail), file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
