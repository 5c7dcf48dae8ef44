"""Color counts against published figures (../shared/matrices/REFERENCE.md, tables 1 and 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparsehess.coloring import color, load_pattern

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "matrices"
REFERENCE = SHARED / "REFERENCE.md"
ORDERS = ("natural", "largest_first", "smallest_last", "incidence_degree", "dynamic_largest_first")


def _table(section: str) -> list[list[str]]:
    """Data rows of the markdown table under the heading starting with ``section``."""
    if not REFERENCE.is_file():
        return []
    text = REFERENCE.read_text()
    start = text.index(section)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # drop the header


def _present(name_cell: str):
    name = name_cell.split()[0]
    path = SHARED / "suitesparse" / f"{name}.mtx.gz"
    if "absent" in name_cell or "not comparable" in name_cell or not path.is_file():
        return None
    return name, path


def _param(name, *values):
    return pytest.param(name, *values, id=name)


TABLE1 = [r for r in _table("## 1.") if _present(r[0])]
TABLE2 = [r for r in _table("## 2.") if _present(r[0])]
_PATTERNS: dict = {}


def _load(path, keep):
    key = (path, keep)
    if key not in _PATTERNS:
        _PATTERNS[key] = load_pattern(path, keep_explicit_zeros=keep)
    return _PATTERNS[key]


def _skip_if_absent():
    if not REFERENCE.is_file():
        pytest.skip("../shared/matrices is absent")


@pytest.mark.parametrize("name,row", [_param(_present(r[0])[0], r) for r in TABLE1] or
                         [pytest.param("none", None, marks=pytest.mark.skip("no ../shared"))])
@pytest.mark.parametrize("side", ["column", "row"])
def test_table1_partial_distance2(name, row, side):
    """ColPack Tables VI/VII: per order our colors <= published; best <= best published."""
    _skip_if_absent()
    _, path = _present(row[0])
    m, n, nnz = (int(x) for x in row[1:4])
    p = _load(path, False)
    assert p.shape == (m, n) and p.nnz == nnz
    published = [int(x) for x in (row[6:11] if side == "column" else row[11:16])]
    lower = int(row[4] if side == "column" else row[5])
    ours = {order: color(p, side, order).ncolors for order in ORDERS}
    for order, ref in zip(ORDERS, published):
        assert lower <= ours[order] <= ref, (order, ours[order], ref)
    assert color(p, side, "best").ncolors <= min(published)


@pytest.mark.parametrize("name,row", [_param(_present(r[0])[0], r) for r in TABLE2] or
                         [pytest.param("none", None, marks=pytest.mark.skip("no ../shared"))])
def test_table2_column_natural_explicit_zeros(name, row):
    """"What color is your Jacobian?" Tables 3.1/3.2: explicit zeros kept, natural order."""
    _skip_if_absent()
    _, path = _present(row[0])
    m, n, nnz = (int(x) for x in row[1:4])
    p = _load(path, True)
    assert p.shape == (m, n) and p.nnz == nnz
    c = color(p, "column", "natural")
    assert int(row[4]) == c.lower_bound <= c.ncolors <= int(row[8])


def test_reference_tables_parsed():
    _skip_if_absent()
    assert len(TABLE1) >= 5 and len(TABLE2) >= 10
    assert all(re.fullmatch(r"\d+", c) for r in TABLE1 for c in r[1:])
