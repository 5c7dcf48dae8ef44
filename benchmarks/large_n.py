"""Very large n: the stages of the first sparse Hessian, with CPU and wall time and peak RSS.

Run ``python benchmarks/large_n.py`` (n = 10^7) or ``--size 1e6``; ``--problems chain grid``
picks problems (chained Rosenbrock; 2-D grid energy of side round(sqrt(n))).  Each problem runs
in its own child process (``--child``), so that peak RSS (``ru_maxrss``) is that problem's
alone.  Stages, measured in order in that process:

* first result: ``prepare_hessian(f, x)`` and the plan's first call, in a fresh process
  (what ``sparsehess.hessian`` costs the first time); "first call" is its second part
  (compilation of the batched HVP, sweeps, recovery);
* steady Hessian: best of 3 further calls;
* then, timed again on their own: detection (``hessian_sparsity(f, x)``) and coloring
  (``color(pattern, "star")``); "plan build" is prepare_hessian minus these two.

Where memory goes (float64, chained Rosenbrock n = 10^7: pattern nnz = 3n - 2 ≈ 3·10^7;
grid side 3163: nnz ≈ 5n):

* the Hessian pattern, bool CSR: indices int32 (4 B/entry, 120 MB chain, 200 MB grid),
  indptr 40-80 MB, data 1 B/entry;
* detection, transient: the dependency patterns of the jaxpr's values (one CSR per
  intermediate, about one int32 per element per input it depends on, 40-80 MB each for the
  chain's shifted slices), and the Hessian accumulator's raw outer-product entries (two int32
  column ids per product term, duplicates included, before they are merged: ~2·10^8 B for the
  chain);
* coloring: adjacency copies of the pattern (int64 indptr/indices, 8 B/entry each) and a few
  n-length int64 work arrays (80 MB each);
* recovery: the gather plan (``Coloring.gather_indices()``): four int64 arrays of length nnz
  (rows, cols, B rows, B cols: 32 B/entry, ~1 GB for the chain) and the compressed product
  B (n × ncolors float64: 80 MB per color);
* JAX: x, the HVP tangents (n × ncolors float64) and XLA's buffers for the batched HVP,
  a few times n × ncolors × 8 B.

So peak memory grows linearly with nnz (≈ 40-60 B per entry across stages) and with
n × ncolors; at n = 10^7 both problems stay well below this machine's 24 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import _common as C


def _clock():
    return time.process_time(), time.perf_counter()


def _since(start):
    now = _clock()
    return now[0] - start[0], now[1] - start[1]


def child(name: str, n: int) -> dict:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import sparsehess
    from sparsehess import problems

    if name == "chain":
        f, x0 = problems.chained_rosenbrock(n)
    else:
        f, x0 = problems.grid_energy(int(round(n ** 0.5)))
    x = jnp.asarray(x0)
    out = {"problem": name, "n": int(x.size)}
    t = _clock()
    plan = sparsehess.prepare_hessian(f, x)
    prep = _since(t)
    plan(x).data.block_until_ready()
    out["first result"] = _since(t)
    first_call = tuple(a - b for a, b in zip(out["first result"], prep))
    steady = []
    for _ in range(3):
        t = _clock()
        plan(x).data.block_until_ready()
        steady.append(_since(t))
    out["steady Hessian"] = min(steady, key=lambda s: s[1])
    del plan
    t = _clock()
    pattern = sparsehess.hessian_sparsity(f, x)
    out["detection"] = _since(t)
    out["nnz"] = int(pattern.nnz)
    t = _clock()
    coloring = sparsehess.color(pattern, "star")
    out["coloring"] = _since(t)
    out["ncolors"] = int(coloring.ncolors)
    out["plan build"] = tuple(max(p - d - c, 0.0) for p, d, c in
                              zip(prep, out["detection"], out["coloring"]))
    out["first call"] = first_call
    out["peak GiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    return out


def compare(name: str, n: int, repeat: int = 4):
    """In one process, interleaved (order alternating), best CPU seconds of ``repeat``: the
    whole detection with the Hessian accumulator's sparse path as now (numba merge of each
    symmetrized product) and as before (scipy aᵀ b, csr_plus_csr, final ∪ transpose), and
    the star recovery plan (numba pass vs the former numpy).  Checks results are identical."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    import scipy.sparse as sp
    import sparsehess
    from sparsehess import problems
    from sparsehess._src.detection import patterns
    from sparsehess._src.recovery import direct as tables

    f, x0 = problems.chained_rosenbrock(n) if name == "chain" else \
        problems.grid_energy(int(round(n ** 0.5)))
    x = jnp.asarray(x0)
    Acc = patterns.HessianAccumulator
    new_add, new_result = Acc.add, Acc.result

    def old_add(self, a, b):
        if self.dense is not None:
            return new_add(self, a, b)
        self.total = patterns.union(self.total, patterns.outer_product(a, b))

    def old_result(self):
        if self.dense is not None:
            return new_result(self)
        return patterns.union(self.total, sp.csr_array(self.total.T))

    def old_star(c):
        p = c.pattern
        rows = np.repeat(np.arange(p.shape[0], dtype=np.int64), np.diff(p.indptr))
        cols = p.indices.astype(np.int64)
        ptr = p.indptr.astype(np.int64)
        direct = tables.exclusive_counts(ptr, cols, c.colors, c.ncolors) == 1
        assert np.all(direct | direct[tables.reverse_positions(ptr, cols)])
        return (rows, cols, np.where(direct, rows, cols),
                np.where(direct, c.colors[cols], c.colors[rows]))

    def new_star(c):
        c.__dict__.pop("_reads", None)
        return c.gather_indices()

    detect = {"new": (new_add, new_result), "old": (old_add, old_result)}
    star = {"new": new_star, "old": old_star}
    best, res = {}, {}
    for r in range(repeat):
        for kind in ("new", "old")[::1 if r % 2 == 0 else -1]:
            Acc.add, Acc.result = detect[kind]
            t = time.process_time()
            res["detect " + kind] = sparsehess.hessian_sparsity(f, x)
            best["detect " + kind] = min(best.get("detect " + kind, 1e9), time.process_time() - t)
            coloring = sparsehess.color(res["detect " + kind], "star")
            t = time.process_time()
            res["star " + kind] = star[kind](coloring)
            best["star " + kind] = min(best.get("star " + kind, 1e9), time.process_time() - t)
        a, b = res.pop("detect old"), res.pop("detect new")
        res["patterns identical"] = (np.array_equal(a.indptr, b.indptr)
                                     and np.array_equal(a.indices, b.indices))
    Acc.add, Acc.result = new_add, new_result
    same = all(np.array_equal(u, v) for u, v in zip(res["star new"], res["star old"]))
    print(f"{name} n={x.size:,} (CPU s, best of {repeat}, interleaved): "
          + ", ".join(f"{k} {v:.2f}" for k, v in best.items())
          + f"; detection old/new {best['detect old'] / best['detect new']:.2f}x, star plan "
          f"old/new {best['star old'] / best['star new']:.2f}x; identical patterns: "
          f"{res['patterns identical']}, star plans: {same}")


STAGES = ("detection", "coloring", "plan build", "first call", "first result", "steady Hessian")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=1e7)
    ap.add_argument("--problems", nargs="+", choices=("chain", "grid"), default=["chain", "grid"])
    ap.add_argument("--child", choices=("chain", "grid"))
    ap.add_argument("--compare", action="store_true",
                    help="accumulator before/after in one process (no table)")
    args = ap.parse_args()
    n = int(args.size)
    if args.compare:
        for name in args.problems:
            compare(name, n)
        return
    if args.child:
        print(json.dumps(child(args.child, n)))
        return
    rows = []
    for name in args.problems:
        res = subprocess.run([sys.executable, __file__, "--child", name, "--size", str(n)],
                             capture_output=True, text=True, env=os.environ)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            rows.append([name, f"{n:,}", "failed"] + [""] * (len(STAGES) + 2))
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        rows.append([name, f"{r['n']:,}", f"{r['nnz']:,}", str(r["ncolors"])]
                    + [f"{r[s][0]:.2f} / {r[s][1]:.2f}" for s in STAGES]
                    + [f"{r['peak GiB']:.2f}"])
        print(f"  measured {name}", flush=True)
    print(f"\n### Stages of the first sparse Hessian, n ≈ {n:,} (CPU / wall seconds; one child "
          f"process per problem)\n")
    print(C.markdown_table(["problem", "n", "nnz", "colors"] + list(STAGES) + ["peak RSS GiB"], rows))


if __name__ == "__main__":
    main()
