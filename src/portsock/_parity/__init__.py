"""The parity machinery (moved here from tests/parity for `portsock parity`, which
ships with the package): scenarios.py parses the scenario language of
tests/native/scenarios.txt; interp.py runs it through portsock.winsock;
native.py finds the toolchains, builds tests/native/driver.c three ways and
runs everything; wine_differences.py declares where Wine 8 is not Windows (the
one table); command.py is `portsock parity` itself. tests/parity/ keeps raw.py
and semantics_doc.py, and importers of these modules under their old names.
"""
