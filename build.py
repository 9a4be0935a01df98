"""The cffi builder: the cdef comes from csrc/portsock.h, the sources from csrc/."""

import os
import re
import sys


def _hand_over_to_the_build_frontend():
    """`python -m build` run in the checkout's root imports this file (the
    current directory comes first on sys.path), not PyPA's build frontend:
    run the frontend instead, with this directory taken off the path."""
    import runpy

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        runpy.run_module("build", run_name="__main__", alter_sys=True)
    except ImportError as e:
        if getattr(e, "name", None) != "build":
            raise
        sys.exit("python -m build: the PyPA build frontend is not installed (pip install build). "
                 "This build.py is portsock's cffi builder: `python build.py` compiles the extension in place.")
    sys.exit(0)


if __name__ == "__main__" and getattr(globals().get("__spec__"), "name", None) == "build":
    _hand_over_to_the_build_frontend()   # before anything needs cffi

from cffi import FFI  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Platform constants the Python layers take from the system headers (their
# values differ between Windows, Linux and macOS; the names do not).
SYSTEM_CONSTANTS = """
AF_UNSPEC AF_INET AF_INET6
SOCK_STREAM SOCK_DGRAM SOCK_RAW
IPPROTO_IP IPPROTO_IPV6 IPPROTO_TCP IPPROTO_UDP
SOL_SOCKET SO_ACCEPTCONN SO_BROADCAST SO_DONTROUTE SO_ERROR SO_KEEPALIVE SO_LINGER
SO_OOBINLINE SO_RCVBUF SO_RCVTIMEO SO_REUSEADDR SO_SNDBUF SO_SNDTIMEO SO_TYPE
TCP_NODELAY IPV6_V6ONLY
FIONBIO FIONREAD SIOCATMARK
MSG_OOB MSG_PEEK MSG_DONTROUTE MSG_WAITALL
AI_PASSIVE AI_CANONNAME AI_NUMERICHOST AI_NUMERICSERV AI_ADDRCONFIG AI_V4MAPPED AI_ALL
INADDR_ANY INADDR_LOOPBACK INADDR_NONE SOMAXCONN INET_ADDRSTRLEN INET6_ADDRSTRLEN
""".split()

# Constants only POSIX systems have (Windows has no SO_REUSEPORT; the Python
# layers look them up with getattr).
POSIX_CONSTANTS = """
SO_REUSEPORT
""".split()


def read_cdef():
    """The declarations between the cffi markers of portsock.h, with every
    #define turned into cffi's "value from the compiler" form."""
    with open(os.path.join(HERE, "csrc", "portsock.h")) as f:
        header = f.read()
    body = header.split("/* cffi:begin */", 1)[1].split("/* cffi:end */", 1)[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    body = re.sub(r"^(#define\s+\w+)\s+.*$", r"\1 ...", body, flags=re.M)
    names = SYSTEM_CONSTANTS + (POSIX_CONSTANTS if sys.platform != "win32" else [])
    constants = "\n".join("#define %s ..." % name for name in names)
    return "struct addrinfo;\n" + body + "\n" + constants + "\n"


def read_version():
    """The package version, from its one definition in src/portsock/_version.py."""
    with open(os.path.join(HERE, "src", "portsock", "_version.py")) as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


# The extension remembers the version it was built for, so an import can tell
# a stale build from the Python files beside it.
BUILD_INFO = """
static const char *ps_build_version(void) { return "%s"; }
""" % read_version()

def core_sources(backend):
    """The core's C files for a backend ("posix" or "win32"), from csrc/SOURCES,
    the one list of them."""
    with open(os.path.join(HERE, "csrc", "SOURCES")) as f:
        for line in f:
            name, _, files = line.partition(":")
            if not line.startswith("#") and name.strip() == backend:
                return ["csrc/" + file for file in files.split()]
    raise RuntimeError("csrc/SOURCES has no line for the %s backend" % backend)


# The Python layers' signal hook (portsock._signals): C calls it when a signal
# interrupts a blocking call, to run Python's handlers there and then.
PYTHON_CALLBACKS = """
extern "Python" int ps_py_signal_hook(void);
"""

if sys.platform == "win32":
    BACKEND = "win32"
    LIBRARIES = ["ws2_32"]
else:
    BACKEND = "posix"
    LIBRARIES = []

ffibuilder = FFI()
ffibuilder.cdef(read_cdef() + "const char *ps_build_version(void);\n" + PYTHON_CALLBACKS)
ffibuilder.set_source(
    "portsock._core",
    '#include "platform.h"\n' + BUILD_INFO,
    sources=core_sources(BACKEND),
    include_dirs=[os.path.relpath(os.path.join(HERE, "csrc"))],
    libraries=LIBRARIES,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)


# The shim's other header spellings (WinSock2.h, Ws2tcpip.h, ...), written next
# to its lowercase headers at build time and never committed: tools/shim_aliases.py
# says why. A tree without the tool (or read-only) builds all the same.
def _write_shim_aliases():
    tool = os.path.join(HERE, "tools", "shim_aliases.py")
    if not os.path.exists(tool):
        return
    import importlib.util
    spec = importlib.util.spec_from_file_location("shim_aliases", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.generate()
    except OSError:
        pass


_write_shim_aliases()
