"""Benchmarking colorings on a Matrix Market file.

The number of colors of a coloring is the number of passes (JVPs, VJPs or Hessian-vector
products) a compressed derivative with that sparsity pattern costs; a dense one costs n.
Which method and which vertex order give the fewest colors depends on the pattern, so try
them: on the command line

    sparsehess color FILE.mtx --method star --order best
    sparsehess bench FILE.mtx [more files or folders] --out bench_out

or from Python with ``sparsehess.color`` and ``sparsehess.bench`` as below. This example
writes a small Matrix Market file (a 2-D 5-point stencil, the pattern of a PDE Hessian) so it
runs anywhere; point ``path`` at your own ``.mtx``, ``.mtx.gz`` or ``.npz`` instead.

Run: python examples/bench_matrix_market.py
"""

import atexit
import shutil
import tempfile
from pathlib import Path

import scipy.io

import sparsehess
from sparsehess import bench
from sparsehess.coloring import check_coloring, load_pattern

work = Path(tempfile.mkdtemp(prefix="sparsehess-example-"))
atexit.register(shutil.rmtree, work, ignore_errors=True)
path = work / "mesh2d.mtx"
scipy.io.mmwrite(path, bench.generate("mesh2d", 900).astype(float), symmetry="symmetric")

# one coloring, checked independently
pattern = load_pattern(path)
n = pattern.shape[1]
c = sparsehess.color(pattern, "star", order="best")
check_coloring(pattern, c, "star")            # raises ValueError if invalid
print(f"{path.name}: n = {n}, nnz = {pattern.nnz}")
print(f"star, best order ({c.chosen_order}): {c.ncolors} colors, lower bound {c.lower_bound}")

# every method x order; results as records, a Markdown table and files
results = bench.run(bench.find_matrix_files([path]),
                    methods=("column", "star", "acyclic", "distance1"),
                    orders=("natural", "largest_first", "smallest_last"), progress=False)
best = bench.best_per_method(results)
for method in ("column", "star", "acyclic", "distance1"):
    r = best[("mesh2d", method)]
    print(f"{method:>9}: passes: {r['colors']} (dense: {n})  order {r['order']}, "
          f"verified {r['verified']}")
written = bench.write_outputs(results, work / "bench_out", plots=False)
print(f"{len(results)} runs; summary table in {written['markdown'].name}, all runs in "
      f"{written['csv'].name}")
print(bench.summary_markdown(results).split("\n\n")[2])   # the first table
