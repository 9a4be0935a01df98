#!/usr/bin/env python3
"""Generates docs/semantics.md from the parity scenarios.

    python tools/gen_semantics.py                  build the drivers, run every scenario
                                                   (Wine, mingw and gcc needed), write the page
    python tools/gen_semantics.py --results FILE   use the results JSON a parity test run
                                                   wrote (tests/test_parity.py names it)
    python tools/gen_semantics.py --check          exit 1 if the page is not current

The page has, per scenario and step, what Windows returns (real Winsock under
Wine, with the declared Wine differences replaced by Windows' value and noted),
what plain POSIX sockets return, and what portsock returns.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from parity import native, scenarios as sc, semantics_doc  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", help="a results JSON written by tests/test_parity.py")
    parser.add_argument("--output", default=semantics_doc.DOC_PATH, help="default: docs/semantics.md")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if different")
    args = parser.parse_args(argv)

    scenarios = sc.parse()
    if args.results:
        results = native.Results.load(args.results)
    else:
        with tempfile.TemporaryDirectory(prefix="portsock-semantics-") as out:
            results = native.collect(out)
    if results.problems:
        print("warning: some runs did not complete:\n" + "\n".join(results.problems), file=sys.stderr)
    text = semantics_doc.render(scenarios, results.traces)

    current = open(args.output, encoding="utf-8").read() if os.path.exists(args.output) else None
    if args.check:
        if current != text:
            print("%s is not current: run %s" % (args.output, semantics_doc.REFRESH), file=sys.stderr)
            return 1
        print("%s is current" % args.output)
        return 0
    if current != text:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote %s" % args.output)
    else:
        print("%s unchanged" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
