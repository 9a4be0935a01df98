"""The command line explains itself: help with exit codes and examples, and
unforeseen failures as one line (the samples' own messages are pinned in
tests/test_cli.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from portsock import _cli
from portsock._errors import code_name, error_for


def portsock(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([sys.executable, "-m", "portsock", *args], capture_output=True, text=True, timeout=60)


def test_main_help_lists_commands_exit_codes_and_examples() -> None:
    result = portsock("--help")
    assert result.returncode == 0
    out = result.stdout
    for command in ("demo", "client", "server"):
        assert command in out
    assert "exit status:" in out
    for code in ("0 ", "1 ", "2 ", "130"):
        assert "\n  %s" % code in out
    assert "examples:" in out
    assert "getaddrinfo failed with error: 11001" in out


def test_main_help_names_the_common_winsock_codes() -> None:
    out = portsock("--help").stdout
    for name in _cli._COMMON_CODES:
        code = getattr(_cli.ws, name)
        assert code_name(code) == name
        assert "%-6d %s" % (code, name) in out


@pytest.mark.parametrize("command", ["demo", "client", "server", "parity"])
def test_each_command_explains_itself(command: str) -> None:
    result = portsock(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: portsock %s" % command)
    assert "exit status:" in result.stdout
    assert "portsock %s" % command in result.stdout.split("exit status:")[1]   # an example


def test_usage_error_is_the_usage_and_one_error_line() -> None:
    result = portsock("client")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("usage: portsock client")
    assert lines[-1] == "portsock client: error: the following arguments are required: host"


def test_unexpected_exception_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(message: str) -> int:
        raise RuntimeError("something unforeseen")
    monkeypatch.setattr(_cli, "run_demo", boom)
    assert _cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["portsock demo: unexpected error: RuntimeError: something unforeseen"]


def test_unexpected_winsock_error_names_the_code(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def refused(message: str) -> int:
        raise error_for(10061, "connect")
    monkeypatch.setattr(_cli, "run_demo", refused)
    assert _cli.main(["demo"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("portsock demo: unexpected error: connect: [WSAECONNREFUSED 10061] ")


def test_interrupt_is_one_line_and_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(message: str) -> int:
        raise KeyboardInterrupt
    monkeypatch.setattr(_cli, "run_demo", interrupted)
    assert _cli.main(["demo"]) == 130
    assert capsys.readouterr().err.splitlines() == ["portsock: interrupted"]
