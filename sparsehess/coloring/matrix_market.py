"""Loading sparsity patterns from Matrix Market (``.mtx``, ``.mtx.gz``) and ``.npz`` files."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import scipy.io
import scipy.sparse as sp

from .graphs import as_pattern


def _read_text(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as fh:
            return fh.read()
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc


def load_pattern(path, *, keep_explicit_zeros: bool = False) -> sp.csr_array:
    """Read the sparsity pattern stored in ``path`` as a canonical csr pattern of int8 ones.

    ``.mtx`` / ``.mtx.gz``: Matrix Market (symmetric files are expanded to both triangles).
    ``.npz``: ``scipy.sparse.save_npz`` format. Explicit stored zeros are dropped unless
    ``keep_explicit_zeros``. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` (naming the path) for unknown extensions, non-Matrix-Market or truncated
    files.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such pattern file: {path}")
    name = path.name.lower()
    if name.endswith(".npz"):
        try:
            mat = sp.load_npz(path)
        except Exception as exc:
            raise ValueError(f"{path} is not a scipy.sparse .npz file: {exc}") from exc
        return as_pattern(mat, keep_explicit_zeros=keep_explicit_zeros)
    if not (name.endswith(".mtx") or name.endswith(".mtx.gz")):
        raise ValueError(f"{path}: unknown extension; accepted: .mtx, .mtx.gz, .npz")
    text = _read_text(path)
    if not text.lstrip().lower().startswith("%%matrixmarket"):
        raise ValueError(f"{path} is not a Matrix Market file (no %%MatrixMarket header)")
    try:
        mat = scipy.io.mmread(io.StringIO(text))
    except Exception as exc:
        raise ValueError(f"{path}: malformed or truncated Matrix Market file: {exc}") from exc
    return as_pattern(mat, keep_explicit_zeros=keep_explicit_zeros)
