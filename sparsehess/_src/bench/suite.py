"""Benchmark inputs: the :class:`Matrix` record, the generated suite and pattern files."""

from __future__ import annotations

import os
from pathlib import Path

import scipy.sparse as sp

from ..coloring import load_pattern
from .generators import ENTRIES_PER_ROW, PROBLEMS, check_problem, generate

__all__ = ["DEFAULT_SIZES", "PATTERN_SUFFIXES", "Matrix", "builtin_suite", "find_matrix_files",
           "shared_suitesparse_dir"]

DEFAULT_SIZES = (1_000, 10_000, 100_000)
"""Sizes (number of variables) of the built-in suite."""

PATTERN_SUFFIXES = (".mtx", ".mtx.gz", ".npz")


class Matrix:
    """A benchmark input: a name, where it comes from, a lazily loaded pattern and
    ``cost``, a guess of its size (stored entries, or bytes of its file) that weighs it in
    the progress estimate."""

    def __init__(self, name: str, source: str, load, cost: float = 1.0):
        self.name = name
        self.source = source
        self._load = load
        self.cost = float(cost)

    def load(self) -> sp.csr_array:
        return self._load()

    def __repr__(self):
        return f"Matrix({self.name!r}, source={self.source!r})"


def builtin_suite(sizes=DEFAULT_SIZES, problems=PROBLEMS) -> list[Matrix]:
    """The generated suite: each problem family at each size (patterns built on demand)."""
    out = []
    for n in sizes:
        for prob in problems:
            check_problem(prob)
            out.append(Matrix(f"{prob}-{n}", "builtin",
                              lambda prob=prob, n=n: generate(prob, n),
                              cost=n * ENTRIES_PER_ROW[prob]))
    return out


def _is_pattern_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in PATTERN_SUFFIXES)


def _stem(path: Path) -> str:
    name = path.name
    for s in PATTERN_SUFFIXES:
        if name.lower().endswith(s):
            return name[: -len(s)]
    return name


def find_matrix_files(paths) -> list[Matrix]:
    """Matrices named by ``paths``: files as given, folders expanded to their ``.mtx``,
    ``.mtx.gz`` and ``.npz`` files (sorted, not recursive). A path that does not exist raises
    ``FileNotFoundError``; a folder without pattern files raises ``ValueError``."""
    out = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and _is_pattern_file(p))
            if not files:
                raise ValueError(f"{path}: folder holds no .mtx, .mtx.gz or .npz files")
        elif path.exists():
            files = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for f in files:
            out.append(Matrix(_stem(f), str(f), lambda f=f: load_pattern(f),
                              cost=max(f.stat().st_size, 1)))
    return out


def shared_suitesparse_dir() -> Path | None:
    """``<repo>/../shared/matrices/suitesparse`` when it exists (the shared SuiteSparse
    matrices next to a source checkout), else ``None``. ``SPARSEHESS_SUITESPARSE`` overrides."""
    env = os.environ.get("SPARSEHESS_SUITESPARSE")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[2]
    candidates.append(repo.parent / "shared" / "matrices" / "suitesparse")
    for c in candidates:
        if c.is_dir():
            return c
    return None
