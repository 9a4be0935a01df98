"""Parity machinery: one scenario list (tests/native/scenarios.txt), four runs.

scenarios.py parses the list; interp.py runs it through portsock.winsock;
raw.py through plain stdlib sockets (for docs/semantics.md only); native.py
finds the toolchains, builds tests/native/driver.c three ways and runs
everything; wine_differences.py declares where Wine 8 is not Windows;
semantics_doc.py renders docs/semantics.md (tools/gen_semantics.py).
The tests are tests/test_parity.py.
"""
