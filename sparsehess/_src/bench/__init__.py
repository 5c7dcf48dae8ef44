"""The implementation behind :mod:`sparsehess.bench` (internal; its public names are
re-exported there).

Modules: :mod:`~sparsehess._src.bench.generators` (the generated pattern families, shared with the
tests and ``benchmarks/``), :mod:`~sparsehess._src.bench.suite` (inputs), :mod:`~sparsehess._src.bench.runner`
(the runs), :mod:`~sparsehess._src.bench.report` (outputs), :mod:`~sparsehess._src.bench.progress`
(the tqdm bar), :mod:`~sparsehess._src.bench.peers` (CasADi), :mod:`~sparsehess._src.bench.timing`.
"""

from .generators import (PROBLEMS, arrowhead, banded, generate, laplacian, mesh2d, mesh3d,
                         random_symmetric)
from .peers import CASADI_METHODS, casadi_coloring, casadi_module
from .progress import Progress
from .report import ResultWriter, best_per_method, summary_markdown, write_outputs
from .runner import (DIST2_MAX_WORK, DIST2_ORDERS, FIELDS, SYMMETRIC_METHODS, color_one,
                     distance2_work, run, warm_up)
from .suite import (DEFAULT_SIZES, PATTERN_SUFFIXES, Matrix, builtin_suite, find_matrix_files,
                    shared_suitesparse_dir)

__all__ = ["PROBLEMS", "DEFAULT_SIZES", "SYMMETRIC_METHODS", "builtin_suite", "generate",
           "find_matrix_files", "shared_suitesparse_dir", "run", "summary_markdown",
           "write_outputs", "ResultWriter", "Progress", "FIELDS", "DIST2_MAX_WORK",
           "distance2_work", "DIST2_ORDERS", "PATTERN_SUFFIXES", "Matrix", "banded",
           "laplacian", "mesh2d", "mesh3d", "random_symmetric", "arrowhead", "warm_up",
           "color_one", "best_per_method", "CASADI_METHODS", "casadi_module",
           "casadi_coloring"]
