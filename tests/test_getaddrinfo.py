"""docs/winsock-rules.md, GAI-1 to GAI-9 (getaddrinfo returns the code and also sets
the last error): every rule, through portsock.winsock.

Names that must not resolve are under the reserved .invalid top-level domain.
GAI-7's temporary and permanent failures (11002, 11003) need a failing
resolver: the core's table is checked directly instead, at the end.
"""

from __future__ import annotations

import ctypes
import shutil
import socket
import subprocess
import sys
from typing import List, Optional, Tuple

import pytest

from portsock import _core, winsock as ws

from conftest import listener


def call(node: Optional[str], service: Optional[str],
         hints: Optional[ws.ADDRINFOA]) -> Tuple[int, int, List[ws.ADDRINFOA]]:
    """(return value, WSAGetLastError(), result list) of one getaddrinfo."""
    result: List[ws.ADDRINFOA] = [ws.ADDRINFOA()]   # junk, to see it cleared
    ws.WSASetLastError(1234)
    ret = ws.getaddrinfo(node, service, hints, result)
    return ret, ws.WSAGetLastError(), result


def expect_code(node: Optional[str], service: Optional[str], hints: Optional[ws.ADDRINFOA], code: int) -> None:
    """The call returns code, WSAGetLastError() equals it, the list is empty."""
    ret, err, result = call(node, service, hints)
    assert (ret, err, result) == (code, code, [])


def expect_results(node: Optional[str], service: Optional[str], hints: Optional[ws.ADDRINFOA]) -> List[ws.ADDRINFOA]:
    ret, err, result = call(node, service, hints)
    assert (ret, err) == (0, 0)
    assert result
    check_chain(result)
    return result


def check_chain(result: List[ws.ADDRINFOA]) -> None:
    """The list holds the entries in order; each ai_next is the next one."""
    for entry, following in zip(result, result[1:]):
        assert entry.ai_next is following
    assert result[-1].ai_next is None
    for entry in result:
        assert entry.ai_addr is not None
        assert entry.ai_family in (ws.AF_INET, ws.AF_INET6)
        assert entry.ai_addr.__class__ is (ws.sockaddr_in if entry.ai_family == ws.AF_INET else ws.sockaddr_in6)
        assert entry.ai_addrlen == ws.sizeof(entry.ai_addr)


# --------------------------------------------------------------------------
# The rows, in table order

def test_null_null(wsa: ws.WSADATA) -> None:
    """Row: (NULL, NULL) -> 11001, with or without hints."""
    expect_code(None, None, None, ws.WSAHOST_NOT_FOUND)
    expect_code(None, None, ws.ADDRINFOA(0, ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP), ws.WSAHOST_NOT_FOUND)


def test_empty_node(wsa: ws.WSADATA) -> None:
    """Row: ("", NULL) -> 0: the local host (glibc fails: Windows wins)."""
    result = expect_results("", None, None)
    assert all(entry.ai_addr.__class__ in (ws.sockaddr_in, ws.sockaddr_in6) for entry in result)


def test_empty_node_with_service(wsa: ws.WSADATA) -> None:
    """Row: ("", ...) -> 0: the local host, with the service's port (Wine 8.0:
    one entry for AF_INET + SOCK_STREAM)."""
    hints = ws.ADDRINFOA(0, ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    result = expect_results("", "27015", hints)
    for entry in result:
        assert entry.ai_family == ws.AF_INET
        assert entry.ai_socktype == ws.SOCK_STREAM
        assert entry.ai_addr.sin_port == ws.htons(27015)


@pytest.mark.parametrize("name", ["no-such-host.invalid", "portsock-test.nowhere.invalid"])
def test_unknown_host(wsa: ws.WSADATA, name: str) -> None:
    """Row: unknown host -> 11001."""
    expect_code(name, None, None, ws.WSAHOST_NOT_FOUND)
    expect_code(name, "80", ws.ADDRINFOA(0, ws.AF_UNSPEC, ws.SOCK_STREAM, ws.IPPROTO_TCP),
                ws.WSAHOST_NOT_FOUND)


@pytest.mark.parametrize("name", ["localhost", "no-such-host.invalid"])
def test_numerichost_with_a_name(wsa: ws.WSADATA, name: str) -> None:
    """Row: AI_NUMERICHOST with a name -> 11001 (even one that resolves)."""
    expect_code(name, None, ws.ADDRINFOA(ws.AI_NUMERICHOST), ws.WSAHOST_NOT_FOUND)
    # ... while a numeric address is fine with the flag.
    result = expect_results("127.0.0.1", None, ws.ADDRINFOA(ws.AI_NUMERICHOST, ws.AF_INET, ws.SOCK_STREAM))
    assert result[0].ai_addr.sin_addr.s_addr == ws.inet_addr("127.0.0.1")


@pytest.mark.parametrize("protocol", [0, 6])
def test_socktype_999(wsa: ws.WSADATA, protocol: int) -> None:
    """Row: socktype 999 -> 10044."""
    expect_code("127.0.0.1", None, ws.ADDRINFOA(0, ws.AF_UNSPEC, 999, protocol), ws.WSAESOCKTNOSUPPORT)


def test_unknown_service(wsa: ws.WSADATA) -> None:
    """Row: unknown service name -> 10109."""
    expect_code("127.0.0.1", "no-such-service-xyz", None, ws.WSATYPE_NOT_FOUND)
    expect_code("127.0.0.1", "no-such-service-xyz",
                ws.ADDRINFOA(0, ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP), ws.WSATYPE_NOT_FOUND)


@pytest.mark.parametrize("family", [12345, 0xFFFF])
def test_unknown_family(wsa: ws.WSADATA, family: int) -> None:
    """Row: unknown family -> 10047."""
    expect_code("127.0.0.1", None, ws.ADDRINFOA(0, family), ws.WSAEAFNOSUPPORT)


# --------------------------------------------------------------------------
# The result list

def test_ipv4_loopback_result(wsa: ws.WSADATA) -> None:
    """A numeric IPv4 address with the sample client's hints: one entry, the
    address and port as given."""
    hints = ws.ADDRINFOA(0, ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    result = expect_results("127.0.0.1", "27015", hints)
    assert len(result) == 1
    entry = result[0]
    assert (entry.ai_family, entry.ai_socktype, entry.ai_protocol) == (ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert entry.ai_addrlen == ws.sizeof(ws.sockaddr_in()) == 16
    assert entry.ai_addr.sin_family == ws.AF_INET
    assert entry.ai_addr.sin_port == ws.htons(27015)
    assert entry.ai_addr.sin_addr.s_addr == ws.inet_addr("127.0.0.1")
    assert entry.ai_next is None


def test_ipv6_loopback_result(wsa: ws.WSADATA) -> None:
    """::1 gives one AF_INET6 entry with the address and port as given."""
    hints = ws.ADDRINFOA(0, ws.AF_UNSPEC, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    result = expect_results("::1", "27015", hints)
    assert len(result) == 1
    entry = result[0]
    assert (entry.ai_family, entry.ai_socktype, entry.ai_protocol) == (ws.AF_INET6, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    assert entry.ai_addrlen == ws.sizeof(ws.sockaddr_in6())
    assert entry.ai_addr.sin6_family == ws.AF_INET6
    assert entry.ai_addr.sin6_port == ws.htons(27015)
    assert bytes(entry.ai_addr.sin6_addr.s6_addr) == bytes(15) + b"\x01"


def test_chained_entries(wsa: ws.WSADATA) -> None:
    """Without a socktype there is one entry per socket type (Wine 8.0: three
    for 127.0.0.1); ai_next chains them in list order."""
    result = expect_results("127.0.0.1", "80", None)
    assert len(result) >= 2
    types = [entry.ai_socktype for entry in result]
    assert ws.SOCK_STREAM in types and ws.SOCK_DGRAM in types
    for entry in result:
        assert entry.ai_addr.sin_port == ws.htons(80)


def test_passive_null_node(wsa: ws.WSADATA) -> None:
    """(NULL, service) with AI_PASSIVE: the wildcard address, for bind."""
    result = expect_results(None, "27015", ws.ADDRINFOA(ws.AI_PASSIVE, ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP))
    assert result[0].ai_addr.sin_addr.s_addr == ws.INADDR_ANY
    assert result[0].ai_addr.sin_port == ws.htons(27015)


@pytest.mark.parametrize("family, node", [(ws.AF_INET, "127.0.0.1"), (ws.AF_INET6, "::1")], ids=["v4", "v6"])
def test_result_connects(wsa: ws.WSADATA, family: int, node: str) -> None:
    """The sample client's loop: connect to each ai_addr until one works."""
    lst, bound = listener(family)
    port = ws.ntohs(bound.sin_port if family == ws.AF_INET else bound.sin6_port)
    result = expect_results(node, str(port), ws.ADDRINFOA(0, ws.AF_UNSPEC, ws.SOCK_STREAM, ws.IPPROTO_TCP))
    entry = result[0]
    s = ws.socket(entry.ai_family, entry.ai_socktype, entry.ai_protocol)
    assert s != ws.INVALID_SOCKET
    assert ws.connect(s, entry.ai_addr, entry.ai_addrlen) == 0, ws.WSAGetLastError()
    server = ws.accept(lst, None, None)
    assert server != ws.INVALID_SOCKET
    for h in (s, server, lst):
        assert ws.closesocket(h) == 0
    ws.freeaddrinfo(result)
    assert result == []


@pytest.mark.parametrize("name", ["no-such-host.invalid", "A.B.INVALID", "invalid", "x.invalid."])
def test_reserved_invalid_names_fail_at_once_without_a_lookup(wsa, name):
    """RFC 6761 6.4: names under "invalid." never exist; the core answers
    WSAHOST_NOT_FOUND itself, so tests never send a DNS query."""
    result = []
    assert ws.getaddrinfo(name, "80", None, result) == ws.WSAHOST_NOT_FOUND
    assert ws.WSAGetLastError() == ws.WSAHOST_NOT_FOUND
    assert result == []


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (Debian: apt-get install strace)")
def test_reserved_invalid_names_send_no_dns_query(tmp_path):
    script = ("from portsock import winsock as ws; ws.WSAStartup(0x202, ws.WSADATA()); r = []; "
              "assert ws.getaddrinfo('no-such-host.invalid', '80', None, r) == ws.WSAHOST_NOT_FOUND; "
              "ws.closesocket(ws.socket(ws.AF_INET6, ws.SOCK_STREAM, 0))")
    log = tmp_path / "strace.log"
    subprocess.run(["strace", "-f", "-e", "trace=network", "-o", str(log), sys.executable, "-c", script],
                   check=True, timeout=60)
    calls = log.read_text()
    assert "socket(AF_INET6" in calls, "strace saw no network calls at all: " + calls
    assert "htons(53)" not in calls, calls


# --------------------------------------------------------------------------
# The resolver's codes (GAI-7 in docs/winsock-rules.md)

# A temporary or permanent resolver failure cannot be provoked on loopback
# without faking the resolver, so the core's one EAI -> Winsock table is
# checked directly, through the function getaddrinfo and getnameinfo use.
EAI_TO_WINSOCK = [("EAI_AGAIN", "WSATRY_AGAIN"), ("EAI_FAIL", "WSANO_RECOVERY"),
                  ("EAI_NONAME", "WSAHOST_NOT_FOUND"), ("EAI_SERVICE", "WSATYPE_NOT_FOUND"),
                  ("EAI_SOCKTYPE", "WSAESOCKTNOSUPPORT"), ("EAI_FAMILY", "WSAEAFNOSUPPORT"),
                  ("EAI_MEMORY", "WSA_NOT_ENOUGH_MEMORY")]


@pytest.mark.skipif(sys.platform == "win32", reason="ws2_32's getaddrinfo returns Winsock's codes itself")
@pytest.mark.parametrize("eai, code", EAI_TO_WINSOCK, ids=[eai for eai, _ in EAI_TO_WINSOCK])
def test_resolver_codes_map_to_winsock(eai: str, code: str) -> None:
    core = ctypes.CDLL(_core.__file__)
    core.ps_wsa_from_eai.argtypes = [ctypes.c_int, ctypes.c_int]
    assert core.ps_wsa_from_eai(getattr(socket, eai), 0) == getattr(ws, code)
