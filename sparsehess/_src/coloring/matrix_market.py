"""Loading sparsity patterns from Matrix Market (``.mtx``, ``.mtx.gz``) and ``.npz`` files.

Files are checked before anything large is allocated: the sizes a header (or an ``.npz``
``shape``) claims must agree with the entries actually present, and the pattern they
describe must fit in the available memory, so a 100-byte file that claims 2·10^9 rows is
one clear ``ValueError``, not an out-of-memory kill.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

from .graphs import as_pattern

MAX_INDEX = 2**31 - 1
"""Largest row / column count and number of entries a loaded pattern may have (the coloring
kernels use 32-bit labels)."""

BYTES_PER_ROW = 32
"""Bytes a pattern needs per row and per column while it is converted and colored (CSR
pointers of the pattern and its transpose, int64)."""

BYTES_PER_ENTRY = 64
"""Bytes a pattern needs per stored entry while it is read, canonicalised and colored."""


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable`` of ``/proc/meminfo``, else the free
    physical pages); a large number where neither can be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def check_size(path, rows: int, cols: int, entries: int) -> None:
    """Raise ``ValueError`` (naming ``path``) when a ``rows x cols`` pattern with ``entries``
    stored entries exceeds :data:`MAX_INDEX` or the memory available now."""
    if rows < 0 or cols < 0 or entries < 0:
        raise ValueError(f"{path}: negative size in the header ({rows} x {cols}, "
                         f"{entries} entries)")
    if max(rows, cols, entries) > MAX_INDEX:
        raise ValueError(f"{path}: {rows} x {cols} with {entries} entries exceeds the "
                         f"{MAX_INDEX} rows, columns or entries sparsehess colors")
    need = BYTES_PER_ROW * (rows + cols + 2) + BYTES_PER_ENTRY * entries
    have = available_memory()
    if need > have:
        raise ValueError(f"{path}: a {rows} x {cols} pattern with {entries} entries needs about "
                         f"{_gib(need)} of memory, {_gib(have)} available; check the header "
                         "or free memory")


def _read_text(path: Path) -> str:
    """The file's text (gunzipped for ``.gz``), read in chunks and refused once it exceeds a
    quarter of the available memory (a small ``.gz`` can unpack to any size)."""
    opener = gzip.open if path.suffix == ".gz" else open
    budget = available_memory() // 4
    chunks, size = [], 0
    try:
        with opener(path, "rt") as fh:
            while chunk := fh.read(1 << 24):
                size += len(chunk)
                if size > budget:
                    raise ValueError(f"{path}: its text exceeds {_gib(budget)}, a quarter of "
                                     f"the {_gib(4 * budget)} of memory available")
                chunks.append(chunk)
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    return "".join(chunks)


def _check_matrix_market(path: Path, text: str) -> None:
    """Check the banner and size line of Matrix Market ``text`` against its entries."""
    pos = text.find("\n") + 1 or len(text)
    banner = text[:pos].split()
    if len(banner) < 5 or banner[1].lower() != "matrix":
        raise ValueError(f"{path}: malformed Matrix Market banner {' '.join(banner)!r}; "
                         "expected '%%MatrixMarket matrix coordinate|array FIELD SYMMETRY'")
    layout, symmetry = banner[2].lower(), banner[4].lower()
    size_line = None
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line, pos = text[pos:end], end + 1
        if line.strip() and not line.lstrip().startswith("%"):
            size_line = line.strip()
            break
    if size_line is None:
        raise ValueError(f"{path}: malformed or truncated Matrix Market file: no size line")
    try:
        sizes = [int(t) for t in size_line.split()]
    except ValueError:
        raise ValueError(f"{path}: malformed Matrix Market size line {size_line!r}; "
                         "expected integers 'ROWS COLS [ENTRIES]'") from None
    want = 3 if layout == "coordinate" else 2
    if len(sizes) != want:
        raise ValueError(f"{path}: the {layout} size line must hold {want} integers, got "
                         f"{size_line!r}")
    rows, cols = sizes[0], sizes[1]
    if symmetry != "general" and rows != cols:
        raise ValueError(f"{path}: a {symmetry} matrix must be square, header says "
                         f"{rows} x {cols}")
    if layout == "coordinate":
        declared = sizes[2]
        stored = declared if symmetry == "general" else 2 * declared
    else:
        declared = {"general": rows * cols, "skew-symmetric": rows * (rows - 1) // 2}.get(
            symmetry, rows * (rows + 1) // 2)
        stored = rows * cols
    if min(rows, cols, declared) < 0:
        raise ValueError(f"{path}: negative size in the Matrix Market header {size_line!r}")
    present = 0
    if pos < len(text):
        present = text.count("\n", pos) + (0 if text.endswith("\n") else 1)
    if present < declared:
        raise ValueError(f"{path}: malformed or truncated Matrix Market file: the header "
                         f"claims {declared} entries, the file holds at most {present}")
    check_size(path, rows, cols, stored)


def _npy_header(zf: zipfile.ZipFile, member: str) -> tuple[tuple, np.dtype]:
    """``(shape, dtype)`` of the ``.npy`` member of an open ``.npz`` without reading its data."""
    with zf.open(member) as fh:
        major, _ = np.lib.format.read_magic(fh)
        read = (np.lib.format.read_array_header_1_0 if major == 1
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(fh)
    return shape, dtype


def _check_npz(path: Path) -> None:
    """Check an ``.npz`` pattern's ``shape`` and number of entries (read from the array
    headers, nothing decompressed) before loading it."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "shape.npy" not in names:
                raise ValueError("no 'shape' array")
            with zf.open("shape.npy") as fh:
                shape = np.lib.format.read_array(fh, allow_pickle=False)
            member = next((m for m in ("indices.npy", "row.npy", "data.npy") if m in names), None)
            entries = 0
            if member is not None:
                dims, _ = _npy_header(zf, member)
                entries = int(np.prod(dims, dtype=np.int64))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise ValueError(f"{path} is not a scipy.sparse .npz file: {exc}") from exc
    if shape.shape != (2,) or not np.issubdtype(shape.dtype, np.integer):
        raise ValueError(f"{path}: 'shape' must hold two integers, got {shape.tolist()!r}")
    rows, cols = (int(s) for s in shape)
    check_size(path, rows, cols, entries)


def load_pattern(path, *, keep_explicit_zeros: bool = False) -> sp.csr_array:
    """Read the sparsity pattern stored in ``path`` as a canonical csr pattern of int8 ones.

    ``.mtx`` / ``.mtx.gz``: Matrix Market (symmetric files are expanded to both triangles).
    ``.npz``: ``scipy.sparse.save_npz`` format. Explicit stored zeros are dropped unless
    ``keep_explicit_zeros``. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` (naming the path) for unknown extensions, non-Matrix-Market, truncated
    files, and headers whose sizes disagree with the entries present or would not fit in
    the available memory (see :func:`check_size`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such pattern file: {path}")
    name = path.name.lower()
    if name.endswith(".npz"):
        _check_npz(path)
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
    _check_matrix_market(path, text.lstrip())
    try:
        mat = scipy.io.mmread(io.StringIO(text))
    except Exception as exc:
        raise ValueError(f"{path}: malformed or truncated Matrix Market file: {exc}") from exc
    return as_pattern(mat, keep_explicit_zeros=keep_explicit_zeros)
