"""docs/winsock-rules.md against the tests, in both directions.

The page gives every rule an ID, a statement, a source and the tests that pin
it ("- Tests: `scenario_name`, `tests/test_x.py::test_y`"). Tests name rules
back: a parity scenario with a "# rule: ID ..." comment on its scenario line
in tests/native/scenarios.txt, a pytest test with @pytest.mark.rule("ID", ...).

- every rule has a source and at least one test, and every test the page
  names exists (the scenario is in scenarios.txt, the pytest node collects);
- every rule a scenario or a marker names exists, and the page lists that
  test under that rule; every scenario names its rules, exactly the ones the
  page lists it under;
- nothing in the repository points outside it.

Rules whose tests are being written on another branch say so ("- Tests
(branch h-res, bound at merge): ..."); the branch must be in AWAITING_MERGE,
and once its tests are here the mark must go. Fast: no Wine, one pytest
--collect-only in a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

import pytest

from parity import scenarios as sc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RULES_DOC = os.path.join(ROOT, "docs", "winsock-rules.md")

# Branches whose rules are written here and whose tests arrive with the
# branch. The lead empties this at merge (and drops the rules' marks).
AWAITING_MERGE: Set[str] = set()

RULE_ID = r"[A-Z]+-[1-9][0-9]*"
HEADING_RE = re.compile(r"^### (%s)$" % RULE_ID)
TESTS_RE = re.compile(r"^- Tests(?: \(branch ([A-Za-z0-9_.-]+), bound at merge\))?: (.+)$")
ITEM_RE = re.compile(r"`([^`]+)`")
NODE_RE = re.compile(r"^tests/[A-Za-z0-9_/]+\.py::[A-Za-z0-9_]+(\[[^\]]+\])?$")
# The fewest rules the page must state: fewer means it was cut or misparsed.
MIN_RULES = 90


class Rule(NamedTuple):
    id: str
    line: int
    statement: str
    source: str
    tests: List[str]
    branch: Optional[str]


def parse_rules(text: str) -> Dict[str, Rule]:
    """The page's rules by ID; a ValueError names the line of a malformed one."""
    rules: Dict[str, Rule] = {}
    sections: List[Tuple[str, int, List[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        heading = HEADING_RE.match(line)
        if heading:
            sections.append((heading.group(1), number, []))
        elif line.startswith("#"):
            if line.startswith("### "):
                raise ValueError("line %d: a rule heading is '### FAMILY-N' alone: %r" % (number, line))
            sections.append(("", number, []))   # a family heading ends the rule before it
        elif sections and sections[-1][0]:
            sections[-1][2].append(line)
    for rule_id, number, body in sections:
        if not rule_id:
            continue
        if rule_id in rules:
            raise ValueError("line %d: %s is stated twice (first at line %d)" % (number, rule_id, rules[rule_id].line))
        statement = " ".join(line for line in body if line and not line.startswith("- ")).strip()
        sources = [line[len("- Source: "):] for line in body if line.startswith("- Source: ")]
        tests_lines = [m for m in (TESTS_RE.match(line) for line in body) if m]
        if not statement.startswith("**"):
            raise ValueError("line %d: %s has no statement (a bold sentence first)" % (number, rule_id))
        if len(sources) != 1 or not sources[0].strip():
            raise ValueError("line %d: %s needs exactly one '- Source: ' line" % (number, rule_id))
        if len(tests_lines) != 1:
            raise ValueError("line %d: %s needs exactly one '- Tests: ' line" % (number, rule_id))
        branch, listed = tests_lines[0].group(1), tests_lines[0].group(2)
        tests = ITEM_RE.findall(listed)
        if not tests or ITEM_RE.sub("", listed).strip(" ,"):
            raise ValueError("line %d: %s: the Tests line is a comma-separated list of `test IDs`" % (number, rule_id))
        for test in tests:
            if not (NODE_RE.match(test) or sc.NAME_RE.match(test)):
                raise ValueError("line %d: %s: %r is neither a scenario name nor a pytest node ID"
                                 % (number, rule_id, test))
        rules[rule_id] = Rule(rule_id, number, statement, sources[0], tests, branch)
    return rules


COLLECT = r"""
import json, sys
import pytest

class Collector:
    def __init__(self):
        self.items = {}
    def pytest_collection_modifyitems(self, items):
        for item in items:
            self.items[item.nodeid] = [a for m in item.iter_markers("rule") for a in m.args]

collector = Collector()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"], plugins=[collector])
with open(sys.argv[1], "w") as out:
    json.dump({"code": int(code), "items": collector.items}, out)
"""


@pytest.fixture(scope="module")
def rules() -> Dict[str, Rule]:
    with open(RULES_DOC, encoding="utf-8") as f:
        parsed = parse_rules(f.read())
    assert len(parsed) >= MIN_RULES, "only %d rules found in %s" % (len(parsed), RULES_DOC)
    return parsed


def collect_nodes(directory: str) -> Dict[str, List[str]]:
    """Every pytest node ID of the suite, with the rules its markers name
    (pytest --collect-only in a subprocess, its JSON written in directory)."""
    out = os.path.join(directory, "collected.json")
    run = subprocess.run([sys.executable, "-c", COLLECT, out], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with open(out, encoding="utf-8") as f:
        result = json.load(f)
    assert result["code"] == 0 and len(result["items"]) > 500, result["code"]
    return result["items"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, List[str]]:
    return collect_nodes(str(tmp_path_factory.mktemp("rules")))


@pytest.fixture(scope="module")
def scenario_comments() -> Dict[str, List[str]]:
    """Each scenario's rules, from the "# rule: ..." comment on its line."""
    found = {s.name: list(s.rules) for s in sc.parse()}
    assert len(found) > 50
    return found


def node_exists(test: str, collected: Dict[str, List[str]]) -> bool:
    return test in collected or any(node.startswith(test + "[") for node in collected)


def bound(rules: Dict[str, Rule]) -> Iterator[Rule]:
    return (r for r in rules.values() if r.branch is None)


def test_the_page_parses_and_rejects_what_is_malformed() -> None:
    good = ("## F\n\n### F-1\n**It holds.** More.\n- Source: somewhere.\n"
            "- Tests: `a_scenario`, `tests/test_x.py::test_y[p]`\n")
    rule = parse_rules(good)["F-1"]
    assert rule.tests == ["a_scenario", "tests/test_x.py::test_y[p]"] and rule.branch is None
    assert rule.statement == "**It holds.** More."
    for broken in (good.replace("`a_scenario`, `tests/test_x.py::test_y[p]`", ""),
                   good.replace("`a_scenario`, ", "a_scenario, "),
                   good.replace("- Source: somewhere.\n", ""),
                   good.replace("**It holds.** More.\n", ""),
                   good + good.split("\n\n", 1)[1],
                   good.replace("`a_scenario`", "`Not A Test`"),
                   good.replace("### F-1", "### F-1 and a title")):
        with pytest.raises(ValueError):
            parse_rules(broken)
    pending = parse_rules(good.replace("- Tests:", "- Tests (branch h-x, bound at merge):"))
    assert pending["F-1"].branch == "h-x"
    for misplaced in ("scenario a\nstartup 2.2   # rule: F-1\n", "scenario a  # rule: F-1 sel-2\n",
                      "scenario a  # rule:\n"):
        with pytest.raises(sc.ScenarioError):
            sc.parse_text(misplaced)
    parsed = sc.parse_text("scenario a   # rules: F-1, F-2\nstartup 2.2\nscenario b\nstartup 2.2\n")
    assert [(s.name, s.rules) for s in parsed] == [("a", ("F-1", "F-2")), ("b", ())]


def test_every_rule_has_a_test_that_exists(rules: Dict[str, Rule], collected: Dict[str, List[str]],
                                           scenario_comments: Dict[str, List[str]]) -> None:
    missing = ["%s (line %d): %s" % (r.id, r.line, t) for r in bound(rules) for t in r.tests
               if not (t in scenario_comments if sc.NAME_RE.match(t) else node_exists(t, collected))]
    assert not missing, "tests named by docs/winsock-rules.md that do not exist:\n" + "\n".join(missing)
    assert sum(len(r.tests) for r in bound(rules)) > 2 * MIN_RULES


def test_rules_awaiting_a_merge(rules: Dict[str, Rule], collected: Dict[str, List[str]],
                                scenario_comments: Dict[str, List[str]]) -> None:
    """A rule whose tests come with another branch: the branch is declared,
    and once its tests are here (the branch merged) the mark must go; a test
    file that is here but lacks the named test means the names are wrong."""
    waiting = [r for r in rules.values() if r.branch is not None]
    wrong = []
    for r in waiting:
        if r.branch not in AWAITING_MERGE:
            wrong.append("%s: branch %s is not in AWAITING_MERGE" % (r.id, r.branch))
        for t in r.tests:
            if sc.NAME_RE.match(t):
                if t in scenario_comments:
                    wrong.append("%s: scenario %s is here: drop '(branch %s, bound at merge)'" % (r.id, t, r.branch))
            elif node_exists(t, collected):
                wrong.append("%s: %s is here: drop '(branch %s, bound at merge)'" % (r.id, t, r.branch))
            elif os.path.exists(os.path.join(ROOT, t.split("::")[0])):
                wrong.append("%s: %s has no %s: bind the rule to its real tests" % (r.id, t.split("::")[0], t))
    wrong.extend("AWAITING_MERGE names %s, which no rule awaits any more: drop it" % branch
                 for branch in sorted(AWAITING_MERGE - {r.branch for r in waiting}))
    assert not wrong, "\n".join(wrong)
    if waiting:
        pytest.skip("%d rules await their tests from %s: %s" % (
            len(waiting), ", ".join(sorted({r.branch or "" for r in waiting})), " ".join(r.id for r in waiting)))


def test_every_rule_a_test_names_exists_and_lists_it(rules: Dict[str, Rule], collected: Dict[str, List[str]],
                                                     scenario_comments: Dict[str, List[str]]) -> None:
    wrong = []
    marked = {node: ids for node, ids in collected.items() if ids}
    for node, ids in marked.items():
        base = node.split("[", 1)[0]
        for rule_id in ids:
            if rule_id not in rules:
                wrong.append("%s names %s, which docs/winsock-rules.md does not state" % (node, rule_id))
            elif node not in rules[rule_id].tests and base not in rules[rule_id].tests:
                wrong.append("%s names %s, whose Tests line does not list it" % (node, rule_id))
    for r in rules.values():
        for t in r.tests:
            ids = [ids for node, ids in marked.items() if node == t or node.split("[", 1)[0] == t]
            if any(r.id not in i for i in ids):
                wrong.append("%s lists %s, whose rule marker does not name %s" % (r.id, t, r.id))
    for name, ids in scenario_comments.items():
        for rule_id in ids:
            if rule_id not in rules:
                wrong.append("scenario %s names %s, which docs/winsock-rules.md does not state" % (name, rule_id))
    assert not wrong, "\n".join(wrong)
    assert marked, "no pytest test carries a rule marker: the check would be vacuous"


def test_every_scenario_names_exactly_the_rules_that_list_it(rules: Dict[str, Rule],
                                                             scenario_comments: Dict[str, List[str]]) -> None:
    listed: Dict[str, Set[str]] = {}
    for r in rules.values():
        for t in r.tests:
            if sc.NAME_RE.match(t):
                listed.setdefault(t, set()).add(r.id)
    wrong = ["scenario %s: its comment names %s, the page lists it under %s"
             % (name, " ".join(sorted(ids)) or "no rule", " ".join(sorted(listed.get(name, ()))) or "no rule")
             for name, ids in scenario_comments.items() if set(ids) != listed.get(name, set())]
    assert not wrong, "\n".join(wrong)
    assert all(scenario_comments.values()) and len(scenario_comments) > 50


# Names of the documents that live outside the repository, split so that this
# file does not mention them itself.
OUTSIDE = ["SEMANTICS" + ".md", "DESIGN" + ".md", "HELPERS" + ".md", "shared" + "/", "/wo" + "rk/"]
TEXT_SUFFIXES = (".py", ".pyi", ".c", ".h", ".md", ".txt", ".toml", ".cfg", ".in", ".sh", ".supp", ".yml",
                 ".yaml", ".json", ".ini")
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def repository_files() -> List[str]:
    try:
        run: Optional[subprocess.CompletedProcess[str]] = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
            capture_output=True, text=True, timeout=60)
    except FileNotFoundError:   # no git on PATH (the Windows Python under Wine)
        run = None
    if run is not None and run.returncode == 0 and run.stdout.strip():
        files = run.stdout.split("\n")
    else:   # an unpacked sdist: walk the tree
        files = [os.path.relpath(os.path.join(d, f), ROOT).replace(os.sep, "/") for d, dirs, names in os.walk(ROOT)
                 for f in names if not any(p.startswith(".") or p == "build" for p in d[len(ROOT):].split(os.sep))]
    return sorted(f for f in files if f.endswith(TEXT_SUFFIXES) or os.path.basename(f) in ("README", "LICENSE"))


def test_nothing_in_the_repository_points_outside_it() -> None:
    files = repository_files()
    assert len(files) > 50 and "docs/winsock-rules.md" in files
    wrong = []
    for name in files:
        path = os.path.join(ROOT, name)
        if not os.path.exists(path):
            continue   # deleted in the work tree, not yet in git's index
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for number, line in enumerate(text.splitlines(), 1):
            wrong.extend("%s:%d mentions %s" % (name, number, o) for o in OUTSIDE if o in line)
        if name.endswith(".md"):
            for target in LINK_RE.findall(text):
                if re.match(r"^[a-z]+:|^#", target):
                    continue
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), target.split("#")[0]))
                if not resolved.startswith(ROOT + os.sep) or not os.path.exists(resolved):
                    wrong.append("%s links %s, which is not in the repository" % (name, target))
    assert not wrong, "\n".join(wrong)


def test_every_rule_the_repository_cites_exists(rules: Dict[str, Rule]) -> None:
    """A "SEL-13" in a comment, a docstring or a wine_differences source, or a
    link to winsock-rules.md#sel-13, names a rule the page states."""
    families = "|".join(sorted({rule_id.split("-")[0] for rule_id in rules}))
    cited = re.compile(r"(?<![A-Za-z0-9_-])(?:%s)-[0-9]+(?![0-9])" % families)
    anchor = re.compile(r"winsock-rules\.md#([a-z]+-[0-9]+)")
    wrong, count = [], 0
    for name in repository_files():
        if name in ("docs/winsock-rules.md", "tests/test_rules.py") or not os.path.exists(os.path.join(ROOT, name)):
            continue
        with open(os.path.join(ROOT, name), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                ids = cited.findall(line) + [a.upper() for a in anchor.findall(line)]
                count += len(ids)
                wrong.extend("%s:%d cites %s, which the page does not state" % (name, number, i)
                             for i in ids if i not in rules)
    assert not wrong, "\n".join(wrong)
    assert count > 100, "only %d rule citations found outside the page" % count


def test_bind_rules_has_nothing_left_to_bind() -> None:
    """tools/bind_rules.py, which the lead runs after a merge, finds nothing to
    change on a bound tree (and so still runs)."""
    run = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bind_rules.py"), "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
