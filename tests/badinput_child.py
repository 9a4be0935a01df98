"""Bad input for the mirror and the Pythonic layer: the cases, and the child
process that runs one of them.

    python tests/badinput_child.py CASE_NAME

Each case is an expression evaluated with these names bound:
    ws, portsock         the modules
    s, srv               a connected loopback TCP pair (mirror handles)
    lst                  a listening socket
    conn                 a portsock.Connection to an echo peer
    listener             a portsock.Listener on 127.0.0.1
    big                  1 MiB of "a" (a huge host or service name)
and the outcome it must have:
    ("ret", R, E)        returns R with WSAGetLastError() == E
    ("ret_any_err", R)   returns R (the error code is checked elsewhere)
    ("raises", "Name")   raises that exception class (TypeError, ValueError, ...)
    ("winerror", E)      raises a portsock.WinsockError with winerror E
A case with setup "none" runs before WSAStartup.

The child prints one JSON line {"ok": ..., "got": ...} and exits 0, whatever
the outcome; any other exit status (a signal: a crash) or a hang (the
parent's timeout) is a failure of its own.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, NamedTuple, Optional, Tuple


class Case(NamedTuple):
    name: str
    expr: str
    expected: Tuple[Any, ...]
    setup: str = "full"          # "full" or "none"
    xfail: Optional[str] = None  # a known bug: the reason (reported, not fixed here)


NOTSOCK, FAULT, INVAL, OPNOTSUPP, NOPROTOOPT = 10038, 10014, 10022, 10045, 10042
AFNOSUPPORT, NOTINIT, HOST_NOT_FOUND, TYPE_NOT_FOUND = 10047, 10093, 11001, 10109
SOCKTNOSUPPORT, VERNOTSUPPORTED, NO_DATA = 10044, 10092, 11004
INVALID = (1 << 64) - 1
R = "ret"

CASES: List[Case] = [
    # -- handles: wrong types, huge, negative, forged ----------------------------
    Case("send_handle_str", "ws.send('s', b'x', 1, 0)", ("raises", "TypeError")),
    Case("send_handle_none", "ws.send(None, b'x', 1, 0)", ("raises", "TypeError")),
    Case("send_handle_float", "ws.send(float(s), b'x', 1, 0)", ("raises", "TypeError")),
    Case("send_handle_huge", "ws.send(1 << 70, b'x', 1, 0)", (R, -1, NOTSOCK)),
    Case("send_handle_negative", "ws.send(-5, b'x', 1, 0)", (R, -1, NOTSOCK)),
    Case("send_handle_hugely_negative", "ws.send(-(1 << 200), b'x', 1, 0)", (R, -1, NOTSOCK)),
    Case("recv_handle_zero", "ws.recv(0, bytearray(4), 4, 0)", (R, -1, NOTSOCK)),
    Case("recv_handle_fd_number", "ws.recv(3, bytearray(4), 4, 0)", (R, -1, NOTSOCK)),
    Case("recv_handle_forged_generation", "ws.recv(s ^ (1 << 30), bytearray(4), 4, 0)", (R, -1, NOTSOCK)),
    Case("closesocket_invalid", "ws.closesocket(ws.INVALID_SOCKET)", (R, -1, NOTSOCK)),
    Case("closesocket_deadbeef", "ws.closesocket(0xDEADBEEF)", (R, -1, NOTSOCK)),
    Case("closesocket_2_200", "ws.closesocket(1 << 200)", (R, -1, NOTSOCK)),
    Case("accept_handle_huge_bad_addrlen", "ws.accept(1 << 80, ws.sockaddr_in(), ws.c_int(-5))",
         (R, INVALID, NOTSOCK)),
    Case("send_before_startup", "ws.send(12345, b'x', 1, 0)", (R, -1, NOTINIT), setup="none"),
    Case("socket_before_startup", "ws.socket(2, 1, 6)", (R, INVALID, NOTINIT), setup="none"),
    Case("getaddrinfo_before_startup", "ws.getaddrinfo('localhost', '80', None, [])", (R, NOTINIT, NOTINIT),
         setup="none"),

    # -- send: buffers and lengths ------------------------------------------------
    Case("send_str_buffer", "ws.send(s, 'text', 4, 0)", ("raises", "TypeError")),
    Case("send_int_buffer", "ws.send(s, 12345, 4, 0)", ("raises", "TypeError")),
    Case("send_none_buffer_len5", "ws.send(s, None, 5, 0)", (R, -1, FAULT)),
    Case("send_none_buffer_len0", "ws.send(s, None, 0, 0)", (R, 0, 0)),
    Case("send_len_beyond_buffer", "ws.send(s, b'abc', 4, 0)", (R, -1, FAULT)),
    Case("send_len_negative", "ws.send(s, b'abc', -1, 0)", (R, -1, FAULT)),
    Case("send_len_int_max_plus_1", "ws.send(s, b'abc', 2**31, 0)", (R, -1, FAULT)),
    Case("send_len_2_64", "ws.send(s, b'abc', 2**64, 0)", (R, -1, FAULT)),
    Case("send_len_str", "ws.send(s, b'abc', '3', 0)", ("raises", "TypeError")),
    Case("send_noncontiguous", "ws.send(s, memoryview(b'abcdef')[::2], 3, 0)", ("raises", "TypeError")),
    Case("send_flags_2_40", "ws.send(s, b'abc', 3, 2**40)", (R, -1, OPNOTSUPP)),
    Case("send_flags_unknown_bits", "ws.send(s, b'abc', 3, 0x7F00)", (R, -1, OPNOTSUPP)),
    Case("send_readonly_memoryview_ok", "ws.send(s, memoryview(b'abc'), 3, 0)", (R, 3, 0)),

    # -- recv: buffers and lengths ------------------------------------------------
    Case("recv_into_bytes", "ws.recv(s, b'....', 4, 0)", ("raises", "TypeError")),
    Case("recv_into_str", "ws.recv(s, '....', 4, 0)", ("raises", "TypeError")),
    Case("recv_into_readonly_view", "ws.recv(s, memoryview(b'....'), 4, 0)", ("raises", "TypeError")),
    Case("recv_into_noncontiguous", "ws.recv(s, memoryview(bytearray(8))[::2], 4, 0)", ("raises", "TypeError")),
    Case("recv_none_buffer_len10", "ws.recv(s, None, 10, 0)", (R, -1, FAULT)),
    Case("recv_len_beyond_buffer", "ws.recv(s, bytearray(4), 5, 0)", (R, -1, FAULT)),
    Case("recv_len_negative", "ws.recv(s, bytearray(4), -4, 0)", (R, -1, FAULT)),
    Case("recv_len_int_max_plus_1", "ws.recv(s, bytearray(4), 2**31, 0)", (R, -1, FAULT)),
    Case("recv_flags_2_33", "ws.recv(s, bytearray(4), 4, 2**33)", (R, -1, OPNOTSUPP)),
    Case("recv_flags_unknown_bits", "ws.recv(s, bytearray(4), 4, 0x7F00)", (R, -1, OPNOTSUPP)),
    Case("recvfrom_fromlen_int", "ws.recvfrom(s, bytearray(4), 4, 0, ws.sockaddr_in(), 5)", ("raises", "TypeError")),
    Case("sendto_tolen_negative_udp",
         "(lambda u: ws.sendto(u, b'x', 1, 0, ws.sockaddr_in(ws.AF_INET, ws.htons(9), "
         "ws.in_addr(ws.inet_addr('127.0.0.1'))), -5))(ws.socket(2, 2, 17))", (R, -1, FAULT)),

    # -- shutdown -------------------------------------------------------------------
    Case("shutdown_how_3", "ws.shutdown(s, 3)", (R, -1, INVAL)),
    Case("shutdown_how_negative", "ws.shutdown(s, -1)", (R, -1, INVAL)),
    Case("shutdown_how_deadbeef", "ws.shutdown(s, 0xDEADBEEF)", (R, -1, INVAL)),
    Case("shutdown_how_2_40", "ws.shutdown(s, 2**40)", (R, -1, INVAL)),
    Case("shutdown_how_none", "ws.shutdown(s, None)", ("raises", "TypeError")),

    # -- options and ioctls ------------------------------------------------------------
    Case("setsockopt_level_2_40", "ws.setsockopt(s, 2**40, ws.SO_LINGER, 1, 4)", (R, -1, INVAL)),
    Case("setsockopt_level_unknown", "ws.setsockopt(s, 12345, 1, 1, 4)", (R, -1, INVAL)),
    Case("getsockopt_level_unknown", "ws.getsockopt(s, 12345, 1, ws.DWORD(), ws.c_int(4))", (R, -1, INVAL)),
    Case("setsockopt_level_negative", "ws.setsockopt(s, -1, 1, 1, 4)", (R, -1, INVAL)),
    Case("setsockopt_optname_unknown", "ws.setsockopt(s, ws.SOL_SOCKET, 12345, 1, 4)", (R, -1, NOPROTOOPT)),
    Case("setsockopt_optname_negative", "ws.setsockopt(s, ws.IPPROTO_TCP, -1, 1, 4)", (R, -1, NOPROTOOPT)),
    Case("getsockopt_optname_unknown", "ws.getsockopt(s, ws.SOL_SOCKET, 12345, ws.DWORD(), ws.c_int(4))",
         (R, -1, NOPROTOOPT)),
    Case("setsockopt_optval_none", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, None, 4)", (R, -1, FAULT)),
    Case("setsockopt_optval_str", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, 'on', 4)",
         ("raises", "TypeError")),
    Case("setsockopt_optlen_beyond_value", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, b'\\x01', 4)",
         (R, -1, FAULT)),
    Case("setsockopt_optlen_negative", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, 1, -4)", (R, -1, FAULT)),
    Case("setsockopt_optlen_2_40", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, 1, 2**40)", (R, -1, FAULT)),
    Case("setsockopt_linger_short", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(1, 0), 2)",
         (R, -1, FAULT)),
    Case("setsockopt_value_2_80", "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_KEEPALIVE, 2**80, 4)", (R, -1, FAULT)),
    Case("setsockopt_rcvtimeo_huge_bytes",
         "ws.setsockopt(s, ws.SOL_SOCKET, ws.SO_RCVTIMEO, b'\\xff' * 4096, 4096)", (R, 0, 0)),
    Case("getsockopt_optlen_int", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, ws.DWORD(), 4)",
         ("raises", "TypeError")),
    Case("getsockopt_optval_bytes", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, b'....', ws.c_int(4))",
         ("raises", "TypeError")),
    Case("getsockopt_optlen_beyond_value", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, ws.DWORD(), ws.c_int(64))",
         (R, -1, FAULT)),
    Case("getsockopt_optlen_negative", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, ws.DWORD(), ws.c_int(-1))",
         (R, -1, FAULT)),
    Case("getsockopt_optlen_below_int_min", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, ws.DWORD(), ws.c_int(-2**40))",
         (R, -1, FAULT)),
    Case("getsockopt_optval_none", "ws.getsockopt(s, ws.SOL_SOCKET, ws.SO_TYPE, None, ws.c_int(4))",
         (R, -1, FAULT)),
    Case("ioctlsocket_cmd_2_70", "ws.ioctlsocket(s, 2**70, 1)", (R, -1, OPNOTSUPP)),
    Case("ioctlsocket_cmd_unknown", "ws.ioctlsocket(s, 0x12345, ws.u_long())", (R, -1, OPNOTSUPP)),
    Case("ioctlsocket_argp_none", "ws.ioctlsocket(s, ws.FIONBIO, None)", (R, -1, FAULT)),
    Case("ioctlsocket_argp_str", "ws.ioctlsocket(s, ws.FIONBIO, 'yes')", ("raises", "TypeError")),

    # -- addresses -----------------------------------------------------------------------
    Case("connect_name_none", "ws.connect(ws.socket(2, 1, 6), None, 16)", (R, -1, FAULT)),
    Case("connect_name_str", "ws.connect(ws.socket(2, 1, 6), '127.0.0.1', 16)", ("raises", "TypeError")),
    Case("connect_namelen_negative", "ws.connect(ws.socket(2, 1, 6), ws.sockaddr_in(2), -16)", (R, -1, FAULT)),
    Case("connect_namelen_2_40", "ws.connect(ws.socket(2, 1, 6), ws.sockaddr_in(2), 2**40)", (R, -1, FAULT)),
    Case("connect_family_mismatch", "ws.connect(ws.socket(2, 1, 6), ws.sockaddr_in(ws.AF_INET6), 16)",
         (R, -1, AFNOSUPPORT)),
    Case("bind_namelen_2_40", "ws.bind(ws.socket(2, 1, 6), ws.sockaddr_in(2), 2**40)", (R, -1, FAULT)),
    Case("accept_addr_str", "ws.accept(lst, 'x', None)", ("raises", "TypeError")),
    Case("getsockname_namelen_negative", "ws.getsockname(s, ws.sockaddr_in(), ws.c_int(-1))", (R, -1, FAULT)),
    Case("socket_af_2_40", "ws.socket(2**40, 1, 6)", (R, INVALID, AFNOSUPPORT)),
    Case("socket_af_str", "ws.socket('2', 1, 6)", ("raises", "TypeError")),
    Case("socket_type_999", "ws.socket(2, 999, 0)", (R, INVALID, SOCKTNOSUPPORT)),

    # -- names: NUL bytes, huge names, wrong types -------------------------------------------
    Case("getaddrinfo_host_1mb", "ws.getaddrinfo(big, '80', None, [])", (R, HOST_NOT_FOUND, HOST_NOT_FOUND)),
    Case("getaddrinfo_service_1mb", "ws.getaddrinfo('localhost', big, None, [])", (R, TYPE_NOT_FOUND, TYPE_NOT_FOUND)),
    Case("getaddrinfo_host_nul", "ws.getaddrinfo('local\\0host', '80', None, [])", (R, HOST_NOT_FOUND, HOST_NOT_FOUND)),
    Case("getaddrinfo_service_nul", "ws.getaddrinfo('localhost', '8\\0', None, [])",
         (R, TYPE_NOT_FOUND, TYPE_NOT_FOUND)),
    Case("getaddrinfo_host_lone_surrogate", "ws.getaddrinfo('\\udcff', None, None, [])",
         (R, HOST_NOT_FOUND, HOST_NOT_FOUND)),
    Case("getaddrinfo_host_bytes", "ws.getaddrinfo(b'localhost', '80', None, [])", ("raises", "TypeError")),
    Case("getaddrinfo_result_none", "ws.getaddrinfo('localhost', '80', None, None)", ("raises", "TypeError")),
    Case("getaddrinfo_hints_dict", "ws.getaddrinfo('localhost', '80', {'ai_family': 2}, [])", ("raises", "TypeError")),
    Case("getaddrinfo_family_2_40", "ws.getaddrinfo('localhost', '80', ws.ADDRINFOA(ai_family=2**40), [])",
         (R, INVAL, INVAL)),
    Case("getaddrinfo_family_unknown", "ws.getaddrinfo('localhost', '80', ws.ADDRINFOA(ai_family=12345), [])",
         (R, AFNOSUPPORT, AFNOSUPPORT)),
    Case("getaddrinfo_socktype_999", "ws.getaddrinfo('localhost', '80', ws.ADDRINFOA(ai_socktype=999), [])",
         (R, SOCKTNOSUPPORT, SOCKTNOSUPPORT)),
    Case("getaddrinfo_flags_all_bits", "ws.getaddrinfo('localhost', '80', ws.ADDRINFOA(ai_flags=-1), [])",
         (R, INVAL, INVAL)),
    Case("inet_pton_1mb", "ws.inet_pton(ws.AF_INET, big, ws.in_addr())", (R, 0, INVAL)),
    Case("inet_pton_nul", "ws.inet_pton(ws.AF_INET, '1.2.3.4\\0junk', ws.in_addr())", (R, 0, INVAL)),
    Case("inet_pton_family_2_40", "ws.inet_pton(2**40, '1.2.3.4', ws.in_addr())", (R, -1, AFNOSUPPORT)),
    Case("inet_addr_1mb", "ws.inet_addr(big)", ("ret_any_err", 0xFFFFFFFF)),
    Case("inet_ntop_short_address", "ws.inet_ntop(ws.AF_INET, b'\\x01\\x02', None)", (R, None, FAULT)),
    Case("inet_ntop_size_beyond_buffer", "ws.inet_ntop(ws.AF_INET, b'\\x01\\x02\\x03\\x04', bytearray(4), 2**40)",
         (R, None, FAULT)),
    Case("inet_ntop_huge_size_no_buffer", "ws.inet_ntop(ws.AF_INET, b'\\x01\\x02\\x03\\x04', None, 2**40)",
         ("ret_any_err", "1.2.3.4")),
    Case("wsastartup_version_2_20", "ws.WSAStartup(2**20, ws.WSADATA())", ("ret_any_err", VERNOTSUPPORTED)),
    Case("wsastartup_data_wrong_type", "ws.WSAStartup(0x202, {})", ("raises", "TypeError")),
    Case("htons_str", "ws.htons('80')", ("raises", "TypeError")),

    # -- the mirror's structures: a wrong type is a TypeError, a value out of range a ValueError ----
    Case("connect_sin_family_2_40", "ws.connect(ws.socket(2, 1, 6), ws.sockaddr_in(2**40), 16)",
         ("raises", "ValueError")),
    Case("connect_sin_family_set_2_40",
         "(lambda a: (setattr(a, 'sin_family', 2**40), ws.connect(ws.socket(2, 1, 6), a, 16)))(ws.sockaddr_in(2))",
         ("raises", "ValueError")),
    Case("connect_sin_family_negative", "ws.connect(ws.socket(2, 1, 6), ws.sockaddr_in(-1), 16)",
         ("raises", "ValueError")),
    Case("sockaddr_in_sin_addr_str", "ws.sockaddr_in(2, 0, '127.0.0.1')", ("raises", "TypeError")),
    Case("connect_sin_addr_set_str",
         "(lambda a: (setattr(a, 'sin_addr', '127.0.0.1'), ws.connect(ws.socket(2, 1, 6), a, 16)))(ws.sockaddr_in(2))",
         ("raises", "TypeError")),
    Case("connect_sin_addr_set_none",
         "(lambda a: (setattr(a, 'sin_addr', None), ws.connect(ws.socket(2, 1, 6), a, 16)))(ws.sockaddr_in(2))",
         ("raises", "TypeError")),
    Case("bind_sin_port_str",
         "(lambda a: (setattr(a, 'sin_port', '80'), ws.bind(ws.socket(2, 1, 6), a, 16)))(ws.sockaddr_in(2))",
         ("raises", "TypeError")),
    Case("connect_sin6_addr_set_str",
         "(lambda a: (setattr(a, 'sin6_addr', '::1'), ws.connect(ws.socket(ws.AF_INET6, 1, 6), a, "
         "ws.sizeof(a))))(ws.sockaddr_in6(ws.AF_INET6))", ("raises", "TypeError")),
    Case("sockaddr_in6_family_2_20", "ws.sockaddr_in6(2**20)", ("raises", "ValueError")),
    Case("sockaddr_in6_addr_bytes", "ws.sockaddr_in6(ws.AF_INET6, 0, b'\\0' * 16)", ("raises", "TypeError")),

    Case("in6_addr_int", "ws.in6_addr(2**70)", ("raises", "TypeError")),
    Case("in6_addr_str", "ws.in6_addr('::1')", ("raises", "TypeError")),
    Case("in6_addr_17_bytes", "ws.in6_addr(bytes(17))", ("raises", "ValueError")),
    Case("in_addr_str", "ws.in_addr('127.0.0.1')", ("raises", "TypeError")),
    Case("linger_str", "ws.LINGER('1', 0)", ("raises", "TypeError")),
    Case("dword_str", "ws.DWORD('5')", ("raises", "TypeError")),
    Case("getpeername_name_str", "ws.getpeername(s, 'x', ws.c_int(16))", ("raises", "TypeError")),
    Case("getpeername_namelen_int", "ws.getpeername(s, ws.sockaddr_in(), 16)", ("raises", "TypeError")),
    Case("listen_backlog_str", "ws.listen(lst, '5')", ("raises", "TypeError")),
    Case("htonl_str", "ws.htonl('1')", ("raises", "TypeError")),
    Case("ntohs_none", "ws.ntohs(None)", ("raises", "TypeError")),
    Case("ntohl_float", "ws.ntohl(1.5)", ("raises", "TypeError")),
    Case("wsasetlasterror_str", "ws.WSASetLastError('10054')", ("raises", "TypeError")),
    Case("wsasetlasterror_2_40", "ws.WSASetLastError(2**40)", (R, None, INVAL)),
    # <windows.h>'s calls in the mirror: Win32 codes (87 ERROR_INVALID_PARAMETER, 998 ERROR_NOACCESS).
    Case("setlasterror_str", "ws.SetLastError('87')", ("raises", "TypeError")),
    Case("setlasterror_2_40", "ws.SetLastError(2**40)", (R, None, 87)),
    Case("formatmessage_none_buffer", "ws.FormatMessageA(0x1200, None, 10054, 0, None, 64, None)", (R, 0, 87)),
    Case("formatmessage_bytes_buffer", "ws.FormatMessageA(0x1200, None, 10054, 0, b'x' * 64, 64, None)",
         ("raises", "TypeError")),
    Case("formatmessage_size_beyond", "ws.FormatMessageA(0x1200, None, 10054, 0, bytearray(4), 64, None)",
         (R, 0, 998)),
    Case("formatmessage_size_negative", "ws.FormatMessageA(0x1200, None, 10054, 0, bytearray(4), -1, None)",
         (R, 0, 998)),
    Case("formatmessage_id_huge", "ws.FormatMessageA(0x1200, None, 1 << 70, 0, bytearray(64), 64, None)",
         (R, 0, 87)),
    Case("formatmessage_flags_str", "ws.FormatMessageA('x', None, 10054, 0, bytearray(64), 64, None)",
         ("raises", "TypeError")),
    Case("formatmessage_source_str", "ws.FormatMessageA(0x1200, 'text', 10054, 0, bytearray(64), 64, None)",
         ("raises", "TypeError")),
    Case("formatmessage_arguments", "ws.FormatMessageA(0x1000, None, 317, 0, bytearray(256), 256, [1, 2])",
         ("raises", "TypeError")),
    Case("formatmessage_allocate_bytearray",
         "ws.FormatMessageA(0x1300, None, 10054, 0, bytearray(64), 0, None)", ("raises", "TypeError")),
    Case("formatmessage_from_string", "ws.FormatMessageA(0x400, None, 0, 0, bytearray(64), 64, None)",
         (R, 0, 87)),
    Case("localfree_bytes", "ws.LocalFree(b'x')", ("raises", "TypeError")),
    Case("localfree_int", "ws.LocalFree(12345)", ("raises", "TypeError")),
    Case("freeaddrinfo_str", "ws.freeaddrinfo('x')", ("raises", "TypeError")),
    Case("getaddrinfo_hints_flags_str", "ws.getaddrinfo('localhost', '80', ws.addrinfo(ai_flags='x'), [])",
         ("raises", "TypeError")),
    Case("sizeof_int", "ws.sizeof(4)", ("raises", "TypeError")),
    Case("makeword_str", "ws.MAKEWORD('2', 2)", ("raises", "TypeError")),

    # -- errors ------------------------------------------------------------------------------------
    Case("error_for_2_70", "portsock.error_for(2**70)", ("raises", "ValueError")),
    Case("error_for_str", "portsock.error_for('x')", ("raises", "TypeError")),
    Case("error_for_none", "portsock.error_for(None)", ("raises", "TypeError")),
    Case("error_class_2_70", "portsock.error_class(-2**70)", ("raises", "ValueError")),
    Case("error_class_float", "portsock.error_class(10054.0)", ("raises", "TypeError")),
    Case("winsock_error_str", "portsock.WinsockError('10054')", ("raises", "TypeError")),

    # -- the Pythonic layer --------------------------------------------------------------------
    Case("py_connect_host_1mb", "portsock.connect(big, 80)", ("raises", "ValueError")),
    Case("py_connect_host_nul", "portsock.connect('127.0.0.1\\0x', 80)", ("raises", "ValueError")),
    Case("py_connect_host_bytes", "portsock.connect(b'127.0.0.1', 80)", ("raises", "TypeError")),
    Case("py_connect_port_negative", "portsock.connect('127.0.0.1', -1)", ("raises", "ValueError")),
    Case("py_connect_port_2_70", "portsock.connect('127.0.0.1', 2**70)", ("raises", "ValueError")),
    Case("py_connect_port_str", "portsock.connect('127.0.0.1', '80')", ("raises", "TypeError")),
    Case("py_connect_timeout_negative", "portsock.connect('127.0.0.1', 80, timeout=-1)", ("raises", "ValueError")),
    Case("py_connect_timeout_nan", "portsock.connect('127.0.0.1', 80, timeout=float('nan'))",
         ("raises", "ValueError")),
    Case("py_connect_timeout_str", "portsock.connect('127.0.0.1', 80, timeout='1')", ("raises", "TypeError")),
    Case("py_connect_family_unknown", "portsock.connect('127.0.0.1', 80, family=12345)", ("raises", "ValueError")),
    Case("py_connect_unknown_host", "portsock.connect('no-such-host.invalid', 80, timeout=5)",
         ("winerror", HOST_NOT_FOUND)),
    Case("py_connect_timeout_inf", "portsock.connect('127.0.0.1', 1, timeout=float('inf'))",
         ("raises", "ValueError|ConnectionRefusedError")),
    Case("py_send_str", "conn.send('text')", ("raises", "TypeError")),
    Case("py_send_none", "conn.send(None)", ("raises", "TypeError")),
    # BufferError, as the stdlib socket raises for a non-contiguous buffer.
    Case("py_sendall_noncontiguous", "conn.sendall(memoryview(b'abcdef')[::2])", ("raises", "TypeError|BufferError")),
    Case("py_send_flags_negative", "conn.send(b'x', -1)", ("winerror", OPNOTSUPP)),
    Case("py_send_flags_2_40", "conn.send(b'x', 2**40)", ("raises", "ValueError|WinsockError")),
    Case("py_recv_negative", "conn.recv(-1)", ("raises", "ValueError")),
    Case("py_recv_str", "conn.recv('10')", ("raises", "TypeError")),
    Case("py_recv_into_bytes", "conn.recv_into(b'....')", ("raises", "TypeError")),
    Case("py_recv_into_readonly", "conn.recv_into(memoryview(b'....'))", ("raises", "TypeError")),
    Case("py_recv_into_nbytes_beyond", "conn.recv_into(bytearray(4), 5)", ("raises", "ValueError")),
    Case("py_recv_into_nbytes_negative", "conn.recv_into(bytearray(4), -1)", ("raises", "ValueError")),
    Case("py_shutdown_how_3", "conn.shutdown(3)", ("raises", "ValueError")),
    Case("py_shutdown_how_str", "conn.shutdown('send')", ("raises", "TypeError")),
    Case("py_shutdown_how_float", "conn.shutdown(1.0)", ("raises", "TypeError")),
    Case("py_shutdown_how_none", "conn.shutdown(None)", ("raises", "TypeError")),
    Case("py_settimeout_negative", "conn.settimeout(-0.5)", ("raises", "ValueError")),
    Case("py_settimeout_str", "conn.settimeout('1')", ("raises", "TypeError")),
    Case("py_disconnect_timeout_str", "conn.disconnect(timeout='1')", ("raises", "TypeError")),
    Case("py_disconnect_timeout_negative", "conn.disconnect(timeout=-1)", ("raises", "ValueError")),
    Case("py_from_socket_int", "portsock.Connection.from_socket(3)", ("raises", "TypeError")),
    Case("py_connection_handle_str", "portsock.Connection('3')", ("raises", "TypeError")),
    Case("py_disconnect_max_size_str", "conn.disconnect(max_size='10')", ("raises", "TypeError")),
    Case("py_disconnect_max_size_negative", "conn.disconnect(max_size=-1)", ("raises", "ValueError")),
    Case("py_disconnect_max_size_with_discard", "conn.disconnect(max_size=1, discard=True)",
         ("raises", "ValueError")),
    Case("py_recv_until_fin_max_size_float", "conn.recv_until_fin(max_size=1.5)", ("raises", "TypeError")),
    Case("py_recv_until_fin_max_size_negative", "conn.recv_until_fin(max_size=-5)", ("raises", "ValueError")),
    Case("py_recv_until_fin_positional", "conn.recv_until_fin(10)", ("raises", "TypeError")),
    Case("py_setsockopt_level_str", "conn.setsockopt('6', ws.TCP_NODELAY, 1)", ("raises", "TypeError")),
    Case("py_setsockopt_level_2_40", "conn.setsockopt(2**40, ws.TCP_NODELAY, 1)", ("raises", "ValueError")),
    Case("py_setsockopt_value_none", "conn.setsockopt(ws.IPPROTO_TCP, ws.TCP_NODELAY, None)", ("raises", "TypeError")),
    Case("py_setsockopt_value_str", "conn.setsockopt(ws.IPPROTO_TCP, ws.TCP_NODELAY, 'on')", ("raises", "TypeError")),
    Case("py_setsockopt_value_2_40", "conn.setsockopt(ws.IPPROTO_TCP, ws.TCP_NODELAY, 2**40)",
         ("raises", "ValueError")),
    Case("py_setsockopt_linger_huge", "conn.setsockopt(ws.SOL_SOCKET, ws.SO_LINGER, ws.LINGER(2**20, 0))",
         ("raises", "ValueError")),
    Case("py_setsockopt_unknown", "conn.setsockopt(ws.SOL_SOCKET, 12345, 1)", ("winerror", NOPROTOOPT)),
    Case("py_getsockopt_optname_float", "conn.getsockopt(ws.SOL_SOCKET, 1.0)", ("raises", "TypeError")),
    Case("py_getsockopt_buflen_zero", "conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, 0)", ("raises", "ValueError")),
    Case("py_getsockopt_buflen_2_70", "conn.getsockopt(ws.SOL_SOCKET, ws.SO_TYPE, 2**70)", ("raises", "ValueError")),
    Case("py_getsockopt_unknown_level", "conn.getsockopt(12345, 1)", ("winerror", INVAL)),
    Case("py_nodelay_str", "setattr(conn, 'nodelay', 'yes')", ("raises", "TypeError")),
    Case("py_keepalive_none", "setattr(conn, 'keepalive', None)", ("raises", "TypeError")),
    Case("py_setblocking_str", "conn.setblocking('no')", ("raises", "TypeError")),
    Case("py_send_flags_float", "conn.send(b'x', 1.0)", ("raises", "TypeError")),
    Case("py_sendall_flags_str", "conn.sendall(b'x', '0')", ("raises", "TypeError")),
    Case("py_recv_into_nbytes_str", "conn.recv_into(bytearray(4), '4')", ("raises", "TypeError")),
    Case("py_connect_source_list", "portsock.connect('127.0.0.1', 1, source_address=['127.0.0.1', 0])",
         ("raises", "TypeError")),
    Case("py_connect_source_port_2_70", "portsock.connect('127.0.0.1', 1, source_address=('127.0.0.1', 2**70))",
         ("raises", "ValueError")),
    Case("py_connect_source_host_int", "portsock.connect('127.0.0.1', 1, source_address=(2130706433, 0))",
         ("raises", "TypeError")),
    Case("py_create_server_address_str", "portsock.create_server('127.0.0.1:0')", ("raises", "TypeError")),
    Case("py_create_server_port_2_70", "portsock.create_server(('127.0.0.1', 2**70))", ("raises", "ValueError")),
    Case("py_create_server_host_bytes", "portsock.create_server((b'127.0.0.1', 0))", ("raises", "TypeError")),
    Case("py_create_server_family_unknown", "portsock.create_server(('127.0.0.1', 0), family=12345)",
         ("raises", "ValueError")),
    Case("py_create_server_backlog_2_70", "portsock.create_server(('127.0.0.1', 0), backlog=2**70)",
         ("raises", "ValueError")),
    Case("py_create_server_backlog_float", "portsock.create_server(('127.0.0.1', 0), backlog=5.0)",
         ("raises", "TypeError")),
    Case("py_create_server_dualstack_ipv4", "portsock.create_server(('127.0.0.1', 0), dualstack_ipv6=True)",
         ("raises", "ValueError")),
    Case("py_listener_handle_none", "portsock.Listener(None)", ("raises", "TypeError")),
    Case("py_listener_settimeout_str", "listener.settimeout('1')", ("raises", "TypeError")),
    Case("py_listener_settimeout_negative", "listener.settimeout(-1)", ("raises", "ValueError")),
    Case("py_listener_setblocking_none", "listener.setblocking(None)", ("raises", "TypeError")),
    Case("py_listener_accept_closed", "(listener.close(), listener.accept())", ("winerror", NOTSOCK)),
    Case("py_session_version_str", "portsock.Session(version=('2', '2')).__enter__()", ("raises", "TypeError")),
    Case("py_session_version_int", "portsock.Session(version=5).__enter__()", ("raises", "TypeError")),
    Case("py_reply_too_large_max_size_str", "portsock.ReplyTooLarge(b'', 'x')", ("raises", "TypeError")),
    # -- select and WSAPoll ------------------------------------------------------------
    Case("select_nfds_str", "ws.select('x', None, None, None, None)", ("raises", "TypeError")),
    Case("select_readfds_str", "ws.select(0, 'x', None, None, None)", ("raises", "TypeError")),
    Case("select_timeout_int", "ws.select(0, None, None, None, 5)", ("raises", "TypeError")),
    Case("select_every_set_null", "ws.select(0, None, None, None, ws.TIMEVAL(0, 0))", (R, -1, INVAL)),
    Case("select_nfds_huge", "ws.select(1 << 70, None, None, None, ws.timeval(0, 0))", (R, -1, INVAL)),
    Case("select_forged_handle", "(lambda f: (ws.FD_SET(s ^ (1 << 30), f), ws.select(0, f, None, None, "
         "ws.timeval(0, 0)))[1])(ws.fd_set())", (R, -1, NOTSOCK)),
    Case("fd_set_handle_str", "ws.FD_SET('x', ws.fd_set())", ("raises", "TypeError")),
    Case("fd_isset_set_none", "ws.FD_ISSET(s, None)", ("raises", "TypeError")),
    Case("timeval_str", "ws.timeval('x')", ("raises", "TypeError")),
    Case("timeval_usec_none", "ws.timeval(0, None)", ("raises", "TypeError")),
    Case("wsapoll_array_str", "ws.WSAPoll('x', 1, 0)", ("raises", "TypeError")),
    Case("wsapoll_array_of_str", "ws.WSAPoll(['x'], 1, 0)", ("raises", "TypeError")),
    Case("wsapoll_none_at_all", "ws.WSAPoll([], 0, 0)", (R, -1, INVAL)),
    Case("wsapoll_timeout_str", "ws.WSAPoll([ws.pollfd(s, ws.POLLRDNORM)], 1, 'x')", ("raises", "TypeError")),
    Case("wsapoll_fds_huge", "ws.WSAPoll([ws.pollfd(s, ws.POLLRDNORM)], 1 << 70, 0)", (R, -1, INVAL)),
    Case("wsapoll_forged_handle", "ws.WSAPoll([ws.pollfd(5, ws.POLLRDNORM)], 1, 0)", (R, -1, NOTSOCK)),
    Case("pollfd_fd_str", "ws.pollfd('x')", ("raises", "TypeError")),
    Case("pollfd_events_str", "ws.pollfd(s, 'x')", ("raises", "TypeError")),

    # -- the old resolver and address calls ------------------------------------------
    Case("gethostbyname_int", "ws.gethostbyname(5)", ("raises", "TypeError")),
    Case("gethostbyname_bytes", "ws.gethostbyname(b'localhost')", ("raises", "TypeError")),
    Case("gethostbyname_nul", "ws.gethostbyname('local\\0host')", (R, None, HOST_NOT_FOUND)),
    Case("gethostbyname_1mb", "ws.gethostbyname(big)", (R, None, HOST_NOT_FOUND)),
    Case("gethostbyname_lone_surrogate", "ws.gethostbyname('\\udcff.invalid')", (R, None, HOST_NOT_FOUND)),
    Case("gethostbyname_before_startup", "ws.gethostbyname('127.0.0.1')", (R, None, NOTINIT), setup="none"),
    Case("gethostbyaddr_str", "ws.gethostbyaddr('127.0.0.1', 4, 2)", ("raises", "TypeError")),
    Case("gethostbyaddr_none", "ws.gethostbyaddr(None, 4, ws.AF_INET)", (R, None, FAULT)),
    Case("gethostbyaddr_len_beyond", "ws.gethostbyaddr(b'\\x7f\\0\\0\\1', 5, ws.AF_INET)", (R, None, FAULT)),
    Case("gethostbyaddr_len_negative", "ws.gethostbyaddr(b'\\x7f\\0\\0\\1', -1, ws.AF_INET)", (R, None, FAULT)),
    Case("gethostbyaddr_len_huge", "ws.gethostbyaddr(b'\\x7f\\0\\0\\1', 1 << 70, ws.AF_INET)", (R, None, FAULT)),
    Case("gethostbyaddr_type_huge", "ws.gethostbyaddr(b'\\x7f\\0\\0\\1', 4, 1 << 70)", (R, None, AFNOSUPPORT)),
    Case("gethostbyaddr_type_str", "ws.gethostbyaddr(b'\\x7f\\0\\0\\1', 4, 'inet')", ("raises", "TypeError")),
    Case("gethostbyaddr_v6_short", "ws.gethostbyaddr(bytes(16), 4, ws.AF_INET6)", (R, None, FAULT)),
    Case("gethostbyaddr_before_startup", "ws.gethostbyaddr(None, 4, 2)", (R, None, NOTINIT), setup="none"),
    Case("gethostname_bytes", "ws.gethostname(b'x' * 256, 256)", ("raises", "TypeError")),
    Case("gethostname_none", "ws.gethostname(None, 256)", (R, -1, FAULT)),
    Case("gethostname_len_beyond", "ws.gethostname(bytearray(4), 256)", (R, -1, FAULT)),
    Case("gethostname_len_negative", "ws.gethostname(bytearray(256), -1)", (R, -1, FAULT)),
    Case("gethostname_len_huge", "ws.gethostname(bytearray(256), 1 << 70)", (R, -1, FAULT)),
    Case("gethostname_len_str", "ws.gethostname(bytearray(256), '256')", ("raises", "TypeError")),
    Case("gethostname_before_startup", "ws.gethostname(bytearray(4), 256)", (R, -1, NOTINIT), setup="none"),
    Case("inet_ntoa_str", "ws.inet_ntoa('127.0.0.1')", ("raises", "TypeError")),
    Case("inet_ntoa_none", "ws.inet_ntoa(None)", ("raises", "TypeError")),
    Case("inet_ntoa_huge", "ws.inet_ntoa((1 << 64) + 0x0100007F)", (R, "127.0.0.1", 0)),
    Case("getservbyname_int", "ws.getservbyname(80, 'tcp')", ("raises", "TypeError")),
    Case("getservbyname_none", "ws.getservbyname(None, 'tcp')", (R, None, FAULT)),
    Case("getservbyname_nul", "ws.getservbyname('ht\\0tp', 'tcp')", (R, None, NO_DATA)),
    Case("getservbyname_proto_nul", "ws.getservbyname('http', 't\\0cp')", (R, None, NO_DATA)),
    Case("getservbyname_1mb", "ws.getservbyname(big, big)", (R, None, NO_DATA)),
    Case("getservbyname_before_startup", "ws.getservbyname('http', 'tcp')", (R, None, NOTINIT), setup="none"),
    Case("getservbyport_str", "ws.getservbyport('80', 'tcp')", ("raises", "TypeError")),
    Case("getservbyport_huge", "ws.getservbyport(1 << 70, 'tcp')", (R, None, NO_DATA)),
    Case("getservbyport_negative", "ws.getservbyport(-1, None)", (R, None, NO_DATA)),
    Case("getservbyport_proto_1mb", "ws.getservbyport(ws.htons(80), big)", (R, None, NO_DATA)),
    Case("getnameinfo_sockaddr_str", "ws.getnameinfo('127.0.0.1', 16, None, 0, bytearray(32), 32, 0)",
         ("raises", "TypeError")),
    Case("getnameinfo_sockaddr_none", "ws.getnameinfo(None, 16, bytearray(64), 64, None, 0, 0)", (R, FAULT, FAULT)),
    Case("getnameinfo_salen_short", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 4, bytearray(64), 64, None, 0, 0)",
         (R, FAULT, FAULT)),
    Case("getnameinfo_salen_huge", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 1 << 40, bytearray(64), 64, None, "
         "0, 0)", (R, FAULT, FAULT)),
    Case("getnameinfo_host_size_beyond", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 16, bytearray(4), 64, None, "
         "0, 0)", (R, FAULT, FAULT)),
    Case("getnameinfo_serv_size_negative", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 16, None, 0, "
         "bytearray(32), -1, 0)", (R, FAULT, FAULT)),
    Case("getnameinfo_host_bytes", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 16, b'x' * 64, 64, None, 0, 0)",
         ("raises", "TypeError")),
    Case("getnameinfo_flags_huge", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET), 16, bytearray(64), 64, None, 0, "
         "1 << 70)", (R, INVAL, INVAL)),
    Case("getnameinfo_family_mismatch", "ws.getnameinfo(ws.sockaddr_in(ws.AF_INET6), 16, bytearray(64), 64, "
         "None, 0, 0)", (R, AFNOSUPPORT, AFNOSUPPORT)),
    Case("getnameinfo_before_startup", "ws.getnameinfo(None, 16, None, 0, None, 0, 0)", (R, NOTINIT, NOTINIT),
         setup="none"),
    Case("hostent_name_int", "ws.HOSTENT(h_aliases=5)", ("raises", "TypeError")),
    Case("servent_aliases_int", "ws.SERVENT(s_aliases=5)", ("raises", "TypeError")),
    Case("hostent_addr_list_int", "ws.hostent(h_addr_list=5)", ("raises", "TypeError")),
    Case("servent_lower_aliases_int", "ws.servent(s_aliases=5)", ("raises", "TypeError")),
    # -- the Winsock 2 calls --------------------------------------------------------------
    Case("wsabuf_len_str", "ws.WSABUF('x')", ("raises", "TypeError")),
    Case("tcp_keepalive_str", "ws.tcp_keepalive('x')", ("raises", "TypeError")),
    Case("wsasocketa_protocol_info", "ws.WSASocketA(2, 1, 6, object())", (R, INVALID, INVAL)),
    Case("wsasocketw_af_str", "ws.WSASocketW('x', 1, 6)", ("raises", "TypeError")),
    Case("wsasocketa_group_str", "ws.WSASocketA(2, 1, 6, None, 'x')", ("raises", "TypeError")),
    Case("wsasend_buffers_str", "ws.WSASend(s, 'x', 1, ws.DWORD(), 0)", ("raises", "TypeError")),
    Case("wsasend_buffers_of_bytes", "ws.WSASend(s, [b'x'], 1, ws.DWORD(), 0)", ("raises", "TypeError")),
    Case("wsasend_count_beyond_list", "ws.WSASend(s, [ws.WSABUF(1, b'x')], 2, ws.DWORD(), 0)", (R, -1, FAULT)),
    Case("wsasend_count_negative", "ws.WSASend(s, [ws.WSABUF(1, b'x')], -1, ws.DWORD(), 0)", (R, -1, FAULT)),
    Case("wsasend_count_huge", "ws.WSASend(s, None, 1 << 40, ws.DWORD(), 0)", (R, -1, FAULT)),
    Case("wsasend_len_beyond_buf", "ws.WSASend(s, [ws.WSABUF(9, b'x')], 1, ws.DWORD(), 0)", (R, -1, FAULT)),
    Case("wsasend_len_negative", "ws.WSASend(s, [ws.WSABUF(-1, b'x')], 1, ws.DWORD(), 0)", (R, -1, FAULT)),
    Case("wsasend_buf_str", "ws.WSASend(s, [ws.WSABUF(1, 'x')], 1, ws.DWORD(), 0)", ("raises", "TypeError")),
    Case("wsasend_count_holder_int", "ws.WSASend(s, [ws.WSABUF(1, b'x')], 1, 5, 0)", ("raises", "TypeError")),
    Case("wsasend_no_count", "ws.WSASend(s, [ws.WSABUF(1, b'x')], 1, None, 0)", (R, -1, FAULT)),
    Case("wsasend_flags_huge", "ws.WSASend(s, [ws.WSABUF(1, b'x')], 1, ws.DWORD(), 1 << 40)", (R, -1, OPNOTSUPP)),
    Case("wsasend_overlapped", "ws.WSASend(s, [ws.WSABUF(1, b'x')], 1, ws.DWORD(), 0, object())",
         (R, -1, OPNOTSUPP)),
    Case("wsasend_forged_handle", "ws.WSASend(s ^ (1 << 30), [ws.WSABUF(1, b'x')], 1, ws.DWORD(), 0)",
         (R, -1, NOTSOCK)),
    Case("wsarecv_readonly_buf", "ws.WSARecv(s, [ws.WSABUF(1, b'x')], 1, ws.DWORD(), ws.DWORD())",
         ("raises", "TypeError")),
    Case("wsarecv_no_flags", "ws.WSARecv(s, [ws.WSABUF(1, bytearray(1))], 1, ws.DWORD(), None)", (R, -1, FAULT)),
    Case("wsarecv_len_beyond_buf", "ws.WSARecv(s, [ws.WSABUF(5, bytearray(1))], 1, ws.DWORD(), ws.DWORD())",
         (R, -1, FAULT)),
    Case("wsarecv_completion", "ws.WSARecv(s, [], 0, ws.DWORD(), ws.DWORD(), None, print)", (R, -1, OPNOTSUPP)),
    Case("wsasendto_tolen_huge", "ws.WSASendTo(s, [], 0, ws.DWORD(), 0, None, 1 << 40)", (R, -1, FAULT)),
    Case("wsasendto_to_str", "ws.WSASendTo(s, [], 0, ws.DWORD(), 0, 'x', 16)", ("raises", "TypeError")),
    Case("wsarecvfrom_from_str", "ws.WSARecvFrom(s, [], 0, ws.DWORD(), ws.DWORD(), 'x', ws.c_int(16))",
         ("raises", "TypeError")),
    Case("wsasenddisconnect_data_bytes", "ws.WSASendDisconnect(s, b'x')", ("raises", "TypeError")),
    Case("wsasenddisconnect_data", "ws.WSASendDisconnect(s, ws.WSABUF(1, b'x'))", (R, -1, NOPROTOOPT)),
    Case("wsarecvdisconnect_data_len_beyond", "ws.WSARecvDisconnect(s, ws.WSABUF(9, bytearray(1)))",
         (R, -1, FAULT)),
    Case("wsarecvdisconnect_handle_huge", "ws.WSARecvDisconnect(1 << 70)", (R, -1, NOTSOCK)),
    Case("wsaioctl_code_str", "ws.WSAIoctl(s, 'x', None, 0, None, 0, ws.DWORD())", ("raises", "TypeError")),
    Case("wsaioctl_code_huge", "ws.WSAIoctl(s, 1 << 40, None, 0, None, 0, ws.DWORD())", (R, -1, OPNOTSUPP)),
    Case("wsaioctl_in_str", "ws.WSAIoctl(s, ws.FIONBIO, 'x', 1, None, 0, ws.DWORD())", ("raises", "TypeError")),
    Case("wsaioctl_cbin_beyond", "ws.WSAIoctl(s, ws.FIONBIO, b'x', 4, None, 0, ws.DWORD())", (R, -1, FAULT)),
    Case("wsaioctl_out_bytes", "ws.WSAIoctl(s, ws.FIONREAD, None, 0, b'1234', 4, ws.DWORD())",
         ("raises", "TypeError")),
    Case("wsaioctl_no_returned", "ws.WSAIoctl(s, ws.FIONREAD, None, 0, ws.u_long(), 4, None)", (R, -1, FAULT)),
    Case("wsaioctl_keepalive_short", "ws.WSAIoctl(s, ws.SIO_KEEPALIVE_VALS, bytes(4), 4, None, 0, ws.DWORD())",
         (R, -1, FAULT)),
    # -- the trace (portsock.trace_to) -------------------------------------------------
    Case("trace_to_none", "portsock.trace_to(None)", ("raises", "TypeError")),
    Case("trace_to_int", "portsock.trace_to(5)", ("raises", "TypeError")),
    Case("trace_to_nul", "portsock.trace_to('a\\0b')", ("raises", "ValueError")),
    Case("trace_to_missing_dir", "portsock.trace_to('/nonexistent-portsock-dir/t.jsonl')",
         ("raises", "FileNotFoundError")),
]

BY_NAME: Dict[str, Case] = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "duplicate case names"


def _matches(expected: Tuple[Any, ...], got: Dict[str, Any]) -> bool:
    kind = expected[0]
    if kind == "ret":
        return got.get("ret") == expected[1] and got.get("err") == expected[2]
    if kind == "ret_any_err":
        return "ret" in got and got["ret"] == expected[1]
    if kind == "raises":
        return any(name in got.get("mro", []) for name in expected[1].split("|"))
    if kind == "winerror":
        return "WinsockError" in got.get("mro", []) and got.get("winerror") == expected[1]
    raise ValueError(kind)


def _listener(ws: Any) -> Tuple[int, Any]:
    lst = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
    addr = ws.sockaddr_in(ws.AF_INET, 0, ws.in_addr(ws.inet_addr("127.0.0.1")))
    assert ws.bind(lst, addr, ws.sizeof(addr)) == 0 and ws.listen(lst, 4) == 0
    bound = ws.sockaddr_in()
    assert ws.getsockname(lst, bound, ws.c_int(ws.sizeof(bound))) == 0
    return lst, bound


def run(case: Case) -> Dict[str, Any]:
    import portsock
    from portsock import winsock as ws

    env: Dict[str, Any] = {"ws": ws, "portsock": portsock, "big": "a" * (1 << 20)}
    peer = conn = None
    if case.setup == "full":
        assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
        env["lst"], bound = _listener(ws)
        env["s"] = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        assert ws.connect(env["s"], bound, ws.sizeof(bound)) == 0
        env["srv"] = ws.accept(env["lst"], None, None)
        assert env["srv"] != ws.INVALID_SOCKET
        for h in (env["s"], env["srv"]):   # nothing may block for long
            ws.setsockopt(h, ws.SOL_SOCKET, ws.SO_RCVTIMEO, ws.DWORD(2000), 4)
            ws.setsockopt(h, ws.SOL_SOCKET, ws.SO_SNDTIMEO, ws.DWORD(2000), 4)
        if "listener" in case.expr:
            env["listener"] = portsock.create_server(("127.0.0.1", 0))
        if "conn" in case.expr:
            from portsock.testing import EchoPeer
            peer = EchoPeer(timeout=10).start()
            conn = env["conn"] = portsock.connect(*peer.address, timeout=5)
    got: Dict[str, Any]
    try:
        ret = eval(case.expr, env)
        got = {"ret": ret, "err": ws.WSAGetLastError()}
    except BaseException as e:   # noqa: B902 - the outcome under test
        got = {"raised": type(e).__name__, "mro": [k.__name__ for k in type(e).__mro__],
               "message": str(e)[:200], "winerror": getattr(e, "winerror", None)}
    if conn is not None:
        conn.close()
    if "listener" in env:
        env["listener"].close()
    if peer is not None:
        peer.stop()
    return {"ok": _matches(case.expected, got), "got": got}


def main() -> int:
    result = run(BY_NAME[sys.argv[1]])
    print(json.dumps(result, default=repr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
