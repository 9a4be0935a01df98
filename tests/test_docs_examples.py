"""The documentation's examples run as tests, so they stay true.

docs/testing.md's last Python block defines pytest tests (they are executed
into this module); every other Python block of the docs listed here must run
as a script against real loopback peers."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def python_blocks(name):
    return re.findall(r"```python\n(.*?)```", (ROOT / name).read_text(), re.S)


def compiled(name, block):
    """block compiled so that a traceback names its line in the document."""
    text = (ROOT / name).read_text()
    before = text[:text.index(block)].count("\n")
    return compile("\n" * before + block, str(ROOT / name), "exec")


_testing_blocks = python_blocks("docs/testing.md")
# The parity-test examples define test_* functions that use the plugin's fixtures;
# the async one needs pytest-asyncio (the test extras install it).
for _block in (b for b in _testing_blocks if "def test_" in b):
    if "pytest.mark.asyncio" in _block and importlib.util.find_spec("pytest_asyncio") is None:
        def test_testing_md_async_parity_example() -> None:
            pytest.skip("pytest-asyncio is not installed (pip install pytest-asyncio, or portsock[test])")
        continue
    exec(compiled("docs/testing.md", _block))


# README's parity-testing example defines pytest tests too.
exec(compiled("README.md", [b for b in python_blocks("README.md") if "def test_" in b][0]))


def test_testing_md_first_example_runs():
    exec(compiled("docs/testing.md", _testing_blocks[0]), {})


def _with_echo_server(source):
    """Runs an example that talks to 127.0.0.1:27015 against reply-after-FIN
    peers on free ports instead, one per connection it makes."""
    from portsock.testing import ReplyAfterFinPeer
    peers = [ReplyAfterFinPeer(reply=b"this is a test").start() for _ in range(source.count("27015"))]
    try:
        for peer in peers:
            source = source.replace("27015", str(peer.port), 1)
        exec(compile(source, "docs", "exec"), {"print": lambda *a: None})
    finally:
        for peer in peers:
            peer.stop()
    assert all(peer.report.saw_fin and not peer.report.saw_reset for peer in peers)


@pytest.mark.parametrize("index", range(2))
def test_api_md_connection_examples_run(index):
    _with_echo_server(python_blocks("docs/api.md")[index])


def _serve_one_client(block, name):
    """Runs a server example (port 27015 made 0, a free one) in a thread and
    talks to it with portsock.connect(); returns what it printed after its
    "listening on HOST:PORT" line."""
    import threading

    import portsock
    printed = []
    listening = threading.Event()

    def show(*args):
        printed.append(" ".join(str(a) for a in args))
        listening.set()

    server = threading.Thread(target=exec, args=(compile(block.replace("27015", "0"), name, "exec"),
                                                 {"print": show}), daemon=True)
    server.start()
    assert listening.wait(10)
    host, port = printed[0].split()[-1].rsplit(":", 1)
    conn = portsock.connect(host, int(port), timeout=10)
    conn.sendall(b"this is a test")
    assert conn.disconnect() == b"this is a test"
    server.join(10)
    assert not server.is_alive()
    return printed[1:]


def test_api_md_server_example_serves_a_client():
    """The Winsock complete server on Listener."""
    block = [b for b in python_blocks("docs/api.md") if "create_server(" in b][0]
    assert _serve_one_client(block, "docs/api.md") == ["Bytes received: 14", "Bytes sent: 14"]


def test_readme_server_example_serves_a_client():
    block = [b for b in python_blocks("README.md") if "create_server(" in b][0]
    assert _serve_one_client(block, "README.md") == []


def test_readme_trace_example_prints_what_it_says():
    block = [b for b in python_blocks("README.md") if "ws.trace()" in b and "print(" in b][0]
    shown = [line[2:] for line in block.splitlines() if line.startswith("# {")]
    printed = []
    exec(compile(block, "README.md", "exec"), {"print": printed.append})
    assert printed[0].splitlines() == shown


def test_readme_connection_example_runs():
    block = [b for b in python_blocks("README.md") if "portsock.connect(" in b][0]
    _with_echo_server(block)


def test_readme_async_example_runs():
    _with_echo_server([b for b in python_blocks("README.md") if "portsock.aio.connect(" in b][0])


def test_api_md_aio_example_runs():
    _with_echo_server([b for b in python_blocks("docs/api.md") if "portsock.aio.connect(" in b][0])


def test_testing_md_async_peer_example_runs():
    block = [b for b in _testing_blocks if "async_wait()" in b and "asyncio.run(" in b][0]
    exec(compiled("docs/testing.md", block), {})


def _porting_programs():
    """docs/porting.md's Python blocks: standalone snippets, and the two sample
    programs that the step-by-step blocks add up to (each starts with `import sys`)."""
    snippets, programs = [], []
    for block in python_blocks("docs/porting.md"):
        starts_program = block.startswith("import sys\n")
        if starts_program:
            programs.append(block)
        elif programs and not block.startswith(("import", "from")):
            programs[-1] += "\n" + block
        else:
            snippets.append(block)
    return snippets, programs


def _snippet_ids():
    """A name for each snippet that editing another section leaves alone:
    its section's number and its place there ("section6-2")."""
    text = (ROOT / "docs/porting.md").read_text()
    ids, seen = [], {}
    for block in _porting_programs()[0]:
        before = text[:text.index(block)]
        heading = re.findall(r"^## (\d+)\.", before, re.M)
        section = "section" + (heading[-1] if heading else "0")
        seen[section] = seen.get(section, 0) + 1
        ids.append("%s-%d" % (section, seen[section]))
    return ids


@pytest.mark.parametrize("index", range(len(_porting_programs()[0])), ids=_snippet_ids())
def test_porting_md_snippets_run(index):
    import subprocess
    import sys
    if sys.platform == "win32" and "signal.SIGALRM" in _porting_programs()[0][index]:
        pytest.skip("POSIX signals (SIGALRM, setitimer); a Winsock call never sees a signal")
    result = subprocess.run([sys.executable, "-c", _porting_programs()[0][index]], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_porting_md_client_and_server_programs_talk(tmp_path):
    import subprocess
    import sys
    import time

    from portsock import winsock as ws

    from conftest import loopback
    client_src, server_src = _porting_programs()[1]
    (tmp_path / "client.py").write_text(client_src)
    # The server listens on the sample's fixed port: use a free one instead.
    assert ws.WSAStartup(ws.MAKEWORD(2, 2), ws.WSADATA()) == 0
    try:
        s = ws.socket(ws.AF_INET, ws.SOCK_STREAM, ws.IPPROTO_TCP)
        addr, size = loopback()
        ws.bind(s, addr, size)
        bound = ws.sockaddr_in()
        ws.getsockname(s, bound, ws.c_int(size))
        port = str(ws.ntohs(bound.sin_port))
        ws.closesocket(s)
    finally:
        ws.WSACleanup()
    (tmp_path / "server.py").write_text(server_src.replace('"27015"', '"%s"' % port))
    server = subprocess.Popen([sys.executable, str(tmp_path / "server.py")], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(100):   # until the server listens
            client = subprocess.run([sys.executable, str(tmp_path / "client.py"), "127.0.0.1", port],
                                    capture_output=True, text=True, timeout=60)
            if "Unable to connect" not in client.stdout:
                break
            time.sleep(0.1)
        out, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert client.returncode == 0, client.stdout + client.stderr
    assert client.stdout.splitlines() == ["Bytes Sent: 14", "Bytes received: 14", "Connection closed"]
    assert server.returncode == 0
    assert out.splitlines() == ["Bytes received: 14", "Bytes sent: 14", "Connection closing..."]


def test_porting_md_select_c_example_compiles_through_the_shim(tmp_path):
    """Section 8's C (a select loop, a connect with a select timeout) compiles
    unchanged through the shim, warnings as errors."""
    import shutil
    import subprocess

    from parity import native
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    text = (ROOT / "docs/porting.md").read_text()
    block = re.findall(r"```c\n(.*?)```", text[text.index("## 8. select and WSAPoll"):], re.S)[0]
    source = tmp_path / "select_example.c"
    source.write_text(block + "\nint main(void) { (void)serve; (void)connect_within; return 0; }\n")
    build = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + native.SHIM_DIR,
                            "-I" + native.CSRC, "-fsyntax-only", str(source)],
                           capture_output=True, text=True, timeout=60)
    assert build.returncode == 0, build.stderr
