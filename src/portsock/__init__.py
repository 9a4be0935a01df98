"""portsock: the exact Winsock client lifecycle, graceful disconnect included,
on Windows, Linux and macOS.

``portsock.winsock`` mirrors the Winsock API line for line.
"""

from portsock import winsock

__version__ = "0.1.0"

__all__ = ["winsock", "__version__"]
