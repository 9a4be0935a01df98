"""The scenario language of tests/native/scenarios.txt (documented at its top).

parse() returns the scenarios in file order; each op keeps its words and its
source line, so that results can name the step they belong to.
"""

from __future__ import annotations

import os
import re
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
# The source tree: the one this package sits in (an editable install), or the
# one PORTSOCK_SOURCE_TREE names (the project's tests set it, so that an
# installed copy of the package reads the checkout's scenarios and C).
ROOT = os.environ.get("PORTSOCK_SOURCE_TREE") or os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SCENARIOS_FILE = os.path.join(ROOT, "tests", "native", "scenarios.txt")

# op -> (minimum, maximum) number of arguments
ARITY = {
    "startup": (1, 2), "wsadata": (1, 1), "cleanup": (0, 0), "lasterror": (0, 0),
    "setlasterror": (1, 1), "socket": (4, 4), "bind": (2, 2), "listen": (2, 2),
    "connect": (2, 2), "accept": (2, 2), "send": (2, 2), "recv": (2, 2),
    "sendto": (3, 3), "recvfrom": (2, 2), "shutdown": (2, 2), "close": (1, 1),
    "close_value": (1, 1), "linger": (3, 3), "rcvtimeo": (2, 2), "fionbio": (2, 2),
    "soerror": (1, 2), "getaddrinfo": (2, 5), "sleep": (1, 1), "thread_recv": (2, 2),
    "thread_close": (2, 2), "join": (0, 0), "select": (4, 4), "fdset": (1, 1),
    "wsapoll": (1, 2 * 8 + 1), "revents": (1, 1),
    # the old resolver and address calls
    "gethostbyname": (1, 1), "gethostbyaddr": (3, 3), "hostent": (1, 1), "getservbyname": (2, 2),
    "getservbyport": (2, 2), "servent": (1, 1), "gethostname": (1, 1), "inet_ntoa": (1, 1),
    "getnameinfo": (5, 5), "nameinfo": (1, 1),
    # the Winsock 2 calls
    "wsasocket": (4, 5), "wsasend": (2, 3), "wsasendto": (3, 3), "wsarecv": (2, 3), "wsarecvfrom": (2, 3),
    "wsacount": (0, 0), "wsaflags": (0, 0), "wsabufs": (0, 0), "wsasenddisconnect": (1, 2),
    "wsarecvdisconnect": (1, 2), "wsaioctl": (2, 5), "wsaout": (0, 0),
}
HOSTENT_FIELDS = {"h_name", "h_addrtype", "h_length", "h_aliases", "h_addr_list"}
SERVENT_FIELDS = {"s_name", "s_port", "s_proto"}
NAMEINFO_WHICH = {"host", "serv"}
NI_FLAGS = {"numerichost", "numericserv", "namereqd", "nofqdn", "dgram"}
# ops whose first argument is a socket variable that must already exist
USES_SOCKET = {"bind", "listen", "connect", "send", "recv", "sendto", "recvfrom", "shutdown",
               "close", "linger", "rcvtimeo", "fionbio", "soerror", "thread_recv", "thread_close",
               "wsasend", "wsasendto", "wsarecv", "wsarecvfrom", "wsasenddisconnect", "wsarecvdisconnect",
               "wsaioctl"}
THREADS = {"thread_recv", "thread_close"}
SET_WHICH = {"r", "w", "e"}
TARGETS = {"closedport", "closedport6"}
WSADATA_FIELDS = {"wVersion", "wHighVersion", "iMaxSockets", "iMaxUdpDg"}
NAME_RE = re.compile(r"^[a-z0-9_]+$")
# "# rule: SEL-6 SEL-8" on a scenario line: the rules of docs/winsock-rules.md it pins
RULES_COMMENT_RE = re.compile(r"^rules?:(.*)$")
RULE_ID_RE = re.compile(r"^[A-Z]+-[1-9][0-9]*$")


class Op(NamedTuple):
    words: List[str]      # the op and its arguments
    line: int             # 1-based line in the file
    comment: str = ""     # the comment after it on its line, if any

    @property
    def name(self) -> str:
        return self.words[0]

    @property
    def args(self) -> List[str]:
        return self.words[1:]

    @property
    def text(self) -> str:
        return " ".join(self.words)


class Scenario(NamedTuple):
    name: str
    line: int
    ops: List[Op]
    rules: Tuple[str, ...] = ()   # the rule IDs its "# rule:" comment names


class ScenarioError(ValueError):
    pass


def parse_text(text: str, path: str = "<scenarios>") -> List[Scenario]:
    scenarios: List[Scenario] = []
    current: Optional[Scenario] = None
    names: Dict[str, int] = {}
    variables: Set[str] = set()
    thread = False
    for number, raw in enumerate(text.splitlines(), 1):
        code, _, comment = raw.partition("#")
        words = code.split()
        if not words:
            continue
        where = "%s:%d" % (path, number)
        if words[0] == "scenario":
            if len(words) != 2 or not NAME_RE.match(words[1]):
                raise ScenarioError("%s: expected 'scenario NAME'" % where)
            if words[1] in names:
                raise ScenarioError("%s: scenario %s already defined at line %d"
                                    % (where, words[1], names[words[1]]))
            if current is not None and thread:
                raise ScenarioError("%s: scenario %s ends with a thread not joined"
                                    % (where, current.name))
            names[words[1]] = number
            current = Scenario(words[1], number, [], _rule_ids(comment, where))
            scenarios.append(current)
            variables, thread = set(), False
            continue
        if current is None:
            raise ScenarioError("%s: op before the first 'scenario'" % where)
        if RULES_COMMENT_RE.match(comment.strip()):
            raise ScenarioError("%s: a rule comment belongs on the scenario line" % where)
        op, args = words[0], words[1:]
        if op not in ARITY:
            raise ScenarioError("%s: unknown op %r" % (where, op))
        lo, hi = ARITY[op]
        if not lo <= len(args) <= hi or (op == "getaddrinfo" and len(args) not in (2, 5)):
            raise ScenarioError("%s: wrong number of arguments for %s" % (where, op))
        if op in USES_SOCKET and args[0] not in variables:
            raise ScenarioError("%s: socket variable %s is not defined" % (where, args[0]))
        if op in ("connect", "sendto") and args[1] not in variables and args[1] not in TARGETS:
            raise ScenarioError("%s: unknown target %s" % (where, args[1]))
        if op == "accept" and args[1] not in variables:
            raise ScenarioError("%s: socket variable %s is not defined" % (where, args[1]))
        if op == "wsadata" and args[0] not in WSADATA_FIELDS:
            raise ScenarioError("%s: unknown WSADATA field %s" % (where, args[0]))
        if op == "startup" and (not re.match(r"^(\d+\.\d+|0x[0-9a-fA-F]{1,4})$", args[0])
                                or (len(args) == 2 and args[1] != "null")):
            raise ScenarioError("%s: expected 'startup MAJOR.MINOR|0xWORD [null]'" % where)
        if op == "bind" and args[1] not in ("loopback4", "loopback6"):
            raise ScenarioError("%s: bind to loopback4 or loopback6" % where)
        if op in ("socket", "accept", "wsasocket"):
            variables.add(args[0])
        if op in ("wsasend", "wsarecv", "wsarecvfrom") or op == "wsasendto":
            _check_sizes(args[2] if op == "wsasendto" else args[1], where)
        if op in ("wsasenddisconnect", "wsarecvdisconnect") and len(args) == 2 and args[1] != "data":
            raise ScenarioError("%s: %s X [data]" % (where, op))
        if op == "wsaioctl" and not (args[1] == "fionread" and len(args) == 2 or
                                     args[1] == "fionbio" and len(args) == 3 or
                                     args[1] == "keepalive" and len(args) == 5 or
                                     re.match(r"^(0x[0-9a-fA-F]+|\d+)$", args[1]) and len(args) == 2):
            raise ScenarioError("%s: wsaioctl X fionread|fionbio V|keepalive ONOFF MS MS|CODE" % where)
        if op == "select" and not (args[0] == "null" or re.match(r"^\d+$", args[0])):
            raise ScenarioError("%s: select's timeout is a number of ms or null" % where)
        if op == "select":
            for word in args[1:]:
                for handle in ([] if word in ("-", "none") else word.split(",")):
                    _check_handle(handle, variables, where)
        if op == "fdset" and args[0] not in SET_WHICH:
            raise ScenarioError("%s: fdset r, w or e" % where)
        if op == "wsapoll":
            if len(args) % 2 != 1:
                raise ScenarioError("%s: wsapoll MS, then HANDLE EVENTS pairs" % where)
            for handle in args[1::2]:
                _check_handle(handle, variables, where)
        if op == "hostent" and args[0] not in HOSTENT_FIELDS:
            raise ScenarioError("%s: unknown HOSTENT field %s" % (where, args[0]))
        if op == "servent" and args[0] not in SERVENT_FIELDS:
            raise ScenarioError("%s: unknown SERVENT field %s" % (where, args[0]))
        if op == "nameinfo" and args[0] not in NAMEINFO_WHICH:
            raise ScenarioError("%s: nameinfo host or serv" % where)
        if op == "getnameinfo":
            for size in args[2:4]:
                if size != "NULL" and not (size.isdigit() and int(size) <= 1025):
                    raise ScenarioError("%s: a getnameinfo buffer is NULL or 0..1025 bytes" % where)
            if args[4] != "0" and not set(args[4].split("+")) <= NI_FLAGS:
                raise ScenarioError("%s: unknown getnameinfo flag in %s" % (where, args[4]))
        if op in THREADS:
            if thread:
                raise ScenarioError("%s: a thread is already running" % where)
            thread = True
        if op == "join":
            if not thread:
                raise ScenarioError("%s: no thread to join" % where)
            thread = False
        current.ops.append(Op(words, number, comment.strip()))
    if current is not None and thread:
        raise ScenarioError("%s: scenario %s ends with a thread not joined" % (path, current.name))
    return scenarios


def _check_sizes(word: str, where: str) -> None:
    """A WSABUF list: sizes joined with ',', none or null."""
    if word in ("none", "null") or re.match(r"^\d+(,\d+)*$", word):
        return
    raise ScenarioError("%s: buffer sizes are numbers joined with ',', none or null" % where)


def sizes(word: str) -> Optional[List[int]]:
    """The buffer sizes of a SIZES word; None for null (lpBuffers NULL)."""
    if word == "null":
        return None
    return [] if word == "none" else [int(n) for n in word.split(",")]


def _check_handle(word: str, variables: Set[str], where: str) -> None:
    """A handle word: a defined socket variable, invalid, or a number."""
    if word in variables or word == "invalid" or re.match(r"^(0x[0-9a-fA-F]+|\d+)$", word):
        return
    raise ScenarioError("%s: socket variable %s is not defined" % (where, word))


def _rule_ids(comment: str, where: str) -> Tuple[str, ...]:
    named = RULES_COMMENT_RE.match(comment.strip())
    if not named:
        return ()
    ids = tuple(named.group(1).replace(",", " ").split())
    if not ids or not all(RULE_ID_RE.match(i) for i in ids):
        raise ScenarioError("%s: expected '# rule: ID ...' (IDs like SEL-6)" % where)
    return ids


def parse(path: str = SCENARIOS_FILE) -> List[Scenario]:
    with open(path, encoding="utf-8") as f:
        return parse_text(f.read(), path)


def number(word: str) -> int:
    """A number as C's strtol(word, NULL, 0) reads it (0x..., -1, 10)."""
    return int(word, 0)


def startup_version(word: str) -> int:
    """2.2 (major.minor) or 0x0202 (the WORD itself, MAKEWORD(major, minor))."""
    if "." not in word:
        return int(word, 16) & 0xFFFF
    major, minor = (int(p) for p in word.split("."))
    return (major & 0xFF) | ((minor & 0xFF) << 8)


# ---- trace output: the drivers print "== NAME" then one JSON line per op ----

HEADER = "== "


def split_output(text: str) -> Dict[str, List[str]]:
    """{scenario: [trace lines]} from a driver's stdout."""
    out: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith(HEADER):
            current = out.setdefault(line[len(HEADER):].strip(), [])
        elif line.strip() and current is not None:
            current.append(line)
    return out


SCENARIO_BUDGET = 30.0  # seconds a scenario may take before the watchdog ends the run


def run_main(argv: List[str], iter_scenario: Callable[[Scenario], Iterator[str]]) -> int:
    """The command line of an interpreter: `interp [SCENARIOS_FILE|-] [NAME ...]`
    prints "== NAME" and the scenario's trace lines, as tests/native/driver.c does."""
    import faulthandler
    import sys

    path = argv[1] if len(argv) > 1 else SCENARIOS_FILE
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    wanted = set(argv[2:])
    for scenario in parse_text(text, path):
        if wanted and scenario.name not in wanted:
            continue
        faulthandler.dump_traceback_later(SCENARIO_BUDGET, exit=True)  # the watchdog
        print(HEADER + scenario.name)
        for line in iter_scenario(scenario):
            print(line, flush=True)
        faulthandler.cancel_dump_traceback_later()
    return 0

