"""Benchmark outputs: the Markdown summary and the CSV / JSON / plot files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from .runner import FIELDS

__all__ = ["best_per_method", "summary_markdown", "ResultWriter", "write_outputs"]


def _fmt_time(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def _ok(rec):
    return rec.get("colors") is not None and not rec.get("error")


def _matrices_in_order(results):
    seen = {}
    for r in results:
        seen.setdefault(r["matrix"], r)
    return list(seen.values())


def _methods_in_order(results, tool="sparsehess"):
    return list(dict.fromkeys(r["method"] for r in results
                              if r.get("method") and r.get("tool") == tool))


def _orders_in_order(results):
    return list(dict.fromkeys(r["order"] for r in results
                              if r.get("order") and r.get("tool") == "sparsehess"))


def best_per_method(results) -> dict:
    """``{(matrix, method): record}`` of our run with the fewest colors (then least time)."""
    best = {}
    for r in results:
        if r.get("tool") != "sparsehess" or not _ok(r):
            continue
        key = (r["matrix"], r["method"])
        cur = best.get(key)
        if cur is None or (r["colors"], r["time_s"]) < (cur["colors"], cur["time_s"]):
            best[key] = r
    return best


def summary_markdown(results) -> str:
    """Markdown tables: fewest colors per matrix and method (with the order that reached it,
    the lower bound and the time), colors and time per method and order summed over the
    matrices, and, when present, CasADi side by side."""
    lines = []
    methods = _methods_in_order(results)
    orders = _orders_in_order(results)
    best = best_per_method(results)
    mats = _matrices_in_order(results)
    unverified = [r for r in results if r.get("verified") is False]

    lines.append("### Fewest colors per method")
    lines.append("")
    lines.append("Each cell: colors (lower bound) · order reaching it · time of that run. "
                 "Colors = passes (JVPs / VJPs / HVPs) a compressed derivative needs; a dense "
                 "one needs n.")
    lines.append("")
    lines.append("| matrix | rows × cols | nnz | " + " | ".join(methods) + " |")
    lines.append("|---|---:|---:|" + "---|" * len(methods))
    for m in mats:
        if m.get("rows") is None:
            lines.append(f"| {m['matrix']} | - | - | " + " | ".join(["unreadable"] * len(methods))
                         + " |")
            continue
        cells = []
        for meth in methods:
            r = best.get((m["matrix"], meth))
            if r is None:
                cells.append("n/a")
            else:
                cells.append(f"**{r['colors']}** ({r['lower_bound']}) · {r['order']} · "
                             f"{_fmt_time(r['time_s'])}")
        lines.append(f"| {m['matrix']} | {m['rows']} × {m['cols']} | {m['nnz']} | "
                     + " | ".join(cells) + " |")
    lines.append("")

    if orders:
        lines.append("### Colors by order (sum over matrices; time summed too)")
        lines.append("")
        lines.append("| method | " + " | ".join(orders) + " |")
        lines.append("|---|" + "---:|" * len(orders))
        for meth in methods:
            cells = []
            for o in orders:
                rs = [r for r in results if r.get("tool") == "sparsehess" and
                      r["method"] == meth and r["order"] == o and _ok(r)]
                if not rs:
                    cells.append("n/a")
                    continue
                tot = sum(r["colors"] for r in rs)
                tt = sum(r["time_s"] for r in rs)
                cells.append(f"{tot} · {_fmt_time(tt)}")
            lines.append(f"| {meth} | " + " | ".join(cells) + " |")
        lines.append("")

    cas = [r for r in results if r.get("tool") == "casadi"]
    if cas:
        lines.append("### sparsehess vs CasADi (same method and order)")
        lines.append("")
        lines.append("Our time is the whole `color()` call (canonicalisation, symmetrisation, "
                     "ordering, coloring); CasADi's the coloring call on a prepared "
                     "`casadi.Sparsity`. Ratio > 1: sparsehess is faster.")
        lines.append("")
        lines.append("| matrix | method | order | colors ours | colors CasADi | time ours | "
                     "time CasADi | CasADi / ours |")
        lines.append("|---|---|---|---:|---:|---:|---:|---:|")
        ours = {(r["matrix"], r["method"], r["order"]): r for r in results
                if r.get("tool") == "sparsehess"}
        for c in cas:
            o = ours.get((c["matrix"], c["method"], c["order"]))
            if not _ok(c) or o is None or not _ok(o):
                lines.append(f"| {c['matrix']} | {c['method']} | {c['order']} | - | - | - | - "
                             f"| {c.get('error') or 'order not run'} |")
                continue
            ratio = c["time_s"] / o["time_s"] if o["time_s"] > 0 else float("nan")
            lines.append(f"| {c['matrix']} | {c['method']} | {c['order']} | {o['colors']} | "
                         f"{c['colors']} | {_fmt_time(o['time_s'])} | "
                         f"{_fmt_time(c['time_s'])} | {ratio:.2g}x |")
        lines.append("")

    nverified = sum(1 for r in results if r.get("verified") is True)
    lines.append(f"{nverified} colorings verified by check_coloring, "
                 f"{len(unverified)} invalid.")
    for r in unverified:
        lines.append(f"- INVALID: {r['tool']} {r['matrix']} {r['method']} {r['order']}")
    return "\n".join(lines) + "\n"


class ResultWriter:
    """Results written as they come: ``results.csv`` gets each matrix's rows appended (and
    flushed), ``results.json`` is rewritten (atomically) after each matrix, so an interrupted
    run keeps every finished matrix. Creating it makes ``out_dir`` and fails at once
    (``OSError`` naming the folder) when the folder cannot be written."""

    def __init__(self, out_dir):
        self.out = Path(out_dir)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._csv = open(self.out / "results.csv", "w", newline="")
        except OSError as exc:
            raise OSError(f"cannot write results to {self.out}: "
                          f"{exc.strerror or exc}") from exc
        self._rows = csv.DictWriter(self._csv, fieldnames=FIELDS, extrasaction="ignore")
        self._rows.writeheader()
        self._csv.flush()
        self.records = []
        self._write_json()

    def _write_json(self):
        tmp = self.out / "results.json.tmp"
        tmp.write_text(json.dumps([{k: r.get(k) for k in FIELDS} for r in self.records],
                                  indent=1))
        os.replace(tmp, self.out / "results.json")

    def add(self, records):
        """Append ``records`` (one matrix's, usually) to both files."""
        for r in records:
            self._rows.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in FIELDS})
        self._csv.flush()
        self.records.extend(records)
        self._write_json()

    def finish(self, *, plots=True) -> dict:
        """Close the CSV and write ``summary.md`` and (``plots`` and matplotlib installed)
        ``colors.png``, ``time_vs_nnz.png``. Returns ``{kind: path}``; when the plots are
        skipped because matplotlib is missing, ``"plots_skipped"`` holds why."""
        self._csv.close()
        out, results = self.out, self.records
        written = {"csv": out / "results.csv", "json": out / "results.json"}
        path = out / "summary.md"
        path.write_text(summary_markdown(results))
        written["markdown"] = path
        if plots:
            try:
                from ... import plot
                ok = [r for r in results if _ok(r)]
                if ok:
                    plot.colors_by_method(ok, path=out / "colors.png")
                    written["colors_png"] = out / "colors.png"
                if any(r.get("time_s") for r in ok):
                    plot.time_vs_nnz(ok, path=out / "time_vs_nnz.png")
                    written["time_png"] = out / "time_vs_nnz.png"
            except ImportError as exc:
                written["plots_skipped"] = str(exc)
        return written


def write_outputs(results, out_dir, *, plots=True) -> dict:
    """Write ``results.csv``, ``results.json``, ``summary.md`` and (``plots`` and matplotlib
    installed) ``colors.png``, ``time_vs_nnz.png`` into ``out_dir`` at once (see
    :class:`ResultWriter` for writing them as a run goes). Returns ``{kind: path}``; when the
    plots are skipped because matplotlib is missing, ``"plots_skipped"`` holds why."""
    writer = ResultWriter(out_dir)
    writer.add(results)
    return writer.finish(plots=plots)
