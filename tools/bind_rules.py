#!/usr/bin/env python3
"""Binds docs/winsock-rules.md to the tests after a merge brought them.

    python tools/bind_rules.py            rewrite, and say what changed
    python tools/bind_rules.py --check    exit 1 if something would change

Two mechanical steps of binding, so that tests/test_rules.py can then judge
what is left: a rule marked "(branch X, bound at merge)" whose tests are all
here loses the mark; every scenario's "# rule: ..." comment in
tests/native/scenarios.txt becomes the rules the page lists it under. It
writes no statement, source or test name: those stay the author's.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from test_rules import RULES_DOC, collect_nodes, node_exists, parse_rules  # noqa: E402

from parity import scenarios as sc  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a change is due")
    args = parser.parse_args(argv)
    with open(RULES_DOC, encoding="utf-8") as f:
        page = f.read()
    rules = parse_rules(page)
    with open(sc.SCENARIOS_FILE, encoding="utf-8") as f:
        scenario_text = f.read()
    names = {s.name for s in sc.parse_text(scenario_text)}
    with tempfile.TemporaryDirectory(prefix="portsock-rules-") as tmp:
        nodes = collect_nodes(tmp)
    changes = []
    lines = page.split("\n")
    for rule in rules.values():
        here = all(t in names if sc.NAME_RE.match(t) else node_exists(t, nodes) for t in rule.tests)
        if rule.branch and here:
            for i in range(rule.line, len(lines)):
                if lines[i].startswith("- Tests (branch "):
                    lines[i] = re.sub(r"^- Tests \(branch [^)]*\):", "- Tests:", lines[i])
                    break
            changes.append("%s: its tests are here, the branch mark dropped" % rule.id)
    listed = {}
    for rule in rules.values():
        for t in rule.tests:
            if sc.NAME_RE.match(t):
                listed.setdefault(t, []).append(rule.id)
    out = []
    for raw in scenario_text.split("\n"):
        words = raw.partition("#")[0].split()
        if words[:1] == ["scenario"] and len(words) == 2 and words[1] in listed:
            ids = listed[words[1]]
            new = ("scenario " + words[1]).ljust(35) + " # rule%s: %s" % ("s" if len(ids) > 1 else "", " ".join(ids))
            if new != raw:
                changes.append("scenario %s:%s" % (words[1], new.partition("#")[2]))
            raw = new
        out.append(raw)
    for line in changes:
        print(line)
    if args.check:
        return 1 if changes else 0
    if changes:
        with open(RULES_DOC, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        with open(sc.SCENARIOS_FILE, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
