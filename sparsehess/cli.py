"""The ``sparsehess`` command line (also ``python -m sparsehess``).

Commands::

    sparsehess color FILE [--method M] [--order O] [--effort S] [--json] [--seeds OUT.npz]
                          [--plot OUT.png]
    sparsehess bench [PATHS...] [--methods a,b] [--orders a,b] [--out DIR] [--vs casadi]
    sparsehess demo [-n N]

Errors (missing or unreadable files, bad options) are reported as one line on stderr with a
non-zero exit status: 2 for usage errors, 1 for everything else. ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .errors import UsageError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"missing key {text}"
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _int_at_least(lowest: int):
    """argparse type: an integer >= ``lowest`` (a one-line usage error otherwise)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, got {value}")
        return value
    return parse


MIN_SIZE = 2
"""Smallest built-in suite size ``--sizes`` accepts."""


def _int_list(text: str) -> list[int]:
    try:
        out = [int(float(t)) for t in _csv_list(text)]
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not out or min(out) < MIN_SIZE:
        raise argparse.ArgumentTypeError(f"sizes must be integers of at least {MIN_SIZE}, "
                                         f"got {text!r}")
    return out


def _seconds(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}")
    if not t >= 0 or t == float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be finite and >= 0, got {text!r}")
    return t


def _choices_list(allowed, what):
    def parse(text):
        items = _csv_list(text)
        if not items:
            raise argparse.ArgumentTypeError(f"empty list of {what}")
        bad = [i for i in items if i not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, bad))}; accepted: {', '.join(allowed)}")
        return items
    return parse


# ---------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from ._src.coloring import METHODS, ORDERS  # numpy/scipy/numba only, no JAX
    from .bench import DEFAULT_SIZES, PROBLEMS

    orders = (*ORDERS, "best")
    parser = _Parser(prog="sparsehess",
                     description="Sparse Jacobians and Hessians in JAX: color sparsity "
                                 "patterns, benchmark colorings, run the demo.")
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks instead of one-line errors")
    parser.add_argument("--version", action="version", version=f"sparsehess {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    c = sub.add_parser("color", help="color the sparsity pattern stored in a file",
                       description="Color the pattern of a Matrix Market (.mtx, .mtx.gz) or "
                                   "scipy .npz file and check the coloring independently.")
    c.add_argument("file", metavar="FILE", help=".mtx, .mtx.gz or .npz file")
    c.add_argument("--method", default="auto", choices=("auto", *METHODS),
                   help="coloring method (default auto: star for a structurally symmetric "
                        "pattern — a Hessian — and column otherwise — a Jacobian)")
    c.add_argument("--order", default="largest_first", choices=orders,
                   help="vertex order (best: try several, keep the fewest colors); "
                        "default largest_first")
    c.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seed of the random order and of the improvement stage (default 0)")
    c.add_argument("--effort", type=_seconds, default=0.0, metavar="SECONDS",
                   help="time to spend improving the greedy coloring (iterated greedy, tabu "
                        "search; never more colors; default 0: plain greedy)")
    c.add_argument("--repeat", type=_int_at_least(1), default=1,
                   help="time the best of this many colorings (default 1)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--seeds", metavar="OUT.npz",
                   help="save the coloring (colors per column and metadata) to this .npz")
    c.add_argument("--plot", metavar="OUT.png",
                   help="draw the pattern and its compressed matrix (needs matplotlib)")
    c.add_argument("--no-verify", action="store_true",
                   help="skip the independent check_coloring verification")
    c.add_argument("--keep-zeros", action="store_true",
                   help="treat explicitly stored zeros as nonzeros")

    b = sub.add_parser("bench", help="benchmark every method x order on matrices",
                       description="Run every coloring method x order on each matrix (files "
                                   "or folders; default: a built-in generated suite) and write "
                                   "results.csv, results.json, summary.md and plots.")
    b.add_argument("paths", nargs="*", metavar="PATH",
                   help=".mtx / .mtx.gz / .npz files or folders of them (default: the "
                        "built-in suite)")
    b.add_argument("--methods", type=_choices_list(METHODS, "method"), default=list(METHODS),
                   help=f"comma-separated methods (default all: {','.join(METHODS)})")
    b.add_argument("--orders", type=_choices_list(orders, "order"), default=list(ORDERS),
                   help=f"comma-separated orders (default all but best: {','.join(ORDERS)})")
    b.add_argument("--sizes", type=_int_list, default=list(DEFAULT_SIZES),
                   help="built-in suite sizes, comma-separated (default "
                        f"{','.join(map(str, DEFAULT_SIZES))})")
    b.add_argument("--problems", type=_choices_list(PROBLEMS, "problem"), default=list(PROBLEMS),
                   help=f"built-in suite problems (default all: {','.join(PROBLEMS)})")
    b.add_argument("--out", default="bench_out", metavar="DIR",
                   help="output folder (default bench_out)")
    b.add_argument("--repeat", type=_int_at_least(1), default=1,
                   help="time the best of this many runs of each coloring (default 1)")
    b.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seed of the random order (default 0)")
    b.add_argument("--max-nnz", type=_int_at_least(0), default=None, metavar="N",
                   help="skip matrices with more nonzeros than this")
    b.add_argument("--vs", action="append", default=[], choices=("casadi",),
                   help="also time CasADi's star/column colorings (needs casadi)")
    b.add_argument("--effort", type=_seconds, default=0.0, metavar="SECONDS",
                   help="time to spend improving each greedy coloring (default 0)")
    b.add_argument("--no-verify", action="store_true", help="skip check_coloring")
    b.add_argument("--no-plots", action="store_true", help="write no PNGs")
    b.add_argument("--quiet", action="store_true",
                   help="no progress bar and no summary table on stdout")

    d = sub.add_parser("demo", help="run the pipeline on a built-in 100,000-variable problem",
                       description="The main job (make demo): detect, color and evaluate the "
                                   "sparse Hessian of a built-in problem.")
    d.add_argument("-n", type=int, default=100_000, help="number of variables")
    return parser


# -------------------------------------------------------------------------------- commands
def _is_symmetric(p) -> bool:
    if p.shape[0] != p.shape[1]:
        return False
    diff = (p != p.T)
    return diff.nnz == 0


_PRODUCTS = {"jvp": "JVPs", "vjp": "VJPs", "hvp": "HVPs", "jvp+vjp": "JVPs + VJPs"}
"""What one color costs, by the method's sweep kind (``Method.sweep``)."""


def _gap(ncolors: int, lower_bound: int) -> float | None:
    """``ncolors / lower_bound`` (1.0 is proven optimal), None without a positive bound."""
    return ncolors / lower_bound if lower_bound > 0 else None


def _fmt_seconds(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.3f} s"


def cmd_color(args) -> int:
    import numpy as np

    from ._src.bench.timing import best_time
    from ._src.coloring import METHOD_SPECS, check_coloring, color, load_pattern

    if args.seeds and not args.seeds.lower().endswith(".npz"):
        raise UsageError(f"--seeds {args.seeds}: the output file must end in .npz")
    t0 = time.perf_counter()
    pattern = load_pattern(args.file, keep_explicit_zeros=args.keep_zeros)
    load_s = time.perf_counter() - t0
    m, n = pattern.shape
    method = args.method
    if method == "auto":
        method = "star" if _is_symmetric(pattern) else "column"
    spec = METHOD_SPECS[method]
    two_sided = spec.seeds == "both"           # bicoloring: row and column seeds
    if spec.symmetric and m != n:
        raise UsageError(f"--method {method} needs a square pattern; {args.file} is {m} x {n} "
                         "(use column, row or bicoloring)")
    # load / compile the numba kernels on a tiny pattern first, so the time is the coloring's
    from .bench import warm_up
    warm_up([method], [args.order])
    coloring, color_s = best_time(lambda: color(pattern, method, args.order, seed=args.seed,
                                                effort=args.effort), args.repeat)
    verified, problem = None, None
    if not args.no_verify:
        try:
            verified = bool(check_coloring(pattern, coloring, method))
        except ValueError as exc:
            verified, problem = False, _one_line(exc)
    dense = {"rows": m, "both": min(m, n)}.get(spec.seeds, n)
    info = {"file": str(args.file), "rows": int(m), "cols": int(n), "nnz": int(pattern.nnz),
            "method": method, "order": args.order, "chosen_order": coloring.chosen_order,
            "colors": int(coloring.ncolors), "lower_bound": int(coloring.lower_bound),
            "gap": _gap(coloring.ncolors, coloring.lower_bound), "effort_s": args.effort,
            "dense_passes": int(dense),
            "time_s": color_s, "load_s": load_s, "verified": verified}
    if two_sided:
        info["row_colors"] = int(coloring.nrow_colors)
        info["column_colors"] = int(coloring.ncolumn_colors)
    if problem:
        info["verify_error"] = problem
    if args.seeds:
        extra = {}
        if two_sided:
            extra = {"row_colors": coloring.row_colors, "column_colors": coloring.column_colors}
        out = Path(args.seeds)
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(out, colors=coloring.colors, ncolors=np.int64(coloring.ncolors),
                 method=np.str_(method), order=np.str_(args.order),
                 chosen_order=np.str_(coloring.chosen_order),
                 shape=np.asarray(pattern.shape, dtype=np.int64),
                 lower_bound=np.int64(coloring.lower_bound), **extra)
        info["seeds"] = str(out)
    if args.plot:
        from . import plot
        plot.compressed(pattern, coloring, path=args.plot)
        info["plot"] = str(args.plot)

    if args.json:
        print(json.dumps(info))
    else:
        kind = "square" if m == n else "rectangular"
        sym = ", structurally symmetric" if m == n and _is_symmetric(pattern) else ""
        order = args.order if args.order != "best" else f"best (chose {coloring.chosen_order})"
        split = (f" ({coloring.nrow_colors} row + {coloring.ncolumn_colors} column)"
                 if two_sided else "")
        what = _PRODUCTS[spec.sweep]
        print(f"file        {args.file}")
        print(f"shape       {m} x {n} ({kind}{sym}); n = {n}")
        print(f"nnz         {pattern.nnz}")
        print(f"method      {method}, order {order}")
        gap = "-" if info["gap"] is None else f"{info['gap']:.3f}"
        print(f"colors      {coloring.ncolors}{split}; lower bound {coloring.lower_bound}; "
              f"gap {gap} (colors / lower bound); "
              f"{coloring.ncolors} {what} instead of {info['dense_passes']} dense")
        if args.effort:
            print(f"improved    for up to {args.effort:g} s after greedy (--effort)")
        print(f"time        {_fmt_seconds(color_s)} coloring (load {_fmt_seconds(load_s)})")
        if verified is None:
            print("verified    skipped (--no-verify)")
        elif verified:
            print("verified    yes (independent check_coloring)")
        else:
            print(f"verified    NO: {problem}")
        if args.seeds:
            print(f"seeds       written to {args.seeds}")
        if args.plot:
            print(f"plot        written to {args.plot}")
    return EXIT_FAILURE if verified is False else EXIT_OK


def cmd_bench(args) -> int:
    from . import bench

    if args.paths:
        matrices = bench.find_matrix_files(args.paths)
    else:
        matrices = bench.builtin_suite(sizes=args.sizes, problems=args.problems)
    writer = bench.ResultWriter(args.out)      # made and checked before the first matrix
    failed = []

    def on_error(name, msg):
        failed.append(name)
        sys.stderr.write(f"sparsehess bench: skipped {name}: {msg}\n")

    t0 = time.perf_counter()
    try:
        bench.run(matrices, methods=args.methods, orders=args.orders, repeat=args.repeat,
                  verify=not args.no_verify, vs=tuple(args.vs), progress=not args.quiet,
                  max_nnz=args.max_nnz, on_error=on_error, seed=args.seed, effort=args.effort,
                  on_matrix=writer.add)
    except KeyboardInterrupt:
        writer.finish(plots=False)
        done = len(dict.fromkeys(r["matrix"] for r in writer.records))
        sys.stderr.write(f"\nsparsehess bench: interrupted; the {done} finished matrices are "
                         f"in {writer.out / 'results.csv'} and results.json\n")
        return 130
    elapsed = time.perf_counter() - t0
    results = writer.records
    written = writer.finish(plots=not args.no_plots)
    if not args.quiet:
        print(bench.summary_markdown(results))
        print(f"{len(results)} results in {elapsed:.1f} s; written:")
        for kind, path in written.items():
            if kind != "plots_skipped":
                print(f"  {path}")
    if "plots_skipped" in written:
        sys.stderr.write(f"sparsehess bench: plots skipped: {written['plots_skipped']}\n")
    invalid = [r for r in results if r.get("verified") is False]
    for r in invalid:
        sys.stderr.write(f"sparsehess bench: INVALID coloring: {r['tool']} {r['matrix']} "
                         f"{r['method']} {r['order']}\n")
    return EXIT_FAILURE if (failed or invalid) else EXIT_OK


def cmd_demo(args) -> int:
    if args.n < 2:
        raise UsageError("-n must be at least 2")
    from . import demo as demo_module
    demo_module.run(args.n)
    return EXIT_OK


COMMANDS = {"color": cmd_color, "bench": cmd_bench, "demo": cmd_demo}


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"sparsehess {args.command}"
    debug = args.debug or bool(os.environ.get("SPARSEHESS_DEBUG"))
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        sys.stderr.write(f"{prog}: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted\n")
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error worth reporting
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - one clear line for users, --debug for details
        if debug:
            raise
        sys.stderr.write(f"{prog}: error: {_one_line(exc)}\n")
        return EXIT_FAILURE
