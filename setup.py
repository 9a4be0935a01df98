from setuptools import setup

# cffi builds the module against the stable ABI, so one wheel serves every
# CPython from 3.9 on.
setup(
    cffi_modules=["build.py:ffibuilder"],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
