"""The Winsock sample client on the mirror (portsock.winsock, the code behind
`portsock client`), for `portsock parity SCRIPT.py` (tests/test_parity_command.py).

    python mirror_client.py HOST PORT
"""

import sys

from portsock._cli import run_client

sys.exit(run_client(sys.argv[1], sys.argv[2]))
