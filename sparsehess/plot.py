"""Plots of sparsity patterns, colorings and benchmark results (matplotlib, the ``plot`` extra).

* :func:`spy` — the pattern, each nonzero colored by the color of its column;
* :func:`compressed` — the pattern next to its compressed matrix ``B = A S`` (what the sweeps
  compute): one column per color, entries that add up several nonzeros marked;
* :func:`colors_by_method` — colors per method and order, grouped bars (one panel per matrix);
* :func:`time_vs_nnz` — coloring time against nnz on log-log axes.

Every function returns the matplotlib ``Figure`` and, given ``path``, also writes a PNG there.
Figures are drawn on the Agg canvas without touching pyplot's global state, so this works on
headless machines and does not change the backend of an interactive session. matplotlib is
imported only when a function is called; without it they raise ``ImportError`` saying how to
install it (``pip install 'sparsehess[plot]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["spy", "compressed", "colors_by_method", "time_vs_nnz"]

INSTALL_HINT = ("sparsehess.plot needs matplotlib, which is not installed: "
                "pip install 'sparsehess[plot]' (or pip install matplotlib)")


def _mpl():
    """(Figure class, Agg canvas class, matplotlib module), imported on first use."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return Figure, FigureCanvasAgg, matplotlib


def _new_figure(figsize):
    Figure, Canvas, _ = _mpl()
    fig = Figure(figsize=figsize, layout="constrained")
    Canvas(fig)
    return fig


def _finish(fig, path, dpi=110):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def _palette(k: int):
    """``k`` distinguishable RGBA colors (tab10 / tab20, then a cyclic map)."""
    _, _, mpl = _mpl()
    if k <= 10:
        return np.asarray(mpl.colormaps["tab10"].colors)[: max(k, 1)]
    if k <= 20:
        return np.asarray(mpl.colormaps["tab20"].colors)[:k]
    cmap = mpl.colormaps["turbo"]
    # spread neighbouring colors apart: golden-ratio stepping around the map
    return np.asarray([cmap((0.05 + 0.9 * ((i * 0.618034) % 1.0)))[:3] for i in range(k)])


def _coo(pattern):
    p = sp.coo_array(pattern) if sp.issparse(pattern) else sp.coo_array(np.asarray(pattern))
    p.sum_duplicates()
    keep = p.data != 0
    return p.row[keep].astype(np.int64), p.col[keep].astype(np.int64), p.shape


RASTER_POINTS = 5_000
"""Scatter layers with more points than this are rasterized in vector outputs (SVG, PDF), so
their size stays bounded (a bitmap at the figure's dpi) whatever the number of nonzeros."""


def _subsample(n, max_points, seed=0):
    if n <= max_points:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def _marker_size(shape, npoints, axis_px=500):
    """Square marker side in points: about one cell of the matrix, within [0.7, 8] (0.7 pt:
    about a pixel at the default dpi, so thin lines of a large matrix stay visible)."""
    cell = axis_px / max(shape[0], shape[1], 1)
    return float(np.clip(cell * 0.72, 0.7, 8.0))


def _entry_colors(coloring, rows, cols):
    """Color index of each entry: its column's color (row's for ``row``); -1 = no color."""
    seeds = coloring.spec.seeds
    if seeds == "rows":
        return coloring.colors[rows]
    if seeds == "both":
        cc = coloring.column_colors[cols]
        rc = coloring.row_colors[rows]
        # entries of uncolored columns are read from the row-compressed side: offset them
        return np.where(cc >= 0, cc, np.where(rc >= 0, coloring.ncolumn_colors + rc, -1))
    return coloring.colors[cols]


def _scatter(ax, rows, cols, shape, idx, palette, *, max_points, marker="s", title=None):
    sel = _subsample(rows.size, max_points)
    note = ""
    if sel is not None:
        note = f"\n({max_points:,} of {rows.size:,} shown)"
        rows, cols = rows[sel], cols[sel]
        idx = None if idx is None else idx[sel]
    size = _marker_size(shape, rows.size)
    if idx is None:
        c = "#1f4e79"
    else:
        c = np.where((idx >= 0)[:, None], palette[np.maximum(idx, 0) % len(palette)],
                     np.array([0.6, 0.6, 0.6]))
    ax.scatter(cols, rows, s=size ** 2, c=c, marker=marker, linewidths=0,
               rasterized=rows.size > RASTER_POINTS)
    ax.set_xlim(-0.5, shape[1] - 0.5)
    ax.set_ylim(shape[0] - 0.5, -0.5)
    ax.xaxis.tick_top()
    if title:
        ax.set_title(title + note, fontsize=9)
    return ax


def spy(pattern, coloring=None, *, ax=None, path=None, title=None, max_points=200_000):
    """Draw the sparsity ``pattern`` (scipy sparse or dense); with a
    :class:`~sparsehess.Coloring`, each nonzero takes the color of its column (of its row for
    a ``row`` coloring; for bicoloring, entries of uncolored columns take their row's color
    after the column colors). Patterns with more than ``max_points`` nonzeros are drawn from
    a random subset. Draws into ``ax`` when given; returns the Figure (saved to ``path``)."""
    rows, cols, shape = _coo(pattern)
    fig = ax.figure if ax is not None else _new_figure((6, 6 * min(max(shape[0] / max(shape[1], 1), 0.3), 2.0)))
    if ax is None:
        ax = fig.add_subplot()
    idx, palette = None, None
    if coloring is not None:
        idx = _entry_colors(coloring, rows, cols)
        k = coloring.ncolors
        palette = _palette(k)
    if title is None:
        title = f"{shape[0]} × {shape[1]}, nnz = {rows.size:,}"
        if coloring is not None:
            title += f"; {coloring.method} coloring, {coloring.ncolors} colors"
    _scatter(ax, rows, cols, shape, idx, palette, max_points=max_points, title=title)
    ax.set_aspect("equal" if max(shape) <= 50 * max(min(shape), 1) else "auto")
    return _finish(fig, path)


def _compressed_counts(coloring):
    """The compressed pattern(s) as count matrices: how many nonzeros each entry of
    ``B`` adds up. Returns a list of ``(counts csr, kind)`` with kind "column" (m x k, entry
    (i, c) in color c) or "row" (k x n, entry (c, j) in color c)."""
    p = sp.csr_array(coloring.pattern, dtype=np.int64)
    p.data[:] = 1
    if coloring.spec.seeds == "both":
        sc, sr = coloring.seed_matrices(np.int64)
        return [(sp.csr_array(p @ sp.csr_array(sc)), "column"),
                (sp.csr_array(sp.csr_array(sr).T @ p), "row")]
    s = sp.csr_array(coloring.seed_matrix(np.int64))
    if coloring.spec.seeds == "rows":
        return [(sp.csr_array(s.T @ p), "row")]
    return [(sp.csr_array(p @ s), "column")]


def compressed(pattern, coloring, *, path=None, max_points=200_000):
    """Side by side: the pattern colored by ``coloring`` and its compressed matrix — ``A S``
    (``m x k``) for column-type methods, ``Sᵀ A`` (``k x n``) for ``row``, both for
    bicoloring. A compressed entry drawn as a cross adds up several nonzeros of ``A`` (a
    column coloring never has one; star and acyclic colorings do and recover them through
    symmetry or substitution); squares hold a single nonzero. Returns the Figure."""
    if coloring is None:
        raise ValueError("compressed() needs a coloring (sparsehess.color(pattern, method))")
    panels = _compressed_counts(coloring)
    shape = coloring.pattern.shape
    panels = [(c, kind) for c, kind in panels if min(c.shape) > 0]
    widths = [1.0] + [1.0 if kind == "row" else max(min(c.shape[1] / max(shape[1], 1), 1.0), 0.5)
                      for c, kind in panels]
    fig = _new_figure((5.0 * sum(widths) + 0.5, 5.6))
    axes = fig.subplots(1, len(panels) + 1, width_ratios=widths)
    spy(coloring.pattern if coloring.spec.symmetric else pattern,
        coloring, ax=axes[0], max_points=max_points,
        title=f"original {shape[0]} × {shape[1]}\nnnz = {coloring.pattern.nnz:,}")
    offset = 0
    for ax, (counts, kind) in zip(axes[1:], panels):
        k = counts.shape[1] if kind == "column" else counts.shape[0]
        coo = sp.coo_array(counts)
        r, c, v = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        color_idx = (c if kind == "column" else r) + offset
        palette = _palette(coloring.ncolors)
        single = v == 1
        label = "A S" if kind == "column" else "Sᵀ A"
        title = (f"compressed {label}\n{counts.shape[0]} × {counts.shape[1]}\n"
                 f"{k} color{'s' if k != 1 else ''}")
        _scatter(ax, r[single], c[single], counts.shape, color_idx[single], palette,
                 max_points=max_points, title=title)
        if (~single).any():
            ax.scatter(c[~single], r[~single], s=_marker_size(counts.shape, 0) ** 2 * 1.6,
                       c="black", marker="x", linewidths=0.8,
                       rasterized=int((~single).sum()) > RASTER_POINTS,
                       label=f"sum of ≥ 2 nonzeros ({int((~single).sum()):,})")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=7,
                      frameon=False, handlelength=0)
        ax.set_aspect("auto")
        if kind == "column" and k <= 20:
            ax.set_xticks(range(k))
        if kind == "row":
            # k rows against the original's n columns: a short band, not a square
            ax.set_box_aspect(float(np.clip(k / max(counts.shape[1], 1), 0.08, 1.0)))
            if k <= 20:
                ax.set_yticks(range(k))
        offset += k
    kind = "star bicoloring" if coloring.spec.seeds == "both" else f"{coloring.method} coloring"
    fig.suptitle(f"{kind}, order {coloring.chosen_order}: "
                 f"{coloring.ncolors} passes instead of {shape[1]}", fontsize=11)
    return _finish(fig, path)


# ---------------------------------------------------------------------- benchmark results
def _records(results):
    """Normalise bench results to a list of dicts with matrix/method/order/colors/..."""
    if isinstance(results, Mapping):
        out = []
        for key, val in results.items():
            if isinstance(val, Mapping):  # {method: {order: colors}}
                for order, colors in val.items():
                    out.append({"matrix": "", "method": key, "order": order, "colors": colors})
            else:  # {(method, order): colors}
                method, order = key
                out.append({"matrix": "", "method": method, "order": order, "colors": val})
        return [dict(r, tool="sparsehess") for r in out]
    return [dict(r) for r in results]


def _ok(r):
    return r.get("colors") is not None and not r.get("error")


def colors_by_method(results, *, path=None, matrices=None, max_panels=12):
    """Grouped bars of colors: groups are methods, bars are orders, one panel per matrix
    (the first ``max_panels``, or those named in ``matrices``); a black tick marks each
    method's lower bound when known. ``results``: records from :func:`sparsehess.bench.run`,
    or a mapping ``{(method, order): colors}`` / ``{method: {order: colors}}``. Returns the
    Figure."""
    recs = [r for r in _records(results) if r.get("tool", "sparsehess") == "sparsehess"]
    names = list(dict.fromkeys(r["matrix"] for r in recs))
    if matrices is not None:
        names = [m for m in names if m in set(matrices)]
    names = names[:max_panels]
    if not names:
        raise ValueError("colors_by_method: no results to plot")
    methods = list(dict.fromkeys(r["method"] for r in recs))
    orders = list(dict.fromkeys(r["order"] for r in recs))
    ncols = min(len(names), 3)
    nrows = -(-len(names) // ncols)
    fig = _new_figure((4.6 * ncols + 1.4, 3.2 * nrows + 0.4))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    palette = _palette(len(orders))
    width = 0.8 / max(len(orders), 1)
    for ax, name in zip(axes, names):
        sub = {(r["method"], r["order"]): r for r in recs if r["matrix"] == name}
        vmax, vmin = 1, np.inf
        for j, order in enumerate(orders):
            xs, hs = [], []
            for i, m in enumerate(methods):
                r = sub.get((m, order))
                if r is not None and _ok(r):
                    xs.append(i - 0.4 + width * (j + 0.5))
                    hs.append(r["colors"])
            if hs:
                vmax, vmin = max(vmax, max(hs)), min(vmin, min(hs))
            ax.bar(xs, hs, width=width * 0.95, color=palette[j], label=order)
        for i, m in enumerate(methods):
            lbs = [r.get("lower_bound") for (mm, _), r in sub.items()
                   if mm == m and _ok(r) and r.get("lower_bound") is not None]
            if lbs:
                ax.hlines(max(lbs), i - 0.45, i + 0.45, colors="black", linewidths=1.2)
        if vmin > 0 and vmax / max(vmin, 1) > 50:
            ax.set_yscale("log")
        ax.set_xticks(range(len(methods)), methods, rotation=30, fontsize=8)
        ax.set_ylabel("colors (passes)", fontsize=8)
        ax.set_title(name or "colors per method and order", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(axes[0].hlines([], 0, 1, colors="black"))
    labels.append("lower bound")
    fig.legend(handles, labels, loc="outside right upper", fontsize=8, title="order",
               title_fontsize=8)
    return _finish(fig, path)


def time_vs_nnz(results, *, path=None):
    """Coloring time against nnz on log-log axes: per method, the fastest order on each
    matrix (CasADi's runs, when present, as hollow markers); a dashed line shows linear
    scaling. ``results``: records from :func:`sparsehess.bench.run`. Returns the Figure."""
    recs = [r for r in _records(results) if _ok(r) and r.get("time_s") and r.get("nnz")]
    if not recs:
        raise ValueError("time_vs_nnz: no timed results to plot")
    fig = _new_figure((6.8, 4.6))
    ax = fig.add_subplot()
    series = list(dict.fromkeys((r.get("tool", "sparsehess"), r["method"]) for r in recs))
    methods = list(dict.fromkeys(m for _, m in series))
    palette = _palette(len(methods))
    markers = "osD^vP*X<>"
    for tool, method in series:
        best = {}
        for r in recs:
            if r.get("tool", "sparsehess") == tool and r["method"] == method:
                key = r["matrix"]
                if key not in best or r["time_s"] < best[key]["time_s"]:
                    best[key] = r
        pts = sorted((r["nnz"], r["time_s"]) for r in best.values())
        x, y = np.array(pts, dtype=float).T
        i = methods.index(method)
        hollow = tool != "sparsehess"
        ax.loglog(x, y, linestyle="none", marker=markers[i % len(markers)], markersize=6,
                  markerfacecolor="none" if hollow else palette[i],
                  markeredgecolor=palette[i], label=f"{method}" + (f" ({tool})" if hollow else ""))
    allx = np.array([r["nnz"] for r in recs], float)
    ally = np.array([r["time_s"] for r in recs], float)
    xs = np.array([allx.min(), allx.max()])
    if xs[1] > xs[0]:
        scale = np.median(ally / allx)
        ax.loglog(xs, scale * xs, "k--", linewidth=0.8, alpha=0.6, label="∝ nnz")
    from matplotlib.ticker import NullFormatter
    ax.xaxis.set_minor_formatter(NullFormatter())   # minor labels collide on short decades
    ax.set_xlabel("nonzeros")
    ax.set_ylabel("coloring time (s, fastest order)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("coloring time against size", fontsize=10)
    return _finish(fig, path)
