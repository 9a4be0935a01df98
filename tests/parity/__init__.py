"""Parity machinery: one scenario list (tests/native/scenarios.txt), four runs.

scenarios.py parses the list; interp.py runs it through portsock.winsock;
raw.py through plain stdlib sockets (for docs/semantics.md only); native.py
finds the toolchains, builds tests/native/driver.c three ways and runs
everything; wine_differences.py declares where Wine 8 is not Windows;
semantics_doc.py renders docs/semantics.md (tools/gen_semantics.py).
The tests are tests/test_parity.py.

scenarios.py, interp.py, native.py and wine_differences.py live in the
package, in portsock/_parity (`portsock parity` ships with it); they are
imported here under their old names (parity.native is portsock._parity.native).
There are no files of those names here, so that git sees the move as one.
"""

import os
import sys

# Before the package's modules compute their paths (tests/conftest.py does the
# same for the tests that import the package first): this checkout is the
# tree, whether portsock is installed editable or not.
os.environ.setdefault("PORTSOCK_SOURCE_TREE",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from portsock._parity import interp, native, scenarios, wine_differences

for _module in (interp, native, scenarios, wine_differences):
    sys.modules[__name__ + "." + _module.__name__.rsplit(".", 1)[1]] = _module
del _module

__all__ = ["interp", "native", "scenarios", "wine_differences"]
