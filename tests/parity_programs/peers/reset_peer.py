"""A peer for `portsock parity` tests: listens on 127.0.0.1:PORT, reads what one
client sends until its FIN, then resets the connection (SO_LINGER {1, 0} and
close), so that the client's next recv fails with WSAECONNRESET on Windows
(Wine 8 reports a graceful end instead: a known Wine 8 difference).

    python reset_peer.py PORT
"""

import socket
import struct
import sys

with socket.create_server(("127.0.0.1", int(sys.argv[1]))) as listener:
    listener.settimeout(60)
    conn, _ = listener.accept()
    conn.settimeout(30)
    while conn.recv(65536):
        pass
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
