"""sparsehess.plot: every plot writes a non-empty PNG; a clear message without matplotlib."""

import sys

import numpy as np
import pytest

import sparsehess
from sparsehess import bench

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_ok(path, min_bytes=2000):
    data = path.read_bytes()
    return data[:8] == PNG_MAGIC and len(data) >= min_bytes


@pytest.fixture(scope="module")
def plot():
    pytest.importorskip("matplotlib")
    from sparsehess import plot
    return plot


@pytest.fixture(scope="module")
def results():
    mats = bench.builtin_suite(sizes=(100, 400), problems=("banded", "mesh2d", "arrowhead"))
    return bench.run(mats, methods=("column", "star", "acyclic"),
                     orders=("natural", "largest_first", "smallest_last"), progress=False)


def test_spy_colored_and_plain(plot, tmp_path):
    p = bench.generate("mesh2d", 64)
    c = sparsehess.color(p, "star")
    fig = plot.spy(p, c, path=tmp_path / "spy.png")
    assert png_ok(tmp_path / "spy.png")
    ax = fig.axes[0]
    assert "5 colors" in ax.get_title() or f"{c.ncolors} colors" in ax.get_title()
    # one scatter point per nonzero, colored by its column's color
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == p.nnz
    facecolors = ax.collections[0].get_facecolors()
    cols = np.asarray(offsets)[:, 0].astype(int)
    for color_id in range(c.ncolors):
        same = facecolors[c.colors[cols] == color_id]
        assert np.allclose(same, same[0])                 # one color per color class
    plot.spy(p.toarray(), path=tmp_path / "plain.png")    # dense input, no coloring
    assert png_ok(tmp_path / "plain.png", 1000)


def test_spy_subsamples_large_patterns(plot, tmp_path):
    p = bench.generate("random", 3000)
    fig = plot.spy(p, sparsehess.color(p, "column"), path=tmp_path / "big.png",
                   max_points=5000)
    assert len(fig.axes[0].collections[0].get_offsets()) == 5000
    assert f"5,000 of {p.nnz:,} shown" in fig.axes[0].get_title()
    assert png_ok(tmp_path / "big.png")


@pytest.mark.parametrize("method", ["column", "row", "star", "acyclic", "bicoloring"])
def test_compressed_side_by_side(plot, tmp_path, method):
    p = bench.generate("mesh2d", 100) if method != "bicoloring" else bench.generate("arrowhead", 60)
    c = sparsehess.color(p, method)
    fig = plot.compressed(p, c, path=tmp_path / f"{method}.png")
    assert png_ok(tmp_path / f"{method}.png")
    assert f"{c.ncolors} passes" in fig._suptitle.get_text()
    if method == "column":
        # a column coloring never adds two nonzeros into one compressed entry
        assert all(not ax.get_legend() for ax in fig.axes)


def test_compressed_marks_sums_for_star(plot):
    p = bench.generate("banded", 40)
    c = sparsehess.color(p, "star")
    fig = plot.compressed(p, c)
    legend = fig.axes[1].get_legend()
    assert legend is not None and "sum of" in legend.get_texts()[0].get_text()


def test_colors_by_method(plot, tmp_path, results):
    fig = plot.colors_by_method(results, path=tmp_path / "colors.png")
    assert png_ok(tmp_path / "colors.png")
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 6   # one panel per matrix
    # mapping input, one panel
    fig = plot.colors_by_method({"star": {"natural": 5, "largest_first": 4},
                                 "column": {"natural": 7, "largest_first": 6}},
                                path=tmp_path / "mapping.png")
    assert png_ok(tmp_path / "mapping.png")
    heights = sorted(b.get_height() for b in fig.axes[0].patches)
    assert heights == [4, 5, 6, 7]


def test_time_vs_nnz(plot, tmp_path, results):
    fig = plot.time_vs_nnz(results, path=tmp_path / "time.png")
    assert png_ok(tmp_path / "time.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_errors_on_empty_results(plot):
    with pytest.raises(ValueError, match="no results"):
        plot.colors_by_method([])
    with pytest.raises(ValueError, match="no timed results"):
        plot.time_vs_nnz([])
    with pytest.raises(ValueError, match="needs a coloring"):
        plot.compressed(bench.generate("banded", 10), None)


def test_missing_matplotlib_message(monkeypatch):
    from sparsehess import plot

    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"pip install 'sparsehess\[plot\]'"):
        plot.spy(bench.generate("banded", 10))
    with pytest.raises(ImportError, match="matplotlib"):
        plot.time_vs_nnz([{"matrix": "a", "method": "star", "order": "natural", "colors": 3,
                           "nnz": 10, "time_s": 1e-3}])


def test_bench_outputs_without_matplotlib(monkeypatch, tmp_path, results):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    written = bench.write_outputs(results, tmp_path)
    assert "pip install" in written["plots_skipped"]
    assert (tmp_path / "results.csv").is_file() and not (tmp_path / "colors.png").exists()
