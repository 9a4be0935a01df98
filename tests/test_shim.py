"""The shim compiles real Winsock programs unchanged (csrc/include/portsock):
every header spelling, Windows' in_addr with S_un, Win64's types, the
windows.h subset run and compared with the same program under Wine, and
glibc's fd_set, FD_* and POLL* out of reach in C and C++, whichever order the
system headers come in.

Every program here is built with -Wall -Wextra -Werror and runs within the
build helpers' timeouts (tests/parity/native.py); the one that runs is also
built with ASan+UBSan (leaks included) and run under valgrind where present.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Sequence

import pytest

from portsock._core import ffi, lib

from parity import native, wine_differences as wd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(native.ROOT, "tools"))
import shim_aliases  # noqa: E402

PROGRAM = os.path.join(HERE, "native", "winapi_shim.c")
EXPECTED_FILE = os.path.join(HERE, "native", "winapi_shim.expected.txt")
SHIM = ["-I" + native.SHIM_DIR, "-I" + native.CSRC]
WARNINGS = ["-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]

# Each compiler with its language standard.
COMPILERS: Dict[str, List[str]] = {
    "gcc": ["gcc", "-std=c11"],
    "gcc-gnu11": ["gcc", "-std=gnu11"],
    "clang": ["clang", "-std=c11"],
    "g++": ["g++", "-std=c++17"],
    "clang++": ["clang++", "-std=c++17"],
}

ALL_SPELLINGS = sorted({s for target, names in shim_aliases.SPELLINGS.items() for s in [target, *names]
                        if os.path.exists(os.path.join(native.SHIM_DIR, target))})


@pytest.fixture(scope="module", autouse=True)
def aliases() -> None:
    native.write_shim_aliases()


def compiler(name: str) -> List[str]:
    flags = COMPILERS[name]
    if shutil.which(flags[0]) is None:
        pytest.skip("no %s" % flags[0])
    return flags


def is_cxx(flags: Sequence[str]) -> bool:
    return flags[0].endswith("++")


def syntax(flags: Sequence[str], source: str, tmp_path: os.PathLike[str], extra: Sequence[str] = ()
           ) -> subprocess.CompletedProcess[str]:
    """Compiles source (text) with -fsyntax-only through the shim."""
    path = os.path.join(str(tmp_path), "check.cpp" if is_cxx(flags) else "check.c")
    with open(path, "w") as f:
        f.write(source)
    return subprocess.run([*flags, *WARNINGS, *extra, *SHIM, "-fsyntax-only", path],
                          capture_output=True, text=True, timeout=native.BUILD_TIMEOUT)


def compiles(flags: Sequence[str], source: str, tmp_path: os.PathLike[str], extra: Sequence[str] = ()) -> None:
    result = syntax(flags, source, tmp_path, extra)
    assert result.returncode == 0, result.stderr


# Static checks in C and C++ alike.
ASSERT = """
#ifdef __cplusplus
#define CHECK(cond, name) static_assert(cond, name)
#else
#define CHECK(cond, name) _Static_assert(cond, name)
#endif
"""

USES = """
int main(void)
{
    WSADATA data;
    SOCKADDR_IN addr;
    DWORD id;
    memset(&addr, 0, sizeof addr);
    addr.sin_addr.S_un.S_addr = htonl(INADDR_LOOPBACK);
    addr.sin_addr.s_addr = inet_addr("127.0.0.1");
    (void)id;
    Sleep(0);
    SetLastError(NO_ERROR);
    return WSAStartup(MAKEWORD(2, 2), &data) == 0 && GetLastError() == 0 ? 0 : 1;
}
"""


# --------------------------------------------------------------------------
# Header spellings

@pytest.mark.parametrize("spelling", ALL_SPELLINGS)
def test_each_spelling_alone_is_the_whole_shim(spelling: str, tmp_path: os.PathLike[str]) -> None:
    compiles(compiler("gcc"), "#include <%s>\n#include <string.h>\n%s" % (spelling, USES), tmp_path)


@pytest.mark.parametrize("name", sorted(COMPILERS))
def test_every_spelling_together(name: str, tmp_path: os.PathLike[str]) -> None:
    includes = "".join("#include <%s>\n" % s for s in ALL_SPELLINGS)
    compiles(compiler(name), includes + "#include <string.h>\n" + USES, tmp_path)


def test_every_spelling_reaches_the_real_headers_with_mingw(tmp_path: os.PathLike[str]) -> None:
    """On Windows (mingw, whose own headers are lowercase) an alias includes
    the lowercase shim through the include path, whose #include_next then
    finds the real header."""
    mingw = native.Tools().mingw
    if mingw is None:
        pytest.skip("no mingw")
    includes = "".join("#include <%s>\n" % s for s in ALL_SPELLINGS)
    compiles([mingw, "-std=c11"], includes + "#include <string.h>\n" + USES + ASSERT +
             "CHECK(sizeof(u_long) == 4, \"the real Winsock's\");\n", tmp_path)


def test_spellings_list_is_sound() -> None:
    for target, names in shim_aliases.SPELLINGS.items():
        assert target == target.lower(), target
        for alias in names:
            assert alias != target and alias.lower() == target, (alias, target)
    assert {"winsock2.h", "ws2tcpip.h", "windows.h", "winsock.h", "mswsock.h"} <= set(os.listdir(native.SHIM_DIR))


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=native.ROOT, capture_output=True, text=True, timeout=60)


def test_aliases_are_generated_ignored_and_left_out_of_the_sdist() -> None:
    """No two tracked names of the shim differ only in case (a checkout on
    macOS or Windows would lose one); every alias is ignored by git and
    excluded from the sdist."""
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout")
    tracked = _git("ls-files", "csrc/include/portsock").stdout.split()
    assert tracked
    folded: Dict[str, str] = {}
    for path in tracked:
        assert path.lower() not in folded, "%s and %s clash where case folds" % (folded[path.lower()], path)
        folded[path.lower()] = path
    all_aliases = [a for names in shim_aliases.SPELLINGS.values() for a in names]
    paths = ["csrc/include/portsock/" + a for a in all_aliases]
    assert not set(paths) & set(tracked)
    ignored = _git("check-ignore", "--no-index", *paths).stdout.split()
    assert sorted(ignored) == sorted(paths)
    with open(os.path.join(native.ROOT, "MANIFEST.in")) as f:
        excluded = [line.split()[1] for line in f if line.startswith("exclude ")]
    for path in paths:
        assert any(fnmatch.fnmatchcase(path, pattern) for pattern in excluded), path + " is in the sdist"
    for path in tracked:
        assert not any(fnmatch.fnmatchcase(path, pattern) for pattern in excluded), path + " is not"
    assert shim_aliases.stale() == []


def test_the_generator(tmp_path: os.PathLike[str]) -> None:
    directory = str(tmp_path)
    for name in ("winsock2.h", "windows.h"):
        shutil.copy(os.path.join(native.SHIM_DIR, name), directory)
    with open(os.path.join(directory, "Windows.h"), "w") as f:
        f.write("/* someone's own */\n")
    if shim_aliases.folds_case(directory):   # Windows, macOS' default: nowhere to write them
        pytest.skip("the temporary directory folds case (%s)" % directory)
    # Where case folds, nothing is written: the lowercase file answers to all.
    assert shim_aliases.generate(directory, folds=True) == []
    written = shim_aliases.generate(directory)
    assert sorted(written) == sorted(set(shim_aliases.SPELLINGS["winsock2.h"] + shim_aliases.SPELLINGS["windows.h"])
                                     - {"Windows.h"})
    assert shim_aliases.generate(directory) == []                 # already current
    with open(os.path.join(directory, "Windows.h")) as f:
        assert f.read() == "/* someone's own */\n"               # not its file: left alone
    assert shim_aliases.stale(directory) == ["Windows.h"]
    with open(os.path.join(directory, "WinSock2.h")) as f:
        assert '#include "winsock2.h"' in f.read()
    assert sorted(shim_aliases.clean(directory)) == sorted(written)
    assert sorted(os.listdir(directory)) == ["Windows.h", "windows.h", "winsock2.h"]


def test_an_alias_that_replaced_its_target_says_so(tmp_path: os.PathLike[str]) -> None:
    """A case-insensitive copy of a Linux tree can put WinSock2.h's text in
    winsock2.h: the build stops with a message, not 200 nested includes."""
    directory = str(tmp_path)
    with open(os.path.join(directory, "winsock2.h"), "w") as f:
        f.write(shim_aliases.content("WinSock2.h", "winsock2.h"))
    source = os.path.join(directory, "prog.c")
    with open(source, "w") as f:
        f.write("#include <winsock2.h>\nint main(void) { return 0; }\n")
    result = subprocess.run([*compiler("gcc"), "-I" + directory, "-fsyntax-only", source],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "includes itself" in result.stderr


# --------------------------------------------------------------------------
# Windows' in_addr and the types

IN_ADDR_CHECKS = ASSERT + """
CHECK(sizeof(struct in_addr) == 4 && sizeof(IN_ADDR) == 4, "in_addr is 4 bytes");
CHECK(offsetof(struct in_addr, S_un) == 0, "S_un at the start");
CHECK(sizeof(((IN_ADDR *)0)->S_un.S_un_b) == 4 && sizeof(((IN_ADDR *)0)->S_un.S_un_w) == 4, "S_un_b, S_un_w");
CHECK(sizeof(struct sockaddr_in) == 16 && sizeof(SOCKADDR_IN) == 16, "sockaddr_in");
CHECK(offsetof(struct sockaddr_in, sin_addr) == 4, "sin_addr");
CHECK(sizeof(((struct ip_mreq *)0)->imr_multiaddr.S_un) == 4, "every struct that embeds in_addr has S_un");
CHECK(sizeof(ULONG) == 4 && sizeof(LONG) == 4 && sizeof(DWORD) == 4 && sizeof(ULONG_PTR) == sizeof(void *) &&
      sizeof(DWORD_PTR) == sizeof(void *) && sizeof(SIZE_T) == sizeof(void *) && sizeof(USHORT) == 2 &&
      sizeof(SHORT) == 2 && sizeof(UINT) == 4 && sizeof(BOOLEAN) == 1 && sizeof(CHAR) == 1 &&
      sizeof(LONGLONG) == 8 && sizeof(HANDLE) == sizeof(void *), "Win64 sizes");
static int WINAPI f1(_In_ int a) { return a; }
static int CALLBACK f2(_Out_opt_ int *a) { (void)a; return 0; }
static int APIENTRY f3(_Inout_ LPINT a, _In_reads_bytes_(n) LPCVOID b, SIZE_T n) { (void)b; (void)n; return *a; }
static int __stdcall f4(_In_z_ LPCSTR a, _Out_writes_(n) LPSTR b, UINT n) { (void)a; (void)b; (void)n; return 0; }
static const void *types[] = {(void *)(LPDWORD)0, (void *)(LPBYTE)0, (void *)(PVOID)0, (void *)(LPWSTR)0,
    (void *)(LPCWSTR)0, (void *)(HLOCAL)0, (void *)(HMODULE)0, (void *)(PSOCKADDR_STORAGE)0,
    (void *)(LPSOCKADDR_STORAGE)0, (void *)(PADDRINFOA)0, (void *)(PIN_ADDR)0, (void *)(LPIN_ADDR)0,
    (void *)(LPTHREAD_START_ROUTINE)0};
int main(void)
{
    SOCKADDR_IN a;
    WCHAR wide[] = L"wide";
    int one = 1;
    TIMEVAL tv = {1, 0};
    memset(&a, 0, sizeof a);
    a.sin_addr.s_addr = inet_addr("127.0.0.1");
    a.sin_addr.S_un.S_addr = htonl(INADDR_LOOPBACK);
    a.sin_addr.S_un.S_un_b.s_b1 = 10;
    a.sin_addr.S_un.S_un_w.s_w2 = 0;
    (void)a.sin_addr.s_net; (void)a.sin_addr.s_host; (void)a.sin_addr.s_lh;
    (void)a.sin_addr.s_impno; (void)a.sin_addr.s_imp;
    (void)wide; (void)types; (void)tv;
    return f1(0) + f2(NULL) + f3(&one, NULL, 0) + f4("", NULL, 0) - 1 +
           (inet_ntoa(a.sin_addr) == NULL) + (a.sin_addr.s_addr == INADDR_NONE);
}
"""


@pytest.mark.parametrize("name", sorted(COMPILERS))
def test_windows_in_addr_and_types(name: str, tmp_path: os.PathLike[str]) -> None:
    compiles(compiler(name), "#include <winsock2.h>\n#include <ws2tcpip.h>\n#include <windows.h>\n"
             "#include <stddef.h>\n#include <string.h>\n" + IN_ADDR_CHECKS, tmp_path)


def test_in_addr_after_a_system_header_keeps_s_addr_only(tmp_path: os.PathLike[str]) -> None:
    """The documented limit: <netinet/in.h> (or <netdb.h>, <arpa/inet.h>) read
    before the shim fixes the system's in_addr, so s_addr works and S_un does not."""
    flags = compiler("gcc")
    head = "#include <netinet/in.h>\n#include <winsock2.h>\n#include <string.h>\n"
    compiles(flags, head + "int main(void) { SOCKADDR_IN a; memset(&a, 0, sizeof a);\n"
             "a.sin_addr.s_addr = inet_addr(\"127.0.0.1\"); return a.sin_addr.s_addr == 0; }\n",
             tmp_path, ["-D_DEFAULT_SOURCE"])
    result = syntax(flags, head + "int main(void) { IN_ADDR a; a.S_un.S_addr = 0; return (int)a.S_un.S_addr; }\n",
                    tmp_path, ["-D_DEFAULT_SOURCE"])
    assert result.returncode != 0 and "S_un" in result.stderr


# --------------------------------------------------------------------------
# Nothing of glibc's select machinery by the Winsock names

FD_SET_CHECKS = ASSERT + """
CHECK(FD_SETSIZE == 64, "FD_SETSIZE");
CHECK(sizeof(fd_set) == offsetof(fd_set, fd_array) + 64 * sizeof(SOCKET), "fd_set");
CHECK(sizeof(((struct fd_set *)0)->fd_array[0]) == sizeof(SOCKET), "struct fd_set");
CHECK(sizeof(struct timeval) == 2 * sizeof(long) && sizeof(TIMEVAL) == sizeof(struct timeval), "timeval");
CHECK(sizeof(struct pollfd) == sizeof(WSAPOLLFD) && sizeof(((struct pollfd *)0)->fd) == sizeof(SOCKET), "pollfd");
CHECK(POLLIN == 0x300 && POLLOUT == 0x10 && POLLPRI == 0x400 && POLLERR == 1 && POLLHUP == 2 && POLLNVAL == 4 &&
      POLLRDNORM == 0x100 && POLLRDBAND == 0x200 && POLLWRNORM == 0x10 && POLLWRBAND == 0x20, "POLL*");
int main(void)
{
    fd_set set;
    struct timeval tv = {0, 0};
    WSAPOLLFD entry;
    SOCKET s = (SOCKET)0x1000004;
    FD_ZERO(&set);
    FD_SET(s, &set);
    FD_CLR(s, &set);
    FD_SET(s, &set);
    entry.fd = s;
    entry.events = POLLIN;
    (void)tv; (void)entry;
    return FD_ISSET(s, &set) && set.fd_count == 1 && set.fd_array[0] == s ? 0 : 1;
}
"""

ORDERS = {
    "shim-first": "#include <winsock2.h>\n#include <sys/select.h>\n#include <poll.h>\n#include <sys/poll.h>\n",
    "system-first": "#include <sys/select.h>\n#include <poll.h>\n#include <winsock2.h>\n",
    "between": "#include <poll.h>\n#include <winsock2.h>\n#include <sys/select.h>\n",
}


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("name", ["gcc-gnu11", "clang", "g++"])
def test_glibc_fd_set_is_out_of_reach(name: str, order: str, tmp_path: os.PathLike[str]) -> None:
    flags = compiler(name)
    # A system header first leaves -std=c11 without getaddrinfo: gnu11 there, as the shim's header says.
    extra = ["-D_DEFAULT_SOURCE"] if order != "shim-first" and name == "clang" else []
    compiles(flags, ORDERS[order] + "#include <stddef.h>\n" + FD_SET_CHECKS, tmp_path, extra)


# The C++ standard headers a Winsock program includes after the shim.
CXX_HEADERS = ["algorithm", "atomic", "chrono", "condition_variable", "cstdio", "cstdlib", "cstring",
               "functional", "future", "iostream", "map", "memory", "mutex", "sstream", "string", "thread",
               "vector"]


def test_cxx_standard_headers_after_the_shim(tmp_path: os.PathLike[str]) -> None:
    flags = compiler("g++")
    includes = "".join("#include <%s>\n" % h for h in CXX_HEADERS)
    compiles(flags, "#include <winsock2.h>\n#include <ws2tcpip.h>\n#include <windows.h>\n" + includes +
             "int main() { std::vector<int> v{3, 1, 2}; std::sort(v.begin(), v.end());\n"
             "  std::thread t([] { Sleep(1); }); t.join();\n"
             "  return std::max(v[0], 0) + std::min(0, v[2]) - 1; }\n", tmp_path)


BIND_PROGRAM = """\
%(before)s
#include <winsock2.h>
#include <ws2tcpip.h>
%(after)s
#include <cstdio>
#include <cstring>
static int add(int a, int b) { return a + b; }
struct Server { int port; bool bind(int p) { port = p; return true; } };
int main()
{
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return 1;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a;
    std::memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int first = bind(s, (SOCKADDR *)&a, sizeof a);
    int again = ::bind(s, (SOCKADDR *)&a, sizeof a);
    int err = WSAGetLastError();
    auto one = std::bind(add, 1, std::placeholders::_1);
    auto typed = std::bind<long>(add, 2, 3);
    auto three = std::bind(add, 4, 5);
    Server server;
    server.bind(80);
    std::printf("%%d %%d %%d %%d %%ld %%d %%d\\n", first, again, err, one(2), typed(), three(), server.port);
    closesocket(s);
    WSACleanup();
    return 0;
}
"""


@pytest.mark.parametrize("functional", ["before", "after"])
@pytest.mark.parametrize("name", ["g++", "clang++"])
def test_cxx_bind_is_winsocks_and_std_bind_is_std(name: str, functional: str, tmp_path: os.PathLike[str]) -> None:
    """bind(s, name, len) is the core's (WSAEINVAL the second time, as on
    Windows), std::bind is the library's, a method named bind is the class's;
    <functional> read before or after the shim."""
    flags = compiler(name)
    include = "#include <functional>"
    source = os.path.join(str(tmp_path), "bind.cpp")
    with open(source, "w") as f:
        f.write(BIND_PROGRAM % {"before": include if functional == "before" else "",
                                "after": include if functional == "after" else ""})
    exe = os.path.join(str(tmp_path), "bind")
    cmd = [*flags, *WARNINGS, *SHIM, "-o", exe, source, *_core_objects(str(tmp_path), []), "-lpthread"]
    assert native.build_and_run(cmd, exe) == "0 -1 10022 3 5 9 80\n"


# --------------------------------------------------------------------------
# The windows.h subset, run

with open(EXPECTED_FILE) as _f:
    EXPECTED = _f.read()


def _core_objects(tmp: str, flags: Sequence[str]) -> List[str]:
    """The core compiled as C, for a C++ link."""
    objects = []
    for source in native.CORE_POSIX:
        obj = os.path.join(tmp, os.path.basename(source) + ".o")
        result = subprocess.run(["gcc", "-std=c11", *WARNINGS, *flags, "-I" + native.CSRC, "-c", source, "-o", obj],
                                capture_output=True, text=True, timeout=native.BUILD_TIMEOUT)
        assert result.returncode == 0, result.stderr
        objects.append(obj)
    return objects


BUILDS: Dict[str, List[str]] = {
    "gcc-fortify": ["gcc", "-std=c11", "-O2", "-D_FORTIFY_SOURCE=2"],
    "gcc-gnu11": ["gcc", "-std=gnu11", "-O0"],
    "clang-asan-ubsan": ["clang", "-std=c11", "-O1", *SANITIZE],
    "g++-asan-ubsan": ["g++", "-std=c++17", "-O1", *SANITIZE],
}


def build_program(build: str, tmp_path: os.PathLike[str]) -> List[str]:
    flags = BUILDS[build]
    if shutil.which(flags[0]) is None or (flags[0] == "g++" and shutil.which("gcc") is None):
        pytest.skip("no %s" % flags[0])
    exe = os.path.join(str(tmp_path), "winapi_" + build)
    if flags[0] == "g++":
        core = _core_objects(str(tmp_path), SANITIZE)
        return [*flags, *WARNINGS, *SHIM, "-o", exe, "-x", "c++", PROGRAM, "-x", "none", *core, "-lpthread"]
    return [*flags, *WARNINGS, *SHIM, "-o", exe, PROGRAM, *native.CORE_POSIX, "-lpthread"]


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_windows_calls_through_the_shim(build: str, tmp_path: os.PathLike[str]) -> None:
    cmd = build_program(build, tmp_path)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1", UBSAN_OPTIONS="halt_on_error=1")
    assert native.build_and_run(cmd, cmd[cmd.index("-o") + 1], env=env) == EXPECTED


def test_no_leak_or_error_under_valgrind(tmp_path: os.PathLike[str]) -> None:
    """Thread handles closed before and after their threads end free all."""
    if shutil.which("valgrind") is None:
        pytest.skip("no valgrind")
    exe = os.path.join(str(tmp_path), "winapi_vg")
    cmd = ["gcc", "-std=c11", "-g", "-O1", *WARNINGS, *SHIM, "-o", exe, PROGRAM, *native.CORE_POSIX, "-lpthread"]
    vg = ["valgrind", "-q", "--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite",
          "--show-leak-kinds=definite", "--fair-sched=yes"]
    assert native.build_and_run(cmd, exe, runner=vg) == EXPECTED


def _message_lines(text: str) -> Dict[int, str]:
    return {int(line.split("(")[1].split(")")[0]): line for line in text.splitlines()
            if line.startswith("FormatMessageA(")}


def test_formatmessage_gives_the_cores_table() -> None:
    """Each text the program prints is ps_wsa_message's (or, for the Win32
    codes, posix_winapi.c's), with Windows' "\\r\\n"."""
    win32 = {0: "The operation completed successfully.", 6: "The handle is invalid."}
    lines = _message_lines(EXPECTED)
    assert set(lines) <= {m.code for m in wd.WINE_MESSAGE_DIFFERENCES} and len(lines) >= 8
    for code, line in lines.items():
        raw = lib.ps_wsa_message(code)
        text = ffi.string(raw).decode() if raw != ffi.NULL else win32[code]
        assert line == 'FormatMessageA(%d) = strlen 1, "%s\\r\\n"' % (code, text)


def test_the_same_program_under_wine_prints_the_same(tmp_path: os.PathLike[str]) -> None:
    """Windows' own windows.h, kernel32 and ws2_32 (under Wine) print every line
    the shim's do; FormatMessageA's texts are Wine's own, each declared."""
    exe = os.path.join(str(tmp_path), "winapi.exe")
    out = native.build_and_run_under_wine(PROGRAM, exe, ["-std=c11", *WARNINGS])
    wine = _message_lines(out)
    # (the table's other codes are the corpus's: tests/test_corpus.py checks them)
    for m in (m for m in wd.WINE_MESSAGE_DIFFERENCES if m.code in _message_lines(EXPECTED)):
        declared = ("FormatMessageA(%d) = 0, last error 317" % m.code if m.wine is None
                    else 'FormatMessageA(%d) = strlen 1, "%s\\r\\n"' % (m.code, m.wine))
        assert wine.get(m.code) == declared, (
            "Wine no longer gives the declared %r; update wine_differences.py" % declared)
        assert declared != _message_lines(EXPECTED)[m.code]
    assert wd.MESSAGE_REASON and wd.MESSAGE_SOURCE
    windows = "\n".join(_message_lines(EXPECTED).get(_code(line), line) for line in out.splitlines()) + "\n"
    assert windows == EXPECTED


def _code(line: str) -> int:
    return int(line.split("(")[1].split(")")[0]) if line.startswith("FormatMessageA(") else -1


# --------------------------------------------------------------------------
# docs/porting.md, section 11

def test_porting_md_section_11_program_prints_what_it_says(tmp_path: os.PathLike[str]) -> None:
    import re

    with open(os.path.join(native.ROOT, "docs", "porting.md")) as f:
        text = f.read()
    part = text[text.index("## 11. Compiling existing Winsock code unchanged"):]
    block = re.findall(r"```c\n(.*?)```", part, re.S)[0]
    expected = re.findall(r"```\n\n((?:    .*\n)+)", part)[0]
    source = os.path.join(str(tmp_path), "part9.c")
    with open(source, "w") as f:
        f.write(block)
    exe = os.path.join(str(tmp_path), "part9")
    cmd = [*compiler("gcc"), *WARNINGS, "-Wno-unknown-pragmas", *SHIM, "-o", exe, source, *native.CORE_POSIX,
           "-lpthread"]
    assert native.build_and_run(cmd, exe) == "".join(line[4:] + "\n" for line in expected.splitlines())
