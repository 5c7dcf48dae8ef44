"""Coloring benchmarks: every method x order on each matrix, results as CSV/JSON/Markdown/plots.

Used by ``sparsehess bench`` (see :mod:`sparsehess.cli`); also usable from Python::

    from sparsehess import bench
    matrices = bench.builtin_suite(sizes=(1000,), problems=("banded", "mesh2d"))
    results = bench.run(matrices, methods=("star", "acyclic"), orders=("natural", "best"))
    print(bench.summary_markdown(results))
    bench.write_outputs(results, "bench_out")

Each result is a flat dict (one CSV row): ``matrix, source, rows, cols, nnz, tool, method,
order, chosen_order, colors, lower_bound, time_s, verified, error``. ``tool`` is
``"sparsehess"`` or ``"casadi"`` (``vs=("casadi",)``: CasADi's ``star_coloring`` /
``uni_coloring`` of the same pattern, timed the same way). ``time_s`` is the best of
``repeat`` calls of :func:`sparsehess.color` (canonicalisation, symmetrisation, ordering and
coloring; the numba kernels are loaded/compiled once, before any timing). ``verified`` is the
result of the independent :func:`sparsehess.coloring.check_coloring` (``None`` when skipped).

"""

from ._src.bench.generators import (
    PROBLEMS,
    arrowhead,
    banded,
    generate,
    laplacian,
    mesh2d,
    mesh3d,
    random_symmetric,
)
from ._src.bench.peers import CASADI_METHODS, casadi_coloring, casadi_module
from ._src.bench.progress import Progress
from ._src.bench.report import ResultWriter, best_per_method, summary_markdown, write_outputs
from ._src.bench.runner import (
    DIST2_MAX_WORK,
    DIST2_ORDERS,
    FIELDS,
    SYMMETRIC_METHODS,
    color_one,
    distance2_work,
    dynamic_order_work,
    run,
    warm_up,
)
from ._src.bench.suite import (
    DEFAULT_SIZES,
    Matrix,
    PATTERN_SUFFIXES,
    builtin_suite,
    find_matrix_files,
    shared_suitesparse_dir,
)

__all__ = [
    "PROBLEMS",
    "DEFAULT_SIZES",
    "SYMMETRIC_METHODS",
    "builtin_suite",
    "generate",
    "find_matrix_files",
    "shared_suitesparse_dir",
    "run",
    "summary_markdown",
    "write_outputs",
    "ResultWriter",
    "Progress",
    "FIELDS",
    "DIST2_MAX_WORK",
    "distance2_work",
    "dynamic_order_work",
    "DIST2_ORDERS",
    "PATTERN_SUFFIXES",
    "Matrix",
    "banded",
    "laplacian",
    "mesh2d",
    "mesh3d",
    "random_symmetric",
    "arrowhead",
    "warm_up",
    "color_one",
    "best_per_method",
    "CASADI_METHODS",
    "casadi_module",
    "casadi_coloring",
]
