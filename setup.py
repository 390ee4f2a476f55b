"""Build the Cython engine (src/engine/*.pyx) as extension modules inside the pyddb package.

Each ``src/engine/NAME.pyx`` becomes ``pyddb._engine.NAME``. Cython resolves ``cimport`` by dotted module
name, so the ``.pxd`` design sheets are staged under ``build/cython-include/pyddb/_engine/`` and that folder is
the include path (see shared/STYLE.md, build note). One set of directives; ``PYDDB_CYTHON_DEBUG=1`` adds
bounds checks and line tracing, ``PYDDB_ANNOTATE=1`` writes the HTML annotation, and
``PYDDB_BUILD_ONLY=btree,wal`` (development) rebuilds only those modules in place.

The data model's hot path (COMPILED below: validation, types, expressions, the item/query/batch operations,
the client) is plain Python that Cython also compiles, unchanged, into extension modules installed next to
the ``.py`` files; Python imports the extension first. The ``.py`` stays the one source: nothing in it is
Cython-specific, and it runs as it is where no extension was built. Measured (bench/model_bench.py) at about
1.6x on PutItem and UpdateItem; docs/datamodel.md, "Compiled modules". ``PYDDB_PURE_PYTHON=1`` builds the
engine only. In a development checkout, rebuild after editing one of them
(``python setup.py build_ext --inplace``): tests/conftest.py refuses to run against an extension older than
its source.
"""
import glob
import os
import shutil
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
DEBUG = os.environ.get("PYDDB_CYTHON_DEBUG") == "1"
ANNOTATE = os.environ.get("PYDDB_ANNOTATE") == "1"

CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "cdivision": not DEBUG,
    "initializedcheck": DEBUG,
    "embedsignature": True,
}
if DEBUG:
    CYTHON_DIRECTIVES.update({"linetrace": True, "binding": True})


def stage_pxd():
    """Copy src/engine/*.pxd to build/cython-include/pyddb/_engine/ so `cimport` finds them by name."""
    inc = os.path.join(HERE, "build", "cython-include")
    dst = os.path.join(inc, "pyddb", "_engine")
    os.makedirs(dst, exist_ok=True)
    for d in (os.path.join(inc, "pyddb"), dst):
        open(os.path.join(d, "__init__.pxd"), "a").close()
    for pxd in glob.glob(os.path.join(HERE, "src", "engine", "*.pxd")):
        target = os.path.join(dst, os.path.basename(pxd))
        if not os.path.exists(target) or open(pxd, "rb").read() != open(target, "rb").read():
            shutil.copyfile(pxd, target)
    return inc


# Data-model modules compiled from their unchanged .py source (pure-Python mode). Chosen by profile: what an
# item operation, a Query/Scan page, a batch or a transaction runs per request. Not the control plane, the
# server's event loop or anything with a background thread of its own.
COMPILED = [
    "api/batch", "api/common", "api/items", "api/query", "api/transact",
    "client", "resource",
    "expressions/ast", "expressions/cache", "expressions/evaluate", "expressions/parser",
    "expressions/resolve", "expressions/tokens",
    "model/batch", "model/database", "model/indexes", "model/items", "model/legacy", "model/query",
    "model/schema", "model/transactions",
    "server/protocol",
    "types/attrvalue", "types/codec", "types/keycodec", "types/numbers", "types/size",
    "validation/rules", "validation/shapes",
]
# Python semantics, not C: annotations are documentation (never C types or runtime checks), no C division.
PURE_DIRECTIVES = {"language_level": 3, "annotation_typing": False, "binding": True, "embedsignature": False,
                   "always_allow_keywords": True}


def extensions():
    from Cython.Build import cythonize

    macros = [("NPY_NO_DEPRECATED_API", "0")]
    if DEBUG:
        macros += [("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")]
    cflags = ["-O0", "-g"] if DEBUG else ["-O2"]
    if sys.platform == "win32":
        cflags = []
    only = [n for n in os.environ.get("PYDDB_BUILD_ONLY", "").split(",") if n]   # dev: rebuild a subset
    exts = []
    for pyx in sorted(glob.glob(os.path.join("src", "engine", "*.pyx"))):
        name = os.path.splitext(os.path.basename(pyx))[0]
        if only and name not in only:
            continue
        exts.append(Extension("pyddb._engine." + name, [pyx], define_macros=macros, extra_compile_args=cflags))
    if not exts and not only:
        raise SystemExit("setup.py: no src/engine/*.pyx found; an sdist must include them (MANIFEST.in)")
    jobs = int(os.environ.get("PYDDB_BUILD_JOBS", "0"))
    out = cythonize(exts, include_path=[stage_pxd()], compiler_directives=CYTHON_DIRECTIVES,
                    annotate=ANNOTATE, nthreads=jobs, language_level=3)
    if os.environ.get("PYDDB_PURE_PYTHON") == "1":
        return out
    pure = []
    for name in COMPILED:
        if only and name.replace("/", ".") not in only:
            continue
        source = os.path.join("src", "pyddb", name + ".py")
        # -g0: Python's default -g would add ~25 MB of debug info to the wheel for these modules
        pure.append(Extension("pyddb." + name.replace("/", "."), [source],
                              extra_compile_args=cflags + (["-g0"] if cflags and not DEBUG else [])))
    if pure:
        out += cythonize(pure, compiler_directives=PURE_DIRECTIVES, annotate=ANNOTATE, nthreads=jobs,
                         build_dir=os.path.join("build", "cython-pure"), language_level=3)
    return out


# pyddb and its subpackages live in src/pyddb; the engine (src/engine) is installed as pyddb._engine.
PACKAGES = ["pyddb." + p if p else "pyddb" for p in [""] + [
    p.replace(os.sep, ".") for p in sorted(
        os.path.relpath(d, os.path.join(HERE, "src", "pyddb"))
        for d, _, files in os.walk(os.path.join(HERE, "src", "pyddb")) if "__init__.py" in files
    ) if p != "."]] + ["pyddb._engine"]

setup(
    ext_modules=extensions(),
    packages=PACKAGES,
    package_dir={"pyddb": "src/pyddb", "pyddb._engine": "src/engine"},
    options={"build_ext": {"parallel": os.cpu_count() or 1}},
)
