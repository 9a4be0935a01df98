"""The documentation's examples run as tests, so they stay true.

docs/testing.md's last Python block defines pytest tests (they are executed
into this module); every other Python block of the docs listed here must run
as a script against real loopback peers."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def python_blocks(name):
    return re.findall(r"```python\n(.*?)```", (ROOT / name).read_text(), re.S)


_testing_blocks = python_blocks("docs/testing.md")
# The parity-test example defines test_* functions that use the plugin's fixtures.
exec(compile(_testing_blocks[-1], str(ROOT / "docs/testing.md"), "exec"))


def test_testing_md_first_example_runs():
    exec(compile(_testing_blocks[0], "docs/testing.md", "exec"), {})


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


def test_readme_trace_example_prints_what_it_says():
    block = [b for b in python_blocks("README.md") if "ws.trace()" in b][0]
    shown = [line[2:] for line in block.splitlines() if line.startswith("# {")]
    printed = []
    exec(compile(block, "README.md", "exec"), {"print": printed.append})
    assert printed[0].splitlines() == shown


def test_readme_connection_example_runs():
    block = [b for b in python_blocks("README.md") if "portsock.connect(" in b][0]
    _with_echo_server(block)
