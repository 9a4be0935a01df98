"""One scenario list, four runs (tests/native/scenarios.txt).

For every scenario: the Python mirror on Linux, the C driver through the shim on
Linux (the POSIX core), and the core's Windows backend under Wine each give
their trace; the Linux runs must equal Windows' expected trace (the raw Winsock
trace under Wine with the declared Wine differences of
src/portsock/_parity/wine_differences.py substituted), and the Windows backend, a pass-
through, must equal the raw Winsock trace itself, Wine's bugs included.

Needs gcc, x86_64-w64-mingw32-gcc and Wine (/usr/lib/wine/wine64). A missing
tool skips these tests, unless PORTSOCK_REQUIRE_WINE=1, which makes it a failure.
The three native binaries are built and every run is made once per session.
Set PORTSOCK_PARITY_RESULTS=path.json to keep the results (tools/gen_semantics.py
--results reads them).
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import warnings
from typing import Any, Dict, List, Optional

import pytest

from parity import native, scenarios as sc, semantics_doc, wine_differences as wd

pytestmark = pytest.mark.parity

SCENARIOS = sc.parse()
BY_NAME = {s.name: s for s in SCENARIOS}
NAMES = [s.name for s in SCENARIOS]

# Steps where portsock (both Linux runs) disagrees with Windows, reported to
# the core's maintainers and not fixed yet: scenario -> reason. Each is an
# xfail(strict=True), so the fix makes it fail until the entry is removed.
KNOWN_DISAGREEMENTS: Dict[str, str] = {}


@pytest.fixture(scope="session")
def parity(tmp_path_factory: pytest.TempPathFactory) -> native.Results:
    tools = native.Tools()
    missing = tools.missing()
    if missing:
        message = "parity tests need " + "; ".join(missing)
        if os.environ.get("PORTSOCK_REQUIRE_WINE") == "1":
            pytest.fail(message + " (and PORTSOCK_REQUIRE_WINE=1)", pytrace=False)
        pytest.skip(message)
    out = str(tmp_path_factory.mktemp("parity"))
    with open(sc.SCENARIOS_FILE, encoding="utf-8") as f:
        text = f.read()
    wine = native.WinePrefix(tools)
    try:
        boot = wine.init()
        native.build(tools, out)
        boot.wait(timeout=120)
        results = native.run_all(tools, out, text, wine)
    finally:
        wine.close()
    results.path = os.path.join(out, "parity_results.json")  # type: ignore[attr-defined]
    results.save(results.path)  # type: ignore[attr-defined]
    if os.environ.get("PORTSOCK_PARITY_RESULTS"):
        results.save(os.environ["PORTSOCK_PARITY_RESULTS"])
    return results


def _line(entry: Optional[Dict[str, Any]]) -> str:
    if entry is None:
        return "(none)"
    ordered = {k: entry[k] for k in ("call", "ret", "err") if k in entry}
    ordered.update(entry)
    return json.dumps(ordered, separators=(", ", ": "))


def _stale_extension_hint() -> str:
    """The Python mirror runs the compiled extension; the shim build compiles
    csrc/ afresh. Say so when the extension is older than the sources."""
    from portsock import _core
    built = os.path.getmtime(_core.__file__)
    sources = glob.glob(os.path.join(native.CSRC, "*.[ch]"))
    newer = [os.path.basename(p) for p in sources if os.path.getmtime(p) > built]
    if not newer:
        return ""
    return ("\nNote: portsock's compiled extension is older than %s: the Python mirror may be "
            "running old code (rebuild: pip install -e . , or python setup.py build_ext --inplace)."
            % ", ".join(sorted(newer)))


def compare(name: str, got: Optional[List[Dict[str, Any]]], expected: List[Dict[str, Any]],
            got_title: str, expected_title: str) -> Optional[str]:
    """None if equal, else a step-by-step account of the differences."""
    if got == expected:
        return None
    if got is None:
        return "scenario %s is missing from the %s run (see test_every_run_completed)" % (name, got_title)
    ops = BY_NAME[name].ops
    rows = []
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g != e:
            op = ops[i] if i < len(ops) else None
            rows.append("  step %d (line %s: %s)\n    %-9s %s\n    %-9s %s"
                        % (i + 1, op.line if op else "?", op.text if op else "?",
                           "expected", _line(e), "got", _line(g)))
    return ("scenario %s: %s differs from %s on %d step(s):\n%s"
            % (name, got_title, expected_title, len(rows), "\n".join(rows)))


def _params(runs: List[str]) -> List[Any]:
    params = []
    for name in NAMES:
        for run in runs:
            marks = []
            if name in KNOWN_DISAGREEMENTS and run in ("python", "shim"):
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DISAGREEMENTS[name]))
            params.append(pytest.param(name, run, marks=marks, id="%s-%s" % (name, run)))
    return params


@pytest.mark.parametrize("name, run", _params(["python", "shim"]))
def test_linux_run_matches_windows(parity: native.Results, name: str, run: str) -> None:
    """portsock on Linux gives Windows' trace (Wine's, declared differences applied)."""
    expected = wd.windows_expected(name, parity.traces["wine"].get(name, []))
    assert expected, "scenario %s is missing from the Wine run" % name
    problem = compare(name, parity.traces[run].get(name), expected, native.RUN_TITLES[run],
                      "Windows (real Winsock under Wine, declared differences applied)")
    if problem and run == "python":
        problem += _stale_extension_hint()
    assert problem is None, problem


@pytest.mark.parametrize("name", NAMES)
def test_core_windows_backend_matches_winsock(parity: native.Results, name: str) -> None:
    """The core's Windows backend passes through: under Wine it gives Wine's own trace."""
    expected = parity.traces["wine"].get(name)
    assert expected, "scenario %s is missing from the Wine run" % name
    problem = compare(name, parity.traces["core_wine"].get(name), expected,
                      native.RUN_TITLES["core_wine"], native.RUN_TITLES["wine"])
    assert problem is None, problem


def test_every_run_completed(parity: native.Results) -> None:
    assert not parity.problems, "\n\n".join(parity.problems)
    for run in native.ALL_RUNS:
        missing = [n for n in NAMES if n not in parity.traces.get(run, {})]
        assert not missing, "the %s run has no trace for %s" % (run, ", ".join(missing))
        short = [n for n in NAMES if len(parity.traces[run][n]) != len(BY_NAME[n].ops)]
        assert not short, ("the %s run printed a line count different from the op count for %s"
                           % (run, ", ".join(short)))


def test_declared_wine_differences_occur(parity: native.Results) -> None:
    """Every entry of the table still happens under Wine, at the step it names."""
    seen = set()
    for d in wd.WINE_DIFFERENCES:
        where = "wine_differences.py entry %s step %d" % (d.scenario, d.step)
        assert (d.scenario, d.step) not in seen, where + " is declared twice"
        seen.add((d.scenario, d.step))
        assert d.scenario in BY_NAME, where + ": no such scenario"
        ops = BY_NAME[d.scenario].ops
        assert 1 <= d.step <= len(ops), where + ": no such step"
        assert ops[d.step - 1].text == d.op, (
            "%s: the step is now %r, the entry says %r" % (where, ops[d.step - 1].text, d.op))
        assert d.wine != d.windows, where + ": Wine's value equals Windows'"
        assert d.reason and d.source, where + ": give the reason and the source"
        entry = parity.traces["wine"][d.scenario][d.step - 1]
        assert {"ret": entry["ret"], "err": entry["err"]} == d.wine, (
            "%s: Wine no longer gives %s there but %s; update or remove the entry"
            % (where, d.wine, _line(entry)))


def test_scenario_file_is_complete() -> None:
    assert len(SCENARIOS) >= 30
    for name in KNOWN_DISAGREEMENTS:
        assert name in BY_NAME, "KNOWN_DISAGREEMENTS names no scenario %s" % name


@pytest.mark.parametrize("text, message", [
    ("startup 2.2\n", "before the first 'scenario'"),
    ("scenario a\nfrobnicate\n", "unknown op"),
    ("scenario a\nsend C 5\n", "C is not defined"),
    ("scenario a\nsocket C inet stream tcp\nconnect C nowhere\n", "unknown target"),
    ("scenario a\nstartup 2\n", "MAJOR.MINOR"),
    ("scenario a\nscenario a\n", "already defined"),
    ("scenario a\nsocket C inet stream tcp\nthread_recv C 4\n", "not joined"),
    ("scenario a\njoin\n", "no thread"),
])
def test_scenario_parser_rejects_mistakes(text: str, message: str) -> None:
    with pytest.raises(sc.ScenarioError, match=message):
        sc.parse_text(text)


def test_scenario_versions() -> None:
    assert sc.startup_version("2.2") == sc.startup_version("0x0202") == 0x0202
    assert sc.startup_version("1.255") == 0xFF01
    assert sc.startup_version("255.0") == 0x00FF


RAW_COLUMN = 3  # "| # | step | Windows (Wine) | Linux raw sockets | portsock | comment |"


def _without_raw_cells(text: str) -> List[str]:
    """The page's lines with the raw-sockets cell of each step row blanked."""
    lines = []
    for line in text.splitlines():
        cells = line.split(" | ")
        if line.startswith("| ") and len(cells) == 6:
            cells[RAW_COLUMN] = ""
        lines.append(" | ".join(cells))
    return lines


def test_semantics_doc_is_current(parity: native.Results) -> None:
    text = semantics_doc.render(SCENARIOS, parity.traces)
    path = semantics_doc.DOC_PATH
    current = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if current != text and _without_raw_cells(current) == _without_raw_cells(text):
        # Only the column observed from this kernel's own sockets differs (the
        # page was generated on another kernel): informative, not a failure.
        warnings.warn("docs/semantics.md: this kernel's raw sockets differ from the page's; "
                      "refresh it with %s" % semantics_doc.REFRESH, stacklevel=1)
        return
    if current != text:
        diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                         "docs/semantics.md", "generated", lineterm="", n=1))
        pytest.fail("docs/semantics.md is not current. Refresh it with:\n    %s\n"
                    "or, from this run's results:\n    %s --results %s\n\n%s"
                    % (semantics_doc.REFRESH, semantics_doc.REFRESH,
                       getattr(parity, "path", "?"), "\n".join(diff[:60])), pytrace=False)
