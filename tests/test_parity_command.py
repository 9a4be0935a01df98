"""`portsock parity` (src/portsock/_parity/command.py) on the project's own programs
and on tests/parity_programs/: the sample client with its peer, a scenario file,
a mirror script, a program with a planted difference (exit 1, the difference
shown side by side), a known Wine 8 difference (marked with the table's
reason, not counted), missing tools (exit 3, the Debian packages named) and
usage errors (exit 2).

Needs gcc, x86_64-w64-mingw32-gcc and Wine, as tests/test_parity.py does: a
missing tool skips the tests that build, unless PORTSOCK_REQUIRE_WINE=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Dict, Optional

import pytest

from portsock._parity import command, native, wine_differences as wd

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "parity_programs")
SAMPLE_CLIENT = os.path.join(HERE, "native", "sample_client.c")
SERVER_PEER = "%s -m portsock server --port {port}" % sys.executable
RESET_REASON = next(d.reason for d in wd.WINE_DIFFERENCES if d.scenario == "peer_reset_recv")

pytestmark = pytest.mark.parity


def parity(*args: str, env: Optional[Dict[str, str]] = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portsock", "parity", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def toolchain() -> None:
    missing = command.missing_tools(native.Tools())
    if missing:
        message = "portsock parity needs " + "; ".join(missing)
        if os.environ.get("PORTSOCK_REQUIRE_WINE") == "1":
            pytest.fail(message + " (and PORTSOCK_REQUIRE_WINE=1)", pytrace=False)
        pytest.skip(message)


def test_the_sample_client_with_its_peer_is_the_same_everywhere(toolchain: None) -> None:
    r = parity(SAMPLE_CLIENT, "--peer", SERVER_PEER, "--", "127.0.0.1", "{port}")
    assert r.returncode == command.EXIT_SAME, r.stdout + r.stderr
    out = r.stdout
    assert "exit:      same in every run (0)" in out
    assert "stdout:    same in every run (3 lines)" in out
    assert "trace:     same in POSIX core (shim, gcc) and core's Windows backend (Wine) (10 calls)" in out
    assert "result: no difference" in out


@pytest.fixture(scope="module")
def directory_run(toolchain: None) -> subprocess.CompletedProcess[str]:
    """`portsock parity tests/parity_programs/`: every input there, once."""
    return parity(PROGRAMS)


def section(out: str, name: str) -> str:
    """The part of a directory run's output about one input."""
    start = out.index("== portsock parity %s" % os.path.join(PROGRAMS, name))
    end = out.find("\n== ", start + 1)
    return out[start:end if end >= 0 else len(out)]


def test_a_directory_runs_every_input_and_sums_up(directory_run: subprocess.CompletedProcess[str]) -> None:
    assert directory_run.returncode == command.EXIT_DIFFERENT, directory_run.stdout + directory_run.stderr
    summary = directory_run.stdout.split("summary of ")[1].splitlines()
    statuses = dict(line.split() for line in summary[1:] if line.strip())
    assert statuses == {"lifecycle.txt": "same", "mirror_client.py": "same",
                        "planted_difference.c": "DIFFERENT", "reset_before_recv.c": "same"}


def test_a_planted_difference_is_shown_side_by_side(directory_run: subprocess.CompletedProcess[str]) -> None:
    out = section(directory_run.stdout, "planted_difference.c")
    assert "stdout differs on 1 line(s):" in out
    row = next(line for line in out.splitlines() if "built for POSIX" in line)
    assert row.split("|")[1].strip() == "built for Windows"     # real Winsock
    assert row.split("|")[2].strip() == "built for Windows"     # the core's Windows backend
    # The one call only the Windows builds make, against nothing on the POSIX side.
    assert any("(none)" in line and "closesocket -1 10038" in line and "<- differs" in line
               for line in out.splitlines()), out
    assert "result: 2 difference(s)" in out


def test_a_known_wine_difference_is_marked_and_not_counted(directory_run: subprocess.CompletedProcess[str]) -> None:
    out = section(directory_run.stdout, "reset_before_recv.c")
    assert "recv -1 10054" in out and "recv 0 0" in out
    assert "known Wine 8 difference: " + RESET_REASON in out
    assert "as the known Wine 8 difference(s) in the trace make it" in out   # stdout and exit follow from it
    assert "result: no difference (1 known Wine 8 difference(s) marked, not counted)" in out


def test_a_scenario_file(directory_run: subprocess.CompletedProcess[str]) -> None:
    out = section(directory_run.stdout, "lifecycle.txt")
    assert out.count("same as Windows (Wine, known differences applied)") == 4   # mirror and shim, 2 scenarios
    assert out.count("same as real Winsock (Wine)") == 2
    assert "step 12 (recv C 512): known Wine 8 difference" in out
    assert "result: no difference (1 known Wine 8 difference(s) marked, not counted)" in out


def test_a_mirror_script(directory_run: subprocess.CompletedProcess[str]) -> None:
    out = section(directory_run.stdout, "mirror_client.py")
    assert "trace:     same in mirror's trace() and core's PORTSOCK_TRACE (10 calls)" in out
    assert "no Windows Python here" in out
    assert "result: no difference" in out


def test_a_scenario_file_of_ones_own(tmp_path: os.PathLike[str], toolchain: None) -> None:
    """A scenario by a name the project does not have (no table entry applies)."""
    path = os.path.join(str(tmp_path), "mine.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("scenario mine\nstartup 2.2\nsocket A inet stream tcp\nclose A\nclose A\ncleanup\n")
    r = parity(path)
    assert r.returncode == command.EXIT_SAME, r.stdout + r.stderr
    assert "scenario mine:" in r.stdout


def test_missing_wine_or_mingw_names_the_debian_packages(tmp_path: os.PathLike[str]) -> None:
    env = dict(os.environ, PORTSOCK_WINE="/nonexistent/wine64", PORTSOCK_MINGW="/nonexistent/mingw-gcc")
    r = parity(os.path.join(PROGRAMS, "planted_difference.c"), env=env, timeout=60)
    assert r.returncode == command.EXIT_MISSING_TOOL, r.stdout + r.stderr
    assert "apt install gcc-mingw-w64-x86-64" in r.stdout
    assert "apt install wine64" in r.stdout


def test_a_build_that_fails_is_exit_4(tmp_path: os.PathLike[str], toolchain: None) -> None:
    path = os.path.join(str(tmp_path), "broken.c")
    with open(path, "w", encoding="utf-8") as f:
        f.write("#include <winsock2.h>\nint main(void) { return not_declared; }\n")
    r = parity(path, timeout=300)
    assert r.returncode == command.EXIT_CANNOT_RUN, r.stdout + r.stderr
    assert "cannot run: " in r.stdout and "not_declared" in r.stdout


@pytest.mark.parametrize("args", [["/nonexistent/program.c"], ["a.c", "b.txt"], [], ["--timeout", "x", "a.c"]])
def test_usage_errors_are_exit_2(args: list, tmp_path: os.PathLike[str]) -> None:   # type: ignore[type-arg]
    cwd = str(tmp_path)
    for name in ("a.c", "b.txt"):
        open(os.path.join(cwd, name), "w").close()
    r = subprocess.run([sys.executable, "-m", "portsock", "parity", *args], capture_output=True, text=True,
                       timeout=60, cwd=cwd)
    assert r.returncode == command.EXIT_USAGE, r.stdout + r.stderr
    assert "usage: portsock parity" in r.stderr


def test_help_lists_the_inputs_and_exit_codes() -> None:
    r = parity("--help", timeout=60)
    assert r.returncode == 0
    for text in ("PROGRAM.c", "SCENARIOS.txt", "SCRIPT.py", "DIRECTORY", "exit status:", "wine64",
                 "gcc-mingw-w64-x86-64"):
        assert text in r.stdout
    main_help = subprocess.run([sys.executable, "-m", "portsock", "--help"], capture_output=True, text=True,
                               timeout=60)
    assert "parity" in main_help.stdout


CORPUS = os.path.join(HERE, "corpus")


@pytest.mark.parametrize("program, extra", [
    ("format_message", []),                 # FormatMessage's texts: Wine 8's own, each from the one table
    ("nonblocking_connect", []),
    ("udp_timeout", []),
    ("select_server", ["--no-trace"]),      # its select rounds depend on the scheduler
    ("complete_client", ["--peer", SERVER_PEER, "--", "127.0.0.1", "{port}"]),
])
def test_the_corpus_is_the_same_everywhere(toolchain: None, program: str, extra: list) -> None:
    """The project's own corpus (tests/corpus/, compiled unchanged): no real
    difference; format_message's lines that Wine 8 prints with its own texts
    are marked with the table's reason, not counted."""
    flags = [a for a in extra if a.startswith("--no")]
    rest = [a for a in extra if not a.startswith("--no")]
    r = parity(*flags, os.path.join(CORPUS, program + ".c"), *rest)
    assert r.returncode == command.EXIT_SAME, r.stdout + r.stderr
    assert "result: no difference" in r.stdout
    if program == "format_message":
        assert "differ as known Wine 8 differences (not counted): " + wd.MESSAGE_REASON in r.stdout
        assert r.stdout.count("   known") >= 10


# -- the peer's port -----------------------------------------------------------------

_FLAKY_PEER = """
import os, socket, sys, time
marker, port = sys.argv[1], int(sys.argv[2])
if not os.path.exists(marker):       # the first start: as if its port had been taken
    open(marker, "w").close()
    print("bind failed with error: 10048")
    sys.exit(1)
with socket.create_server(("127.0.0.1", port)) as s:
    c, _ = s.accept()
    c.sendall(b"hello")
    c.close()
"""

_CLIENT = """
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as c:
    print(c.recv(100).decode())
"""


def test_a_peer_that_ends_without_listening_gets_another_port(tmp_path: os.PathLike[str]) -> None:
    peer, client = os.path.join(tmp_path, "peer.py"), os.path.join(tmp_path, "client.py")
    with open(peer, "w") as f:
        f.write(_FLAKY_PEER)
    with open(client, "w") as f:
        f.write(_CLIENT)
    marker = os.path.join(tmp_path, "started-once")
    run = command.run_one([sys.executable, client], ["{port}"], dict(os.environ), str(tmp_path), 30,
                          "%s %s %s {port}" % (sys.executable, peer, marker), None)
    assert os.path.exists(marker)
    assert (run.status, run.stdout) == (0, ["hello"]), run.stderr


def test_a_peer_that_never_listens_cannot_run(tmp_path: os.PathLike[str]) -> None:
    client = os.path.join(tmp_path, "client.py")
    with open(client, "w") as f:
        f.write(_CLIENT)
    never = "%s -c \"print('bind failed with error: 10048'); raise SystemExit(1)\" {port}" % sys.executable
    with pytest.raises(command.CannotRun, match=r"ended without listening on port \d+:\nbind failed with error: 10048"):
        command.run_one([sys.executable, client], ["{port}"], dict(os.environ), str(tmp_path), 30, never, None)


def test_a_peers_port_is_free_and_outside_the_ephemeral_range() -> None:
    low, high = command._ephemeral_range()
    for _ in range(20):
        port = command.free_port()
        if low > 20000:
            assert 20000 <= port < low
        socket.create_server(("127.0.0.1", port)).close()   # free: a listener can have it
