"""Coloring benchmark: sparsehess.coloring vs CasADi's Sparsity colorings, side by side.

Run ``python benchmarks/coloring.py`` (full sizes) or ``--quick``. For each case it prints the
colors and the time of both, and the ratio CasADi time / our time. "first" is our first call
in this process (numba cache load, or compilation when the cache is cold); "steady" is the best
of ``--repeat`` later calls, ours and CasADi's interleaved round by round. Our times cover the
whole ``color()`` call (pattern canonicalisation, symmetrisation, ordering, coloring); CasADi's
cover the coloring call only. CasADi (``pip install casadi``, in the ``bench`` extra) is
optional: without it only our columns are filled.

``--improve`` instead prints the improvement stage's table on the shared SuiteSparse matrices
(explicit zeros dropped): the best greedy count over the orders of ``order="best"``, the count
after ``--effort`` seconds of improvement from it, the lower bound and the time; column and row
colorings of the matrices with published targets, then star and acyclic colorings of the
symmetric ones (``--sym-effort`` seconds each).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sparsehess._src.bench import peers
from sparsehess._src.bench.generators import arrowhead, laplacian, random_symmetric
from sparsehess.coloring import color, load_pattern

casadi = peers.casadi_module()  # benchmark-only dependency: None without it

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "matrices" / "suitesparse"


def _once(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_case(rows, label, p, method, casadi_call, repeat):
    # same orders as CasADi: star_coloring(1) is largest-first, uni_coloring natural
    order = "natural" if method == "column" else "largest_first"
    ours_fn = lambda: color(p, method, order)
    ours, first = _once(ours_fn)
    line = {"case": label, "method": method, "ours_colors": ours.ncolors, "ours_first": first,
            "ours_steady": np.inf, "casadi_colors": None, "casadi_time": None}
    s = peers.to_casadi(casadi, p) if casadi is not None and casadi_call is not None else None
    for _ in range(repeat):  # interleaved rounds: the ratio holds on a busy machine
        line["ours_steady"] = min(line["ours_steady"], _once(ours_fn)[1])
        if s is not None:
            res, ct = _once(lambda: casadi_call(s))
            line["casadi_colors"] = res.size2()
            line["casadi_time"] = min(line["casadi_time"] or np.inf, ct)
    rows.append(line)
    print_row(line)


def print_row(r):
    ratio = (f"{r['casadi_time'] / r['ours_steady']:8.1f}x" if r["casadi_time"] is not None
             else "       -")
    cc = "-" if r["casadi_colors"] is None else r["casadi_colors"]
    ct = "-" if r["casadi_time"] is None else f"{r['casadi_time']:.4f}"
    print(f"{r['case']:<34} {r['method']:<10} {r['ours_colors']:>6} {cc:>6} "
          f"{r['ours_first']:>9.4f} {r['ours_steady']:>9.4f} {ct:>9} {ratio}", flush=True)


TARGETS = {"lp_maros_r7": (70, 72, 0.9), "af23560": (42, 42, 0.9),
           "e40r0100": (70, 70, 0.95)}
"""Best published greedy column / row counts (REFERENCE.md table 1) and the target factor."""

SYMMETRIC_CASES = ("bcsstk08", "bcsstk13", "nos3", "1138_bus", "3elt", "commanche_dual",
                   "kineticBatchReactor_9", "dictionary28", "ca-GrQc", "hydr1")
"""Shared matrices for the star / acyclic rows (symmetrized when not symmetric)."""


def improve_row(name, p, method, effort):
    greedy = color(p, method, "best")
    t0 = time.perf_counter()
    better = color(p, method, "best", effort=effort)
    t = time.perf_counter() - t0
    return greedy, better, t


def improve_tables(effort, sym_effort):
    if not SHARED.is_dir():
        print("../shared absent: --improve needs the shared SuiteSparse matrices")
        return
    print(f"improvement stage: effort {effort:g} s (column / row), {sym_effort:g} s "
          "(star / acyclic); greedy = best of order='best'; time = the improved color() call")
    print(f"{'matrix':<22} {'method':<8} {'greedy':>6} {'improved':>8} {'bound':>6} "
          f"{'gap':>6} {'time_s':>7} {'target':>7} {'met':>4}")
    for name, (col, row, factor) in TARGETS.items():
        p = load_pattern(SHARED / f"{name}.mtx.gz")
        for method, published in (("column", col), ("row", row)):
            greedy, better, t = improve_row(name, p, method, effort)
            limit = int(np.floor(factor * published + 1e-9))
            print(f"{name:<22} {method:<8} {greedy.ncolors:>6} {better.ncolors:>8} "
                  f"{better.lower_bound:>6} {better.ncolors / better.lower_bound:>6.3f} "
                  f"{t:>7.1f} {limit:>7} {'yes' if better.ncolors <= limit else 'no':>4}",
                  flush=True)
    for name in SYMMETRIC_CASES:
        path = SHARED / f"{name}.mtx.gz"
        if not path.is_file():
            continue
        p = load_pattern(path)
        for method in ("star", "acyclic"):
            greedy, better, t = improve_row(name, p, method, sym_effort)
            print(f"{name:<22} {method:<8} {greedy.ncolors:>6} {better.ncolors:>8} "
                  f"{better.lower_bound:>6} {better.ncolors / better.lower_bound:>6.3f} "
                  f"{t:>7.1f} {'-':>7} {'-':>4}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (seconds, not minutes)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--improve", action="store_true",
                    help="print the improvement-stage table instead of the speed table")
    ap.add_argument("--effort", type=float, default=60.0,
                    help="improvement seconds per column / row case (default 60)")
    ap.add_argument("--sym-effort", type=float, default=5.0,
                    help="improvement seconds per star / acyclic case (default 5)")
    args = ap.parse_args(argv)
    if args.improve:
        improve_tables(args.effort, args.sym_effort)
        return
    n_rand = 100_000 if args.quick else 1_000_000
    n_arrow = 10_000 if args.quick else 100_000
    k_lap = 300 if args.quick else 1000
    star = (lambda s: peers.casadi_call(s, "star")()) if casadi else None
    uni = (lambda s: peers.casadi_call(s, "column")()) if casadi else None

    print(f"casadi {casadi.__version__ if casadi else 'not installed'}; times in seconds; "
          "ratio = casadi / ours (steady)")
    print("orders: column natural (as CasADi uni_coloring), others largest_first")
    print(f"{'case':<34} {'method':<10} {'ours':>6} {'casadi':>6} {'first':>9} {'steady':>9} "
          f"{'casadi_t':>9} {'ratio':>9}")
    rows = []
    rnd = random_symmetric(n_rand, 10)
    run_case(rows, f"random sym n={n_rand} deg~10", rnd, "star", star, args.repeat)
    run_case(rows, f"random sym n={n_rand} deg~10", rnd, "column", uni, args.repeat)
    run_case(rows, f"random sym n={n_rand} deg~10", rnd, "acyclic", None, args.repeat)
    arr = arrowhead(n_arrow)
    run_case(rows, f"arrow n={n_arrow}", arr, "star", star, args.repeat)
    run_case(rows, f"arrow n={n_arrow}", arr, "column", uni, args.repeat)
    # bicoloring's distance-2 sub-colorings are quadratic in the dense row: kept at n=10^4
    run_case(rows, "arrow n=10000", arrowhead(10_000), "bicoloring", None, 1)
    lap = laplacian((k_lap, k_lap))
    run_case(rows, f"2-D Laplacian n={k_lap * k_lap}", lap, "star", star, args.repeat)
    run_case(rows, f"2-D Laplacian n={k_lap * k_lap}", lap, "column", uni, args.repeat)
    ken = SHARED / "lp_ken_18.mtx.gz"
    if ken.is_file():
        p = load_pattern(ken)
        run_case(rows, "lp_ken_18 (154699 cols)", p, "column", uni, args.repeat)
    else:
        print("lp_ken_18: ../shared absent, skipped")

    star_t = next(r["ours_steady"] for r in rows if r["method"] == "star")
    acyc_t = next(r["ours_steady"] for r in rows if r["method"] == "acyclic")
    print(f"acyclic / star time on the random pattern: {acyc_t / star_t:.2f}")


if __name__ == "__main__":
    main()
