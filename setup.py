import sys
import sysconfig

from setuptools import setup


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


# With the stable ABI, one wheel (tagged cp39-abi3) serves every CPython from
# 3.9 on. The tag is only claimed when the module really is built that way: a
# wheel tagged abi3 around a version-specific module would install on every
# CPython and fail to import on all but one.
setup(
    cffi_modules=["build.py:ffibuilder"],
    options={"bdist_wheel": {"py_limited_api": "cp39"}} if uses_limited_api() else {},
)
