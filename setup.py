import os
import shutil
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def uses_limited_api() -> bool:
    """Whether cffi compiles the module against the stable ABI here: the test
    cffi's setuptools integration makes before it sets py_limited_api on the
    extension (a release CPython; older cffi releases left it off on Windows),
    and not a free-threaded build, which has no stable ABI."""
    try:
        from cffi import recompiler
        cffi_says = getattr(recompiler, "USE_LIMITED_API", sys.platform != "win32")
    except ImportError:
        cffi_says = False
    return (cffi_says and sys.implementation.name == "cpython" and not hasattr(sys, "gettotalrefcount")
            and not sysconfig.get_config_var("Py_GIL_DISABLED"))


def native_files():
    """(source, path in the package) of the C that `portsock parity` builds: the
    core and its shim headers (csrc/), and the scenario driver. The tree keeps
    one copy of each; the wheel gets its own in portsock/_native/, where
    portsock._parity.native looks when there is no source tree around it."""
    files = []
    csrc = os.path.join(HERE, "csrc")
    for folder, _, names in os.walk(csrc):
        for name in sorted(names):
            if name == "SOURCES" or name.endswith((".c", ".h")):
                path = os.path.join(folder, name)
                files.append((path, os.path.join("_native", "csrc", os.path.relpath(path, csrc))))
    files.append((os.path.join(HERE, "tests", "native", "driver.c"), os.path.join("_native", "driver.c")))
    return files


class build_py_with_native(build_py):
    """build_py, and the C of native_files() copied into the built package."""

    def run(self):
        super().run()
        for source, target in native_files():
            if not os.path.isfile(source):
                raise SystemExit("setup.py: %s is missing (portsock parity needs it in the wheel)" % source)
            dest = os.path.join(self.build_lib, "portsock", target)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source, dest)


# With the stable ABI, one wheel (tagged cp39-abi3) serves every CPython from
# 3.9 on. The tag is only claimed when the module really is built that way: a
# wheel tagged abi3 around a version-specific module would install on every
# CPython and fail to import on all but one.
setup(
    cffi_modules=["build.py:ffibuilder"],
    cmdclass={"build_py": build_py_with_native},
    options={"bdist_wheel": {"py_limited_api": "cp39"}} if uses_limited_api() else {},
)
