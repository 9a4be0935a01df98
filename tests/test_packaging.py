"""Packaging: one version everywhere, a typed package, a stub that cannot go stale,
and an sdist that builds a wheel that installs and runs outside the source tree.

The tests marked ``packaging`` run ``python -m build`` (an isolated build
environment, as pip and PyPI users get) and are skipped when the ``build``
package is missing; ``pip install ".[test]"`` installs it.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import pytest

import portsock
from portsock import _core

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "csrc" / "portsock.h"
STUB = ROOT / "src" / "portsock" / "_core.pyi"
BUILD_PY = ROOT / "build.py"
VERSION_PY = ROOT / "src" / "portsock" / "_version.py"

BUILD_TIMEOUT = 900

# What the sdist must carry to build the extension from source.
SDIST_FILES = [
    "pyproject.toml", "setup.py", "build.py", "README.md", "MANIFEST.in", "CHANGELOG.md",
    "csrc/portsock.h", "csrc/platform.h", "csrc/posix.c", "csrc/win32.c", "csrc/errmap.c", "csrc/addr.c",
    "csrc/include/portsock/winsock2.h", "csrc/include/portsock/ws2tcpip.h", "csrc/include/portsock/windows.h",
    "csrc/posix_winapi.c", "csrc/portsock_winapi.h", "csrc/include/portsock/portsock_wintypes.h",
    "csrc/include/portsock/winsock.h", "csrc/include/portsock/mswsock.h", "tools/shim_aliases.py",
    "src/portsock/__init__.py", "src/portsock/_version.py", "src/portsock/py.typed", "src/portsock/_core.pyi",
]


# --------------------------------------------------------------------------
# One version

def test_extension_records_the_package_version() -> None:
    built = _core.ffi.string(_core.lib.ps_build_version()).decode("ascii")
    assert built == portsock.__version__


def test_version_is_defined_once_in_version_py() -> None:
    text = VERSION_PY.read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', text, re.M) == [portsock.__version__]


# --------------------------------------------------------------------------
# Types

def test_installed_package_is_typed() -> None:
    """PEP 561: the package that was imported (an installed wheel, or the
    source tree in an editable install) ships py.typed and the extension's stub."""
    package = Path(portsock.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


class Prototype(NamedTuple):
    name: str
    returns: str
    params: List[Tuple[str, str]]   # (name, C type)


def cdef_prototypes() -> List[Prototype]:
    """The functions declared between the cffi markers of portsock.h, which
    build.py hands to cffi."""
    header = HEADER.read_text(encoding="utf-8")
    body = header.split("/* cffi:begin */", 1)[1].split("/* cffi:end */", 1)[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    protos = []
    for ret, name, params in re.findall(r"^([A-Za-z_][\w \*]*?)\b(ps_\w+)\s*\(([^)]*)\)\s*;", body, re.M):
        plist = []
        if params.strip() != "void":
            for param in params.split(","):
                param = " ".join(param.split())
                m = re.match(r"(.*?)(\w+)$", param)
                assert m, param
                plist.append((m.group(2), m.group(1).strip()))
        protos.append(Prototype(name, " ".join(ret.split()), plist))
    return protos


def cdef_defines() -> List[str]:
    header = HEADER.read_text(encoding="utf-8")
    body = header.split("/* cffi:begin */", 1)[1].split("/* cffi:end */", 1)[0]
    return re.findall(r"^#define\s+(\w+)", body, re.M)


def system_constants() -> List[str]:
    """build.py's SYSTEM_CONSTANTS, read without running build.py."""
    for node in ast.parse(BUILD_PY.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "SYSTEM_CONSTANTS" for t in node.targets):
            call = node.value
            assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            assert isinstance(call.func.value, ast.Constant)
            return str(call.func.value.value).split()
    raise AssertionError("build.py has no SYSTEM_CONSTANTS")


INT_TYPES = {"int", "long", "unsigned long", "uint16_t", "uint32_t", "size_t", "intptr_t", "ps_socket"}
POINTER_TYPES = {"ps_signal_hook", "ps_wsa_completion"}   # typedefs of pointers (to functions)


def stub_type(ctype: str) -> str:
    """The annotation _core.pyi gives a C parameter type (its docstring states the rules)."""
    if "*" not in ctype and ctype not in POINTER_TYPES:
        assert ctype in INT_TYPES, "a C type the stub has no rule for: %r" % ctype
        return "int"
    if re.fullmatch(r"const (char|void) \*", ctype):
        return "bytes | CData"
    return "CData"


def stub_return(ctype: str) -> str:
    if ctype == "void":
        return "None"
    return "CData" if "*" in ctype else stub_type(ctype)


def stub_lib() -> Tuple[Dict[str, ast.FunctionDef], Dict[str, str]]:
    """The functions and the annotated attributes of the stub's class _Lib."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "_Lib":
            funcs = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
            attrs = {n.target.id: ast.unparse(n.annotation) for n in node.body
                     if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
            return funcs, attrs
    raise AssertionError("_core.pyi has no class _Lib")


def test_stub_declares_every_function_of_the_cdef() -> None:
    funcs, _ = stub_lib()
    protos = cdef_prototypes()
    assert len(protos) > 30, "the cdef parser found too few functions"
    missing = [p.name for p in protos if p.name not in funcs]
    assert not missing, "_core.pyi lacks these functions of csrc/portsock.h: %s" % ", ".join(missing)
    # Nothing the extension does not have either: the cdef's functions, and the
    # one build.py adds (its extern "Python" callback is an attribute).
    extra = sorted(set(funcs) - {p.name for p in protos} - {"ps_build_version"})
    assert not extra, "_core.pyi declares functions the cdef does not: %s" % ", ".join(extra)


@pytest.mark.parametrize("proto", cdef_prototypes(), ids=lambda p: p.name)
def test_stub_signature_matches_the_cdef(proto: Prototype) -> None:
    funcs, _ = stub_lib()
    func = funcs.get(proto.name)
    if func is None:
        pytest.fail("_core.pyi lacks %s" % proto.name)
    args = func.args
    # cffi's functions take positional arguments only: (self, <params>, /).
    assert not args.args[1:] and not args.kwonlyargs and not args.vararg and not args.kwarg, \
        "%s: every parameter must be positional-only" % proto.name
    params = [a for a in args.posonlyargs if a.arg != "self"] or \
        [a for a in args.args if a.arg != "self"]
    expected = [(n + "_" if keyword.iskeyword(n) else n, stub_type(t)) for n, t in proto.params]
    found = [(a.arg, ast.unparse(a.annotation) if a.annotation else "") for a in params]
    assert found == expected, "%s: stub parameters differ from the C prototype" % proto.name
    returns = ast.unparse(func.returns) if func.returns else ""
    assert returns == stub_return(proto.returns), "%s: stub return type differs" % proto.name


def test_stub_declares_every_constant_as_int() -> None:
    _, attrs = stub_lib()
    names = cdef_defines() + system_constants()
    assert len(names) > 60
    missing = [n for n in names if n not in attrs]
    assert not missing, "_core.pyi lacks these constants: %s" % ", ".join(missing)
    not_int = [n for n in names if attrs[n] != "int"]
    assert not not_int, "constants not declared as int: %s" % ", ".join(not_int)


def test_stub_covers_what_the_python_layers_use() -> None:
    funcs, attrs = stub_lib()
    used = set()
    for path in (ROOT / "src" / "portsock").rglob("*.py"):
        used |= set(re.findall(r"\blib\.(\w+)", path.read_text(encoding="utf-8")))
    unknown = sorted(used - set(funcs) - set(attrs))
    assert not unknown, "src/portsock uses lib names the stub does not declare: %s" % ", ".join(unknown)


def test_stub_is_valid_for_the_extension() -> None:
    """Every name the stub gives lib exists on the compiled module."""
    funcs, attrs = stub_lib()
    absent = sorted(n for n in list(funcs) + list(attrs) if not hasattr(_core.lib, n))
    assert not absent, "declared in _core.pyi but not in the extension: %s" % ", ".join(absent)


# --------------------------------------------------------------------------
# The distributions

IGNORED = shutil.ignore_patterns(
    ".git", "build", "dist", "wheelhouse", "*.egg-info", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".benchmarks", ".tox", ".venv", "*.so", "*.pyd", "*.o", "*.obj", "*.dll", "*.dylib")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """An sdist and, built from it, a wheel (what `python -m build` does), made
    from a copy of the tree so that the checkout is left untouched."""
    pytest.importorskip("build", reason="the `build` package is not installed (pip install build, or \".[test]\")")
    base = tmp_path_factory.mktemp("packaging")
    src = base / "src"
    out = base / "dist"
    shutil.copytree(ROOT, src, ignore=IGNORED)
    try:
        proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                              capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=str(base))
    except subprocess.TimeoutExpired:
        pytest.fail("python -m build took more than %d s" % BUILD_TIMEOUT)
    if proc.returncode != 0:
        pytest.fail("python -m build failed (exit %d):\n%s\n%s"
                    % (proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]), pytrace=False)
    sdists = sorted(out.glob("portsock-*.tar.gz"))
    wheels = sorted(out.glob("portsock-*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0], "base": base}


@pytest.mark.packaging
def test_sdist_carries_the_sources(dists: Dict[str, Path]) -> None:
    sdist = dists["sdist"]
    prefix = "portsock-%s/" % portsock.__version__
    assert sdist.name == "portsock-%s.tar.gz" % portsock.__version__
    with tarfile.open(sdist) as tar:
        names = {n[len(prefix):] for n in tar.getnames() if n.startswith(prefix)}
    missing = [f for f in SDIST_FILES if f not in names]
    assert not missing, "the sdist lacks %s" % ", ".join(missing)
    built = sorted(n for n in names if n.endswith((".so", ".pyd", ".o", ".obj")))
    assert not built, "the sdist carries build products: %s" % ", ".join(built)
    # The shim's generated spellings (tools/shim_aliases.py) stay out: unpacked
    # where case folds, WinSock2.h would overwrite winsock2.h.
    shim = [n.rsplit("/", 1)[1] for n in names if "/csrc/include/portsock/" in "/" + n]
    folded = [n for n in shim if n != n.lower()]
    assert not folded, "the sdist carries generated header spellings: %s" % ", ".join(folded)


@pytest.mark.packaging
def test_wheel_is_typed_and_abi3(dists: Dict[str, Path]) -> None:
    wheel = dists["wheel"]
    assert wheel.name.startswith("portsock-%s-" % portsock.__version__)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "portsock/py.typed" in names
    assert "portsock/_core.pyi" in names
    # portsock parity builds the core and the scenario driver: their C, copied in by setup.py.
    for name in ("csrc/portsock.h", "csrc/trace.c", "csrc/SOURCES", "csrc/include/portsock/winsock2.h", "driver.c"):
        assert "portsock/_native/" + name in names, sorted(names)
    assert any(re.fullmatch(r"portsock/_core\..*(so|pyd)", n) for n in names), sorted(names)
    limited_api = (sys.implementation.name == "cpython" and not hasattr(sys, "gettotalrefcount")
                   and not sysconfig.get_config_var("Py_GIL_DISABLED"))
    if limited_api:
        # setup.py asks for cp39-abi3: one wheel for every CPython from 3.9 on.
        assert "-cp39-abi3-" in wheel.name, wheel.name
        if os.name != "nt":
            assert "portsock/_core.abi3.so" in names, sorted(names)


@pytest.mark.packaging
def test_wheel_installs_and_runs_outside_the_tree(dists: Dict[str, Path]) -> None:
    """The wheel (built from the sdist) in a fresh virtual environment, run from
    a directory outside the source tree: `portsock --version` and `portsock demo`."""
    base = dists["base"]
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(dists["wheel"])],
                         capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    cwd = base / "elsewhere"
    cwd.mkdir()
    script = bindir / ("portsock.exe" if os.name == "nt" else "portsock")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, cwd=str(cwd))
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "portsock " + portsock.__version__
    demo = subprocess.run([str(script), "demo"], capture_output=True, text=True, timeout=120, cwd=str(cwd))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "[client] Connection closed" in demo.stdout.splitlines()
    where = subprocess.run([str(python), "-c", "import portsock; print(portsock.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=str(cwd))
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve()), where.stdout
    # The parity machinery finds the C the wheel carries (no source tree here:
    # not even the one the tests name for themselves).
    alone = {k: v for k, v in os.environ.items() if k != "PORTSOCK_SOURCE_TREE"}
    found = subprocess.run([str(python), "-c", "from portsock._parity import native; "
                            "print(native.CSRC); print(native.DRIVER); print(native.CORE_POSIX[0])"],
                           capture_output=True, text=True, timeout=60, cwd=str(cwd), env=alone)
    assert found.returncode == 0, found.stderr
    for line in found.stdout.split():
        assert Path(line).is_relative_to(venv.resolve()) and Path(line).exists(), found.stdout


# --------------------------------------------------------------------------
# `python -m build` in the checkout's root (issue 12, item 8)

def test_python_m_build_in_the_root_hands_over_before_needing_cffi(tmp_path: Path) -> None:
    """Run in the root, `python -m build` finds build.py first on sys.path; it
    hands over to PyPA's frontend before importing cffi (a cffi that fails to
    import, first on PYTHONPATH, is never touched)."""
    import importlib.metadata
    try:   # by its distribution: run in the root, `import build` finds build.py, installed or not
        importlib.metadata.distribution("build")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the `build` package is not installed")
    fake = tmp_path / "cffi"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named cffi (the test hides it)')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "build", "--version"], capture_output=True, text=True,
                          timeout=120, cwd=str(ROOT), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("build "), proc.stdout
    assert "cffi" not in proc.stderr


@pytest.mark.packaging
def test_python_m_build_in_a_fresh_clone(tmp_path: Path) -> None:
    """A fresh clone of the committed tree, `python -m build` in its root:
    an sdist and a wheel, and nothing compiled in place."""
    pytest.importorskip("build", reason="the `build` package is not installed")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", "dist"], capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT, cwd=str(clone))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    built = sorted(p.name for p in (clone / "dist").iterdir())
    assert [n for n in built if n.endswith(".tar.gz")] == ["portsock-%s.tar.gz" % portsock.__version__], built
    assert len([n for n in built if n.endswith(".whl")]) == 1, built
    in_place = [str(p.relative_to(clone)) for pattern in ("*.so", "*.pyd", "_core.c", "*.o")
                for p in clone.rglob(pattern) if "dist" not in p.parts]
    assert not in_place, in_place
